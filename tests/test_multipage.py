"""A document combined from several pages (`urls = [a, b]`, Open Terms Archive's `combine`)."""

from __future__ import annotations

from sqlalchemy import func, select

from snapshots.models import Change, Document, Fetch, Snapshot, Version


def page(title: str, sentence: str) -> str:
    return f"<html><body><main><h1>{title}</h1><p>{sentence} " + "Further terms apply. " * 5 + "</p></main></body></html>"


PART_A = page("Terms, part 1", "Customer data is stored in Ireland.")
PART_B = page("Terms, part 2", "Support staff in the European Union may access logs.")


def combined_profile(home, a: str, b: str) -> None:
    home.profile("acme", f"""
        name = "Acme"
        provider = "Example"

        [sources.terms]
        urls = ["{a}", "{b}"]
        type = "terms"

        [[criteria]]
        id = "eu-residency"
        label = "EU data residency"
        rating = "partial"
        sources = ["terms"]
        watch = ["United States"]
    """)


def scalar(home, query):
    with home.database().session() as s:
        return s.scalar(query)


def test_pages_join_in_order_into_one_version_and_each_page_keeps_its_snapshots(home, site):
    a, b = site.serve("/terms-1", PART_A), site.serve("/terms-2", PART_B)
    combined_profile(home, a, b)

    summary = home.json("check")

    assert summary["documents"] == 1 and summary["new"] == 1
    text = home.cli("version", "acme/terms", check_code=0).stdout
    assert text.index("Customer data is stored in Ireland.") < text.index("Support staff in the European Union")
    assert scalar(home, select(func.count()).select_from(Version)) == 1
    assert scalar(home, select(func.count()).select_from(Document)) == 1
    assert scalar(home, select(func.count()).where(Snapshot.url == a)) == 1
    assert scalar(home, select(func.count()).where(Snapshot.url == b)) == 1


def test_one_failing_page_fails_the_document_and_the_previous_version_stays_current(home, site):
    a, b = site.serve("/terms-1", PART_A), site.serve("/terms-2", PART_B)
    combined_profile(home, a, b)
    home.json("check")
    current = scalar(home, select(Document.current_version_id))

    site.serve("/terms-1", PART_A.replace("Ireland", "Ireland and the United States"))
    site.serve("/terms-2", "server error", status=500)
    summary = home.json("check", code=3)

    assert summary["failed"] == 1 and summary["changed"] == 0 and summary["changes"] == []
    assert summary["errors"] == [{"url": b, "reason": "HTTP 500 Internal Server Error"}]
    assert scalar(home, select(func.count()).select_from(Version)) == 1  # no partial version
    assert scalar(home, select(Document.current_version_id)) == current
    assert scalar(home, select(Fetch.outcome).where(Fetch.url == b).order_by(Fetch.id.desc()).limit(1)) == "failed"
    text = home.cli("version", "acme/terms", check_code=0).stdout
    assert "United States" not in text


def test_a_change_on_one_page_is_one_change_of_the_document(home, site):
    a, b = site.serve("/terms-1", PART_A), site.serve("/terms-2", PART_B)
    combined_profile(home, a, b)
    home.json("check")

    site.serve("/terms-2", PART_B.replace("in the European Union", "in the United States"))
    summary = home.json("check")

    assert summary["changed"] == 1 and len(summary["changes"]) == 1
    [change] = home.cli_json("changes")
    assert change["id"] == summary["changes"][0] and change["source"] == "terms"
    assert scalar(home, select(func.count()).select_from(Change)) == 1
    assert scalar(home, select(func.count()).where(Snapshot.url == a)) == 1  # page a did not change
    assert scalar(home, select(func.count()).where(Snapshot.url == b)) == 2
    text = home.cli("version", "acme/terms", check_code=0).stdout
    assert "Customer data is stored in Ireland." in text and "Support staff in the United States" in text

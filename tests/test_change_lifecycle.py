"""A change's life through the CLI: noise immunity, confirmation, flip-backs, rebaselines, reviews, evidence."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

HEAD = "<html><body><nav><a href='/'>Home</a></nav>"
BODY = ("<main class='legal'><h1>Data Processing Addendum</h1><p>Last updated: March 3, 2026</p>"
        "<h2>4. Data location</h2><p>Customer Data is stored and processed in Ireland.</p>"
        "<h2>5. Deletion</h2><p>Customer Data is deleted within 30 days of termination.</p>"
        "<h2>6. Sub-processors</h2><p>We notify customers before adding a sub-processor.</p></main>")
PAGE = HEAD + BODY + "<footer>© 2026 Example</footer></body></html>"

PROFILE = """
name = "Example API"
provider = "Example"

[sources.dpa]
url = "{url}"
type = "dpa"
{extra}

[[criteria]]
id = "eu-residency"
label = "EU data residency"
rating = "yes"
sources = ["dpa"]
watch = ["data location", "stored"]
evidence = [{{ source = "dpa", quote = "Customer Data is stored and processed in Ireland." }}]

[[criteria]]
id = "retention"
label = "Short retention"
rating = "yes"
sources = ["dpa"]
watch = ["deleted", "days"]
"""


def setup(home, site, extra="", name="example"):
    url = site.serve("/dpa", PAGE)
    home.profile(name, PROFILE.format(url=url, extra=extra))
    home.json("check")
    return url


def test_country_added_to_data_location_is_material_and_names_the_criterion(home, site):
    setup(home, site)
    site.serve("/dpa", PAGE.replace("in Ireland.", "in Ireland and the United States."))
    change_id = home.json("check")["changes"][0]
    [entry] = home.cli_json("changes")
    assert entry["id"] == change_id and entry["significance"] == "material"
    assert "eu-residency" in entry["affected_criteria"]
    kinds = {f["kind"] for f in entry["findings"]}
    assert "evidence" in kinds and "vocabulary" in kinds
    assert any(f["section"] and "Data location" in f["section"] for f in entry["findings"])
    assert "United States" in entry["summary"]
    assert [e["status"] for e in home.cli_json("evidence")] == ["fuzzy"]


def test_date_only_edit_is_recorded_as_cosmetic_and_not_reported(home, site):
    setup(home, site)
    site.serve("/dpa", PAGE.replace("March 3, 2026", "November 20, 2026"))
    result = home.json("check")
    assert result["changed"] == 1
    assert home.cli_json("changes") == []
    [entry] = home.cli_json("changes", "--all")
    assert entry["significance"] == "cosmetic" and entry["reported"] is False


def test_ignore_patterns_hide_a_volatile_line(home, site):
    url = site.serve("/dpa", PAGE.replace("</main>", "<p>Build 8f3a2c</p></main>"))
    home.profile("example", PROFILE.format(url=url, extra='ignore = ["Build [0-9a-f]+"]'))
    home.json("check")
    site.serve("/dpa", PAGE.replace("</main>", "<p>Build 91bb07</p></main>"))
    home.json("check")
    assert home.cli_json("changes") == []
    assert [e["significance"] for e in home.cli_json("changes", "--all")] == ["cosmetic"]


def test_confirm_two_reports_a_change_only_once_it_persists(home, site):
    setup(home, site, extra="confirm = 2")
    site.serve("/dpa", PAGE.replace("30 days", "90 days"))
    assert home.json("check")["changes"] == []
    second = home.json("check")
    assert len(second["changes"]) == 1
    assert home.cli_json("changes")[0]["significance"] == "material"


def test_confirm_two_ignores_a_one_check_flicker(home, site):
    setup(home, site, extra="confirm = 2")
    site.serve("/dpa", PAGE.replace("30 days", "90 days"))
    home.json("check")
    site.serve("/dpa", PAGE)
    home.json("check")
    home.json("check")
    assert home.cli_json("changes", "--all") == []


def test_a_flip_back_to_an_earlier_text_is_recorded_but_not_reported_again(home, site):
    setup(home, site)
    variant = PAGE.replace("30 days", "90 days")
    site.serve("/dpa", variant)
    home.json("check")
    site.serve("/dpa", PAGE)
    back = home.json("check")
    assert len(back["changes"]) == 1
    reported = home.cli_json("changes")
    assert len(reported) == 1 and reported[0]["id"] != back["changes"][0]
    everything = home.cli_json("changes", "--all")
    assert {e["kind"] for e in everything} == {"change", "flip-back"}


def test_fixing_a_selector_rebaselines_without_a_reported_change(home, site):
    url = setup(home, site)  # no select: generic extraction
    home.profile("example", PROFILE.format(url=url, extra='select = "main.legal"\nremove = "p:first-of-type"'))
    result = home.json("check")
    assert result["changes"] == [] and result["unchanged"] == 1
    assert home.cli_json("changes") == []
    [rebaseline] = home.cli_json("changes", "--all")  # listed with --all, as its help says; never alertable
    assert rebaseline["kind"] == "rebaseline" and rebaseline["alertable"] is False and rebaseline["reported"] is False
    assert rebaseline["significance"] is None and rebaseline["status"] is None
    assert (rebaseline["profile"], rebaseline["source"]) == ("example", "dpa")
    assert [v["kind"] for v in home.cli_json("history", "example/dpa")] == ["first", "rebaseline"]
    assert "Last updated" not in home.cli("version", "example/dpa", check_code=0).stdout
    home.json("check")
    assert len(home.cli_json("history", "example/dpa")) == 2


def test_reextract_records_rebaselines_never_reported_changes(home, site):
    url = setup(home, site)
    home.profile("example", PROFILE.format(url=url, extra='remove = "footer, nav, h2:first-of-type + p"'))
    summary = home.json("reextract")
    assert summary["documents"] == 1 and summary["rebaselined"] == 1
    assert home.cli_json("changes") == []
    assert [v["kind"] for v in home.cli_json("history", "example/dpa")] == ["first", "rebaseline"]
    assert "stored and processed in Ireland" not in home.cli("version", "example/dpa", check_code=0).stdout
    [entry] = home.cli_json("changes", "--all")
    assert entry["kind"] == "rebaseline" and entry["summary"] == ""
    assert home.cli_json("changes", "--all", "--status", "unreviewed") == []  # a rebaseline has no review
    shown = home.cli("show", str(entry["id"]), "--no-color", check_code=0).stdout
    assert "example/dpa: rebaseline" in shown and "review:" not in shown
    refused = home.cli("review", str(entry["id"]), "--status", "no-impact", check_code=2).stderr
    assert "no assessment to review" in refused


def test_review_is_recorded_and_filters_changes(home, site):
    setup(home, site)
    site.serve("/dpa", PAGE.replace("30 days", "90 days"))
    change_id = home.json("check")["changes"][0]
    review = home.cli_json("review", str(change_id), "--status", "profile-updated", "--note", "rating lowered", "--by", "ed")
    assert review["status"] == "profile-updated" and review["reviewer"] == "ed"
    [entry] = home.cli_json("changes", "--status", "profile-updated")
    assert entry["note"] == "rating lowered"
    assert home.cli_json("changes", "--status", "unreviewed") == []
    assert [e["id"] for e in home.cli_json("changes", "--criterion", "retention")] == [change_id]
    assert home.cli_json("changes", "--significance", "cosmetic") == []
    shown = home.cli("show", str(change_id), "--no-color", check_code=0).stdout
    assert "review: profile-updated by ed: rating lowered" in shown


def test_a_review_without_a_note_prints_no_note(home, site):
    setup(home, site)
    site.serve("/dpa", PAGE.replace("30 days", "90 days"))
    change_id = home.json("check")["changes"][0]
    said = home.cli("review", str(change_id), "--status", "no-impact", "--by", "ed", check_code=0).stdout
    assert said == f"change {change_id} for example: no-impact (by ed)\n"
    shown = home.cli("show", str(change_id), "--no-color", check_code=0).stdout
    assert "review: no-impact by ed\n" in shown and "None" not in shown
    assert home.cli_json("changes")[0]["note"] is None


def test_renamed_source_keeps_history_and_reviews_and_old_documents_are_orphaned(home, site):
    url = setup(home, site)
    site.serve("/dpa", PAGE.replace("30 days", "90 days"))
    change_id = home.json("check")["changes"][0]
    home.cli("review", str(change_id), "--status", "no-impact", check_code=0)
    other = site.serve("/terms", PAGE)
    home.profile("example", PROFILE.format(url=url, extra='renamed_from = "dpa"').replace("[sources.dpa]", "[sources.addendum]")
                 .replace('sources = ["dpa"]', 'sources = ["addendum"]').replace('source = "dpa"', 'source = "addendum"'))
    home.json("check")
    assert len(home.cli_json("history", "example/addendum")) == 2
    [entry] = home.cli_json("changes")
    assert entry["source"] == "addendum" and entry["status"] == "no-impact"
    home.profile("example", PROFILE.format(url=other, extra=""))
    home.json("check")
    rows = {r["document"]: r for r in home.cli_json("sources")}
    assert rows[url]["orphaned"] is True and rows[other]["orphaned"] is False


def test_version_at_a_date_and_diff_of_any_two_versions(home, site):
    setup(home, site)
    site.serve("/dpa", PAGE.replace("30 days", "90 days"))
    home.json("check")
    first, second = [v["version"] for v in home.cli_json("history", "example/dpa")]
    assert "no version yet" in home.cli("version", "example/dpa", "--at", "2000-01-01", check_code=2).stderr
    assert "30 days" in home.cli("version", "example/dpa", "--at", history_time(home, first), check_code=0).stdout
    assert "90 days" in home.cli("version", "example/dpa", check_code=0).stdout
    out = home.cli("diff", "example/dpa", str(first), str(second), "--no-color", check_code=0).stdout
    assert "[-30-]" in out.replace(" ", "") and "{+90+}" in out.replace(" ", "")
    html = home.cli("diff", "example/dpa", str(first), str(second), "--html", check_code=0).stdout
    assert "<ins>" in html and "<del>" in html


def history_time(home, version_id) -> str:
    row = next(v for v in home.cli_json("history", "example/dpa") if v["version"] == version_id)
    return row["fetched_at"].rstrip("Z")


def test_scrapy_crawl_documents_runs_both_stages(home, site):
    url = site.serve("/dpa", PAGE)
    home.profile("example", PROFILE.format(url=url, extra=""))
    proc = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "documents"], cwd=ROOT, env=home.env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    [row] = home.cli_json("sources")
    assert row["outcome"] == "new" and row["cited_by"] == ["example/dpa"]
    by_subprocess = json.loads(home.run("history", "example/dpa", "--json", check_code=0).stdout)
    assert by_subprocess[0]["kind"] == "first"
    assert home.cli_json("history", "example/dpa") == by_subprocess  # home.cli prints what the console script prints

"""Moves are moves: a redirect stub is a `moved` anomaly naming its target; with follow_moves the
target is fetched in the same run and the document's history continues there."""

from __future__ import annotations

PARAGRAPH = ("Customer data is stored in Ireland and deleted thirty days after the end of the contract. "
             "Sub-processors are listed on the trust centre and customers are told before a new one is added. ")
POLICY = f"<html><body><main><h1>Privacy Policy</h1>{''.join(f'<p>{PARAGRAPH}</p>' for _ in range(6))}</main></body></html>"


def stub(target: str) -> str:
    return (f'<html><head><script>window.location.replace("{target}")</script></head>'
            f'<body><p>Redirecting to <a href="{target}">our legal centre</a>…</p></body></html>')


def profile(home, site):
    home.profile("acme", f"""
        name = "Acme"
        provider = "Acme"
        reviewed = 2026-11-20

        [sources.followed]
        url = "{site.url('/old-a')}"
        type = "privacy-policy"
        follow_moves = true

        [sources.held]
        url = "{site.url('/old-b')}"
        type = "privacy-policy"

        [[criteria]]
        id = "eu-residency"
        label = "EU data residency"
        rating = "partial"
        sources = ["followed", "held"]
        watch = ["United States"]
        """)


def test_stub_is_moved_naming_its_target_and_follow_moves_continues_the_history(home, site):
    site.serve("/old-a", POLICY)
    site.serve("/old-b", POLICY)
    profile(home, site)
    home.json("check")
    site.serve("/old-a", stub(site.url("/legal/a")))
    site.serve("/old-b", stub(site.url("/legal/b")))
    site.serve("/legal/a", POLICY.replace("Ireland", "Ireland and the United States"))
    site.serve("/legal/b", POLICY.replace("Ireland", "Ireland and the United States"))
    result = home.json("check", code=3)
    assert result["failed"] == 1 and len(result["changes"]) == 1  # held: failed; followed: one change
    [moved] = home.cli_json("anomalies")
    assert moved["kind"] == "moved" and site.url("/legal/b") in moved["detail"]
    [entry] = home.cli_json("changes")
    assert entry["source"] == "followed" and entry["significance"] == "material"
    assert any(path == "/legal/a" for path, _ in site.hits)
    assert "United States" in home.cli("version", "acme/followed", check_code=0).stdout

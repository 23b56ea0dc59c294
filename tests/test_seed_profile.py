"""The bundled Mistral API profile: its evidence quotes are in today's texts of the cited documents."""

from __future__ import annotations

import pytest
from conftest import CORPUS, ROOT

from crawler.profiles import load_catalog
from diffing.evidence import evidence_status
from snapshots.extract import extract

LATEST = CORPUS / "mistral-latest"
SNAPSHOTS = {
    "https://legal.mistral.ai/terms/privacy-policy": "legal.mistral.ai_terms_privacy-policy__snapshot_2026-07-27.html",
    "https://legal.mistral.ai/terms/data-processing-addendum":
        "legal.mistral.ai_terms_data-processing-addendum__snapshot_2026-07-27.html",
}


@pytest.mark.skipif(not LATEST.is_dir(), reason="corpus not available")
def test_every_evidence_quote_of_the_seed_profile_is_found_in_the_current_documents():
    profile = load_catalog(ROOT / "profiles").profiles["mistral-api"]
    checked = 0
    for criterion in profile.criteria:
        for ev in criterion.evidence:
            source = profile.sources[ev.source]
            body = (LATEST / SNAPSHOTS[source.urls[0]]).read_bytes()
            text = extract(body, url=source.urls[0], rules=source.rules).text
            assert evidence_status(ev.quote, text) == "found", (criterion.id, ev.quote)
            checked += 1
    assert checked >= 6

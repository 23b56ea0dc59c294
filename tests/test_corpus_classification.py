"""Quality gate on the real corpus (../shared/corpus, or $CLAUSEWATCH_CORPUS; skipped when absent).

For consecutive versions of each Markdown history: a version whose comparison key equals the
previous one is no change at all (not reported); otherwise ``assess`` decides, with no criteria
and the default vocabulary. Real changes must be reported, whitespace or id churn must not.

"Clean" changes (kind ``change``, no noise flag, no declaration commit) are the archive's commits,
not a ground truth: about a fifth of them change nothing but links (dropped by normalisation),
punctuation, case, Markdown formatting or a "Last updated" date, which the product must record but
not report. The recall gate therefore counts a clean change as correctly left unreported when an
independent whole-text check confirms it: same words once case, punctuation, Markdown and date
expressions are ignored. The raw share of reported clean changes is printed too.
"""

import json
import os
from pathlib import Path

import pytest

from diffing.assess import assess
from diffing.textkey import match_key, strip_dates

pytestmark = pytest.mark.corpus

CORPUS = Path(os.environ.get("CLAUSEWATCH_CORPUS") or Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
NOISE = ("whitespace_only", "ids_or_query_strings_only")
MIN_CHANGE_REPORTED = 0.98
MAX_NOISE_REPORTED = 0.02


def labelled_pairs(root: Path):
    """``(label, previous version, version)`` for consecutive versions of every history."""
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for document in manifest["documents"]:
        versions = document["versions"]
        for previous, version in zip(versions, versions[1:]):
            if not version.get("prev_in_dataset", True):
                continue
            if any(flag in version["noise_heuristic"] for flag in NOISE):
                yield "noise", previous, version
            elif (
                version["kind"] == "change"
                and not version["noise_heuristic"]
                and not version["declaration_commits_since_prev"]
            ):
                yield "change", previous, version


def same_substance(old: str, new: str) -> bool:
    """Whole-text check, independent of the diff: equal once case, punctuation, Markdown and
    dates are ignored."""
    return match_key(strip_dates(old)) == match_key(strip_dates(new))


def classify(root: Path, previous: dict, version: dict):
    """``(reported, summary, confirmed cosmetic)`` for one pair of versions."""
    from snapshots.extract import comparison_key, normalise_text

    old_raw = (root / previous["path"]).read_text(encoding="utf-8")
    new_raw = (root / version["path"]).read_text(encoding="utf-8")
    if comparison_key(old_raw) == comparison_key(new_raw):
        return False, "no change at all", True
    old, new = normalise_text(old_raw), normalise_text(new_raw)
    label = f"{version['path'].split('/')[2]} {version['path'].split('/')[3]}"
    assessment = assess(old, new, criteria=(), document_label=label)
    confirmed = not assessment.reported and same_substance(old, new)
    return assessment.reported, assessment.summary, confirmed


@pytest.fixture(scope="module")
def results():
    if not (CORPUS / "manifest.json").exists():
        pytest.skip(f"no corpus at {CORPUS}")
    pytest.importorskip("snapshots.extract")
    out = {"change": [], "noise": []}
    for label, previous, version in labelled_pairs(CORPUS):
        out[label].append((version["path"], *classify(CORPUS, previous, version)))
    return out


def _print(title, wrong):
    print(f"{title}: {len(wrong)}")
    for path, _, summary, _ in wrong[:40]:
        print(f"  {path}\n      {summary}")


def test_real_changes_of_the_corpus_are_reported(results):
    rows = results["change"]
    reported = sum(row[1] for row in rows)
    confirmed = sum(row[3] for row in rows)
    substantive = len(rows) - confirmed
    rate = reported / substantive
    print(f"\nclean changes: {len(rows)}; reported {reported} ({reported / len(rows):.1%} of all);")
    print(f"  {confirmed} confirmed cosmetic or no change at all; recall on the other {substantive}: {rate:.1%}")
    _print("  missed (not reported, not confirmed cosmetic)", [r for r in rows if not r[1] and not r[3]])
    assert rate >= MIN_CHANGE_REPORTED


def test_whitespace_and_id_churn_of_the_corpus_is_not_reported(results):
    rows = results["noise"]
    wrong = [row for row in rows if row[1]]
    rate = len(wrong) / len(rows)
    print(f"\nwhitespace/id churn: {len(rows)} versions, {rate:.1%} reported")
    _print("  reported", wrong)
    assert rate <= MAX_NOISE_REPORTED

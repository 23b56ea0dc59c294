"""Extraction on the real corpus in ``../shared/corpus`` (or ``$CLAUSEWATCH_CORPUS``); skipped when absent.

Run with ``-s`` to see the summary tables::

    .venv/bin/python -m pytest tests/test_corpus_extraction.py -s

Quality gate: for each archived version, the pages of its snapshots are extracted with the
archive's own rules and compared with the archive's Markdown. Both sides go through
``normalise_text``, are lower-cased and cut into *word tokens*: maximal runs of Unicode letters
and digits (``[^\\W_]+``). Punctuation, Markdown syntax (``#``, ``-``, ``|``, ``*``, ``===``,
the archive's ``1\\.`` escapes) and link targets (removed by ``normalise_text``) are thus not
words, and "don't" is "don" + "t" on both sides alike. Recall and precision are computed on the
*sets* of distinct tokens, so layout and repetition (a table of contents repeating the headings)
do not count, only vocabulary that is missing or extra.
"""

import gzip
import json
import os
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import pytest

from snapshots.extract import Rules, comparison_key, extract, normalise_text

pytestmark = pytest.mark.corpus

CORPUS = Path(os.environ.get("CLAUSEWATCH_CORPUS") or Path(__file__).resolve().parents[1].parent / "shared" / "corpus")
if not (CORPUS / "manifest_html.json").is_file():
    pytest.skip(f"corpus not found at {CORPUS}", allow_module_level=True)

MIN_RECALL = 0.95
MIN_PRECISION = 0.90
# Archive defects excluded from the gate, by "service / terms type": one-line reason each.
KNOWN_ARCHIVE_DEFECTS = {
    # legal.mistral.ai is declared with select = ["div"]: the archive repeats nested text.
    "Mistral AI / Privacy Policy": "archive text duplicated by select = ['div']",
    "Mistral AI / Data Processing Agreement": "archive text duplicated by select = ['div']",
}
_TOKEN = re.compile(r"[^\W_]+")
_ATX = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_SETEXT = re.compile(r"^(\S.*)\n(?:=+|-+)\s*$", re.M)

MANIFEST_HTML = json.loads((CORPUS / "manifest_html.json").read_text())
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(normalise_text(text).lower())


def archive_rules(rules: dict) -> Rules:
    select = list(rules.get("select") or [])
    if rules.get("range_selectors"):
        select += list(rules.get("select_ranges") or [])
    return Rules.from_declaration(select or None, list(rules.get("remove") or []) or None)


@lru_cache(maxsize=None)
def body_of(path: str) -> bytes:
    return gzip.decompress((CORPUS / path).read_bytes())


@lru_cache(maxsize=None)
def extracted(path: str, rules_json: str | None):
    rules = Rules.from_json(json.loads(rules_json)) if rules_json else Rules()
    return extract(body_of(path), url=f"file://{path}", rules=rules)


def html_snapshots():
    """Unique (path, rules as JSON) of every HTML snapshot."""
    seen = {}
    for document in MANIFEST_HTML["documents"]:
        for snapshot in document["snapshots"]:
            if snapshot["path"].endswith(".html.gz"):
                rules = archive_rules(snapshot["rules"])
                seen[(snapshot["path"], json.dumps(rules.to_json(), sort_keys=True))] = snapshot
    return sorted(seen)


def test_every_html_snapshot_extracts_deterministically_and_non_empty():
    failures, problems = [], []
    for path, rules_json in html_snapshots():
        body = body_of(path)
        for label, rules_key in (("rules", rules_json), ("generic", None)):
            first = extracted(path, rules_key)
            rules = Rules.from_json(json.loads(rules_key)) if rules_key else Rules()
            again = extract(body, url=f"file://{path}", rules=rules)
            if again != first:
                failures.append(f"not deterministic ({label}): {path}")
            if not first.text:
                if label == "rules" and first.problem_kind in ("selector-matched-nothing", "script-shell"):
                    problems.append(f"{path}: {first.problem}")  # a broken snapshot, explained
                else:
                    failures.append(f"empty ({label}): {path}: {first.problem}")
    print(f"\n{len(html_snapshots())} snapshots; empty with rules, explained by a problem: {len(problems)}")
    for line in problems:
        print("  ", line)
    assert not failures, "\n".join(failures)


def _pairs(flag: str):
    for document in MANIFEST["documents"]:
        versions = document["versions"]
        for previous, version in zip(versions, versions[1:]):
            if version.get("prev_in_dataset") and flag in (version.get("noise_heuristic") or []):
                yield document, previous, version


def _same_key(previous, version) -> bool:
    read = lambda v: (CORPUS / v["path"]).read_text(encoding="utf-8")  # noqa: E731
    return comparison_key(read(previous)) == comparison_key(read(version))


def test_whitespace_only_versions_have_equal_comparison_keys():
    pairs = list(_pairs("whitespace_only"))
    different = [f"{d['service']} / {d['terms_type']} {v['path']}" for d, p, v in pairs if not _same_key(p, v)]
    print(f"\nwhitespace_only: {len(pairs) - len(different)}/{len(pairs)} equal keys")
    assert pairs and not different, "\n".join(different)


def test_ids_or_query_string_versions_mostly_have_equal_comparison_keys():
    pairs = list(_pairs("ids_or_query_strings_only"))
    different = [f"{d['service']} / {d['terms_type']} {v['path']}" for d, p, v in pairs if not _same_key(p, v)]
    share = 1 - len(different) / len(pairs)
    print(f"\nids_or_query_strings_only: {len(pairs) - len(different)}/{len(pairs)} equal keys ({share:.1%}); exceptions:")
    for line in different:
        print("  ", line)
    assert share >= 0.90


def archive_headings(markdown: str) -> list[str]:
    return [h for h in _ATX.findall(markdown) + _SETEXT.findall(markdown) if tokens(h)]


def _versions():
    """(document, version commit, [snapshots ordered by source_document_id], archive version)."""
    by_commit = {v["commit"]: v for d in MANIFEST["documents"] for v in d["versions"]}
    for document in MANIFEST_HTML["documents"]:
        groups = defaultdict(list)
        for snapshot in document["snapshots"]:
            if snapshot["role"] == "version_source" and snapshot["path"].endswith(".html.gz"):
                groups[snapshot["for_version_commit"]].append(snapshot)
        for commit, snapshots in groups.items():
            if commit in by_commit:
                snapshots.sort(key=lambda s: s["source_document_id"] or "")
                yield document, commit, snapshots, by_commit[commit]


def _scores(archive: str, ours: str) -> tuple[float, float]:
    wanted, got = set(tokens(archive)), set(tokens(ours))
    common = len(wanted & got)
    return common / max(1, len(wanted)), common / max(1, len(got))


def test_quality_gate_against_the_archive_text():
    rows, failures = [], []
    for document, commit, snapshots, version in _versions():
        name = f"{document['service']} / {document['terms_type']}"
        archive = (CORPUS / version["path"]).read_text(encoding="utf-8")
        texts = {}
        for label in ("rules", "generic"):
            parts = []
            for snapshot in snapshots:
                rules_json = json.dumps(archive_rules(snapshot["rules"]).to_json(), sort_keys=True) if label == "rules" else None
                parts.append(extracted(snapshot["path"], rules_json).text)
            texts[label] = "\n\n".join(parts)
        recall, precision = _scores(archive, texts["rules"])
        generic = _scores(archive, texts["generic"])
        ours = " " + " ".join(tokens(texts["rules"])) + " "
        lost = [h for h in archive_headings(archive) if " " + " ".join(tokens(h)) + " " not in ours]
        rows.append((document["collection"], name, commit[:8], len(snapshots), recall, precision, *generic, len(lost)))
        if name in KNOWN_ARCHIVE_DEFECTS:
            continue
        if recall < MIN_RECALL or precision < MIN_PRECISION or lost:
            failures.append(f"{name} {commit[:8]}: recall {recall:.3f} precision {precision:.3f} lost headings {lost[:5]}")
    print(f"\n{'collection':12} {'document':45} {'version':8} pages  R(rules) P(rules)  R(gen)  P(gen) lost-h")
    for row in rows:
        print(f"{row[0]:12} {row[1][:45]:45} {row[2]:8} {row[3]:5} {row[4]:8.3f} {row[5]:8.3f} {row[6]:7.3f} {row[7]:7.3f} {row[8]:6}")
    mean = lambda i: sum(r[i] for r in rows) / len(rows)  # noqa: E731
    print(f"{len(rows)} versions; mean rules R={mean(4):.3f} P={mean(5):.3f}; generic R={mean(6):.3f} P={mean(7):.3f}; "
          f"min rules R={min(r[4] for r in rows):.3f} P={min(r[5] for r in rows):.3f}")
    assert rows and not failures, "\n".join(failures)

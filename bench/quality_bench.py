"""Quality and speed of change classification (``diffing``), on the real corpus.

    .venv/bin/python bench/quality_bench.py [--corpus PATH] [--no-rates]

Prints:

1. corpus rates (as ``tests/test_corpus_classification.py``): share of clean changes reported,
   recall on those not confirmed cosmetic, share of whitespace/id churn reported;
2. speed on ~100 KB documents: corpus documents padded to 100 KB (by repeating their own
   paragraphs) with a typical edit applied (a sentence reworded, a duration changed, a country
   added, a paragraph inserted), diffed once and assessed for 3 profiles of 4 criteria each
   (watch terms and evidence quotes taken from the document). Times: the diff, the first profile
   (edits, cosmetic classification, vocabulary: once per change) and each further profile.
3. the diff on 200 KB rewrites (two unrelated corpus documents, and a real large rewrite);
4. the HTML histories replayed through the real `clausewatch check` from 127.0.0.1, with the
   archive's rules and with generic extraction (as ``tests/test_corpus_replay.py``; ``--no-replay``
   skips it: it takes a few minutes). A real change "names a watched theme" when the archive's own
   edit (its inserted and deleted words, dates aside) holds a term of the built-in vocabulary.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from diffing.assess import CriterionRef, assess  # noqa: E402
from diffing.diff import word_diff  # noqa: E402
from diffing.textkey import match_key, strip_dates  # noqa: E402
from test_corpus_classification import labelled_pairs  # noqa: E402

NOISE = ("whitespace_only", "ids_or_query_strings_only")
TARGET_BYTES = 100_000


def rates(root: Path, manifest: dict) -> None:
    from snapshots.extract import comparison_key, normalise_text

    counts = {"change": [0, 0, 0], "noise": [0, 0, 0]}  # total, reported, confirmed cosmetic
    wrong = []
    for label, previous, version in labelled_pairs(root):
        old_raw = (root / previous["path"]).read_text(encoding="utf-8")
        new_raw = (root / version["path"]).read_text(encoding="utf-8")
        counts[label][0] += 1
        if comparison_key(old_raw) == comparison_key(new_raw):
            counts[label][2] += 1
            continue
        old, new = normalise_text(old_raw), normalise_text(new_raw)
        assessment = assess(old, new, criteria=(), document_label=version["path"].split("/")[2])
        counts[label][1] += assessment.reported
        confirmed = not assessment.reported and match_key(strip_dates(old)) == match_key(strip_dates(new))
        counts[label][2] += confirmed
        if (label == "change") != assessment.reported and not confirmed:
            wrong.append((label, version["path"], assessment.summary))
    total, reported, confirmed = counts["change"]
    print(f"clean changes: {total}, reported {reported} ({reported / total:.1%}); "
          f"{confirmed} confirmed cosmetic/no change; recall on the other {total - confirmed}: "
          f"{reported / (total - confirmed):.1%}")  # fmt: skip
    total, reported, _ = counts["noise"]
    print(f"whitespace/id churn: {total}, reported {reported} ({reported / total:.1%})")
    for label, path, summary in wrong:
        print(f"  misclassified {label}: {path}\n      {summary}")


def pad(text: str, size: int = TARGET_BYTES) -> str:
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    out, k = [text], 0
    while sum(len(p) for p in out) < size and paragraphs:
        out.append(paragraphs[k % len(paragraphs)])
        k += 1
    return "\n\n".join(out)


def typical_edit(text: str, rng: random.Random) -> str:
    sentences = re.findall(r"[A-Z][^.\n]{40,200}\.", text)
    edit = rng.choice(["reword", "duration", "country", "paragraph"])
    if edit == "reword" and sentences:
        s = rng.choice(sentences)
        words = s.split()
        words[len(words) // 2] = "substantially"
        return text.replace(s, " ".join(words), 1)
    if edit == "duration" and re.search(r"\b\d+ days\b", text):
        return re.sub(r"\b(\d+) days\b", lambda m: f"{int(m.group(1)) + 60} days", text, count=1)
    if edit == "country" and sentences:
        s = rng.choice(sentences)
        return text.replace(s, s[:-1] + " and in the United States.", 1)
    at = text.find("\n\n", len(text) // 2)
    return text[:at] + "\n\nWe may share personal data with sub-processors located outside the EEA." + text[at:]


def profiles(text: str, rng: random.Random) -> list[list[CriterionRef]]:
    sentences = re.findall(r"[A-Z][^.\n]{40,160}\.", text) or ["no quote"]
    watch = [("sub-processor",), ("United States", "transfer"), ("train", "opt-out"), ("retention", "days")]
    out = []
    for p in range(3):
        out.append([
            CriterionRef(f"p{p}c{k}", f"Criterion {k}", watch=watch[k], evidence=tuple(rng.sample(sentences, min(2, len(sentences)))))
            for k in range(4)
        ])  # fmt: skip
    return out


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
    return f"p50 {statistics.median(values) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {values[-1] * 1000:.1f} ms"


def speed(root: Path, manifest: dict, samples: int) -> None:
    from snapshots.extract import normalise_text

    rng = random.Random(42)
    docs = []
    for document in manifest["documents"]:
        last = document["versions"][-1]
        if last["bytes"] > 20_000:
            docs.append(root / last["path"])
    rng.shuffle(docs)
    diff_times, first_times, next_times, total_times = [], [], [], []
    for path in docs[:samples]:
        old = pad(normalise_text(path.read_text(encoding="utf-8")))
        new = typical_edit(old, rng)
        if new == old:
            new = old.replace(".", ";", 1)
        start = time.perf_counter()
        ops = word_diff(old, new)
        diff_times.append(time.perf_counter() - start)
        for k, criteria in enumerate(profiles(old, rng)):
            start = time.perf_counter()
            assess(old, new, criteria=criteria, document_label=path.parent.name, ops=ops)
            (first_times if k == 0 else next_times).append(time.perf_counter() - start)
        total_times.append(diff_times[-1] + first_times[-1])
    print(f"speed on {len(diff_times)} documents of ~{TARGET_BYTES // 1000} KB with a typical edit:")
    print(f"  diff alone:                         {percentiles(diff_times)}")
    print(f"  classification, first profile:      {percentiles(first_times)}")
    print(f"  classification, further profiles:   {percentiles(next_times)}")
    print(f"  diff + first profile:               {percentiles(total_times)}")


def rewrites(root: Path, manifest: dict) -> None:
    from snapshots.extract import normalise_text

    big = sorted(
        (v["bytes"], root / v["path"]) for d in manifest["documents"] for v in d["versions"][-1:]
    )[-6:]
    texts = [normalise_text(path.read_text(encoding="utf-8")) for _, path in big]
    times = []
    for a, b in zip(texts, texts[1:]):
        a, b = pad(a, 200_000), pad(b, 200_000)
        start = time.perf_counter()
        word_diff(a, b)
        times.append(time.perf_counter() - start)
    print(f"diff of unrelated ~200 KB documents (worst-case rewrites): {percentiles(times)}")


def replay(corpus: Path) -> None:
    import tempfile

    from conftest import Home, Site
    from corpus_replay import replay as run_replay

    print("\nHTML histories replayed through clausewatch check (targets: rules churn <= 2%, changes >= 95%; "
          "generic churn <= 5%, changes >= 90%)")
    site = Site()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tallies = run_replay(corpus, Home(Path(tmp)), site)
    finally:
        site.close()
    print("\n| mode | real changes reported | page churn reported | real changes rated `material` "
          "| real changes naming a watched theme rated `material` |")
    print("|---|---|---|---|---|")
    for name, tally in tallies.items():
        print(f"| {name} | {tally.rate('change'):.3f} ({tally.counts['change', 'reported']}/{tally.total('change')}) "
              f"| {tally.rate('churn'):.3f} ({tally.counts['churn', 'reported']}/{tally.total('churn')}) "
              f"| {tally.material_rate():.3f} ({tally.material['change']}/{tally.total('change')}) "
              f"| {tally.themed_rate():.3f} ({tally.themed['material']}/{tally.themed['total']}) |")
    print()
    for name, tally in tallies.items():
        print("  " + tally.line(name))
        for line in tally.misses + tally.unscored:
            print("      " + line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("CLAUSEWATCH_CORPUS") or ROOT.parent / "shared" / "corpus"
    parser.add_argument("--corpus", type=Path, default=Path(default))
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--no-rates", action="store_true", help="skip the corpus rates (slow)")
    parser.add_argument("--no-replay", action="store_true", help="skip the HTML replay through clausewatch check")
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text(encoding="utf-8"))
    if not args.no_rates:
        rates(args.corpus, manifest)
    speed(args.corpus, manifest, args.samples)
    rewrites(args.corpus, manifest)
    if not args.no_replay:
        replay(args.corpus)


if __name__ == "__main__":
    main()

"""Replay the corpus's labelled HTML histories through the real `clausewatch check`.

Every history becomes two documents served from 127.0.0.1: `/rules/ID`, declared with the
archive's own select/remove rules, and `/generic/ID`, declared with none. Step i of every history
is served at once and one check runs per step, so ten checks replay the whole corpus. A transition
counts as reported when the check records a change of that document with a reported assessment.

A `change` label comes from the archive's commits; when the archive's own two texts are the same
once case, punctuation, Markdown, links and date expressions are ignored (a "Last updated" date, a
curly apostrophe, `<br>` formatting), the transition is not scored: the product records such an
edit as cosmetic or as no change at all, by design. Those transitions are listed, not hidden.

Used by tests/test_corpus_replay.py (thresholds) and bench/quality_bench.py (figures).
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from diffing.textkey import match_key, strip_dates
from snapshots.extract import normalise_text
from snapshots.models import Anomaly, Assessment, Change, Document


# Labels of the archive that clausewatch disagrees with by design, by snapshot file name, each with
# its reason: they are listed with the results and not scored.
KNOWN_LABEL_DEFECTS = {
    "2026-01-10T07-03-16Z_85f464e6.html.gz": "GitHub's page gained a button 'View page as Markdown': UI, not the document",
    "2026-03-12T07-02-12Z_a4164204.html.gz": "GitHub's button relabelled 'Copy as Markdown': UI, not the document",
    "2026-05-01T07-03-43Z_9aa1740d.html.gz": "the archive recorded the error page \"This page isn't available at the "
                                             "moment\" as a version and reverted it 12 hours later; a guard holds "
                                             "such a page until it persists (issue 12: a stub that comes and goes "
                                             "leaves no change)",
}


def archived_texts(corpus: Path) -> dict:
    """(service, terms type, version date) -> (previous archived text path, archived text path)."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    out = {}
    for doc in manifest["documents"]:
        versions = doc["versions"]
        for prev, version in zip(versions, versions[1:]):
            out[doc["service"], doc["terms_type"], version["date"]] = (prev["path"], version["path"])
    return out


def themed(corpus: Path, paths) -> bool:
    """The archive's own edit names a watched theme: its inserted or deleted words hold a term of
    the built-in vocabulary (data location, sub-processors, retention, training …)."""
    if paths is None:
        return False
    from diffing.diff import word_diff
    from diffing.vocabulary import Vocabulary

    old, new = (normalise_text((corpus / p).read_text(encoding="utf-8")) for p in paths)
    changed = " ".join(text for op, text in word_diff(strip_dates(old), strip_dates(new)) if op)
    return bool(Vocabulary.default().themes_in(changed))


def format_only(corpus: Path, paths) -> bool:
    if paths is None:
        return False
    # `<br>` in the archive's Markdown tables is formatting, like the rest of the Markdown syntax
    old, new = (normalise_text(re.sub(r"<br\s*/?>", " ", (corpus / p).read_text(encoding="utf-8"))) for p in paths)
    return match_key(strip_dates(old)) == match_key(strip_dates(new))


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)  # (label, "reported" | "anomaly" | "silent")
    material: Counter = field(default_factory=Counter)  # label -> transitions rated material
    themed: Counter = field(default_factory=Counter)  # "total" | "material": changes naming a watched theme
    misses: list = field(default_factory=list)
    unscored: list = field(default_factory=list)

    def add(self, label: str, reported: bool, anomaly: bool, where: str, material: bool = False,
            themed: bool = False) -> None:
        outcome = "reported" if reported else "anomaly" if anomaly else "silent"
        self.counts[label, outcome] += 1
        self.material[label] += bool(reported and material)
        if label == "change" and themed:
            self.themed["total"] += 1
            self.themed["material"] += bool(reported and material)
            if not (reported and material):
                self.misses.append(f"change naming a watched theme not rated material: {where}")
        if label == "change" and outcome != "reported":
            self.misses.append(f"change {'held as an anomaly' if anomaly else 'missed'}: {where}")
        elif label == "churn" and outcome != "silent":
            self.misses.append(f"churn {outcome}: {where}")

    def total(self, label: str) -> int:
        return sum(n for (lab, _), n in self.counts.items() if lab == label)

    def rate(self, label: str, *outcomes: str) -> float:
        total = self.total(label)
        return sum(self.counts[label, o] for o in outcomes or ("reported",)) / total if total else float("nan")

    def material_rate(self, label: str = "change") -> float:
        """Share of the label's transitions reported with a `material` assessment."""
        total = self.total(label)
        return self.material[label] / total if total else float("nan")

    def themed_rate(self) -> float:
        """Share of real changes naming a watched theme reported with a `material` assessment."""
        return self.themed["material"] / self.themed["total"] if self.themed["total"] else float("nan")

    def line(self, name: str) -> str:
        c = self.counts
        return (f"{name:8} changes reported {c['change', 'reported']}/{self.total('change')} "
                f"({self.rate('change'):.1%}; {c['change', 'anomaly']} more held as anomalies), "
                f"churn reported {c['churn', 'reported']}/{self.total('churn')} ({self.rate('churn'):.1%}; "
                f"{c['churn', 'anomaly']} anomalies)")


def _toml_source(sid: str, url: str, rules: dict | None) -> str:
    lines = [f"[sources.{sid}]", f"url = {json.dumps(url)}", 'type = "other"']
    if rules:
        lines.append(f"select = {json.dumps(rules['select'])}")
        if rules.get("remove"):
            lines.append(f"remove = {json.dumps(rules['remove'])}")
    return "\n".join(lines) + "\n"


def replay(corpus: Path, home, site) -> dict[str, Tally]:
    """Run the replay with a conftest `Home` and `Site`; returns tallies for 'rules' and 'generic'."""
    sys.path.insert(0, str(corpus))
    import pairs

    histories = list(pairs.histories(str(corpus)))
    archived = archived_texts(corpus)
    parts = ['name = "Corpus replay"', 'provider = "Open Terms Archive corpus"', ""]
    for i, h in enumerate(histories):
        if h.rules is not None:
            parts.append(_toml_source(f"r{i}", site.url(f"/rules/{i}"), h.rules))
        parts.append(_toml_source(f"g{i}", site.url(f"/generic/{i}"), None))
    home.profile("replay", "\n".join(parts))
    home.env["CLAUSEWATCH_OBEY_ROBOTS"] = "0"
    home.env["CLAUSEWATCH_PROCESSES"] = "2"
    tallies = {"rules": Tally(), "generic": Tally()}
    db = None
    for step in range(max(len(h.steps) for h in histories)):
        for i, h in enumerate(histories):
            if step < len(h.steps):
                body = pairs.read(str(corpus), h.steps[step].path)
                ctype = "application/pdf" if h.steps[step].path.endswith(".pdf.gz") else "text/html; charset=utf-8"
                for prefix in ("rules", "generic"):
                    site.serve(f"/{prefix}/{i}", body, Content_Type=ctype)
        result = json.loads(home.run("check", "--json", timeout=600).stdout)
        if step == 0:
            continue
        db = db or home.database()
        with db.session() as s:
            reported = {doc_key for doc_key, in s.execute(
                select(Document.key).join(Change, Change.document_id == Document.id)
                .join(Assessment, Assessment.change_id == Change.id)
                .where(Change.run_id == result["run_id"], Assessment.reported.is_(True)))}
            material = {doc_key for doc_key, in s.execute(
                select(Document.key).join(Change, Change.document_id == Document.id)
                .join(Assessment, Assessment.change_id == Change.id)
                .where(Change.run_id == result["run_id"], Assessment.reported.is_(True),
                       Assessment.significance == "material"))}
            flagged = {doc_key for doc_key, in s.execute(
                select(Document.key).join(Anomaly, Anomaly.document_id == Document.id)
                .where(Anomaly.run_id == result["run_id"]))}
        for i, h in enumerate(histories):
            if step >= len(h.steps) or h.steps[step].label not in ("change", "churn"):
                continue
            st = h.steps[step]
            where = f"{h.service} / {h.terms_type} {st.date} ({st.path})"
            defect = KNOWN_LABEL_DEFECTS.get(st.path.rsplit("/", 1)[-1])
            if defect:
                for tally in tallies.values():
                    tally.unscored.append(f"{defect}: {where}")
                continue
            if st.label == "change" and format_only(corpus, archived.get((h.service, h.terms_type, st.version_date))):
                for tally in tallies.values():
                    tally.unscored.append(f"format-only in the archive too: {where}")
                continue
            theme = st.label == "change" and themed(corpus, archived.get((h.service, h.terms_type, st.version_date)))
            if h.rules is not None and st.rules_ok:
                url = site.url(f"/rules/{i}")
                tallies["rules"].add(st.label, url in reported, url in flagged, where, url in material, theme)
            if not (st.label == "churn" and h.shared_page):
                url = site.url(f"/generic/{i}")
                tallies["generic"].add(st.label, url in reported, url in flagged, where, url in material, theme)
    return tallies

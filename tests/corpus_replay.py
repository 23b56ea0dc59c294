"""Replay the corpus's labelled HTML histories through the real `clausewatch check`.

Every history becomes two documents served from 127.0.0.1: `/rules/ID`, declared with the
archive's own select/remove rules, and `/generic/ID`, declared with none. Step i of every history
is served at once and one check runs per step, so ten checks replay the whole corpus. A transition
counts as reported when the check records a change of that document with a reported assessment.

Used by tests/test_corpus_replay.py (thresholds) and bench/quality_bench.py (figures).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from snapshots.models import Assessment, Change, Document


@dataclass
class Tally:
    counts: Counter = field(default_factory=Counter)
    misses: list = field(default_factory=list)

    def add(self, label: str, reported: bool, where: str) -> None:
        self.counts[label, reported] += 1
        if reported != (label == "change"):
            self.misses.append(f"{label} {'reported' if reported else 'missed'}: {where}")

    def rate(self, label: str) -> float:
        total = self.counts[label, True] + self.counts[label, False]
        return self.counts[label, True] / total if total else float("nan")

    def line(self, name: str) -> str:
        n = {lab: self.counts[lab, True] + self.counts[lab, False] for lab in ("change", "churn")}
        return (f"{name:8} changes reported {self.counts['change', True]}/{n['change']} ({self.rate('change'):.1%}), "
                f"churn reported {self.counts['churn', True]}/{n['churn']} ({self.rate('churn'):.1%})")


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
        for i, h in enumerate(histories):
            if step >= len(h.steps) or h.steps[step].label not in ("change", "churn"):
                continue
            st = h.steps[step]
            where = f"{h.service} / {h.terms_type} {st.date} ({st.path})"
            if h.rules is not None and st.rules_ok:
                tallies["rules"].add(st.label, site.url(f"/rules/{i}") in reported, where)
            if not (st.label == "churn" and h.shared_page):
                tallies["generic"].add(st.label, site.url(f"/generic/{i}") in reported, where)
    return tallies

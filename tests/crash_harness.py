"""The kill harness: `clausewatch check` killed with SIGKILL at a named point, then re-run normally.

A scenario is a list of epochs (the site's pages at that time). The reference is one uninterrupted
check per epoch. A crash run does, per epoch, a check killed at the point (`CLAUSEWATCH_CRASH_AT`,
see crawler/crashpoints.py) followed by a normal check. After every step the archive must pass
`integrity()`, and at the end its history must equal the reference's (`history()`).

Used by tests/test_crash_safety.py (a sample of points per run) and bench/robustness_report.py
(every point).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

from sqlalchemy import func, select

from crawler.crashpoints import POINTS, VARIABLE
from snapshots.models import Alert, Anomaly, Assessment, Blob, Change, Document, Run, Snapshot, Version

PARAGRAPH = ("Customer data is stored in Ireland and deleted thirty days after the end of the contract. "
             "Sub-processors are listed on the trust centre and customers are told before a new one is added. ")


def page(title: str, extra: str = "", n: int = 8) -> str:
    body = "".join(f"<p>{PARAGRAPH} Clause {i}.</p>" for i in range(n))
    return f"<html><body><main><h1>{title}</h1>{body}<p>{extra}</p></main></body></html>"


EPOCHS = [
    {"/a": page("Privacy"), "/b": page("DPA"), "/c": page("Terms"), "/d": page("Help")},
    {"/a": page("Privacy", "Data may also be stored in the United States."), "/b": page("DPA", "Audits yearly."),
     "/c": page("Terms"), "/d": page("Help")},
    {"/a": page("Privacy", "Data may also be stored in the United States."), "/b": page("DPA", "Audits monthly."),
     "/c": None, "/d": page("Help", "Retention is ninety days.")},
]


def serve_epoch(site, epoch: dict) -> None:
    for path, body in epoch.items():
        if body is None:
            site.serve(path, "<html><body>Not found</body></html>", 404)
        else:
            site.serve(path, body)


ALERTS = """base_url = "http://127.0.0.1:8000"
[[subscriptions]]
name = "analysts"
notify = ["json://127.0.0.1:9/hook"]   # nobody listens: deliveries wait, alerts must not be lost or doubled
min_significance = "minor"
"""


def setup(home, site) -> None:
    home.simple_profile("acme", {p.strip("/"): site.url(p) for p in EPOCHS[0]})
    (home.dir / "alerts.toml").write_text(ALERTS)
    home.env["CLAUSEWATCH_PROCESSES"] = "2"  # the pool too: its workers must die with the run


def check(home, crash_at: str | None = None, timeout: float = 120) -> int:
    env = dict(home.env)
    if crash_at:
        env[VARIABLE] = crash_at
    proc = subprocess.run([sys.executable, "-m", "crawler", "check", "--json"], env=env, cwd=home.root,
                          capture_output=True, text=True, timeout=timeout)
    return proc.returncode


def check_killed_after(home, seconds: float) -> int:
    """A check killed by time rather than at a named point."""
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "check", "--json"], env=home.env, cwd=home.root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait()


def integrity(db) -> list[str]:
    """Problems in the archive; [] when every invariant holds."""
    problems = []
    with db.session() as s:
        blobs = set(s.scalars(select(Blob.sha256)))
        snapshots = {x.id: x for x in s.scalars(select(Snapshot))}
        versions = {v.id: v for v in s.scalars(select(Version))}
        for v in versions.values():
            if v.text_sha256 not in blobs:
                problems.append(f"version {v.id}: text bytes missing")
            for sid in v.snapshot_ids:
                if sid not in snapshots or snapshots[sid].sha256 not in blobs:
                    problems.append(f"version {v.id}: snapshot {sid} or its bytes missing")
        for c in s.scalars(select(Change)):
            a, b = versions.get(c.from_version_id), versions.get(c.to_version_id)
            if a is None or b is None or a.document_id != b.document_id or a.document_id != c.document_id:
                problems.append(f"change {c.id}: does not link two versions of one document")
        for doc in s.scalars(select(Document)):
            keys = [v.key for v in sorted((v for v in versions.values() if v.document_id == doc.id), key=lambda v: v.id)]
            if any(x == y for x, y in zip(keys, keys[1:])):
                problems.append(f"document {doc.id}: two consecutive versions with the same text")
            if doc.current_version_id is not None and doc.current_version_id != max(
                    (v.id for v in versions.values() if v.document_id == doc.id), default=None):
                problems.append(f"document {doc.id}: current version is not its newest")
        per_change = s.execute(select(Assessment.change_id, Assessment.profile, func.count())
                               .group_by(Assessment.change_id, Assessment.profile)).all()
        problems += [f"change {c}: {n} assessments for {p}" for c, p, n in per_change if n != 1]
        problems += [f"run {r.id} still running" for r in s.scalars(select(Run).where(Run.status == "running"))]
        alerts = s.execute(select(Alert.subscription, Alert.change_id, Alert.profile, func.count())
                           .where(Alert.change_id.is_not(None))
                           .group_by(Alert.subscription, Alert.change_id, Alert.profile)).all()
        problems += [f"change {c}: {n} alerts for {sub}/{p}" for sub, c, p, n in alerts if n != 1]
        alerted = {c for _, c, _, _ in alerts}
        for a in s.scalars(select(Assessment).where(Assessment.reported.is_(True))):
            if a.change_id not in alerted:
                problems.append(f"change {a.change_id}: reported for {a.profile} but no alert was queued")
    return problems


def history(db) -> dict:
    """What must not depend on crashes: per document, its texts in order, its changes, open anomalies."""
    with db.session() as s:
        out = {}
        for doc in s.scalars(select(Document).order_by(Document.key)):
            versions = list(s.scalars(select(Version).where(Version.document_id == doc.id).order_by(Version.id)))
            key_of = {v.id: v.key for v in versions}
            changes = [(key_of[c.from_version_id], key_of[c.to_version_id], c.kind,
                        tuple(sorted((a.profile, a.significance, a.reported) for a in c.assessments)))
                       for c in s.scalars(select(Change).where(Change.document_id == doc.id).order_by(Change.id))]
            anomalies = sorted(a.kind for a in s.scalars(select(Anomaly).where(Anomaly.document_id == doc.id,
                                                                               Anomaly.open.is_(True))))
            out[urlsplit(doc.urls[0]).path] = {"texts": [v.key for v in versions], "changes": changes, "anomalies": anomalies}
        return out


def reference(home, site) -> dict:
    setup(home, site)
    for epoch in EPOCHS:
        serve_epoch(site, epoch)
        check(home)
    return history(home.database())


def crash_run(home, site, point: str, epoch_index: int) -> tuple[bool, list[str], dict]:
    """Kill at `point` during epoch `epoch_index`'s check; (was it killed, problems, final history)."""
    setup(home, site)
    killed = False
    problems: list[str] = []
    for i, epoch in enumerate(EPOCHS):
        serve_epoch(site, epoch)
        if i == epoch_index:
            killed = check(home, crash_at=point) == -signal.SIGKILL
            problems += [f"after the kill: {p}" for p in integrity(home.database()) if "still running" not in p]
        check(home)
        problems += integrity(home.database())
    return killed, problems, history(home.database())


def kill_points() -> list[tuple[str, int]]:
    return [(point, epoch) for point in POINTS for epoch in range(len(EPOCHS))]

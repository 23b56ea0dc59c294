"""Which subscription is owed which change or anomaly: the filters of alerts.toml as plain functions.

A change is owed to a subscription for each citing profile it names (or all) when the change is a
real edit (not a flip-back or rebaseline), its significance for that profile reaches
`min_significance`, and — with `criteria` set — it may affect one of them: its affected criteria,
or, for a change without any (a minor edit), the criteria citing the changed source. An anomaly is
owed when `anomalies = true` and a profile (and criterion) of the subscription cites the document.
"""

from __future__ import annotations

from collections.abc import Iterable

from crawler.alerts.config import Alerts, Subscription
from diffing.significance import Significance
from snapshots.kinds import AlertKind, VersionKind


def _criteria_citing(catalog, profile: str, source: str) -> list[str]:
    p = catalog.profiles.get(profile)
    return [c.id for c in p.criteria_citing(source)] if p else []


def _criteria_match(sub: Subscription, profile: str, criteria: Iterable[str]) -> bool:
    if not sub.criteria:
        return True
    return any(c in sub.criteria or f"{profile}/{c}" in sub.criteria for c in criteria)


def change_matches(sub: Subscription, catalog, a) -> bool:
    """`a` is a snapshots.reported.AssessmentRow."""
    if a.change_kind != VersionKind.CHANGE:
        return False
    if sub.profiles and a.profile not in sub.profiles:
        return False
    if Significance(a.significance).rank < sub.min_significance.rank:
        return False
    return _criteria_match(sub, a.profile, a.affected_criteria or _criteria_citing(catalog, a.profile, a.source))


def anomaly_matches(sub: Subscription, catalog, citing: Iterable[tuple[str, str]]) -> bool:
    if not sub.anomalies:
        return False
    for profile, source in citing:
        if sub.profiles and profile not in sub.profiles:
            continue
        if _criteria_match(sub, profile, _criteria_citing(catalog, profile, source)):
            return True
    return False


def change_alerts(alerts: Alerts, catalog, assessments, run_id: str | None) -> list[dict]:
    """Outbox rows for one recorded change: one per (subscription, citing profile) owed it."""
    return [{"subscription": sub.name, "kind": AlertKind.CHANGE, "change_id": a.change_id, "profile": a.profile,
             "run_id": run_id}
            for sub in alerts.subscriptions for a in assessments if change_matches(sub, catalog, a)]


def anomaly_alerts(alerts: Alerts, catalog, anomaly_id: int, citing, kind: AlertKind, run_id: str | None) -> list[dict]:
    citing = list(citing)
    return [{"subscription": sub.name, "kind": kind, "anomaly_id": anomaly_id, "run_id": run_id}
            for sub in alerts.subscriptions if anomaly_matches(sub, catalog, citing)]

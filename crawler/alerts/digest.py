"""The digest of one subscription: its alerts grouped by profile, then criterion, ready to render.

Each change appears under every criterion it may affect (in the profile's order), in full the
first time and as a reference after that; changes affecting no criterion come last under "Other
changes". Each carries its significance, the affected criteria with their current rating (from
today's profiles), its findings with a diff excerpt each, and the link to its review page.
Anomalies that opened or closed follow the profiles.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from crawler.alerts.excerpts import Excerpt, excerpts
from diffing.significance import Significance
from snapshots import reported
from snapshots.kinds import AlertKind

MAX_FINDINGS = 6  # per change; "and N more" after
MAX_DETAILED = 40  # changes shown with findings and excerpts; the others as one line each


@dataclass(frozen=True)
class CriterionView:
    id: str
    label: str
    rating: str


@dataclass(frozen=True)
class FindingView:
    kind: str
    criterion: str | None  # label
    detail: str
    section: str | None
    excerpt: Excerpt | None


@dataclass
class ChangeView:
    change_id: int
    link: str
    profile: str
    source: str  # the source's label, e.g. "DPA"
    url: str
    significance: Significance
    summary: str
    detected_at: dt.datetime
    criteria: list[CriterionView] = field(default_factory=list)  # affected, with today's rating
    findings: list[FindingView] = field(default_factory=list)
    more_findings: int = 0
    detailed: bool = True


@dataclass
class CriterionGroup:
    criterion: CriterionView | None  # None: changes affecting no criterion
    entries: list[tuple[ChangeView, bool]] = field(default_factory=list)  # (change, shown in full here)


@dataclass
class ProfileGroup:
    id: str
    name: str
    groups: list[CriterionGroup] = field(default_factory=list)


@dataclass(frozen=True)
class AnomalyView:
    opened: bool
    kind: str
    url: str
    detail: str
    at: dt.datetime | None
    sources: tuple[str, ...]  # "Profile name: source label"
    profiles: tuple[str, ...]  # profile names


@dataclass
class DigestView:
    subscription: str
    base_url: str
    run_id: str | None
    profiles: list[ProfileGroup] = field(default_factory=list)
    anomalies: list[AnomalyView] = field(default_factory=list)
    sample: bool = False  # `alerts --test`

    @property
    def changes(self) -> dict[int, Significance]:
        """Each change once, at its highest significance among the profiles of this digest."""
        out: dict[int, Significance] = {}
        for p in self.profiles:
            for g in p.groups:
                for c, _ in g.entries:
                    if c.change_id not in out or c.significance.rank > out[c.change_id].rank:
                        out[c.change_id] = c.significance
        return out

    @property
    def empty(self) -> bool:
        return not self.profiles and not self.anomalies


def _profile_name(catalog, pid: str) -> str:
    p = catalog.profiles.get(pid)
    return p.name if p else pid


def _source_label(catalog, pid: str, sid: str) -> str:
    p = catalog.profiles.get(pid)
    return p.sources[sid].label if p and sid in p.sources else sid


def change_view(session, catalog, base_url: str, change: reported.ChangeRow, a: reported.AssessmentRow,
                detailed: bool = True) -> ChangeView:
    profile = catalog.profiles.get(a.profile)
    criteria = {c.id: c for c in profile.criteria} if profile else {}
    view = ChangeView(change.id, f"{base_url}/changes/{change.id}", a.profile, _source_label(catalog, a.profile, a.source),
                      change.url, Significance(a.significance), a.summary, change.detected_at, detailed=detailed)
    view.criteria = [CriterionView(cid, criteria[cid].label, criteria[cid].rating) if cid in criteria
                     else CriterionView(cid, cid, "unknown") for cid in a.affected_criteria]
    findings = list(a.findings[:MAX_FINDINGS])
    view.more_findings = max(0, len(a.findings) - MAX_FINDINGS)
    cuts = excerpts(*reported.texts(session, change), findings) if detailed and findings else [None] * len(findings)
    seen = set()
    for f, cut in zip(findings, cuts):
        if cut is not None and cut in seen:
            cut = None  # the same lines as a finding above
        seen.add(cut)
        label = criteria[f.criterion].label if f.criterion in criteria else f.criterion
        view.findings.append(FindingView(f.kind, label, f.detail, f.section, cut))
    return view


def group(catalog, views: list[ChangeView]) -> list[ProfileGroup]:
    """Profiles by name; in each, criteria in profile order, then the changes affecting none."""
    out = []
    by_profile: dict[str, list[ChangeView]] = {}
    for v in views:
        by_profile.setdefault(v.profile, []).append(v)
    for pid in sorted(by_profile, key=lambda p: (_profile_name(catalog, p).lower(), p)):
        entries = sorted(by_profile[pid], key=lambda v: (-v.significance.rank, v.change_id))
        profile = catalog.profiles.get(pid)
        order = [c.id for c in profile.criteria] if profile else []
        crits: dict[str, CriterionView] = {}
        for v in entries:
            for c in v.criteria:
                crits.setdefault(c.id, c)
        groups, shown = [], set()
        for cid in sorted(crits, key=lambda c: (order.index(c) if c in order else len(order), c)):
            g = CriterionGroup(crits[cid])
            for v in entries:
                if any(c.id == cid for c in v.criteria):
                    g.entries.append((v, v.change_id not in shown))
                    shown.add(v.change_id)
            groups.append(g)
        rest = [v for v in entries if not v.criteria]
        if rest:
            groups.append(CriterionGroup(None, [(v, True) for v in rest]))
        out.append(ProfileGroup(pid, _profile_name(catalog, pid), groups))
    return out


def anomaly_view(catalog, row: reported.AnomalyRow, opened: bool) -> AnomalyView:
    sources = tuple(f"{_profile_name(catalog, p)}: {_source_label(catalog, p, s)}" for p, s in row.citing)
    names = tuple(dict.fromkeys(_profile_name(catalog, p) for p, _ in row.citing))
    return AnomalyView(opened, row.kind, row.url, row.detail, row.since if opened else row.closed_at, sources, names)


def build(session, catalog, base_url: str, subscription: str, alerts, run_id: str | None) -> DigestView:
    """The digest of these queued alerts (snapshots.outbox.QueuedAlert) of one subscription."""
    digest = DigestView(subscription, base_url, run_id)
    change_alerts = [a for a in alerts if a.kind == AlertKind.CHANGE]
    rows = reported.changes(session, {a.change_id for a in change_alerts})
    views, seen = [], set()
    for a in change_alerts:
        change = rows.get(a.change_id)
        if change is None or (a.change_id, a.profile) in seen:
            continue
        seen.add((a.change_id, a.profile))
        assessment = next((x for x in change.assessments if x.profile == a.profile), None)
        if assessment is not None:
            views.append(change_view(session, catalog, base_url, change, assessment, detailed=len(views) < MAX_DETAILED))
    digest.profiles = group(catalog, views)
    anomaly_alerts = [a for a in alerts if a.kind != AlertKind.CHANGE]
    found = reported.anomalies(session, {a.anomaly_id for a in anomaly_alerts})
    for a in anomaly_alerts:
        if a.anomaly_id in found:
            digest.anomalies.append(anomaly_view(catalog, found[a.anomaly_id], a.kind == AlertKind.ANOMALY_OPENED))
    return digest

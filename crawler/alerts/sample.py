"""`alerts --test`: a sample digest for one subscription — its newest matching changes, or a made-up one."""

from __future__ import annotations

from crawler.alerts.digest import (ChangeView, CriterionView, DigestView, FindingView, change_view, group)
from crawler.alerts.excerpts import Excerpt
from crawler.alerts.matching import change_matches
from diffing.diff import DELETE, EQUAL, INSERT
from diffing.significance import Significance
from snapshots import reported
from snapshots.archive import Archive
from snapshots.kinds import utcnow

SAMPLE_CHANGES = 3


def sample_digest(db, catalog, alerts, sub) -> DigestView:
    view = DigestView(sub.name, alerts.base_url, None, sample=True)
    views = []
    with Archive(db).reading() as session:
        for change in reported.reported_changes(session, limit=200):
            for a in change.assessments:
                if change_matches(sub, catalog, a) and len(views) < SAMPLE_CHANGES:
                    views.append(change_view(session, catalog, alerts.base_url, change, a))
    view.profiles = group(catalog, views or [_made_up(catalog, alerts, sub)])
    return view


def _made_up(catalog, alerts, sub) -> ChangeView:
    """A change that never happened, for a subscription with nothing recorded yet."""
    pid = next((p for p in (sub.profiles or sorted(catalog.profiles)) if p in catalog.profiles), None)
    profile = catalog.profiles.get(pid) if pid else None
    crit = profile.criteria[0] if profile and profile.criteria else None
    source = next(iter(profile.sources.values())).label if profile and profile.sources else "DPA"
    criteria = [CriterionView(crit.id, crit.label, crit.rating)] if crit else []
    excerpt = Excerpt("9. Data location", ((EQUAL, "Customer data is stored in "), (DELETE, "Ireland"),
                                           (INSERT, "Ireland and the United States"), (EQUAL, ".")), True, False)
    return ChangeView(0, f"{alerts.base_url}/changes/0", pid or "sample", source, "https://example.org/dpa",
                      Significance.MATERIAL, f'{source} 9. Data location: "Ireland" → "Ireland and the United States" '
                                             "(a sample, not a recorded change)", utcnow(), criteria,
                      [FindingView("watch", crit.label if crit else None, 'watched term inserted: "United States"',
                                   "9. Data location", excerpt)])

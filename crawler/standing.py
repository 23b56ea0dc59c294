"""Does each rating of a profile still stand? The standing of every criterion, in plain Python.

A criterion is

- ``stale`` when a document it cites cannot be vouched for: never checked, its last fetch failed,
  an anomaly is open on it (gone, blocked, suspicious, unreachable), a changed text waits for
  confirmation, or it has not been fetched within ``max_age`` (stuck);
- ``pending`` when a reported change of a document it cites awaits review (unreviewed or marked
  follow-up) and was detected since the profile's ``reviewed`` date; a change counts for the
  criteria its findings name, or for every criterion citing the document when it names none;
- ``evidence-missing`` when one of its evidence quotes is not found in today's text (``fuzzy``
  quotes are listed but do not change the standing);
- ``verified`` otherwise: every cited document fetched fine in its last run, nothing to review.

When several hold, the first of that list wins (``stale`` > ``pending`` > ``evidence-missing``):
a source nobody can read says the least about the rating. Every reason is kept in the result.
The inputs come from ``snapshots.reviews`` (`document_states`, `reported_changes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from crawler.profiles import Criterion, Profile
from diffing.evidence import FOUND, MISSING, evidence_status

VERIFIED, PENDING, STALE, EVIDENCE_MISSING = "verified", "pending", "stale", "evidence-missing"
STANDINGS = (STALE, PENDING, EVIDENCE_MISSING, VERIFIED)  # precedence, first wins
STALE_ANOMALIES = ("gone", "blocked", "suspicious", "unreachable")


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat()


@dataclass
class CriterionStanding:
    id: str
    label: str
    rating: str
    standing: str
    since: dt.datetime | dt.date | None  # pending: first waiting change; stale: failing since; verified: review date
    pending: list[dict] = field(default_factory=list)  # changes awaiting review
    stale: list[dict] = field(default_factory=list)  # documents that cannot be vouched for, and why
    evidence: list[dict] = field(default_factory=list)  # every quote and its status today
    reviewed_changes: int = 0  # reported changes since the profile's review that editors closed

    @property
    def sentence(self) -> str:
        """What a directory page shows next to the rating."""
        if self.standing == PENDING:
            return f"change pending review since {self.since:%Y-%m-%d}"
        if self.standing == STALE:
            return "sources not checked successfully: " + ", ".join(f"{s['source']} ({s['reason']})" for s in self.stale)
        if self.standing == EVIDENCE_MISSING:
            missing = [e for e in self.evidence if e["status"] == MISSING]
            return f"{len(missing)} evidence quote{'s' if len(missing) != 1 else ''} no longer in today's text"
        if self.reviewed_changes:
            n = self.reviewed_changes
            after = f" since the review of {self.since:%Y-%m-%d}" if self.since else ""
            return f"sources checked; {n} change{'s' if n != 1 else ''}{after} reviewed"
        if self.since:
            return f"sources checked and unchanged since the review of {self.since:%Y-%m-%d}"
        return "sources checked and unchanged"

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "rating": self.rating, "standing": self.standing,
                "since": _iso(self.since), "summary": self.sentence, "pending": self.pending, "stale": self.stale,
                "evidence": self.evidence, "reviewed_changes": self.reviewed_changes}


@dataclass
class SourceStanding:
    id: str
    label: str
    type: str
    url: str
    last_checked: dt.datetime | None
    outcome: str | None
    last_change: dt.datetime | None
    problem: str | None

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "type": self.type, "url": self.url,
                "last_checked": _iso(self.last_checked), "outcome": self.outcome,
                "last_change": _iso(self.last_change), "problem": self.problem}


@dataclass
class ProfileStanding:
    id: str
    name: str
    provider: str
    reviewed: dt.date | None
    criteria: list[CriterionStanding]
    sources: list[SourceStanding]

    def to_json(self) -> dict:
        return {"profile": self.id, "name": self.name, "provider": self.provider, "reviewed": _iso(self.reviewed),
                "criteria": [c.to_json() for c in self.criteria], "sources": [s.to_json() for s in self.sources]}


def source_problem(state, now: dt.datetime, max_age: float | None) -> tuple[str, object] | None:
    """(why, since) when a cited document cannot be vouched for; None when it was fetched fine."""
    if state is None or state.last_fetch_at is None:
        return "never checked", None
    if state.current_text is None:
        return "no text recorded yet", state.last_fetch_at
    for anomaly in state.open_anomalies:
        if anomaly.kind in STALE_ANOMALIES:
            return f"{anomaly.kind}: {anomaly.detail}" if anomaly.detail else anomaly.kind, anomaly.since
    if state.last_outcome == "failed":
        failures = f"{state.consecutive_failures} failed check{'s' if state.consecutive_failures != 1 else ''}"
        return f"{failures}: {state.failure_reason}" if state.failure_reason else failures, state.last_fetch_at
    if state.awaiting_confirmation:
        return "a changed text awaits confirmation", state.last_fetch_at
    if max_age and (now - state.last_fetch_at).total_seconds() > max_age:
        return f"stuck: last fetched {state.last_fetch_at:%Y-%m-%d %H:%M}", state.last_fetch_at
    return None


def _criterion(criterion: Criterion, profile: Profile, states: dict, reviews, now, max_age) -> CriterionStanding:
    stale, evidence, pending = [], [], []
    since_stale = []
    for sid in criterion.sources:
        source = profile.sources[sid]
        problem = source_problem(states.get(source.key), now, max_age)
        if problem:
            stale.append({"source": sid, "url": source.key, "reason": problem[0], "since": _iso(problem[1])})
            if problem[1] is not None:
                since_stale.append(problem[1])
    for ev in criterion.evidence:
        state = states.get(profile.sources[ev.source].key)
        status = evidence_status(ev.quote, state.current_text) if state and state.current_text is not None \
            else "unchecked"
        evidence.append({"source": ev.source, "quote": ev.quote, "status": status})
    closed = 0
    for review in reviews:
        if review.source not in criterion.sources:
            continue
        if review.affected_criteria and criterion.id not in review.affected_criteria:
            continue
        if not review.open:
            closed += 1
            continue
        pending.append({"change": review.change_id, "source": review.source, "detected_at": _iso(review.detected_at),
                        "significance": review.significance, "status": review.status, "summary": review.summary})
    if stale:
        standing, since = STALE, min(since_stale, default=None)
    elif pending:
        standing, since = PENDING, min(r.detected_at for r in reviews if r.change_id in {p["change"] for p in pending})
    elif any(e["status"] == MISSING for e in evidence):
        standing, since = EVIDENCE_MISSING, None
    else:
        standing, since = VERIFIED, profile.reviewed
    return CriterionStanding(criterion.id, criterion.label, criterion.rating, standing, since, pending, stale, evidence,
                             closed)


def review_start(profile: Profile) -> dt.datetime | None:
    """Changes detected from the start of the profile's `reviewed` day on are the editor's to review."""
    return dt.datetime.combine(profile.reviewed, dt.time()) if profile.reviewed else None


def profile_standing(profile: Profile, states: dict, reviews, now: dt.datetime | None = None,
                     max_age: float | None = None) -> ProfileStanding:
    """`states`: {document key: DocumentState}; `reviews`: the profile's ReportedChanges since `review_start`."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    criteria = [_criterion(c, profile, states, reviews, now, max_age) for c in profile.criteria]
    sources = []
    for source in profile.sources.values():
        state = states.get(source.key)
        problem = source_problem(state, now, max_age)
        sources.append(SourceStanding(source.id, source.label, source.type, source.key,
                                      state.last_fetch_at if state else None, state.last_outcome if state else None,
                                      state.last_change_at if state else None, problem[0] if problem else None))
    return ProfileStanding(profile.id, profile.name, profile.provider, profile.reviewed, criteria, sources)


def markdown(standing: ProfileStanding) -> str:
    """The profile as a directory page shows it: criteria with ratings and standing, sources checked."""

    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [f"# {cell(standing.name)}", ""]
    if standing.provider:
        lines.append(f"Provider: {cell(standing.provider)}  ")
    lines += [f"Reviewed: {standing.reviewed:%Y-%m-%d}" if standing.reviewed else "Reviewed: not yet", "",
              "| Criterion | Rating | Standing |", "| --- | --- | --- |"]
    for c in standing.criteria:
        lines.append(f"| {cell(c.label)} | {cell(c.rating)} | **{c.standing}**: {cell(c.sentence)} |")
    lines += ["", "## Sources", ""]
    for s in standing.sources:
        checked = f"last checked {s.last_checked:%Y-%m-%d}" if s.last_checked else "not checked yet"
        problem = f" — {cell(s.problem)}" if s.problem else ""
        lines.append(f"- [{cell(s.label)}](<{s.url}>) — {checked}{problem}")
    return "\n".join(lines) + "\n"


__all__ = ["FOUND", "STANDINGS", "ProfileStanding", "markdown", "profile_standing", "review_start"]


def read_standing(session, profile: Profile, now: dt.datetime | None = None,
                  max_age: float | None = None) -> ProfileStanding:
    """The standing of `profile`, read through the archive (`snapshots.reviews`)."""
    from snapshots.reviews import document_states, reported_changes

    states = document_states(session, [s.key for s in profile.sources.values()])
    reviews = reported_changes(session, profile.id, review_start(profile))
    return profile_standing(profile, states, reviews, now=now, max_age=max_age)

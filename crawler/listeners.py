"""The archive's listeners for a command: the run log, the progress line, the alert outbox.

`attach_listeners(archive, ctx)` is called once when a command first touches the archive. Each
listener hears the domain events (snapshots.events) and does one thing; none can break a run.
"""

from __future__ import annotations

import logging
import sys
import time

log = logging.getLogger("clausewatch.run")


class RunLog:
    """One structured log line per fact (crawler.logs formats them, with the run id)."""

    def on_change_recorded(self, event, tx) -> None:
        log.info("change %s recorded (%s)", event.change_id, event.kind,
                 extra={"event": "change.recorded", "change_id": event.change_id, "document_id": event.document_id,
                        "kind": event.kind, "profiles": list(event.reported_profiles)})

    def on_anomaly_opened(self, event, tx) -> None:
        log.warning("%s: %s", event.kind, event.detail,
                    extra={"event": "anomaly.opened", "anomaly_id": event.anomaly_id, "kind": event.kind,
                           "url": event.url})

    def on_anomaly_closed(self, event, tx) -> None:
        log.info("%s anomaly %s closed", event.kind, event.anomaly_id,
                 extra={"event": "anomaly.closed", "anomaly_id": event.anomaly_id, "kind": event.kind})

    def on_run_finished(self, event, tx) -> None:
        log.info("run %s %s", event.run_id, event.status,
                 extra={"event": "run.finished", "status": event.status, **event.counts})


class ProgressLine:
    """`processed 120/2,000 documents` on stderr for people at a terminal, at most once a second."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.done = 0
        self.total: int | None = None
        self.shown_at = 0.0

    def on_document_settled(self, event, tx) -> None:
        self.done += 1
        if time.monotonic() - self.shown_at > 1:
            self.shown_at = time.monotonic()
            total = f"/{self.total:,}" if self.total else ""
            self.stream.write(f"\r  processed {self.done:,}{total} documents ")
            self.stream.flush()

    def on_run_finished(self, event, tx) -> None:
        if self.shown_at:
            self.stream.write("\n")
            self.stream.flush()


def attach_listeners(archive, ctx=None, settings=None, catalog=None) -> None:
    """Every command's archive: the run log, the progress line at a terminal, the alert outbox."""
    from crawler.alerts.outbox import attach as attach_outbox
    from crawler.errors import ConfigError

    archive.attach(RunLog())
    args = getattr(ctx, "args", None)
    if args is not None and not getattr(args, "json", False) and sys.stderr.isatty():
        archive.attach(ProgressLine())
    try:  # `check` validated alerts.toml before it started; read-only commands never need it
        attach_outbox(archive, settings or ctx.settings, catalog or ctx.catalog)
    except ConfigError:
        log.warning("alerts.toml is invalid: no alerts are queued (clausewatch validate says why)")

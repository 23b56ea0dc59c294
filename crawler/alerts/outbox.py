"""The alert outbox listener: alerts are written in the transaction that records the change.

Attached to the archive (`archive.attach(AlertOutbox(alerts, catalog))`); `transactional = True`
makes the archive call it inside the recording transaction, in a savepoint: the change and the
alerts owed for it commit together or not at all, so a crash never loses an alert nor announces a
change that was rolled back. Sending happens after the run (crawler.alerts.deliver).
"""

from __future__ import annotations

from crawler.alerts.config import Alerts
from crawler.alerts.matching import anomaly_alerts, change_alerts
from snapshots import outbox, reported
from snapshots.kinds import AlertKind


class AlertOutbox:
    transactional = True

    def __init__(self, alerts: Alerts, catalog):
        self.alerts, self.catalog = alerts, catalog

    def on_change_recorded(self, event, tx) -> None:
        rows = change_alerts(self.alerts, self.catalog, reported.assessments(tx.session, event.change_id), event.run_id)
        outbox.add_alerts(tx, rows)

    def on_anomaly_opened(self, event, tx) -> None:
        self._anomaly(event, tx, AlertKind.ANOMALY_OPENED)

    def on_anomaly_closed(self, event, tx) -> None:
        self._anomaly(event, tx, AlertKind.ANOMALY_CLOSED)

    def _anomaly(self, event, tx, kind: AlertKind) -> None:
        citing = reported.citing(tx.session, event.document_id)
        outbox.add_alerts(tx, anomaly_alerts(self.alerts, self.catalog, event.anomaly_id, citing, kind, event.run_id))


def attach(archive, settings, catalog) -> bool:
    """Attach the outbox listener when alerts are configured; True when attached. ConfigError when invalid."""
    from crawler.alerts.config import load_alerts

    alerts = load_alerts(settings, catalog)
    if alerts is None or not alerts.subscriptions:
        return False
    archive.attach(AlertOutbox(alerts, catalog))
    return True

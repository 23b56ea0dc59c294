"""Alerts that analysts act on: one digest per run per subscription, an outbox, an Atom feed.

    config    alerts.toml: base_url, [[subscriptions]] (notify, profiles, criteria, min_significance …)
    matching  which subscription is owed which change or anomaly
    outbox    the transactional archive listener writing those alerts with the change
    digest    the alerts of one subscription grouped by profile, then criterion, with diff excerpts
    render    the digest as subject, text (chat, within size limits) and HTML (e-mail, escaped)
    deliver   after the run: bundle, send through Apprise, retry with back-off, never twice on purpose
    feed      every reported change as an Atom entry
"""

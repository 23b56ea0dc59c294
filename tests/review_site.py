"""Data for the review page tests, made by the real pipeline: a local site, one profile, two checks.

Profile `acme` cites three documents: `privacy` changes materially between the checks (a watched
term is inserted, with a provider's hostile markup shown as text), `dpa` fails on the second check
(HTTP 500, an `unreachable` anomaly opens), `terms` does not change. So criterion `eu-residency` is pending, `subprocessors` stale
and `retention` verified.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import Home, Site

PRIVACY_1 = """<html><head><title>Privacy</title></head><body><main>
<h1>Privacy Policy</h1>
<p>This policy explains how Acme handles personal data of customers who use the Acme API.</p>
<h2>Data location</h2>
<p>We store customer data in the European Union. Backups are kept in Frankfurt and Dublin.</p>
<h2>Contact</h2>
<p>Write to our data protection officer at the address given on the legal notice page.</p>
</main></body></html>"""

# what a hostile or broken provider page may contain, as text and as a link
HOSTILE = ('<p>Opt-out: &lt;script&gt;window.__xss = 1&lt;/script&gt; and &lt;img src=x '
           'onerror="window.__xss = 1"&gt; or <a href="javascript:window.__xss=1">click to opt out</a> or '
           '&lt;a href="javascript:window.__xss=1"&gt;an escaped link&lt;/a&gt;.</p>')

PRIVACY_2 = PRIVACY_1.replace(
    "Backups are kept in Frankfurt and Dublin.",
    "Backups are kept in Frankfurt and Dublin, and support staff in the United States may access them.",
).replace("<h2>Contact</h2>", HOSTILE + "\n<h2>Contact</h2>")

DPA = """<html><body><main><h1>Data Processing Addendum</h1>
<h2>Sub-processors</h2><p>Acme engages the sub-processors listed in Annex 3 and informs customers thirty days before adding one.</p>
</main></body></html>"""

TERMS = """<html><body><main><h1>Terms of Service</h1>
<h2>Retention</h2><p>Acme deletes API inputs and outputs after thirty days unless the customer asks otherwise.</p>
</main></body></html>"""

PROFILE = """\
name = "Acme API"
provider = "Acme"
reviewed = 2026-11-20

[sources.privacy]
url = "{privacy}"
type = "privacy-policy"

[sources.dpa]
url = "{dpa}"
type = "dpa"

[sources.terms]
url = "{terms}"
type = "terms"

[[criteria]]
id = "eu-residency"
label = "EU data residency"
rating = "partial"
sources = ["privacy"]
watch = ["United States"]
evidence = [{{ source = "privacy", quote = "We store customer data in the European Union." }}]

[[criteria]]
id = "subprocessors"
label = "Sub-processors announced in advance"
rating = "yes"
sources = ["dpa"]
evidence = [{{ source = "dpa", quote = "informs customers thirty days before adding one" }}]

[[criteria]]
id = "retention"
label = "Short retention"
rating = "yes"
sources = ["terms"]
evidence = [{{ source = "terms", quote = "deletes API inputs and outputs after thirty days" }}]
"""


def build(home, site) -> None:
    """Two checks of the `acme` profile; afterwards change 1 is the material change of privacy."""
    urls = {"privacy": site.serve("/privacy", PRIVACY_1), "dpa": site.serve("/dpa", DPA),
            "terms": site.serve("/terms", TERMS)}
    home.profile("acme", PROFILE.format(**urls))
    home.run("check", check_code=0)
    site.serve("/privacy", PRIVACY_2)
    site.serve("/dpa", "temporarily broken", status=500)
    home.env["CLAUSEWATCH_UNREACHABLE_AFTER"] = "1"  # the failure opens an anomaly at once
    home.run("check", check_code=3)


_built: dict[str, Path] = {}


def built_home(tmp_path_factory) -> Home:
    """A fresh copy of the home `build` made (built once per test session: two checks take a while)."""
    if "root" not in _built:
        root = tmp_path_factory.mktemp("review-source")
        home, site = Home(root), Site()
        try:
            build(home, site)
        finally:
            site.close()
        _built["root"] = root
    copy = tmp_path_factory.mktemp("review")
    for name in ("home", "profiles"):
        shutil.copytree(_built["root"] / name, copy / name, dirs_exist_ok=True)
    return Home(copy)


def add_user(home, name: str, role: str, password: str) -> None:
    """Through the archive's own write functions (the `user add` command is tested on its own)."""
    from crawler.web.auth import hash_password
    from snapshots.archive import Archive
    from snapshots.users import save_user

    archive = Archive(home.database())
    with archive.transaction() as tx:
        save_user(tx, name, role, hash_password(password))

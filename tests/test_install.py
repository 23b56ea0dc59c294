"""A plain `pip install .` (no extras) runs `check`: optional extras stay optional."""

from __future__ import annotations

import os
import shutil
import subprocess
import venv

import pytest
from conftest import ROOT

PAGE = "<html><body><main><h1>Privacy</h1><p>We store customer data in Ireland for thirty days.</p></main></body></html>"


@pytest.mark.skipif(os.environ.get("CLAUSEWATCH_TEST_INSTALL") == "0", reason="CLAUSEWATCH_TEST_INSTALL=0")
def test_plain_install_without_extras_runs_check_on_a_local_page(tmp_path, home, site):
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    build = tmp_path / "src"  # a copy of the sources: the build must not write into the work tree
    for name in ("crawler", "spiders", "snapshots", "diffing", "scheduler"):
        shutil.copytree(ROOT / name, build / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, build / name)
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(build)], capture_output=True,
                             text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    for extra in ("scrapy_redis", "scrapy_playwright", "psycopg"):
        probe = subprocess.run([str(python), "-c", f"import {extra}"], capture_output=True)
        assert probe.returncode != 0, f"{extra} is installed without its extra"
    home.simple_profile("acme", {"privacy": site.serve("/privacy", PAGE)})
    env = {k: v for k, v in home.env.items() if k != "PYTHONPATH"}
    proc = subprocess.run([str(target / "bin" / "clausewatch"), "check", "--json"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '"new": 1' in proc.stdout

"""Import contracts: who may import what. Read from the source with `ast`, so every import counts —
also the ones inside functions — and nothing is imported to check.

1. Only `snapshots/` (the archive) speaks SQL: no other module imports SQLAlchemy or the models.
2. `diffing/` is pure: it imports neither the archive, nor Scrapy, nor the crawler.
3. `snapshots/`, `diffing/` and `scheduler/` do not import Scrapy (they are tested without a reactor).
"""

from __future__ import annotations

import ast
from fnmatch import fnmatch
from pathlib import Path

from conftest import ROOT

# Every module outside `snapshots/` goes through the archive (issue 8); nothing may join this set.
STILL_MIGRATING: set[str] = set()

SQL = {"sqlalchemy", "snapshots.models"}
SCRAPY = {"scrapy", "scrapy_redis", "twisted"}


def modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def name(path: Path, root: Path = ROOT) -> str:
    return path.relative_to(root).as_posix()


def imports(path: Path, root: Path = ROOT) -> set[str]:
    """Every module `path` imports, dotted and absolute; `from a import b` counts as `a` and `a.b`."""
    package = name(path, root).removesuffix(".py").split("/")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the module's package
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def violations(path: Path, banned: set[str], root: Path = ROOT) -> list[str]:
    """The imports of `path` that are one of `banned` or inside one of them (outermost names only)."""
    hits = {i for i in imports(path, root) if any(i == b or i.startswith(b + ".") for b in banned)}
    return sorted(i for i in hits if not any(i.startswith(h + ".") for h in hits))


def breaches(folders, banned: set[str], allowed=()) -> dict[str, list[str]]:
    found = {name(p): violations(p, banned) for p in modules(*folders)}
    return {m: v for m, v in found.items() if v and not any(fnmatch(m, pattern) for pattern in allowed)}


def test_the_import_walker_sees_imports_inside_functions_relative_ones_and_submodules(tmp_path):
    package = tmp_path / "crawler" / "cli"
    package.mkdir(parents=True)
    (package / "browse.py").write_text(
        "import os\nfrom snapshots import models\n\ndef rows():\n    from sqlalchemy.orm import Session\n"
        "    from . import context\n    from ..config import Settings\n", encoding="utf-8")
    assert violations(package / "browse.py", SQL, tmp_path) == ["snapshots.models", "sqlalchemy.orm"]
    assert {"crawler.cli.context", "crawler.config.Settings", "os"} <= imports(package / "browse.py", tmp_path)


def test_only_the_archive_imports_sqlalchemy_or_the_models():
    assert breaches(["crawler", "spiders", "scheduler", "diffing"], SQL, STILL_MIGRATING) == {}, \
        "these modules query the database themselves: move the queries into snapshots/"


def test_diffing_imports_neither_the_archive_nor_scrapy_nor_the_crawler():
    assert breaches(["diffing"], SQL | SCRAPY | {"snapshots", "crawler", "spiders", "scheduler"}) == {}


def test_the_archive_diffing_and_the_scheduler_do_not_import_scrapy():
    assert breaches(["snapshots", "diffing", "scheduler"], SCRAPY) == {}

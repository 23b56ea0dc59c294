"""Nothing to do is not success: an empty profiles folder fails `validate` and `check`, nothing recorded."""

from __future__ import annotations


def run(home, *args):
    proc = home.cli(*args)
    return proc.returncode, proc.stdout, proc.stderr


def test_empty_profiles_folder_fails_validate_naming_the_folder(home):
    code, out, _ = run(home, "validate")
    assert code == 2
    assert str(home.profiles) in out and "no profiles here" in out


def test_check_with_no_profiles_records_no_run_and_exits_2(home):
    code, _, err = run(home, "check")
    assert code == 2 and "nothing to check" in err
    from sqlalchemy import select

    from snapshots.models import Run

    with home.database().session() as s:
        assert s.scalars(select(Run)).all() == []

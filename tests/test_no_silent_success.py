"""Nothing to do is not success: an empty profiles folder fails `validate` and `check`, nothing recorded."""

from __future__ import annotations

from crawler.cli import main


def run(home, monkeypatch, capsys, *args):
    for key, value in home.env.items():
        if key.startswith("CLAUSEWATCH_"):
            monkeypatch.setenv(key, value)
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_empty_profiles_folder_fails_validate_naming_the_folder(home, monkeypatch, capsys):
    code, out, _ = run(home, monkeypatch, capsys, "validate")
    assert code == 2
    assert str(home.profiles) in out and "no profiles here" in out


def test_check_with_no_profiles_records_no_run_and_exits_2(home, monkeypatch, capsys):
    code, _, err = run(home, monkeypatch, capsys, "check")
    assert code == 2 and "nothing to check" in err
    from sqlalchemy import select

    from snapshots.models import Run

    with home.database().session() as s:
        assert s.scalars(select(Run)).all() == []

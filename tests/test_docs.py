"""Every command has help text and is documented in the README; the README opens with the two commands."""

from __future__ import annotations

import argparse

import pytest
from conftest import ROOT

from crawler.cli import build_parser

README = (ROOT / "README.md").read_text(encoding="utf-8")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def help_texts() -> dict[str, str]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {choice.dest: choice.help for choice in action._choices_actions}


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_has_help_and_a_line_in_the_readme(name):
    assert help_texts()[name], f"{name} has no help text"
    assert f"clausewatch {name}" in README, f"`clausewatch {name}` is not in README.md"
    for action in subcommands()[name]._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{name} {action.option_strings[0]} has no help text"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_command():
    first_block = README.split("```", 2)[1]
    assert "make check" in first_block and "make test" in first_block
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _options(parser: argparse.ArgumentParser) -> set[str]:
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found |= _options(sub)
        found |= {o for o in action.option_strings if o.startswith("--") and o != "--help"}
    return found


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_readme_names_every_option_of_every_command(name):
    """The command reference cannot drift from --help: each option is on a line naming its command."""
    lines = [line for line in README.splitlines() if f"clausewatch {name}" in line]
    missing = sorted(o for o in _options(subcommands()[name]) if not any(o in line for line in lines))
    assert not missing, f"README lines for `clausewatch {name}` do not mention {missing}"

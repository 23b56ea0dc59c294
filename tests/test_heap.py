"""crawler.heap: clausewatch's own processes (the console script, a fetch process) freeze their long-lived heap; nobody else's is touched."""

from __future__ import annotations

import gc

import pytest

from crawler import heap


@pytest.fixture
def console(monkeypatch):
    monkeypatch.setattr(heap, "_own", True)
    yield
    gc.unfreeze()  # this test process's heap is collected again


def test_outside_the_console_script_the_collector_is_left_alone():
    assert not heap._own  # the tests call main(), never console()
    before = gc.get_freeze_count()
    with heap.settling():
        assert gc.isenabled()
        kept = [[object()] for _ in range(100)]
    heap.exiting()
    assert gc.isenabled() and gc.get_freeze_count() == before and kept


def test_settling_collects_nothing_while_the_imports_run_and_freezes_what_they_made(console):
    with heap.settling():
        assert not gc.isenabled()
        made = [[object()] for _ in range(1000)]  # tracked containers, as imported modules make
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)
    collected = {id(x) for generation in range(3) for x in gc.get_objects(generation=generation)}
    assert not any(id(x) in collected for x in made)  # collections skip them


def test_a_failure_while_settling_turns_the_collector_back_on_and_freezes_nothing(console):
    before = gc.get_freeze_count()
    with pytest.raises(RuntimeError):
        with heap.settling():
            raise RuntimeError("the plan could not be prepared")
    assert gc.isenabled() and gc.get_freeze_count() == before


def test_the_console_script_freezes_its_heap_on_the_way_out(console, monkeypatch):
    from crawler import cli

    monkeypatch.setattr(heap, "_own", False)  # console() sets it
    monkeypatch.setattr(cli, "main", lambda argv=None: 3)
    assert cli.console() == 3
    assert heap._own and gc.get_freeze_count() > 0

"""Terminal output: control characters from fetched pages are made visible, never executed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawler.terminal import safe_text

ATTACKS = {
    "screen clear": "\x1b[2J\x1b[H",
    "window title (OSC, BEL)": "\x1b]0;owned\x07",
    "window title (OSC, ST)": "\x1b]2;owned\x1b\\",
    "hyperlink": "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
    "8-bit CSI": "\x9b31m",
    "8-bit OSC": "\x9d0;owned\x9c",
    "terminal reset": "\x1bc",
    "DCS": "\x1bPq#0;2;0;0;0\x1b\\",
    "carriage return overwrite": "safe\rEVIL",
    "backspaces": "yes\x08\x08\x08no",
    "bell": "\x07",
    "right-to-left override": "txt.\u202eexe",
}


@pytest.mark.parametrize("attack", ATTACKS.values(), ids=ATTACKS.keys())
def test_escape_sequences_and_controls_are_made_visible(attack):
    out = safe_text(f"before {attack} after")
    assert out.startswith("before ") and out.endswith(" after")
    assert not any(ord(c) < 0x20 and c not in "\n\t" or 0x7f <= ord(c) <= 0x9f for c in out)
    assert "\u202e" not in out


def test_newlines_and_tabs_are_kept_in_text_and_escaped_in_table_cells():
    assert safe_text("a\nb\tc") == "a\nb\tc"
    assert safe_text("a\nb\tc", keep_newlines=False) == "a\\nb\\tc"


def test_ordinary_text_is_unchanged():
    text = "Données personnelles — 30 days’ notice, 个人数据, עברית, 😀"
    assert safe_text(text) == text


def test_a_visible_sequence_shows_what_was_planted():
    assert safe_text("\x1b[2J") == "␛[2J"


@given(st.text())
def test_no_control_character_survives_arbitrary_text(text):
    out = safe_text(text, keep_newlines=False)
    assert not any(ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f for c in out)

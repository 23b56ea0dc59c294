"""Terminal safety: text from fetched pages never drives the terminal.

A page can plant ESC sequences (CSI `\\x1b[2J` clears the screen, OSC `\\x1b]0;title\\x07` sets the
window title, OSC 8 makes links), C1 controls (U+0080–U+009F, U+009B is a one-character CSI),
backspaces and carriage returns that overwrite what was printed, and bidirectional overrides
(U+202E) that reorder it. `safe_text` makes every such character visible and inert, once, where
tables and text are printed:

- a whole escape sequence (CSI, OSC, DCS/SOS/PM/APC strings, two-character ESC sequences) becomes
  one visible token, `␛[2J`, with its payload escaped so it cannot start another sequence;
- any other control character becomes its escape (`\\x07`, `\\u009b`, `\\u202e`);
- `\\n` and `\\t` are kept unless `keep_newlines=False` (a table cell is one line).
"""

from __future__ import annotations

import re

__all__ = ["safe_text"]

# ESC-introduced sequences, after ECMA-48: CSI (ESC [), string controls ending at BEL or ST (ESC \),
# and the two-character forms. Also their 8-bit C1 forms (CSI U+009B, OSC U+009D, DCS U+0090 …).
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI … final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC/DCS/SOS/PM/APC … BEL/ST
    r"|\x1b[ -/]*[0-~]?"  # other ESC sequences (ESC c resets the terminal)
)
# C0 (but \t \n), DEL, C1, and the invisible format characters that reorder or hide text
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _visible(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: object, keep_newlines: bool = True) -> str:
    """`text` with every control character made visible; nothing in it can move the cursor,
    change colours, set titles, make links or reorder what was printed before."""
    text = "" if text is None else str(text)

    def sequence(match: re.Match) -> str:
        token = match.group(0)
        return "␛" + _CONTROL.sub(lambda m: _visible(m.group(0)), token.lstrip("\x1b"))

    out = _SEQUENCE.sub(sequence, text)
    out = _CONTROL.sub(lambda m: _visible(m.group(0)), out)
    if not keep_newlines:
        out = out.replace("\n", "\\n").replace("\t", "\\t")
    return out

"""User text made safe to show in a terminal.

Titles, names, narratives, YAML keys, rule titles and file names come from files anyone may
write. Written raw to a terminal, a control character can clear the screen or recolour it (CSI),
set the window title, plant a hyperlink or write the clipboard (OSC 8, OSC 52), ring the bell,
forge a line (a newline followed by ``error: ...``), or reorder what follows (the bidi override
U+202E). :func:`terminal` writes every such character as a visible escape (``\\x1b``,
``\\u202e``); ordinary text, including any letter of any script, is unchanged. Every path where
user text meets the terminal goes through it (the Markdown escaping in
:mod:`scaleup.render.markdown` does too).
"""

from __future__ import annotations

# C0 and C1 controls and DEL; the line and paragraph separators (U+2028/9, which some terminals
# and editors break lines on); the bidirectional formatting characters (LRM/RLM/ALM, the
# embeddings and overrides U+202A-E, the isolates U+2066-9); and U+FEFF, the zero-width no-break
# space, which can hide inside a word.
_UNSAFE = [*range(0x20), *range(0x7f, 0xa0), 0x061c, 0x200e, 0x200f, 0x2028, 0x2029,
           *range(0x202a, 0x202f), *range(0x2066, 0x206a), 0xfeff]
_ESCAPES = {c: (f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}") for c in _UNSAFE}
_LINES = {c: e for c, e in _ESCAPES.items() if c != 0x0a}


def terminal(text: object) -> str:
    """``text`` with every control, separator and bidi formatting character escaped (newlines
    too: one value is one line)."""
    return str(text).translate(_ESCAPES)


def terminal_lines(text: object) -> str:
    """Like :func:`terminal` but keeping newlines, for a text composed of lines whose user parts
    were already made single-line."""
    return str(text).translate(_LINES)

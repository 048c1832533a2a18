"""Characters that hide or reorder text: refused in names and references, made visible elsewhere.

A right-to-left override (U+202E) makes "MAR-2026-0412" display as another reference, a
zero-width space makes two names that look the same differ, and a terminal escape (ESC …)
rewrites what a coordinator sees in a terminal. None has a place in a Marac record.
"""

from __future__ import annotations

import re

# C0 controls except tab, line feed and carriage return; DEL and the C1 controls; zero-width and
# direction marks, embeddings, overrides and isolates; invisible operators; the byte-order mark;
# interlinear annotation characters.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb]"
)


def hidden_characters(text: str) -> list[str]:
    """The hidden characters in `text` as code points ("U+202E"), each once, in order."""
    return list(dict.fromkeys(f"U+{ord(c):04X}" for c in _HIDDEN.findall(text)))


def hidden_problem(text: str, what: str) -> str:
    """A sentence refusing `text` as `what` (a name, a reference) when it hides characters, else ""."""
    found = hidden_characters(text)
    if not found:
        return ""
    return (
        f"The {what} contains invisible or direction-changing characters ({', '.join(found)}), "
        "which can make it look like something else; retype it."
    )


def show_hidden(text: str) -> str:
    """`text` with each hidden character written out visibly, e.g. "[U+202E]"."""
    return _HIDDEN.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)

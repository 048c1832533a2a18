"""User text made safe for the pack: cleaned of unprintable characters and escaped for Paragraph markup."""

from __future__ import annotations

import re
import unicodedata
from xml.sax.saxutils import escape

# C0/C1 controls (except newline and tab) and lone surrogates cannot be encoded or drawn.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x0b|\x0c|\x85")

def clean(text: object) -> str:
    """Plain text with line breaks normalised to "\\n" and unprintable characters removed."""
    value = "" if text is None else str(text)
    value = _LINE_BREAKS.sub("\n", value).replace("\t", "    ")
    value = _UNPRINTABLE.sub("", value)
    # Composed form, so "Ș" written as S + combining comma prints with the font's own glyph.
    return unicodedata.normalize("NFC", value)


def para(text: object) -> str:
    """User text as Paragraph markup that shows literally: escaped, with its line breaks kept."""
    return escape(clean(text)).replace("\n", "<br/>")

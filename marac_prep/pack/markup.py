"""User text made safe for the pack: escaped for Paragraph markup and scrubbed of confidential details."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from xml.sax.saxutils import escape

# C0/C1 controls (except newline and tab) and lone surrogates cannot be encoded or drawn.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x0b|\x0c|\x85")

ADDRESS_WITHHELD = "[confidential address withheld]"
PHONE_WITHHELD = "[contact number withheld]"


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


class Scrubber:
    """Removes a case's confidential addresses and contact numbers from free text.

    Redaction in the pack happens at build time: those fields are never put into the story,
    and this catches an author who typed the refuge address or a safe number into an entry.

    Attributes:
        patterns: compiled patterns with what replaces each match.
    """

    def __init__(self, *, addresses: Iterable[str], phones: Iterable[str]) -> None:
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        for address in addresses:
            for piece in _address_pieces(address):
                self.patterns.append((_loose_words(piece), ADDRESS_WITHHELD))
        for phone in phones:
            pattern = _loose_digits(phone)
            if pattern is not None:
                self.patterns.append((pattern, PHONE_WITHHELD))
        # Longest first, so a whole address is replaced before one of its lines.
        self.patterns.sort(key=lambda item: -len(item[0].pattern))

    def __call__(self, text: object) -> str:
        value = clean(text)
        for pattern, replacement in self.patterns:
            value = pattern.sub(replacement, value)
        return value


def _address_pieces(address: str) -> list[str]:
    """The whole address and each line of it that could identify the place on its own.

    A line counts when it carries a number (a house number or a postcode) or is long; a bare
    town name is not confidential and replacing it everywhere would garble the pack.
    """
    whole = " ".join(clean(address).split())
    if not whole:
        return []
    lines = [" ".join(p.split()) for p in re.split(r"[,\n;]", clean(address))]
    pieces = [whole] + [p for p in lines if p and (re.search(r"\d", p) or len(p) >= 14)]
    return list(dict.fromkeys(pieces))


def _loose_words(text: str) -> re.Pattern[str]:
    """Matches `text` whatever the case, spacing, line breaks or commas between its words."""
    words = [re.escape(w) for w in re.split(r"[\s,]+", text) if w]
    return re.compile(r"(?<!\w)" + r"[\s,]+".join(words) + r"(?!\w)", re.IGNORECASE)


def _loose_digits(phone: str) -> re.Pattern[str] | None:
    """Matches a phone number however it is spaced or punctuated, with 0 or +44 in front."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return None
    if digits.startswith("44") and len(digits) > 10:
        digits = "0" + digits[2:]
    sep = r"[\s\-().]*"
    body = sep.join(digits[1:]) if digits.startswith("0") else sep.join(digits)
    lead = r"(?:\+?44" + sep + r"(?:\(0\))?" + sep + r"|0)" if digits.startswith("0") else ""
    return re.compile(r"(?<!\d)" + lead + sep + body + r"(?!\d)")

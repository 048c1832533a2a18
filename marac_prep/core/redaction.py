"""The one redactor: keeps a case's confidential addresses and contact numbers out of every text
that leaves the app (the pack, chronology exports).

Those fields are never put into an output on purpose; this catches an author who typed the
refuge address or a safe number into an entry's free text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from marac_prep.core.models import Address, Person

ADDRESS_WITHHELD = "[confidential address withheld]"
PHONE_WITHHELD = "[contact number withheld]"
_MIN_PHONE_DIGITS = 6
_MIN_LEADING_LINES = 8  # "Flat 2, 14 Refuge Road" counts; "Flat 2" alone is a line with a number
_LONG_LINE = 14


class Redactor:
    """Replaces a case's confidential addresses and contact numbers in free text.

    Attributes:
        patterns: compiled patterns with what replaces each match, longest first (so a whole
            address is replaced before one of its lines).
    """

    def __init__(self, *, addresses: Iterable[str], phones: Iterable[str]) -> None:
        self.patterns: list[tuple[re.Pattern[str], str]] = []
        for address in addresses:
            for piece in address_pieces(address):
                self.patterns.append((_loose_words(piece), ADDRESS_WITHHELD))
        for phone in phones:
            pattern = _loose_digits(phone)
            if pattern is not None:
                self.patterns.append((pattern, PHONE_WITHHELD))
        self.patterns.sort(key=lambda item: -len(item[0].pattern))

    @classmethod
    def for_case(cls, addresses: Iterable[Address], people: Iterable[Person]) -> Redactor:
        """The redactor for one case: its confidential addresses and every person's phone number."""
        return cls(
            addresses=[a.text for a in addresses if a.confidential],
            phones=[p.phone for p in people if p.phone],
        )

    def __call__(self, text: str) -> str:
        for pattern, replacement in self.patterns:
            text = pattern.sub(replacement, text)
        return text


def address_pieces(address: str) -> list[str]:
    """The whole address, its leading lines together, and each line that could identify the place
    on its own (one with a number – a house number or a postcode – or a long one).

    A bare town name is not confidential: replacing it everywhere would garble the text.
    """
    whole = " ".join(address.split())
    if not whole:
        return []
    lines = [" ".join(p.split()) for p in re.split(r"[,\n;]", address)]
    lines = [line for line in lines if line]
    leading = [", ".join(lines[:n]) for n in range(2, len(lines))]
    pieces = [whole]
    pieces += [p for p in leading if len(p) >= _MIN_LEADING_LINES]
    pieces += [p for p in lines if re.search(r"\d", p) or len(p) >= _LONG_LINE]
    return list(dict.fromkeys(pieces))


def _loose_words(text: str) -> re.Pattern[str]:
    """Matches `text` whatever the case, spacing, line breaks or commas between its words."""
    words = [re.escape(w) for w in re.split(r"[\s,]+", text) if w]
    return re.compile(r"(?<!\w)" + r"[\s,]+".join(words) + r"(?!\w)", re.IGNORECASE)


def _loose_digits(phone: str) -> re.Pattern[str] | None:
    """Matches a phone number however it is spaced or punctuated, with 0 or +44 in front."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    if digits.startswith("44") and len(digits) > 10:
        digits = "0" + digits[2:]
    sep = r"[\s\-().]*"
    body = sep.join(digits[1:]) if digits.startswith("0") else sep.join(digits)
    # With a leading 0 it may be typed +44, +44 (0) or 0; without one, the digits as they are (a
    # separator is allowed after the prefix, never before the number, so the space before stays).
    lead = r"(?:\+?44" + sep + r"(?:\(0\))?" + sep + r"|0)" + sep if digits.startswith("0") else ""
    return re.compile(r"(?<!\d)" + lead + body + r"(?!\d)")

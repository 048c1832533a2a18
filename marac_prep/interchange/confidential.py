"""Keeps confidential addresses and phone numbers out of exported free text an agency typed them into."""

from __future__ import annotations

import re
from collections.abc import Iterable

from marac_prep.core.models import Address, Person

ADDRESS_MARK = "[confidential address removed]"
PHONE_MARK = "[phone number removed]"
_MIN_PHONE_DIGITS = 6
_MIN_ADDRESS_PART = 8


class Redactor:
    """Removes a case's confidential addresses (whole, or their first line) and people's phone numbers."""

    def __init__(self, addresses: Iterable[Address], people: Iterable[Person]) -> None:
        patterns: list[tuple[re.Pattern[str], str]] = []
        for address in addresses:
            if not address.confidential or not address.text.strip():
                continue
            # The whole address, its leading lines ("Flat 2, 14 Refuge Road") and any line with a
            # house number: agencies often type only the first line or two.
            pieces = [p.strip() for p in re.split(r"[,\n]", address.text) if p.strip()]
            parts = {address.text.strip()}
            parts |= {", ".join(pieces[:n]) for n in range(1, len(pieces) + 1)}
            parts |= {p for p in pieces if re.search(r"\d", p) and re.search(r"[^\W\d]{3}", p)}
            parts = {p for p in parts if len(p) >= _MIN_ADDRESS_PART}
            for part in sorted(parts, key=len, reverse=True):
                words = [re.escape(w) for w in part.replace(",", " ").split()]
                patterns.append((re.compile(r"[\s,]+".join(words), re.IGNORECASE), ADDRESS_MARK))
        for person in people:
            digits = re.sub(r"\D", "", person.phone or "")
            if len(digits) >= _MIN_PHONE_DIGITS:
                # The number as typed anywhere: spaces, hyphens or brackets between digits, +44 for 0.
                body = r"[\s\-().]*".join(digits[1:] if digits.startswith("0") else digits)
                lead = r"(?:\+?44[\s\-()]*0?|0)" if digits.startswith("0") else ""
                patterns.append((re.compile(lead + body), PHONE_MARK))
        self._patterns = patterns

    def scrub(self, text: str) -> str:
        for pattern, mark in self._patterns:
            text = pattern.sub(mark, text)
        return text

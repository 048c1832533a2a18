"""Reading agency names, yes/no answers, lists and dates from cells, with per-file caches for speed."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from sqlmodel import Session, select

from marac_prep.core.dates import PartialDate, parse_uk_date
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import Agency

_YES = {"yes", "y", "true", "1", "shareable", "can_share"}
_NO = {"no", "n", "false", "0", "not_shareable", "withheld"}


def loose_key(text: str) -> str:
    """Letters and digits only, folded: "Children's Social Care" == "childrens social care"."""
    return re.sub(r"[^0-9a-z]+", "", text.casefold().replace("&", "and"))


class AgencyLookup:
    """The Marac's agencies by name or short code, however the cell spells them."""

    def __init__(self, session: Session) -> None:
        self._by_key: dict[str, Agency] = {}
        for agency in session.exec(select(Agency)).all():
            self._by_key.setdefault(loose_key(agency.short_code), agency)
            self._by_key[loose_key(agency.name)] = agency

    def find(self, text: str) -> Agency:
        agency = self._by_key.get(loose_key(text))
        if agency is None:
            raise ValidationError(f'"{text}" is not an agency at this Marac.')
        return agency


def yes_no(text: str, what: str, *, default: bool | None = None) -> bool | None:
    """`yes`/`no` (also y/n, true/false, 1/0) read in any case; blank gives `default`."""
    key = re.sub(r"[\s_\-]+", "_", text.strip().casefold())
    if not key:
        return default
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValidationError(f'"{text}" is not a yes or no answer for {what}.')


def split_items(text: str) -> list[str]:
    """A `;`-separated cell as its items (blank items dropped)."""
    return [part.strip() for part in text.split(";") if part.strip()]


@lru_cache(maxsize=65536)
def _cached_date(text: str, today: date) -> PartialDate:
    return parse_uk_date(text, today=today)


def read_date(text: str, today: date) -> PartialDate:
    """`parse_uk_date`, cached: a return repeats the same dates many times."""
    return _cached_date(text.strip(), today)


_TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)(?::[0-5]\d)?$")


def read_time(text: str) -> str | None:
    """`HH:MM` (seconds, as Excel adds them, are dropped); blank gives None."""
    text = text.strip()
    if not text:
        return None
    match = _TIME.match(text)
    if match is None:
        raise ValidationError(f'"{text}" is not a time; write it as HH:MM, e.g. 21:40.')
    return f"{int(match[1]):02d}:{match[2]}"

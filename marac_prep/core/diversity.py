"""Diversity lists for victims and perpetrators (`resources/diversity.json`) and reading values against them.

A person's gender, ethnicity and disability are stored as a list label ("" when not recorded);
LGBT+ as yes / no / not recorded. The lists are grouped as the SafeLives quarterly Marac data
return counts them, and each value says which return figure it falls in (`counts_as`), so the
statistics never guess from free text (docs/decisions/0081).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from marac_prep.core.errors import ValidationError
from marac_prep.core.vocabulary import norm_key
from marac_prep.resources import load_json

FIELDS = ("gender", "ethnicity", "disability")
NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class DiversityValue:
    """One choice in a diversity list.

    Attributes:
        label: what is stored and shown ("Asian or Asian British").
        aliases: other spellings a Marac list may use.
        counts_as: the quarterly-return figures this value falls in ("male", "disabled",
            "black_asian_minoritised").
    """

    label: str
    aliases: tuple[str, ...]
    counts_as: frozenset[str]


@cache
def _data() -> dict[str, object]:
    data: dict[str, object] = load_json("diversity.json")
    return data


@cache
def choices(field: str) -> tuple[DiversityValue, ...]:
    """The list for `field` ("gender", "ethnicity" or "disability"), without "Not recorded"."""
    items = _data()[field]
    assert isinstance(items, list)
    return tuple(
        DiversityValue(str(i["label"]), tuple(i.get("aliases", ())), frozenset(i.get("counts_as", ())))
        for i in items
    )


def labels(field: str) -> tuple[str, ...]:
    """The list's labels followed by "Not recorded", as a form offers them."""
    return (*(c.label for c in choices(field)), NOT_RECORDED)


def _key(text: str) -> str:
    """Punctuation, case and spacing folded: "Black, Black British" == "black black-british"."""
    return norm_key(re.sub(r"[^\w\s\-+]", " ", text.replace("&", " and ")))


@cache
def _lookup(field: str) -> dict[str, DiversityValue]:
    found: dict[str, DiversityValue] = {}
    for value in choices(field):
        found[_key(value.label)] = value
        for alias in value.aliases:
            found.setdefault(_key(alias), value)
    return found


@cache
def _not_recorded_keys() -> frozenset[str]:
    aliases = _data()["not_recorded_aliases"]
    assert isinstance(aliases, list)
    return frozenset({_key(NOT_RECORDED), *(_key(str(a)) for a in aliases)})


def find(field: str, text: str) -> DiversityValue | None:
    """The list value `text` names (its label or an alias, in any case), else None. Blank and
    "not recorded" are None too; use `is_recorded` to tell them from an unknown value."""
    return _lookup(field).get(_key(text))


def is_recorded(text: str) -> bool:
    """False for blank, "Not recorded" and its aliases ("unknown", "not stated", …)."""
    return bool(_key(text)) and _key(text) not in _not_recorded_keys()


def check(field: str, text: str, *, who: str = "") -> str:
    """The stored form of `text` for `field`: its list label, or "" when not recorded.

    Raises:
        ValidationError: `text` is neither on the list nor a way of saying "not recorded".
    """
    if not is_recorded(text):
        return ""
    value = find(field, text)
    if value is None:
        whose = f"{who} " if who else ""
        raise ValidationError(
            f'"{text.strip()}" is not on the {whose}{field} list; use one of: {"; ".join(labels(field))}.'
        )
    return value.label


def normalise(field: str, text: str) -> str:
    """`check`, but a value not on the list is kept as written (stripped) instead of refused."""
    try:
        return check(field, text)
    except ValidationError:
        return " ".join(text.split())


def counts_as(field: str, text: str) -> frozenset[str] | None:
    """The return figures a stored value falls in; None when it is not recorded or is not on the
    list (an older free-text value): the return then counts it as not recorded, never guessed."""
    if not is_recorded(text):
        return None
    value = find(field, text)
    return None if value is None else value.counts_as

"""Reference data loaded from `resources/`: event types, Dash questions, criteria (settings: core.settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from marac_prep.core.errors import ValidationError
from marac_prep.core.settings import packaged
from marac_prep.resources import load_json

ROLES = ("coordinator", "idva", "agency_rep", "viewer")
PERSON_ROLES = ("victim", "perpetrator", "child", "other")
AGENCY_CATEGORIES = ("every_case", "children", "optional")
RETURN_STATUSES = (
    "not_requested",
    "requested",
    "chased",
    "returned",
    "nothing_known",
    "declined",
)
RETURN_STATUS_LABELS = {
    "not_requested": "Not requested",
    "requested": "Requested",
    "chased": "Chased",
    "returned": "Returned with information",
    "nothing_known": "Nothing known",
    "declined": "Declined",
}
# A return counts as "answered" when the agency has told us something, including that it holds nothing.
# Declining is never an answer: the meeting still does not know what the agency holds.
ANSWERED_STATUSES = frozenset({"returned", "nothing_known"})


class ReturnStatusOf:
    """What an agency's return row says of its answer, from its stored `record` (None: nothing
    recorded, so not requested). Shared by the return rows over model objects (`core.returns`) and
    over the first screen's lean records (`core.first_screen`)."""

    record: Any

    @property
    def status(self) -> str:
        return str(self.record.status) if self.record else "not_requested"

    @property
    def answered(self) -> bool:
        return self.status in ANSWERED_STATUSES
MEETING_STATUSES = ("planned", "held", "closed")
CASE_STATUSES = ("open", "discussed", "closed")
FACT_OR_OPINION = ("fact", "opinion")
SUBJECTS = ("victim", "perpetrator", "child", "other")
ANSWERS = ("yes", "no", "dont_know")
RISK_LEVELS = ("standard", "medium", "high")


def norm_key(text: str) -> str:
    """Folds case and treats spaces, hyphens and underscores alike, for matching ids and labels."""
    return re.sub(r"[\s_\-]+", "_", text.strip().casefold()).strip("_")


@dataclass(frozen=True)
class EventType:
    """One chronology event type.

    Attributes:
        id: the stable id stored in the database.
        label: the short label shown to users.
        incident: whether it counts towards the escalation criterion.
    """

    id: str
    label: str
    incident: bool


@dataclass(frozen=True)
class DashQuestion:
    """One Dash checklist item: its number, id, our own short label, and whether it is high-risk."""

    number: int
    id: str
    label: str
    high_risk: bool
    question: str = ""  # the question in full (our own paraphrase), for the Dash form


@cache
def event_types() -> tuple[EventType, ...]:
    return tuple(EventType(**item) for item in load_json("event_types.json")["event_types"])


@cache
def dash_questions() -> tuple[DashQuestion, ...]:
    return tuple(DashQuestion(**item) for item in load_json("dash.json")["questions"])


def dash_tool() -> tuple[str, str]:
    """The checklist's tool name and version, stored with each assessment."""
    data = load_json("dash.json")
    return str(data["tool"]), str(data["tool_version"])


def criteria() -> tuple[tuple[str, str], ...]:
    """The referral criteria (id, label); fixed, so the packaged settings hold them."""
    return packaged().criteria


def default_agencies() -> list[dict[str, str]]:
    return list(load_json("agencies.json")["agencies"])


@cache
def _lookup(kind: str) -> dict[str, str]:
    pairs: list[tuple[str, str]]
    if kind == "event_type":
        pairs = [(e.id, e.label) for e in event_types()]
    elif kind == "risk_indicator":
        pairs = [(q.id, q.label) for q in dash_questions()]
        pairs += [(q.id, str(q.number)) for q in dash_questions()]
    elif kind == "criterion":
        pairs = list(criteria())
    else:
        raise KeyError(kind)
    table: dict[str, str] = {}
    for ident, label in pairs:
        table[norm_key(ident)] = ident
        table[norm_key(label)] = ident
    return table


_NOT_FOUND = {
    "event_type": "is not a known event type",
    "risk_indicator": "is not a Dash risk indicator",
    "criterion": "is not a Marac referral criterion",
}


def _find(kind: str, text: str) -> str:
    found = _lookup(kind).get(norm_key(text))
    if found is None:
        raise ValidationError(f'"{text}" {_NOT_FOUND[kind]}.')
    return found


def event_type_id(text: str) -> str:
    """The event type id for an id or label typed in any case; a clear error otherwise."""
    return _find("event_type", text)


def risk_indicator_id(text: str) -> str:
    """The Dash indicator id for an id, label or question number."""
    return _find("risk_indicator", text)


def criterion_id(text: str) -> str:
    """The referral criterion id for an id or label."""
    return _find("criterion", text)


def event_type_label(ident: str) -> str:
    return _event_type_labels().get(ident, ident)


def risk_indicator_label(ident: str) -> str:
    return _risk_indicator_labels().get(ident, ident)


# Labels by id, built once: the gap rules ask for them thousands of times on a large meeting.
# The first of a repeated id wins, as the scans these replace did.
@cache
def _event_type_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for e in event_types():
        labels.setdefault(e.id, e.label)
    return labels


@cache
def _risk_indicator_labels() -> dict[str, str]:
    labels: dict[str, str] = {}
    for q in dash_questions():
        labels.setdefault(q.id, q.label)
    return labels


def high_risk_indicators() -> frozenset[str]:
    return frozenset(q.id for q in dash_questions() if q.high_risk)


def incident_event_types() -> frozenset[str]:
    return frozenset(e.id for e in event_types() if e.incident)


def check_choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    """`value` normalised if it is one of `allowed`, else a readable error naming the choices."""
    key = norm_key(value)
    for choice in allowed:
        if norm_key(choice) == key:
            return choice
    raise ValidationError(f'"{value}" is not a valid {what}; choose one of: {", ".join(allowed)}.')

"""What an entry's own words say: signals read from its summary and detail, shared by the reader
(which finds them) and the gap rules (which use them beside the coded fields)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SignalKind = Literal["risk_indicator", "event", "victim_blaming"]
TextField = Literal["summary", "detail"]


@dataclass(frozen=True)
class TextSignal:
    """One thing read from an entry's text, with the words it was read from.

    Attributes:
        entry_id: the chronology entry whose text it was read from.
        kind: "risk_indicator" (a Dash indicator named in words), "event" (an event written in
            words rather than chosen as the event type) or "victim_blaming" (language to flag).
        code: a Dash question id from `resources/dash.json` for risk indicators; an event type id
            from `resources/event_types.json` for events ("referral_considered_not_made",
            "counter_allegation", "referral_made", ...); a language rule id for victim blaming.
        words: the words it was read from, as written (quoted in findings).
        field: which of the entry's texts held the words.
        start / end: character offsets of `words` in that text.
        target_agency: for a "referral_made" (or "referral_considered_not_made") event, the
            receiving agency as written, if named.
        target_agency_code: that agency's short code from `resources/agencies.json` ("CSC",
            "IDVA", ...; "MARAC" for Marac itself), if the words name one the reader knows.
    """

    entry_id: int
    kind: SignalKind
    code: str
    words: str
    field: TextField = "summary"
    start: int = 0
    end: int = 0
    target_agency: str | None = None
    target_agency_code: str | None = None

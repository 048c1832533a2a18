"""What a gap finding is: its kinds and severities, its instances and quotes, grouping and the headline."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

from marac_prep.core.reviews import Review

FindingKind = Literal[
    "agency_silent",
    "agency_declined",
    "referral_not_received",
    "referral_considered_not_made",
    "assessed_without_known_risk",
    "counter_allegation",
    "escalation",
    "homicide_markers",
    "single_agency_risk",
    "risk_in_text_not_coded",
    "repeat",
    "perpetrator_in_other_cases",
    "victim_in_other_cases",
    "earlier_marac",
    "nothing_known_with_entries",
    "consent_not_recorded",
    "victim_blaming_language",
    "nothing_known",
    "action_not_completed",
]
Severity = Literal["high", "medium", "info"]

KINDS: tuple[FindingKind, ...] = get_args(FindingKind)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

WHY: dict[FindingKind, str] = {
    "agency_silent": "Without every agency's answer the meeting cannot tell 'nothing known' from 'never looked'.",
    "agency_declined": "An agency that declines to share leaves the meeting as blind as one that never replied.",
    "referral_not_received": "Referrals that go missing between agencies are a recurring finding of homicide reviews.",
    "referral_considered_not_made": "A referral considered and not made is how critical facts miss the meeting.",
    "assessed_without_known_risk": "Assessing in isolation, without what others knew, under-rates risk.",
    "counter_allegation": "Counter-allegations can be abuse of process; read them against the pattern.",
    "escalation": "3+ incidents in 12 months meets the potential-escalation criterion.",
    "homicide_markers": "Markers that homicide reviews keep naming; they inform the discussion and never score.",
    "single_agency_risk": "A high-risk indicator held by one agency alone is information not yet shared.",
    "risk_in_text_not_coded": "A risk written in words but not coded is missed by every count that reads the codes.",
    "repeat": "A repeat within 12 months of the last Marac asks what changed since.",
    "perpetrator_in_other_cases": "A perpetrator's violence to earlier partners recurs in homicide reviews.",
    "victim_in_other_cases": "A victim recorded as a perpetrator elsewhere may be facing counter-allegations; "
    "a new perpetrator means a new risk to plan for.",
    "earlier_marac": "An earlier Marac more than 12 months ago: a new referral, but its history matters.",
    "nothing_known_with_entries": "'Nothing known' beside the agency's own entries: one of the two is wrong.",
    "consent_not_recorded": "Sharing without consent is lawful when necessary, but the reason must be recorded.",
    "victim_blaming_language": "Blaming language shifts responsibility to the victim and hides what agencies did.",
    "nothing_known": "The agency checked and holds nothing: an answer, not a gap.",
    "action_not_completed": "Reviews keep finding agreed Marac actions nobody completed; raise it again.",
}

# Words for the one-line headline ("3 high: referral lost, counter-allegation pattern, repeat").
HEADLINE_WORDS: dict[FindingKind, str] = {
    "agency_silent": "agency silent",
    "agency_declined": "agency declined",
    "referral_not_received": "referral lost",
    "referral_considered_not_made": "referral not made",
    "assessed_without_known_risk": "risk under-rated",
    "counter_allegation": "counter-allegation pattern",
    "escalation": "escalation",
    "homicide_markers": "homicide markers",
    "single_agency_risk": "risk held by one agency",
    "risk_in_text_not_coded": "risk in text not coded",
    "repeat": "repeat",
    "perpetrator_in_other_cases": "perpetrator in other cases",
    "victim_in_other_cases": "victim in other cases",
    "earlier_marac": "earlier Marac",
    "nothing_known_with_entries": "'nothing known' contradicted",
    "consent_not_recorded": "consent not recorded",
    "victim_blaming_language": "blaming language",
    "nothing_known": "nothing known",
    "action_not_completed": "action not completed",
}


@dataclass(frozen=True)
class Quote:
    """Words read from an entry's text that a finding rests on.

    Attributes:
        entry_id: the entry whose text held the words.
        words: the words as written.
        reads_as: what they were read as ("non-fatal strangulation", "referral considered, not made").
    """

    entry_id: int
    words: str
    reads_as: str


@dataclass(frozen=True)
class Instance:
    """One occurrence within a grouped finding (one referral, one counter-allegation, one entry).

    Attributes:
        short: a few words naming it in its group's message ("Police on 3 Mar 2026").
    """

    message: str
    severity: Severity
    entry_ids: tuple[int, ...] = ()
    quotes: tuple[Quote, ...] = ()
    short: str = ""


@dataclass(frozen=True)
class GapFinding:
    """One gap or pattern found in a case: one per kind and agency (and alleger), listing instances.

    Attributes:
        kind: one of `KINDS`.
        agency: the agency's name where the finding is about one agency, else None.
        entry_ids: the chronology entries the finding rests on (to link to them).
        severity: "high", "medium" or "info" ("info" is a note, not a gap).
        message: what was found, in plain English.
        why: one line on why it matters.
        key: stable across re-analysis (kind, agency, group), for reviews.
        instances: each occurrence the finding groups, with its own message and entries.
        from_text: words read from entries' text that the finding rests on ("read from the text").
        review: the coordinator's review, when one was recorded (see `with_reviews`).
    """

    kind: FindingKind
    case_id: int
    case_reference: str
    agency: str | None
    entry_ids: tuple[int, ...]
    severity: Severity
    message: str
    why: str
    key: str = ""
    instances: tuple[Instance, ...] = ()
    from_text: tuple[Quote, ...] = ()
    review: Review | None = None


def finding_key(kind: FindingKind, agency: str | None, group: str | None = None) -> str:
    """The stable key of a finding: the same pattern keeps its key however its instances change."""
    return "|".join((kind, agency or "", group or ""))


def worst(severities: Iterable[Severity]) -> Severity:
    return min(severities, key=SEVERITIES.index, default="info")


@dataclass
class Grouper:
    """Collects a rule's instances by (agency, group) and turns each group into one finding.

    Attributes:
        summary: makes the message of a group of several instances from (agency, group, instances).
    """

    case_id: int
    case_reference: str
    kind: FindingKind
    summary: Callable[[str | None, str | None, list[Instance]], str]
    groups: dict[tuple[str | None, str | None], list[Instance]] = field(default_factory=dict)

    def add(self, instance: Instance, *, agency: str | None = None, group: str | None = None) -> None:
        self.groups.setdefault((agency, group), []).append(instance)

    def findings(self) -> list[GapFinding]:
        found = []
        for (agency, group), instances in self.groups.items():
            message = instances[0].message if len(instances) == 1 else self.summary(agency, group, instances)
            found.append(
                GapFinding(
                    kind=self.kind,
                    case_id=self.case_id,
                    case_reference=self.case_reference,
                    agency=agency,
                    entry_ids=tuple(dict.fromkeys(i for inst in instances for i in inst.entry_ids)),
                    severity=worst(inst.severity for inst in instances),
                    message=message,
                    why=WHY[self.kind],
                    key=finding_key(self.kind, agency, group),
                    instances=tuple(instances),
                    from_text=tuple(dict.fromkeys(q for inst in instances for q in inst.quotes)),
                )
            )
        return found


def sort_findings(findings: Iterable[GapFinding]) -> list[GapFinding]:
    """Most severe first, then in the order of `KINDS` (stable within a kind)."""
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), KINDS.index(f.kind)))


def headline(findings: Iterable[GapFinding]) -> str:
    """One line for a case: "3 high: referral lost, counter-allegation pattern, repeat; 2 medium".

    Reviewed findings still count (a review is a note, not a fix); notes ("info") do not.
    """
    items = list(findings)
    high = [f for f in items if f.severity == "high"]
    medium = [f for f in items if f.severity == "medium"]
    if not high and not medium:
        return "No gaps found."
    parts = []
    for severity, group in (("high", high), ("medium", medium)):
        if group:
            words = list(dict.fromkeys(HEADLINE_WORDS[f.kind] for f in group))
            parts.append(f"{len(group)} {severity}: {', '.join(words)}")
    return "; ".join(parts)


def with_reviews(findings: Iterable[GapFinding], reviews: dict[str, Review]) -> list[GapFinding]:
    """The findings with each one's review (by key) attached; findings without one are unchanged."""
    return [replace(f, review=reviews[f.key]) if f.key in reviews else f for f in findings]


def new_since_review(finding: GapFinding) -> tuple[int, ...]:
    """The entries a reviewed finding rests on that were not there when it was reviewed."""
    if finding.review is None:
        return ()
    seen = set(finding.review.entry_ids)
    return tuple(i for i in finding.entry_ids if i not in seen)

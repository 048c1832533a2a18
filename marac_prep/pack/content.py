"""What a pack may contain: case files turned into redacted, plain records before any layout.

Redaction happens here, at build time, from the data: confidential addresses and contact
numbers are never copied into these records (they are only used to scrub free text), and
entries an agency marked as not shareable are left out and only counted.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from marac_prep.analysis.findings import with_reviews
from marac_prep.analysis.gaps import GapFinding, analyse_case
from marac_prep.analysis.repeats import repeat_status, same_person
from marac_prep.analysis.timeline import Timeline, build_timeline
from marac_prep.core.actions import STATUS_LABELS
from marac_prep.core.casefile import CaseFile, EntryRecord
from marac_prep.core.dates import display_day
from marac_prep.core.models import CaseNote, Person
from marac_prep.core.people import HistoryItem, history_from_matches
from marac_prep.core.redaction import Redactor
from marac_prep.core.returns import return_progress
from marac_prep.core.reviews import Review
from marac_prep.core.vocabulary import (
    RETURN_STATUS_LABELS,
    dash_questions,
    event_type_label,
    high_risk_indicators,
    risk_indicator_label,
)
from marac_prep.pack.markup import clean

_PRECISION_NOTES = {"day": "", "month": "month only", "year": "year only"}
# Statuses that answer the research request. "Declined" is a refusal, never counted as an answer.
ANSWER_STATUSES = frozenset({"returned", "nothing_known"})
# "on Jul 2025" / "on ?2025" read badly in a sentence: a month or a year is "in" (see `in_sentence`).
_ON_PERIOD = re.compile(
    r"\bon (\??(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) )?\d{4})\b(?! ?\d)"
)


@dataclass(frozen=True)
class PackHistory:
    """An earlier Marac case of this case's people (`core.people.history_from_matches`), one per case.

    Only the other case's reference, dates and the roles: its relationship and criteria only when
    this case's victim was in it too. A perpetrator's case with another victim is named by its
    reference and dates alone (that victim is not a party to this case).

    Attributes:
        roles: (role here, role there) for each of this case's people found in it.
        with_this_victim: this case's victim is (or may be) in that case too.
        confirmed: a coordinator confirmed every person match it rests on.
    """

    reference: str
    referral_date: str
    meeting_date: str
    roles: tuple[tuple[str, str], ...]
    with_this_victim: bool
    relationship: str
    criteria: tuple[str, ...]
    confirmed: bool


@dataclass(frozen=True)
class PackAction:
    """An action agreed at the case's last Marac, with its reported status ("Done 3 Mar 2026")."""

    text: str
    agency: str
    owner: str
    due: str
    status: str
    status_text: str
    outcome: str = ""


@dataclass(frozen=True)
class PackPerson:
    """Someone in the case as the pack shows them (no address, no phone)."""

    role: str
    name: str
    aliases: tuple[str, ...]
    born: str
    age: int | None
    gender: str
    relationship: str
    must_not_receive_information: bool
    school: str = ""


@dataclass(frozen=True)
class PackEntry:
    """One shareable chronology entry, scrubbed."""

    entry_id: int
    day: date
    date_text: str
    date_note: str
    agency: str
    event_type: str
    summary: str
    detail: str
    opinion: bool
    risk_indicators: tuple[str, ...]
    high_risk: bool
    risk_level: str
    referred_to: str
    source_ref: str


@dataclass(frozen=True)
class PackReturn:
    """One agency's return on the case, with what the pack shows and withholds of it."""

    agency: str
    expected: bool
    status: str
    status_label: str
    answered: bool
    returned_on: str
    note: str
    entries_shown: int
    entries_withheld: int
    representative: str = ""

    @property
    def declined(self) -> bool:
        return self.status == "declined"

    @property
    def gave_answer(self) -> bool:
        """Returned information or "nothing known": an answer. A refusal to share is not one."""
        return self.status in ANSWER_STATUSES


@dataclass(frozen=True)
class PackAssessment:
    tool: str
    agency: str
    assessed_on: str
    score: int | None
    level: str


@dataclass(frozen=True)
class PackCase:
    """A case as it goes into the pack.

    Attributes:
        withheld: (agency, number of entries left out) for each agency that withheld some.
        findings: gap-analysis findings on the shareable entries, most severe first.
        timeline: the swimlane picture of the shareable entries.
    """

    case_id: int
    reference: str
    referring_agency: str
    referral_date: str
    criteria: tuple[str, ...]
    criteria_notes: str
    dash_score: int | None
    dash_level: str
    repeat: bool
    victim_aware: bool | None
    victim_consent: bool | None
    consent_reason: str
    victim_name: str
    people: tuple[PackPerson, ...]
    assessments: tuple[PackAssessment, ...]
    returns: tuple[PackReturn, ...]
    progress: tuple[int, int]
    entries: tuple[PackEntry, ...]
    withheld: tuple[tuple[str, int], ...]
    findings: tuple[GapFinding, ...]
    timeline: Timeline
    referral_reason: str = ""
    victim_wishes: str = ""
    dash_yes: tuple[str, ...] = ()
    dash_source: str = ""
    history: tuple[PackHistory, ...] = ()
    repeat_state: str = "none"
    repeat_label: str = ""
    repeat_line: str = ""
    last_marac: str = ""
    last_actions: tuple[PackAction, ...] = ()
    time_slot: str = ""
    notes: tuple[str, ...] = ()  # the coordinator's case notes ("12 Nov 2026, Name: text"), only when asked

    @property
    def nothing_known(self) -> list[str]:
        return [r.agency for r in self.returns if r.status == "nothing_known"]

    @property
    def not_returned(self) -> list[str]:
        """Expected agencies that neither answered nor declined (silent)."""
        return [r.agency for r in self.returns if r.expected and not r.gave_answer and not r.declined]

    @property
    def declined(self) -> list[str]:
        return [r.agency for r in self.returns if r.expected and r.declined]

    @property
    def is_repeat(self) -> bool:
        """A repeat (confirmed, possible, or marked on the referral with no earlier Marac found) as
        `analysis.repeats.repeat_status` reads it for the app, or by a repeat finding: one answer
        everywhere (agenda, front sheet, findings), never "No" beside a repeat finding."""
        return (self.repeat_state in ("repeat", "possible_repeat", "marked")
                or any(f.kind == "repeat" for f in self.findings))

    @property
    def possible_repeat(self) -> bool:
        """A repeat that rests on a person match no coordinator has confirmed yet."""
        return self.repeat_state == "possible_repeat"

    @property
    def repeat_mark(self) -> str:
        """The agenda's cell: "Repeat", "Possible repeat", "Repeat (referral)" or "No"."""
        if self.repeat_state in ("repeat", "possible_repeat", "marked"):
            return self.repeat_label
        return "Repeat" if self.is_repeat else "No"

    @property
    def high_findings(self) -> tuple[GapFinding, ...]:
        return tuple(f for f in self.findings if f.severity == "high")

    @property
    def returns_line(self) -> str:
        """ "Returns 3 of 10 (3 declined, 4 not returned)": declined agencies never count as answers."""
        expected = [r for r in self.returns if r.expected]
        answered = sum(1 for r in expected if r.gave_answer)
        parts = []
        if self.declined:
            parts.append(f"{len(self.declined)} declined")
        if self.not_returned:
            parts.append(f"{len(self.not_returned)} not returned")
        return f"Returns {answered} of {len(expected)}" + (f" ({', '.join(parts)})" if parts else "")


@dataclass(frozen=True)
class PackContent:
    """Everything the pack prints, already redacted.

    Attributes:
        scope: "meeting" or "case".
        generated_by: the name of the profile that built the pack (printed on the cover only).
        prepared_for: the agency whose representative this copy is for ("" for the coordinator's
            pack); every page then says "Prepared for <agency> on <date>".
        audit_seal: the audit chain's head when the pack was built (`audit.Seal.token`), kept in
            the PDF's keywords so `audit verify --seal PACK` can later prove nothing before it changed.
    """

    meeting_date: date
    area: str
    marking: str
    scope: str
    generated_by: str
    generated_at: datetime
    cases: tuple[PackCase, ...]
    prepared_for: str = ""
    audit_seal: str = ""

    @property
    def withheld_total(self) -> int:
        return sum(n for case in self.cases for _, n in case.withheld)


def age_on(born: date | None, on: date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class Scrubber:
    """Text for the pack: cleaned (`markup.clean`), then redacted by the core's one redactor."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def __call__(self, text: object) -> str:
        return self.redactor(clean(text))


def scrubber_for(case_file: CaseFile) -> Scrubber:
    return Scrubber(Redactor.for_case(case_file.addresses, case_file.people))


def shareable_only(case_file: CaseFile) -> CaseFile:
    """The case file without withheld entries, so no analysis or picture can reveal them."""
    entries = [e for e in case_file.entries if e.shareable]
    shown = {e.id for e in entries}
    signals = {i: s for i, s in case_file.signals.items() if i in shown}  # a withheld entry's words too
    return dataclasses.replace(case_file, entries=entries, signals=signals)


def _person(person: Person, scrub: Scrubber, on: date) -> PackPerson:
    return PackPerson(
        role=person.role,
        name=scrub(person.name),
        aliases=tuple(scrub(a) for a in person.aliases),
        born=display_day(person.date_of_birth),
        age=age_on(person.date_of_birth, on),
        gender=scrub(person.gender),
        relationship=scrub(person.relationship),
        must_not_receive_information=person.must_not_receive_information,
        school=scrub(person.school),
    )


def _entry(entry: EntryRecord, case_file: CaseFile, scrub: Scrubber) -> PackEntry:
    partial = entry.partial_date
    notes = [_PRECISION_NOTES[partial.precision]] if partial.precision != "day" else []
    if partial.approximate:
        notes.append("approximate")
    date_text = partial.display()
    if entry.event_time:
        date_text += f" {entry.event_time}"
    high = high_risk_indicators()
    return PackEntry(
        entry_id=entry.id or 0,
        day=entry.event_date,
        date_text=date_text,
        date_note=", ".join(notes),
        agency=case_file.agency_name(entry.agency_id),
        event_type=event_type_label(entry.event_type),
        summary=scrub(entry.summary),
        detail=scrub(entry.detail),
        opinion=entry.fact_or_opinion == "opinion",
        risk_indicators=tuple(risk_indicator_label(r) for r in entry.risk_indicators),
        high_risk=any(r in high for r in entry.risk_indicators),
        risk_level=entry.risk_level or "",
        referred_to=case_file.agency_name(entry.referred_to_agency_id),
        source_ref=scrub(entry.source_ref),
    )


def sentence_dates(text: str) -> str:
    """ "on Jul 2025" and "on 2025" as "in Jul 2025" and "in 2025"; "on 12 Jul 2025" is kept."""
    return _ON_PERIOD.sub(r"in \1", text)


def _scrubbed_finding(finding: GapFinding, scrub: Scrubber) -> GapFinding:
    review = finding.review
    if review is not None:
        review = dataclasses.replace(review, note=scrub(review.note), reviewed_by=scrub(review.reviewed_by))
    return dataclasses.replace(finding, message=sentence_dates(scrub(finding.message)), why=scrub(finding.why),
                               review=review)


def _dash_answers(case_file: CaseFile) -> tuple[tuple[str, ...], str]:
    """The latest Dash assessment's "yes" answers as "6 Separation in the past year", and whose it is."""
    dash = [a for a in case_file.assessments if a.tool.casefold() == "dash" and a.answers]
    if not dash:
        return (), ""
    latest = max(dash, key=lambda a: a.assessed_on)
    questions = {q.id: q for q in dash_questions()}
    yes = []
    for ident, answer in latest.answers.items():
        value = answer.get("answer") if isinstance(answer, dict) else answer
        if value == "yes":
            question = questions.get(ident)
            yes.append((question.number if question else 99, f"{question.number} {question.label}"
                        if question else clean(ident)))
    source = f"{case_file.agency_name(latest.agency_id)}, {display_day(latest.assessed_on)}"
    return tuple(text for _, text in sorted(yes)), source


def _history(case_file: CaseFile, criterion_labels: Mapping[str, str]) -> tuple[PackHistory, ...]:
    """The earlier Marac cases of this case's people, newest first, one per case, from the loaded
    person matches (confirmed and possible; rejected pairs never appear): the app's Other cases list."""
    by_case: dict[int, list[HistoryItem]] = {}
    for item in history_from_matches(case_file.case, case_file.person_matches):
        by_case.setdefault(item.case_id, []).append(item)  # newest first, kept in that order
    found = []
    for items in by_case.values():
        first = items[0]
        with_victim = any(h.role_here == "victim" and h.role_there == "victim" for h in items)
        relationship = next((h.relationship for h in items if h.role_there == "perpetrator" and h.relationship), "")
        found.append(PackHistory(
            reference=clean(first.reference),
            referral_date=display_day(first.referral_date),
            meeting_date=display_day(first.meeting_date) if first.meeting_date else "",
            roles=tuple(sorted({(h.role_here, h.role_there) for h in items}, key=lambda r: r[0] != "victim")),
            with_this_victim=with_victim,
            relationship=clean(relationship) if with_victim else "",
            criteria=tuple(clean(criterion_labels.get(c, c)) for c in first.criteria) if with_victim else (),
            confirmed=all(h.status == "confirmed" for h in items),
        ))
    return tuple(found)


def _last_actions(case_file: CaseFile, scrub: Scrubber) -> tuple[str, tuple[PackAction, ...]]:
    """The actions agreed at the last earlier Marac of this case's victim ("3 Feb 2026, MAR-…"), from
    the loaded `earlier_actions` (a perpetrator's case with another victim is not this case's to print)."""
    victim = case_file.victim
    if victim is None or not case_file.earlier_actions:
        return "", ()
    this = case_file.case.id
    same = {
        other.id for other, people in case_file.earlier_cases
        if other.id != this and any(p.role == "victim" and same_person(victim, p) for p in people)
    }
    actions = [a for a in case_file.earlier_actions if a.case_id in same]
    if not actions:
        return "", ()
    last = max(a.meeting_date for a in actions)
    chosen = sorted((a for a in actions if a.meeting_date == last), key=lambda a: a.id)
    found = []
    for a in chosen:
        status_text = STATUS_LABELS.get(a.status, a.status)
        if a.status == "done" and a.done_on:
            status_text += f" {display_day(a.done_on)}"
        found.append(PackAction(
            text=scrub(a.text), agency=clean(a.agency), owner=scrub(a.owner),
            due=display_day(a.due_date) if a.due_date else "", status=a.status, status_text=status_text,
            outcome=scrub(a.outcome).rstrip("."),
        ))
    references = ", ".join(sorted({clean(a.case_reference) for a in chosen}))
    return f"{display_day(last)}, {references}", tuple(found)


def _scrubbed_timeline(timeline: Timeline, scrub: Scrubber) -> Timeline:
    lanes = tuple(
        dataclasses.replace(
            lane, marks=tuple(dataclasses.replace(m, label=scrub(m.label)) for m in lane.marks)
        )
        for lane in timeline.lanes
    )
    return dataclasses.replace(timeline, lanes=lanes)


def pack_case(case_file: CaseFile, *, on: date, reviews: Mapping[str, Review] | None = None,
              time_slot: str = "", notes: Sequence[CaseNote] = ()) -> PackCase:
    """One case, redacted; `on` is the meeting date (for ages); `time_slot` its slot in the running
    order ("10:00–10:15", "" when the meeting has none); `notes` the coordinator's case notes, only
    when the pack was asked to carry them. The case file must carry its person matches
    (`load_meeting_files` / `load_case_file` read them) for its repeat and history."""
    case = case_file.case
    scrub = scrubber_for(case_file)
    visible = shareable_only(case_file)
    withheld = Counter(case_file.agency_name(e.agency_id) for e in case_file.entries if not e.shareable)
    shown = Counter(case_file.agency_name(e.agency_id) for e in visible.entries)
    criterion_labels = dict(case_file.settings.criteria)
    victim = case_file.victim
    returns = tuple(
        PackReturn(
            agency=row.agency.name,
            expected=row.expected,
            status=row.status,
            status_label=RETURN_STATUS_LABELS.get(row.status, row.status),
            answered=row.answered,
            returned_on=display_day(row.record.returned_on) if row.record else "",
            note=scrub(row.record.note) if row.record else "",
            entries_shown=shown.get(row.agency.name, 0),
            entries_withheld=withheld.get(row.agency.name, 0),
            representative=scrub(row.record.representative) if row.record else "",
        )
        for row in case_file.returns
    )
    dash_yes, dash_source = _dash_answers(case_file)
    last_marac, last_actions = _last_actions(case_file, scrub)
    status = repeat_status(visible)  # the gap analysis's reading, so the pack never disagrees with it
    return PackCase(
        case_id=case.id or 0,
        reference=clean(case.reference),
        referring_agency=case_file.agency_name(case.referring_agency_id),
        referral_date=display_day(case.referral_date),
        criteria=tuple(criterion_labels.get(c, c) for c in case.criteria),
        criteria_notes=scrub(case.criteria_notes),
        dash_score=case.dash_score,
        dash_level=case_file.settings.risk_level(case.dash_score) or "",
        repeat=case.repeat,
        victim_aware=case.victim_aware,
        victim_consent=case.victim_consent,
        consent_reason=scrub(case.consent_reason),
        victim_name=scrub(victim.name) if victim else "",
        people=tuple(_person(p, scrub, on) for p in case_file.people),
        assessments=tuple(
            PackAssessment(
                tool=clean(a.tool),
                agency=case_file.agency_name(a.agency_id),
                assessed_on=display_day(a.assessed_on),
                score=a.score,
                level=a.level or "",
            )
            for a in case_file.assessments
        ),
        returns=returns,
        progress=return_progress(case_file.returns),
        entries=tuple(_entry(e, case_file, scrub) for e in visible.entries),
        withheld=tuple(sorted(withheld.items())),
        findings=tuple(_scrubbed_finding(f, scrub) for f in with_reviews(analyse_case(visible), dict(reviews or {}))),
        timeline=_scrubbed_timeline(build_timeline(visible), scrub),
        referral_reason=scrub(case.referral_reason),
        victim_wishes=scrub(case.victim_wishes),
        dash_yes=dash_yes,
        dash_source=dash_source,
        history=_history(case_file, criterion_labels),
        repeat_state=status.state,
        repeat_label=status.label,
        repeat_line=status.describe(),
        last_marac=last_marac,
        last_actions=last_actions,
        time_slot=clean(time_slot),
        notes=tuple(f"{display_day(n.created_at.date())}, {scrub(n.author_name)}: {scrub(n.text)}" for n in notes),
    )

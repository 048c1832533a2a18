"""In-memory case files for the pure analysis tests: no database, so hypothesis can run fast."""

from __future__ import annotations

from datetime import UTC, date, datetime

from marac_prep.core.casefile import CaseFile, EntryRecord
from marac_prep.core.dates import PartialDate
from marac_prep.core.matching import MatchSettings, PersonFacts, compare
from marac_prep.core.models import Agency, AgencyReturn, Case, Person, RiskAssessment
from marac_prep.core.people import PersonMatch
from marac_prep.core.returns import ReturnRow, expected_agency_ids
from marac_prep.core.signals import TextSignal
from marac_prep.core.vocabulary import default_agencies

AGENCIES = {
    item["short_code"]: Agency(id=i, name=item["name"], short_code=item["short_code"], category=item["category"])
    for i, item in enumerate(default_agencies(), start=1)
}
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def person(name: str, dob: date | None, role: str = "victim", aliases: tuple[str, ...] = ()) -> Person:
    return Person(role=role, name=name, date_of_birth=dob, aliases=list(aliases), case_id=0)


class CaseBuilder:
    """Builds a `CaseFile` the way `load_case_file` would return it.

    Every expected agency answers "returned" unless `ret` says otherwise, so each test only
    states what matters to it.
    """

    def __init__(
        self,
        *,
        case_id: int = 1,
        reference: str = "MAR-T-0001",
        referral: date = date(2026, 3, 1),
        children: int = 0,
        criteria: tuple[str, ...] = ("visible_high_risk",),
        repeat: bool = False,
        victim: Person | None = None,
    ) -> None:
        self.case = Case(
            id=case_id,
            reference=reference,
            referral_date=referral,
            referring_agency_id=AGENCIES["POL"].id,
            criteria=list(criteria),
            repeat=repeat,
            victim_aware=True,
            victim_consent=True,
        )
        self.people = [victim or person("Alys PRITCHARD", date(1990, 4, 3))]
        self.people += [person(f"Child{i} PRITCHARD", date(2018, 1, 5), role="child") for i in range(children)]
        self.entries: list[EntryRecord] = []
        self.statuses: dict[str, AgencyReturn | None] = {}
        self.assessments: list[RiskAssessment] = []
        self.earlier: list[tuple[Case, list[Person]]] = []
        self._meetings: dict[int, date | None] = {}
        self._confirmed: set[int] = set()
        self.signals: dict[int, tuple[TextSignal, ...]] = {}
        self._next = case_id * 1000

    def signal(self, entry_id: int, kind: str, code: str, words: str, *, target: str | None = None) -> None:
        """A hand-built text signal, as the text reader would give it for the entry's summary."""
        found = TextSignal(entry_id=entry_id, kind=kind, code=code, words=words, target_agency=target)  # type: ignore[arg-type]
        self.signals[entry_id] = (*self.signals.get(entry_id, ()), found)

    def entry(
        self,
        agency: str,
        on: date | PartialDate,
        event_type: str = "incident",
        *,
        indicators: tuple[str, ...] = (),
        level: str | None = None,
        to: str | None = None,
        subjects: tuple[str, ...] = ("victim", "perpetrator"),
        summary: str = "Police attended; perpetrator arrested.",
        sequence: int = 0,
        time: str | None = None,
    ) -> int:
        when = on if isinstance(on, PartialDate) else PartialDate(on)
        self._next += 1
        self.entries.append(
            EntryRecord(
                id=self._next,
                case_id=self.case.id,
                agency_id=AGENCIES[agency].id,
                event_date=when.value,
                date_precision=when.precision,
                date_approximate=when.approximate,
                sequence=sequence,
                event_time=time,
                event_type=event_type,
                summary=summary,
                risk_indicators=tuple(indicators),
                risk_level=level,
                referred_to_agency_id=AGENCIES[to].id if to else None,
                subjects=tuple(subjects),
            )
        )
        return self._next

    def ret(
        self,
        agency: str,
        status: str | None,
        *,
        requested: date | None = None,
        chased: date | None = None,
        chase_count: int = 0,
    ) -> None:
        """Sets an agency's return; None means no record at all (not requested)."""
        self.statuses[agency] = (
            None
            if status is None
            else AgencyReturn(
                case_id=self.case.id,
                agency_id=AGENCIES[agency].id,
                status=status,
                requested_on=requested,
                chased_on=chased,
                chase_count=chase_count,
            )
        )

    def earlier_case(
        self,
        reference: str,
        referral: date,
        victim: Person,
        *others: Person,
        confirmed: bool = False,
        meeting: date | None = None,
    ) -> None:
        """Another case with its people; `build` matches them to this case's people as
        `core.people.match_people` would (possible matches, or confirmed ones)."""
        self.earlier.append(
            (
                Case(id=len(self.earlier) + 900, reference=reference, referral_date=referral, referring_agency_id=1),
                [victim, *others],
            )
        )
        self._meetings[len(self.earlier) + 899] = meeting
        if confirmed:
            self._confirmed.add(len(self.earlier) + 899)

    def build(self) -> CaseFile:
        agencies = list(AGENCIES.values())
        expected = expected_agency_ids(agencies, has_children=any(p.role == "child" for p in self.people))
        rows = []
        for code, agency in AGENCIES.items():
            if code in self.statuses:
                record = self.statuses[code]
            elif agency.id in expected:
                record = AgencyReturn(case_id=self.case.id, agency_id=agency.id, status="returned")
            else:
                continue
            rows.append(ReturnRow(agency=agency, record=record, expected=agency.id in expected))
        return CaseFile(
            case=self.case,
            people=self.people,
            addresses=[],
            entries=sorted(self.entries, key=lambda e: (e.event_date, e.sequence, e.id or 0)),
            returns=rows,
            assessments=self.assessments,
            agencies={a.id or 0: a for a in agencies},
            earlier_cases=[(c, p) for c, p in self.earlier if c.referral_date <= self.case.referral_date],
            person_matches=self._matches(),
            signals=dict(self.signals),
        )

    def _matches(self) -> list[PersonMatch]:
        for i, p in enumerate(self.people):
            p.id = p.id or self.case.id * 100 + i
        found = []
        for case, people in self.earlier:
            for j, other in enumerate(people):
                other.id = other.id or (case.id or 0) * 100 + j
                for mine in self.people:
                    if mine.role not in ("victim", "perpetrator"):
                        continue
                    result = compare(PersonFacts.of(mine), PersonFacts.of(other))
                    if result.score < MatchSettings.from_settings().threshold:
                        continue
                    found.append(
                        PersonMatch(
                            person_id=mine.id,
                            role=mine.role,
                            other_person_id=other.id,
                            other_case_id=case.id or 0,
                            other_reference=case.reference,
                            other_referral_date=case.referral_date,
                            other_meeting_date=self._meetings.get(case.id or 0),
                            other_role=other.role,
                            other_relationship=other.relationship,
                            other_criteria=tuple(case.criteria),
                            other_name=other.name,
                            score=result.score,
                            reasons=result.reasons,
                            status="confirmed" if case.id in self._confirmed else "possible",
                            other_case_roles=tuple(sorted(p.role for p in people)),
                        )
                    )
        return sorted(found, key=lambda m: (m.other_referral_date, m.other_case_id), reverse=True)


def well_served_case() -> CaseBuilder:
    """A control case: every agency answered, referrals received, risk shared and rated high."""
    b = CaseBuilder(children=1, criteria=("visible_high_risk", "potential_escalation"))
    b.entry(
        "POL",
        date(2025, 11, 2),
        "call_out",
        indicators=("strangulation",),
        summary="Police attended; Alys reported that Gethin held her by the throat. Gethin arrested.",
    )
    b.entry("POL", date(2025, 11, 3), "referral_made", to="IDVA", summary="Police referred Alys to the Idva service.")
    b.entry(
        "IDVA",
        date(2025, 11, 5),
        "referral_received",
        indicators=("strangulation", "threats_to_kill"),
        summary="Idva contacted Alys by phone at a safe time; safety planning offered and accepted.",
    )
    b.entry(
        "IDVA",
        date(2025, 11, 5),
        "risk_assessment",
        level="high",
        sequence=1,
        indicators=("strangulation", "threats_to_kill"),
        summary="Dash completed with Alys: 16 of 24, high risk.",
    )
    b.entry(
        "POL",
        date(2025, 12, 14),
        "incident",
        indicators=("threats_to_kill",),
        summary="Gethin sent messages threatening to kill Alys; Gethin charged.",
    )
    b.entry(
        "HLTH",
        date(2026, 1, 20),
        "ae_attendance",
        indicators=("strangulation",),
        summary="Alys attended A&E with neck bruising; she said Gethin strangled her. Idva informed.",
    )
    b.entry(
        "CSC",
        date(2026, 1, 22),
        "safeguarding_action",
        summary="Strategy discussion held after police notification; child protection enquiry opened.",
    )
    b.entry("EDU", date(2026, 1, 23), "safeguarding_action", summary="School informed by Operation Encompass.")
    b.entry("HSG", date(2026, 2, 1), "service_offered", summary="Sanctuary scheme offered to Alys and fitted.")
    b.ret("MH", "nothing_known")
    b.ret("PROB", "nothing_known")
    b.ret("SMS", "nothing_known")
    b.ret("ASC", "nothing_known")
    return b

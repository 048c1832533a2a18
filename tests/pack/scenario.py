"""A fictional meeting for pack tests: Latin Extended names, a refuge address, a withheld entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from marac_prep.core.cases import PersonInput, create_case
from marac_prep.core.dates import PartialDate
from marac_prep.core.models import Case, ChronologyEntry, Meeting
from marac_prep.core.returns import set_return
from tests.factories import Workspace

REFUGE = "Flat 3, 27 Larkspur Gardens, Eastbridge, EB9 4QZ"
SAFE_PHONE = "07700 900461"
WITHHELD_SUMMARY = "Informant says Dariusz keeps a shotgun at his brother's farm."
MARKUP = "<font size=40>x</font> & a<b"
LONG_DETAIL = ("Officer's notes continue. " * 400).strip()
VICTIMS = ("Małgorzata WÓJCIK", "Gwenllian ap RHYS", "Ioana ȚURCANU", "Şule YILDIZ", "Rūta KAZLAUSKIENĖ")


@dataclass
class Scenario:
    meeting: Meeting
    cases: list[Case]

    def entries(self, session: Session) -> list[ChronologyEntry]:
        ids = [c.id for c in self.cases]
        return [e for e in session.exec(select(ChronologyEntry)).all() if e.case_id in ids]


def build_scenario(ws: Workspace) -> Scenario:
    meeting = ws.meeting(area="Eastbridge")
    cases: list[Case] = []
    for number, victim in enumerate(VICTIMS, start=1):
        people = [
            PersonInput(role="victim", name=victim, date_of_birth=date(1988, 3, number), phone=SAFE_PHONE,
                        safe_to_call=True, address=REFUGE, address_confidential=True,
                        aliases=["Gosia"] if number == 1 else []),
            PersonInput(role="perpetrator", name="Dariusz KOWALCZYK", date_of_birth=date(1985, 6, 2),
                        relationship="Ex-partner", must_not_receive_information=True),
            PersonInput(role="child", name=f"Maja {victim.split()[-1]}", date_of_birth=date(2019, 1, 5)),
        ]
        cases.append(create_case(
            ws.session, actor=ws.coordinator, reference=f"MAR-P-{number:03d}",
            referral_date=date.today() - timedelta(days=12), referring_agency_id=ws.agency["POL"].id,
            meeting_id=meeting.id, criteria=["visible_high_risk"], dash_score=16, victim_aware=True,
            victim_consent=False, consent_reason="Risk to life; consent would alert the perpetrator.",
            people=people,
        ))
    first = cases[0]
    day = date.today() - timedelta(days=60)
    ws.entry(first, "POL", on=day, summary="Police attended; Dariusz had broken the door.",
             detail="Line one of the officer's account.\nLine two: children upstairs.",
             risk_indicators=["threats_to_kill"], source_ref="POL/0001")
    ws.entry(first, "HSG", on=PartialDate(day.replace(day=1), "month", True), event_type="disclosure",
             summary=f"She disclosed she now lives at {REFUGE}; call {SAFE_PHONE}.")
    ws.entry(first, "HLTH", on=day + timedelta(days=3), event_type="ae_attendance", summary=MARKUP,
             detail=LONG_DETAIL)
    ws.entry(first, "POL", on=day + timedelta(days=5), event_type="other", summary=WITHHELD_SUMMARY,
             shareable=False, withheld_reason="Covert source")
    ws.entry(first, "MH", on=day + timedelta(days=7), event_type="incident",
             summary="Ioana's neighbour heard shouting; Şule's sister called 999.")
    set_return(ws.session, actor=ws.coordinator, case_id=first.id, agency_id=ws.agency["PROB"].id,
               status="nothing_known")
    for case in cases[1:]:
        ws.entry(case, "POL", on=day, summary=f"Incident reported for {case.reference}.")
    return Scenario(meeting=meeting, cases=cases)

"""Builds realistic fictional records for tests through the real services."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from marac_prep.core.cases import PersonInput, create_case
from marac_prep.core.chronology import add_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.identity import current_os_account
from marac_prep.core.meetings import create_meeting
from marac_prep.core.models import Agency, Case, ChronologyEntry, Meeting, User
from marac_prep.core.users import create_profile


class Workspace:
    """Factories bound to one session.

    Attributes:
        agency: agencies by short code (POL, IDVA, HLTH, MH, HSG, PROB, SMS, ASC, CSC, EDU …).
        coordinator: a coordinator profile created up front.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.agency: dict[str, Agency] = {a.short_code: a for a in session.exec(select(Agency)).all()}
        # Every test profile is bound to the account running the tests: that is the tests' proof
        # of identity (the CLI and app accept `--user NAME` for them without a passphrase).
        self.coordinator = create_profile(
            session, name="Cora Ordinator", role="coordinator", agency_id=None, os_account=current_os_account()
        )
        self._n = 0

    def user(self, role: str, agency: str | None = None, name: str | None = None) -> User:
        self._n += 1
        agency_id = self.agency[agency].id if agency else None
        return create_profile(
            self.session,
            actor=self.coordinator,
            name=name or f"{role} {agency or ''} {self._n}".strip(),
            role=role,
            agency_id=agency_id,
            os_account=current_os_account(),
        )

    def meeting(self, days_ahead: int = 7, area: str = "Northmoor") -> Meeting:
        return create_meeting(
            self.session, actor=self.coordinator, meeting_date=date.today() + timedelta(days=days_ahead), area=area
        )

    def case(
        self,
        meeting: Meeting | None = None,
        *,
        reference: str | None = None,
        children: int = 0,
        referral_days_ago: int = 10,
        victim: str = "Alys PRITCHARD",
        victim_dob: date = date(1990, 4, 3),
        perpetrator: str = "Gethin MORRIS",
        perpetrator_dob: date | None = date(1987, 9, 21),
        **fields: Any,
    ) -> Case:
        self._n += 1
        people = [
            PersonInput(role="victim", name=victim, date_of_birth=victim_dob, gender="female"),
            PersonInput(
                role="perpetrator",
                name=perpetrator,
                date_of_birth=perpetrator_dob,
                relationship="Ex-partner",
                must_not_receive_information=True,
            ),
        ]
        people += [
            PersonInput(
                role="child",
                name=f"Child{i} PRITCHARD",
                date_of_birth=date(2018 + i, 1, 5),
                school="Brookfield Primary",
            )
            for i in range(children)
        ]
        return create_case(
            self.session,
            actor=self.coordinator,
            reference=reference or f"MAR-T-{self._n:04d}",
            referral_date=date.today() - timedelta(days=referral_days_ago),
            referring_agency_id=self.agency["POL"].id,
            meeting_id=meeting.id if meeting else None,
            criteria=fields.pop("criteria", ["visible_high_risk"]),
            dash_score=fields.pop("dash_score", 15),
            people=people,
            **fields,
        )

    def entry(
        self,
        case: Case,
        agency: str = "POL",
        *,
        on: date | PartialDate | None = None,
        event_type: str = "incident",
        summary: str = "Police attended after a neighbour's call.",
        actor: User | None = None,
        **fields: Any,
    ) -> ChronologyEntry:
        when = on if isinstance(on, PartialDate) else PartialDate(on or date.today() - timedelta(days=30))
        return add_entry(
            self.session,
            actor=actor or self.coordinator,
            case_id=case.id,
            agency_id=self.agency[agency].id,
            date=when,
            event_type=event_type,
            summary=summary,
            **fields,
        )


def demo_file(path: Path, *, cases: int, entries_per_case: int) -> Path:
    """A closed SQLite file holding a fictional demo workspace (profile "Cora Ordinator"), for
    tests that start the app or another process on a file."""
    from marac_prep.core.db import open_database
    from marac_prep.core.users import ensure_profile
    from marac_prep.demo import build_demo

    db = open_database(str(path))
    with db.session() as session:
        build_demo(session, actor=ensure_profile(session, name="Cora Ordinator"), cases=cases,
                   entries_per_case=entries_per_case)
    db.close()
    return path

"""The demo workspace: fictional, varied, and covering what the app must show."""

from __future__ import annotations

from sqlmodel import select

from marac_prep.core.models import AgencyReturn, Case, ChronologyEntry, Person
from marac_prep.core.vocabulary import event_types
from marac_prep.demo import build_demo


def test_default_demo_covers_every_event_type_and_return_status(ws, session):
    summary = build_demo(session, actor=ws.coordinator)
    assert (summary.meetings, summary.cases, summary.earlier_cases) == (4, 8, 4)  # + the past meeting with actions (issue 18)
    kinds = {e.event_type for e in session.exec(select(ChronologyEntry)).all()}
    assert kinds == {e.id for e in event_types()} - {"nothing_known"}
    statuses = {r.status for r in session.exec(select(AgencyReturn)).all()}
    assert {"returned", "nothing_known", "chased", "requested", "not_requested"} <= statuses
    roles = {p.role for p in session.exec(select(Person)).all()}
    assert "child" in roles
    # The upcoming cases and the demo's earlier ones (repeats, and the past meeting with actions).
    assert len(session.exec(select(Case)).all()) == 8 + summary.earlier_cases


def test_demo_has_a_past_meeting_with_actions_in_every_status(ws, session):
    from marac_prep.analysis.gaps import analyse_case
    from marac_prep.core.actions import ACTION_STATUSES, list_actions
    from marac_prep.core.casefile import load_case_file
    from marac_prep.core.models import MaracAction, MeetingAttendance

    build_demo(session, actor=ws.coordinator)
    assert {a.status for a in session.exec(select(MaracAction)).all()} == set(ACTION_STATUSES)
    assert {a.attendance for a in session.exec(select(MeetingAttendance)).all()} == {"present", "apologies"}
    assert any(r.overdue for r in list_actions(session))
    first = session.exec(select(Case).order_by(Case.id)).first()  # the first upcoming case
    raised = [f for f in analyse_case(load_case_file(session, first.id)) if f.kind == "action_not_completed"]
    assert raised and raised[0].severity == "high" and "did not act" in raised[0].message


def test_demo_is_repeatable_for_a_seed(tmp_path):
    from marac_prep.core.db import open_database
    from marac_prep.core.users import ensure_profile

    summaries = []
    for n in range(2):
        db = open_database(tmp_path / f"d{n}.sqlite")
        with db.session() as s:
            build_demo(s, actor=ensure_profile(s, name="Demo"), cases=3, entries_per_case=5, seed=42)
            summaries.append(
                [(e.summary, e.event_type) for e in s.exec(select(ChronologyEntry).order_by(ChronologyEntry.id)).all()]
            )
        db.close()
    assert summaries[0] == summaries[1]


def test_demo_has_confidential_addresses_and_safe_contact_details(ws, session):
    from marac_prep.core.models import Address

    build_demo(session, actor=ws.coordinator)
    addresses = session.exec(select(Address)).all()
    assert any(a.confidential for a in addresses) and any(not a.confidential for a in addresses)
    victims = session.exec(select(Person).where(Person.role == "victim")).all()
    assert all(v.phone for v in victims)


def test_entries_come_from_agencies_that_returned(ws, session):
    build_demo(session, actor=ws.coordinator)
    returned = {(r.case_id, r.agency_id) for r in session.exec(select(AgencyReturn)).all() if r.status == "returned"}
    entries = session.exec(select(ChronologyEntry)).all()
    assert all((e.case_id, e.agency_id) in returned for e in entries)


def test_nothing_in_the_demo_is_dated_in_the_future(ws, session):
    from datetime import date

    build_demo(session, actor=ws.coordinator)
    today = date.today()
    for r in session.exec(select(AgencyReturn)).all():
        assert all(d is None or d <= today for d in (r.requested_on, r.chased_on, r.returned_on))
    assert all(e.event_date <= today for e in session.exec(select(ChronologyEntry)).all())

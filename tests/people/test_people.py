"""People across cases in the database: keyed lookups, decisions, history and search (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from marac_prep.analysis.repeats import repeat_status
from marac_prep.core.audit import AuditFilter, find_events
from marac_prep.core.casefile import load_case_file, load_meeting_files
from marac_prep.core.cases import PersonInput, update_person
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.models import Person, PersonKey
from marac_prep.core.people import case_history, case_matches, decide_match, find_people


def _victim(session, case):
    return session.exec(select(Person).where(Person.case_id == case.id, Person.role == "victim")).one()


def test_a_spelling_variant_in_an_earlier_case_is_a_possible_match_with_reasons(ws, session):
    earlier = ws.case(
        ws.meeting(days_ahead=-200), victim="Aoife BRENNAN", victim_dob=date(1990, 1, 2), referral_days_ago=210
    )
    now = ws.case(ws.meeting(), victim="Eefa Brennan", victim_dob=date(1990, 2, 1))
    matches = case_matches(session, now.id)
    victim = next(m for m in matches if m.role == "victim")
    assert victim.other_reference == earlier.reference and victim.status == "possible"
    assert "first name a known variant" in victim.reasons
    assert victim.describe().startswith(f"possibly the same person as the victim in {earlier.reference}: ")
    # The perpetrator (the same Gethin MORRIS in both) matches too, so it is a possible repeat.
    status = repeat_status(load_case_file(session, now.id))
    assert status.state == "possible_repeat" and status.earlier.reference == earlier.reference


def test_two_david_joneses_with_different_dates_of_birth_are_never_offered(ws, session):
    ws.case(
        victim="David JONES",
        victim_dob=date(1980, 5, 20),
        perpetrator="Kyle ASHWORTH",
        perpetrator_dob=date(1981, 1, 1),
        referral_days_ago=100,
    )
    now = ws.case(
        victim="David Jones", victim_dob=date(1982, 7, 1), perpetrator="Rhys LLOYD", perpetrator_dob=date(1979, 3, 3)
    )
    assert case_matches(session, now.id) == []
    assert case_history(session, case_id=now.id) == []


def test_confirm_links_and_reject_is_remembered_and_audited(ws, session):
    earlier = ws.case(victim="Zofia KOWALSKA", victim_dob=date(1990, 4, 3), referral_days_ago=100)
    now = ws.case(
        victim="Zofia Kowalski", victim_dob=date(1990, 4, 3), perpetrator="Rhys LLOYD", perpetrator_dob=date(1979, 3, 3)
    )
    here, there = _victim(session, now), _victim(session, earlier)
    idva = ws.user("idva", "IDVA")
    with pytest.raises(PermissionDenied):
        decide_match(session, actor=idva, person_id=here.id, other_person_id=there.id, same=True)

    decide_match(session, actor=ws.coordinator, person_id=here.id, other_person_id=there.id, same=False)
    assert case_matches(session, now.id) == []  # never suggested again
    decide_match(session, actor=ws.coordinator, person_id=here.id, other_person_id=there.id, same=True)
    [match] = case_matches(session, now.id)
    assert match.status == "confirmed" and match.reasons[0] == "confirmed by a coordinator"
    [item] = case_history(session, case_id=now.id)
    assert (item.reference, item.role_here, item.role_there, item.status) == (
        earlier.reference,
        "victim",
        "victim",
        "confirmed",
    )
    events = find_events(session, actor=ws.coordinator, where=AuditFilter(case_id=now.id))
    actions = [e.action for e in events]
    assert "person.match_rejected" in actions and "person.match_confirmed" in actions
    confirmed = next(e for e in events if e.action == "person.match_confirmed")
    assert confirmed.details["previous"] == "rejected" and "Zofia" not in str(confirmed.details)


def test_confirmed_links_are_followed_through_a_third_record(ws, session):
    a = ws.case(
        victim="Alys PRITCHARD",
        victim_dob=date(1990, 4, 3),
        referral_days_ago=300,
        perpetrator="Rhys LLOYD",
        perpetrator_dob=date(1979, 3, 3),
    )
    b = ws.case(
        victim="Alys JONES",
        victim_dob=date(1990, 4, 3),
        referral_days_ago=200,
        perpetrator="Kyle ASHWORTH",
        perpetrator_dob=date(1981, 1, 1),
    )
    c = ws.case(
        victim="Alys Jones", victim_dob=date(1990, 4, 3), perpetrator="Marcus YILDIZ", perpetrator_dob=date(1977, 7, 7)
    )
    # "Alys JONES" married; nothing in the names joins her to "Alys PRITCHARD" until a coordinator does.
    assert {m.other_case_id for m in case_matches(session, c.id)} == {b.id}
    decide_match(
        session,
        actor=ws.coordinator,
        person_id=_victim(session, b).id,
        other_person_id=_victim(session, a).id,
        same=True,
    )
    decide_match(
        session,
        actor=ws.coordinator,
        person_id=_victim(session, c).id,
        other_person_id=_victim(session, b).id,
        same=True,
    )
    found = {m.other_case_id: m.status for m in case_matches(session, c.id)}
    assert found == {a.id: "confirmed", b.id: "confirmed"}


def test_keys_follow_edits_and_same_case_people_are_not_matched(ws, session):
    earlier = ws.case(
        victim="Elif YILDIZ",
        victim_dob=date(1979, 6, 30),
        referral_days_ago=100,
        perpetrator="Rhys LLOYD",
        perpetrator_dob=date(1979, 3, 3),
    )
    now = ws.case(victim="Sian EVANS", victim_dob=date(1985, 1, 1))
    assert not [m for m in case_matches(session, now.id) if m.role == "victim"]
    victim = _victim(session, now)
    update_person(
        session,
        actor=ws.coordinator,
        person_id=victim.id,
        person=PersonInput(role="victim", name="Elif Yıldız", date_of_birth=date(1979, 6, 30)),
    )
    [m] = [m for m in case_matches(session, now.id) if m.role == "victim"]
    assert m.other_case_id == earlier.id
    keys = set(session.exec(select(PersonKey.key).where(PersonKey.person_id == victim.id)).all())
    assert "d:1979-06-30" in keys and "d:1985-01-01" not in keys


def test_meeting_files_carry_matches_for_every_case(ws, session):
    old_meeting = ws.meeting(days_ahead=-120)
    earlier = ws.case(old_meeting, victim="Małgorzata WÓJCIK", victim_dob=date(1983, 11, 30), referral_days_ago=130)
    meeting = ws.meeting()
    now = ws.case(meeting, victim="Malgorzata Wojcik", victim_dob=date(1983, 11, 30))
    _m, files = load_meeting_files(session, meeting.id)
    [cf] = files
    assert {m.other_case_id for m in cf.person_matches} == {earlier.id}
    assert [c.id for c, _ in cf.earlier_cases] == [earlier.id]
    assert cf.person_matches == load_case_file(session, now.id).person_matches


def test_search_finds_a_person_by_variant_name_alias_or_date_of_birth(ws, session):
    case = ws.case(victim="Siobhan KELLY", victim_dob=date(1988, 2, 2))
    victim = _victim(session, case)
    update_person(
        session,
        actor=ws.coordinator,
        person_id=victim.id,
        person=PersonInput(
            role="victim", name="Siobhan KELLY", aliases=["Siobhan QUINN"], date_of_birth=date(1988, 2, 2)
        ),
    )
    assert [h.reference for h in find_people(session, name="Shivaun Kelly")] == [case.reference]
    assert [h.reference for h in find_people(session, name="Siobhan Quinn", date_of_birth=date(1988, 2, 2))] == [
        case.reference
    ]
    hits = find_people(session, name="", date_of_birth=date(1988, 2, 2))
    assert [h.name for h in hits] == ["Siobhan KELLY"]
    assert find_people(session, name="Siobhan Kelly", date_of_birth=date(1970, 1, 1)) == []
    with pytest.raises(ValidationError):
        find_people(session, name="  ")


def test_a_search_by_surname_alone_does_not_blame_the_record_for_the_missing_first_name(ws, session):
    ws.case(victim="Siobhan KELLY", victim_dob=date(1988, 2, 2))
    [hit] = find_people(session, name="Kelly")
    assert hit.name == "Siobhan KELLY"
    assert "first name not recorded on one record" not in hit.reasons
    assert hit.reasons  # what did match is still said


def test_people_written_outside_the_services_get_keys_too(ws, session):
    case = ws.case()
    session.add(Person(case_id=case.id, role="other", name="Nia LLEWELYN", date_of_birth=None))
    session.commit()
    [nia] = session.exec(select(Person).where(Person.name == "Nia LLEWELYN")).all()
    keys = session.exec(select(PersonKey.key).where(PersonKey.person_id == nia.id)).all()
    assert keys and all(k.startswith("u:") for k in keys)


def test_upgrading_rebuilds_keys_in_the_new_scheme_for_people_already_recorded(ws, session):
    """Migration 0016 (`person_keys.rebuild_all`): records keyed before swapped digits were
    blocked together gain the keys, so a Lakshmi born 1989 is offered against the same Lakshmi
    recorded as born 1998."""
    from sqlalchemy import delete, text

    from marac_prep.core.person_keys import rebuild_all

    earlier = ws.case(ws.meeting(days_ahead=-200), victim="Lakshmi RAO", victim_dob=date(1998, 11, 17),
                      referral_days_ago=210)
    # As a database written by the previous version left it.
    session.execute(delete(PersonKey).where(PersonKey.key.like("x:s%")))
    session.commit()
    rebuild_all(session.connection())
    session.commit()
    now = ws.case(ws.meeting(), victim="Lakshmi Rao", victim_dob=date(1989, 11, 17))
    victim = next(m for m in case_matches(session, now.id) if m.role == "victim")
    assert victim.other_reference == earlier.reference
    assert "date of birth with two digits swapped" in victim.reasons
    assert session.execute(text("SELECT count(*) FROM person_key WHERE key LIKE 'x:s%'")).scalar() > 0

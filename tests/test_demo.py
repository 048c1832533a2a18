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


# What each agency records in the demo: the story must not have housing arresting anybody or the
# police fixing doors. Event types per agency, and words an agency's entries never use.
AGENCY_EVENT_TYPES = {
    "POL": {
        "incident",
        "call_out",
        "risk_assessment",
        "referral_made",
        "court_or_order",
        "breach",
        "counter_allegation",
    },
    "IDVA": {"incident", "disclosure", "risk_assessment", "referral_received", "service_offered", "contact"},
    "HLTH": {
        "disclosure",
        "referral_made",
        "ae_attendance",
        "missed_appointment",
        "contact",
        "referral_considered_not_made",
    },
    "MH": {"disclosure", "referral_considered_not_made"},
    "HSG": {"missed_appointment", "service_offered", "other", "contact", "referral_considered_not_made"},
    "EDU": {"disclosure", "other", "contact"},
    "CSC": {"referral_received", "safeguarding_action"},
    "ASC": {"safeguarding_action"},
    "PROB": {"court_or_order", "breach", "contact"},
    "SMS": {"contact"},
}
NOT_THEIRS = {
    "POL": ("repair", "tenancy", "GP", "midwife", "attendance"),
    "HSG": ("arrest", "bail", "999", "A&E", "GP"),
    "HLTH": ("arrest", "bail", "repair", "tenancy"),
    "EDU": ("arrest", "bail", "repair", "A&E"),
}


def test_every_entry_fits_the_agency_that_recorded_it(ws, session):
    from marac_prep.core.models import Agency

    build_demo(session, actor=ws.coordinator, cases=12)
    codes = {a.id: a.short_code for a in session.exec(select(Agency)).all()}
    seen: dict[str, set[str]] = {}
    for entry in session.exec(select(ChronologyEntry)).all():
        code = codes[entry.agency_id]
        seen.setdefault(code, set()).add(entry.event_type)
        assert entry.event_type in AGENCY_EVENT_TYPES[code], (code, entry.event_type, entry.summary)
        for word in NOT_THEIRS.get(code, ()):
            assert word.lower() not in entry.summary.lower(), (code, entry.summary)
    # The ordinary work of each agency shows up: call-outs and arrests, repairs and tenancy visits,
    # A&E and maternity, school attendance.
    summaries = " ".join(e.summary for e in session.exec(select(ChronologyEntry)).all())
    for words in ("arrested", "bail", "Repair", "Tenancy visit", "A&E", "Midwife", "Attendance"):
        assert words in summaries, words
    assert "call_out" in seen["POL"]


def test_children_are_younger_than_both_parents_by_at_least_sixteen_years(ws, session):
    build_demo(session, actor=ws.coordinator, cases=30, entries_per_case=2)
    people = session.exec(select(Person)).all()
    by_case: dict[int, list[Person]] = {}
    for person in people:
        by_case.setdefault(person.case_id, []).append(person)
    checked = 0
    for members in by_case.values():
        parents = [p for p in members if p.role in ("victim", "perpetrator")]
        for child in (p for p in members if p.role == "child"):
            for parent in parents:
                assert child.date_of_birth and parent.date_of_birth
                gap_years = (child.date_of_birth - parent.date_of_birth).days / 365.25
                assert gap_years >= 16, (child.name, parent.name, round(gap_years, 1))
                checked += 1
    assert checked > 10


def test_surnames_take_the_form_for_the_person(ws, session):
    from marac_prep.demo.workspace import surname_for

    assert surname_for("GRZEGORZEWSKI", "female") == "GRZEGORZEWSKA"
    assert surname_for("GRZEGORZEWSKA", "male") == "GRZEGORZEWSKI"
    assert surname_for("KAZLAUSKAS", "female") == "KAZLAUSKIENĖ"
    assert surname_for("NOWAK", "female") == "NOWAK"
    build_demo(session, actor=ws.coordinator, cases=40, entries_per_case=1)
    gendered = 0  # canonical (upper-case) surnames; earlier meetings' variants may be misspelled
    for person in session.exec(select(Person)).all():
        surname = person.name.rsplit(" ", 1)[-1]
        if person.gender == "female":
            assert not surname.endswith(("SKI", "CKI", "KAS")), person.name
            gendered += surname.endswith(("SKA", "CKA", "IENĖ"))
        elif person.gender == "male":
            assert not surname.endswith(("SKA", "CKA", "IENĖ")), person.name
            gendered += surname.endswith(("SKI", "CKI", "KAS"))
    assert gendered > 0
    for person in session.exec(select(Person).where(Person.role == "perpetrator")).all():
        husband = person.relationship.lower().endswith("husband")
        wife = person.relationship.lower().endswith("wife")
        assert not (husband and person.gender == "female") and not (wife and person.gender == "male"), person
    first_names_f = {"Lily", "Maja", "Ela", "Poppy", "Alys", "Hana"}
    for child in session.exec(select(Person).where(Person.role == "child")).all():
        assert (child.name.split(" ")[0] in first_names_f) == (child.gender == "female"), child.name

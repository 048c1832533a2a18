"""Chronology entry fields as the services store them: cleaned, checked, versioned, withdrawn."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import select

from marac_prep.core.chronology import edit_entry, entries_for_case, entry_history, get_entry, withdraw_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from marac_prep.core.models import AgencyReturn, AuditEvent
from marac_prep.core.returns import set_return

CONFLICT = (
    "Someone else changed this entry since you opened it; your changes were not saved. "
    "Reload the entry to see their version."
)


def _whole(sentence: str) -> str:
    """A `match` pattern for the whole sentence the user reads, not a fragment of it."""
    return f"^{re.escape(sentence)}$"


def _audited(session, action):
    return list(session.exec(select(AuditEvent).where(AuditEvent.action == action)).all())


def _return(session, case, agency_id):
    return session.exec(
        select(AgencyReturn).where(AgencyReturn.case_id == case.id, AgencyReturn.agency_id == agency_id)
    ).first()


def test_every_field_is_cleaned_to_its_stored_form(ws, session):
    case = ws.case()
    entry = ws.entry(
        case, "POL", on=PartialDate(date(2025, 3, 1), "month", True), event_type="Call out",
        summary="  Police attended.  ", detail=" Neighbour called. ", event_time=" 9:05 ",
        subjects=["Victim", "child", "victim"], risk_indicators=["14", "threats_to_kill", "15"],
        fact_or_opinion="Opinion", risk_level="High", sequence="2", source_ref=" P/1 ", recorded_by=" PC Jones ",
        shareable=0, withheld_reason=" Live investigation ", referred_to_agency_id=None,
    )
    stored = get_entry(session, entry.id)
    assert (stored.event_date, stored.date_precision, stored.date_approximate) == (date(2025, 3, 1), "month", True)
    assert stored.event_type == "call_out"
    assert (stored.summary, stored.detail, stored.source_ref, stored.recorded_by) == (
        "Police attended.", "Neighbour called.", "P/1", "PC Jones"
    )
    assert stored.event_time == "9:05"
    assert stored.subjects == ["child", "victim"]
    assert stored.fact_or_opinion == "opinion" and stored.risk_level == "high" and stored.sequence == 2
    assert stored.shareable is False and stored.withheld_reason == "Live investigation"
    assert stored.risk_indicators == ["threats_to_kill", "strangulation"]  # "14" is threats to kill: once


def test_defaults_when_left_out(ws, session):
    case = ws.case()
    entry = ws.entry(case, "POL", event_time="", fact_or_opinion="", risk_level="", subjects=None)
    stored = get_entry(session, entry.id)
    assert (stored.event_time, stored.fact_or_opinion, stored.risk_level, stored.subjects) == (None, "fact", None, [])
    assert stored.sequence == 0 and stored.shareable is True and stored.version == 1
    assert get_entry(session, ws.entry(case, "POL", shareable=True).id).shareable is True  # given, not defaulted


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"event_time": "25:00"}, '"25:00" is not a time; write it as HH:MM, e.g. 21:40.'),
        ({"event_time": "9.30"}, '"9.30" is not a time; write it as HH:MM, e.g. 21:40.'),
        ({"flavour": "mint"}, '"flavour" is not a chronology entry field.'),
        ({"referred_to_agency_id": 99_999, "event_type": "referral_made"}, "The agency named in the entry does not exist."),
        ({"subjects": ["neighbour"]}, '"neighbour" is not a valid subject; choose one of: victim, perpetrator, child, '
                                      'other.'),
        ({"fact_or_opinion": "rumour"}, '"rumour" is not a valid \'fact or opinion\'; choose one of: fact, opinion.'),
        ({"risk_level": "extreme"}, '"extreme" is not a valid risk level; choose one of: standard, medium, high.'),
        ({"event_type": "picnic"}, '"picnic" is not a known event type.'),
        ({"risk_indicators": ["bad dreams"]}, '"bad dreams" is not a Dash risk indicator.'),
    ],
)
def test_a_bad_field_is_refused_with_a_sentence_and_nothing_stored(ws, session, fields, says):
    case = ws.case()
    with pytest.raises(ValidationError) as refused:
        ws.entry(case, "POL", **fields)
    assert str(refused.value) == says  # the whole sentence: words added around it are a mistake too
    assert entries_for_case(session, case.id) == []


def test_a_date_is_required_and_must_be_a_partial_date(ws, session):
    from marac_prep.core.chronology import add_entry

    case = ws.case()
    for fields in ({}, {"date": "12/01/2025"}):
        with pytest.raises(ValidationError, match=_whole("An entry needs a date.")):
            add_entry(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                      event_type="incident", summary="x", **fields)
    with pytest.raises(ValidationError, match=_whole("An entry needs an event type.")):
        add_entry(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                  date=PartialDate(date(2025, 1, 1)), summary="x")


@pytest.mark.parametrize(
    ("status", "after"),
    [("not_requested", "returned"), ("requested", "returned"), ("chased", "returned"),
     ("nothing_known", "returned"), ("declined", "declined"), ("returned", "returned")],
)
def test_an_entry_marks_its_agencys_return_returned(ws, session, status, after):
    case = ws.case()
    hsg = ws.agency["HSG"].id
    if status == "chased":  # a chase follows a request
        set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=hsg, status="requested")
    if status != "not_requested":
        set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=hsg, status=status)
    ws.entry(case, "HSG")
    record = _return(session, case, hsg)
    assert record.status == after
    if after == "returned":
        assert record.returned_on == date.today()


def test_an_edit_keeps_the_earlier_version_and_says_what_changed(ws, session):
    case = ws.case()
    entry = ws.entry(case, "POL", summary="First account.")
    edited = edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=1,
                        summary="Second account.", sequence=3)
    assert (edited.summary, edited.sequence, edited.version) == ("Second account.", 3, 2)
    [kept] = entry_history(session, entry.id)
    assert (kept.version, kept.snapshot["summary"], kept.replaced_by_id) == (1, "First account.", ws.coordinator.id)
    again = edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=2, summary="Third.")
    assert [v.version for v in entry_history(session, entry.id)] == [1, 2] and again.version == 3
    with pytest.raises(ConflictError, match=_whole(CONFLICT)):
        edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=2, summary="Stale.")
    with pytest.raises(ValidationError, match="An entry needs a brief summary"):
        edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=3, summary=" ")
    assert get_entry(session, entry.id).summary == "Third."


def test_withdrawing_needs_a_reason_happens_once_and_freezes_the_entry(ws, session):
    case = ws.case()
    entry = ws.entry(case, "POL")
    with pytest.raises(ValidationError, match=_whole("Say why the entry is withdrawn.")):
        withdraw_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=1, reason="  ")
    gone = withdraw_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=1, reason=" Wrong case ")
    assert gone.withdrawn_reason == "Wrong case" and gone.withdrawn_by_id == ws.coordinator.id and gone.version == 2
    with pytest.raises(ValidationError, match=_whole("This entry was already withdrawn.")):
        withdraw_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=2, reason="Again")
    with pytest.raises(ValidationError, match=_whole("This entry was withdrawn and can no longer be changed.")):
        edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=2, summary="Back.")
    assert entries_for_case(session, case.id) == []
    assert [e.id for e in entries_for_case(session, case.id, include_withdrawn=True)] == [entry.id]


def test_an_unknown_entry_is_not_found(ws, session):
    with pytest.raises(NotFound, match=_whole("There is no chronology entry number 4242.")):
        get_entry(session, 4242)
    with pytest.raises(NotFound, match=_whole("There is no chronology entry number 4242.")):
        edit_entry(session, actor=ws.coordinator, entry_id=4242, expected_version=1, summary="x")


def test_a_new_entry_is_its_authors_own_and_audited_with_its_agency_and_type(ws, session):
    from marac_prep.core.chronology import add_entry

    case = ws.case()
    rep = ws.user("agency_rep", "HSG")
    entry = ws.entry(case, "HSG", event_type="Call out", actor=rep)
    stored = get_entry(session, entry.id)
    assert (stored.case_id, stored.agency_id, stored.version) == (case.id, ws.agency["HSG"].id, 1)
    assert (stored.created_by_id, stored.updated_by_id, stored.created_at) == (rep.id, rep.id, stored.updated_at)
    assert stored.created_at is not None and stored.withdrawn_at is None
    [event] = _audited(session, "entry.create")
    assert (event.user_id, event.object_type, event.object_id, event.case_id, event.details) == (
        rep.id, "chronology_entry", entry.id, case.id, {"agency_id": ws.agency["HSG"].id, "event_type": "call_out"}
    )
    with pytest.raises(PermissionDenied):
        ws.entry(case, "POL", actor=rep)
    with pytest.raises(NotFound, match=_whole("There is no case number 4242.")):
        add_entry(session, actor=ws.coordinator, case_id=4242, agency_id=ws.agency["POL"].id,
                  date=PartialDate(date(2025, 1, 1)), event_type="incident", summary="x")
    assert [e.id for e in entries_for_case(session, case.id)] == [entry.id]


def test_an_edit_is_audited_as_its_author_with_only_the_fields_that_changed(ws, session):
    case = ws.case()
    rep = ws.user("agency_rep", "POL")
    entry = ws.entry(case, "POL", summary="First account.", detail="Neighbour called.")  # by the coordinator
    written = get_entry(session, entry.id).updated_at
    edited = edit_entry(session, actor=rep, entry_id=entry.id, expected_version=1,
                        summary="Second account.", sequence=0, detail=None, agency_id=ws.agency["POL"].id)
    assert (edited.summary, edited.detail, edited.sequence) == ("Second account.", "", 0)
    assert edited.updated_by_id == rep.id and edited.updated_at > written
    [event] = _audited(session, "entry.update")
    assert (event.user_id, event.object_type, event.object_id, event.case_id, event.details) == (
        rep.id, "chronology_entry", entry.id, case.id, {"fields": ["detail", "summary"]}
    )


def test_a_withdrawal_is_audited_and_a_stale_one_is_refused(ws, session):
    case = ws.case()
    rep = ws.user("agency_rep", "HSG")
    entry = ws.entry(case, "HSG", actor=rep)
    with pytest.raises(ConflictError, match=_whole(CONFLICT)):
        withdraw_entry(session, actor=rep, entry_id=entry.id, expected_version=7, reason="Wrong case")
    with pytest.raises(NotFound, match=_whole("There is no chronology entry number 4242.")):
        withdraw_entry(session, actor=rep, entry_id=4242, expected_version=1, reason="Wrong case")
    assert _audited(session, "entry.withdraw") == []
    withdraw_entry(session, actor=rep, entry_id=entry.id, expected_version=1, reason="Wrong case")
    [event] = _audited(session, "entry.withdraw")
    assert (event.user_id, event.object_type, event.object_id, event.case_id) == (
        rep.id, "chronology_entry", entry.id, case.id
    )


def test_an_agency_changes_only_its_own_entries_and_cannot_hand_one_to_another_agency(ws, session):
    case = ws.case()
    rep = ws.user("agency_rep", "POL")
    theirs = ws.entry(case, "HSG", summary="Tenancy warning.")
    ours = ws.entry(case, "POL", summary="Police attended.")
    with pytest.raises(PermissionDenied):
        edit_entry(session, actor=rep, entry_id=theirs.id, expected_version=1, summary="Changed.")
    with pytest.raises(PermissionDenied):
        withdraw_entry(session, actor=rep, entry_id=theirs.id, expected_version=1, reason="Not ours")
    with pytest.raises(PermissionDenied):
        edit_entry(session, actor=rep, entry_id=ours.id, expected_version=1, agency_id=ws.agency["HSG"].id)
    assert get_entry(session, ours.id).agency_id == ws.agency["POL"].id
    assert (get_entry(session, theirs.id).summary, get_entry(session, theirs.id).withdrawn_at) == (
        "Tenancy warning.", None
    )
    moved = edit_entry(session, actor=ws.coordinator, entry_id=ours.id, expected_version=1,
                       agency_id=ws.agency["HSG"].id)
    assert moved.agency_id == ws.agency["HSG"].id


def test_editing_one_entry_leaves_the_others_alone(ws, session):
    case = ws.case()
    first = ws.entry(case, "POL", summary="First account.")
    other = ws.entry(case, "POL", summary="Other account.")
    edit_entry(session, actor=ws.coordinator, entry_id=first.id, expected_version=1, summary="Changed.")
    kept = get_entry(session, other.id)
    assert (kept.summary, kept.version) == ("Other account.", 1)


def test_whole_entry_rules_nothing_known_needs_no_summary_a_referral_needs_its_agency(ws, session):
    case = ws.case()
    ws.entry(case, "POL", event_type="nothing_known", summary="")
    ws.entry(case, "POL", event_type="referral_made", referred_to_agency_id=ws.agency["HSG"].id)
    with pytest.raises(ValidationError, match=_whole("A referral entry needs the agency it was made to.")):
        ws.entry(case, "POL", event_type="referral_made")
    assert len(entries_for_case(session, case.id)) == 2


def test_an_entry_marks_only_its_own_agencys_return_on_its_own_case(ws, session):
    case, other = ws.case(), ws.case(victim="Dana Other")
    hsg, pol = ws.agency["HSG"].id, ws.agency["POL"].id
    set_return(session, actor=ws.coordinator, case_id=other.id, agency_id=hsg, status="requested")
    set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=pol, status="requested")
    ws.entry(case, "HSG")
    created = _return(session, case, hsg)
    assert (created.status, created.returned_on, created.version) == ("returned", date.today(), 1)
    assert _return(session, other, hsg).status == "requested"
    assert _return(session, case, pol).status == "requested"


def test_marking_returned_keeps_the_answer_date_and_refuses_a_desk_holding_the_old_version(ws, session):
    case = ws.case()
    hsg = ws.agency["HSG"].id
    answered = set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=hsg, status="nothing_known",
                          on=date(2025, 1, 6))
    assert answered.version == 1
    ws.entry(case, "HSG")
    record = _return(session, case, hsg)
    session.refresh(record)
    assert (record.status, record.returned_on, record.version) == ("returned", date(2025, 1, 6), 2)
    with pytest.raises(ConflictError):
        set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=hsg, status="declined",
                   expected_version=1)


def test_the_chronology_order_is_date_sequence_time_then_entry(ws, session):
    case = ws.case()
    day = date(2025, 2, 2)
    late = ws.entry(case, "POL", on=day, sequence=0, event_time="22:00")
    early = ws.entry(case, "POL", on=day, sequence=0, event_time="08:00")
    second = ws.entry(case, "HSG", on=day, sequence=1)
    before = ws.entry(case, "HSG", on=date(2025, 2, 1), sequence=9)
    assert [e.id for e in entries_for_case(session, case.id)] == [before.id, early.id, late.id, second.id]


def test_a_persons_input_carries_what_a_referral_says_and_no_bookkeeping():
    from marac_prep.core.cases import PERSON_FIELDS, PersonInput

    assert "version" not in PERSON_FIELDS and "id" not in PERSON_FIELDS and "case_id" not in PERSON_FIELDS
    assert {"role", "name", "aliases", "date_of_birth", "phone", "must_not_receive_information"} <= set(PERSON_FIELDS)
    assert set(PersonInput.model_fields) == {*PERSON_FIELDS, "address", "address_confidential"}

"""Chronology entry fields as the services store them: cleaned, checked, versioned, withdrawn."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import select

from marac_prep.core.chronology import edit_entry, entries_for_case, entry_history, get_entry, withdraw_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.errors import ConflictError, NotFound, ValidationError
from marac_prep.core.models import AgencyReturn


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


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"event_time": "25:00"}, '"25:00" is not a time; write it as HH:MM, e.g. 21:40.'),
        ({"event_time": "9.30"}, '"9.30" is not a time'),
        ({"flavour": "mint"}, '"flavour" is not a chronology entry field.'),
        ({"referred_to_agency_id": 99_999, "event_type": "referral_made"}, "The agency named in the entry does not exist."),
        ({"subjects": ["neighbour"]}, "is not a valid subject"),
        ({"fact_or_opinion": "rumour"}, "is not a valid 'fact or opinion'"),
        ({"risk_level": "extreme"}, "is not a valid risk level"),
        ({"event_type": "picnic"}, '"picnic" is not a known event type.'),
        ({"risk_indicators": ["bad dreams"]}, '"bad dreams" is not a Dash risk indicator.'),
    ],
)
def test_a_bad_field_is_refused_with_a_sentence_and_nothing_stored(ws, session, fields, says):
    case = ws.case()
    with pytest.raises(ValidationError) as refused:
        ws.entry(case, "POL", **fields)
    assert says in str(refused.value)
    assert entries_for_case(session, case.id) == []


def test_a_date_is_required_and_must_be_a_partial_date(ws, session):
    from marac_prep.core.chronology import add_entry

    case = ws.case()
    for fields in ({}, {"date": "12/01/2025"}):
        with pytest.raises(ValidationError, match=re.escape("An entry needs a date.")):
            add_entry(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                      event_type="incident", summary="x", **fields)
    with pytest.raises(ValidationError, match=re.escape("An entry needs an event type.")):
        add_entry(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                  date=PartialDate(date(2025, 1, 1)), summary="x")


@pytest.mark.parametrize(
    ("status", "after"),
    [("not_requested", "returned"), ("requested", "returned"), ("chased", "returned"),
     ("nothing_known", "returned"), ("declined", "declined"), ("returned", "returned")],
)
def test_an_entry_marks_its_agencys_return_returned(ws, session, status, after):
    from marac_prep.core.returns import set_return

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
    with pytest.raises(ConflictError, match="Someone else changed this entry"):
        edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=2, summary="Stale.")
    with pytest.raises(ValidationError, match="An entry needs a brief summary"):
        edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=3, summary=" ")
    assert get_entry(session, entry.id).summary == "Third."


def test_withdrawing_needs_a_reason_happens_once_and_freezes_the_entry(ws, session):
    case = ws.case()
    entry = ws.entry(case, "POL")
    with pytest.raises(ValidationError, match=re.escape("Say why the entry is withdrawn.")):
        withdraw_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=1, reason="  ")
    gone = withdraw_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=1, reason=" Wrong case ")
    assert gone.withdrawn_reason == "Wrong case" and gone.withdrawn_by_id == ws.coordinator.id and gone.version == 2
    with pytest.raises(ValidationError, match="already withdrawn"):
        withdraw_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=2, reason="Again")
    with pytest.raises(ValidationError, match="withdrawn and can no longer be changed"):
        edit_entry(session, actor=ws.coordinator, entry_id=entry.id, expected_version=2, summary="Back.")
    assert entries_for_case(session, case.id) == []
    assert [e.id for e in entries_for_case(session, case.id, include_withdrawn=True)] == [entry.id]


def test_an_unknown_entry_is_not_found(ws, session):
    with pytest.raises(NotFound, match=re.escape("There is no chronology entry number 4242.")):
        get_entry(session, 4242)
    with pytest.raises(NotFound, match=re.escape("There is no chronology entry number 4242.")):
        edit_entry(session, actor=ws.coordinator, entry_id=4242, expected_version=1, summary="x")


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

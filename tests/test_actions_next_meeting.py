"""Into the next preparation: the last Marac's actions the agency did not complete are raised again."""

from __future__ import annotations

from datetime import date, timedelta

from marac_prep.analysis.gaps import analyse_case
from marac_prep.core.actions import add_action, report_status
from marac_prep.core.casefile import load_case_file, load_meeting_files


def _status(session, ws, action, status, **kw):
    return report_status(session, actor=ws.coordinator, action_id=action.id, expected_version=action.version,
                         status=status, **kw)


def test_action_the_agency_did_not_act_on_is_raised_on_the_repeat(session, ws):
    past = ws.meeting(-60)
    earlier = ws.case(past, reference="MAR-OLD-0001", referral_days_ago=70)
    today = date.today()
    make = lambda agency, text, due: add_action(  # noqa: E731
        session, actor=ws.coordinator, case_id=earlier.id, agency_id=ws.agency[agency].id, text=text,
        owner="Named Officer", due_date=today - timedelta(days=due))
    not_acted = make("HSG", "Fit a door lock within two weeks.", 40)
    changed = make("MH", "Offer an assessment appointment.", 40)
    done = make("POL", "Flag the address.", 50)
    still_open = make("PROB", "Review licence conditions.", 30)
    _status(session, ws, not_acted, "not_done_agency", outcome="No contractor was booked.")
    _status(session, ws, changed, "not_done_circumstances", outcome="She moved out of the area.")
    _status(session, ws, done, "done", done_on=today - timedelta(days=55), outcome="Flag set.")
    del still_open

    upcoming = ws.meeting(7)
    repeat = ws.case(upcoming, reference="MAR-NEW-0001", referral_days_ago=5, repeat=True)
    for case_file in (load_case_file(session, repeat.id), load_meeting_files(session, upcoming.id)[1][0]):
        found = [f for f in analyse_case(case_file) if f.kind == "action_not_completed"]
        by_agency = {f.agency: f for f in found}
        assert set(by_agency) == {ws.agency["HSG"].name, ws.agency["PROB"].name}
        housing = by_agency[ws.agency["HSG"].name]
        assert housing.severity == "high"
        assert "did not act" in housing.message and "No contractor was booked." in housing.message
        assert ".." not in housing.message
        assert "MAR-OLD-0001" in housing.message
        assert by_agency[ws.agency["PROB"].name].severity == "medium"
    # The earlier case itself has no earlier Marac, so nothing is raised there.
    assert not [f for f in analyse_case(load_case_file(session, earlier.id)) if f.kind == "action_not_completed"]


def test_another_victims_actions_are_not_raised(session, ws):
    earlier = ws.case(ws.meeting(-60), reference="MAR-OTH-0001", referral_days_ago=70,
                      victim="Carys LLOYD", victim_dob=date(1980, 1, 1))
    action = add_action(session, actor=ws.coordinator, case_id=earlier.id, agency_id=ws.agency["HSG"].id,
                        text="Fit a door lock.")
    _status(session, ws, action, "not_done_agency", outcome="Not booked.")
    other = ws.case(ws.meeting(7), reference="MAR-OTH-0002", referral_days_ago=5)
    assert not [f for f in analyse_case(load_case_file(session, other.id)) if f.kind == "action_not_completed"]

"""Settings a Marac changes: packaged defaults overlaid by the database, checked, audited."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta

import pytest
from sqlmodel import select

from marac_prep.analysis.gaps import analyse_case
from marac_prep.cli import main
from marac_prep.core.casefile import load_case_file
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.models import AuditEvent
from marac_prep.core.risk import Answer, record_risk_assessment
from marac_prep.core.settings import (
    SPECS,
    Settings,
    current,
    descriptions,
    packaged,
    parse_value,
    set_setting,
    setting_lines,
)
from marac_prep.core.vocabulary import dash_questions
from marac_prep.resources import load_json, resource_path


def _packaged_keys() -> set[str]:
    return {k for k in load_json("settings.json") if not k.startswith("_")}


def test_every_setting_has_a_description_a_check_and_a_typed_field():
    keys = _packaged_keys()
    assert keys == set(descriptions()), "settings.json and settings_help.json name different settings"
    assert all(len(descriptions()[k]) > 20 for k in keys), "a description says nothing"
    assert keys == set(SPECS)
    assert keys == {f.name for f in dataclasses.fields(Settings)}


def test_packaged_defaults_are_the_shipped_values():
    values = packaged()
    assert values.visible_high_risk_threshold == 14
    assert values.risk_level(9) == "standard" and values.risk_level(10) == "medium" and values.risk_level(14) == "high"
    assert values.escalation_incident_count == 3 and values.repeat_window_days == 365


def _three_incidents(ws):
    case = ws.case(criteria=["professional_judgement"], referral_days_ago=5)
    start = date.today() - timedelta(days=200)
    ws.entry(case, "POL", on=start, event_type="incident")
    ws.entry(case, "HLTH", on=start + timedelta(days=40), event_type="ae_attendance")
    ws.entry(case, "IDVA", on=start + timedelta(days=80), event_type="disclosure")
    return case


def _kinds(session, case_id):
    return {f.kind for f in analyse_case(load_case_file(session, case_id))}


def test_a_changed_setting_changes_a_rule_without_touching_the_package(session, ws):
    shipped = resource_path("settings.json").read_bytes()
    case = _three_incidents(ws)
    assert "escalation" in _kinds(session, case.id)

    set_setting(session, actor=ws.coordinator, name="escalation_incident_count", value=4)

    assert "escalation" not in _kinds(session, case.id)
    assert current(session).escalation_incident_count == 4
    assert hashlib.sha256(resource_path("settings.json").read_bytes()).digest() == hashlib.sha256(shipped).digest()
    # Back to the default: the override is gone and the rule fires again.
    set_setting(session, actor=ws.coordinator, name="escalation_incident_count", value=3)
    assert "escalation" in _kinds(session, case.id)


def test_changed_risk_bands_decide_a_new_assessment_level(session, ws):
    case = ws.case()
    set_setting(session, actor=ws.coordinator, name="risk_bands", value=parse_value("risk_bands", "0-5, 6-8, 9-24"))
    answers = {q.id: Answer("yes") for q in dash_questions()[:9]}
    assessment = record_risk_assessment(
        session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
        assessed_on=date.today(), answers=answers,
    )
    assert assessment.score == 9 and assessment.level == "high"


def test_a_change_is_audited_with_old_and_new_values(session, ws):
    set_setting(session, actor=ws.coordinator, name="repeat_window_days", value=200)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "setting.change")).one()
    assert event.user_name == ws.coordinator.name
    assert event.details == {"name": "repeat_window_days", "old": 365, "new": 200}


@pytest.mark.parametrize("role", ["idva", "agency_rep", "viewer"])
def test_only_a_coordinator_changes_settings(session, ws, role):
    someone = ws.user(role, "IDVA" if role != "viewer" else None)
    with pytest.raises(PermissionDenied, match="cannot change this Marac's settings"):
        set_setting(session, actor=someone, name="repeat_window_days", value=30)
    assert current(session).repeat_window_days == 365
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "setting.change")).all() == []


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("repeat_window_days", "a year", "whole number from 1 to 3650"),
        ("repeat_window_days", "0", "whole number from 1 to 3650"),
        ("visible_high_risk_threshold", "25", "from 1 to 24"),
        ("risk_bands", "0-9, 11-13, 14-24", "medium should start at 10"),
        ("risk_bands", "0-9, 10-13, 14-20", "high should end at 24"),
        ("default_marking", "   ", "between 1 and 60"),
        ("criteria", "[]", "fixed"),
        ("no_such_setting", "1", "is not a setting"),
    ],
)
def test_a_bad_value_is_refused_with_a_sentence(name, text, says):
    with pytest.raises(ValidationError, match=says):
        parse_value(name, text)


def test_a_stored_value_made_invalid_outside_the_app_falls_back_to_the_default(session, ws):
    from marac_prep.core.models import Setting

    set_setting(session, actor=ws.coordinator, name="idle_lock_minutes", value=20)
    row = session.get(Setting, "idle_lock_minutes")
    row.value = "twenty"
    session.add(row)
    session.commit()
    assert current(session).idle_lock_minutes == 10


def test_lines_show_value_default_and_description(session, ws):
    set_setting(session, actor=ws.coordinator, name="default_marking", value="OFFICIAL")
    lines = {line.name: line for line in setting_lines(session)}
    assert lines["default_marking"].value == "OFFICIAL" and lines["default_marking"].changed
    assert lines["default_marking"].description == descriptions()["default_marking"]
    assert not lines["criteria"].settable


def test_settings_command_sets_and_lists(tmp_path, capsys):
    target = str(tmp_path / "m.sqlite")
    assert main(["--database", target, "settings", "set", "risk_bands", "0-8, 9-13, 14-24"]) == 0
    assert main(["--database", target, "settings", "set", "referral_received_window_days", "ten"]) == 2
    assert main(["--database", target, "settings", "list"]) == 0
    out, err = capsys.readouterr()
    assert "risk_bands is now 0-8, 9-13, 14-24." in out
    assert "risk_bands = 0-8, 9-13, 14-24 (default 0-9, 10-13, 14-24)" in out
    assert "referral_received_window_days = 14\n" in out
    assert descriptions()["idle_lock_minutes"] in out
    assert "whole number" in err and "Traceback" not in err


def test_a_change_made_since_the_dialog_read_the_settings_is_refused(session, ws):
    """Two coordinators with the Settings dialog open: the second save must not overwrite the first."""
    from marac_prep.core.errors import ConflictError
    from marac_prep.core.models import Setting
    from marac_prep.core.settings import set_settings, setting_lines

    seen = {line.name: line.version for line in setting_lines(session)}
    assert seen["repeat_window_days"] == 0  # the packaged default: nothing stored yet
    set_settings(session, actor=ws.coordinator, values={"repeat_window_days": 200},
                 expected_versions={"repeat_window_days": seen["repeat_window_days"]})
    with pytest.raises(ConflictError, match='Another coordinator changed "Repeat window days"'):
        set_settings(session, actor=ws.coordinator, values={"repeat_window_days": 300},
                     expected_versions={"repeat_window_days": seen["repeat_window_days"]})
    assert current(session).repeat_window_days == 200
    now = {line.name: line.version for line in setting_lines(session)}
    assert now["repeat_window_days"] == 1
    set_settings(session, actor=ws.coordinator, values={"repeat_window_days": 300}, expected_versions=now)
    # Back to the default removes the stored value, still only from the version seen.
    with pytest.raises(ConflictError):
        set_settings(session, actor=ws.coordinator, values={"repeat_window_days": 365}, expected_versions=now)
    set_settings(session, actor=ws.coordinator, values={"repeat_window_days": packaged().repeat_window_days},
                 expected_versions={"repeat_window_days": 2})
    assert session.get(Setting, "repeat_window_days") is None

"""A Marac changes its own agency list; names and codes stay unique ignoring case."""

from __future__ import annotations

import pytest

from marac_prep.core.agencies import add_agency, list_agencies, update_agency
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.reference import find_agency
from marac_prep.core.returns import returns_for_case


def test_default_agencies_match_case_insensitively(session, ws):
    assert find_agency(session, "children's social care").short_code == "CSC"
    assert find_agency(session, "idva").name == "Idva service"
    with pytest.raises(ValidationError, match="not an agency"):
        find_agency(session, "Fire service")


def test_coordinator_adds_an_expected_agency_and_cases_expect_it(session, ws):
    hv = add_agency(session, actor=ws.coordinator, name="Health visiting", short_code="hv", category="children")
    case = ws.case(children=1)
    expected = {r.agency.short_code for r in returns_for_case(session, case.id) if r.expected}
    assert hv.short_code == "HV" and "HV" in expected


def test_duplicate_names_are_refused_ignoring_case(session, ws):
    with pytest.raises(ValidationError, match="already has the name"):
        add_agency(session, actor=ws.coordinator, name="POLICE", short_code="P2")


def test_deactivated_agency_is_no_longer_expected(session, ws):
    update_agency(session, actor=ws.coordinator, agency_id=ws.agency["SMS"].id, active=False)
    case = ws.case()
    assert "SMS" not in {r.agency.short_code for r in returns_for_case(session, case.id) if r.expected}
    assert any(not a.active for a in list_agencies(session))


def test_only_coordinators_change_the_list(session, ws):
    rep = ws.user("agency_rep", "HSG")
    with pytest.raises(PermissionDenied):
        add_agency(session, actor=rep, name="Fire service", short_code="FIRE")

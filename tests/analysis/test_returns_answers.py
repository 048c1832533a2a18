"""What counts as an agency's answer: "nothing known" is refused beside its own entries, and
declining never counts as answering."""

from __future__ import annotations

import pytest
from sqlmodel import select

from marac_prep.core.chronology import withdraw_entry
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import AgencyReturn, AuditEvent
from marac_prep.core.returns import return_progress, returns_for_case, set_return


def test_nothing_known_is_refused_while_the_agency_holds_entries(ws, session):
    case = ws.case()
    entry = ws.entry(case, "HSG", event_type="contact", summary="Tenancy visit.")
    audited = len(session.exec(select(AuditEvent)).all())
    with pytest.raises(ValidationError, match="cannot also answer 'nothing known'"):
        set_return(
            session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id, status="nothing_known"
        )
    [kept] = session.exec(select(AgencyReturn).where(AgencyReturn.case_id == case.id)).all()
    assert kept.status == "returned"  # adding the entry recorded the return; the refusal left it so
    assert len(session.exec(select(AuditEvent)).all()) == audited
    # Another agency with no entries may answer so; and once the entry is withdrawn, Housing may.
    set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["MH"].id, status="nothing_known")
    withdraw_entry(
        session, actor=ws.coordinator, entry_id=entry.id, expected_version=entry.version, reason="Wrong case."
    )
    set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id, status="nothing_known")


def test_declined_is_recorded_but_never_counts_as_answered(ws, session):
    case = ws.case()
    set_return(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["MH"].id, status="declined",
               note="Cannot share without a court order.")
    rows = returns_for_case(session, case.id)
    declined = next(r for r in rows if r.agency.short_code == "MH")
    assert declined.status == "declined" and not declined.answered and declined.record.returned_on is not None
    assert return_progress(rows) == (0, 8)

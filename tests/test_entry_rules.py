"""One set of entry rules: the services, the importer and the entry dialog refuse the same entries
with the same sentence (core.entry_rules)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from marac_prep.core.chronology import add_entry
from marac_prep.core.dates import PartialDate
from marac_prep.core.entry_rules import SUMMARY_MAX, entry_problems
from marac_prep.core.errors import ValidationError
from marac_prep.interchange.importer import import_file
from tests.interchange.helpers import write_csv

HEADER = ["case_reference", "agency", "date", "event_type", "summary", "shareable", "withheld_reason", "referred_to"]
GOOD = {"event_type": "incident", "summary": "Police attended.", "shareable": True, "withheld_reason": "",
        "has_referred_agency": False}

BROKEN = [
    ({"summary": "  "}, "An entry needs a brief summary of what happened."),
    ({"summary": "x" * (SUMMARY_MAX + 1)}, f"The summary is {SUMMARY_MAX + 1} characters; keep it under {SUMMARY_MAX}"),
    ({"shareable": False}, "An entry that may not be shared needs the reason it is withheld."),
    ({"event_type": "referral_made"}, "A referral entry needs the agency it was made to."),
]


def test_a_good_entry_breaks_no_rule_and_nothing_known_needs_no_summary():
    assert entry_problems(**GOOD) == []
    assert entry_problems(**{**GOOD, "event_type": "nothing_known", "summary": ""}) == []
    assert entry_problems(**{**GOOD, "summary": "x" * SUMMARY_MAX}) == []
    assert entry_problems(**{**GOOD, "shareable": False, "withheld_reason": "Live investigation"}) == []
    assert entry_problems(**{**GOOD, "event_type": "referral_made", "has_referred_agency": True}) == []


@pytest.mark.parametrize(("change", "sentence"), BROKEN)
def test_each_rule_is_said_the_same_way_by_the_rules_the_services_and_the_importer(
    ws, session, tmp_path: Path, change, sentence
):
    assert any(p.sentence.startswith(sentence) for p in entry_problems(**{**GOOD, **change}))

    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-RULE-1")
    fields = {**GOOD, **change}
    with pytest.raises(ValidationError) as refused:
        add_entry(
            session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
            date=PartialDate(date(2025, 3, 1)), event_type=fields["event_type"], summary=fields["summary"],
            shareable=fields["shareable"], withheld_reason=fields["withheld_reason"],
        )
    assert str(refused.value).startswith(sentence)

    row = ["MAR-RULE-1", "Police", "01/03/2025", fields["event_type"], fields["summary"],
           "yes" if fields["shareable"] else "no", fields["withheld_reason"], ""]
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id,
                         path=write_csv(tmp_path / "r.csv", [HEADER, row]), rejects_dir=tmp_path)
    assert result.rejected == 1
    reason = (tmp_path / "r.rejects.csv").read_text(encoding="utf-8-sig")
    assert sentence.rstrip(".") in reason


def test_a_future_date_is_refused_alike(ws, session, tmp_path: Path):
    meeting = ws.meeting()
    case = ws.case(meeting, reference="MAR-RULE-2")
    tomorrow = date.today() + timedelta(days=1)
    with pytest.raises(ValidationError, match="is in the future"):
        add_entry(session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["POL"].id,
                  date=PartialDate(tomorrow), event_type="incident", summary="Not yet.")
    row = ["MAR-RULE-2", "Police", f"{tomorrow:%d/%m/%Y}", "incident", "Not yet.", "yes", "", ""]
    result = import_file(session, actor=ws.coordinator, meeting_id=meeting.id,
                         path=write_csv(tmp_path / "f.csv", [HEADER, row]), rejects_dir=tmp_path)
    assert result.rejected == 1
    assert f"{PartialDate(tomorrow).display()} is in the future." in (tmp_path / "f.rejects.csv").read_text(
        encoding="utf-8-sig"
    )

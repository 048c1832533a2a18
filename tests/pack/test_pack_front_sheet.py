"""The pack as a chair reads it: the front sheet, the running header, returns, metadata, one recipient's copy."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from marac_prep.core.cases import PersonInput, create_case
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import AuditEvent, Case
from marac_prep.core.returns import set_return
from marac_prep.core.risk import Answer, record_risk_assessment
from marac_prep.pack import export_pack
from marac_prep.pack.content import sentence_dates
from tests.factories import Workspace


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(str(path)).pages]


@pytest.fixture
def chair_case(ws: Workspace) -> Case:
    """A repeat referral with children, a Dash checklist, the referrer's words and the Idva's view."""
    meeting = ws.meeting(area="Eastbridge")
    earlier_meeting = ws.meeting(days_ahead=-200, area="Eastbridge")
    victim = PersonInput(role="victim", name="Bartholomew GRZEGORZEWSKA", date_of_birth=date(1986, 5, 17),
                         gender="male")
    create_case(ws.session, actor=ws.coordinator, reference="MAR-EARLY-001",
                referral_date=date.today() - timedelta(days=210), referring_agency_id=ws.agency["POL"].id,
                meeting_id=earlier_meeting.id, criteria=["visible_high_risk"], dash_score=15, people=[victim])
    case = create_case(
        ws.session, actor=ws.coordinator, reference="MAR-FRONT-002",
        referral_date=date.today() - timedelta(days=10), referring_agency_id=ws.agency["IDVA"].id,
        meeting_id=meeting.id, criteria=["professional_judgement"], dash_score=3, victim_aware=True,
        victim_consent=True,
        referral_reason="Threatened to burn the house down with the children inside.",
        victim_wishes="Wants to stay at home with a sanctuary scheme; the Idva thinks risk is rising.",
        people=[
            victim,
            PersonInput(role="perpetrator", name="Krystian NOWAKOWSKI", date_of_birth=date(1984, 2, 2),
                        relationship="Husband"),
            PersonInput(role="child", name="Lena NOWAKOWSKA", date_of_birth=date.today() - timedelta(days=7 * 366),
                        school="Larkspur Primary School"),
        ],
    )
    record_risk_assessment(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["IDVA"].id,
                           assessed_on=date.today() - timedelta(days=11),
                           answers={"strangulation": Answer("yes"), "threats_to_kill": Answer("yes"),
                                    "separation": Answer("yes"), "injury": Answer("no")})
    set_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["HSG"].id,
               status="declined", note="Data-sharing agreement not signed", representative="Rhodri EVANS")
    set_return(ws.session, actor=ws.coordinator, case_id=case.id, agency_id=ws.agency["PROB"].id,
               status="nothing_known", representative="Elif KAYA")
    long_text = "The officer's account goes on. " * 120
    ws.entry(case, "POL", on=date.today() - timedelta(days=40), summary="Police attended a 999 call.",
             detail=long_text, source_ref="POL-2026-INC-0004711-ATTENDANCE")
    return case


@pytest.fixture
def chair_pack(ws: Workspace, session: Session, chair_case: Case, tmp_path: Path) -> Path:
    destination = tmp_path / "pack.pdf"
    export_pack(session, actor=ws.coordinator, meeting_id=chair_case.meeting_id, destination=destination)
    return destination


def test_front_sheet_has_what_the_chair_reads_first(chair_pack: Path) -> None:
    texts = page_texts(chair_pack)
    front = next(t for t in texts if "Case 1 of 1: MAR-FRONT-002" in t)
    flat = squash(front)
    for expected in ("Bartholomew GRZEGORZEWSKA", "Krystian NOWAKOWSKI", "Husband", "Lena NOWAKOWSKA",
                     "Larkspur Primary School", "Idva service on", "Professional judgement",
                     "Threatened to burn the house down", "Wants to stay at home with a sanctuary scheme",
                     "6 Separation in the past year", "14 Threats to kill", "Aware of the referral: yes",
                     "REPEAT", "MAR-EARLY-001", "What the chair must know first"):
        assert squash(expected) in flat, expected
    # The surname is never broken inside the word.
    assert "GRZEGORZEWSKA" in front
    assert "Current injury" not in front  # answered "no"


def test_declined_is_not_an_answer(chair_pack: Path) -> None:
    texts = page_texts(chair_pack)
    front = next(t for t in texts if "Case 1 of 1: MAR-FRONT-002" in t)
    match = re.search(r"Returns (\d+) of (\d+) \((\d+) declined, (\d+) not returned\)", front)
    assert match is not None, front
    answered, expected, declined, silent = map(int, match.groups())
    assert (answered, declined) == (2, 1)  # Police (entries) and Probation (nothing known); Housing declined
    assert answered + declined + silent == expected
    assert "Declined – Data-sharing agreement not signed" in front and "Rhodri EVANS" in front
    timeline = next(t for t in texts if "Timeline" in t and "MAR-FRONT-002" in t)
    assert "Housing (declined)" in timeline and "declined to share" in timeline


def test_every_case_page_names_the_case_and_a_repeat_is_a_repeat_on_the_agenda(chair_pack: Path) -> None:
    texts = page_texts(chair_pack)
    case_pages = [t for t in texts[2:-1]]
    assert len(case_pages) >= 2
    assert all("MAR-FRONT-002 · case 1 of 1" in t for t in case_pages)
    assert all("(continued)" in t for t in case_pages[1:]) and "(continued)" not in case_pages[0]
    agenda = texts[1]
    assert "Repeat" in agenda.split("MAR-FRONT-002", 1)[1]
    assert re.search(r"\b3–\d+\b", agenda)  # the case's pages


def test_continued_entries_repeat_their_date_and_source_extracts_intact(chair_pack: Path) -> None:
    text = "\n".join(page_texts(chair_pack))
    assert "POL-2026-INC-0004711-ATTENDANCE" in text
    day = date.today() - timedelta(days=40)
    assert squash(f"{day.day} {day:%b %Y} (continued)") in squash(text)


def test_metadata_language_title_xmp_and_version(chair_pack: Path) -> None:
    with pikepdf.open(chair_pack) as pdf:
        assert pdf.pdf_version == "1.7"
        assert str(pdf.Root.Lang) == "en-GB"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True
        meta = pdf.open_metadata()
        assert meta["dc:title"].startswith("Pre-Marac pack, Marac meeting")
        assert "GRZEGORZEWSKA" not in str(meta)  # metadata never names a person


def test_a_short_password_is_refused_with_a_reason(ws: Workspace, session: Session, chair_case: Case,
                                                   tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"at least 12.*email"):
        export_pack(session, actor=ws.coordinator, meeting_id=chair_case.meeting_id,
                    destination=tmp_path / "p.pdf", password="Short pw 1!")
    assert not (tmp_path / "p.pdf").exists()


def test_pack_for_one_agency_is_watermarked_and_audited(ws: Workspace, session: Session, chair_case: Case,
                                                       tmp_path: Path) -> None:
    destination = tmp_path / "for-police.pdf"
    result = export_pack(session, actor=ws.coordinator, meeting_id=chair_case.meeting_id,
                         destination=destination, for_agency="pol")
    assert result.prepared_for == "Police"
    line = f"Prepared for Police on {date.today().day} {date.today():%b %Y}"
    texts = page_texts(destination)
    assert all(squash(line) in squash(t) for t in texts)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "pack.export")).all()[-1]
    assert event.details["prepared_for"] == "Police" and event.user_name == ws.coordinator.name
    assert event.details["references"] == ["MAR-FRONT-002"]
    with pytest.raises(ValidationError, match="no agency"):
        export_pack(session, actor=ws.coordinator, meeting_id=chair_case.meeting_id,
                    destination=tmp_path / "x.pdf", for_agency="Nobody")


def test_dates_in_sentences() -> None:
    assert sentence_dates("referred on Jul 2025 and on 2024.") == "referred in Jul 2025 and in 2024."
    assert sentence_dates("seen on 12 Jul 2025") == "seen on 12 Jul 2025"


def test_a_reviewed_finding_shows_its_review_in_the_pack(ws: Workspace, session: Session, chair_case: Case,
                                                         tmp_path: Path) -> None:
    from marac_prep.analysis.gaps import analyse_case
    from marac_prep.core.casefile import load_case_file
    from marac_prep.core.reviews import review_finding

    finding = analyse_case(load_case_file(session, chair_case.id))[0]
    review_finding(session, actor=ws.coordinator, case_id=chair_case.id, finding_key=finding.key,
                   note="Raised with the chair before the meeting.")
    destination = tmp_path / "reviewed.pdf"
    export_pack(session, actor=ws.coordinator, meeting_id=chair_case.meeting_id, destination=destination)
    text = squash("\n".join(page_texts(destination)))
    assert squash(f"Reviewed by {ws.coordinator.name}") in text
    assert squash("Raised with the chair before the meeting.") in text

"""The pre-Marac pack read back as a coordinator (and a checker) would read it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.models import AuditEvent
from marac_prep.pack import PackCancelled, export_pack
from marac_prep.pack import export as export_module
from tests.factories import Workspace
from tests.pack.scenario import (
    MARKUP,
    REFUGE,
    SAFE_PHONE,
    VICTIMS,
    WITHHELD_SUMMARY,
    Scenario,
    build_scenario,
)


def squash(text: str) -> str:
    """Text without whitespace, so wrapped lines compare equal to the original."""
    return re.sub(r"\s+", "", text)


def page_texts(path: Path, password: str | None = None) -> list[str]:
    reader = PdfReader(str(path))
    if password:
        reader.decrypt(password)
    return [page.extract_text() or "" for page in reader.pages]


def raw_bytes(path: Path, tmp_path: Path) -> bytes:
    """The file with every stream decompressed, for byte-level absence checks."""
    out = tmp_path / "qdf.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(path), str(out)], check=True)
    return out.read_bytes()


@pytest.fixture
def scenario(ws: Workspace) -> Scenario:
    return build_scenario(ws)


@pytest.fixture
def pack(ws: Workspace, session: Session, scenario: Scenario, tmp_path: Path) -> Path:
    destination = tmp_path / "out" / "pack.pdf"
    destination.parent.mkdir()
    result = export_pack(session, actor=ws.coordinator, meeting_id=scenario.meeting.id,
                         destination=destination)
    assert result.path == destination.resolve()
    assert result.cases == 5 and result.withheld == 1 and not result.encrypted
    return destination


def test_every_page_has_marking_twice_and_page_n_of_n(pack: Path) -> None:
    texts = page_texts(pack)
    assert len(texts) >= 8
    for number, text in enumerate(texts, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, f"page {number}"
        assert f"Page {number} of {len(texts)}" in text
        assert "Marac meeting" in text


def test_a_middle_page_number_extracts_on_one_line(pack: Path) -> None:
    """The page number is stamped on after the layout; it still reads as one line of text."""
    pages = len(PdfReader(str(pack)).pages)
    assert pages >= 8
    lines = page_texts(pack)[2].splitlines()
    assert f"Page 3 of {pages}" in lines, lines[-3:]
    poppler = subprocess.run(["pdftotext", "-f", "3", "-l", "3", str(pack), "-"], capture_output=True, text=True,
                             check=True).stdout.splitlines()
    assert f"Page 3 of {pages}" in poppler, poppler[-3:]
    # Once per page, never doubled or left behind from the layout.
    assert sum("Page 3 of" in line for line in poppler) == 1
    assert not any("of ?" in text for text in page_texts(pack))


def test_outline_entries_land_on_their_pages(pack: Path, scenario: Scenario) -> None:
    reader = PdfReader(str(pack))
    texts = page_texts(pack)
    landing = {item.title: reader.get_destination_page_number(item)
               for item in reader.outline if not isinstance(item, list)}
    assert landing["Cover"] == 0
    assert "Agenda" in texts[landing["Agenda"]].splitlines()
    assert "Appendix: nothing known, declined and no return" in texts[landing["Appendix: returns"]]
    for number, case in enumerate(scenario.cases, start=1):
        page = landing[f"{number}. {case.reference}"]
        assert f"Case {number} of 5: {case.reference}" in texts[page]
        assert f"Case {number} of 5" not in texts[page - 1]


def test_shareable_entries_present_and_withheld_counted(pack: Path, scenario: Scenario, session: Session) -> None:
    text = squash("".join(page_texts(pack)))
    for entry in scenario.entries(session):
        if entry.shareable and REFUGE not in entry.summary:
            assert squash(entry.summary) in text, entry.summary
    assert squash(WITHHELD_SUMMARY) not in text
    assert squash("1 entry withheld by Police") in text
    # Line breaks in an entry's detail survive as separate lines.
    full = "\n".join(page_texts(pack))
    assert "Line one of the officer's account.\nLine two: children upstairs." in full


def test_redacted_details_absent_everywhere(pack: Path, tmp_path: Path) -> None:
    text = "".join(page_texts(pack))
    raw = raw_bytes(pack, tmp_path)
    for secret in (REFUGE, "Larkspur", "EB9 4QZ", SAFE_PHONE, "900461", WITHHELD_SUMMARY, "shotgun"):
        assert squash(secret) not in squash(text), secret
        assert secret.encode() not in raw, secret
        assert secret.encode("utf-16-be") not in raw, secret
    # The author typed the refuge address and number into a shareable entry: scrubbed, not dropped.
    assert squash("[confidential address withheld]") in squash(text)
    assert squash("[contact number withheld]") in squash(text)


def test_markup_in_user_text_prints_literally(pack: Path) -> None:
    text = "".join(page_texts(pack))
    assert MARKUP in text


def test_latin_extended_names_extract(pack: Path) -> None:
    text = "\n".join(page_texts(pack))
    for name in VICTIMS:
        assert name in text, name
    assert squash("Ioana's neighbour heard shouting; Şule's sister called 999.") in squash(text)


def test_outline_metadata_and_qpdf_check(pack: Path, scenario: Scenario) -> None:
    reader = PdfReader(str(pack))
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    for case in scenario.cases:
        assert sum(case.reference in t for t in titles) == 1
    meta = reader.metadata
    assert meta is not None and "Pre-Marac pack" in (meta.title or "")
    for value in (meta.title, meta.author, meta.subject, " ".join(titles)):
        for name in [*VICTIMS, "KOWALCZYK", "Cora"]:
            assert name not in (value or "")
    check = subprocess.run(["qpdf", "--check", str(pack)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_fonts_are_embedded(pack: Path) -> None:
    with pikepdf.open(pack) as pdf:
        # Every font object in the file, page resources and form XObjects (the agenda pages) alike.
        fonts = {
            str(obj.get("/BaseFont")): obj
            for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
        }
    assert fonts and all("DejaVu" in name or "PackSans" in name or "AAAAA" in name for name in fonts)
    assert all("/FontFile2" in f.FontDescriptor for f in fonts.values() if "/FontDescriptor" in f)


def test_encrypted_pack_is_aes256_r6_and_needs_its_password(
    ws: Workspace, session: Session, scenario: Scenario, tmp_path: Path
) -> None:
    destination = tmp_path / "secret.pdf"
    result = export_pack(session, actor=ws.coordinator, meeting_id=scenario.meeting.id, destination=destination,
                         case_reference="MAR-P-001", password="Tęcza nad Wisłą 2026!")
    assert result.encrypted and result.cases == 1
    shown = subprocess.run(["qpdf", "--show-encryption", "--password=Tęcza nad Wisłą 2026!", str(destination)],
                           capture_output=True, text=True, check=True).stdout
    assert "R = 6" in shown and "AESv3" in shown
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(destination)
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(destination, password="wrong")
    with pikepdf.open(destination, password="Tęcza nad Wisłą 2026!") as pdf:
        assert pdf.is_encrypted and pdf.encryption.R == 6
        plain = tmp_path / "plain.pdf"
        pdf.save(plain)
    text = "".join(page_texts(plain))
    assert "Małgorzata WÓJCIK" in text and "Ioana ȚURCANU" not in text  # one case only
    assert subprocess.run(["qpdf", "--check", "--password=Tęcza nad Wisłą 2026!", str(destination)],
                          capture_output=True).returncode == 0


def test_cancel_and_failure_leave_nothing(
    ws: Workspace, session: Session, scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "dest"
    folder.mkdir()
    before = len(session.exec(select(AuditEvent)).all())
    calls: list[tuple[int, int]] = []

    def cancel_midway() -> bool:
        return len(calls) >= 7

    with pytest.raises(PackCancelled):
        export_pack(session, actor=ws.coordinator, meeting_id=scenario.meeting.id,
                    destination=folder / "pack.pdf", progress=lambda d, t: calls.append((d, t)),
                    cancelled=cancel_midway)
    assert list(folder.iterdir()) == []
    assert calls and all(total == 11 for _, total in calls)  # 2 steps a case (load, lay out), 1 to finish
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)

    def broken(data: bytes, *, password: str | None = None, **_layout: object) -> tuple[bytes, int]:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_module, "number_pages", broken)
    (folder / "pack.pdf").write_bytes(b"the earlier pack")
    with pytest.raises(OSError):
        export_pack(session, actor=ws.coordinator, meeting_id=scenario.meeting.id,
                    destination=folder / "pack.pdf", password="a long passphrase")
    assert [p.name for p in folder.iterdir()] == ["pack.pdf"]
    assert (folder / "pack.pdf").read_bytes() == b"the earlier pack"
    assert len(session.exec(select(AuditEvent)).all()) == before


def test_progress_reaches_its_total_once_per_step(
    ws: Workspace, session: Session, scenario: Scenario, tmp_path: Path
) -> None:
    calls: list[tuple[int, int]] = []
    export_pack(session, actor=ws.coordinator, meeting_id=scenario.meeting.id, destination=tmp_path / "p.pdf",
                progress=lambda d, t: calls.append((d, t)))
    assert calls == [(done, 11) for done in range(1, 12)]


def test_export_is_audited_without_personal_data(
    ws: Workspace, session: Session, scenario: Scenario, tmp_path: Path
) -> None:
    export_pack(session, actor=ws.coordinator, meeting_id=scenario.meeting.id, destination=tmp_path / "a.pdf")
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "pack.export")).one()
    assert event.object_id == scenario.meeting.id
    assert event.details["cases"] == 5 and event.details["withheld"] == 1
    assert not any(name in str(event.details) for name in VICTIMS)


def test_permission_and_bad_input_refused(
    ws: Workspace, session: Session, scenario: Scenario, tmp_path: Path
) -> None:
    viewer = ws.user("viewer")
    with pytest.raises(PermissionDenied):
        export_pack(session, actor=viewer, meeting_id=scenario.meeting.id, destination=tmp_path / "v.pdf")
    with pytest.raises(ValidationError, match="PDF"):
        export_pack(session, actor=ws.coordinator, meeting_id=scenario.meeting.id, destination=tmp_path / "v.docx")
    with pytest.raises(ValidationError, match="marking"):
        export_pack(session, actor=ws.coordinator, meeting_id=scenario.meeting.id, destination=tmp_path / "v.pdf",
                    marking="   ")
    other = ws.meeting(days_ahead=21)
    with pytest.raises(ValidationError, match="not on the agenda"):
        export_pack(session, actor=ws.coordinator, meeting_id=other.id, destination=tmp_path / "v.pdf",
                    case_reference="MAR-P-002")
    assert list(tmp_path.glob("v.*")) == []


def test_custom_marking_and_empty_meeting(ws: Workspace, session: Session, tmp_path: Path) -> None:
    empty = ws.meeting(days_ahead=30)
    path = tmp_path / "empty.pdf"
    export_pack(session, actor=ws.coordinator, meeting_id=empty.id, destination=path, marking="OFFICIAL")
    texts = page_texts(path)
    assert all(t.count("OFFICIAL") >= 2 and "OFFICIAL-SENSITIVE" not in t for t in texts)
    assert "There are no cases on this meeting's agenda yet." in "".join(texts)

"""Exporting the pack: permission, redacted content, one layout pass, page numbers, AES-256, atomic write."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from reportlab.platypus.doctemplate import LayoutError
from sqlmodel import Session, col, select

from marac_prep import __version__
from marac_prep.analysis.reading import attach_signals
from marac_prep.core import audit
from marac_prep.core.attendance import running_order
from marac_prep.core.casefile import load_case_file, load_meeting_files
from marac_prep.core.cases import case_by_reference
from marac_prep.core.dates import display_day
from marac_prep.core.errors import StorageError, ValidationError
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import Agency, CaseNote, User
from marac_prep.core.passphrases import check_new_passphrase
from marac_prep.core.permissions import require
from marac_prep.core.reviews import reviews_by_key
from marac_prep.core.settings import current
from marac_prep.pack.content import PackCase, PackContent, pack_case
from marac_prep.pack.document import PackCancelled, PackDocTemplate
from marac_prep.pack.markup import clean
from marac_prep.pack.sections import front_story, pack_story
from marac_prep.pack.writer import audit_seal, number_pages, publish_audited

log = logging.getLogger("marac_prep.pack")
Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
MARKING_MAX = 60


@dataclass(frozen=True)
class PackResult:
    """What was written.

    Attributes:
        withheld: entries left out because they may not be shared, across all cases.
    """

    path: Path
    pages: int
    cases: int
    withheld: int
    encrypted: bool
    prepared_for: str = ""


def check_marking(marking: str) -> str:
    """The protective marking, trimmed; one line of at most 60 characters."""
    text = " ".join(clean(marking).split())
    if not text:
        raise ValidationError("The protective marking cannot be empty, e.g. OFFICIAL-SENSITIVE.")
    if len(text) > MARKING_MAX:
        raise ValidationError(f"The protective marking is {len(text)} characters; keep it to {MARKING_MAX}.")
    return text


def check_destination(destination: str | os.PathLike[str]) -> Path:
    """The file to write: a .pdf name in a folder that exists."""
    path = Path(destination).expanduser()
    if path.suffix.casefold() != ".pdf":
        raise ValidationError(f'The pack is a PDF: name the file with ".pdf" (not "{path.name}").')
    if path.is_dir():
        raise ValidationError(f'"{path}" is a folder; give a file name ending in .pdf.')
    if not path.parent.is_dir():
        raise ValidationError(f'The folder "{path.parent}" does not exist.')
    # The folder made absolute, the name kept: resolving the whole path would follow a link
    # planted at the name and write the file it points at (core/files.py refuses the link).
    return path.parent.resolve() / path.name


def load_pack_content(
    session: Session,
    *,
    actor: User,
    meeting_id: int,
    case_reference: str | None = None,
    marking: str | None = None,
    for_agency: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    include_notes: bool = False,
) -> PackContent:
    """The meeting's (or one case's) content, redacted, for a user allowed to export.

    The coordinator's case notes go in only with `include_notes` (and only for a user who may
    read them): they are working notes, not information shared for the meeting.

    Progress counts the whole export (2 steps a case: analysing and laying out, then 1 for the
    page numbers and the file), so this reports about its first half.
    """
    require(actor, "export")
    if include_notes:
        require(actor, "case_notes")
    marking = check_marking(marking if marking is not None else current(session).default_marking)
    recipient = recipient_agency(session, for_agency).name if for_agency else ""
    meeting = get_meeting(session, meeting_id)
    if case_reference:
        case = case_by_reference(session, case_reference)
        if case.meeting_id != meeting.id:
            raise ValidationError(
                f'Case "{case.reference}" is not on the agenda of the meeting on '
                f"{display_day(meeting.meeting_date)}."
            )
        files = [load_case_file(session, case.id or 0)]
    else:
        # The whole agenda in a few queries (one per kind of record), not seven or so per case.
        _, files = load_meeting_files(session, meeting_id)
    attach_signals(session, files)  # what the entries' words say, read once and kept
    total = 2 * len(files) + 1
    reviews = reviews_by_key(session, [f.case.id or 0 for f in files])
    slots = time_slots(session, meeting_id=meeting.id or 0)
    notes: dict[int, list[CaseNote]] = {}
    if include_notes:
        for note in session.exec(select(CaseNote).where(col(CaseNote.case_id).in_([f.case.id for f in files]))
                                 .order_by(col(CaseNote.created_at), col(CaseNote.id))).all():
            notes.setdefault(note.case_id, []).append(note)
    cases: list[PackCase] = []
    for done, case_file in enumerate(files, start=1):  # each case analysed and redacted
        if cancelled and cancelled():
            raise PackCancelled()
        cases.append(pack_case(case_file, on=meeting.meeting_date,
                               reviews=reviews.get(case_file.case.id or 0, {}),
                               time_slot=slots.get(case_file.case.id or 0, ""),
                               notes=notes.get(case_file.case.id or 0, ())))
        if progress:
            progress(done, total)
    return PackContent(
        meeting_date=meeting.meeting_date,
        area=clean(meeting.area),
        marking=marking,
        scope="case" if case_reference else "meeting",
        generated_by=clean(actor.name),
        generated_at=datetime.now(),
        cases=tuple(cases),
        prepared_for=clean(recipient),
        audit_seal=audit.current_seal(session).token(),
    )


def case_summary(session: Session, *, case_id: int) -> PackCase:
    """One case as its pack's front sheet and findings show it (redacted, shareable entries only),
    with its time slot: what meeting mode puts on screen (`sections.front_sheet_facts`)."""
    case_file = load_case_file(session, case_id)
    attach_signals(session, [case_file])
    meeting_id = case_file.case.meeting_id
    on = get_meeting(session, meeting_id).meeting_date if meeting_id is not None else datetime.now().date()
    slots = time_slots(session, meeting_id=meeting_id) if meeting_id is not None else {}
    return pack_case(case_file, on=on, reviews=reviews_by_key(session, [case_id]).get(case_id, {}),
                     time_slot=slots.get(case_id, ""))


def slot_text(start: str, minutes: int | None) -> str:
    """ "10:00–10:15" for a slot starting at 10:00 for 15 minutes; "10:00" without a length."""
    if not start:
        return ""
    if not minutes:
        return start
    try:
        hours, mins = (int(part) for part in start.split(":"))
    except ValueError:
        return start
    end = hours * 60 + mins + minutes
    return f"{start}–{end // 60 % 24:02d}:{end % 60:02d}"


def time_slots(session: Session, *, meeting_id: int) -> dict[int, str]:
    """Each case's time slot in the meeting's running order, by case id, in one query."""
    return {h.case_id: slot_text(h.start_time, h.duration_minutes)
            for h in running_order(session, meeting_id=meeting_id) if h.start_time}


def recipient_agency(session: Session, name_or_code: str) -> Agency:
    """The agency a pack is prepared for, by name or short code (any case)."""
    wanted = " ".join(name_or_code.split()).casefold()
    agencies = list(session.exec(select(Agency)).all())
    for agency in agencies:
        if wanted in (agency.name.casefold(), agency.short_code.casefold()):
            return agency
    known = ", ".join(sorted(a.short_code for a in agencies if a.active))
    raise ValidationError(f'There is no agency "{name_or_code}"; give its name or code ({known}).')


@dataclass(frozen=True)
class Layout:
    """The laid-out pack before page numbers: the PDF, and the cover and agenda laid out again
    with each case's pages known (`front`, `front_pages` pages long, to replace the first pages)."""

    data: bytes
    front: bytes
    front_pages: int
    outline: tuple[tuple[str, int], ...]


def _doc(buffer: BytesIO, content: PackContent, cancelled: Cancelled, on_case: Callable[[int], None]
         ) -> PackDocTemplate:
    meeting_line = f"Marac meeting {display_day(content.meeting_date)}"
    if content.area.strip():
        meeting_line += " · " + " ".join(content.area.split())  # one line in the page header
    cases = len(content.cases)
    return PackDocTemplate(
        buffer,
        marking=content.marking,
        meeting_line=meeting_line,
        prepared_for=prepared_for_line(content),
        cancelled=cancelled,
        on_case=on_case,
        # Metadata names the meeting, never a person.
        title=document_title(content),
        author="Marac Prep",
        subject=f"{content.marking}: {cases} case{'s' if cases != 1 else ''}",
        creator=f"Marac Prep {__version__}",
        keywords=content.audit_seal,
        lang="en-GB",
    )


def document_title(content: PackContent) -> str:
    title = f"Pre-Marac pack, Marac meeting {display_day(content.meeting_date)}"
    return title + (f", prepared for {content.prepared_for}" if content.prepared_for else "")


def prepared_for_line(content: PackContent) -> str:
    """ "Prepared for Police on 30 Nov 2026" on every page of a recipient's copy, else ""."""
    if not content.prepared_for:
        return ""
    return f"Prepared for {content.prepared_for} on {display_day(content.generated_at.date())}"


def _layout(content: PackContent, cancelled: Cancelled, on_case: Callable[[int], None], *,
            split_rows: bool) -> Layout:
    """The pack laid out by ReportLab, every page complete but for its page number.

    The agenda gives each case's pages, known only once the whole pack is laid out; so the
    cover and agenda are laid out a second time on their own with the pages filled in (a few
    pages, not the pack), and replace the first pages when the page numbers are stamped.
    """
    buffer = BytesIO()
    doc = _doc(buffer, content, cancelled, on_case)
    doc.build(pack_story(content, doc.width, split_rows=split_rows))
    front_buffer = BytesIO()
    front_doc = _doc(front_buffer, content, cancelled, lambda _index: None)
    front_doc.build(front_story(content, front_doc.width, doc.case_pages))
    first_case = min((first for first, _ in doc.case_pages.values()), default=front_doc.page + 1)
    if front_doc.page != first_case - 1:  # cannot happen while the Pages column is one line
        log.warning("the agenda changed length when its page numbers were filled in; pages left blank")
        return Layout(buffer.getvalue(), b"", 0, ())
    return Layout(buffer.getvalue(), front_buffer.getvalue(), front_doc.page, ())


def render_pack(
    content: PackContent,
    *,
    password: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    steps_before: int = 0,
    seal: str | None = None,
) -> tuple[bytes, int]:
    """The finished PDF bytes and page count.

    Laid out once, with every page's furniture but the page number; "Page n of N" is then
    stamped onto each page (`number_pages`), since N is only known at the end. With a password
    the PDF is encrypted with AES-256 (revision 6) by qpdf in the same step, because
    ReportLab's own AES output cannot be opened by poppler-based viewers. `seal` (the audit
    chain's head) goes into the document metadata.
    """
    if password is not None:
        check_password(password)
    is_cancelled = cancelled or (lambda: False)
    total = steps_before + len(content.cases) + 1
    reported = 0

    def report(step: int) -> None:
        nonlocal reported
        if progress and step > reported:  # never backwards (a retried layout starts again)
            reported = step
            progress(min(step, total), total)

    def on_case(index: int) -> None:
        report(steps_before + index)

    try:
        layout = _layout(content, is_cancelled, on_case, split_rows=False)
    except LayoutError:
        # Some user text makes a table row taller than a page: let rows continue across pages.
        log.info("a table row is taller than a page; laying the pack out with split rows")
        try:
            layout = _layout(content, is_cancelled, on_case, split_rows=True)
        except LayoutError:
            raise StorageError(
                "The pack could not be laid out: some text is too large to fit on a page; nothing was written."
            ) from None
    if is_cancelled():
        raise PackCancelled()
    data, pages = number_pages(layout.data, password=password, front=layout.front, front_pages=layout.front_pages,
                               title=document_title(content), seal=seal)
    if is_cancelled():
        raise PackCancelled()
    report(total)
    return data, pages


PASSWORD_MIN = 12


def check_password(password: str) -> str:
    """A pack password: at least 12 characters and not only spaces, since the pack travels by email
    (the one rule for passphrases and pack passwords, `core.passphrases`)."""
    check_new_passphrase(password, what="pack password")
    return password


def export_pack(
    session: Session,
    *,
    actor: User,
    meeting_id: int,
    destination: str | os.PathLike[str],
    case_reference: str | None = None,
    marking: str | None = None,
    password: str | None = None,
    for_agency: str | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    include_notes: bool = False,
) -> PackResult:
    """Builds the pack and writes it to `destination` atomically, audited.

    Nothing is left behind on failure or cancel: the PDF is written to a temporary file in the
    destination folder and renamed over the destination only when complete; the audit event
    is committed in the same step (a failed rename rolls it back). The session's read
    transaction is ended before the layout, so pass a session with no pending changes.

    Raises:
        PermissionDenied: the actor may not export.
        ValidationError / NotFound: a bad marking, destination, meeting or case.
        PackCancelled: `cancelled()` became true.
    """
    path = check_destination(destination)
    if password is not None:
        check_password(password)
    is_cancelled = cancelled or (lambda: False)
    content = load_pack_content(
        session, actor=actor, meeting_id=meeting_id, case_reference=case_reference, marking=marking,
        for_agency=for_agency, progress=progress, cancelled=is_cancelled, include_notes=include_notes,
    )
    seal = audit_seal(session)
    # Release the read transaction (and SQLite's write lock) while the PDF is laid out.
    actor_id = actor.id
    session.rollback()
    steps = len(content.cases)
    data, pages = render_pack(content, password=password, progress=progress, cancelled=is_cancelled,
                              steps_before=steps, seal=seal)
    publish_audited(
        session, path, data, actor=actor, actor_id=actor_id, action="pack.export", object_type="meeting",
        object_id=meeting_id, case_id=content.cases[0].case_id if content.scope == "case" and content.cases else None,
        details={"cases": len(content.cases), "pages": pages, "withheld": content.withheld_total,
                 "encrypted": bool(password), "scope": content.scope,
                 "references": [c.reference for c in content.cases],
                 "prepared_for": content.prepared_for or None, "file": path.name, "case_notes": include_notes},
        cancelled=is_cancelled,
    )
    return PackResult(path=path, pages=pages, cases=len(content.cases), withheld=content.withheld_total,
                      encrypted=bool(password), prepared_for=content.prepared_for)

"""One writer of marked PDFs: the pack's page template, "Page n of N", AES-256, published with its audit event.

The pack, the minutes and the quarterly statistics all end the same way: the story is laid out
on `PackDocTemplate` (the marking in header and footer), the pages are numbered and described
(`number_pages`, encrypted with a password), and the file appears only in the same step as its
audit event is committed (`publish_audited`). `MarkedPdf` is that ending for a one-pass document.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pikepdf
from sqlmodel import Session

from marac_prep import __version__
from marac_prep.core import audit
from marac_prep.core.models import User
from marac_prep.pack.document import PackCancelled, PackDocTemplate, page_numbers_pdf


def number_pages(data: bytes, *, password: str | None = None, front: bytes = b"", front_pages: int = 0,
                 title: str = "", seal: str | None = None) -> tuple[bytes, int]:
    """The PDF with "Page n of N" stamped on every page, and N; encrypted when `password` is given.

    The outline and page objects are kept as they are; the first `front_pages` pages take the
    content of `front`'s pages (the agenda with its page numbers); each page gets the matching
    page of `page_numbers_pdf(N)` drawn over it as a form XObject. The document is marked as
    PDF 1.7 in British English, with XMP metadata and its title shown by viewers.
    """
    out = BytesIO()
    with pikepdf.open(BytesIO(data)) as pdf:
        pages = len(pdf.pages)
        if front and front_pages:
            with pikepdf.open(BytesIO(front)) as first:
                for page, replacement in zip(pdf.pages[:front_pages], first.pages, strict=True):
                    # The page object stays (the outline points at it); its drawing is replaced.
                    form = pdf.copy_foreign(replacement.as_form_xobject())
                    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Front=form))
                    page.obj.Contents = pdf.make_stream(b"q /Front Do Q")
        with pikepdf.open(BytesIO(page_numbers_pdf(pages))) as numbers:
            for page, number in zip(pdf.pages, numbers.pages, strict=True):
                # Both A4: the numbers page maps onto the pack page one to one.
                page.add_overlay(number, pikepdf.Rectangle(page.mediabox))
        _describe(pdf, title=title, seal=seal)
        pdf.save(out, encryption=_encryption(password) if password else None, min_version="1.7")
    return out.getvalue(), pages


def _describe(pdf: pikepdf.Pdf, *, title: str, seal: str | None) -> None:
    """Language, title display, XMP metadata (from the document information) and the audit seal."""
    pdf.Root.Lang = pikepdf.String("en-GB")
    pdf.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    if "/Trapped" in pdf.docinfo:  # "not trapped" has no XMP equivalent; leaving it out says the same
        del pdf.docinfo["/Trapped"]
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta.load_from_docinfo(pdf.docinfo, raise_failure=False)
        if title:
            meta["dc:title"] = title
        meta["dc:language"] = ["en-GB"]
        if seal:
            meta["pdf:Keywords"] = f"audit seal {seal}"



def _encryption(password: str) -> pikepdf.Encryption:
    """AES-256 (R6) needing `password` to open."""
    # A random owner password: nobody can lift the encryption without the user password.
    owner = secrets.token_urlsafe(24)
    return pikepdf.Encryption(owner=owner, user=password, R=6, aes=True)


def audit_seal(session: Session) -> str | None:
    """The audit chain's head for the pack's keywords (`audit.Seal.token`, read back by
    `audit verify --seal PACK`)."""
    return audit.current_seal(session).token()


def publish_audited(
    session: Session,
    path: Path,
    data: bytes,
    *,
    actor: User,
    actor_id: int | None,
    action: str,
    object_type: str,
    details: dict[str, Any],
    object_id: int | None = None,
    case_id: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> None:
    """Writes `data` to `path` whole and records the audit event in the same step
    (`audit.publish_audited`: the bytes are on disk before the audit transaction begins).

    A failed commit (or `cancelled()` turning true) leaves no file and no event. `actor_id` is the
    actor's id read before the session's read transaction was ended.

    Raises:
        PackCancelled: `cancelled()` was true before the file appeared.
    """

    def check() -> None:
        if cancelled is not None and cancelled():
            raise PackCancelled()

    audit.publish_audited(
        session, path, lambda pending: pending.stream.write(data), actor=actor, actor_id=actor_id, action=action,
        object_type=object_type, object_id=object_id, case_id=case_id, details=details, check=check,
    )


class MarkedPdf:
    """A one-pass marked document (the minutes, the quarterly return): lay a story out on its
    template, then `publish` it numbered, optionally encrypted, with its audit event.

    Attributes:
        doc: the page template (its `width` is the width the story's tables fill).
        title: the document title (metadata and viewer title bar; never a person's name).
    """

    def __init__(self, *, marking: str, heading: str, document_name: str, title: str) -> None:
        self._buffer = BytesIO()
        self.title = title
        self.doc = PackDocTemplate(
            self._buffer, marking=marking, meeting_line=heading, cancelled=lambda: False, on_case=lambda _i: None,
            document_name=document_name, title=title, author="Marac Prep", subject=marking,
            creator=f"Marac Prep {__version__}", keywords="", lang="en-GB",
        )

    @property
    def width(self) -> float:
        return float(self.doc.width)

    def publish(
        self,
        session: Session,
        story: list[Any],
        *,
        path: Path,
        password: str | None,
        actor: User,
        action: str,
        object_type: str,
        details: dict[str, Any],
        object_id: int | None = None,
    ) -> int:
        """Lays `story` out, numbers (and with a password encrypts) the pages and writes them to
        `path` audited as `action` (`details` gains pages, encrypted and file); the page count.

        The session's read transaction is ended while the PDF is laid out, so pass a session with
        no pending changes.
        """
        seal = audit_seal(session)
        actor_id = actor.id
        session.rollback()  # end the read transaction while the PDF is laid out
        self.doc.build(story)
        data, pages = number_pages(self._buffer.getvalue(), password=password, title=self.title, seal=seal)
        publish_audited(
            session, path, data, actor=actor, actor_id=actor_id, action=action, object_type=object_type,
            object_id=object_id,
            details={**details, "pages": pages, "encrypted": bool(password), "file": path.name},
        )
        return pages

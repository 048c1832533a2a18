"""The meeting's minutes as a PDF: attendance, and per case the agreed risk level, actions and notes.

Marked, numbered and encrypted exactly as the pack (its document template and `pack.writer`, styles, escaping,
page numbering and AES-256), and written whole or not at all with its audit event.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle
from sqlmodel import Session, select

from marac_prep.core.actions import ActionRow, list_actions
from marac_prep.core.attendance import list_attendance, running_order
from marac_prep.core.cases import cases_for_meeting
from marac_prep.core.dates import display_day
from marac_prep.core.meetings import get_meeting
from marac_prep.core.models import Agency, User
from marac_prep.core.permissions import require
from marac_prep.core.settings import current
from marac_prep.pack.document import OutlineAnchor
from marac_prep.pack.export import check_destination, check_marking, check_password
from marac_prep.pack.markup import clean, para
from marac_prep.pack.styles import pack_styles
from marac_prep.pack.writer import MarkedPdf

_GRID = TableStyle([
    ("GRID", (0, 0), (-1, -1), 0.4, "#9aa0a6"),
    ("BACKGROUND", (0, 0), (-1, 0), "#e8eaed"),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


@dataclass(frozen=True)
class MinutesResult:
    path: Path
    pages: int
    cases: int
    actions: int
    encrypted: bool


def _table(rows: list[list[object]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, splitByRow=1)
    table.setStyle(_GRID)
    return table


def minutes_story(session: Session, *, meeting_id: int, width: float, today: date) -> tuple[list[Flowable], int, int]:
    """The minutes' flowables, and the number of cases and actions in them."""
    st = pack_styles()
    meeting = get_meeting(session, meeting_id)
    agencies = {a.id: a.name for a in session.exec(select(Agency)).all()}
    story: list[Flowable] = [
        OutlineAnchor("Minutes", "minutes"),
        Paragraph("Marac minutes", st.title),
        Paragraph(para(f"Meeting of {display_day(meeting.meeting_date)}"
                       + (f" · {meeting.area}" if meeting.area.strip() else "")), st.body),
        Paragraph("Attendance", st.heading),
    ]
    attendance = list_attendance(session, meeting_id=meeting_id)
    present = [a for a in attendance if a.attendance == "present"]
    apologies = [a for a in attendance if a.attendance == "apologies"]
    roles = {"chair": "Chair", "representative": "Representative", "observer": "Observer"}
    if present:
        rows: list[list[object]] = [[Paragraph(h, st.head_cell) for h in
                                     ("Name", "Role", "Agency", "Confidentiality statement")]]
        for a in present:
            rows.append([Paragraph(para(a.person_name), st.cell), Paragraph(roles.get(a.role, a.role), st.cell),
                         Paragraph(para(agencies.get(a.agency_id, "")), st.cell),
                         Paragraph("Agreed" if a.confidentiality_agreed else "Not recorded", st.cell)])
        story.append(_table(rows, [width * 0.3, width * 0.17, width * 0.3, width * 0.23]))
    else:
        story.append(Paragraph("No attendance was recorded.", st.body))
    story.append(Paragraph("Apologies", st.subheading))
    if apologies:
        rows = [[Paragraph(h, st.head_cell) for h in ("Name", "Agency", "Agency's information sent")]]
        sent = {True: "Yes", False: "No", None: "Not recorded"}
        for a in apologies:
            rows.append([Paragraph(para(a.person_name), st.cell),
                         Paragraph(para(agencies.get(a.agency_id, "")), st.cell),
                         Paragraph(sent[a.information_sent], st.cell)])
        story.append(_table(rows, [width * 0.35, width * 0.35, width * 0.3]))
    else:
        story.append(Paragraph("None.", st.body))

    hearings = {h.case_id: h for h in running_order(session, meeting_id=meeting_id)}
    ordered = cases_for_meeting(session, meeting_id)  # the agenda's order: the pack's and the app's
    actions = list_actions(session, meeting_id=meeting_id, today=today)
    by_case: dict[int, list[ActionRow]] = {}
    for row in actions:
        by_case.setdefault(row.case_id, []).append(row)
    total = len(ordered)
    for index, case in enumerate(ordered, start=1):
        hearing = hearings.get(case.id or 0)
        # No running case label: a page of the minutes holds several cases; the header says "Minutes".
        story.append(Spacer(1, 8))
        story.append(OutlineAnchor(case.reference, f"case-{case.id}"))
        story.append(Paragraph(para(f"{index}. {case.reference}"), st.heading))
        slot = f" · heard at {hearing.start_time}" if hearing and hearing.start_time else ""
        level = hearing.agreed_risk_level.capitalize() if hearing and hearing.agreed_risk_level else "not recorded"
        story.append(Paragraph(para(f"Agreed risk level: {level}{slot}"), st.body))
        story.append(Paragraph("Actions", st.subheading))
        case_actions = by_case.get(case.id or 0, [])
        if case_actions:
            rows = [[Paragraph(h, st.head_cell) for h in ("Action", "Agency", "Owner", "Due", "Protects")]]
            for act in case_actions:
                rows.append([
                    Paragraph(para(act.text), st.cell), Paragraph(para(act.agency), st.cell),
                    Paragraph(para(act.owner or "—"), st.cell),
                    Paragraph(f"{act.due_date:%d/%m/%Y}" if act.due_date else "—", st.cell),
                    Paragraph(para(", ".join(act.protects)), st.cell_small),
                ])
            story.append(_table(rows, [width * 0.39, width * 0.18, width * 0.16, width * 0.14, width * 0.13]))
        else:
            story.append(Paragraph("No actions were agreed.", st.body))
        story.append(KeepTogether([
            Paragraph("Discussion", st.subheading),
            Paragraph(para(hearing.discussion_note) if hearing and hearing.discussion_note else "No note recorded.",
                      st.body),
        ]))
        story.append(Spacer(1, 6))
    return story, total, len(actions)


def export_minutes(
    session: Session,
    *,
    actor: User,
    meeting_id: int,
    destination: str | os.PathLike[str],
    marking: str | None = None,
    password: str | None = None,
    today: date | None = None,
) -> MinutesResult:
    """Writes the meeting's minutes to `destination` (a .pdf), marked, numbered and, with a
    password, encrypted (AES-256); the export is audited in the same step as the file appears."""
    path = check_destination(destination)
    if password is not None:
        check_password(password)
    require(actor, "export")
    marking = check_marking(marking if marking is not None else current(session).default_marking)
    meeting = get_meeting(session, meeting_id)
    meeting_line = f"Marac meeting {display_day(meeting.meeting_date)}"
    if meeting.area.strip():
        meeting_line += " · " + " ".join(clean(meeting.area).split())
    pdf = MarkedPdf(marking=marking, heading=meeting_line, document_name="Minutes",
                    title=f"Marac minutes, meeting {display_day(meeting.meeting_date)}")
    story, cases, actions = minutes_story(session, meeting_id=meeting_id, width=pdf.width,
                                          today=today or date.today())
    pages = pdf.publish(session, story, path=path, password=password, actor=actor, action="minutes.export",
                        object_type="meeting", object_id=meeting_id, details={"cases": cases, "actions": actions})
    return MinutesResult(path=path, pages=pages, cases=cases, actions=actions, encrypted=bool(password))




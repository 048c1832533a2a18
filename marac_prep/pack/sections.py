"""The pack's sections as platypus flowables: cover, agenda, one section per case, appendix.

Every piece of user text passes through `para` (escaped, line breaks kept) before it enters
a Paragraph; only the markup written here (bold, breaks) is ever interpreted.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from marac_prep.core.dates import display_day
from marac_prep.pack.content import PackCase, PackContent, PackEntry, PackReturn
from marac_prep.pack.document import OutlineAnchor
from marac_prep.pack.fonts import register_fonts
from marac_prep.pack.markup import para
from marac_prep.pack.styles import (
    DECLINED_FILL,
    GAP_FILL,
    HEADER_FILL,
    HIGH,
    MUTED,
    RULE,
    SEVERITY_COLOURS,
    PackStyles,
    pack_styles,
)
from marac_prep.pack.timeline_picture import timeline_picture

CONFIDENTIALITY = (
    "This pack is shared under the Marac information-sharing agreement for one purpose only: "
    "to reduce the risk of serious harm to the people named in it. Do not pass any part of it on "
    "without the consent of the agency that shared that information. The perpetrator must never "
    "be told of the referral, of the meeting or of anything in this pack."
)
REDACTION_NOTE = (
    "Confidential addresses and safe contact details are not included. Entries that an agency "
    "marked as not shareable have been left out; each case says how many, and from whom."
)
# Whether table rows may split across pages. Off normally (a row moves whole to the next page);
# on only for the rebuild after a row taller than a page (absurdly long user text) failed.
_split_rows: ContextVar[int] = ContextVar("split_rows", default=0)
# Table cells' Paragraphs by (text, style) while a story is built, so a text repeated in many cells
# is parsed and broken into lines once (see `_shared`); None when rows may split.
_shared_cells: ContextVar[dict[tuple[str, object], Paragraph] | None] = ContextVar("shared_cells", default=None)
_ROLE_LABELS = {"victim": "Victim", "perpetrator": "Perpetrator", "child": "Child", "other": "Other"}
_SEVERITY_LABELS = {"high": "High", "medium": "Medium", "info": "Note"}


class PackParagraph(Paragraph):  # type: ignore[misc]  # ReportLab ships no type hints
    """A Paragraph that is not broken into lines again when wrapped again at the same width.

    A table wraps every cell to measure its rows, again to split itself at a page end and once
    more to draw, so each cell was broken into lines three times. A Paragraph's lines depend only
    on the width (its text and style are fixed), so the last result is reused while the lines it
    produced are still in place (a failed split discards them). At another width the lines are
    made from the fragments it was given, as a fresh Paragraph would make them: ReportLab keeps
    the previous width's word pieces in `frags` otherwise.
    """

    frags: Any  # set by Paragraph: the parsed fragments, then the last wrap's word list
    _wrapped: tuple[float, tuple[float, float], object] | None = None
    _given_frags: Any = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # Override Paragraph.wrap.
        wrapped = self._wrapped
        if wrapped is None:
            self._given_frags = self.frags
        elif wrapped[0] == availWidth and getattr(self, "blPara", None) is wrapped[2]:
            return wrapped[1]
        else:
            self.frags = self._given_frags
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        self._wrapped = (availWidth, size, getattr(self, "blPara", None))
        return size


def _p(text: str, style: Any) -> Paragraph:
    """A Paragraph of user text, escaped."""
    return PackParagraph(para(text), style)


def _shared(text: str, style: Any) -> Paragraph:
    """A table cell's Paragraph of user text: one object for every cell with this text and style.

    Agency names, event types, "Expected", risk lists and the like repeat in hundreds of cells.
    A table wraps a cell's Paragraphs just before it measures or draws that cell (and ReportLab
    itself draws one header row's Paragraphs on every page), so one object can stand in all of
    them. Not shared while rows may split, since splitting a row splits its Paragraphs.
    """
    cells = _shared_cells.get()
    if cells is None:
        return _p(text, style)
    key = (text, style)
    found = cells.get(key)
    if found is None:
        found = cells[key] = _p(text, style)
    return found


def _cell(text: str, style: Any) -> Paragraph | list[Flowable]:
    """A whole table cell of user text; an empty one holds nothing to measure or draw.

    An empty Paragraph is 0 points high and draws nothing, so leaving it out looks the same.
    """
    return _shared(text, style) if text else []


def _grid(header_rows: int = 1) -> list[tuple[Any, ...]]:
    commands: list[tuple[Any, ...]] = [
        # Tables set a cell font even for Paragraph cells; the default would add unembedded Helvetica.
        ("FONTNAME", (0, 0), (-1, -1), register_fonts()[0]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if header_rows:
        commands += [("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_FILL),
                     ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, MUTED)]
    return commands


def _widths(total: float, fractions: Sequence[float]) -> list[float]:
    scale = total / sum(fractions)
    return [f * scale for f in fractions]


def _reference_width(content: PackContent, s: PackStyles) -> float:
    """A case-reference column as wide as the longest reference (so it does not break), within limits."""
    widest = max((stringWidth(c.reference, s.cell_bold.fontName, s.cell_bold.fontSize) for c in content.cases),
                 default=40.0)
    return min(max(widest + 8, 60.0), 130.0)


def _yes_no(value: bool | None) -> str:
    return {True: "Yes", False: "No", None: "Not recorded"}[value]


def _dash(case: PackCase) -> str:
    if case.dash_score is None:
        return "Not recorded"
    return f"{case.dash_score} of 24 ({case.dash_level})" if case.dash_level else f"{case.dash_score} of 24"


def _returns_text(case: PackCase) -> str:
    answered, expected = case.progress
    return f"{answered} of {expected} agencies"


def _withheld_text(case: PackCase) -> str:
    parts = [f"{n} {'entry' if n == 1 else 'entries'} withheld by {agency}" for agency, n in case.withheld]
    return "; ".join(parts) + "." if parts else ""


def cover(content: PackContent, s: PackStyles, width: float) -> list[Flowable]:
    meeting = f"Marac meeting {content.meeting_date:%A} {display_day(content.meeting_date)}"
    if content.area:
        meeting += f", {content.area}"
    scope = (
        "Whole meeting" if content.scope == "meeting"
        else f"One case ({content.cases[0].reference})" if content.cases else "One case"
    )
    facts = [
        ("Cases in this pack", str(len(content.cases))),
        ("Scope", scope),
        ("Generated by", content.generated_by),
        ("Generated on", f"{display_day(content.generated_at.date())} at {content.generated_at:%H:%M}"),
        ("Entries withheld", f"{content.withheld_total} (not shareable; counted per case)"),
    ]
    table = Table(
        [[_cell(k, s.cell_bold), _cell(v, s.cell)] for k, v in facts], colWidths=_widths(width, [1, 2.6]),
        hAlign="LEFT", splitInRow=_split_rows.get(),
    )
    table.setStyle(TableStyle(_grid(0)))
    marking = Table([[_p(content.marking, s.marking)]], colWidths=[width])
    marking.setStyle(TableStyle([*_grid(0), ("BOX", (0, 0), (-1, -1), 1.2, HIGH)]))
    return [
        OutlineAnchor("Cover", "cover"),
        Spacer(1, 40),
        _p("Pre-Marac pack", s.title),
        _p(meeting, s.heading),
        Spacer(1, 16),
        marking,
        Spacer(1, 16),
        _p("Confidentiality", s.subheading),
        _p(CONFIDENTIALITY, s.body),
        _p(REDACTION_NOTE, s.body),
        Spacer(1, 12),
        table,
    ]


def agenda(content: PackContent, s: PackStyles, width: float) -> list[Flowable]:
    header = ["No.", "Case", "Victim", "Referred by", "Criteria", "Dash", "Repeat", "Returns"]
    rows: list[list[Any]] = [[_cell(h, s.head_cell) for h in header]]
    for number, case in enumerate(content.cases, start=1):
        rows.append([
            _cell(str(number), s.cell),
            _cell(case.reference, s.cell_bold),
            _cell(case.victim_name, s.cell),
            _cell(f"{case.referring_agency}\n{case.referral_date}", s.cell),
            _cell("\n".join(case.criteria) or "None recorded", s.cell),
            _cell(_dash(case), s.cell),
            _cell("Yes" if case.repeat else "No", s.cell_bold if case.repeat else s.cell),
            _cell(_returns_text(case), s.cell),
        ])
    case_width = _reference_width(content, s)
    rest = _widths(width - case_width, [0.45, 1.5, 1.35, 1.95, 0.95, 0.75, 0.95])
    table = LongTable(rows, colWidths=[rest[0], case_width, *rest[1:]], repeatRows=1,
                      splitInRow=_split_rows.get())
    table.setStyle(TableStyle(_grid()))
    out: list[Flowable] = [PageBreak(), OutlineAnchor("Agenda", "agenda"), _p("Agenda", s.heading)]
    if not content.cases:
        return [*out, _p("There are no cases on this meeting's agenda yet.", s.body)]
    return [*out, table]


def _summary(case: PackCase, s: PackStyles, width: float) -> list[Flowable]:
    consent = _yes_no(case.victim_consent)
    if case.victim_consent is False and case.consent_reason:
        consent += f" – shared without consent because: {case.consent_reason}"
    facts = [
        ("Referred by", f"{case.referring_agency} on {case.referral_date}"),
        ("Criteria", "\n".join(case.criteria) or "None recorded"),
    ]
    if case.criteria_notes:
        facts.append(("Referrer's concerns", case.criteria_notes))
    facts += [
        ("Dash", _dash(case)),
        ("Repeat", "Yes – within 12 months of a previous Marac" if case.repeat else "No"),
        ("Victim aware of referral", _yes_no(case.victim_aware)),
        ("Victim consented", consent),
        ("Returns", _returns_text(case)),
    ]
    for a in case.assessments:
        score = f"{a.score} of 24" if a.score is not None else "no score"
        facts.append((f"{a.tool} assessment", f"{a.agency}, {a.assessed_on}: {score}"
                      + (f" ({a.level})" if a.level else "")))
    table = Table([[_cell(k, s.cell_bold), _cell(v, s.cell)] for k, v in facts],
                  colWidths=_widths(width, [1, 3.2]), hAlign="LEFT", splitInRow=_split_rows.get())
    table.setStyle(TableStyle(_grid(0)))

    people: list[list[Any]] = [[_cell(h, s.head_cell) for h in ("Role", "Name", "Born (age)", "Relationship", "Note")]]
    for person in case.people:
        name = person.name + (f"\nalso known as {', '.join(person.aliases)}" if person.aliases else "")
        born = f"{person.born} ({person.age})" if person.born and person.age is not None else "Not known"
        note = "Must never receive information about this case" if person.must_not_receive_information else ""
        people.append([
            _cell(_ROLE_LABELS.get(person.role, person.role), s.cell),
            _cell(name, s.cell_bold),
            _cell(born, s.cell),
            _cell(person.relationship, s.cell),
            _cell(note, s.cell),
        ])
    people_table = LongTable(people, colWidths=_widths(width, [0.9, 2.2, 1.3, 1.5, 1.8]), repeatRows=1,
                             splitInRow=_split_rows.get())
    people_table.setStyle(TableStyle(_grid()))
    return [_p("Summary", s.subheading), table, Spacer(1, 6), _p("People", s.subheading), people_table]


def _return_row(r: PackReturn, s: PackStyles) -> list[Any]:
    status = r.status_label + (f"\n{r.note}" if r.note else "")
    if r.expected and not r.answered:
        status = f"No return – {r.status_label.lower()}" + (f"\n{r.note}" if r.note else "")
    withheld = str(r.entries_withheld) if r.entries_withheld else ""
    return [
        _cell(r.agency, s.cell_bold if r.expected else s.cell),
        _cell("Expected" if r.expected else "Also returned", s.cell),
        _cell(status, s.cell),
        _cell(r.returned_on, s.cell),
        _cell(str(r.entries_shown), s.cell),
        _cell(withheld, s.cell),
    ]


def _returns(case: PackCase, s: PackStyles, width: float) -> list[Flowable]:
    header = ["Agency", "Expected", "Status", "Answered on", "Entries", "Withheld"]
    rows: list[list[Any]] = [[_cell(h, s.head_cell) for h in header]]
    style = _grid()
    for index, r in enumerate(case.returns, start=1):
        rows.append(_return_row(r, s))
        if r.expected and not r.answered:
            style.append(("BACKGROUND", (0, index), (-1, index), GAP_FILL))
        elif r.status == "declined":
            style.append(("BACKGROUND", (0, index), (-1, index), DECLINED_FILL))
    table = LongTable(rows, colWidths=_widths(width, [2.2, 1.0, 2.6, 1.1, 0.7, 0.8]), repeatRows=1,
                      splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    out: list[Flowable] = [_p("Agency returns", s.subheading), table]
    out.append(_p("Shaded rows: an expected agency has not answered. \"Nothing known\" means the agency "
                  "checked and holds nothing.", s.small))
    if case.withheld:
        out.append(_p(_withheld_text(case), s.body))
    return out


def _findings(case: PackCase, s: PackStyles, width: float) -> list[Flowable]:
    out: list[Flowable] = [_p("Gaps and patterns", s.subheading)]
    if not case.findings:
        return [*out, _p("The gap analysis found nothing to raise on the shareable entries.", s.body)]
    rows: list[list[Any]] = []
    style = _grid(0)
    for index, finding in enumerate(case.findings):
        colour = SEVERITY_COLOURS.get(finding.severity, MUTED)
        label = _cell(_SEVERITY_LABELS.get(finding.severity, finding.severity), s.severity_label(finding.severity))
        rows.append([label, [_shared(finding.message, s.cell), _shared(finding.why, s.cell_small)]])
        style.append(("LINEBEFORE", (0, index), (0, index), 2.5, colour))
    table = LongTable(rows, colWidths=_widths(width, [0.7, 6.3]), splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    return [*out, table]


def _timeline(case: PackCase, s: PackStyles, width: float) -> list[Flowable]:
    heading = _p("Timeline", s.subheading)
    if not case.timeline.lanes:
        return [heading, _p("No agency has a return or an entry on this case yet.", s.body)]
    picture = timeline_picture(case.timeline, width)
    note = _p(f"{display_day(case.timeline.start)} to {display_day(case.timeline.end)}; one row per "
              "agency, expected agencies in bold.", s.small)
    return [KeepTogether([heading, picture, note])]


DETAIL_CHUNK = 1200
SOURCE_CELL_MAX = 60


def detail_chunks(text: str, limit: int = DETAIL_CHUNK) -> list[str]:
    """A long detail cut into pieces of at most `limit` characters, at line breaks or spaces.

    Each piece becomes its own table row, so a very long entry flows over pages row by row
    (header repeated) instead of as one row taller than a page.
    """
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _entry_rows(entry: PackEntry, s: PackStyles) -> list[list[Any]]:
    """The entry's row, then a continuation row for each further piece of a long text.

    No row is taller than a page, so the table splits between rows only and the header is
    repeated at the top of each page, never in the middle of one.
    """
    when: list[Flowable] = [_shared(entry.date_text, s.cell)]
    if entry.date_note:
        when.append(_shared(entry.date_note, s.cell_small))
    source = entry.source_ref
    detail = entry.detail
    if len(source) > SOURCE_CELL_MAX:  # a long reference moves under the detail, where it has room
        detail = f"{detail}\nSource: {source}" if detail else f"Source: {source}"
        source = ""
    pieces = [(chunk, s.cell) for chunk in detail_chunks(entry.summary)]
    pieces += [(chunk, s.cell_small) for chunk in (detail_chunks(detail) if detail else [])]
    notes = []
    if entry.opinion:
        notes.append("Professional opinion")
    if entry.referred_to:
        notes.append(f"To: {entry.referred_to}")
    if notes:
        pieces.append(("; ".join(notes), s.cell_small))
    # Short pieces share the first row; each long one gets a row of its own.
    first_what: list[Flowable] = []
    used = 0
    while pieces and (not first_what or used + len(pieces[0][0]) <= 2 * DETAIL_CHUNK):
        text, style = pieces.pop(0)
        first_what.append(_shared(text, style))
        used += len(text)
    risk = [f"• {r}" for r in entry.risk_indicators]
    if entry.risk_level:
        risk.append(f"Level given: {entry.risk_level}")
    first = [
        when,
        _cell(entry.agency, s.cell),
        _cell(entry.event_type, s.cell),
        first_what,
        _cell("\n".join(risk), s.cell_alert if entry.high_risk else s.cell),
        _cell(source, s.cell_small),
    ]
    more = [[_shared("continued", s.cell_small), "", "", _shared(text, style), "", ""] for text, style in pieces]
    return [first, *more]


def _chronology(case: PackCase, s: PackStyles, width: float) -> list[Flowable]:
    heading = _p("Combined chronology", s.subheading)
    if not case.entries:
        return [heading, _p("No shareable entries have been recorded for this case.", s.body)]
    header = ["Date", "Agency", "Event", "What happened", "Risk indicators", "Source"]
    rows: list[list[Any]] = [[_cell(h, s.head_cell) for h in header]]
    style = _grid()
    for entry in case.entries:
        entry_rows = _entry_rows(entry, s)
        start = len(rows)
        for row in range(start, start + len(entry_rows) - 1):
            # No rule between an entry and its continuation rows: they read as one entry.
            style.append(("LINEBELOW", (0, row), (-1, row), 0.6, colors.white))
        rows += entry_rows
    table = LongTable(rows, colWidths=_widths(width, [1.15, 1.25, 1.62, 3.48, 1.4, 1.1]), repeatRows=1,
                      splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    note = _p("Sorted by date. A leading ? marks an approximate date; smaller text under a summary is "
              "the detail.", s.small)
    return [CondPageBreak(80), heading, note, table]


def case_section(case: PackCase, number: int, total: int, s: PackStyles, width: float) -> list[Flowable]:
    title = f"Case {number} of {total}: {case.reference}"
    out: list[Flowable] = [
        PageBreak(),
        OutlineAnchor(f"{number}. {case.reference}", f"case-{case.case_id}", case_index=number),
        _p(title, s.heading),
    ]
    if case.repeat:
        out.append(_p("Repeat referral", s.cell_alert))
    out += _summary(case, s, width)
    out += _returns(case, s, width)
    out += _findings(case, s, width)
    out += _timeline(case, s, width)
    out += _chronology(case, s, width)
    return out


def appendix(content: PackContent, s: PackStyles, width: float) -> list[Flowable]:
    header = ["Case", "Returned \"nothing known\"", "Did not return", "Entries withheld"]
    rows: list[list[Any]] = [[_cell(h, s.head_cell) for h in header]]
    style = _grid()
    for index, case in enumerate(content.cases, start=1):
        rows.append([
            _cell(case.reference, s.cell_bold),
            _cell(", ".join(case.nothing_known) or "None", s.cell),
            _cell(", ".join(case.not_returned) or "None – every expected agency answered", s.cell),
            _cell(_withheld_text(case) or "None", s.cell),
        ])
        if case.not_returned:
            style.append(("BACKGROUND", (2, index), (2, index), GAP_FILL))
    case_width = _reference_width(content, s)
    table = LongTable(rows, colWidths=[case_width, *_widths(width - case_width, [2.2, 2.4, 2.2])], repeatRows=1,
                      splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    return [
        PageBreak(),
        OutlineAnchor("Appendix: returns", "appendix"),
        _p("Appendix: nothing known and no return", s.heading),
        _p("\"Nothing known\" is an answer: the agency checked its records and holds nothing. "
           "\"Did not return\" means an expected agency has not answered at all.", s.body),
        table if content.cases else _p("There are no cases in this pack.", s.body),
    ]


def pack_story(content: PackContent, width: float, *, split_rows: bool = False) -> list[Flowable]:
    """Every flowable of the pack, in order (a fresh list each time: a build consumes it).

    `split_rows` lets a table row continue on the next page; use it only when a row is taller
    than a page, since it also splits ordinary rows at page ends.
    """
    token = _split_rows.set(1 if split_rows else 0)
    cells_token = _shared_cells.set(None if split_rows else {})
    try:
        s = pack_styles()
        story = cover(content, s, width) + agenda(content, s, width)
        for number, case in enumerate(content.cases, start=1):
            story += case_section(case, number, len(content.cases), s, width)
        story += appendix(content, s, width)
    finally:
        _shared_cells.reset(cells_token)
        _split_rows.reset(token)
    return story

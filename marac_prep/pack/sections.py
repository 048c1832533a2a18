"""The pack's sections as platypus flowables: cover, agenda, one section per case, appendix.

Every piece of user text passes through `para` (escaped, line breaks kept) before it enters
a Paragraph; only the markup written here (bold, breaks) is ever interpreted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
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

from marac_prep.analysis.findings import HEADLINE_WORDS
from marac_prep.analysis.findings import headline as finding_headline
from marac_prep.core.dates import display_day
from marac_prep.pack.content import (
    PackAction,
    PackCase,
    PackContent,
    PackEntry,
    PackHistory,
    PackPerson,
    PackReturn,
)
from marac_prep.pack.document import HEADER_GAP, MARGIN, OutlineAnchor
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


def _dash(case: PackCase, *, short: bool = False) -> str:
    if case.dash_score is None:
        return "–" if short else "Not recorded"
    if short:
        return f"{case.dash_score}" + (f"\n{case.dash_level}" if case.dash_level else "")
    return f"{case.dash_score} of 24 ({case.dash_level})" if case.dash_level else f"{case.dash_score} of 24"


def _name_width(names: Sequence[str], s: PackStyles, least: float) -> float:
    """A column wide enough for the longest single word of these names, so no name breaks inside a
    word (GRZEGORZEWSKA), within limits."""
    words = [w for name in names for w in name.split()]
    widest = max((stringWidth(w, s.cell_name.fontName, s.cell_name.fontSize) for w in words), default=0.0)
    return min(max(widest + 8, least), 170.0)


def _word_width(texts: Sequence[str], s: PackStyles, *, lines: bool = False) -> float:
    """Wide enough for the longest word (or line) of these cells, in the widest cell font, and the padding."""
    words = [w for text in texts for w in (text.splitlines() if lines else text.split())]
    return max((stringWidth(w, s.cell_alert.fontName, s.cell_alert.fontSize) for w in words), default=20.0) + 8


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


AGENDA_PAGES_PLACEHOLDER = "…"


def _agenda_returns(case: PackCase) -> str:
    expected = [r for r in case.returns if r.expected]
    answered = sum(1 for r in expected if r.gave_answer)
    lines = [f"{answered} of {len(expected)}"]
    if case.declined:
        lines.append(f"{len(case.declined)} declined")
    if case.not_returned:
        lines.append(f"{len(case.not_returned)} silent")
    return "\n".join(lines)


def _page_range(pages: tuple[int, int] | None) -> str:
    if pages is None:
        return AGENDA_PAGES_PLACEHOLDER
    first, last = pages
    return str(first) if first == last else f"{first}–{last}"


def agenda(content: PackContent, s: PackStyles, width: float,
           case_pages: dict[int, tuple[int, int]] | None = None) -> list[Flowable]:
    """The case list; `case_pages` (first and last page by case position) fills the Pages column.

    The pack is laid out with the column empty, then the cover and agenda alone again with the
    pages known (see `export._layout`); the column is one line in both, so no row changes height.
    """
    timed = any(case.time_slot for case in content.cases)  # a Time column when there is a running order
    lead = ["No.", "Time"] if timed else ["No."]
    header = [*lead, "Case", "Victim", "Referred by", "Dash", "Repeat", "High", "Returns", "Pages"]
    rows: list[list[Any]] = [[_cell(h, s.head_cell) for h in header]]
    plain = [[*lead, "Dash", "Repeat", "High", "Returns"]]  # the short columns' words, for their widths
    style = _grid()
    returns_column = len(header) - 2
    for number, case in enumerate(content.cases, start=1):
        high = len(case.high_findings)
        first = [str(number), case.time_slot] if timed else [str(number)]
        plain.append([*first, _dash(case, short=True), case.repeat_mark, str(high), _agenda_returns(case)])
        rows.append([
            *(_cell(text, s.cell) for text in first),
            _cell(case.reference, s.cell_bold),
            _cell(case.victim_name, s.cell_name),
            _cell(f"{case.referring_agency}\n{case.referral_date}", s.cell),
            _cell(_dash(case, short=True), s.cell),
            _cell(case.repeat_mark, s.cell_alert if case.is_repeat else s.cell),
            _cell(str(high), s.cell_alert if high else s.cell),
            _cell(_agenda_returns(case), s.cell),
            _p(_page_range((case_pages or {}).get(number)), s.cell),
        ])
        if case.not_returned or case.declined:
            style.append(("BACKGROUND", (returns_column, number), (returns_column, number),
                          GAP_FILL if case.not_returned else DECLINED_FILL))
    case_width = _reference_width(content, s)
    victim_width = _name_width([c.victim_name for c in content.cases], s, 70.0)
    pages_width = stringWidth("888–888", s.cell.fontName, s.cell.fontSize) + 8
    # Short columns as wide as their longest word ("Possible repeat", "medium" never break inside a
    # word) and Returns as its longest line ("3 declined"); "Referred by" takes the rest.
    count = len(plain[0])
    short = [_word_width([row[i] for row in plain], s, lines=i == count - 1) for i in range(count)]
    referred_width = max(width - case_width - victim_width - pages_width - sum(short), 60.0)
    table = LongTable(rows, colWidths=[*short[:len(lead)], case_width, victim_width, referred_width,
                                       *short[len(lead):], pages_width],
                      repeatRows=1, splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    out: list[Flowable] = [PageBreak(), OutlineAnchor("Agenda", "agenda"), _p("Agenda", s.heading)]
    if not content.cases:
        return [*out, _p("There are no cases on this meeting's agenda yet.", s.body)]
    timing = "Time: the case's slot in the meeting's running order. " if timed else ""
    note = _p(f"{timing}Pages: where each case starts and ends in this pack. Repeat: the same victim and perpetrator "
              "referred within 12 months of an earlier Marac (possible repeat: the people match is not yet "
              "confirmed). High: high-severity findings. Returns: expected agencies that answered (declined "
              "agencies are not counted as answers), declined, and silent.", s.small)
    return [*out, table, Spacer(1, 4), note]


FRONT_TEXT_MAX = 700
KEY_FINDINGS_HEIGHT = 1 / 3  # of the page body: what the chair must know first


def _shorten(text: str, limit: int) -> tuple[str, bool]:
    """The text cut at a word before `limit` characters with "…", and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip() + " …", True


def _age(person: PackPerson) -> str:
    return f"{person.age}" if person.age is not None else "age not known"


def _person_line(person: PackPerson) -> str:
    parts = [person.name]
    if person.aliases:
        parts[0] += f" (also known as {', '.join(person.aliases)})"
    details = [_age(person)]
    if person.gender:
        details.append(person.gender)
    line = f"{parts[0]}, {', '.join(details)}"
    if person.relationship:
        line += f" – {person.relationship}"
    if person.role == "child":
        line += f"; school: {person.school}" if person.school else "; school not recorded"
    if person.must_not_receive_information:
        line += " – must never receive information about this case"
    return line


def _history_line(h: PackHistory) -> str:
    """ "MAR-…: Marac 3 Feb 2026, referred 20 Jan 2026; the victim here was the victim there, …".

    A perpetrator's case with another victim says only that: its people, relationship and
    criteria are not this case's to print.
    """
    when = f"Marac {h.meeting_date}, referred {h.referral_date}" if h.meeting_date else f"referred {h.referral_date}"
    roles = ", ".join(f"the {here} here was the {there} there" for here, there in h.roles)
    line = f"{h.reference}: {when}; {roles}"
    if h.relationship:
        line += f" ({h.relationship})"
    if not h.with_this_victim and ("perpetrator", "perpetrator") in h.roles:
        line += ", with another victim"
    if h.criteria:
        line += f"; criteria: {', '.join(h.criteria)}"
    if not h.confirmed:
        line += " – possible match, not yet confirmed"
    return line


def _repeat_text(case: PackCase) -> str:
    """Whether the case is a repeat (the gap analysis's reading), then its people's earlier Maracs."""
    said = case.repeat_line
    for answer in ("Yes – ", "Possibly – ", "No – "):
        said = said.removeprefix(answer)
    if case.repeat_state == "possible_repeat":
        first = f"POSSIBLE REPEAT – {said}"
    elif case.repeat_state in ("repeat", "marked"):
        first = f"REPEAT – {said}"
    elif case.is_repeat:
        first = "REPEAT – see the repeat finding"
    else:
        first = "Not a repeat" + (f" ({said})" if case.repeat_state == "after_window" else "")
    lines = [first]
    lines += [_history_line(h) for h in case.history]
    if not case.history and case.repeat_state == "marked":
        # Not a contradiction of the line above: the referrer knows of an earlier Marac this
        # workspace does not hold (another area's, or one from before it was kept here).
        lines.append("No earlier Marac case of this case's people is held here; the referral says there was one.")
    elif not case.history:
        lines.append("No earlier Marac case of this case's people found.")
    if case.last_actions:
        lines.append(f"Actions agreed at the last Marac ({case.last_marac}):")
        lines += [_action_line(a) for a in case.last_actions]
    return "\n".join(lines)


def _action_line(action: PackAction) -> str:
    """ "• Police (PC Reed): “Visit weekly”, due 3 Mar 2026 – Not done: agency did not act"."""
    owner = f" ({action.owner})" if action.owner else ""
    due = f", due {action.due}" if action.due else ""
    outcome = f": {action.outcome}" if action.outcome else ""
    return f"• {action.agency}{owner}: “{action.text}”{due} – {action.status_text}{outcome}"


def _consent_text(case: PackCase) -> str:
    aware, consented = _yes_no(case.victim_aware).lower(), _yes_no(case.victim_consent).lower()
    text = f"Aware of the referral: {aware}. Consented: {consented}"
    if case.victim_consent is False:
        reason = case.consent_reason or "no reason recorded"
        text += f" – shared without consent because: {reason}"
    return text + ("" if text.endswith(".") else ".")


def _dash_text(case: PackCase) -> str:
    text = _dash(case)
    if case.dash_yes:
        text += f"\nYes to: {'; '.join(case.dash_yes)}"
        if case.dash_source:
            text += f" ({case.dash_source})"
    return text


def front_sheet_facts(case: PackCase) -> list[tuple[str, str]]:
    """The front sheet's rows as plain (label, text), free text in full: what meeting mode shows,
    so the screen and the pack never say different things."""
    return [(label, text) for label, text, _style in _front_facts(case, [], cut_long=False)]


def _front_facts(case: PackCase, cut: list[tuple[str, str]], *, cut_long: bool = True) -> list[tuple[str, str, Any]]:
    """(label, text, style name) rows of the front sheet; long free text is cut and listed in `cut`
    (unless `cut_long` is False)."""

    def free(label: str, text: str) -> str:
        if not cut_long:
            return text
        short, was_cut = _shorten(text, FRONT_TEXT_MAX)
        if was_cut:
            cut.append((label, text))
            short += " (in full after the timeline)"
        return short

    def people(role: str) -> str:
        return "\n".join(_person_line(p) for p in case.people if p.role == role)

    rows: list[tuple[str, str, Any]] = []
    victim = people("victim")
    rows.append(("Victim", victim or "Not recorded", "cell_name"))
    perpetrators = [p for p in case.people if p.role == "perpetrator"]
    rows.append(("Perpetrator" + ("s" if len(perpetrators) > 1 else ""), people("perpetrator") or "Not recorded",
                 "cell_name"))
    rows.append(("Children", people("child") or "None recorded", "cell_name"))
    if any(p.role == "other" for p in case.people):
        rows.append(("Others", people("other"), "cell_name"))
    rows.append(("Referred by", f"{case.referring_agency} on {case.referral_date}", "cell"))
    why = "; ".join(case.criteria) or "No criteria recorded"
    if case.referral_reason:
        why += f"\nReferrer's reason: {free('Referrer’s reason', case.referral_reason)}"
    if case.criteria_notes:
        why += f"\nConcerns: {free('Concerns', case.criteria_notes)}"
    rows.append(("Why referred", why, "cell"))
    rows.append(("Dash", _dash_text(case), "cell"))
    levels = [f"{a.tool} by {a.agency}, {a.assessed_on}: {a.level or 'no level given'}" for a in case.assessments
              if a.tool.casefold() != "dash" or a.level]
    rows.append(("Risk level", "\n".join([case.dash_level or "Not recorded", *levels]) if levels
                 else (case.dash_level or "Not recorded"), "cell"))
    rows.append(("Awareness and consent", free("Why shared without consent", _consent_text(case)), "cell"))
    rows.append(("Victim's wishes / Idva's view",
                 free("Victim’s wishes / Idva’s view", case.victim_wishes) if case.victim_wishes
                 else "Not yet recorded by the Idva.", "cell"))
    rows.append(("Repeat and history", _repeat_text(case), "cell"))
    return rows


def _grouped_high(case: PackCase) -> list[tuple[str, int, list[str]]]:
    """High findings grouped by kind: (label, how many, messages) in severity-then-kind order."""
    groups: dict[str, list[str]] = {}
    for finding in case.high_findings:
        groups.setdefault(finding.kind, []).append(finding.message)
    return [(HEADLINE_WORDS.get(kind, kind.replace("_", " ")), len(messages), messages)  # type: ignore[call-overload]
            for kind, messages in groups.items()]


def headline(case: PackCase) -> str:
    """One line: "3 high: referral lost, agency silent, repeat; 2 medium: …" (the gap analysis's own)."""
    return finding_headline(case.findings)


def _key_findings(case: PackCase, s: PackStyles, width: float, budget: float) -> list[Flowable]:
    """The headline and the high findings, grouped, within `budget` points of height."""
    out: list[Flowable] = [_p("What the chair must know first", s.subheading),
                           _p(headline(case), s.cell_alert if case.high_findings else s.cell_bold)]
    groups = _grouped_high(case)
    if not groups:
        return out
    rows: list[list[Any]] = []
    shown = 0
    used = sum(f.wrap(width, 1000)[1] for f in out) + 24
    for label, count, messages in groups:
        first, _ = _shorten(messages[0], 230)
        text = first + (f" (and {count - 1} more like it)" if count > 1 else "")
        row = [_p(f"{label}" + (f" ×{count}" if count > 1 else ""), s.cell_alert), _p(text, s.cell)]
        height = max(row[0].wrap(width * 0.2 - 6, 1000)[1], row[1].wrap(width * 0.8 - 6, 1000)[1]) + 5
        if rows and used + height > budget:
            break
        used += height
        rows.append(row)
        shown += count
    style = [*_grid(0), *(("LINEBEFORE", (0, i), (0, i), 2.5, HIGH) for i in range(len(rows)))]
    table = Table(rows, colWidths=_widths(width, [0.2, 0.8]), hAlign="LEFT", splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    out.append(table)
    rest = len(case.findings) - shown
    if rest > 0:
        out.append(_p(f"{rest} more finding{'s' if rest != 1 else ''} under Gaps and patterns, after the timeline.",
                      s.small))
    return out


def _return_answer(r: PackReturn) -> str:
    if r.declined:
        return "Declined" + (f" – {r.note}" if r.note else " – no reason given")
    if r.status == "nothing_known":
        return "Nothing known" + (f" ({r.returned_on})" if r.returned_on else "")
    if r.status == "returned":
        entries = f"{r.entries_shown} entr{'y' if r.entries_shown == 1 else 'ies'}"
        if r.entries_withheld:
            entries += f", {r.entries_withheld} withheld"
        return entries + (f" ({r.returned_on})" if r.returned_on else "")
    return f"Not returned – {r.status_label.lower()}" + (f"; {r.note}" if r.note else "")


def _returns(case: PackCase, s: PackStyles, width: float) -> list[Flowable]:
    header = ["Agency", "Answer", "Representative"]
    rows: list[list[Any]] = [[_cell(h, s.head_cell) for h in header]]
    style = _grid()
    for index, r in enumerate(case.returns, start=1):
        agency = r.agency + ("" if r.expected else " (not expected)")
        rows.append([_cell(agency, s.cell_bold if r.expected else s.cell), _cell(_return_answer(r), s.cell),
                     _cell(r.representative or "–", s.cell)])
        if r.declined:
            style.append(("BACKGROUND", (0, index), (-1, index), DECLINED_FILL))
        elif r.expected and not r.gave_answer:
            style.append(("BACKGROUND", (0, index), (-1, index), GAP_FILL))
    table = LongTable(rows, colWidths=_widths(width, [1.6, 3.2, 1.5]), repeatRows=1, splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    out: list[Flowable] = [_p(case.returns_line, s.subheading), table]
    if case.withheld:
        out.append(_p(_withheld_text(case), s.small))
    return out


def front_sheet(case: PackCase, s: PackStyles, width: float, cut: list[tuple[str, str]]) -> list[Flowable]:
    """The case's first page (SafeLives practice): who, why, risk, wishes, history, key findings, returns."""
    facts = _front_facts(case, cut)
    label_width = 118.0
    table = Table([[_cell(k, s.cell_bold), _cell(v, getattr(s, style))] for k, v, style in facts],
                  colWidths=[label_width, width - label_width], hAlign="LEFT", splitInRow=_split_rows.get())
    commands = _grid(0)
    if case.is_repeat:
        row = len(facts) - 1
        commands.append(("BACKGROUND", (0, row), (-1, row), DECLINED_FILL))
    table.setStyle(TableStyle(commands))
    page_body = A4[1] - 2 * (MARGIN + HEADER_GAP)
    return [table, *_key_findings(case, s, width, page_body * KEY_FINDINGS_HEIGHT), *_returns(case, s, width)]


def _findings(case: PackCase, s: PackStyles, width: float) -> list[Flowable]:
    out: list[Flowable] = [_p("Gaps and patterns", s.subheading),
                           _p(headline(case), s.cell_bold)]
    if not case.findings:
        return [*out, _p("The gap analysis found nothing to raise on the shareable entries.", s.body)]
    rows: list[list[Any]] = []
    style = _grid(0)
    for index, finding in enumerate(case.findings):
        colour = SEVERITY_COLOURS.get(finding.severity, MUTED)
        label = _cell(_SEVERITY_LABELS.get(finding.severity, finding.severity), s.severity_label(finding.severity))
        text = [_shared(finding.message, s.cell), _shared(finding.why, s.cell_small)]
        if finding.review is not None:
            review = finding.review
            text.append(_p(f"Reviewed by {review.reviewed_by} on {display_day(review.reviewed_at.date())}: "
                           f"{review.note}", s.cell_small))
        rows.append([label, text])
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


DETAIL_LINES = 30


def detail_chunks(text: str, limit: int = DETAIL_CHUNK, lines: int = DETAIL_LINES) -> list[str]:
    """A long detail cut into pieces of at most `limit` characters and `lines` lines, at line breaks
    or spaces.

    Each piece becomes its own table row, so a very long entry flows over pages row by row
    (header repeated) instead of as one row taller than a page.
    """
    pieces: list[str] = []
    rest = text
    while True:
        end = limit
        breaks = [i for i, ch in enumerate(rest[:limit]) if ch == "\n"]
        if len(breaks) >= lines:
            end = breaks[lines - 1]
        if len(rest) <= end:
            break
        cut = rest.rfind("\n", 0, end + 1)
        if cut < end // 2:
            cut = rest.rfind(" ", 0, end)
        if cut < end // 2:
            cut = end
        pieces.append(rest[:cut].rstrip("\n"))
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _source_lines(text: str, font: str, size: float, width: float) -> str:
    """The text broken into lines that fit `width`, each break made *before* a hyphen, slash or
    underscore ("…-ATTENDANCE" / "-NOTE-…"): a line ending in a hyphen is joined to the next with
    the hyphen dropped by text extractors (poppler de-hyphenates), one starting with it is not."""
    lines: list[str] = []
    line = ""
    for token in re.split(r"(?=[-/_])", text):
        if line and stringWidth(line + token, font, size) > width:
            lines.append(line)
            line = token
        else:
            line += token
    lines.append(line)
    return "\n".join(lines)


def _source_para(source: str, s: PackStyles, width: float) -> Paragraph:
    """ "Source: REF" on one line, the reference never broken (so it extracts intact), shrunk to fit
    down to 6.5 pt; a longer one breaks only before a hyphen, slash or underscore."""
    text = f"Source: {source}"
    size = s.cell_small.fontSize
    font = s.cell_small.fontName
    needed = stringWidth(text, font, size)
    if needed <= width:
        return _shared(text, s.cell_small)
    smaller = size * width / needed
    if smaller >= SOURCE_MIN_SIZE:
        style = s.cell_small.clone(f"source_{smaller:.2f}", fontSize=smaller, leading=smaller * 1.22)
        return _shared(text, style)
    return _shared(_source_lines(text, font, size, width), s.cell_small)


def _entry_rows(entry: PackEntry, s: PackStyles, what_width: float) -> list[list[Any]]:
    """The entry's row, then a continuation row for each further piece of a long text.

    No row is taller than a page, so the table splits between rows only and the header is
    repeated at the top of each page, never in the middle of one. A continuation row repeats
    the entry's date and agency, so a piece read at the top of a page says whose it is.
    """
    when: list[Flowable] = [_shared(entry.date_text, s.cell)]
    if entry.date_note:
        when.append(_shared(entry.date_note, s.cell_small))
    pieces: list[tuple[str, Any]] = [(chunk, s.cell) for chunk in detail_chunks(entry.summary)]
    pieces += [(chunk, s.cell_small) for chunk in (detail_chunks(entry.detail) if entry.detail else [])]
    source_ref = entry.source_ref
    if len(source_ref) > SOURCE_LINE_MAX:  # no single line could hold it: it flows as detail text
        pieces += [(chunk, s.cell_small) for chunk in detail_chunks(f"Source: {source_ref}")]
        source_ref = ""
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
    while pieces and (not first_what or used + len(pieces[0][0]) <= DETAIL_CHUNK):
        text, style = pieces.pop(0)
        first_what.append(_shared(text, style))
        used += len(text)
    source = _source_para(source_ref, s, what_width - 6) if source_ref else None
    if source is not None and not pieces:
        first_what.append(source)
    risk = [f"• {r}" for r in entry.risk_indicators]
    if entry.risk_level:
        risk.append(f"Level given: {entry.risk_level}")
    first = [
        when,
        [_shared(entry.agency, s.cell_bold), _shared(entry.event_type, s.cell_small)],
        first_what,
        _cell("\n".join(risk), s.cell_alert if entry.high_risk else s.cell),
    ]
    again = [_shared(f"{entry.date_text} (continued)", s.cell_small)]
    more = [[again, _shared(entry.agency, s.cell_small), [_shared(text, style)], ""] for text, style in pieces]
    if more and source is not None:
        more[-1][2].append(source)
    return [first, *more]


CHRONOLOGY_COLUMNS = [1.05, 1.55, 5.0, 1.5]
SOURCE_LINE_MAX = 300  # a longer reference flows as detail text, in rows of its own
SOURCE_MIN_SIZE = 6.5


def _chronology(case: PackCase, s: PackStyles, width: float) -> list[Flowable]:
    heading = _p("Combined chronology", s.subheading)
    if not case.entries:
        return [heading, _p("No shareable entries have been recorded for this case.", s.body)]
    header = ["Date", "Agency and event", "What happened", "Risk indicators"]
    rows: list[list[Any]] = [[_cell(h, s.head_cell) for h in header]]
    style = _grid()
    widths = _widths(width, CHRONOLOGY_COLUMNS)
    for entry in case.entries:
        entry_rows = _entry_rows(entry, s, widths[2])
        start = len(rows)
        for row in range(start, start + len(entry_rows) - 1):
            # No rule between an entry and its continuation rows: they read as one entry.
            style.append(("LINEBELOW", (0, row), (-1, row), 0.6, colors.white))
        rows += entry_rows
    table = LongTable(rows, colWidths=widths, repeatRows=1, splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    note = _p("Sorted by date. A leading ? marks an approximate date; smaller text under a summary is "
              "the detail.", s.small)
    return [CondPageBreak(80), heading, note, table]


def _in_full(cut: list[tuple[str, str]], s: PackStyles) -> list[Flowable]:
    if not cut:
        return []
    out: list[Flowable] = [_p("Referral in full", s.subheading)]
    for label, text in cut:
        out += [_p(label, s.cell_bold), _p(text, s.body)]
    return out


def _case_notes(case: PackCase, s: PackStyles) -> list[Flowable]:
    """The coordinator's case notes: only in a pack asked to carry them (`include_notes`)."""
    if not case.notes:
        return []
    return [_p("Coordinator's notes", s.subheading), *(_p(note, s.body) for note in case.notes)]


def case_label(case: PackCase, number: int, total: int) -> str:
    """What the running header says on the case's pages."""
    return f"{case.reference} · case {number} of {total}"


def case_section(case: PackCase, number: int, total: int, s: PackStyles, width: float) -> list[Flowable]:
    """The front sheet on the case's first page; then the timeline, the findings and the chronology."""
    mark = " – POSSIBLE REPEAT" if case.possible_repeat else " – REPEAT" if case.is_repeat else ""
    title = f"Case {number} of {total}: {case.reference}{mark}"
    cut: list[tuple[str, str]] = []
    out: list[Flowable] = [
        PageBreak(),
        OutlineAnchor(f"{number}. {case.reference}", f"case-{case.case_id}", case_index=number,
                      case_label=case_label(case, number, total)),
        _p(title, s.heading),
    ]
    out += front_sheet(case, s, width, cut)
    out.append(PageBreak())
    out += _timeline(case, s, width)
    out += _in_full(cut, s)
    out += _case_notes(case, s)
    out += _findings(case, s, width)
    out += _chronology(case, s, width)
    return out


def appendix(content: PackContent, s: PackStyles, width: float) -> list[Flowable]:
    header = ["Case", "Returned \"nothing known\"", "Declined", "Did not return", "Entries withheld"]
    rows: list[list[Any]] = [[_cell(h, s.head_cell) for h in header]]
    style = _grid()
    for index, case in enumerate(content.cases, start=1):
        rows.append([
            _cell(case.reference, s.cell_bold),
            _cell(", ".join(case.nothing_known) or "None", s.cell),
            _cell(", ".join(case.declined) or "None", s.cell),
            _cell(", ".join(case.not_returned) or "None", s.cell),
            _cell(_withheld_text(case) or "None", s.cell),
        ])
        if case.declined:
            style.append(("BACKGROUND", (2, index), (2, index), DECLINED_FILL))
        if case.not_returned:
            style.append(("BACKGROUND", (3, index), (3, index), GAP_FILL))
    case_width = _reference_width(content, s)
    table = LongTable(rows, colWidths=[case_width, *_widths(width - case_width, [2.0, 1.8, 2.0, 2.0])], repeatRows=1,
                      splitInRow=_split_rows.get())
    table.setStyle(TableStyle(style))
    return [
        PageBreak(),
        OutlineAnchor("Appendix: returns", "appendix"),
        _p("Appendix: nothing known, declined and no return", s.heading),
        _p("\"Nothing known\" is an answer: the agency checked its records and holds nothing. "
           "\"Declined\" is not an answer: the agency refused to share. "
           "\"Did not return\" means an expected agency has not answered at all.", s.body),
        table if content.cases else _p("There are no cases in this pack.", s.body),
    ]


def front_story(content: PackContent, width: float, case_pages: dict[int, tuple[int, int]] | None) -> list[Flowable]:
    """The cover and the agenda alone, with each case's pages (the second layout of those pages)."""
    s = pack_styles()
    token = _shared_cells.set({})
    try:
        return cover(content, s, width) + agenda(content, s, width, case_pages)
    finally:
        _shared_cells.reset(token)


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

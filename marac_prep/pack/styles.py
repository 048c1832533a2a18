"""The pack's paragraph styles and colours, set in the embedded fonts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle

from marac_prep.pack.fonts import register_fonts

INK = colors.HexColor("#1d232b")
MUTED = colors.HexColor("#5a6470")
RULE = colors.HexColor("#b9c0c8")
HEADER_FILL = colors.HexColor("#e4e8ee")
GAP_FILL = colors.HexColor("#fbe3e1")  # an expected agency that has not answered
DECLINED_FILL = colors.HexColor("#fdf1d8")
HIGH = colors.HexColor("#b3261e")
MEDIUM = colors.HexColor("#b36b00")
INFO = colors.HexColor("#2f5f8a")
SEVERITY_COLOURS = {"high": HIGH, "medium": MEDIUM, "info": INFO}


@dataclass(frozen=True)
class PackStyles:
    """Attributes: one ParagraphStyle per use, named after what it sets.

    Attributes:
        cell_alert: bold cell text in the high-risk red (high-risk indicators, "Repeat referral").
        severity: a finding's severity label, in its colour, by severity.
    """

    title: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    cell_small: ParagraphStyle
    head_cell: ParagraphStyle
    marking: ParagraphStyle
    cell_alert: ParagraphStyle
    cell_name: ParagraphStyle
    severity: Mapping[str, ParagraphStyle]

    def severity_label(self, severity: str) -> ParagraphStyle:
        """The style of a severity's label; an unknown severity is muted."""
        found = self.severity.get(severity)
        return found if found is not None else self.cell_bold.clone("severity", textColor=MUTED)


@cache
def pack_styles() -> PackStyles:
    regular, bold = register_fonts()

    def style(name: str, size: float, *, font: str = regular, leading: float | None = None,
              colour: colors.Color = INK, before: float = 0, after: float = 0,
              align: int = 0) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=leading or size * 1.25, textColor=colour,
            spaceBefore=before, spaceAfter=after, alignment=align,
            # Long unbroken strings (a pasted URL, a run of letters) wrap instead of overflowing.
            splitLongWords=1, wordWrap=None,
        )

    # Body text at least 9 pt, details at least 8 pt (read in the minutes before a case).
    cell_bold = style("cell_bold", 9, font=bold, leading=11.2)
    return PackStyles(
        title=style("title", 24, font=bold, leading=30, after=6),
        heading=style("heading", 15, font=bold, leading=19, after=4),
        subheading=style("subheading", 11, font=bold, leading=14, before=8, after=3),
        body=style("body", 9.5, leading=12.5, after=4),
        small=style("small", 8, leading=10, colour=MUTED, after=2),
        cell=style("cell", 9, leading=11.2),
        cell_bold=cell_bold,
        cell_small=style("cell_small", 8, leading=9.8, colour=MUTED),
        head_cell=style("head_cell", 9, font=bold, leading=11.2),
        marking=style("marking", 16, font=bold, leading=20, align=1, before=8, after=8),
        cell_alert=cell_bold.clone("cell_alert", textColor=HIGH),
        # Names are never broken inside a word (GRZEGORZEWSKA): their columns are made wide enough.
        cell_name=style("cell_name", 9, leading=11.2).clone("cell_name", splitLongWords=0),
        severity={name: cell_bold.clone(f"severity_{name}", textColor=colour)
                  for name, colour in SEVERITY_COLOURS.items()},
    )

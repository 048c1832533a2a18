"""Showing user text safely: plain-text labels, escaped tooltips, agency colours."""

from __future__ import annotations

import html
import zlib

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QWidget

# What needs attention in a table: text (an outstanding return, a high Dash score) and row background.
ALERT = QColor("#a3261b")
ALERT_TINT = QColor("#fdecea")

# Soft, distinguishable hues; an agency keeps its colour because it is picked from its short code.
_AGENCY_HUES = (210, 140, 20, 280, 340, 180, 45, 100, 250, 0, 310, 160)
_FIXED_HUE = {
    "POL": 215,
    "IDVA": 300,
    "HLTH": 150,
    "MH": 265,
    "HSG": 30,
    "PROB": 0,
    "SMS": 55,
    "ASC": 185,
    "CSC": 330,
    "EDU": 95,
    "ODAS": 245,
    "VOL": 120,
}


def plain_label(text: str = "", parent: QWidget | None = None, *, name: str = "") -> QLabel:
    """A label that never interprets its text as markup (user text may contain `<b>`)."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    if name:
        label.setObjectName(name)
    return label


def literal_menu_text(text: str) -> str:
    """Text for a menu item or button shown as typed: Qt reads "&" there as a shortcut marker
    ("A&E attendance" would show as "AE attendance" with the E underlined)."""
    return text.replace("&", "&&")


def tooltip(text: str) -> str:
    """Tooltip text shown literally: Qt guesses rich text for tooltips, so user text is escaped."""
    if not text:
        return ""
    return "<p style='white-space:pre-wrap'>" + html.escape(text).replace("\n", "<br/>") + "</p>"


def agency_colour(short_code: str) -> QColor:
    """The agency's colour in tables and timelines (the same on every screen)."""
    hue = _FIXED_HUE.get(short_code)
    if hue is None:
        hue = _AGENCY_HUES[zlib.crc32(short_code.encode()) % len(_AGENCY_HUES)]
    return QColor.fromHsl(hue, 150, 120)


def agency_tint(short_code: str) -> QColor:
    """A pale version of the agency colour for cell backgrounds (text stays readable)."""
    colour = agency_colour(short_code)
    return QColor.fromHsl(colour.hslHue(), 120, 236)

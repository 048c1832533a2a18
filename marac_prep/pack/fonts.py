"""The embedded TrueType fonts the pack is set in (DejaVu Sans: Latin Extended, Greek, Cyrillic)."""

from __future__ import annotations

from functools import cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from marac_prep.core.errors import StorageError
from marac_prep.resources import resource_path

REGULAR = "PackSans"
BOLD = "PackSans-Bold"

_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


@cache
def register_fonts() -> tuple[str, str]:
    """Registers the fonts once per process; returns (regular, bold) font names.

    The standard 14 PDF fonts cover only Latin-1, so "Ș", "ł" or "ė" would print as boxes;
    an embedded TTF prints every name as written and extracts back to the same text.
    """
    for name, filename in _FILES.items():
        path = resource_path("fonts", filename)
        try:
            pdfmetrics.registerFont(TTFont(name, str(path)))
        except OSError:
            raise StorageError(
                f"The pack font {filename} is missing or damaged; reinstall Marac Prep."
            ) from None
    # So <b> inside a Paragraph (our own markup only) picks the bold face.
    addMapping(REGULAR, 0, 0, REGULAR)
    addMapping(REGULAR, 1, 0, BOLD)
    addMapping(REGULAR, 0, 1, REGULAR)
    addMapping(REGULAR, 1, 1, BOLD)
    return REGULAR, BOLD

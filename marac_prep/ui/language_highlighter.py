"""Underlines victim-blaming phrases as the author types, with the better wording in a tooltip."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QHelpEvent, QSyntaxHighlighter, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QToolTip

from marac_prep.analysis.language import LanguageMatch, find_victim_blaming
from marac_prep.ui.text import tooltip

_UNDERLINE = QColor("#c05800")


class LanguageHighlighter(QSyntaxHighlighter):
    """Marks phrases from the language list; the text itself is never changed.

    Give it an editor (QTextEdit or QPlainTextEdit) to also show the suggestion when the mouse
    rests on a marked phrase; or a bare QTextDocument and ask `match_at` yourself.
    """

    def __init__(self, target: QTextEdit | QPlainTextEdit | QTextDocument) -> None:
        document = target if isinstance(target, QTextDocument) else target.document()
        super().__init__(document)
        self._editor = None if isinstance(target, QTextDocument) else target
        self._format = QTextCharFormat()
        self._format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self._format.setUnderlineColor(_UNDERLINE)
        if self._editor is not None:
            self._editor.viewport().installEventFilter(self)

    def highlightBlock(self, text: str) -> None:  # Override QSyntaxHighlighter.highlightBlock.
        for match in find_victim_blaming(text):
            fmt = QTextCharFormat(self._format)
            fmt.setToolTip(tooltip(f"{match.why}\nTry: {match.suggestion}"))
            self.setFormat(match.start, match.end - match.start, fmt)

    def matches(self) -> list[tuple[int, LanguageMatch]]:
        """Every match in the document as (absolute position, match)."""
        found = []
        block = self.document().firstBlock()
        while block.isValid():
            found += [(block.position() + m.start, m) for m in find_victim_blaming(block.text())]
            block = block.next()
        return found

    def match_at(self, position: int) -> LanguageMatch | None:
        """The flagged phrase covering the document position, if any."""
        block = self.document().findBlock(position)
        if not block.isValid():
            return None
        offset = position - block.position()
        return next((m for m in find_victim_blaming(block.text()) if m.start <= offset < m.end), None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Override QObject.eventFilter.
        editor = self._editor
        if editor is not None and event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            cursor = editor.cursorForPosition(event.pos())
            match = self.match_at(cursor.position())
            if match is not None:
                QToolTip.showText(event.globalPos(), tooltip(f"{match.why}\nTry: {match.suggestion}"), editor)
            else:
                QToolTip.hideText()
            return True
        return super().eventFilter(watched, event)


def attach_language_highlighter(editor: QTextEdit | QPlainTextEdit) -> LanguageHighlighter:
    """For the entry editor: the highlighter lives as long as the editor's document."""
    return LanguageHighlighter(editor)

"""The progress dialog of work done off the GUI thread."""

from __future__ import annotations


def test_a_progress_label_quoting_a_file_name_is_plain_text(qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QWidget

    from marac_prep.ui.background import BackgroundOp

    parent = QWidget()
    qtbot.addWidget(parent)
    op = BackgroundOp(parent, lambda _progress: None, label="Checking <b>Police<img src=x> return.csv…")
    op.progress.setLabelText("Importing <b>Police<img src=x> return.csv (1 of 1)")
    labels = op.progress.findChildren(QLabel)
    assert len(labels) == 1 and labels[0].textFormat() == Qt.TextFormat.PlainText
    assert labels[0].text() == "Importing <b>Police<img src=x> return.csv (1 of 1)"

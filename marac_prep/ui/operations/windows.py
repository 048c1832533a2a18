"""The separate windows the main window opens (statistics, actions): one each, raised when asked again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

if TYPE_CHECKING:
    from marac_prep.ui.main_window import MainWindow

View = TypeVar("View", bound=QWidget)


def separate_window(window: MainWindow, name: str, make: Callable[[], View], *, width: int, height: int
                    ) -> tuple[View, bool]:
    """The window kept as `window.<name>`, raised, if it is open for the same user; else a new one
    from `make()`, deleted on close, `width` × `height` where the screen has room, shown and kept.

    Returns the window and whether it is new (a new one still has its data to load).
    """
    from marac_prep.ui.forms import fit_window  # here: the main window loads without the data stack

    view: View | None = getattr(window, name, None)
    # Closing deletes the window (WA_DeleteOnClose): a closed one is opened afresh, not touched.
    if view is not None and isValid(view) and view.isVisible() and getattr(view, "actor", None) is window.actor:
        view.raise_()
        view.activateWindow()
        return view, False
    view = make()
    view.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    fit_window(view, width, height)
    setattr(window, name, view)  # kept alive while it is open
    view.show()
    return view, True

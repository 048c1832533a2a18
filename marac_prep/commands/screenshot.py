"""`marac-prep screenshot`: renders a view of the workspace offscreen and saves it as a PNG."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from marac_prep.commands.context import CommandContext
from marac_prep.core.errors import ValidationError

VIEWS = ("meeting", "case", "returns", "entry", "statistics")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("screenshot", help="save a picture of a view (for documentation)")
    parser.add_argument("--view", choices=VIEWS, required=True, help="which view to render")
    parser.add_argument("-o", "--output", required=True, metavar="FILE.png", help="where to save the PNG")
    parser.add_argument("--case", metavar="REF", help="the case to show (default: the first case)")
    parser.add_argument("--size", default="1400x900", metavar="WxH", help="window size (default 1400x900)")
    parser.set_defaults(handler=_screenshot)


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValidationError(f'"{text}" is not a size; write it as WIDTHxHEIGHT, e.g. 1400x900.') from None
    if not (400 <= width <= 8000 and 300 <= height <= 8000):
        raise ValidationError("The size must be between 400x300 and 8000x8000.")
    return width, height


def _screenshot(ctx: CommandContext, args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.suffix.lower() != ".png":
        raise ValidationError(f"{output.name} must end in .png.")
    size = _size(args.size)
    # Rendering needs no screen; Qt is imported here so the rest of the command line works without it.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from marac_prep.ui.screens import render_view

    db = ctx.database()
    with db.session() as session:
        actor = ctx.actor(session)
    render_view(db, actor, view=args.view, output=output, case_reference=args.case, size=size)
    ctx.print(f"Saved the {args.view} view to {output}.")
    return 0

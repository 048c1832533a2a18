"""`marac-prep demo`: a fictional workspace for trying the app or for benchmarks."""

from __future__ import annotations

import argparse
import sys

from marac_prep.commands.context import CommandContext
from marac_prep.demo import build_demo


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'"{text}" is not a whole number') from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="build a fictional demo workspace")
    parser.add_argument("--cases", type=_positive, default=8, help="number of cases (default 8)")
    parser.add_argument("--entries-per-case", type=_positive, default=24, help="chronology entries per case")
    parser.add_argument("--seed", type=int, default=1, help="random seed, for a repeatable workspace")
    parser.set_defaults(handler=_demo)


def _demo(ctx: CommandContext, args: argparse.Namespace) -> int:
    db = ctx.database()
    show_progress = args.cases >= 200 and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show_progress and (done % 50 == 0 or done == total):
            print(f"\r{done} of {total} cases", end="", file=sys.stderr, flush=True)

    with db.session() as session:
        summary = build_demo(
            session,
            actor=ctx.actor(session),
            cases=args.cases,
            entries_per_case=args.entries_per_case,
            seed=args.seed,
            progress=progress,
        )
    if show_progress:
        print(file=sys.stderr)
    ctx.print(
        f"Demo workspace written to {db.location}: {summary.meetings} meeting(s), "
        f"{summary.cases} cases (and {summary.earlier_cases} earlier ones), {summary.entries} chronology entries "
        "(all fictional)."
    )
    return 0

"""The `marac-prep` command: global options, subcommands, and errors as one readable line."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from marac_prep import __version__
from marac_prep.commands import COMMAND_MODULES
from marac_prep.core.errors import MaracError, NotFound, ValidationError
from marac_prep.logging_setup import configure_logging

if TYPE_CHECKING:
    from marac_prep.commands.context import CommandContext

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
log = logging.getLogger("marac_prep")


class _UsageError(Exception):
    """Raised instead of argparse printing a usage block and exiting."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # Override argparse.ArgumentParser.error.
        raise _UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="PATH_OR_URL",
        help="a SQLite file or a postgresql:// URL (default: MARAC_PREP_DATABASE, else the user data folder)",
    )
    parser.add_argument(
        "--user", metavar="NAME",
        help="the profile to act as (default: the one bound to your account or database login)",
    )
    parser.add_argument(
        "--user-passphrase-file", metavar="FILE",
        help="a file holding the --user profile's own passphrase (else asked on a terminal)",
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help="a file holding the passphrase of an encrypted database (a new database is then created encrypted)",
    )
    parser.add_argument("--demo", action="store_true", help="open the app on a fresh fictional demo workspace")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="marac-prep",
        description="Prepare Marac meetings: combined chronology, gap analysis, pre-meeting pack.",
    )
    parser.add_argument("--version", action="version", version=f"marac-prep {__version__}")
    _global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def _app_options(argv: Sequence[str]) -> argparse.Namespace | None:
    """The global options when the command line just opens the app (no subcommand, no --help or
    --version), else None.

    The app then starts without importing every subcommand (and the data stack with them), so
    its window shows before the database is opened.
    """
    parser = _Parser(prog="marac-prep", add_help=False)
    _global_options(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except _UsageError:
        return None  # the full parser says what is wrong
    return None if rest else args


def _open_app(args: argparse.Namespace) -> int:
    # Imported here so the command line works (and tests run) where Qt is not installed.
    from marac_prep.ui.app import run_app

    return run_app(database_target=args.database, user_name=args.user, demo=args.demo)


class _ClosedPipeTolerant:
    """Standard output that, once its reader has gone (`marac-prep … | head -1`), drops the rest
    of the output instead of failing: a command whose change was saved still finishes, and its
    exit status says what happened to the data, not to the pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.reader_gone = False

    def _discard(self) -> None:
        self.reader_gone = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())  # so the final flush at exit goes nowhere too
            os.close(devnull)
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._discard()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._discard()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command; returns the exit status (0 ok, 1 failure, 2 bad input)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not isinstance(sys.stdout, _ClosedPipeTolerant):
        sys.stdout = _ClosedPipeTolerant(sys.stdout)
    try:
        return _main(argv)
    finally:
        if isinstance(sys.stdout, _ClosedPipeTolerant):
            sys.stdout.flush()
            sys.stdout = sys.stdout._stream


def _main(argv: list[str]) -> int:
    args = _app_options(argv)
    if args is None:
        try:
            args = build_parser().parse_args(argv)
        except _UsageError as exc:
            print(exc, file=sys.stderr)
            return EXIT_BAD_INPUT
    configure_logging()
    command = getattr(args, "command", None)
    ctx: CommandContext | None = None
    try:
        if command is None:
            return _open_app(args)
        from marac_prep.commands.context import CommandContext

        ctx = CommandContext(
            database_target=args.database, user_name=args.user, passphrase_file=args.passphrase_file,
            user_passphrase_file=args.user_passphrase_file,
        )
        return int(args.handler(ctx, args))
    except (ValidationError, NotFound) as exc:
        print(f"marac-prep: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MaracError as exc:
        print(f"marac-prep: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("marac-prep: stopped; nothing was half-saved.", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:
        print(f"marac-prep: {exc.strerror or exc} ({exc.filename or 'file'}).", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # A last resort: never a traceback in front of a user.
        log.exception("unexpected error in %s", command or "the app")
        print(f"marac-prep: something went wrong ({exc.__class__.__name__}); nothing was saved.", file=sys.stderr)
        return EXIT_FAILURE
    finally:
        if ctx is not None:
            ctx.close()

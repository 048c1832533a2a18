"""The log file: a rotating file in the user's log folder that never holds personal data."""

from __future__ import annotations

import logging
import os
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

import platformdirs

APP_NAME = "MaracPrep"
ENV_LOG_DIR = "MARAC_PREP_LOG_DIR"
LOG_FILE_NAME = "marac-prep.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 5
_HANDLER_NAME = "marac_prep_file"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def log_folder() -> Path:
    """MARAC_PREP_LOG_DIR if set, else the platform's user log folder."""
    configured = os.environ.get(ENV_LOG_DIR)
    if configured:
        return Path(configured)
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


class PrivacyFormatter(logging.Formatter):
    """Formats records; a traceback keeps its frames and exception types but drops the messages.

    Exception messages carry user text (a case reference, a person's name in an error from the
    database driver, SQL parameters), so only where the failure happened is written down.
    """

    def formatException(self, ei: ExcInfo) -> str:  # Override logging.Formatter.formatException.
        _kind, exc, tb = ei
        lines = ["Traceback (messages left out):"]
        for frame in traceback.extract_tb(tb):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        chain: list[str] = []
        seen: set[int] = set()
        while exc is not None and id(exc) not in seen:
            seen.add(id(exc))
            chain.append(type(exc).__qualname__)
            exc = exc.__cause__ or exc.__context__
        lines.append("Exception: " + " <- ".join(chain))
        return "\n".join(lines)


def configure_logging(folder: Path | None = None, *, level: int = logging.INFO) -> Path | None:
    """Sends the `marac_prep` loggers to a rotating file; returns its path (None if unwritable).

    Safe to call more than once: the file handler is added only once (and replaced when the
    folder changes). Only our own loggers are written, never third-party ones whose messages
    we do not control.
    """
    folder = folder or log_folder()
    path = folder / LOG_FILE_NAME
    logger = logging.getLogger("marac_prep")
    for handler in list(logger.handlers):
        if handler.get_name() == _HANDLER_NAME:
            if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path.resolve():
                return path
            logger.removeHandler(handler)
            handler.close()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
    except OSError:
        return None  # no log file is better than refusing to start
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(PrivacyFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    return path

"""What every subcommand gets: the database to open and the user it acts as."""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from marac_prep.core.db import Database, default_database_path, is_encrypted_file, open_database
from marac_prep.core.errors import ValidationError
from marac_prep.core.models import User
from marac_prep.core.users import ensure_profile, find_user


def os_user_name() -> str:
    try:
        return getpass.getuser() or "Coordinator"
    except (KeyError, OSError):
        return "Coordinator"


@dataclass
class CommandContext:
    """The global options, resolved lazily so `--help` and `--version` never open a database.

    Attributes:
        database_target: the `--database` path or URL, or None for the default location.
        user_name: the `--user` profile, or None for the operating-system user.
        passphrase_file: `--passphrase-file`: a file whose first line is the passphrase of an
            encrypted database (or of a new one to create encrypted).
        out: where normal output goes.
    """

    database_target: str | None = None
    user_name: str | None = None
    passphrase_file: str | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    _database: Database | None = None

    def database(self, *, create: bool = True) -> Database:
        """The database; `create=False` for commands that only read (or write files from it):
        a path holding no database is then an error, never a new empty database."""
        if self._database is None:
            self._database = open_database(self.database_target, passphrase=self.passphrase(), create=create)
        return self._database

    def passphrase(self) -> str | None:
        """The passphrase from `--passphrase-file`; else asked on a terminal when the file is
        encrypted; else None. It is never echoed, logged or put on the command line."""
        if self.passphrase_file:
            try:
                text = Path(self.passphrase_file).expanduser().read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                raise ValidationError(f"The passphrase file {self.passphrase_file} cannot be read.") from None
            first_line = text.splitlines()[0] if text else ""
            if not first_line:
                raise ValidationError(f"The passphrase file {self.passphrase_file} is empty.")
            return first_line
        target = self.database_target or default_database_path()
        if is_encrypted_file(target) and sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(f"Passphrase for {target}: ") or None
        return None

    def actor(self, session: Session) -> User:
        """The acting profile: `--user` if given (it must exist), else a coordinator profile
        named after the operating-system user, created on first use."""
        if self.user_name:
            user = find_user(session, self.user_name)
            if user is None:
                raise ValidationError(
                    f'There is no profile named "{self.user_name}"; create it with '
                    "`marac-prep user create` or leave out --user."
                )
            return user
        return ensure_profile(session, name=os_user_name(), role="coordinator")

    def close(self) -> None:
        if self._database is not None:
            self._database.close()

    def print(self, *parts: object) -> None:
        print(*parts, file=self.out)

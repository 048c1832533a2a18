"""What every subcommand gets: the database to open and the user it acts as."""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from sqlmodel import Session

from marac_prep.core.db import Database, default_database_path, is_encrypted_file, open_database
from marac_prep.core.errors import PermissionDenied, ValidationError
from marac_prep.core.identity import Proof, authenticate
from marac_prep.core.models import User
from marac_prep.core.users import find_user


@dataclass
class CommandContext:
    """The global options, resolved lazily so `--help` and `--version` never open a database.

    Attributes:
        database_target: the `--database` path or URL, or None for the default location.
        user_name: the `--user` profile, or None for the operating-system user.
        passphrase_file: `--passphrase-file`: a file whose first line is the passphrase of an
            encrypted database (or of a new one to create encrypted).
        user_passphrase_file: `--user-passphrase-file`: the `--user` profile's own passphrase.
        out: where normal output goes.
    """

    database_target: str | None = None
    user_name: str | None = None
    passphrase_file: str | None = None
    user_passphrase_file: str | None = None
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
            return self._read_file(self.passphrase_file, "passphrase")
        target = self.database_target or default_database_path()
        if is_encrypted_file(target) and sys.stdin is not None and sys.stdin.isatty():
            return getpass.getpass(f"Passphrase for {target}: ") or None
        return None

    def actor(self, session: Session) -> User:
        """The acting profile, proved: `--user` if given (bound to this OS account, or with its
        passphrase from `--user-passphrase-file` or a terminal prompt), else the profile bound to
        this OS account (SQLite) or database login (PostgreSQL). Only the account that created
        the database gets a profile made for it, as the first coordinator."""
        proof = Proof.of_this_process(passphrase=self._read_file(self.user_passphrase_file, "profile passphrase"))
        try:
            return authenticate(session, name=self.user_name, proof=proof)
        except PermissionDenied:
            user = find_user(session, self.user_name) if self.user_name else None
            asked = user is not None and user.passphrase_hash and proof.passphrase is None
            if not asked or sys.stdin is None or not sys.stdin.isatty():
                raise
            typed = getpass.getpass(f"Passphrase for {user.name if user else ''}'s profile: ")
            return authenticate(session, name=self.user_name, proof=Proof.of_this_process(passphrase=typed))

    @staticmethod
    def _read_file(name: str | None, what: str) -> str | None:
        """The first line of a passphrase file (None without a file)."""
        if not name:
            return None
        try:
            text = Path(name).expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise ValidationError(f"The {what} file {name} cannot be read.") from None
        first_line = text.splitlines()[0] if text else ""
        if not first_line:
            raise ValidationError(f"The {what} file {name} is empty.")
        return first_line

    def close(self) -> None:
        if self._database is not None:
            self._database.close()

    def print(self, *parts: object) -> None:
        print(*parts, file=self.out)


def check_output_file(output: Path, *, example: str) -> None:
    """Refuses an output name that is a folder, or in a folder that does not exist (`example`
    is a file name to suggest, e.g. "actions.xlsx")."""
    if output.is_dir():
        raise ValidationError(f"{output} is a folder; give a file name such as {example}.")
    if not output.parent.is_dir():
        raise ValidationError(f"The folder {output.parent} does not exist.")

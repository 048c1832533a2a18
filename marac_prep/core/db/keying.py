"""SQLCipher keying: the key derived from a passphrase, and DB-API connections keyed with it."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marac_prep.core.errors import StorageError

BUSY_TIMEOUT_MS = 15_000
# How long a write made on the GUI thread waits for another desk's write before saying the
# database is busy (Database.interactive_session): the window must not stand still for 15 s.
INTERACTIVE_WAIT_MS = 2_000

# Encryption at rest (SQLCipher). The key is derived from the passphrase with scrypt (memory-hard:
# 32 MiB per guess) and handed to SQLCipher as a raw key, so the passphrase never appears in SQL.
# The scrypt salt is SQLCipher's own per-file salt: the first 16 bytes of the file, which SQLCipher
# keeps unencrypted. We set it explicitly when the file is created ("x'<key><salt>'"), so an
# encrypted database is one self-contained file: no sidecar to lose, backups carry their salt.
SALT_BYTES = 16
KDF_N, KDF_R, KDF_P = 2**15, 8, 1
_KDF_MAXMEM = 64 * 1024 * 1024


@dataclass(frozen=True)
class Cipher:
    """A derived SQLCipher key and its salt; never printed, never put into SQL as a passphrase."""

    key: bytes = field(repr=False)
    salt: bytes = field(repr=False)

    @classmethod
    def derive(cls, passphrase: str, salt: bytes) -> Cipher:
        key = hashlib.scrypt(
            passphrase.encode("utf-8"), salt=salt, n=KDF_N, r=KDF_R, p=KDF_P,
            maxmem=_KDF_MAXMEM, dklen=32,
        )
        return cls(key=key, salt=salt)

    def pragma(self) -> str:
        # Hex digits only: nothing the user typed ever reaches the SQL text.
        return f"PRAGMA key = \"x'{self.key.hex()}{self.salt.hex()}'\""

    def matches(self, passphrase: str) -> bool:
        return hmac.compare_digest(self.derive(passphrase, self.salt).key, self.key)

    def audit_key(self) -> bytes:
        """The audit chain's HMAC key, derived from the database key and never stored (decision 0034)."""
        return hmac.new(self.key, b"marac-prep audit chain 1", hashlib.sha256).digest()


def cipher_module() -> Any:
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        raise StorageError(
            "Encrypted databases need the sqlcipher3 package, which is not installed."
        ) from None
    return dbapi2


def cipher_error() -> type[Exception]:
    """SQLCipher's DatabaseError class when it is installed (it is not sqlite3's)."""
    try:
        from sqlcipher3 import dbapi2
    except ImportError:
        return sqlite3.DatabaseError
    return dbapi2.DatabaseError  # type: ignore[no-any-return]


def connect(path: Path, *, cipher: Cipher | None, read_only: bool) -> Any:
    """A DB-API connection to the file, keyed when encrypted (before any other statement)."""
    if read_only:
        target, uri = f"{path.resolve().as_uri()}?mode=ro", True
    else:
        target, uri = str(path), False
    module: Any = sqlite3 if cipher is None else cipher_module()
    conn = module.connect(target, uri=uri, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    if cipher is not None:
        # SQLCipher would otherwise print decryption failures to stderr; we report them ourselves.
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(cipher.pragma())
    return conn


def salt_of(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(SALT_BYTES)


def looks_encrypted(path: Path) -> bool:
    """An encrypted file is whole pages of random-looking bytes with no SQLite header."""
    size = path.stat().st_size
    return size >= 1024 and size % 512 == 0

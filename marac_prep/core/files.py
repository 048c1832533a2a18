"""The one writer of output files: whole or nothing, owner-only, never through a planted link.

Every file Marac Prep writes (backups, packs, exports, audit exports, rejects, templates) holds
personal data, so each is written the same way:

- a symbolic link at the target is refused with a sentence (never followed, never replaced);
- a temporary file beside the target is created new (`O_CREAT | O_EXCL | O_NOFOLLOW`): a file or
  symbolic link already at that name is never opened, so nobody can point the write elsewhere;
- it is owner-only (0600) from its first byte (the mode is given to `open`, not set afterwards);
- on success it is flushed, `fsync`ed and renamed over the target in one step (`os.replace`),
  so a reader sees the old file or the new one, never half of one;
- on any failure (a full disk, a cancel, a crash in the caller's code) it is removed.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, TextIO

from marac_prep.core.errors import StorageError

OWNER_ONLY = 0o600
_NAME_TRIES = 8
_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def temporary_name(target: Path) -> Path:
    """A hidden, unpredictable name beside `target` (same folder, so the rename is atomic)."""
    return target.with_name(f".{target.name}.{secrets.token_hex(8)}.part")


def create_new(path: Path) -> int:
    """Creates `path` as a new owner-only file and returns its descriptor; refuses anything there
    already, a symbolic link included (even a dangling one)."""
    return os.open(path, _FLAGS, OWNER_ONLY)


def link_refused(path: Path) -> str:
    """The sentence for a symbolic link at the target (decision 0077)."""
    return (f"{path.name} is a link to another file ({path}); Marac Prep never writes through a link, "
            "so nothing was written. Choose another name, or remove the link first.")


def disk_problem(exc: OSError, path: Path) -> str:
    """A plain sentence for a failed write."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full: {path} could not be written, and nothing was kept."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{path} cannot be written here (permission denied); nothing was kept."
    return f"{path} could not be written ({exc.strerror or exc.__class__.__name__}); nothing was kept."


class PendingFile:
    """A temporary file being written for `target`.

    Attributes:
        target: the file it will become.
        path: the temporary file's own path (for writers that need a name, like SQLite's backup).
        stream: the binary stream to write to.
        published: True once renamed over the target.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.published = False
        self._texts: list[io.TextIOWrapper] = []
        for _ in range(_NAME_TRIES):
            self.path = temporary_name(target)
            try:
                fd = create_new(self.path)
                break
            except FileExistsError:
                continue  # something (perhaps planted) is at that name: never touch it, pick another
        else:
            raise StorageError(f"No temporary file could be made beside {target}; nothing was written.")
        self.stream: BinaryIO = os.fdopen(fd, "wb")

    def text(self, *, encoding: str = "utf-8-sig") -> TextIO:
        """A text stream over the file (CSV: `newline=""`); finished with the file."""
        wrapper = io.TextIOWrapper(self.stream, encoding=encoding, newline="")
        self._texts.append(wrapper)
        return wrapper

    def finish(self) -> None:
        """Ends the writing: flushed, `fsync`ed and closed, not yet renamed (`publish` does that,
        finishing first if need be). Lets the slow part happen before a transaction is begun."""
        if self.stream.closed:
            return
        for wrapper in self._texts:
            wrapper.flush()
            wrapper.detach()  # so closing the wrapper later never closes the file twice
        self._texts.clear()
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()

    def publish(self) -> Path:
        """Makes the written file the target, in one step; returns the target."""
        if not self.published:
            self.finish()
            os.replace(self.path, self.target)
            self.published = True
            _sync_folder(self.target.parent)
        return self.target

    def discard(self) -> None:
        """Closes and removes the temporary file (the target is left as it was)."""
        for wrapper in self._texts:
            with contextlib.suppress(Exception):
                wrapper.detach()
        self._texts.clear()
        with contextlib.suppress(OSError):
            self.stream.close()
        if not self.published:
            with contextlib.suppress(OSError):
                os.unlink(self.path)


def _sync_folder(folder: Path) -> None:
    """Makes the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_write(target: str | os.PathLike[str]) -> Iterator[PendingFile]:
    """Writes `target` whole or not at all, owner-only; the file appears when the block ends.

    The block may call `pending.publish()` itself, to rename at a moment of its choosing (the pack
    does it inside the audit transaction). An `OSError` becomes a `StorageError` with a plain
    sentence; any failure removes the temporary file and leaves the target as it was.
    """
    path = Path(target)
    if path.is_symlink():
        # Never followed: the rename would only replace the link, but a link someone placed where
        # the user writes is worth a sentence, and a link the user made is not silently undone.
        raise StorageError(link_refused(path))
    try:
        pending = PendingFile(path)
    except OSError as exc:
        raise StorageError(disk_problem(exc, path)) from None
    try:
        yield pending
        pending.publish()
    except OSError as exc:
        pending.discard()
        raise StorageError(disk_problem(exc, path)) from None
    except BaseException:
        pending.discard()
        raise


def write_bytes(target: str | os.PathLike[str], data: bytes) -> Path:
    """`data` as the whole of `target`, atomically and owner-only."""
    with atomic_write(target) as pending:
        pending.stream.write(data)
    return Path(target)

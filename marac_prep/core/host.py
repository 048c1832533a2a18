"""What this machine says, asked of the operating system: the account this process runs as and
the file system under a path. No database code here: the first screen (read before the ORM is
imported) and the database layer share it."""

from __future__ import annotations

import hmac
import os
import sys
from pathlib import Path

# File systems on which SQLite's WAL locking cannot be trusted (it needs shared memory on one host).
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb", "smb2", "smb3", "smbfs", "ncpfs", "afs", "coda", "9p",
        "ceph", "glusterfs", "lustre", "gpfs", "davfs", "fuse.sshfs", "sshfs", "fuse.rclone",
        "fuse.davfs2", "fuse.glusterfs", "fuse.s3fs", "fuse.gcsfuse", "fuse.cephfs", "webdav",
    }
)


def _linux_filesystem_type(path: Path, mounts_file: Path = Path("/proc/mounts")) -> str | None:
    """The type of the file system holding `path`, from the longest matching mount point."""
    try:
        lines = mounts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    target = str(path)
    best, best_type = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        # /proc/mounts escapes spaces in mount points as \040.
        mount = parts[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, best_type = mount, parts[2]
    return best_type


def _windows_filesystem_type(path: Path) -> str | None:
    import ctypes

    drive = path.anchor
    if drive.startswith("\\\\"):
        return "smb"  # a UNC path (\\server\share) is always a network share
    windll = getattr(ctypes, "windll", None)
    if windll is None or not drive:
        return None
    drive_remote = 4
    return "smb" if windll.kernel32.GetDriveTypeW(drive) == drive_remote else None


def filesystem_type(path: Path) -> str | None:
    """The file-system type of `path` ("nfs", "cifs", "ext4" …), or None when it cannot be told."""
    existing = path.resolve()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if sys.platform.startswith("linux"):
        return _linux_filesystem_type(existing)
    if sys.platform == "win32":
        return _windows_filesystem_type(existing)
    return None


def is_network_type(fs_type: str) -> bool:
    """Whether a file-system type is a network share's, where SQLite's WAL locking cannot be trusted."""
    fs_type = fs_type.lower()
    return fs_type in NETWORK_FILESYSTEMS or fs_type.startswith(("nfs", "smb", "cifs"))


def current_os_account() -> str:
    """The operating-system account this process runs as ("" when it cannot be told).

    Asked of the operating system, never of LOGNAME/USER/USERNAME (which `getpass.getuser`
    reads first and anyone can set on the command line).
    """
    if sys.platform == "win32":
        import ctypes

        size = ctypes.c_uint32(257)
        buffer = ctypes.create_unicode_buffer(size.value)
        advapi32 = getattr(ctypes, "windll").advapi32  # noqa: B009 (absent on other platforms)
        return str(buffer.value) if advapi32.GetUserNameW(buffer, ctypes.byref(size)) else ""
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return ""


def same_account(bound: str | None, claimed: str | None) -> bool:
    """Account names compare exactly, except on Windows where they are case-insensitive."""
    if not bound or not claimed:
        return False
    if sys.platform == "win32":
        return bound.casefold() == claimed.casefold()
    return hmac.compare_digest(bound.encode(), claimed.encode())

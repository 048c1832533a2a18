"""The one error family the core raises for anything a user can cause or must be told about."""

from __future__ import annotations


class MaracError(Exception):
    """A problem a user can read and act on; `str(error)` is a complete sentence."""


class ValidationError(MaracError):
    """The input is not acceptable (a bad date, a missing field, an unknown agency)."""


class PermissionDenied(MaracError):
    """The acting user's role or agency does not allow this action."""


class ConflictError(MaracError):
    """Someone else changed the record since it was read; nothing was overwritten."""


class NotFound(MaracError):
    """The record asked for does not exist (or is not visible to this user)."""


class StorageError(MaracError):
    """The database cannot be used: corrupt, not ours, from a newer version, locked or unreachable."""

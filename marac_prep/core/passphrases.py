"""What makes an acceptable new passphrase (an encrypted database) or pack password."""

from __future__ import annotations

from marac_prep.core.errors import ValidationError

MIN_LENGTH = 12


def passphrase_problem(text: str, *, what: str = "passphrase") -> str:
    """The sentence saying why `text` is too weak to protect case files, or "" when it will do.

    At least 12 characters, not all spaces: a pack travels by email and a backup on a stick,
    where anyone holding the file can try passwords offline at their leisure.
    """
    if not text:
        return f"The {what} is empty."
    if not text.strip():
        return f"The {what} is only spaces; use words or characters you can see."
    if len(text) < MIN_LENGTH:
        return (
            f"The {what} is {len(text)} characters; use at least {MIN_LENGTH} characters (a few unrelated words "
            "are easy to remember and hard to guess): files travel by email and on memory sticks, "
            "and anyone holding one can try guesses offline."
        )
    return ""


def check_new_passphrase(text: str, *, what: str = "passphrase") -> str:
    """`text` itself, or `ValidationError` with the reason when it is too weak (see `passphrase_problem`)."""
    if problem := passphrase_problem(text, what=what):
        raise ValidationError(problem)
    return text

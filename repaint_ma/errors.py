"""User errors: bad input that the command prints as one line (no traceback) and exits with code 2.

Every class here is a ``UserError``; library code raises them, ``repaint_ma.apps.cli`` catches them.
"""

from __future__ import annotations


class UserError(ValueError):
    """Bad input from the user; ``str(err)`` is the whole one-line message."""


class ScenarioError(UserError):
    """Invalid scenario input, naming the file, the key and what was expected."""

    def __init__(self, source: str, key: str, expected: str) -> None:
        self.source, self.key, self.expected = source, key, expected
        where = f"{source}: {key}: " if key else f"{source}: "
        super().__init__(where + expected)


class TeacherError(UserError):
    """A teacher that cannot serve the scenario (missing files, mismatched spaces)."""


class UsageError(UserError):
    """Bad command-line input other than a scenario file (e.g. a run dir without a policy)."""


class PolicyFileError(UserError):
    """A policy or checkpoint file that is not loaded: unreadable, corrupt, or in the old pickled format."""


class WriteError(UserError):
    """A file that could not be written (read-only or full disk); what was there before is kept."""

"""User errors: bad input that the command prints as one line (no traceback) and exits with code 2.

Every class here is a ``UserError``; library code raises them, ``repaint_ma.apps.cli`` catches them.
"""

from __future__ import annotations

import math
from pathlib import Path


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


def check_flag(flag: str, value: float, low: float, above: bool = False) -> None:
    """Raise ``UsageError`` unless the command-line ``value`` of ``flag`` is finite and ``>= low`` (``> low`` if
    ``above``)."""
    if not math.isfinite(value) or (value <= low if above else value < low):
        raise UsageError(f"{flag}: expected a number {'>' if above else '>='} {low:g}, got {value}")


def check_out(flag: str, path: Path, folder: bool) -> None:
    """Raise ``UsageError`` when ``path`` (given by ``flag``) exists as a file where a folder is expected, or
    as a folder where a file is expected."""
    if folder and path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path}: a file; expected a folder (new or existing)")
    if not folder and path.is_dir():
        raise UsageError(f"{flag} {path}: a folder; expected a file to write")
    blocking = [parent for parent in path.parents if parent.exists() and not parent.is_dir()]
    if blocking:
        raise UsageError(f"{flag} {path}: {blocking[-1]} is a file; expected a folder there")

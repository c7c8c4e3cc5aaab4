"""Errors in what a user gave an env (a reward file, a track, env kwargs): the command prints them as one line.

``envs`` never imports the learner, so these are its own; ``repaint_ma.apps.cli`` treats them as user errors.
``ResetNeeded`` is a caller's bug, not bad input: ``step`` on an env whose episode is over.
"""

from __future__ import annotations

import math


class EnvInputError(ValueError):
    """Bad user input found while building or stepping an env; ``str(err)`` is the whole one-line message."""


class EnvKwargError(EnvInputError):
    """An env keyword argument the env does not take, or a value it cannot use; ``key`` names the keyword."""

    def __init__(self, key: str, expected: str) -> None:
        self.key, self.expected = key, expected
        super().__init__(f"{key}: {expected}")


def check_number(key: str, value: object, low: float, integer: bool = True, above: bool = False) -> None:
    """Raise ``EnvKwargError`` unless ``value`` is a finite number (an integer if ``integer``) ``>= low``
    (``> low`` if ``above``)."""
    kinds = (int,) if integer else (int, float)
    kind = "an integer" if integer else "a number"
    bound = f"> {low:g}" if above else f">= {low:g}"
    ok = isinstance(value, kinds) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value <= low if above else value < low):
        raise EnvKwargError(key, f"expected {kind} {bound}, got {value!r}")


class ResetNeeded(RuntimeError):
    """``step`` was called on an env whose episode is over (no live agent): call ``reset()`` first."""


def check_live(agents: list[str], env_name: str) -> None:
    """Raise ``ResetNeeded`` when ``agents`` (an env's live agents) is empty."""
    if not agents:
        raise ResetNeeded(f"{env_name}.step: no live agent; the episode is over, call reset()")

"""Errors in what a user gave an env (a reward file, a track, env kwargs): the command prints them as one line.

``envs`` never imports the learner, so these are its own; ``repaint_ma.apps.cli`` treats them as user errors.
"""

from __future__ import annotations


class EnvInputError(ValueError):
    """Bad user input found while building or stepping an env; ``str(err)`` is the whole one-line message."""

"""The one compatibility shim PySC2 4.0.0 needs on Python 3.11+, applied only when we import PySC2.

Why: ``pysc2/lib/colors.py`` builds its palettes at import time with
``random.shuffle(palette, lambda: 0.5)`` (a fixed shuffle). Python 3.11 removed ``shuffle``'s
second argument, so ``import pysc2.lib.features`` (and everything above it) raises
``TypeError: Random.shuffle() takes 2 positional arguments but 3 were given``.

What: while ``pysc2.lib.colors`` is first imported, ``random.shuffle`` accepts the legacy
argument and runs Python 3.10's algorithm with it (so the palettes are exactly PySC2's); the
global ``random.shuffle`` is restored right after, and ``colors`` keeps a private ``random`` of its
own for later palette calls. Nothing else is touched. Also checks protobuf: PySC2 4.0.0's
generated protos need protobuf 3.20.x (pinned in the ``sc2`` extra).

Remove when PySC2 > 4.0.0 stops passing the second argument (upstream colors.py).
"""

from __future__ import annotations

import importlib
import random
import sys
import types
from collections.abc import Callable, MutableSequence
from typing import Any

_shuffle = random.shuffle


def legacy_shuffle(x: MutableSequence[Any], random_fn: Callable[[], float] | None = None) -> None:
    """``random.shuffle`` with Python < 3.11's optional ``random`` argument (its exact algorithm)."""
    if random_fn is None:
        _shuffle(x)
        return
    for i in reversed(range(1, len(x))):
        j = int(random_fn() * (i + 1))
        x[i], x[j] = x[j], x[i]


def check_protobuf() -> None:
    """PySC2 4.0.0 fails on import with protobuf >= 4; say so plainly."""
    from google import protobuf

    if not protobuf.__version__.startswith("3.20."):
        raise ImportError(
            f"PySC2 4.0.0 needs protobuf 3.20.x, found {protobuf.__version__}: pip install 'protobuf==3.20.3' "
            "(or pip install -e '.[sc2]')"
        )


def import_pysc2() -> types.ModuleType:
    """Import PySC2 (with the shim above where needed) and return the ``pysc2`` package."""
    check_protobuf()
    if sys.version_info >= (3, 11) and "pysc2.lib.colors" not in sys.modules:
        random.shuffle = legacy_shuffle
        try:
            colors = importlib.import_module("pysc2.lib.colors")
        finally:
            random.shuffle = _shuffle
        colors.random = types.SimpleNamespace(shuffle=legacy_shuffle)  # later palette calls
    return importlib.import_module("pysc2")

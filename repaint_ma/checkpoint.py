"""Atomic writes, and training checkpoints: model, optimisers, RNG states, iteration and counters."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

CHECKPOINT = "checkpoint.pt"


def atomic_write(path: str | Path, write: Callable[[BinaryIO], Any]) -> None:
    """``write(file)`` to a temporary file, fsync, then rename: a reader never sees half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def atomic_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda f: torch.save(obj, f))


def rng_state() -> dict[str, Any]:
    return {
        "torch": torch.get_rng_state(),
        "numpy": np.random.get_state(),
        "python": random.getstate(),
    }


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])
    random.setstate(state["python"])


def save_checkpoint(run_dir: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (plus the RNG states) to ``run_dir/checkpoint.pt`` via temp + rename."""
    atomic_save({**state, "rng": rng_state()}, run_dir / CHECKPOINT)


def load_checkpoint(run_dir: Path) -> dict[str, Any] | None:
    """The last checkpoint of ``run_dir``, or None if it has none."""
    path = run_dir / CHECKPOINT
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=False)

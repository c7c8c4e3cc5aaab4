"""Atomic writes, and training checkpoints: model, optimisers, RNG states, iteration and counters.

Policy and checkpoint files hold tensors and plain data only and are read with
``torch.load(weights_only=True)``, so loading one runs no code from it. Files of the old format
(pickled Python objects) are refused with the command that converts them (:func:`convert_file`).
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import torch

from repaint_ma.errors import PolicyFileError, WriteError

CHECKPOINT = "checkpoint.pt"
POLICY_FORMAT = "repaint-policy/2"
CHECKPOINT_FORMAT = "repaint-checkpoint/2"
CONVERT_HINT = "repaint convert-policy"


def atomic_write(path: str | Path, write: Callable[[BinaryIO], Any]) -> None:
    """``write(file)`` to a temporary file, fsync, then rename: a reader never sees half a file.

    The temporary name is unique (two writers never share it) and is removed if the write fails.

    Raises:
        WriteError: the file could not be written (read-only dir, full disk); what was at ``path`` is kept.
    """
    path = Path(path)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise WriteError(f"{path}: cannot write ({err.strerror or err}); the file as it was is kept") from None
        interrupt = _interrupt_behind(err)
        if interrupt is not None:  # Ctrl-C mid-write, masked by the writer's clean-up error (torch.save's zip)
            raise interrupt from None
        raise


def _interrupt_behind(err: BaseException) -> KeyboardInterrupt | None:
    """The KeyboardInterrupt during whose handling ``err`` was raised, if any (``err`` itself excluded)."""
    context = err.__context__
    while context is not None and not isinstance(context, KeyboardInterrupt):
        context = context.__context__
    return context


def atomic_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda f: torch.save(obj, f))


def safe_load(path: str | Path, fmt: str) -> dict[str, Any]:
    """A policy or checkpoint file of format ``fmt``, read with ``torch.load(weights_only=True)``.

    Raises:
        PolicyFileError: naming the file: unreadable or corrupt, another format, or the old pickled format
            (with the command that converts a trusted file).
    """
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        if "weights only" not in str(err).lower():
            raise PolicyFileError(f"{path}: not a readable policy or checkpoint file ({err})") from None
        raise PolicyFileError(
            f"{path}: this file holds pickled Python objects (the old format, or not written by repaint) and is not "
            f"loaded, since loading it could run code; if you trust where it came from, convert it with "
            f"`{CONVERT_HINT} {path}`"
        ) from None
    except Exception as err:  # truncated, empty or garbage files fail in many ways inside torch.load
        why = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        raise PolicyFileError(f"{path}: not a readable policy or checkpoint file (empty or truncated? {why})") from None
    if not isinstance(blob, dict) or blob.get("format") != fmt:
        found = blob.get("format") if isinstance(blob, dict) else type(blob).__name__
        raise PolicyFileError(f"{path}: expected a file of format {fmt!r}, found {found!r}")
    return blob


def rng_state() -> dict[str, Any]:
    """The torch, NumPy and Python RNG states as tensors and plain data."""
    return {"torch": torch.get_rng_state(), "numpy": _numpy_state(np.random.get_state()), "python": random.getstate()}


def _numpy_state(state: tuple) -> dict[str, Any]:
    """``np.random.get_state()``'s tuple as a tensor and plain data."""
    kind, keys, pos, has_gauss, cached = state
    keys = torch.from_numpy(np.asarray(keys).astype(np.int64))
    return {"kind": kind, "keys": keys, "pos": int(pos), "has_gauss": int(has_gauss), "cached_gaussian": float(cached)}


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    keys = n["keys"].numpy().astype(np.uint32)
    np.random.set_state((n["kind"], keys, n["pos"], n["has_gauss"], n["cached_gaussian"]))
    random.setstate(state["python"])


def save_checkpoint(run_dir: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (plus the RNG states) to ``run_dir/checkpoint.pt`` via temp + rename."""
    atomic_save({**state, "format": CHECKPOINT_FORMAT, "rng": rng_state()}, run_dir / CHECKPOINT)


def load_checkpoint(run_dir: Path) -> dict[str, Any] | None:
    """The last checkpoint of ``run_dir``, or None if it has none.

    Raises:
        PolicyFileError: the checkpoint is unreadable, corrupt or in the old format.
    """
    path = run_dir / CHECKPOINT
    if not path.is_file():
        return None
    return safe_load(path, CHECKPOINT_FORMAT)


def convert_file(path: Path) -> str:
    """Rewrite an old-format policy or checkpoint file (pickled objects) in the safe format; returns what it did.

    Loads with ``weights_only=False``: this RUNS any code a hostile file holds, so only convert files you trust.

    Raises:
        PolicyFileError: the file is unreadable, or neither a policy nor a checkpoint.
    """
    from repaint_ma.networks import ActorCritic, policy_data

    try:
        blob = torch.load(path, map_location="cpu", weights_only=False)  # trusted by the caller's say-so
    except Exception as err:
        raise PolicyFileError(f"{path}: not a readable policy or checkpoint file ({type(err).__name__})") from None
    if isinstance(blob, dict) and blob.get("format") in (POLICY_FORMAT, CHECKPOINT_FORMAT):
        return "already in the safe format"
    if isinstance(blob, dict) and "state_dict" in blob and "config" in blob:
        model = ActorCritic(**blob["config"])
        model.load_state_dict(blob["state_dict"])
        atomic_save(policy_data(model), path)
        return "policy converted"
    if isinstance(blob, dict) and "model" in blob and "rng" in blob:
        rng = {**blob["rng"], "numpy": _numpy_state(blob["rng"]["numpy"])}
        atomic_save({**blob, "format": CHECKPOINT_FORMAT, "rng": rng}, path)
        return "checkpoint converted"
    raise PolicyFileError(f"{path}: neither a policy file nor a checkpoint")

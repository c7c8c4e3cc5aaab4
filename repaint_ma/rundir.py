"""The run directory's guards: one run at a time in it (a lock), no silent overwrite of an earlier run, and a
``--resume`` whose scenario matches the stored ``config.yaml`` (or whose changes are named and allowed)."""

from __future__ import annotations

import fcntl
import os
import socket
import time
from pathlib import Path
from typing import Any, TextIO

import yaml

from repaint_ma.checkpoint import CHECKPOINT, atomic_write
from repaint_ma.errors import UsageError, WriteError

LOCK = ".lock"
CONFIG = "config.yaml"
RUN_FILES = (CONFIG, "metrics.csv", CHECKPOINT, "policy.pt")


class RunDirLock:
    """Held while a run trains in ``run_dir`` (``flock``: released by the OS when the process dies, even by kill -9).

    Raises (on enter):
        UsageError: another process holds it; the message names the holder.
        WriteError: the run dir cannot be created or written.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.file: TextIO | None = None

    def __enter__(self) -> RunDirLock:
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            f = open(self.run_dir / LOCK, "a+")  # held until __exit__
        except OSError as err:
            raise WriteError(f"{self.run_dir}: cannot write the run dir ({err.strerror})") from None
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            msg = f"{self.run_dir}: in use by another run ({holder}); wait for it or use another run dir"
            raise UsageError(msg) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        f.flush()
        self.file = f
        for leftover in self.run_dir.glob("*.tmp"):  # half-written by a run killed mid-write (atomic_write)
            leftover.unlink(missing_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.file is not None:
            self.file.close()  # closing the file releases the lock


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys (``{"ppo": {"lr": 1}}`` -> ``{"ppo.lr": 1}``); other values as leaves."""
    if not isinstance(data, dict) or (prefix and not data):
        return {prefix.rstrip("."): data}
    return {k: v for key, value in data.items() for k, v in flatten(value, f"{prefix}{key}.").items()}


def changed_keys(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Dotted keys whose values differ between two configs, as (old, new); a missing key reads None."""
    a, b = flatten(old), flatten(yaml.safe_load(yaml.safe_dump(new)))  # compare as config.yaml stores them
    return {k: (a.get(k), b.get(k)) for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}


def prepare(run_dir: Path, config: dict[str, Any], resume: bool, overwrite: bool, allow_changed: list[str]) -> str:
    """Check ``run_dir`` for a run with ``config`` and write its ``config.yaml``; returns the allowed changes of a
    resume as text for the metrics ("" if none). Call it holding the ``RunDirLock``.

    Raises:
        UsageError: a new run into a dir holding one (without ``overwrite``); a resume whose config differs in
            keys not in ``allow_changed`` (naming them).
    """
    config_file = run_dir / CONFIG
    changes = ""
    if resume and config_file.is_file():
        diff = changed_keys(yaml.safe_load(config_file.read_text()) or {}, config)
        refused = [k for k in diff if k not in allow_changed]
        if refused:
            shown = "; ".join(f"{k}: {diff[k][0]!r} -> {diff[k][1]!r}" for k in refused)
            raise UsageError(
                f"{run_dir}: --resume with a changed scenario ({shown}); resume with the stored settings "
                f"({config_file}), or allow each change with --allow-changed KEY"
            )
        changes = "; ".join(f"{k}={diff[k][1]!r} (was {diff[k][0]!r})" for k in diff)
    elif not resume:
        held = [name for name in RUN_FILES if (run_dir / name).exists()]
        if held and not overwrite:
            raise UsageError(
                f"{run_dir}: already holds a run ({', '.join(held)}); --resume continues it, --overwrite starts over"
            )
        for name in held:
            (run_dir / name).unlink()
    atomic_write(config_file, lambda f: f.write(yaml.safe_dump(config, sort_keys=False).encode()))
    return changes

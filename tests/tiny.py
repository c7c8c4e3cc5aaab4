"""What several test modules share: the smallest scenario that trains (``TINY``, one iteration on the toy
env) and ``cli``, the ``repaint`` command in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TINY = {
    "name": "tiny",
    "env": {"id": "toy/staggered", "kwargs": {}},
    "ppo": {"steps_per_iteration": 64, "epochs": 1, "minibatch": 32, "num_envs": 2, "hidden": [8]},
    "train": {"iterations": 1, "eval_episodes": 1},
}


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``python -m repaint_ma.apps.cli ARGS`` in ``cwd``, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "repaint_ma.apps.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=180
    )

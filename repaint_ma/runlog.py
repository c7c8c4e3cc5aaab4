"""Per-iteration metrics: metrics.csv (one row per iteration), TensorBoard, learning-curve PNG, K
(iterations to target) from a run's evaluation scores, and the commit of the code that made a run."""

from __future__ import annotations

import csv
import functools
import io
import math
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from repaint_ma.checkpoint import atomic_write
from repaint_ma.errors import WriteError

COLUMNS = [
    "iteration", "env_steps", "agent_samples", "teacher_steps", "score", "train_score", "beta",
    "ins_coef", "selected_frac", "adv_teacher_mean", "loss_clip", "loss_ks", "loss_ins", "value_loss",
    "entropy", "approx_kl", "clipfrac", "sps", "wall_s", "changed",
]  # fmt: skip
TEXT_COLUMNS = ("changed",)  # the scenario keys a resume was allowed to change (--allow-changed), on its first row
# TensorBoard tags, grouped as in CleanRL; every tag is also a metrics.csv column.
TB_TAGS = {
    "score": "charts/score", "train_score": "charts/train_score", "sps": "charts/sps",
    "beta": "charts/beta", "ins_coef": "charts/ins_coef", "selected_frac": "charts/selected_frac",
    "adv_teacher_mean": "charts/adv_teacher_mean", "loss_clip": "losses/pg_loss",
    "loss_ks": "losses/ce_loss", "loss_ins": "losses/ins_loss", "value_loss": "losses/value_loss",
    "entropy": "losses/entropy", "approx_kl": "losses/approx_kl", "clipfrac": "losses/clipfrac",
}  # fmt: skip


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """Rows of a metrics.csv; empty cells become None, numbers become floats (text columns stay text)."""
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return [{k: _cell(k, v) for k, v in row.items()} for row in csv.DictReader(f)]


def _cell(key: str, value: str | None) -> Any:
    if value in ("", None):
        return None
    return value if key in TEXT_COLUMNS else float(value)


class MetricsLog:
    """Appends one row per iteration; on resume, drops rows past the checkpoint's iteration.

    Rows already written are never truncated: dropping rows rewrites the file atomically (temp file + rename),
    and a row that cannot be appended (full disk, file-size limit) is cut back, leaving the rows before it.
    """

    def __init__(self, run_dir: Path, last_iteration: int = 0, tensorboard: bool = True) -> None:
        self.path = run_dir / "metrics.csv"
        rows = read_metrics(self.path)
        kept = [r for r in rows if r["iteration"] <= last_iteration]
        if len(kept) < len(rows) or _header(self.path) != COLUMNS:
            text = io.StringIO()
            writer = csv.DictWriter(text, COLUMNS)
            writer.writeheader()
            writer.writerows({k: _fmt(r.get(k)) for k in COLUMNS} for r in kept)
            atomic_write(self.path, lambda f: f.write(text.getvalue().encode()))
        self.rows = kept
        self.tb = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.tb = SummaryWriter(str(run_dir / "tb"), purge_step=last_iteration + 1)

    def write(self, row: dict[str, Any]) -> None:
        """Append ``row``.

        Raises:
            WriteError: the row could not be written; the file holds the rows before it.
        """
        with open(self.path, "a", newline="") as f:
            size = f.tell()
            try:
                csv.DictWriter(f, COLUMNS).writerow({k: _fmt(row.get(k)) for k in COLUMNS})
                f.flush()
            except OSError as err:
                f.truncate(size)  # drop the part of this row that made it to disk
                raise WriteError(f"{self.path}: cannot append iteration {row['iteration']} ({err.strerror})") from None
        self.rows.append(row)
        if self.tb is not None:
            for key, tag in TB_TAGS.items():
                if row.get(key) is not None:
                    self.tb.add_scalar(tag, row[key], int(row["iteration"]))

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def _header(path: Path) -> list[str] | None:
    if not path.is_file():
        return None
    with open(path, newline="") as f:
        return next(csv.reader(f), None)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def plot_curve(rows: list[dict[str, Any]], path: Path, title: str, target: float | None) -> None:
    """Evaluation score against iteration (and env steps on a second axis label)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [(r["iteration"], r["score"]) for r in rows if r.get("score") is not None]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if pts:
        ax.plot(*zip(*pts, strict=True), marker=".", label="evaluation score")
    if target is not None:
        ax.axhline(target, color="grey", ls="--", label="target")
    ax.set_xlabel("iteration")
    ax.set_ylabel("score")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def smooth(scores: Sequence[float], window: int) -> np.ndarray:
    """Trailing moving average: entry i is the mean of scores[max(0, i - window + 1) : i + 1]."""
    x = np.asarray(scores, dtype=float)
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(1, len(x) + 1)
    lo = np.maximum(0, i - window)
    return (c[i] - c[lo]) / (i - lo)


def iterations_to_target(iterations: Sequence[int], scores: Sequence[float], target: float, window: int) -> int | None:
    """K: the first iteration whose smoothed evaluation score reaches ``target``; None if never."""
    if not len(scores):
        return None
    hits = np.nonzero(smooth(scores, window) >= target)[0]
    return int(iterations[hits[0]]) if len(hits) else None


@functools.cache
def code_commit() -> str:
    """The commit of the code running now: HEAD of the checkout holding this package, with ``+dirty`` where
    tracked code differs from it (README.md, docs/ and results/ aside: writing results does not make a run
    dirty); "unknown" outside a git checkout. Read once per process, on the first call."""
    git = ["git", "-C", str(Path(__file__).resolve().parent.parent)]
    try:
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
        code = [".", ":!README.md", ":!docs", ":!results"]
        dirty = subprocess.run([*git, "diff", "--quiet", "HEAD", "--", *code], capture_output=True).returncode != 0
    except FileNotFoundError:  # no git
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty else "") if head.returncode == 0 else "unknown"


def short_commit(commit: str) -> str:
    """A ``code_commit`` as shown in tables: its first 7 hex digits, ``+dirty`` kept."""
    return commit[:7] + ("+dirty" if commit.endswith("+dirty") else "")

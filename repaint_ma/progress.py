"""Progress of a training run: a rich bar on a terminal, one plain line per iteration elsewhere.

Under ``nohup``, a cluster's log file or a pipe a bar's redraws are lost (only the last one is left),
so when the stream is not a terminal each iteration prints one line instead::

    cartpole baseline s0  iteration 3/60  env steps 6144  score 23.1  sps 2650  ETA 1m20s
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


def format_duration(seconds: float) -> str:
    """``75`` -> ``"1m15s"``, ``4000`` -> ``"1h06m"``, ``8`` -> ``"8s"``."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def counted(n: int, noun: str) -> str:
    """``counted(1, "episode")`` -> ``"1 episode"``, ``counted(3, "episode")`` -> ``"3 episodes"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


class IterationProgress:
    """Reports a run's iterations ``done + 1 .. total`` to ``stream`` (standard output by default).

    ``update(k, row)`` after iteration ``k`` (``row``: its metrics, with ``env_steps``, ``score`` and
    ``sps``), ``close()`` at the end. The score shown is the last evaluated one.
    """

    def __init__(self, title: str, total: int, done: int, stream: TextIO | None = None) -> None:
        self.title, self.total, self.done = title, total, done
        self.stream = stream or sys.stdout
        self.score = "-"
        self.t0 = time.monotonic()
        self.bar = None
        if self.stream.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(
                TextColumn(title.replace("[", r"\[")),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("score {task.fields[score]}  sps {task.fields[sps]}"),
                TimeRemainingColumn(),
                console=Console(file=self.stream),
            )
            self.task = self.bar.add_task("train", total=total, completed=done, score="-", sps="-")
            self.bar.start()

    def update(self, k: int, row: dict[str, Any]) -> None:
        """Iteration ``k`` finished with metrics ``row``."""
        if row.get("score") is not None:
            self.score = f"{row['score']:.1f}"
        if self.bar is not None:
            self.bar.update(self.task, completed=k, score=self.score, sps=f"{row['sps']:.0f}")
            return
        per_iteration = (time.monotonic() - self.t0) / max(k - self.done, 1)
        eta = format_duration(per_iteration * (self.total - k))
        self.stream.write(
            f"{self.title}  iteration {k}/{self.total}  env steps {row['env_steps']}  score {self.score}  "
            f"sps {row['sps']:.0f}  ETA {eta}\n"
        )
        self.stream.flush()

    def close(self) -> None:
        """Stop the bar (plain lines need no closing)."""
        if self.bar is not None:
            self.bar.stop()

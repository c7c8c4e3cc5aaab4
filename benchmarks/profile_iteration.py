"""Where an iteration's time goes, per transfer mode (cProfile, cumulative seconds per iteration).

    python benchmarks/profile_iteration.py --env classic/CartPole-v1 --iterations 3

Each mode trains ``--iterations`` iterations (after one warm-up run) with an untrained teacher
of the right spaces; the table splits the wall time into env stepping, student forward,
teacher forward, GAE, the minibatch updates and evaluation.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.train_throughput import repaint_scenario, scenario_for
from repaint_ma.learner import train
from repaint_ma.scenario import from_dict

PARTS = {  # label -> (file suffix, function name) whose cumulative time is that part
    "env step": ("vector.py", "step"),
    "network act (student + teacher)": ("networks.py", "act"),
    "teacher forward": ("teacher.py", "act_raw"),
    "teacher dist (KS)": ("teacher.py", "dist"),
    "GAE": ("learner.py", "advantages_of"),
    "update (critic and actor)": ("learner.py", "minibatch_epochs"),
    "evaluation": ("rollout.py", "evaluate"),
}


def profile(sc, run_dir: Path) -> dict[str, float]:
    prof = cProfile.Profile()
    t0 = time.time()
    prof.runcall(train, sc, run_dir, progress=False)
    total = time.time() - t0
    stats = pstats.Stats(prof).stats  # (file, line, func) -> (cc, nc, tt, ct, callers)
    out = {"total": total}
    for label, (suffix, func) in PARTS.items():
        out[label] = sum(v[3] for (f, _, fn), v in stats.items() if f.endswith(suffix) and fn == func)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env", default="classic/CartPole-v1")
    p.add_argument("--iterations", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(1)
    base = scenario_for(args.env, args.iterations, 4, 2048)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rep = repaint_scenario(base, tmp)
        modes = {m: from_dict(rep.to_dict(), overrides={"transfer.mode": m}) for m in ("ks", "it", "repaint")}
        modes = {"baseline": base, **modes}
        train(base, tmp / "warmup", progress=False)
        rows = {m: profile(sc, tmp / m) for m, sc in modes.items()}
    n = args.iterations
    print(f"{args.env}: seconds per iteration (cumulative, cProfile), {n} iterations, 2048 student steps")
    print("| part | " + " | ".join(rows) + " |")
    print("|---|" + "---|" * len(rows))
    for label in ["total", *PARTS]:
        print(f"| {label} | " + " | ".join(f"{r[label] / n:.3f}" for r in rows.values()) + " |")


if __name__ == "__main__":
    main()

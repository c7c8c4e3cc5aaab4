"""Learning benchmark: train a scenario for several seeds and report what it reached.

    python benchmarks/learning.py scenarios/classic/cartpole.yaml --seeds 0 1 2 --json
    python benchmarks/learning.py scenarios/classic/pendulum.yaml --seeds 0 1 2 --json

Per seed: final score (mean of the last ``train.smooth`` evaluations), K (first iteration
whose smoothed score reaches ``train.target_score``), env steps at K, and wall seconds.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

import numpy as np

from repaint_ma import scenario
from repaint_ma.learner import train


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--out", default="runs/bench", help="parent of the run dirs")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    results = []
    for seed in args.seeds:
        sc = scenario.load(args.scenario, {"train.seed": seed})
        steps_per_iter = sc.ppo.steps_per_iteration
        res = train(sc, Path(args.out) / sc.name / f"seed{seed}", progress=not args.json)
        results.append({
            "seed": seed, "final_score": res.final_score, "K": res.K,
            "env_steps_to_target": res.K * steps_per_iter if res.K is not None else None,
            "env_steps": sc.train.iterations * steps_per_iter, "wall_s": round(res.wall_s, 1),
        })  # fmt: skip
    summary = {
        "scenario": args.scenario,
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, torch 1 thread",
        "target_score": sc.train.target_score,
        "mean_final_score": float(np.mean([r["final_score"] for r in results])),
        "seeds": results,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        for r in results:
            print(r)
        print(f"mean final score {summary['mean_final_score']:.1f} (target {summary['target_score']})")


if __name__ == "__main__":
    main()

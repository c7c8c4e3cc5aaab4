"""A labelled one-seed diagnostic of a compare row: one run with a changed setting, beside the row's runs.

    python -m benchmarks.diagnostic scenarios/mujoco/reacher_similar.yaml --row results/mujoco/reacher-similar \\
        --mode repaint --seed 0 --set transfer.beta.decay=0.99 --metrics beta loss_ks \\
        --name reacher-similar-beta-decay0.99-seed0 \\
        --question "Reacher similar: does beta_k fade before the student has copied the teacher?"

The run goes through ``repaint compare``'s machinery (``compare.run_one``: resumable, its record names the
``repaint run`` command and the commit), in ``runs/diagnostics/<name>``. Writes
``results/diagnostics/<name>.json``: the question, the command, the commit, the run's K, final score and
curve, the chosen metrics.csv columns per iteration, and the row's records of the same seed (K at the
diagnostic's target, re-scored from their stored curves, final score and commit per mode), so the changed
setting is read against the unchanged runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from repaint_ma.apps.compare import record_k, run_one
from repaint_ma.checkpoint import atomic_write
from repaint_ma.runlog import read_metrics
from repaint_ma.scenario import MODES, load, parse_override

OUT_DIR = Path("results/diagnostics")
RUNS_DIR = Path("runs/diagnostics")


def row_of_seed(row_dir: Path, seed: int, target: float, smooth: int) -> dict[str, dict[str, Any]]:
    """Per mode, the row's record of ``seed``: K at ``target`` (from its stored curve), final score, commit."""
    out = {}
    for mode in MODES:
        path = row_dir / f"{mode}-seed{seed}.json"
        if path.is_file():
            rec = json.loads(path.read_text())
            out[mode] = {"K": record_k(rec, target, smooth), "final_score": rec["final_score"], "commit": rec["commit"]}
    return out


def diagnose(
    scenario: str, row_dir: Path, mode: str, seed: int, overrides: dict[str, Any], name: str, question: str,
    metrics: list[str], progress: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Run ``scenario`` (with ``overrides``) in ``mode`` and ``seed``; the diagnostic's record, also written to
    ``results/diagnostics/<name>.json``."""
    sc = load(scenario, overrides)
    if sc.train.target_score is None:
        raise SystemExit(f"{scenario}: train.target_score is not set; a diagnostic reads K at a target")
    run_out = RUNS_DIR / name
    run_one(sc, run_out, mode, seed, progress=progress)
    run = json.loads((run_out / f"{mode}-seed{seed}.json").read_text())
    rows = read_metrics(run_out / "runs" / f"{mode}-seed{seed}" / "metrics.csv")
    missing = [m for m in metrics if rows and m not in rows[0]]
    if missing:
        raise SystemExit(f"--metrics: {missing} are not metrics.csv columns; it has {list(rows[0])}")
    result = {
        "diagnostic": question, "command": run["command"], "commit": run["commit"],
        "changed": overrides, "mode": mode, "seed": seed, "target_score": sc.train.target_score,
        "K": run["K"], "final_score": run["final_score"], "wall_s": run["wall_s"], "curve": run["curve"],
        "metrics": {m: [r[m] for r in rows] for m in metrics},
        "row_dir": str(row_dir), "row_seed": row_of_seed(row_dir, seed, sc.train.target_score, sc.train.smooth),
    }  # fmt: skip
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    atomic_write(OUT_DIR / f"{name}.json", lambda f: f.write(json.dumps(result, indent=1).encode()))
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("--row", required=True, help="the compare dir of the row this diagnostic reads against")
    p.add_argument("--mode", choices=MODES, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="the changed setting(s)")
    p.add_argument("--metrics", nargs="*", default=[], help="metrics.csv columns to keep per iteration")
    p.add_argument("--name", required=True, help="results/diagnostics/<name>.json")
    p.add_argument("--question", required=True, help="the hypothesis under test, in words")
    p.add_argument("--progress", action="store_true")
    args = p.parse_args()
    overrides = dict(parse_override(s) for s in args.set)
    res = diagnose(args.scenario, Path(args.row), args.mode, args.seed, overrides, args.name, args.question,
                   args.metrics, args.progress)  # fmt: skip
    print(f"{args.name}: K {res['K']}, final {res['final_score']:.2f}; the row's seed {args.seed}: "
          + ", ".join(f"{m} K {r['K']} final {r['final_score']:.2f}" for m, r in res["row_seed"].items()))  # fmt: skip


if __name__ == "__main__":
    main()

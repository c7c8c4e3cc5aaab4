"""REPAINT ablation: experience-selection rule and beta_k schedule, K over seeds.

    python benchmarks/ablation.py scenarios/sc2/beacon_to_shards_subtask.yaml --seeds 3 \\
        --out results/ablation/sc2-beacon-to-shards-subtask

Each variant is the scenario in ``repaint`` mode with one change from the reference (zeta = 0,
beta_k = 0.9^(k-1)); the other settings are the scenario's, and the baseline K comes from its
compare. Runs go through ``repaint compare``'s
machinery, so an interrupted ablation resumes. Writes ``ablation.json`` (variant -> K per seed,
final scores) and prints a Markdown table; ``repaint report`` puts it in docs/results.md.
A~ is in units of the student's advantage std (the learner's scaling), so zeta = 0.5 is 0.5 sigma.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from repaint_ma.apps.compare import format_ablation, run_compare
from repaint_ma.scenario import load

REFERENCE = {"rule": "threshold", "zeta": 0.0}, {"schedule": "exponential", "start": 1.0, "decay": 0.9}
VARIANTS: dict[str, dict[str, Any]] = {  # each changes one thing of the reference
    "reference: threshold zeta=0, beta exponential 1.0 x 0.9^(k-1)": {
        "transfer.selection": REFERENCE[0],
        "transfer.beta": REFERENCE[1],
    },
    "threshold zeta=-inf (keep all)": {"transfer.selection": {"rule": "threshold", "zeta": -1.0e30}},
    "threshold zeta=0.5 sigma": {"transfer.selection": {"rule": "threshold", "zeta": 0.5}},
    "top 10%": {"transfer.selection": {"rule": "top", "fraction": 0.1}},
    "top 30%": {"transfer.selection": {"rule": "top", "fraction": 0.3}},
    "top 100%": {"transfer.selection": {"rule": "top", "fraction": 1.0}},
    "beta constant 1.0": {"transfer.beta": {"schedule": "constant", "start": 1.0}},
    "beta linear 1.0 - 0.05 (k-1)": {"transfer.beta": {"schedule": "linear", "start": 1.0, "decay": 0.05}},
}


def slug(variant: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in variant).strip("-")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--iterations", type=int, help="override train.iterations")
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    p.add_argument("--out", required=True)
    args = p.parse_args()
    out = Path(args.out)
    base = {"transfer.mode": "repaint"} | ({"train.iterations": args.iterations} if args.iterations else {})
    table = out / "ablation.json"  # variants not re-run this time keep their earlier rows
    result: dict[str, Any] = json.loads(table.read_text()) if table.exists() else {"variants": {}}
    for variant in args.variants:
        sc = load(args.scenario, base | VARIANTS[variant])
        summary = run_compare(sc, out / slug(variant), list(range(args.seeds)), ["repaint"], progress=False)
        result |= {"scenario": sc.name, "target_score": sc.train.target_score, "iteration_budget": sc.train.iterations}
        result["variants"][variant] = {k: summary["modes"]["repaint"][k] for k in ("K", "final_score")}
        result["command"] = f"python benchmarks/ablation.py {args.scenario} --seeds {args.seeds} --out {out}" + (
            f" --iterations {args.iterations}" if args.iterations else ""
        )
        table.write_text(json.dumps(result, indent=1))
    print(format_ablation(result))


if __name__ == "__main__":
    main()

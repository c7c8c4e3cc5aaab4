"""REPAINT ablations: K over seeds for variants of the scenario in ``repaint`` mode.

    python benchmarks/ablation.py scenarios/sc2/beacon_to_shards_subtask.yaml --study selection --seeds 3 \\
        --out results/ablation/sc2-beacon-to-shards-subtask
    python benchmarks/ablation.py scenarios/racing/single-diffreward-b.yaml --study learner --seeds 3 \\
        --out results/ablation/racing-single-diffreward-b

Studies (each variant changes one thing of the study's reference; the other settings are the
scenario's, and the baseline K comes from its compare):

- ``selection``: the experience-selection rule and the beta_k schedule (reference zeta = 0,
  beta_k = 0.9^(k-1));
- ``learner``: how A~ is normalised before selection, zeta, and the IT weight's schedule (reference:
  A~ in the student's advantage units, zeta = 0, constant IT weight 1).

Runs go through ``repaint compare``'s machinery, so an interrupted ablation resumes. Writes
``ablation.json`` (variant -> K per seed, final scores, per-iteration ``selected_frac`` per seed, the
commit that trained it) and prints a Markdown table; ``repaint report`` puts it in docs/results.md with
a plot of the ``selected_frac`` curves.
zeta is in student sigmas (A~ in the units of the student's normalised advantages).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from repaint_ma.apps.compare import format_ablation, run_compare
from repaint_ma.runlog import code_commit, read_metrics, short_commit
from repaint_ma.scenario import load

SELECTION_REFERENCE = {"rule": "threshold", "zeta": 0.0}, {"schedule": "exponential", "start": 1.0, "decay": 0.9}
STUDIES: dict[str, dict[str, dict[str, Any]]] = {  # study -> variant -> overrides
    "selection": {
        "reference: threshold zeta=0, beta exponential 1.0 x 0.9^(k-1)": {
            "transfer.selection": SELECTION_REFERENCE[0],
            "transfer.beta": SELECTION_REFERENCE[1],
        },
        "threshold zeta=-inf (keep all)": {"transfer.selection": {"rule": "threshold", "zeta": -1.0e30}},
        "threshold zeta=0.5 sigma": {"transfer.selection": {"rule": "threshold", "zeta": 0.5}},
        "top 10%": {"transfer.selection": {"rule": "top", "fraction": 0.1}},
        "top 30%": {"transfer.selection": {"rule": "top", "fraction": 0.3}},
        "top 100%": {"transfer.selection": {"rule": "top", "fraction": 1.0}},
        "beta constant 1.0": {"transfer.beta": {"schedule": "constant", "start": 1.0}},
        "beta linear 1.0 - 0.05 (k-1)": {"transfer.beta": {"schedule": "linear", "start": 1.0, "decay": 0.05}},
    },
    "learner": {
        "reference: A~ in student units, zeta=0, IT weight constant 1": {
            "transfer.adv_teacher_norm": "student",
            "transfer.selection": {"rule": "threshold", "zeta": 0.0},
            "transfer.ins_coef": 1.0,
        },
        "A~ scaled only (the earlier rule)": {"transfer.adv_teacher_norm": "scale"},
        "zeta=0.5 sigma": {"transfer.selection": {"rule": "threshold", "zeta": 0.5}},
        "IT weight exponential 1.0 x 0.9^(k-1)": {
            "transfer.ins_coef": {"schedule": "exponential", "start": 1.0, "decay": 0.9}
        },
    },
}


def slug(variant: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in variant).strip("-")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("--study", choices=list(STUDIES), default="selection")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--iterations", type=int, help="override train.iterations")
    p.add_argument("--variants", nargs="+", help="run only these variants of the study (default: all)")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    study = STUDIES[args.study]
    unknown = [v for v in args.variants or () if v not in study]
    if unknown:
        p.error(f"--variants: unknown {unknown}; the {args.study} study has {list(study)}")
    out = Path(args.out)
    base = {"transfer.mode": "repaint"} | ({"train.iterations": args.iterations} if args.iterations else {})
    table = out / "ablation.json"  # variants not re-run this time keep their earlier rows
    result: dict[str, Any] = json.loads(table.read_text()) if table.exists() else {"variants": {}}
    seeds = list(range(args.seeds))
    for variant in args.variants or study:
        sc = load(args.scenario, base | study[variant])
        done = all((out / slug(variant) / f"repaint-seed{s}.json").is_file() for s in seeds)
        commit = result["variants"].get(variant, {}).get("commit") if done else short_commit(code_commit())
        summary = run_compare(sc, out / slug(variant), seeds, ["repaint"], progress=False)
        result |= {"scenario": sc.name, "target_score": sc.train.target_score, "iteration_budget": sc.train.iterations}
        runs = out / slug(variant) / "runs"
        result["variants"][variant] = {k: summary["modes"]["repaint"][k] for k in ("K", "final_score")} | {
            "commit": commit,
            "selected_frac": [
                [r["selected_frac"] for r in read_metrics(runs / f"repaint-seed{s}" / "metrics.csv")] for s in seeds
            ],
        }
        result["command"] = f"python benchmarks/ablation.py {args.scenario} --study {args.study} "
        result["command"] += f"--seeds {args.seeds} --out {out}" + (
            f" --iterations {args.iterations}" if args.iterations else ""
        )
        table.write_text(json.dumps(result, indent=1))
    print(format_ablation(result))


if __name__ == "__main__":
    main()

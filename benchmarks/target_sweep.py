"""K and "% fewer than baseline" of a finished compare at other target scores, from its stored curves.

    python -m benchmarks.target_sweep results/mujoco/reacher-similar --targets -7 -6 -5.5 --json

A diagnostic, not a re-run: the target does not change training (it is read only to find K), so each
record's curve gives K at any target (``compare.record_k`` with the record's smoothing), and
the same statistics as the table (``compare.pct_fewer``: misses count as the budget, a bound then).
The compare dir is only read; ``--json`` writes ``results/diagnostics/<scenario>-targets.json`` with the
commits of the records it read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from repaint_ma.apps.compare import MODE_LABELS, NO_COMPARISON, format_fewer, format_k_seeds, pct_fewer, record_k
from repaint_ma.runlog import short_commit
from repaint_ma.scenario import MODES

OUT_DIR = Path("results/diagnostics")


def sweep(compare_dir: Path, targets: list[float]) -> dict[str, Any]:
    """K per mode and seed at each target, and each mode's % fewer than the baseline there."""
    records = {m: sorted((json.loads(p.read_text()) for p in compare_dir.glob(f"{m}-seed*.json")),
                         key=lambda r: r["seed"]) for m in MODES}  # fmt: skip
    records = {m: rs for m, rs in records.items() if rs}
    if "baseline" not in records:
        raise SystemExit(f"{compare_dir}: no baseline-seed*.json records")
    any_record = records["baseline"][0]
    budget, smooth = any_record["settings"]["train.iterations"], any_record["settings"]["train.smooth"]
    rows = []
    for target in targets:
        ks = {m: [record_k(r, target, smooth) for r in rs] for m, rs in records.items()}
        for mode, mode_ks in ks.items():
            fewer = pct_fewer(mode_ks, ks["baseline"], budget) if mode != "baseline" else NO_COMPARISON
            rows.append({"target": target, "mode": mode, "K": mode_ks, **fewer.row_fields()})
    commits = sorted({str(r.get("commit")) for rs in records.values() for r in rs})
    return {"scenario": any_record["scenario"], "compare_dir": str(compare_dir), "budget": budget,
            "smooth": smooth, "commits": commits, "rows": rows}  # fmt: skip


def format_sweep(result: dict[str, Any]) -> str:
    """The sweep as a Markdown table, one line per (target, mode)."""
    lines = [
        f"### {result['scenario']}: K at other targets (budget {result['budget']}, "
        f"records by {', '.join(short_commit(c) for c in result['commits'])})",
        "",
        "| target | mode | K per seed | % fewer than baseline [95% CI] |",
        "|---|---|---|---|",
    ]
    for row in result["rows"]:
        lines.append(f"| {row['target']:g} | {MODE_LABELS[row['mode']]} | {format_k_seeds(row['K'])} | "
                     f"{format_fewer(row, words=True)} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("compare_dir", type=Path, help="a `repaint compare` output dir")
    parser.add_argument("--targets", type=float, nargs="+", required=True, help="target scores to re-score at")
    parser.add_argument("--json", action="store_true", help=f"also write {OUT_DIR}/<scenario>-targets.json")
    args = parser.parse_args()
    result = sweep(args.compare_dir, args.targets)
    print(format_sweep(result))
    if args.json:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        path = OUT_DIR / f"{result['scenario']}-targets.json"
        path.write_text(json.dumps(result, indent=1))
        print(f"written: {path}")


if __name__ == "__main__":
    main()

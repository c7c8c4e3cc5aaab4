"""``repaint report RESULTS_DIR --out docs/results.md``: the results page, generated from compare JSON.

Every ``summary.json`` under RESULTS_DIR (one per scenario, written by ``repaint compare``)
becomes a table with the paper's figure for the matching row beside ours, plus a learning
curve plot (four modes, seed spread shaded) next to the output file. Nothing is typed by hand.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import numpy as np

from repaint_ma.apps.compare import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    MODE_LABELS,
    format_ablation,
    format_fewer,
    format_k,
    format_markdown,
    table_rows,
)
from repaint_ma.errors import UsageError
from repaint_ma.runlog import short_commit
from repaint_ma.scenario import MODES

# % fewer iterations than baseline reported by Tao et al. (ICML 2021) for the matching rows
PAPER_REDUCTION = {
    "reacher-similar": "76%",
    "reacher-different": "71%",
    "ant-similar": "66%",
    "racing-single-diffreward-a": "28% (KS and IT fail)",
    "racing-single-diffreward-b": "32% (KS and IT fail)",
    "racing-multi-subtask": "71%",
    "racing-multi-diffreward-subtask": "68%",
    "sc2-beacon-to-shards-subtask": "94% (StarCraft II sub-task)",
}


def _curves(scenario_dir: Path) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(scenario_dir.glob("*-seed*.json")):
        rec = json.loads(path.read_text())
        out.setdefault(rec["mode"], []).append(rec["curve"])
    return out


def plot_selected_frac(result: dict[str, Any], path: Path) -> None:
    """An ablation's ``selected_frac`` against iteration: one panel per variant, one line per seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = result["variants"]
    fig, axes = plt.subplots(1, len(variants), figsize=(3.2 * len(variants), 2.8), sharey=True, squeeze=False)
    for ax, (variant, data) in zip(axes[0], variants.items(), strict=True):
        for seed, curve in enumerate(data.get("selected_frac", [])):
            ax.plot(range(1, len(curve) + 1), curve, lw=1, label=f"seed {seed}")
        ax.set_title(variant, fontsize=7)
        ax.set_xlabel("iteration")
    axes[0][0].set_ylabel("selected_frac")
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_modes(scenario_dir: Path, summary: dict[str, Any], path: Path) -> None:
    """Mean evaluation score per mode over seeds, min-max band shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for mode, curves in _curves(scenario_dir).items():
        n = min(len(c["score"]) for c in curves)
        if n == 0:
            continue
        scores = np.array([c["score"][:n] for c in curves])
        its = curves[0]["iteration"][:n]
        ax.plot(its, scores.mean(0), label=MODE_LABELS[mode].removeprefix("K_"))
        ax.fill_between(its, scores.min(0), scores.max(0), alpha=0.2)
    if summary.get("target_score") is not None:
        ax.axhline(summary["target_score"], color="grey", ls="--", label="target")
    ax.set_xlabel("iteration")
    ax.set_ylabel("evaluation score")
    ax.set_title(summary["scenario"])
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _env_line(summary: dict[str, Any]) -> str:
    """Which env the row ran on, read from its scenario file; SC2 rows name their backend."""
    import yaml

    source = Path(summary.get("scenario_file", ""))
    if not source.is_file():
        return ""
    env = (yaml.safe_load(source.read_text()) or {}).get("env", {})
    env_id = env.get("id", "?")
    if env_id.startswith("sc2/"):
        backend = (env.get("kwargs") or {}).get("backend", "builtin")
        where = "built-in engine, not StarCraft II" if backend == "builtin" else "StarCraft II through PySC2"
        return f"Env: `{env_id}` ({where}). "
    return f"Env: `{env_id}`. "


def _shared_baseline_arg(scenario_dir: Path) -> str:
    """`` --baseline-from DIR`` when the row's baseline runs were taken from another compare dir."""
    for path in sorted(scenario_dir.glob("baseline-seed*.json")):
        shared = json.loads(path.read_text()).get("shared_from")
        if shared:
            return f" --baseline-from {Path(shared).parent}"
    return ""


def _k_cell(row: dict[str, Any] | None) -> str:
    """K mean +- std over the seeds that reached the target, and how many never did."""
    if row is None:
        return "not run"
    k = format_k(row["K_mean"], row["K_std"])
    if row["K_mean"] is None:
        return f"{k} ({row['seeds']}/{row['seeds']})"
    return k + (f", never {row['never_reached']}/{row['seeds']}" if row["never_reached"] else "")


def _reach_cell(rows: dict[str, dict[str, Any]]) -> str:
    """How many seeds of KS alone and of IT alone reached the target: "KS 3/3, IT 0/3"."""
    return ", ".join(
        f"{MODE_LABELS[m].removeprefix('K_')} "
        + (f"{rows[m]['seeds'] - rows[m]['never_reached']}/{rows[m]['seeds']}" if m in rows else "not run")
        for m in ("ks", "it")
    )


def _commit_cell(rows: dict[str, dict[str, Any]]) -> str:
    """The commits that made the row's records, each once ("not recorded" for records that do not say)."""
    return ", ".join(
        sorted({"not recorded" if c is None else short_commit(c) for r in rows.values() for c in r["commits"]})
    )


def format_overview(summaries: list[dict[str, Any]]) -> str:
    """The paper's table, one row per scenario: K per mode, REPAINT's % fewer iterations with its 95% interval,
    how many seeds KS and IT alone took to the target, the paper's figure, and the commits that made the row."""
    lines = [
        "| scenario | seeds | target | "
        + " | ".join(MODE_LABELS[m] for m in MODES)
        + " | REPAINT vs baseline [95% CI] | KS / IT alone reach target | paper | commit |",
        "|---|---|---|" + "---|" * len(MODES) + "---|---|---|---|",
    ]
    for summary in summaries:
        rows = {r["mode"]: r for r in table_rows(summary)}
        counts = [str(rows[m]["seeds"]) if m in rows else "-" for m in MODES]
        run = {c for c in counts if c != "-"}
        seeds = run.pop() if len(run) == 1 else " / ".join(counts)  # per mode while they are uneven
        vs = format_fewer(rows["repaint"], words=True) if "repaint" in rows else "-"
        name = summary["scenario"]
        lines.append(
            f"| {name} | {seeds} | {summary['target_score']:g} | "
            + " | ".join(_k_cell(rows.get(m)) for m in MODES)
            + f" | {vs} | {_reach_cell(rows)} | {PAPER_REDUCTION.get(name, '-')} | {_commit_cell(rows)} |"
        )
    return "\n".join(lines) + "\n"


def _override_arg(summary: dict[str, Any]) -> str:
    """The compare's ``--set KEY=VALUE`` overrides (``--iterations``, ``--set``, ...) and, where it ran only some
    modes, ``--modes``: what re-makes the rows shown, followed by a space."""
    args = list(summary.get("override_args", []))
    if set(summary["modes"]) != set(MODES):
        args += ["--modes", *(m for m in MODES if m in summary["modes"])]
    return shlex.join(args) + " " if args else ""


def read_summary(path: Path) -> dict[str, Any]:
    """A compare ``summary.json``; a truncated or foreign file is a ``UsageError`` naming it."""
    try:
        summary = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"{path}: not a readable summary ({err}); re-run its `repaint compare`") from None
    missing = [k for k in ("scenario", "modes", "target_score") if not isinstance(summary, dict) or k not in summary]
    if missing or not isinstance(summary["modes"], dict):
        raise UsageError(f"{path}: not a compare summary (expected an object with 'scenario', 'modes' and "
                         f"'target_score'); re-run its `repaint compare`")  # fmt: skip
    return summary


def build_report(results_dir: Path, out: Path) -> str:
    """Write ``out`` (Markdown) and one plot per scenario beside it; return the Markdown."""
    img_dir = out.parent / "img"
    img_dir.mkdir(parents=True, exist_ok=True)
    parts = [
        "# Results",
        "",
        f"Generated by `repaint report {results_dir} --out {out}` from the `summary.json` files that",
        "`repaint compare` wrote; re-run a row with the command given under it. K = iterations until",
        "the smoothed evaluation score reaches the scenario's target (fixed in its YAML before any",
        "run); runs that never reach it are counted in 'never reached', not dropped.",
        "",
    ]
    ablations = sorted(results_dir.rglob("ablation.json"))
    summary_files = [  # a compare folder holds its table beside its summary (other benchmarks' summaries do not)
        f
        for f in sorted(results_dir.rglob("summary.json"))
        if (f.parent / "table.json").is_file()
        and not any(a.parent in f.parents for a in ablations)  # ablation variants: in their own table
    ]
    summaries = [read_summary(f) for f in summary_files]
    parts += [
        "## Overview",
        "",
        "K mean ± std over the seeds that reached the target (iterations); 'never (n/N)': n of N seeds",
        "never reached it within the budget. % fewer = 1 - mean K / mean baseline K, a seed that never",
        "reached the target counted as the budget; its true K is larger, so the figure is then a bound:",
        "at most ('<= 30% fewer', '>= 10% more') when the mode missed, at least ('>= 30% fewer',",
        "'<= 10% more') when the baseline did, undecidable when both did. The bracket is a 95% percentile",
        "bootstrap interval in the same terms ('20% more [5%, 40%]': 5% to 40% more; per scenario below,",
        "signed % fewer), the seeds of the mode and of the baseline resampled independently",
        f"({BOOTSTRAP_RESAMPLES:,} times, RNG seed {BOOTSTRAP_SEED}); with 3 seeds a side it is rough.",
        "'seeds' reads baseline / KS / IT / REPAINT where the modes have run different numbers of seeds",
        "so far. The paper's column is its % fewer iterations for REPAINT; 'commit' is the code that made",
        "the row's runs ('+dirty': with uncommitted changes; 'not recorded': runs from before records held it).",
        "",
        format_overview(summaries),
    ]
    for summary_file, summary in zip(summary_files, summaries, strict=True):
        name = summary["scenario"]
        img = img_dir / f"results-{name}.png"
        plot_modes(summary_file.parent, summary, img)
        seeds = max((len(m["K"]) for m in summary["modes"].values()), default=0)
        parts += [
            format_markdown(summary),
            _env_line(summary)
            + f"Paper (Tao et al. 2021), REPAINT vs baseline: {PAPER_REDUCTION.get(name, 'no matching row')}. "
            f"Seeds: {seeds}. Command: `repaint compare {summary.get('scenario_file', '<scenario>.yaml')} "
            f"{_override_arg(summary)}--seeds {seeds} --out {summary_file.parent}"
            f"{_shared_baseline_arg(summary_file.parent)}`.",
            "",
            f"![{name}]({img.relative_to(out.parent)})",
            "",
        ]
    for ablation_file in ablations:
        result = json.loads(ablation_file.read_text())
        parts += [format_ablation(result), f"Command: `{result['command']}`.", ""]
        if any(data.get("selected_frac") for data in result["variants"].values()):
            img = img_dir / f"ablation-{result['scenario']}-selected-frac.png"
            plot_selected_frac(result, img)
            parts += [f"![selected_frac per iteration, one line per seed]({img.relative_to(out.parent)})", ""]
    text = "\n".join(parts)
    out.write_text(text)
    return text

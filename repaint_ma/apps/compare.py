"""``repaint compare``: every mode x every seed of a scenario, then the paper's table.

Per run a JSON (``<mode>-seed<N>.json``: K, final score, curve); per scenario
``summary.json``; the table as Markdown, CSV and JSON. Finished (mode, seed) pairs are
skipped, so an interrupted compare resumes; a record made with another target score only is re-scored
from its stored curve (the target does not change training). A baseline run does not see the teacher, so scenarios
that differ only in their teacher or transfer settings may share it (``baseline_from``).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import multiprocessing
import multiprocessing.connection
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from repaint_ma.checkpoint import atomic_write
from repaint_ma.errors import ScenarioError, UsageError
from repaint_ma.learner import train
from repaint_ma.progress import format_duration
from repaint_ma.rundir import changed_keys, flatten
from repaint_ma.runlog import code_commit, iterations_to_target
from repaint_ma.scenario import MODES, Scenario, load

MODE_LABELS = {"baseline": "K_baseline", "ks": "K_KS", "it": "K_IT", "repaint": "K_REPAINT"}


def baseline_inputs(sc: Scenario) -> dict[str, Any]:
    """All a baseline run depends on: env, reward, PPO and training settings (not teacher, transfer or seed)."""
    train_spec = dataclasses.replace(sc.train, seed=0)
    return {"env": sc.env, "reward": sc.reward, "ppo": sc.ppo, "train": train_spec}


def shared_baseline(sc: Scenario, source_dir: Path, seed: int) -> dict[str, Any] | None:
    """The baseline record of ``seed`` in another compare dir, if that scenario's baseline is ours.

    Raises ScenarioError when ``source_dir`` holds no summary or its scenario's baseline differs.
    """
    summary_file = source_dir / "summary.json"
    if not summary_file.is_file():
        raise ScenarioError(str(source_dir), "baseline_from", "a compare dir with summary.json")
    source_file = json.loads(summary_file.read_text()).get("scenario_file", "")
    ours, theirs = baseline_inputs(sc), baseline_inputs(load(source_file))
    differ = [key for key in ours if ours[key] != theirs[key]]
    if differ:
        raise ScenarioError(
            source_file, ", ".join(differ), f"the same {', '.join(differ)} as {sc.source} to share its baseline runs"
        )
    record_file = source_dir / f"baseline-seed{seed}.json"
    if not record_file.is_file():
        return None
    return {**json.loads(record_file.read_text()), "scenario": sc.name, "shared_from": str(record_file)}


def run_compare(
    sc: Scenario,
    out_dir: Path,
    seeds: list[int],
    modes: list[str],
    progress: bool = True,
    baseline_from: Path | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Train each (mode, seed) not yet in ``out_dir``; return and write the summary.

    Runs go seed by seed (all modes of a seed, then the next), so an interrupted compare leaves
    whole seeds. With ``jobs > 1`` up to ``jobs`` runs train at once, each in its own process (one
    torch thread each); every run is seeded by its own (mode, seed), so the records are the same as
    one at a time. With ``baseline_from`` (another compare dir whose scenario has the same env,
    reward, PPO and training settings), its finished baseline runs are taken instead of being
    trained again.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    pending = []
    for seed in seeds:
        for mode in modes:
            result_file = out_dir / f"{mode}-seed{seed}.json"
            if result_file.is_file():
                check_record(result_file, run_settings(sc, mode, seed), sc.train.smooth)
                continue
            shared = shared_baseline(sc, baseline_from, seed) if mode == "baseline" and baseline_from else None
            if shared is not None:
                _write_json(result_file, shared)
            else:
                pending.append((mode, seed))
    runs = RunCounter(len(pending), progress)
    if jobs > 1 and len(pending) > 1:
        _run_parallel(sc, out_dir, pending, jobs, runs)
    else:
        for mode, seed in pending:
            runs.started(mode, seed)
            run_one(sc, out_dir, mode, seed, progress, label=f"run {runs.count} of {runs.total}: ")
            runs.finished(mode, seed, out_dir)
    summary = summarise(out_dir, sc.name, sc.train.target_score, sc.train.iterations)
    summary["scenario_file"] = sc.source
    if sc.overrides:  # the compare's own --set/--iterations/... (the results page's command repeats them)
        summary["override_args"] = sc.override_args(skip=("transfer.mode",))
    write_table(summary, out_dir)
    return summary


class RunCounter:
    """The compare's progress over its runs: "run k of N" as each starts, and as each finishes its K, wall
    time and the compare's ETA (the mean time per finished run so far, times the runs left; with several
    jobs at once that mean shrinks accordingly). Silent unless ``enabled``."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.count = self.done = 0
        self.t0 = time.monotonic()

    def started(self, mode: str, seed: int) -> None:
        """Run ``count + 1`` of ``total`` starts."""
        self.count += 1
        self._say(f"run {self.count} of {self.total}: {mode} seed {seed}")

    def finished(self, mode: str, seed: int, out_dir: Path) -> None:
        """A run finished and wrote its record in ``out_dir``."""
        self.done += 1
        record = json.loads((out_dir / f"{mode}-seed{seed}.json").read_text())
        left = self.total - self.done
        eta = format_duration((time.monotonic() - self.t0) / self.done * left) if left else "0s"
        self._say(
            f"finished {self.done} of {self.total}: {mode} seed {seed}, K {format_k_value(record['K'])}, "
            f"{record['wall_s']:.0f} s; compare ETA {eta}"
        )

    def _say(self, line: str) -> None:
        if self.enabled:
            print(line, flush=True)


def format_k_value(k: int | None) -> str:
    """One run's iterations to target: the number, or "not reached"."""
    return "not reached" if k is None else str(k)


def run_settings(sc: Scenario, mode: str, seed: int) -> dict[str, Any]:
    """What a (mode, seed) run's record depends on, as dotted keys: its scenario less the name (and, for a
    baseline, less the teacher and transfer settings it does not see)."""
    keys = flatten(_run_scenario(sc, mode, seed).to_dict())
    unseen = ("name", "teacher", "transfer") if mode == "baseline" else ("name",)
    return {k: v for k, v in keys.items() if k.split(".")[0] not in unseen}


def check_record(path: Path, settings: dict[str, Any], smooth: int) -> None:
    """Raise ``UsageError`` if the record at ``path`` was made with other settings than ``settings``.

    The target score alone does not change training (it is read only to find K), so a record that differs
    only in ``train.target_score`` is re-scored in place: K from its stored curve at the new target, the old
    target kept as ``target_rescored_from``.
    """
    record = json.loads(path.read_text())
    stored = record.get("settings")
    if stored is None:
        raise UsageError(f"{path}: a record without its settings (an older compare); remove it to re-run, or use --out")
    diff = changed_keys(stored, settings)
    if diff and set(diff) == {"train.target_score"} and settings["train.target_score"] is not None:
        target = settings["train.target_score"]
        record["K"] = record_k(record, target, smooth)
        record.setdefault("target_rescored_from", stored["train.target_score"])
        record["settings"] = {**stored, "train.target_score": target}
        _write_json(path, record)
    elif diff:
        shown = "; ".join(f"{k}: {old!r} here, {new!r} now" for k, (old, new) in diff.items())
        raise UsageError(f"{path}: made with other settings ({shown}); use another --out, or remove it to re-run")


def record_k(record: dict[str, Any], target: float, smooth: int) -> int | None:
    """K of a run record at ``target``, from its stored curve (the target does not change training)."""
    curve = record["curve"]
    return iterations_to_target(curve["iteration"], curve["score"], target, smooth)


def _run_scenario(sc: Scenario, mode: str, seed: int) -> Scenario:
    return dataclasses.replace(
        sc, transfer=dataclasses.replace(sc.transfer, mode=mode), train=dataclasses.replace(sc.train, seed=seed)
    )


def run_one(sc: Scenario, out_dir: Path, mode: str, seed: int, progress: bool, label: str = "") -> None:
    """Train ``sc`` in ``mode`` with ``seed`` (resuming its run dir) and write ``<mode>-seed<seed>.json``.

    The record and the run's card hold the ``repaint run`` command that re-makes it, with the compare's
    overrides; the record also holds the commit of the code that made it (``runlog.code_commit``).
    """
    run_dir = out_dir / "runs" / f"{mode}-seed{seed}"
    argv = [sc.source, *sc.override_args(skip=("transfer.mode", "train.seed"))]
    command = "repaint run " + shlex.join([*argv, "--mode", mode, "--seed", str(seed), "--run-dir", str(run_dir)])
    commit = code_commit()  # read before training: the code this run imported
    res = train(_run_scenario(sc, mode, seed), run_dir, resume=True, progress=progress, command=command, label=label)
    record = {
        "scenario": sc.name, "mode": mode, "seed": seed, "K": res.K,
        "final_score": res.final_score, "wall_s": res.wall_s,
        "curve": {"iteration": res.iterations, "score": res.scores},
        "settings": run_settings(sc, mode, seed), "command": command, "commit": commit,
    }  # fmt: skip
    _write_json(out_dir / f"{mode}-seed{seed}.json", record)


def _run_parallel(sc: Scenario, out_dir: Path, pending: list[tuple[str, int]], jobs: int, runs: RunCounter) -> None:
    """Train the ``pending`` (mode, seed) runs ``jobs`` at a time, each in a fresh (spawned) process.

    A failed run, or Ctrl-C, stops the compare: the runs still going are terminated (each resumes
    from its last checkpoint next time) and no new one starts.
    """
    spawn = multiprocessing.get_context("spawn")  # no torch state inherited; not daemonic: may fork env workers
    queue, running = list(pending), {}
    try:
        while queue or running:
            while queue and len(running) < jobs:
                mode, seed = queue.pop(0)
                proc = spawn.Process(target=_run_child, args=(sc, out_dir, mode, seed))
                proc.start()
                runs.started(mode, seed)
                running[proc.sentinel] = (proc, mode, seed)
            for sentinel in multiprocessing.connection.wait(list(running)):
                proc, mode, seed = running.pop(sentinel)
                proc.join()
                if proc.exitcode != 0:
                    raise RuntimeError(
                        f"compare {sc.source}: the {mode} run of seed {seed} failed (exit code {proc.exitcode}); "
                        f"the compare resumes from {out_dir / 'runs' / f'{mode}-seed{seed}'}"
                    )
                runs.finished(mode, seed, out_dir)
    finally:
        for proc, _, _ in running.values():
            proc.terminate()
            proc.join()


def _run_child(sc: Scenario, out_dir: Path, mode: str, seed: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # exit cleanly: atexit stops the run's env workers
    run_one(sc, out_dir, mode, seed, progress=False)


def _write_json(path: Path, record: dict[str, Any]) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(record).encode()))


def summarise(out_dir: Path, name: str, target: float | None, budget: int) -> dict[str, Any]:
    """Gather the per-run JSON files of ``out_dir`` into the summary dict."""
    modes: dict[str, dict[str, list]] = {}
    for mode in MODES:
        records = sorted(
            (json.loads(p.read_text()) for p in out_dir.glob(f"{mode}-seed*.json")),
            key=lambda r: r["seed"],
        )
        if records:
            modes[mode] = {key: [r[key] for r in records] for key in ("seed", "K", "final_score", "wall_s")}
            modes[mode]["commit"] = [r.get("commit") for r in records]  # older records have none
    return {"scenario": name, "target_score": target, "iteration_budget": budget, "modes": modes}


def k_stats(ks: list[int | None]) -> tuple[float | None, float | None, int]:
    """(mean, std) of K over the seeds that reached the target, and how many never did."""
    reached = [k for k in ks if k is not None]
    if not reached:
        return None, None, len(ks)
    return float(np.mean(reached)), float(np.std(reached)), len(ks) - len(reached)


def format_k(mean: float | None, std: float | None) -> str:
    """K over the seeds that reached the target as 'mean ± std', or 'never' when none did."""
    return "never" if mean is None else f"{mean:.1f} ± {std:.1f}"


def format_k_seeds(ks: list[int | None]) -> str:
    """K of each seed in seed order, "never" for a seed that did not reach the target: "10, 12, never"."""
    return ", ".join("never" if k is None else str(k) for k in ks)


BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0  # fixed: the page's intervals are the same each time it is generated
BOUND_PREFIX = {"exact": "", "upper": "<= ", "lower": ">= "}


@dataclasses.dataclass(frozen=True)
class Fewer:
    """% fewer iterations than the baseline: the estimate ``pct``, a 95% bootstrap interval ``[lo, hi]``
    (None with a single seed on either side) and ``kind``: "exact", "upper" (a bound: ``pct`` at most),
    "lower" (``pct`` at least), "undecidable" (``pct``, ``lo`` and ``hi`` None) or None (``NO_COMPARISON``)."""

    pct: float | None
    lo: float | None
    hi: float | None
    kind: str | None

    def row_fields(self) -> dict[str, Any]:
        """The table row's ``pct_fewer*`` fields (what ``format_fewer`` reads)."""
        return {"pct_fewer": self.pct, "pct_fewer_lo": self.lo, "pct_fewer_hi": self.hi, "pct_fewer_kind": self.kind}


NO_COMPARISON = Fewer(None, None, None, None)  # the baseline's own row, or a compare without baseline runs


def pct_fewer(
    ks: list[int | None], base_ks: list[int | None], budget: int, resamples: int = BOOTSTRAP_RESAMPLES
) -> Fewer:
    """% fewer iterations of a mode (seeds' K ``ks``) than the baseline (``base_ks``): 100 (1 - mean K / mean
    baseline K), with a 95% percentile bootstrap interval.

    A seed that never reached the target (None) counts as ``budget``, the iterations of its run; its true K is
    larger, so the figure is a bound: an upper one when the mode missed on some seed, a lower one when the
    baseline did, and nothing can be said when both did ("undecidable"). The interval resamples the seeds of
    the mode and of the baseline independently, with replacement (``resamples`` times, RNG seeded with
    ``BOOTSTRAP_SEED``), and gives the 2.5th and 97.5th percentiles of the statistic; it needs 2 seeds a side.
    Both lists must be non-empty.
    """
    mode_missed, base_missed = None in ks, None in base_ks
    if mode_missed and base_missed:
        return Fewer(None, None, None, "undecidable")
    kind = "upper" if mode_missed else "lower" if base_missed else "exact"
    k, b = (np.array([budget if x is None else x for x in xs], dtype=float) for xs in (ks, base_ks))
    pct = float(100.0 * (1.0 - k.mean() / b.mean()))
    if min(len(k), len(b)) < 2:
        return Fewer(pct, None, None, kind)
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    k_means = k[rng.integers(0, len(k), (resamples, len(k)))].mean(axis=1)
    b_means = b[rng.integers(0, len(b), (resamples, len(b)))].mean(axis=1)
    lo, hi = np.percentile(100.0 * (1.0 - k_means / b_means), [2.5, 97.5])
    return Fewer(pct, float(lo), float(hi), kind)


def table_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per mode: K per seed, K mean +- std over the seeds that reached the target, never-reached
    count, % fewer iterations than the baseline (``pct_fewer*``: see ``pct_fewer``), final score, and the
    commits that made its records (None for a record that does not say)."""
    base = summary["modes"].get("baseline", {}).get("K", [])
    budget, rows = summary["iteration_budget"], []
    for mode, data in summary["modes"].items():
        mean, std, missed = k_stats(data["K"])
        fewer = pct_fewer(data["K"], base, budget) if base and mode != "baseline" else NO_COMPARISON
        scores = [s for s in data["final_score"] if s is not None]
        rows.append({
            "mode": mode, "label": MODE_LABELS[mode], "K": data["K"], "K_mean": mean, "K_std": std,
            "never_reached": missed, "seeds": len(data["K"]),
            **fewer.row_fields(),
            "final_mean": float(np.mean(scores)) if scores else None,
            "final_std": float(np.std(scores)) if scores else None,
            "wall_s": float(np.sum(data["wall_s"])),
            "commits": sorted(set(data.get("commit") or [None]), key=str),  # older summaries have none
        })  # fmt: skip
    return rows


def format_fewer(row: dict[str, Any], words: bool) -> str:
    """A row's % fewer iterations than the baseline and its 95% interval: "70% [55%, 80%]", "-40% [-60%, -5%]";
    with ``words`` "70% fewer [55%, 80%]", "40% more [5%, 60%]" (the interval in the same terms). A bound reads
    "<= 70%" / ">= -40%", in words "<= 70% fewer" / "<= 40% more" (at least -40% fewer is at most 40% more)."""
    kind, pct = row["pct_fewer_kind"], row["pct_fewer"]
    if kind is None:
        return "-"
    if kind == "undecidable":
        return "undecidable (both miss)"
    sign, unit = (-1, " more") if words and pct < 0 else (1, " fewer" if words else "")
    if sign < 0:
        kind = {"upper": "lower", "lower": "upper"}.get(kind, kind)
    text = f"{round(sign * pct)}%{unit}"  # round(): an int, so never "-0"
    if row["pct_fewer_lo"] is not None:
        lo, hi = sorted(round(sign * row[key]) for key in ("pct_fewer_lo", "pct_fewer_hi"))
        text += f" [{lo}%, {hi}%]"
    return BOUND_PREFIX[kind] + text


def format_markdown(summary: dict[str, Any]) -> str:
    """The paper's table: K per mode (per seed; mean +- std over seeds), % fewer than baseline with its 95%
    interval, final scores."""
    lines = [
        f"### {summary['scenario']} (target score {summary['target_score']}, "
        f"budget {summary['iteration_budget']} iterations)",
        "",
        "| mode | K per seed | K (mean ± std) | never reached | % fewer than baseline [95% CI] | final score "
        "| wall s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in table_rows(summary):
        k = format_k(r["K_mean"], r["K_std"])
        fewer = format_fewer(r, words=False)
        final = f"{r['final_mean']:.1f} ± {r['final_std']:.1f}" if r["final_mean"] is not None else "-"
        lines.append(
            f"| {r['label']} | {format_k_seeds(r['K'])} | {k} | {r['never_reached']}/{r['seeds']} | {fewer} | "
            f"{final} | {r['wall_s']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def format_ablation(result: dict[str, Any]) -> str:
    """An ablation (benchmarks/ablation.py's ablation.json) as Markdown: K per variant over seeds."""
    lines = [
        f"### Ablation on {result['scenario']} (repaint mode, target {result['target_score']}, "
        f"budget {result['iteration_budget']} iterations)",
        "",
        "| variant | K (mean ± std) | never reached | K per seed | final score | selected_frac it. 1-5 / 6+ | commit |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, data in result["variants"].items():
        mean, std, missed = k_stats(data["K"])
        k = format_k(mean, std)
        final = f"{np.mean(data['final_score']):.1f}"
        commit = data.get("commit", "not recorded")
        lines.append(
            f"| {variant} | {k} | {missed}/{len(data['K'])} | {data['K']} | {final} | "
            f"{_early_late(data.get('selected_frac'))} | {commit} |"
        )
    return "\n".join(lines) + "\n"


def _early_late(curves: list[list[float | None]] | None, early: int = 5) -> str:
    """Mean of per-iteration values over seeds, iterations 1..early and after ("-" without curves)."""
    if not curves:
        return "-"
    head = [v for c in curves for v in c[:early] if v is not None]
    tail = [v for c in curves for v in c[early:] if v is not None]
    return " / ".join(f"{np.mean(x):.2f}" if x else "-" for x in (head, tail))


def write_table(summary: dict[str, Any], out_dir: Path) -> None:
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    (out_dir / "table.md").write_text(format_markdown(summary))
    rows = table_rows(summary)
    (out_dir / "table.json").write_text(json.dumps(rows, indent=1))
    with open(out_dir / "table.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]) if rows else ["mode"])
        writer.writeheader()
        writer.writerows(rows)

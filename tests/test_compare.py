"""K, smoothing, never-reached handling and the compare table on synthetic curves."""

import json
import re
from pathlib import Path

import pytest

from repaint_ma.apps.compare import Fewer, format_markdown, k_stats, pct_fewer, summarise, table_rows
from repaint_ma.runlog import code_commit, iterations_to_target, short_commit, smooth


def test_trailing_moving_average():
    assert smooth([0, 3, 6, 9], 3).tolist() == [0.0, 1.5, 3.0, 6.0]
    assert smooth([5.0], 4).tolist() == [5.0]


def test_k_is_first_iteration_whose_smoothed_score_reaches_target():
    its = [2, 4, 6, 8, 10]
    scores = [0.0, 10.0, 0.0, 10.0, 10.0]  # one lucky evaluation does not count with smooth=2
    assert iterations_to_target(its, scores, target=10.0, window=2) == 10
    assert iterations_to_target(its, scores, target=10.0, window=1) == 4
    assert iterations_to_target(its, scores, target=11.0, window=1) is None
    assert iterations_to_target([], [], target=1.0, window=1) is None


def test_never_reached_runs_are_counted_not_dropped():
    assert k_stats([10, None, 20]) == (15.0, 5.0, 1)
    assert k_stats([None, None]) == (None, None, 2)


def _write(tmp_path, mode, seed, K, final, **extra):
    rec = {"mode": mode, "seed": seed, "K": K, "final_score": final, "wall_s": 1.0, **extra}
    (tmp_path / f"{mode}-seed{seed}.json").write_text(json.dumps(rec))


def test_percent_fewer_bootstrap_on_hand_computed_cases():
    # every resample of identical seeds is the same: the interval collapses to the point
    assert pct_fewer([10, 10], [20, 20], budget=40) == Fewer(50.0, 50.0, 50.0, "exact")
    # 2 seeds: resampled means 10, 15, 20 with chances 1/4, 1/2, 1/4 (baseline always 40), so the
    # 2.5th and 97.5th percentiles are the extremes 1 - 20/40 and 1 - 10/40
    assert pct_fewer([10, 20], [40, 40], budget=100) == Fewer(62.5, 50.0, 75.0, "exact")
    # 5 seeds, one at 40: the number of 40s drawn is Binomial(5, 1/5), P(<= 2) = 0.942, P(<= 3) = 0.993, so
    # the 97.5th percentile of the mean is (2 * 10 + 3 * 40) / 5 = 28 (not the maximum, 40) -> 1 - 28/40
    fewer = pct_fewer([10, 10, 10, 10, 40], [40] * 5, budget=100)
    assert (fewer.pct, fewer.lo, fewer.hi) == pytest.approx((60.0, 30.0, 75.0))
    assert pct_fewer([10], [20, 30], budget=40) == Fewer(60.0, None, None, "exact")  # no interval from one seed
    assert pct_fewer([10, 20], [40, 40], budget=100, resamples=500) == pct_fewer([10, 20], [40, 40], 100, 500)


def test_misses_count_as_the_budget_and_make_the_figure_a_bound():
    # the mode missed on seed 1: its K counts as 40 in the point and in every resample (means 10, 25, 40),
    # and is really more, so the figure is at most 1 - 25/40; dropping the miss would give [75%, 75%]
    assert pct_fewer([10, None], [40, 40], budget=40) == Fewer(37.5, 0.0, 75.0, "upper")
    # a baseline miss: its mean (20, 30 or 40 in resamples) is at least that: % fewer at least 1 - 10/30
    fewer = pct_fewer([10, 10], [20, None], budget=40)
    assert (fewer.pct, fewer.lo, fewer.hi, fewer.kind) == (pytest.approx(200 / 3), 50.0, 75.0, "lower")
    assert pct_fewer([10, None], [20, None], budget=40) == Fewer(None, None, None, "undecidable")
    assert pct_fewer([None], [None], budget=40).kind == "undecidable"


def test_table_percent_fewer_and_never_reached(tmp_path):
    for seed, k in enumerate([20, 30]):
        _write(tmp_path, "baseline", seed, k, 100.0)
    for seed, k in enumerate([5, 10]):
        _write(tmp_path, "repaint", seed, k, 110.0, commit="b" * 40)
    _write(tmp_path, "it", 0, None, 50.0, commit="a" * 40 + "+dirty")
    _write(tmp_path, "it", 1, 20, 90.0, commit="a" * 40 + "+dirty")
    summary = summarise(tmp_path, "synthetic", 100.0, 40)
    assert summary["modes"]["repaint"]["K"] == [5, 10]
    assert summary["modes"]["it"]["K"] == [None, 20]
    assert (
        summary["modes"]["repaint"]["commit"] == ["b" * 40] * 2 and summary["modes"]["baseline"]["commit"] == [None] * 2
    )
    rows = {r["mode"]: r for r in table_rows(summary)}
    # repaint: 1 - 7.5/25; resampled means 5..10 and 20..30 put each extreme at 1/16 > 2.5%: 1 - 10/20, 1 - 5/30
    assert (rows["repaint"]["pct_fewer"], rows["repaint"]["pct_fewer_lo"]) == (70.0, 50.0)
    assert rows["repaint"]["pct_fewer_hi"] == pytest.approx(250 / 3)
    # it missed seed 0: K counts as 40, 1 - 30/25 = -20%, an upper bound
    assert (rows["it"]["never_reached"], rows["it"]["pct_fewer_kind"]) == (1, "upper")
    assert rows["it"]["pct_fewer"] == pytest.approx(-20.0)
    assert rows["baseline"]["pct_fewer_kind"] is None
    md = format_markdown(summary)
    assert "| K_REPAINT | 5, 10 | 7.5 ± 2.5 | 0/2 | 70% [50%, 83%] | 110.0 ± 0.0 |" in md
    assert "| K_IT | never, 20 | 20.0 ± 0.0 | 1/2 | <= -20% [-100%, 33%] |" in md  # it's means 20..40
    assert "| K_baseline | 20, 30 | 25.0 ± 5.0 | 0/2 | - |" in md
    from repaint_ma.apps.report import format_overview

    overview = format_overview([summary]).splitlines()
    assert overview[0] == (
        "| scenario | seeds | target | K_baseline | K_KS | K_IT | K_REPAINT | REPAINT vs baseline [95% CI] "
        "| KS / IT alone reach target | paper | commit |"
    )
    assert overview[2] == (
        "| synthetic | 2 | 100 | 25.0 ± 5.0 | not run | 20.0 ± 0.0, never 1/2 | 7.5 ± 2.5 | 70% fewer [50%, 83%] "
        "| KS not run, IT 1/2 | - | aaaaaaa+dirty, bbbbbbb, not recorded |"
    )
    summary["modes"]["repaint"]["K"] = [30, 40]  # means 30..40 against 20..30: % fewer from -100% to 0%
    assert "| 35.0 ± 5.0 | 40% more [0%, 100%] | KS not run, IT 1/2 |" in format_overview([summary])
    # a baseline seed that never reached the target counts as the budget (40): a bound on % fewer
    summary["modes"]["baseline"]["K"] = [20, None]
    rows = {r["mode"]: r for r in table_rows(summary)}
    assert rows["repaint"]["pct_fewer"] == pytest.approx(100 * (30 - 35) / 30)
    assert rows["repaint"]["pct_fewer_kind"] == "lower" and rows["it"]["pct_fewer_kind"] == "undecidable"
    assert "| 35.0 ± 5.0 | <= 17% more [-25%, 100%] |" in format_overview([summary])  # 1 - 30/40 .. 1 - 40/20
    assert "| K_REPAINT | 30, 40 | 35.0 ± 5.0 | 0/2 | >= -17% [-100%, 25%] |" in format_markdown(summary)
    assert "| K_IT | never, 20 | 20.0 ± 0.0 | 1/2 | undecidable (both miss) |" in format_markdown(summary)
    summary["modes"]["baseline"]["K"] = [None, None]
    summary["modes"]["repaint"]["K"] = [10, 20]
    assert format_overview([summary]).splitlines()[2].startswith("| synthetic | 2 | 100 | never (2/2) |")
    assert "| 15.0 ± 5.0 | >= 62% fewer [50%, 75%] |" in format_overview([summary])  # 1 - 15/40
    summary["modes"]["it"] |= {"K": [20], "final_score": [90.0]}  # modes with different numbers of seeds
    assert format_overview([summary]).splitlines()[2].startswith("| synthetic | 2 / - / 1 / 2 | 100 |")
    assert "| KS not run, IT 1/1 |" in format_overview([summary])


def test_commit_of_the_running_code():
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", code_commit())
    assert short_commit("0123456789" * 4 + "+dirty") == "0123456+dirty"
    assert short_commit("0123456789" * 4) == "0123456"


def test_report_is_generated_from_summaries(tmp_path):
    from repaint_ma.apps.compare import write_table
    from repaint_ma.apps.report import build_report

    scen = tmp_path / "results" / "sc2-beacon-to-shards-subtask"
    scen.mkdir(parents=True)
    for mode, k in (("baseline", 8), ("repaint", 2)):
        rec = {"mode": mode, "seed": 0, "K": k, "final_score": 1.0, "wall_s": 1.0,
               "curve": {"iteration": [1, 2, 3], "score": [0.0, 0.5, 1.0]}}  # fmt: skip
        (scen / f"{mode}-seed0.json").write_text(json.dumps(rec))
    write_table(summarise(scen, "sc2-beacon-to-shards-subtask", 1.0, 10), scen)
    other = tmp_path / "results" / "baseline_quality"  # another benchmark's summary.json: not a compare's
    other.mkdir()
    (other / "summary.json").write_text(json.dumps({"classic/CartPole-v1": {"ours": [500.0], "sb3": [500.0]}}))
    text = build_report(tmp_path / "results", tmp_path / "docs" / "results.md")
    assert "| K_REPAINT | 2 | 2.0 ± 0.0 | 0/1 | 75% |" in text  # one seed: no interval
    assert "94%" in text  # the paper's figure beside ours
    assert f"--modes baseline repaint --seeds 1 --out {scen}" in text  # re-makes only the modes shown
    assert (tmp_path / "docs" / "img" / "results-sc2-beacon-to-shards-subtask.png").is_file()


def test_ablation_table_and_report_section(tmp_path):
    from repaint_ma.apps.compare import format_ablation
    from repaint_ma.apps.report import build_report

    result = {
        "scenario": "s", "target_score": 60.0, "iteration_budget": 20, "command": "python benchmarks/ablation.py x",
        "variants": {"top 10%": {"K": [4, None, 8], "final_score": [70.0, 50.0, 90.0], "commit": "abc1234",
                                 "selected_frac": [[1.0] * 5 + [0.5, 0.1], [0.8] * 5 + [0.3]]},
                     "top 30%": {"K": [5, 5, 5], "final_score": [80.0, 80.0, 80.0]}},
    }  # fmt: skip
    md = format_ablation(result)
    assert "| top 10% | 6.0 ± 2.0 | 1/3 | [4, None, 8] | 70.0 | 0.90 / 0.30 | abc1234 |" in md
    assert "| top 30% | 5.0 ± 0.0 | 0/3 | [5, 5, 5] | 80.0 | - | not recorded |" in md
    abl = tmp_path / "results" / "ablation" / "s"
    (abl / "top-10").mkdir(parents=True)
    (abl / "ablation.json").write_text(json.dumps(result))
    write_variant = {"scenario": "s", "target_score": 60.0, "iteration_budget": 20, "modes": {}}
    (abl / "top-10" / "summary.json").write_text(json.dumps(write_variant))  # a variant's own summary
    text = build_report(tmp_path / "results", tmp_path / "docs" / "results.md")
    assert "### Ablation on s" in text and "### s (" not in text  # variants only inside the ablation
    assert "Command: `python benchmarks/ablation.py x`." in text
    assert (tmp_path / "docs" / "img" / "ablation-s-selected-frac.png").is_file()


def test_baseline_runs_are_shared_only_between_scenarios_that_agree(tmp_path):
    from repaint_ma.apps.compare import run_compare
    from repaint_ma.errors import ScenarioError
    from repaint_ma.scenario import load

    text = (Path("scenarios/classic/cartpole_transfer.yaml")).read_text()
    source, other, off = tmp_path / "source.yaml", tmp_path / "other.yaml", tmp_path / "off.yaml"
    source.write_text(text)
    other.write_text(text.replace("name: cartpole-transfer", "name: other").replace("decay: 0.9", "decay: 0.5"))
    off.write_text(text.replace("lr: 1.0e-3", "lr: 2.0e-3"))
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    _write(src_dir, "baseline", 0, 12, 480.0, curve={"iteration": [12], "score": [480.0]})
    (src_dir / "summary.json").write_text(json.dumps({"scenario_file": str(source)}))

    # modes: baseline only, so nothing is trained: the record is taken, renamed, with its origin
    summary = run_compare(load(other), tmp_path / "out", [0], ["baseline"], progress=False, baseline_from=src_dir)
    assert summary["modes"]["baseline"]["K"] == [12]
    record = json.loads((tmp_path / "out" / "baseline-seed0.json").read_text())
    assert record["scenario"] == "other" and record["shared_from"] == str(src_dir / "baseline-seed0.json")
    from repaint_ma.apps.report import build_report

    text = build_report(tmp_path / "out", tmp_path / "docs" / "results.md")
    assert f"--out {tmp_path / 'out'} --baseline-from {src_dir}`" in text  # the row's command says where

    with pytest.raises(ScenarioError, match="ppo"):
        run_compare(load(off), tmp_path / "out2", [0], ["baseline"], progress=False, baseline_from=src_dir)


def test_parallel_jobs_give_the_same_records_as_one_at_a_time(tmp_path):
    from repaint_ma.apps.compare import run_compare
    from repaint_ma.scenario import load

    text = Path("scenarios/classic/cartpole_transfer.yaml").read_text()
    tiny = text.replace("steps_per_iteration: 2048", "steps_per_iteration: 128").replace("num_envs: 8", "num_envs: 2")
    tiny = tiny.replace("iterations: 60", "iterations: 2").replace("eval_episodes: 10", "eval_episodes: 2")
    tiny = tiny.replace("teacher_steps: 1024", "teacher_steps: 64")
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny)
    sc = load(path)
    records = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        summary = run_compare(sc, out, [0, 1], ["baseline", "repaint"], progress=False, jobs=jobs)
        assert summary["modes"]["repaint"]["seed"] == [0, 1]
        runs = {p.name: json.loads(p.read_text()) for p in out.glob("*-seed*.json")}
        # the commands name the run dir, under the out dir
        records[jobs] = {
            name: {k: v for k, v in r.items() if k not in ("wall_s", "command")} for name, r in runs.items()
        }
    assert len(records[1]) == 4
    assert records[1] == records[2]  # each run is seeded by its own (mode, seed), wherever it trains
    assert records[1]["baseline-seed0.json"]["curve"] != records[1]["baseline-seed1.json"]["curve"]
    assert records[2]["repaint-seed1.json"]["commit"] == code_commit()  # written by a child process
    command = json.loads((out / "repaint-seed1.json").read_text())["command"]  # what re-makes the run
    assert command == f"repaint run {path} --mode repaint --seed 1 --run-dir {out / 'runs' / 'repaint-seed1'}"


def test_a_failed_parallel_run_stops_the_compare_and_names_the_run(tmp_path):
    from repaint_ma.apps.compare import run_compare
    from repaint_ma.scenario import load

    empty = tmp_path / "not-a-teacher"
    empty.mkdir()  # a folder without policy.pt: the run fails when it loads its teacher
    text = Path("scenarios/classic/cartpole_transfer.yaml").read_text()
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("path: teachers/cartpole-expert", f"path: {empty}"))
    with pytest.raises(RuntimeError, match=r"the (ks|it) run of seed 0 failed"):
        run_compare(load(path), tmp_path / "out", [0], ["ks", "it"], progress=False, jobs=2)
    assert not list((tmp_path / "out").glob("*-seed*.json"))


def test_target_sweep_rescores_stored_curves(tmp_path):
    from benchmarks.target_sweep import sweep

    def record(mode, seed, scores):
        rec = {"scenario": "s", "mode": mode, "seed": seed, "commit": "abc",
               "curve": {"iteration": [2, 4, 6, 8], "score": scores},
               "settings": {"train.iterations": 8, "train.smooth": 1}}  # fmt: skip
        (tmp_path / f"{mode}-seed{seed}.json").write_text(json.dumps(rec))

    record("baseline", 0, [0, 1, 2, 3])
    record("baseline", 1, [0, 0, 2, 2])
    record("repaint", 0, [1, 3, 3, 3])
    record("repaint", 1, [2, 2, 2, 2])
    rows = {(r["target"], r["mode"]): r for r in sweep(tmp_path, [2.0, 3.0])["rows"]}
    assert rows[(2.0, "baseline")]["K"] == [6, 6] and rows[(2.0, "repaint")]["K"] == [4, 2]
    assert rows[(2.0, "baseline")]["pct_fewer"] is None and rows[(2.0, "baseline")]["pct_fewer_kind"] is None
    assert rows[(2.0, "repaint")]["pct_fewer"] == pytest.approx(50.0)  # 1 - 3 / 6
    # at 3 the baseline's seed 1 and REPAINT's seed 1 never get there: misses on both sides
    assert rows[(3.0, "baseline")]["K"] == [8, None] and rows[(3.0, "repaint")]["K"] == [4, None]
    assert rows[(3.0, "repaint")]["pct_fewer_kind"] == "undecidable"


def test_diagnostic_runs_the_changed_setting_and_reads_the_row_at_its_target(tmp_path, monkeypatch):
    import yaml

    from benchmarks import diagnostic
    from tests.tiny import TINY

    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump({**TINY, "train": {**TINY["train"], "target_score": 5.0, "smooth": 2}}))
    row = tmp_path / "row"
    row.mkdir()
    for mode, scores in (("baseline", [0.0, 6.0, 4.0]), ("repaint", [6.0, 6.0, 6.0])):
        rec = {"curve": {"iteration": [1, 2, 3], "score": scores}, "final_score": scores[-1], "commit": "abc"}
        (row / f"{mode}-seed0.json").write_text(json.dumps(rec))
    (row / "baseline-seed1.json").write_text("{}")  # another seed: not read
    res = diagnostic.diagnose(str(scenario), row, "baseline", 0, {"ppo.lr": 1.0e-3, "train.iterations": 2},
                              "tiny-lr", "does lr matter?", ["beta", "loss_clip"])  # fmt: skip
    written = json.loads((tmp_path / "results/diagnostics/tiny-lr.json").read_text())
    assert written == json.loads(json.dumps(res))
    assert "--set ppo.lr=0.001" in res["command"] and res["changed"] == {"ppo.lr": 1.0e-3, "train.iterations": 2}
    assert res["curve"]["iteration"][-1] == 2 and len(res["metrics"]["loss_clip"]) == 2
    assert res["metrics"]["beta"] == [0.0, 0.0]  # a baseline run has no policy term
    # the row's own records of seed 0, K re-scored at the diagnostic's target 5 with the scenario's smooth 2
    assert res["row_seed"] == {"baseline": {"K": 3, "final_score": 4.0, "commit": "abc"},
                               "repaint": {"K": 1, "final_score": 6.0, "commit": "abc"}}  # fmt: skip
    with pytest.raises(SystemExit, match=r"not metrics\.csv columns"):
        diagnostic.diagnose(str(scenario), row, "baseline", 0, {}, "tiny-bad", "q", ["no_such_column"])

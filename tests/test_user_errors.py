"""Issue 23: every user error is one line and exit code 2, no traceback; reward files are bounded; the scenario
name cannot leave runs/; compare refuses records made with other settings."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from tiny import ROOT, TINY, cli

from envs.racing import RewardFunctionError, load_reward
from repaint_ma.apps.compare import run_compare
from repaint_ma.errors import ScenarioError, UsageError
from repaint_ma.scenario import from_dict, load, parse_override


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("pybullet build time")]  # C print
    assert "Traceback" not in proc.stderr and len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    return lines[0]


@pytest.mark.parametrize("name", ["../../evil", "a/b", "..", "/abs"])
def test_a_scenario_name_cannot_write_outside_runs(name):
    with pytest.raises(ScenarioError, match="name: expected a name of letters"):
        from_dict({**TINY, "name": name})


def _reward_file(tmp_path: Path, body: str) -> str:
    path = tmp_path / "my_reward.py"
    path.write_text(textwrap.dedent(body))
    return str(path)


def test_a_reward_call_or_import_that_hangs_stops_naming_the_file(tmp_path):
    slow_call = load_reward(_reward_file(tmp_path, "import time\ndef reward_function(p):\n    time.sleep(30)\n"), 0.3)
    t0 = time.time()
    with pytest.raises(RewardFunctionError, match=r"my_reward\.py: a call ran longer than 0\.3 s"):
        slow_call({"x": 1})
    assert time.time() - t0 < 5
    (tmp_path / "slow_import.py").write_text("while True:\n    pass\n")
    with pytest.raises(RewardFunctionError, match=r"slow_import\.py: its import ran longer"):
        load_reward(str(tmp_path / "slow_import.py"), 0.3)


def test_a_reward_file_gets_a_copy_of_params(tmp_path):
    fn = load_reward(_reward_file(tmp_path, "def reward_function(p):\n    p['waypoints'].clear()\n    return 1.0\n"))
    params = {"waypoints": [(0.0, 0.0), (1.0, 0.0)]}
    assert fn(params) == 1.0 and params["waypoints"] == [(0.0, 0.0), (1.0, 0.0)]


def test_a_reward_file_returning_a_string_stops_the_run_in_one_line_also_with_workers(tmp_path):
    reward = _reward_file(tmp_path, "def reward_function(params):\n    return 'fast'\n")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        f"name: r\nenv: {{id: racing/single-car, kwargs: {{lidar_rays: 4}}}}\nreward: {{file: {reward}}}\n"
        "ppo: {steps_per_iteration: 8, num_envs: 2, minibatch: 8, epochs: 1, hidden: [4]}\n"
        "train: {iterations: 1, eval_episodes: 1}\n"
    )
    err = _one_line_error(cli("run", str(scenario), "--quiet", "--workers", "2", "--run-dir", str(tmp_path / "run")))
    assert "my_reward.py:reward_function returned 'fast', not a finite number" in err


def test_two_runs_into_one_dir_and_a_non_empty_dir_are_one_line(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(json.dumps(TINY))
    run = ["run", str(scenario), "--quiet", "--run-dir", str(tmp_path / "run")]
    assert cli(*run).returncode == 0
    assert "already holds a run" in _one_line_error(cli(*run))


@pytest.mark.parametrize("text", ["ppo.lr=3e-4", "ppo.lr=1e-3", "ppo.lr=1E+2"])
def test_exponents_without_a_dot_are_numbers(text):
    assert isinstance(parse_override(text)[1], float)


LINE = b"%c: &%c [*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c,*%c]\n"
ALIAS_BOMB = b'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + b"".join(
    LINE % ((c, c) + (c - 1,) * 9) for c in range(ord("b"), ord("j"))
)  # 9**9 strings once expanded (the 511 bytes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"name: caf\xe9\n", "not UTF-8"),
        (ALIAS_BOMB, "aliases expand to more than"),
        (b"[" * 2000 + b"]" * 2000, "nested too deeply"),
    ],
)  # fmt: skip
def test_undecodable_alias_bomb_and_deep_yaml_are_scenario_errors(tmp_path, text, expected):
    (tmp_path / "s.yaml").write_bytes(text)
    t0 = time.time()
    with pytest.raises(ScenarioError, match=expected):
        load(tmp_path / "s.yaml")
    assert time.time() - t0 < 10


@pytest.mark.parametrize(
    ("key", "value"),
    [("ppo.lr", float("inf")), ("ppo.lr", 1e30), ("ppo.lr", 10**400), ("ppo.steps_per_iteration", 10**12),
     ("ppo.hidden", [10**9]), ("train.eval_episodes", 10**7)],
)  # fmt: skip
def test_out_of_range_values_are_scenario_errors(key, value):
    with pytest.raises(ScenarioError, match=key.replace(".", r"\.")):
        from_dict(TINY, overrides={key: value})


def test_compare_refuses_records_made_with_other_settings(tmp_path):
    sc = from_dict({**TINY, "train": {**TINY["train"], "target_score": 1.0}})
    run_compare(sc, tmp_path, [0], ["baseline"], progress=False)
    more = from_dict({**TINY, "train": {**TINY["train"], "target_score": 1.0, "iterations": 2}})
    with pytest.raises(UsageError, match=r"baseline-seed0\.json: made with other settings \(train\.iterations: 1"):
        run_compare(more, tmp_path, [0], ["baseline"], progress=False)


def test_compare_rescores_records_whose_only_change_is_the_target(tmp_path):
    sc = from_dict(
        {**TINY, "train": {**TINY["train"], "target_score": 1e9, "iterations": 4, "eval_every": 1, "smooth": 1}}
    )
    run_compare(sc, tmp_path, [0], ["baseline"], progress=False)
    record_file = tmp_path / "baseline-seed0.json"
    before = json.loads(record_file.read_text())
    assert before["K"] is None
    scores = before["curve"]["score"]
    # smooth 1: K is the first evaluation at the best score
    target = sorted(scores)[-1]
    retargeted = from_dict({**TINY, "train": {**TINY["train"], "target_score": target, "iterations": 4,
                                              "eval_every": 1, "smooth": 1}})  # fmt: skip
    summary = run_compare(retargeted, tmp_path, [0], ["baseline"], progress=False)
    after = json.loads(record_file.read_text())
    first_hit = before["curve"]["iteration"][scores.index(target)]
    assert after["K"] == first_hit and summary["modes"]["baseline"]["K"] == [first_hit]
    assert after["target_rescored_from"] == 1e9 and after["settings"]["train.target_score"] == target
    assert after["curve"] == before["curve"]


RACING = "racing/single-car"
RACE = ["leaderboard", "--track", "oval", "--entry", "bot:pure-pursuit"]
CARTPOLE = {"id": "classic/CartPole-v1", "kwargs": {}}


def _main_error(capsys: pytest.CaptureFixture, *args: str) -> str:
    """``repaint ARGS`` in this process: exit code 2 and one line on stderr; returns the line."""
    from repaint_ma.apps.cli import main

    assert main(list(args)) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def _scenario(tmp_path: Path, env: dict, **more: object) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps({**TINY, "env": env, **more}))
    return str(path)


@pytest.mark.parametrize(
    ("env", "more", "expected"),
    [
        ({**CARTPOLE, "kwargs": {"bogus": 1}}, {}, "env.kwargs.bogus: classic/CartPole-v1 has no option 'bogus'"),
        (CARTPOLE, {"reward": "centerline"}, "reward: classic/CartPole-v1 has no option 'reward'"),
        ({"id": RACING, "kwargs": {"laps": -1}}, {}, "env.kwargs.laps: expected an integer >= 1, got -1"),
        ({"id": RACING, "kwargs": {"max_steps": -5}}, {}, "env.kwargs.max_steps: expected an integer >= 1"),
        ({"id": RACING, "kwargs": {"lidar_range": 0}}, {}, "env.kwargs.lidar_range: expected a number"),
        ({"id": "sc2/MoveToBeacon", "kwargs": {"step_mul": 0}}, {}, "env.kwargs.step_mul: expected an integer >= 1"),
        ({"id": "toy/staggered", "kwargs": {"max_steps": 0}}, {}, "env.kwargs.max_steps: expected an integer >= 1"),
    ],
)  # fmt: skip
def test_bad_env_kwargs_and_a_reward_the_env_has_no_option_for_are_one_line(tmp_path, capsys, env, more, expected):
    path = _scenario(tmp_path, env, **more)
    assert _main_error(capsys, "validate", path).startswith(f"error: {path}: {expected}")


def _track(tmp_path: Path, scale: float | None) -> str:
    path = tmp_path / "t.npy"
    if scale is None:
        path.write_bytes(b"")
    else:
        np.save(path, np.load(ROOT / "envs/racing/tracks/oval.npy") * scale)
    return str(path)


@pytest.mark.parametrize(("scale", "expected"), [(None, "No data left in file"), (1e300, "expected metres within")])
def test_an_empty_or_far_out_track_file_is_one_line_in_leaderboard_and_a_scenario(tmp_path, capsys, scale, expected):
    track = _track(tmp_path, scale)
    err = _main_error(capsys, "leaderboard", "--track", track, "--entry", "bot:pure-pursuit")
    assert err.startswith(f"error: --track {track}: ") and expected in err
    path = _scenario(tmp_path, {"id": RACING, "kwargs": {"track": track}})
    err = _main_error(capsys, "validate", path)
    assert err.startswith(f"error: {path}: env.kwargs: track {track}") and expected in err


def test_pysc2_without_starcraft_is_one_line_saying_how_to_install(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pysc2")
    monkeypatch.setenv("SC2PATH", str(tmp_path / "no-sc2"))
    err = _main_error(capsys, "bench", "sc2", "--backend", "pysc2", "--episodes", "1", "--maps", "MoveToBeacon")
    assert "StarCraft II not found" in err and "SC2PATH" in err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["eval", "run", "--episodes", "0"], "--episodes: expected a number >= 1, got 0"),
        ([*RACE, "--time-limit", "nan"], "--time-limit: expected a number > 0, got nan"),
        ([*RACE, "--bots", "0"], "--bots: expected a number >= 1, got 0"),
        ([*RACE, "--laps", "0"], "--laps: expected a number >= 1, got 0"),
        ([*RACE, "--trials", "0"], "--trials: expected a number >= 1, got 0"),
    ],
)  # fmt: skip
def test_out_of_range_flags_are_one_line(capsys, args, expected):
    assert _main_error(capsys, *args) == f"error: {expected}"


def test_report_names_a_truncated_or_foreign_summary(tmp_path, capsys):
    summary = tmp_path / "results" / "x" / "summary.json"
    summary.parent.mkdir(parents=True)
    (summary.parent / "table.json").write_text("[]")  # a compare folder
    for text in ('{"scenario": "x", "mod', "[1, 2]"):
        summary.write_text(text)
        err = _main_error(capsys, "report", str(tmp_path / "results"), "--out", str(tmp_path / "r.md"))
        assert err.startswith(f"error: {summary}: not a")


def test_out_that_is_a_folder_for_a_file_or_a_file_for_a_folder_is_one_line(tmp_path, capsys):
    summary = tmp_path / "results" / "x" / "summary.json"
    summary.parent.mkdir(parents=True)
    summary.write_text("{}")
    (summary.parent / "table.json").write_text("[]")
    a_file = tmp_path / "f"
    a_file.write_text("")
    assert "a folder; expected a file" in _main_error(
        capsys, "report", str(tmp_path / "results"), "--out", str(tmp_path)
    )
    assert f"{a_file} is a file" in _main_error(capsys, "report", str(tmp_path / "results"), "--out", f"{a_file}/r.md")
    leaderboard = [*RACE, "--out", str(a_file)]
    assert "a file; expected a folder" in _main_error(capsys, *leaderboard)
    scenario = _scenario(tmp_path, TINY["env"])
    assert "a file; expected a folder" in _main_error(
        capsys, "compare", scenario, "--modes", "baseline", "--out", str(a_file)
    )


def test_ctrl_c_with_workers_is_one_line_and_exit_130(tmp_path):
    scenario = _scenario(tmp_path, CARTPOLE, train={"iterations": 500, "eval_episodes": 1})
    run = ["run", scenario, "--quiet", "--workers", "2", "--run-dir", str(tmp_path / "run")]
    metrics = tmp_path / "run" / "metrics.csv"
    proc = subprocess.Popen(
        [sys.executable, "-m", "repaint_ma.apps.cli", *run],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    t0 = time.time()
    while not (metrics.exists() and len(metrics.read_text().splitlines()) >= 2):  # the first iteration's row
        assert proc.poll() is None and time.time() - t0 < 120, proc.stderr and proc.stderr.read()
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C in a terminal: the learner and its workers
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == "interrupted; `repaint run ... --resume` continues from the last checkpoint"

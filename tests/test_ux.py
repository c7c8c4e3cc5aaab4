"""What a user sees (issue 24): the score rule beside every score, progress lines off a terminal, the
reward check before a run, re-make commands that keep overrides, a light start-up."""

import csv
import itertools
import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from repaint_ma.apps.cli import main

TINY = """
name: t
env: {id: classic/CartPole-v1, kwargs: {}}
transfer: {mode: baseline}
ppo: {num_envs: 2, steps_per_iteration: 64, epochs: 1, minibatch: 32}
train: {iterations: 3, eval_episodes: 2, target_score: 1000}
"""

CLI = [sys.executable, "-m", "repaint_ma.apps.cli"]


def _write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)


def test_run_off_a_terminal_prints_one_line_per_iteration_and_the_score_rule(tmp_path):
    scenario = _write(tmp_path / "s.yaml", TINY)
    out = _cli("run", str(scenario), "--run-dir", str(tmp_path / "run"))
    assert out.returncode == 0, out.stderr
    lines = re.findall(
        r"^t baseline s0  iteration (\d)/3  env steps (\d+)  score \S+  sps \d+  ETA \d+s$", out.stdout, re.M
    )
    assert lines == [("1", "64"), ("2", "128"), ("3", "192")]
    assert re.search(r"^final score: [\d.-]+ \(stochastic policy, last 3 evaluations x 2 episodes\)$", out.stdout, re.M)
    assert "K (iterations to target): not reached (target 1000)" in out.stdout
    card = yaml.safe_load((tmp_path / "run" / "card.yaml").read_text())
    assert card["score_means"] == "stochastic policy, last 3 evaluations x 2 episodes"


def test_eval_says_which_policy_and_follows_the_runs_rule(tmp_path, capsys):
    scenario = _write(tmp_path / "s.yaml", TINY.replace("iterations: 3", "iterations: 1"))
    for rule, words in (("false", "stochastic policy"), ("true", "deterministic policy")):
        run = tmp_path / f"run-{rule}"
        main(["run", str(scenario), "--quiet", "--run-dir", str(run), "--set", f"train.eval_deterministic={rule}"])
        capsys.readouterr()
        assert main(["eval", str(run), "--episodes", "1"]) == 0
        assert f"({words}, 1 episode; min" in capsys.readouterr().out
    assert main(["eval", str(run), "--episodes", "2", "--stochastic"]) == 0
    assert "(stochastic policy, 2 episodes; min" in capsys.readouterr().out


RACING = """
name: r
env: {id: racing/single-car, kwargs: {track: oval, max_steps: 20}}
reward: {file: REWARD}
transfer: {mode: baseline}
ppo: {num_envs: 1, steps_per_iteration: 16, epochs: 1, minibatch: 16}
train: {iterations: 1, eval_episodes: 1}
"""

SC2 = """
name: s
env: {id: sc2/DefeatRoaches, kwargs: {backend: builtin, step_mul: 480}}
transfer: {mode: baseline}
ppo: {num_envs: 1, steps_per_iteration: 8, epochs: 1, minibatch: 8}
train: {iterations: 1, eval_episodes: 1}
"""

BROKEN_REWARDS = {
    "misspelt": (
        "def reward_function(params):\n    return 1.0 - params['distance_from_centre']\n",
        "reads params['distance_from_centre'], which DeepRacer's params do not have "
        "(did you mean 'distance_from_center'?); valid keys: all_wheels_on_track, ",
    ),
    "syntax": ("def reward_function(params)\n    return 1.0\n", "line 1: syntax error"),
    "no-function": ("def reward(params):\n    return 1.0\n", "defines no function reward_function(params)"),
}


def test_validate_and_run_call_the_reward_file_once_before_training(tmp_path, capsys):
    for name, (body, message) in BROKEN_REWARDS.items():
        reward = _write(tmp_path / f"{name}.py", body)
        scenario = _write(tmp_path / f"{name}.yaml", RACING.replace("REWARD", str(reward)))
        for argv in (["validate", str(scenario)], ["run", str(scenario), "--run-dir", str(tmp_path / name)]):
            assert main(argv) == 2
            err = capsys.readouterr().err.strip()
            assert err.startswith(f"error: {scenario}: reward: ") and "\n" not in err, err
            assert message in err
        assert not (tmp_path / name).exists()  # no training started
    good = _write(tmp_path / "good.py", "def reward_function(params):\n    return 1.0 - params['progress'] / 100\n")
    assert main(["validate", str(_write(tmp_path / "good.yaml", RACING.replace("REWARD", str(good))))]) == 0


def _metrics(run_dir: Path) -> list[dict[str, str]]:
    timing = ("sps", "wall_s")
    return [{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(open(run_dir / "metrics.csv"))]


def test_compare_progress_and_commands_that_re_make_the_runs(tmp_path):
    scenario = _write(tmp_path / "s.yaml", TINY.replace("iterations: 3", "iterations: 60"))
    out_dir = tmp_path / "cmp"
    args = ["--iterations", "2", "--set", "ppo.lr=0.002", "--modes", "baseline", "--seeds", "2", "--out", str(out_dir)]
    printed = []
    for jobs, seed0 in (("1", "0"), ("2", "2")):  # seeds 0, 1 one at a time, then seeds 2, 3 two at once
        res = _cli("compare", str(scenario), *args, "--jobs", jobs, "--seed0", seed0)
        assert res.returncode == 0, res.stderr
        printed.append(res.stdout)
    for out, seeds in zip(printed, ((0, 1), (2, 3)), strict=True):
        assert f"run 1 of 2: baseline seed {seeds[0]}" in out and "run 2 of 2: baseline seed" in out
        assert re.search(r"^finished 1 of 2: baseline seed \d, K not reached, \d+ s; compare ETA \d+s$", out, re.M)
        assert re.search(r"^finished 2 of 2: .* compare ETA 0s$", out, re.M)
    assert "t baseline s0  iteration 2/2" in printed[0]  # one at a time: the run's own lines too
    card = yaml.safe_load((out_dir / "runs" / "baseline-seed0" / "card.yaml").read_text())
    command = shlex.split(card["command"])
    assert command[:2] == ["repaint", "run"] and "train.iterations=2" in command and "ppo.lr=0.002" in command
    # the card's command re-makes the run: the same metrics
    again = tmp_path / "again"
    assert main([*command[1 : command.index("--run-dir")], "--quiet", "--run-dir", str(again)]) == 0
    assert _metrics(again) == _metrics(out_dir / "runs" / "baseline-seed0")
    page = tmp_path / "results.md"
    assert main(["report", str(out_dir), "--out", str(page)]) == 0
    remake = f"`repaint compare {scenario} --set ppo.lr=0.002 --set train.iterations=2 --modes baseline --seeds 4"
    assert remake in page.read_text()


def test_help_and_validate_start_without_torch_and_pybullets_banner():
    code = (
        "import sys; from repaint_ma.apps.cli import build_parser, main; build_parser().format_help(); "
        "assert 'torch' not in sys.modules; "
        "main(['validate', 'scenarios/classic/cartpole.yaml', 'scenarios/racing/single-car.yaml']); "
        "assert 'torch' not in sys.modules, 'validate imported torch'"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count(": ok (") == 2 and out.stderr == ""  # no "pybullet build time" banner


def test_every_option_has_help_and_report_needs_out(capsys):
    import argparse

    from repaint_ma.apps.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    bare = [
        f"{name} {action.dest}"
        for name, parser in sub.choices.items()
        for action in parser._actions
        if not action.help and not isinstance(action, argparse._HelpAction)
    ]
    assert bare == []
    with pytest.raises(SystemExit) as exit_:
        main(["report", "results"])  # never overwrites the tracked docs/results.md by default
    assert exit_.value.code == 2
    assert "the following arguments are required: --out" in capsys.readouterr().err


def test_leaderboard_names_the_files_it_wrote(tmp_path, capsys):
    args = ["--track", "oval", "--entry", "bot:pure-pursuit@3", "--trials", "1", "--laps", "1", "--time-limit", "3"]
    assert main(["leaderboard", *args, "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().err.strip()
    names = ("leaderboard.csv", "leaderboard.json", "leaderboard-oval.png", "index.html")
    assert written == "written: " + ", ".join(str(tmp_path / n) for n in names)


def test_eval_records_a_racing_replay_with_one_frame_per_step(tmp_path, capsys):
    from PIL import Image

    scenario = _write(tmp_path / "r.yaml", RACING.replace("{file: REWARD}", "centerline"))
    run = tmp_path / "run"
    assert main(["run", str(scenario), "--quiet", "--run-dir", str(run), "--set", "env.kwargs.max_steps=6"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--episodes", "1", "--record", str(tmp_path / "replays")]) == 0
    gif = tmp_path / "replays" / "r-seed0.gif"
    assert f"replay: {gif} (7 frames, evaluation episode 1, score " in capsys.readouterr().out
    assert Image.open(gif).n_frames == 7  # the start and one per control step of the 6-step episode


def test_eval_records_an_sc2_replay_with_one_frame_per_step(tmp_path, capsys):
    from PIL import Image

    scenario = _write(tmp_path / "s.yaml", SC2)
    run = tmp_path / "run"
    assert main(["run", str(scenario), "--quiet", "--run-dir", str(run)]) == 0
    capsys.readouterr()
    replays = str(tmp_path / "replays")
    assert main(["eval", str(run), "--episodes", "1", "--deterministic", "--record", replays]) == 0
    out = capsys.readouterr().out
    gif = tmp_path / "replays" / "s-seed0.gif"
    score = re.search(r"score (\S+) ± 0.00 ", out)[1]  # the replay is evaluation episode 1, played again
    assert f"replay: {gif} (5 frames, evaluation episode 1, score {score})" in out
    assert Image.open(gif).n_frames == 5  # the start and one per agent step: 4 steps of 480 game loops


def test_sc2_replay_reads_attacks_and_kills_from_the_frames():
    import envs
    from envs.sc2.frame import ENEMY, SELF
    from envs.sc2.scripted import scripted_or_random
    from repaint_ma.apps.replay_sc2 import FrameRecorder, read_step

    env = envs.make("sc2/DefeatRoaches")
    env.backend = recorder = FrameRecorder(env.backend)
    act = scripted_or_random(env, "scripted", 0)
    obs, _ = env.reset(seed=0)
    for _ in range(25):
        obs, *_ = env.step(act(obs))
    frames = recorder.episodes[0]
    assert len(frames) == 26
    steps = [read_step(a.units, b.units, env.backend.step_mul) for a, b in itertools.pairwise(frames)]
    assert sum(len(s.killed) for s in steps) > 0 and sum(len(s.attacks) for s in steps) > 0

    def near(p: np.ndarray, points: np.ndarray) -> bool:
        return bool(np.isclose(points, p).all(axis=1).any())

    for before, after, step in zip(frames, frames[1:], steps, strict=False):
        own, foe = (np.concatenate([np.c_[f.units.x, f.units.y][f.units.alliance == side] for f in (before, after)])
                    for side in (SELF, ENEMY))  # fmt: skip
        for shooter, target in step.attacks:  # each line joins a Marine and a Roach, one way or the other
            assert (near(shooter, own) and near(target, foe)) or (near(shooter, foe) and near(target, own))

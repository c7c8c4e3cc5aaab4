"""Malformed scenarios: exit code 2, one line naming the file, the key and the expectation."""

import subprocess
import sys
import textwrap

import gymnasium as gym
import pytest

from repaint_ma.apps.cli import main
from repaint_ma.errors import ScenarioError
from repaint_ma.networks import ActorCritic, save_policy
from repaint_ma.scenario import load

GOOD = """
name: t
env: {id: classic/CartPole-v1, kwargs: {}}
transfer: {mode: baseline}
ppo: {num_envs: 2}
train: {iterations: 2}
"""


def _write(tmp_path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _error(tmp_path, capsys, text: str, *extra: str) -> str:
    path = _write(tmp_path, text)
    assert main(["validate", str(path), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {path}: ") and "\n" not in err
    return err


def test_good_scenario_validates(tmp_path, capsys):
    assert main(["validate", str(_write(tmp_path, GOOD))]) == 0
    assert "ok" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "key", "expectation"),
    [
        (GOOD.replace("kwargs: {}", "kwargs: {}, kwarg: 1"), "env.kwarg", "did you mean 'kwargs'"),
        (GOOD + "trian: {}\n", "trian", "did you mean 'train'"),
        (GOOD.replace("num_envs: 2", "num_envs: two"), "ppo.num_envs", "expected an integer, got 'two'"),
        (GOOD.replace("num_envs: 2", "num_envs: 0"), "ppo.num_envs", "expected a value >= 1"),
        (GOOD.replace("mode: baseline", "mode: repaint_"), "transfer.mode", "did you mean 'repaint'"),
        (
            GOOD.replace("mode: baseline", "mode: baseline, selection: {rule: top, fraction: 1.5}"),
            "transfer.selection.fraction",
            "expected a value <= 1.0, got 1.5",
        ),
        (GOOD.replace("classic/CartPole-v1", "classic/CartPol-v1"), "env.id", "did you mean 'classic/CartPole-v1'"),
        (GOOD.replace("mode: baseline", "mode: ks"), "teacher", "needs a teacher"),
        (GOOD + "teacher: {path: no/such/dir}\n", "teacher.path", "does not exist"),
        (GOOD.replace("ppo: {num_envs: 2}", "ppo: {hidden: 64}"), "ppo.hidden", "expected a list of int"),
        (GOOD + "reward: {file: missing.py}\n", "reward.file", "does not exist"),
    ],
)
def test_bad_key_is_named_with_expectation(tmp_path, capsys, text, key, expectation):
    err = _error(tmp_path, capsys, text)
    assert f": {key}: " in err
    assert expectation in err


def test_yaml_syntax_error_gives_line(tmp_path, capsys):
    err = _error(tmp_path, capsys, GOOD + "ppo: {num_envs: [1, 2\n")
    assert "YAML syntax error at line" in err


def test_teacher_with_wrong_spaces_names_both_shapes(tmp_path, capsys):
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    save_policy(ActorCritic(3, gym.spaces.Discrete(2), [8]), teacher / "policy.pt")
    err = _error(tmp_path, capsys, GOOD + f"teacher: {{path: {teacher}}}\n")
    assert ": teacher.path: " in err
    assert "teacher observation shape (3,)" in err and "(4,)" in err


def test_override_goes_through_validation(tmp_path):
    with pytest.raises(ScenarioError, match=r"ppo\.lr: expected a value > 0.0"):
        load(_write(tmp_path, GOOD), {"ppo.lr": -1.0})


def test_cli_exit_code_and_no_traceback(tmp_path):
    path = _write(tmp_path, GOOD.replace("num_envs: 2", "num_envs: -3"))
    out = subprocess.run(
        [sys.executable, "-m", "repaint_ma.apps.cli", "run", str(path)], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert out.stderr.strip() == f"error: {path}: ppo.num_envs: expected a value >= 1, got -3"


def test_shipped_scenarios_validate(capsys):
    from pathlib import Path

    files = sorted(str(p) for p in Path("scenarios").glob("*/*.yaml") if "mujoco" not in p.parts)
    assert main(["validate", *files]) == 0
    assert capsys.readouterr().out.count(": ok (") == len(files)


def test_eval_of_a_run_dir(tmp_path, capsys):
    run = tmp_path / "run"
    path = _write(tmp_path, GOOD.replace("iterations: 2", "iterations: 1"))
    assert main(["run", str(path), "--run-dir", str(run), "--quiet", "--set", "ppo.steps_per_iteration=64"]) == 0
    assert main(["eval", str(run), "--episodes", "3"]) == 0
    assert "t: score " in (out := capsys.readouterr().out) and "(stochastic policy, 3 episodes; min" in out
    assert main(["eval", str(tmp_path / "nothing")]) == 2
    assert "not a run dir" in capsys.readouterr().err


def test_eval_of_a_scenarios_teacher_on_its_target(tmp_path, capsys):
    assert main(["eval", "scenarios/classic/cartpole_transfer.yaml", "--episodes", "2", "--deterministic"]) == 0
    out = capsys.readouterr().out  # the shipped CartPole expert balances for the whole episode
    assert "teacher teachers/cartpole-expert on cartpole-transfer: score 500.00 ± 0.00 (deterministic policy" in out
    assert main(["eval", "scenarios/classic/cartpole.yaml"]) == 2
    assert "scenarios/classic/cartpole.yaml: no teacher to evaluate" in capsys.readouterr().err

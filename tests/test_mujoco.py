"""MuJoCo Reacher/Ant ParallelEnvs: API, exact reproduction of gymnasium's reward, relabelling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from pettingzoo.test import parallel_api_test

import envs
from envs.mujoco import ant_reward, parse_reward_spec, reacher_reward
from repaint_ma.errors import ScenarioError
from repaint_ma.scenario import from_dict, load

pytest.importorskip("mujoco")  # the optional extra: pip install -e .[mujoco]

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios" / "mujoco"
A = "agent_0"


def _rollout(env_id: str, steps: int, seed: int = 0, **kwargs: object) -> list[tuple[float, dict]]:
    """(reward, info) of ``steps`` random-action steps, resetting when the episode ends."""
    env = envs.make(env_id, **kwargs)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    space = env.action_space(A)
    out = []
    for _ in range(steps):
        action = rng.uniform(space.low, space.high).astype(space.dtype)
        _, rewards, terms, truncs, infos = env.step({A: action})
        out.append((rewards[A], infos[A]))
        if terms[A] or truncs[A]:
            env.reset(seed=seed + len(out))
    env.close()
    return out


@pytest.mark.parametrize("env_id", ["mujoco/Reacher", "mujoco/Ant"])
def test_parallel_api(env_id: str) -> None:
    parallel_api_test(envs.make(env_id), num_cycles=20)


def test_info_keys() -> None:
    (_, reacher_info), *_ = _rollout("mujoco/Reacher", 1)
    assert set(reacher_info) == {"reward_dist", "reward_ctrl"}
    (_, ant_info), *_ = _rollout("mujoco/Ant", 1)
    assert set(ant_info) == {
        "x_position",
        "y_position",
        "distance_from_origin",
        "x_velocity",
        "y_velocity",
        "reward_forward",
        "reward_ctrl",
        "reward_contact",
        "reward_survive",
    }


def test_default_weights_reproduce_gymnasium_reacher() -> None:
    steps = _rollout("mujoco/Reacher", 60)  # crosses one 50-step episode end
    assert all(reward == reacher_reward(info) for reward, info in steps)
    relabelled = _rollout("mujoco/Reacher", 60, reward={"w_dist": 1.0, "w_ctrl": 1.0})
    assert [r for r, _ in relabelled] == [r for r, _ in steps]


def test_default_weights_reproduce_gymnasium_ant() -> None:
    steps = _rollout("mujoco/Ant", 40)
    assert all(reward == ant_reward(info) for reward, info in steps)
    relabelled = _rollout("mujoco/Ant", 40, reward="w_forward=1,w_healthy=1,w_ctrl=1,w_contact=1,direction=x")
    assert [r for r, _ in relabelled] == [r for r, _ in steps]


def test_reacher_relabel_stored_info_by_hand() -> None:
    info = {"reward_dist": -0.25, "reward_ctrl": np.float32(-0.5)}
    assert reacher_reward(info) == pytest.approx(-0.75)
    assert reacher_reward(info, w_dist=2.0, w_ctrl=0.1) == pytest.approx(2.0 * -0.25 + 0.1 * -0.5)
    assert reacher_reward(info, w_dist=1.0, w_ctrl=20.0) == pytest.approx(-0.25 - 10.0)


def test_ant_relabel_stored_info_by_hand() -> None:
    info = {
        "x_velocity": 0.5,
        "y_velocity": -2.0,
        "reward_forward": 0.5,
        "reward_survive": 1.0,
        "reward_ctrl": np.float32(-0.25),
        "reward_contact": -0.01,
    }
    assert ant_reward(info) == pytest.approx(0.5 + 1.0 - 0.25 - 0.01)
    weighted = ant_reward(info, w_forward=2.0, w_healthy=0.5, w_ctrl=4.0, w_contact=10.0)
    assert weighted == pytest.approx(2.0 * 0.5 + 0.5 * 1.0 - 4.0 * 0.25 - 10.0 * 0.01)
    assert ant_reward(info, direction="y") == pytest.approx(-2.0 + 1.0 - 0.25 - 0.01)


def test_reacher_env_returns_relabelled_reward_and_keeps_raw_terms() -> None:
    default = _rollout("mujoco/Reacher", 10, seed=3)
    weighted = _rollout("mujoco/Reacher", 10, seed=3, reward="w_dist=2.0, w_ctrl=0.1")
    for (raw_reward, raw_info), (reward, info) in zip(default, weighted, strict=True):
        assert info == raw_info  # same seed and actions: identical raw terms
        assert raw_reward == pytest.approx(info["reward_dist"] + info["reward_ctrl"])
        assert reward == pytest.approx(2.0 * info["reward_dist"] + 0.1 * info["reward_ctrl"])


def test_ant_direction_y_uses_y_velocity() -> None:
    default = _rollout("mujoco/Ant", 15, seed=1)
    along_y = _rollout("mujoco/Ant", 15, seed=1, reward={"direction": "y"})
    for (raw_reward, raw_info), (reward, info) in zip(default, along_y, strict=True):
        assert info["y_velocity"] == raw_info["y_velocity"]
        assert info["reward_forward"] == info["x_velocity"]  # gymnasium's forward term stays along x
        assert reward - raw_reward == pytest.approx(info["y_velocity"] - info["x_velocity"])


@pytest.mark.parametrize("env_id", ["mujoco/Reacher", "mujoco/Ant"])
def test_actions_are_clipped_before_the_control_cost(env_id: str) -> None:
    results = []
    for action in (np.full(8, 3.0), np.ones(8)):
        env = envs.make(env_id)
        env.reset(seed=0)
        n = env.action_space(A).shape[0]
        _, rewards, _, _, infos = env.step({A: action[:n]})
        results.append((rewards[A], infos[A]["reward_ctrl"]))
    assert results[0] == results[1]
    unclipped = envs.make(env_id, clip_actions=False)
    unclipped.reset(seed=0)
    _, _, _, _, infos = unclipped.step({A: np.full(unclipped.action_space(A).shape, 3.0)})
    assert infos[A]["reward_ctrl"] == pytest.approx(9.0 * results[1][1])


def test_bad_reward_specs_name_the_known_keys() -> None:
    with pytest.raises(ValueError, match="w_dist"):
        envs.make("mujoco/Reacher", reward={"w_forward": 1.0})
    with pytest.raises(ValueError, match="key=value"):
        parse_reward_spec("Reacher-v5", "dist_only")
    with pytest.raises(ValueError, match="'x' or 'y'"):
        parse_reward_spec("Ant-v5", "direction=z")
    with pytest.raises(ValueError, match="number"):
        parse_reward_spec("Ant-v5", {"w_ctrl": "lots"})
    assert parse_reward_spec("Ant-v5", "default") is None
    assert parse_reward_spec("Ant-v5", "direction=y, w_ctrl=0.5") == {"direction": "y", "w_ctrl": 0.5}


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_scenarios_validate(path: Path, tmp_path: Path) -> None:
    """Teacher scenarios load as they are; transfer ones once their teacher folder exists."""
    data = yaml.safe_load(path.read_text())
    if data.get("teacher") is None:
        sc = load(path)
    else:
        assert data["teacher"]["path"].startswith(("teachers/reacher-", "teachers/ant-"))
        if not Path(data["teacher"]["path"]).is_dir():
            with pytest.raises(ScenarioError, match=r"teacher\.path"):
                load(path)
        sc = from_dict(data, str(path), {"teacher.path": str(tmp_path)})
    assert sc.train.target_score is not None
    env = envs.make(sc.env.id, **sc.env_kwargs)  # the reward spec parses
    env.close()

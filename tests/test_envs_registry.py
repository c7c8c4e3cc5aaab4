"""The environment registry: known ids, clear errors, and the PettingZoo API on the classic wrapper."""

import importlib.util

import pytest
from pettingzoo.test import parallel_api_test

import envs
from envs.errors import ResetNeeded

NO_MUJOCO = pytest.mark.skipif(importlib.util.find_spec("mujoco") is None, reason="the mujoco extra is not installed")


def test_unknown_id_suggests_and_lists():
    with pytest.raises(KeyError, match=r"Did you mean 'classic/CartPole-v1'\?.*Known ids: .*toy/staggered"):
        envs.make("classic/CartPol-v1")


def test_missing_family_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(envs._REGISTRY, "test/missing", ("envs.not_installed:make", {}))
    with pytest.raises(ImportError, match=r"environment 'test/missing' cannot be built: .*pip install"):
        envs.make("test/missing")


@pytest.mark.parametrize("env_id", ["classic/CartPole-v1", "classic/Pendulum-v1"])
def test_classic_envs_pass_parallel_api_test(env_id):
    env = envs.make(env_id)
    parallel_api_test(env, num_cycles=50)
    assert env.observation_space("agent_0") is env.observation_space("agent_0")


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("racing/multi-car", {"cars": 2, "bots": 1, "max_steps": 20}),
        ("classic/CartPole-v1", {}),
        pytest.param("mujoco/Reacher", {}, marks=NO_MUJOCO),
        ("toy/staggered", {}),
        ("sc2/MoveToBeacon", {"step_mul": 64}),  # 30 agent steps
    ],
)
def test_step_with_no_live_agent_asks_for_reset(env_id, kwargs):
    env = envs.make(env_id, **kwargs)
    env.reset(seed=0)
    space = env.action_space(env.possible_agents[0])
    space.seed(0)
    while env.agents:
        env.step({a: space.sample() for a in env.agents})
    with pytest.raises(ResetNeeded, match="reset"):  # even with (stale) actions for every agent
        env.step({a: space.sample() for a in env.possible_agents})
    env.reset(seed=1)
    assert env.agents
    env.step({a: space.sample() for a in env.agents})
    env.close()

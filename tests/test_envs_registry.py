"""The environment registry: known ids, clear errors, and the PettingZoo API on the classic wrapper."""

import pytest
from pettingzoo.test import parallel_api_test

import envs


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

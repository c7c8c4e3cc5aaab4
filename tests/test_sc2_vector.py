"""The native batch of built-in-engine games (``envs.make_vec("sc2/...")``) against the reference:
``VecParallelEnv`` over ``SC2Env`` copies. Same seeds and actions must give the same slots,
observations, masks, rewards, terminations and finished-episode scores, step by step."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.sc2.vector import SC2VecEnv
from envs.vector import VecParallelEnv


def random_actions(rng: np.random.Generator, masks: np.ndarray) -> np.ndarray:
    """A uniform choice among each slot's allowed actions (no-op included)."""
    scores = rng.random(masks.shape) * masks
    return scores.argmax(axis=1)


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("sc2/DefeatRoaches", {}),
        ("sc2/DefeatZerglingsAndBanelings", {"reward": "damage_dealt"}),
        ("sc2/FindAndDefeatZerglings", {}),
        ("sc2/CollectMineralShards", {"k_targets": 4}),
        ("sc2/MoveToBeacon", {}),
    ],
)
def test_native_batch_matches_vec_parallel_env(env_id: str, kwargs: dict) -> None:
    num_envs, steps = 3, 250  # 250 > 240 steps: the movement maps end their episodes too
    fast = envs.make_vec(env_id, num_envs, True, True, 5, **kwargs)
    assert isinstance(fast, SC2VecEnv)
    ref = VecParallelEnv([lambda: envs.make(env_id, **kwargs)] * num_envs, True, True, env_offset=5)
    assert (fast.num_slots, fast.obs_dim, fast.mask_dim) == (ref.num_slots, ref.obs_dim, ref.mask_dim)
    fast.reset(seed=11)
    ref.reset(seed=11)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        np.testing.assert_array_equal(fast.alive, ref.alive)
        live = ref.alive
        np.testing.assert_array_equal(fast.obs[live], ref.obs[live])
        np.testing.assert_array_equal(fast.masks[live], ref.masks[live])
        actions = random_actions(rng, ref.masks)
        held, before = fast.masks, fast.masks.copy()  # the learner stores the masks it acted on after the step
        a, b = fast.step(actions), ref.step(actions)
        np.testing.assert_array_equal(held, before)
        for key in ("reward", "terminated", "truncated", "next_obs"):
            np.testing.assert_array_equal(a[key][live], b[key][live], err_msg=key)
    assert len(ref.finished_scores) > 0
    np.testing.assert_allclose(fast.finished_scores, ref.finished_scores, rtol=1e-12)


def test_envs_without_a_native_batch_give_a_vec_parallel_env() -> None:
    vec = envs.make_vec("classic/CartPole-v1", 2, False, True, 0)
    assert isinstance(vec, VecParallelEnv) and vec.num_slots == 2

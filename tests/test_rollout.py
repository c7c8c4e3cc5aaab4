"""Slots, masks and finished agents on the staggered toy env (agents end at steps 3, 5 and 6)."""

from functools import partial

import numpy as np
import torch
from pettingzoo.test import parallel_api_test

import envs
from envs.vector import VecParallelEnv
from repaint_ma.networks import ActorCritic
from repaint_ma.rollout import collect, evaluate
from repaint_ma.teacher import Teacher
from repaint_ma.workers import TeacherRollouts, sharded


def _vec(num_envs: int = 1, **kw) -> VecParallelEnv:
    return VecParallelEnv([lambda: envs.make("toy/staggered", **kw)] * num_envs, agent_indicator=True)


def test_toy_env_passes_parallel_api_test():
    parallel_api_test(envs.make("toy/staggered"), num_cycles=20)


def test_finished_agents_contribute_no_samples():
    vec = _vec(num_envs=2, lifetimes=(3, 5, 8), max_steps=6)
    vec.reset(seed=0)
    net = ActorCritic(vec.obs_dim, vec.action_space, [8])
    ro = collect(vec, 6, net)
    # per episode of 6 steps: agent_0 acts 3 times, agent_1 5 times, agent_2 6 times (time limit)
    assert ro.valid.sum(0).tolist() == [3, 5, 6, 3, 5, 6]
    assert ro.dones[:, 0].nonzero().squeeze(1).tolist() == [2]
    assert ro.terminated[:, 1].nonzero().squeeze(1).tolist() == [4]
    assert ro.dones[:, 2].nonzero().squeeze(1).tolist() == [5] and not ro.terminated[:, 2].any()
    flat = ro.flat()
    assert len(flat["obs"]) == 28
    # the env reset after step 6: every slot is alive again
    assert vec.alive.all()


def test_illegal_actions_are_masked_in_rollouts():
    vec = _vec(num_envs=4)
    vec.reset(seed=1)
    net = ActorCritic(vec.obs_dim, vec.action_space, [8])
    ro = collect(vec, 50, net)
    even = torch.tensor([i % 3 in (0, 2) for i in range(vec.num_slots)])  # agent_0, agent_2
    acted = ro.valid & even
    assert (ro.actions[acted] != 2).all()
    odd = ro.valid & ~even
    assert (ro.actions[odd] == 2).any()


def test_agent_indicator_and_seeding():
    a, b = _vec(), _vec()
    a.reset(seed=3)
    b.reset(seed=3)
    np.testing.assert_array_equal(a.obs, b.obs)
    np.testing.assert_array_equal(a.obs[:, -3:], np.eye(3))


def test_teacher_rollouts_collected_ahead_equal_in_process_ones():
    """S~ never depends on the student: a forked worker one iteration ahead, seeded alike, hands over
    exactly the rollouts the learner's process would collect, normalised with the student's statistics
    at hand-over."""
    dim, space = _vec().obs_dim, _vec().action_space
    teacher = Teacher(ActorCritic(dim, space, [8]), lambda obs, mask: (obs, mask), {})
    student = ActorCritic(dim, space, [8])
    student.normalize(torch.randn(64, dim) * 3 + 1, update=True)  # statistics far from identity
    ahead = TeacherRollouts(lambda: _vec(num_envs=2), teacher, student, 7, reset_seed=4, ahead=True, torch_seed=9)
    torch.manual_seed(9)
    here = TeacherRollouts(lambda: _vec(num_envs=2), teacher, student, 7, reset_seed=4)
    for _ in range(3):
        a, b = ahead.next(student), here.next(student)
        for name in ("obs", "next_obs", "masks", "actions", "logprobs", "rewards", "dones", "valid"):
            assert torch.equal(getattr(a, name), getattr(b, name)), name
        assert not torch.equal(a.obs, student.normalize(a.obs))  # really normalised, once
    ahead.close()
    here.close()


def _toy_shard(n: int, offset: int, autoreset: bool = True) -> VecParallelEnv:
    toy = lambda: envs.make("toy/staggered", lifetimes=(3, 5, 8), max_steps=6)  # noqa: E731
    return VecParallelEnv([toy] * n, agent_indicator=True, autoreset=autoreset, env_offset=offset)


def test_workers_sampling_whole_rollouts_fill_their_slots_in_order():
    """Two workers roll their halves with their own copies of the policy; the learner gets one rollout
    with the slots in env order, the staggered lifetimes in every env, and the workers' state."""
    vec = sharded(_toy_shard, 4, 2, sample_in_workers=True)
    vec.reset(0)
    net = ActorCritic(vec.obs_dim, vec.action_space, [8])
    ro = collect(vec, 6, net)
    vec.close()
    assert ro.obs.shape == (6, 12, vec.obs_dim) and ro.actions.shape == (6, 12)
    assert ro.valid.sum(0).tolist() == [3, 5, 6] * 4
    np.testing.assert_array_equal(ro.obs[0, :, -3:].numpy() != 0, np.tile(np.eye(3, dtype=bool), (4, 1)))
    assert len(vec.finished_scores) == 4 and vec.alive.all()
    assert (ro.actions[ro.valid & (torch.arange(12) % 3 != 1)] != 2).all()  # masks hold in the workers


def test_workers_sampling_play_the_evaluation_episodes_of_the_learner():
    """Each worker plays its envs' evaluation episodes (seeded by global env index): with the greedy
    policy, the same scores as stepping every env from the learner."""
    torch.manual_seed(0)
    here = _toy_shard(4, 0, autoreset=False)
    net = ActorCritic(here.obs_dim, here.action_space, [8])
    net.normalize(torch.randn(64, here.obs_dim), update=True)
    there = sharded(partial(_toy_shard, autoreset=False), 4, 2, sample_in_workers=True)
    scores = evaluate(net, there, seed=5, deterministic=True)
    there.close()
    assert sorted(scores) == sorted(evaluate(net, here, seed=5, deterministic=True))
    assert len(scores) == 4 and len(set(scores)) > 1  # the envs' episodes differ: offsets matter

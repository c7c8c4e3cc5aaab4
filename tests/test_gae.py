"""GAE against hand-computed values: truncation bootstraps V(s'), termination does not."""

import pytest
import torch

import envs
from envs.classic import GymParallelEnv
from envs.vector import VecParallelEnv
from repaint_ma.learner import advantages_of
from repaint_ma.networks import ActorCritic
from repaint_ma.rollout import collect, compute_gae
from repaint_ma.scenario import PPOSpec


def test_gae_truncation_vs_termination_hand_computed():
    # one slot, three steps: s0 -> s1 (continues), s1 -> final (truncated, V=2), s2 -> end (terminated)
    rewards = torch.tensor([[1.0], [2.0], [3.0]])
    values = torch.tensor([[0.5], [1.0], [1.5]])
    next_values = torch.tensor([[1.0], [2.0], [0.0]])
    dones = torch.tensor([[False], [True], [True]])
    valid = torch.ones(3, 1, dtype=torch.bool)
    adv, ret = compute_gae(rewards, values, next_values, dones, valid, gamma=0.9, gae_lambda=0.8)
    # delta = [1 + .9*1 - .5, 2 + .9*2 - 1, 3 - 1.5] = [1.4, 2.8, 1.5]; A0 = 1.4 + .72 * 2.8
    assert adv.squeeze(1).tolist() == pytest.approx([3.416, 2.8, 1.5])
    assert ret.squeeze(1).tolist() == pytest.approx([3.916, 3.8, 3.0])


def test_gae_invalid_steps_are_zero_and_do_not_leak():
    rewards = torch.tensor([[1.0, 5.0], [1.0, 5.0]])
    values = torch.zeros(2, 2)
    next_values = torch.zeros(2, 2)
    dones = torch.tensor([[False, False], [False, False]])
    valid = torch.tensor([[True, False], [True, False]])
    adv, _ = compute_gae(rewards, values, next_values, dones, valid, gamma=1.0, gae_lambda=1.0)
    assert adv[:, 1].tolist() == [0.0, 0.0]
    assert adv[:, 0].tolist() == [2.0, 1.0]


def _const_critic(vec: VecParallelEnv, value: float) -> ActorCritic:
    net = ActorCritic(vec.obs_dim, vec.action_space, [4], norm_obs=False)
    with torch.no_grad():
        for p in net.critic.parameters():
            p.zero_()
        net.critic[-1].bias.fill_(value)
    return net


def test_rollout_flags_truncation_and_termination():
    # CartPole with a 3-step time limit: steps end in truncation (or termination if it falls)
    vec = VecParallelEnv([lambda: GymParallelEnv("CartPole-v1", max_episode_steps=3)])
    vec.reset(seed=0)
    net = _const_critic(vec, 10.0)
    ro = collect(vec, 6, net)
    assert ro.dones[:, 0].tolist() == [False, False, True, False, False, True]
    assert not ro.terminated.any()
    adv, _ = advantages_of(net, ro, PPOSpec(gamma=0.5, gae_lambda=1.0))
    # V == 10 everywhere; truncation bootstraps V(final) = 10: A_t = 1 + .5*10 - 10 (+ .5 A_{t+1})
    assert adv[:, 0].tolist() == pytest.approx([-4 - 2 - 1, -4 - 2, -4] * 2)


def test_termination_is_not_bootstrapped():
    vec = VecParallelEnv([lambda: envs.make("toy/staggered", lifetimes=(2,), max_steps=5)])
    vec.reset(seed=0)
    net = _const_critic(vec, 10.0)
    ro = collect(vec, 2, net)
    assert ro.terminated[:, 0].tolist() == [False, True]
    adv, _ = advantages_of(net, ro, PPOSpec(gamma=0.5, gae_lambda=1.0))
    r = ro.rewards[:, 0]
    a1 = r[1] - 10.0  # terminated: no V(s')
    a0 = r[0] + 0.5 * 10.0 - 10.0 + 0.5 * a1
    assert adv[:, 0].tolist() == pytest.approx([a0.item(), a1.item()])

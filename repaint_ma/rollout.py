"""Rollouts on a vector of envs (``envs.vector.VecEnv``): the rollout buffer, GAE, evaluation episodes.

Layout: ``num_envs`` ParallelEnvs x ``possible_agents`` = ``N`` *slots*; every tensor in a
rollout is ``(T, N, ...)``. ``valid[t, n]`` says whether slot ``n``'s agent acted at step
``t``: an agent that finished (or has not joined yet) fills no sample, so padding never
reaches a loss. An env whose agents have all finished is reset in place.

Seeds: a run (re)started at iteration ``start`` draws every stream from ``stream_seed``; a vector's env
``e`` plays its ``j``-th episode on ``reset seed + e + EPISODE_SEED_STRIDE * j``; evaluation episodes
add ``EVAL_SEED_OFFSET``, so they never share seeds with training episodes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from envs.vector import VecEnv
from repaint_ma.networks import ActorCritic
from repaint_ma.teacher import Teacher

Policy = ActorCritic | Teacher  # both act on raw observations through ``act_raw``

EVAL_SEED_OFFSET = 1_000_000  # evaluation episodes never share seeds with training episodes
RESTART_STRIDE = 7919  # a run (re)started at iteration k resets its envs on seed + RESTART_STRIDE * k
STREAM_OFFSETS = {"student": 0, "teacher_envs": 104_729, "teacher_sampling": 15_485_863}  # primes


def stream_seed(seed: int, start: int, stream: str) -> int:
    """The seed of one random stream of a run with ``seed`` (re)started at iteration ``start``: the student's
    env resets, the teacher's env resets (S~) and the teacher's action sampling when it runs ahead."""
    return seed + RESTART_STRIDE * start + STREAM_OFFSETS[stream]


@dataclass
class Rollout:
    """Tensors ``(T, N, ...)`` of one collection; ``valid`` marks real samples."""

    obs: torch.Tensor  # normalised with the student's statistics at collection time
    next_obs: torch.Tensor
    masks: torch.Tensor | None
    actions: torch.Tensor
    logprobs: torch.Tensor  # log-prob under the behaviour policy (student or teacher)
    rewards: torch.Tensor
    terminated: torch.Tensor
    dones: torch.Tensor  # terminated or truncated: the agent's episode ended here
    valid: torch.Tensor
    teacher_params: torch.Tensor | None  # teacher's distribution on these states (for KS)

    def flat(self, **extra: torch.Tensor) -> dict[str, torch.Tensor]:
        """The valid samples as a flat batch (``b_obs`` etc. in CleanRL), plus ``extra`` (T, N) tensors."""
        v = self.valid
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out |= extra
        return {k: x[v] for k, x in out.items() if x is not None and k != "valid"}


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    next_values: torch.Tensor,
    dones: torch.Tensor,
    valid: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over ``(T, N)`` tensors; returns (advantages, returns).

    ``next_values[t]`` is V(s'_t) already zeroed where the episode *terminated*; on a
    time-limit truncation it is V(final observation), so truncation is bootstrapped and
    termination is not. ``dones`` (terminated or truncated) cuts the recursion:
        delta_t = r_t + gamma * V(s'_t) - V(s_t)
        A_t     = delta_t + gamma * lambda * (1 - done_t) * A_{t+1}
    """
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(rewards[0])
    not_done = 1.0 - dones.float()
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + gamma * next_values[t] - values[t]
        last = (delta + gamma * gae_lambda * not_done[t] * last) * valid[t]
        advantages[t] = last
    return advantages, advantages + values


def normalized(ro: Rollout, student: ActorCritic) -> Rollout:
    """A rollout of raw observations with them normalised by the student's statistics as they are now."""
    return replace(ro, obs=student.normalize(ro.obs), next_obs=student.normalize(ro.next_obs))


def cat_slots(rollouts: list[Rollout]) -> Rollout:
    """One rollout from rollouts of consecutive slot ranges (the shards of a vector), side by side."""
    parts = {f.name: [getattr(ro, f.name) for ro in rollouts] for f in fields(Rollout)}
    return Rollout(**{k: None if xs[0] is None else torch.cat(xs, dim=1) for k, xs in parts.items()})


@torch.no_grad()
def roll(vec: VecEnv, num_steps: int, policy: Policy) -> Rollout:
    """The rollout loop: ``num_steps`` vector steps with ``policy`` acting on every live slot.

    Returns raw observations and no ``teacher_params`` (``collect`` adds both). Buffers are NumPy
    until the end (a NumPy row write is several times cheaper than a torch one); one forward pass
    per step serves every env and agent.
    """
    T, N = num_steps, vec.num_slots
    obs = np.zeros((T, N, vec.obs_dim), np.float32)
    next_obs = np.zeros((T, N, vec.obs_dim), np.float32)
    masks = np.zeros((T, N, vec.mask_dim), bool) if vec.has_mask else None
    rewards = np.zeros((T, N), np.float32)
    terminated, dones, valid = (np.zeros((T, N), bool) for _ in range(3))
    actions, logprobs = [], []
    for t in range(T):
        obs[t], valid[t] = vec.obs, vec.alive
        mask = None
        if masks is not None:
            masks[t] = vec.masks
            mask = torch.from_numpy(masks[t])
        action, logprob = policy.act_raw(torch.from_numpy(obs[t]), mask)
        step = vec.step(action.numpy())
        actions.append(action)
        logprobs.append(logprob)
        next_obs[t], rewards[t], terminated[t] = step["next_obs"], step["reward"], step["terminated"]
        dones[t] = step["terminated"] | step["truncated"]
    return Rollout(
        obs=torch.from_numpy(obs),
        next_obs=torch.from_numpy(next_obs),
        masks=None if masks is None else torch.from_numpy(masks),
        actions=torch.stack(actions),
        logprobs=torch.stack(logprobs),
        rewards=torch.from_numpy(rewards),
        terminated=torch.from_numpy(terminated),
        dones=torch.from_numpy(dones),
        valid=torch.from_numpy(valid),
        teacher_params=None,
    )


@runtime_checkable
class SelfSampling(Protocol):
    """A vector whose workers hold a policy copy and roll whole rollouts, or play evaluation episodes,
    where their envs are (``workers.SamplingVecEnv``): one message per rollout instead of one per step."""

    def roll(self, num_steps: int, policy: Policy) -> Rollout: ...

    def evaluate(self, policy: Policy, seed: int, deterministic: bool) -> list[float]: ...


def collect(
    vec: VecEnv,
    num_steps: int,
    student: ActorCritic,
    teacher: Teacher | None = None,
    act_with_teacher: bool = False,
    update_obs_norm: bool = False,
    normalize: bool = True,
) -> Rollout:
    """Roll ``num_steps`` vector steps; student rollouts (S) and teacher rollouts (S~) share this path.

    With ``act_with_teacher`` the teacher acts and its log-probs are stored (the denominator
    of rho in L_ins); otherwise the student acts and, if a ``teacher`` is given, the
    teacher's distribution on these states is stored for the kickstarting cross-entropy
    (one batched pass over the whole rollout). Observations are stored normalised with the
    student's statistics as they were during the rollout (raw with ``normalize=False``: see
    ``normalized``); with ``update_obs_norm`` the statistics then absorb this rollout's
    observations (for the next iteration). A ``SelfSampling`` vector runs ``roll`` in each worker.
    """
    policy = teacher if act_with_teacher else student
    ro = vec.roll(num_steps, policy) if isinstance(vec, SelfSampling) else roll(vec, num_steps, policy)
    if teacher is not None and not act_with_teacher:  # pi_T on S, for the KS term: one batched pass
        T, N = ro.valid.shape
        flat_masks = ro.masks.flatten(0, 1) if ro.masks is not None else None
        params = teacher.dist(ro.obs.flatten(0, 1), flat_masks).params.view(T, N, -1)
        ro = replace(ro, teacher_params=params)
    raw_obs = ro.obs
    if normalize:
        ro = normalized(ro, student)
    if update_obs_norm:
        student.normalize(raw_obs[ro.valid], update=True)
    return ro


@torch.no_grad()
def evaluate(policy: Policy, vec: VecEnv, seed: int, deterministic: bool = True) -> list[float]:
    """Run one episode in each env of ``vec`` (built with ``autoreset=False``); return the scores.

    Env ``e`` is reset with seed ``EVAL_SEED_OFFSET + seed + e``, so repeated evaluations
    see the same episodes. An episode's score is the sum over steps of the mean reward of
    the agents alive at that step (the team score for a shared reward, the return for one agent).
    A ``Teacher`` plays through its adapter, on its own normalisation statistics.
    """
    if isinstance(vec, SelfSampling):  # the workers play their envs' episodes themselves
        return vec.evaluate(policy, seed, deterministic)
    vec.finished_scores.clear()
    vec.reset(EVAL_SEED_OFFSET + seed)
    while vec.running:
        mask = torch.from_numpy(vec.masks) if vec.has_mask else None
        action, _ = policy.act_raw(torch.from_numpy(vec.obs), mask, deterministic)
        vec.step(action.numpy())
    return list(vec.finished_scores)

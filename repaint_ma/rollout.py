"""Vectorised multi-agent stepping, the rollout buffer, and GAE.

Layout: ``num_envs`` ParallelEnvs x ``possible_agents`` = ``N`` *slots*; every tensor in a
rollout is ``(T, N, ...)``. ``valid[t, n]`` says whether slot ``n``'s agent acted at step
``t``: an agent that finished (or has not joined yet) fills no sample, so padding never
reaches a loss. An env whose agents have all finished is reset in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np
import torch
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs import EPISODE_SEED_STRIDE
from repaint_ma.networks import ActorCritic
from repaint_ma.teacher import Teacher


class VecParallelEnv:
    """Steps ``len(env_fns)`` ParallelEnvs as one batch of slots (one per env and agent).

    Args:
        env_fns: callables building identical envs.
        agent_indicator: append a one-hot of the agent's index to its observation.
        autoreset: reset an env when all its agents are done (off for evaluation episodes).
        env_offset: global index of the first env (a worker's share of a larger vector keeps
            the seeds the whole vector would give it).
    """

    def __init__(
        self,
        env_fns: list[Callable[[], ParallelEnv]],
        agent_indicator: bool = False,
        autoreset: bool = True,
        env_offset: int = 0,
    ) -> None:
        self.envs = [fn() for fn in env_fns]
        self.agents = list(self.envs[0].possible_agents)
        self.num_envs, self.num_agents = len(self.envs), len(self.agents)
        self.num_slots = self.num_envs * self.num_agents
        self.agent_indicator, self.autoreset = agent_indicator, autoreset
        space = self.envs[0].observation_space(self.agents[0])
        self.has_mask = isinstance(space, spaces.Dict)
        base = space["observation"] if self.has_mask else space
        self.base_obs_dim = int(np.prod(base.shape))
        self.obs_dim = self.base_obs_dim + (self.num_agents if agent_indicator else 0)
        self.mask_dim = int(np.prod(space["action_mask"].shape)) if self.has_mask else 0
        self.action_space = self.envs[0].action_space(self.agents[0])
        self.obs = np.zeros((self.num_slots, self.obs_dim), np.float32)
        if agent_indicator:
            self.obs[:, self.base_obs_dim :] = np.tile(np.eye(self.num_agents), (self.num_envs, 1))
        self.masks = np.ones((self.num_slots, max(self.mask_dim, 1)), bool)
        self.alive = np.zeros(self.num_slots, bool)
        self.episode_score = np.zeros(self.num_envs)  # sum over steps of the mean live reward
        self.finished_scores: list[float] = []
        self.env_offset = env_offset
        self._seed = 0
        self._episodes = np.zeros(self.num_envs, int)  # episodes started per env

    def _write(self, e: int, obs: dict, out_obs: np.ndarray, out_mask: np.ndarray) -> None:
        base = e * self.num_agents
        for i, agent in enumerate(self.agents):
            if agent in obs:
                o = obs[agent]
                if self.has_mask:
                    out_mask[base + i] = o["action_mask"]
                    o = o["observation"]
                out_obs[base + i, : self.base_obs_dim] = np.ravel(o)

    def _reset_env(self, e: int) -> None:
        # env e's j-th episode: seed + global env index + EPISODE_SEED_STRIDE * j
        seed = self._seed + self.env_offset + e + EPISODE_SEED_STRIDE * int(self._episodes[e])
        obs, _ = self.envs[e].reset(seed=seed)
        self._episodes[e] += 1
        self._write(e, obs, self.obs, self.masks)
        sl = slice(e * self.num_agents, (e + 1) * self.num_agents)
        self.alive[sl] = [a in self.envs[e].agents for a in self.agents]

    def reset(self, seed: int) -> None:
        """Reset every env; env ``e`` gets seed ``seed + e`` (then fresh seeds per episode)."""
        self._seed = seed
        self._episodes[:] = 0
        for e in range(self.num_envs):
            self._reset_env(e)
        self.episode_score[:] = 0.0

    def step(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        """Act for every live slot; returns the transition arrays ``(N, ...)`` of this step.

        ``next_obs`` is s' of each transition (the final observation where the agent's
        episode ended). ``self.obs``/``self.masks``/``self.alive`` then hold the next state,
        with finished envs already reset.
        """
        n = self.num_slots
        out = {
            "reward": np.zeros(n, np.float32),
            "terminated": np.zeros(n, bool),
            "truncated": np.zeros(n, bool),
            "next_obs": self.obs.copy(),
        }
        next_masks = self.masks.copy()
        reset_any = False
        for e, env in enumerate(self.envs):
            base = e * self.num_agents
            if not env.agents:
                continue
            acts = {a: actions[base + self.agents.index(a)] for a in env.agents}
            obs, rew, term, trunc, _ = env.step(acts)
            for i, agent in enumerate(self.agents):
                if agent in rew:
                    out["reward"][base + i] = rew[agent]
                    out["terminated"][base + i] = term[agent]
                    out["truncated"][base + i] = trunc[agent]
            self._write(e, obs, out["next_obs"], next_masks)
            self.episode_score[e] += sum(rew.values()) / len(rew) if rew else 0.0
            sl = slice(base, base + self.num_agents)
            self.alive[sl] = [a in env.agents for a in self.agents]
            if not env.agents:
                self.finished_scores.append(float(self.episode_score[e]))
                self.episode_score[e] = 0.0
                reset_any = True
        self.obs[:, : self.base_obs_dim] = out["next_obs"][:, : self.base_obs_dim]
        self.masks = next_masks
        if reset_any and self.autoreset:
            for e, env in enumerate(self.envs):
                if not env.agents:
                    self._reset_env(e)
        return out

    @property
    def running(self) -> bool:
        """Whether any env still has live agents (always true with autoreset)."""
        return any(env.agents for env in self.envs)

    def close(self) -> None:
        for env in self.envs:
            env.close()


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
def roll(vec: VecParallelEnv, num_steps: int, policy: ActorCritic | Teacher) -> Rollout:
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


def collect(
    vec: VecParallelEnv,
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
    observations (for the next iteration). A vector whose workers sample actions themselves
    (``sample_in_workers``) runs ``roll`` in each worker.
    """
    policy = teacher if act_with_teacher else student
    if getattr(vec, "sample_in_workers", False):
        ro = vec.roll(num_steps, policy)
    else:
        ro = roll(vec, num_steps, policy)
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

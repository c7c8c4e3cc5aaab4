"""The vector-env interface the learner steps (``VecEnv``) and its generic implementation.

A *vector* holds ``num_envs`` copies of one PettingZoo ParallelEnv as ``num_slots = num_envs x
num_agents`` agent *slots* (slot ``e * num_agents + i`` is env ``e``'s ``possible_agents[i]``). Every
array it exposes is per slot; ``alive[n]`` says whether slot ``n``'s agent acts now (an agent that
finished, or has not joined yet, fills no sample). ``envs.make_vec`` always returns one: the env's
native batch where it registers one (``envs.sc2.vector.SC2VecEnv``), else a ``VecParallelEnv`` over
``envs.make`` copies; both give the same transitions (tests/test_sc2_vector.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs import EPISODE_SEED_STRIDE


class VecEnv(Protocol):
    """What the learner reads and calls on a vector of multi-agent envs (SB3's ``VecEnv``, per slot).

    Attributes:
        agents: ``possible_agents`` of one env; ``num_envs``, ``num_agents``, ``num_slots``: the sizes.
        obs_dim: observation size per slot (``base_obs_dim`` plus the agent indicator, if any).
        has_mask, mask_dim: whether observations carry an action mask, and its size (0 without).
        action_space: one agent's action space (the same for all).
        obs, masks, alive: ``(num_slots, obs_dim)``, ``(num_slots, max(mask_dim, 1))``, ``(num_slots,)``:
            the current state, finished envs already reset (with autoreset).
        finished_scores: scores of the episodes finished since the caller last cleared it.
        running: whether any env still has live agents (always true with autoreset).
    """

    agents: list[str]
    num_envs: int
    num_agents: int
    num_slots: int
    base_obs_dim: int
    obs_dim: int
    has_mask: bool
    mask_dim: int
    action_space: spaces.Space
    obs: np.ndarray
    masks: np.ndarray
    alive: np.ndarray
    finished_scores: list[float]

    @property
    def running(self) -> bool: ...

    def reset(self, seed: int) -> None:
        """Reset every env; env ``e`` plays its ``j``-th episode on ``seed + offset + e + EPISODE_SEED_STRIDE * j``."""

    def step(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        """Act for every live slot; returns ``reward``, ``terminated``, ``truncated``, ``next_obs`` per slot
        (``next_obs``: s' of each transition, the final observation where the agent's episode ended)."""
        ...

    def close(self) -> None: ...


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

"""A tiny NumPy multi-agent env for tests: agents finish at different steps, masks matter.

``StaggeredEnv``: agent ``agent_i`` lives ``lifetimes[i]`` steps (termination), or until
``max_steps`` (truncation). Observation: ``[agent index / n, t / max_steps, target / 2]``,
where ``target`` (0, 1 or 2) is drawn per agent at reset. Action space Discrete(3); the
reward is 1 for choosing ``target`` and 0 otherwise. The action mask forbids action 2 for
even-indexed agents (their target is then drawn from {0, 1}), so a policy that ignores the
mask picks illegal actions. The optimal return of agent i is its lifetime.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.errors import check_live, check_number


class StaggeredEnv(ParallelEnv):
    metadata: ClassVar[dict[str, Any]] = {"name": "toy_staggered_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(
        self,
        lifetimes: tuple[int, ...] = (3, 5, 8),
        max_steps: int = 6,
        render_mode: str | None = None,
    ) -> None:
        check_number("max_steps", max_steps, 1)
        self.lifetimes = tuple(lifetimes)
        self.max_steps = max_steps
        self.render_mode = render_mode
        self.possible_agents = [f"agent_{i}" for i in range(len(self.lifetimes))]
        self.agents: list[str] = []
        self._obs_space = spaces.Dict(
            {
                "observation": spaces.Box(0.0, 1.0, (3,), np.float32),
                "action_mask": spaces.Box(0, 1, (3,), np.int8),
            }
        )
        self._act_space = spaces.Discrete(3)
        self._rng = np.random.default_rng()
        self._t = 0
        self._target: dict[str, int] = {}

    def observation_space(self, agent: str) -> spaces.Dict:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Discrete:
        return self._act_space

    def _mask(self, i: int) -> np.ndarray:
        return np.array([1, 1, i % 2], dtype=np.int8)

    def _obs(self, agent: str) -> dict[str, np.ndarray]:
        i = self.possible_agents.index(agent)
        x = [i / len(self.possible_agents), self._t / self.max_steps, self._target[agent] / 2]
        return {"observation": np.array(x, np.float32), "action_mask": self._mask(i)}

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._t = 0
        self.agents = self.possible_agents[:]
        self._target = {a: int(self._rng.integers(0, 2 + i % 2)) for i, a in enumerate(self.possible_agents)}
        return {a: self._obs(a) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        check_live(self.agents, type(self).__name__)
        self._t += 1
        rewards = {a: float(int(actions[a]) == self._target[a]) for a in self.agents}
        terms = {a: self._t >= self.lifetimes[self.possible_agents.index(a)] for a in self.agents}
        truncs = {a: self._t >= self.max_steps and not terms[a] for a in self.agents}
        obs = {a: self._obs(a) for a in self.agents}
        infos: dict[str, dict] = {a: {} for a in self.agents}
        self.agents = [a for a in self.agents if not (terms[a] or truncs[a])]
        return obs, rewards, terms, truncs, infos

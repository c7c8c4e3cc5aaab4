"""Gymnasium single-agent environments as one-agent PettingZoo ParallelEnvs."""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from pettingzoo import ParallelEnv

from envs.errors import check_live


class GymParallelEnv(ParallelEnv):
    """Wrap ``gymnasium.make(gym_id)`` as a ParallelEnv with the single agent ``agent_0``.

    The agent leaves ``agents`` when the wrapped episode terminates or is truncated; the
    gymnasium ``info`` dict is passed through unchanged as ``infos["agent_0"]``.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "name": "gym_parallel_v0",
        "render_modes": ["rgb_array"],
        "is_parallelizable": True,
    }

    def __init__(self, gym_id: str, render_mode: str | None = None, **gym_kwargs: Any) -> None:
        self.gym_id = gym_id
        self.render_mode = render_mode
        self._env = gym.make(gym_id, render_mode=render_mode, disable_env_checker=True, **gym_kwargs)
        self.possible_agents = ["agent_0"]
        self.agents: list[str] = []
        self.metadata = {**self.metadata, "name": f"{gym_id}_parallel"}

    def observation_space(self, agent: str) -> gym.Space:
        return self._env.observation_space

    def action_space(self, agent: str) -> gym.Space:
        return self._env.action_space

    def reset(
        self, seed: int | None = None, options: dict | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, dict]]:
        obs, info = self._env.reset(seed=seed, options=options)
        if seed is not None:
            self._env.action_space.seed(seed)
        self.agents = self.possible_agents[:]
        return {"agent_0": obs}, {"agent_0": info}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        check_live(self.agents, type(self).__name__)
        obs, reward, terminated, truncated, info = self._env.step(actions["agent_0"])
        if terminated or truncated:
            self.agents = []
        a = "agent_0"
        return {a: obs}, {a: float(reward)}, {a: terminated}, {a: truncated}, {a: info}

    def render(self) -> np.ndarray | None:
        return self._env.render()

    def close(self) -> None:
        self._env.close()

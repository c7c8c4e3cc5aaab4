"""Many built-in-engine games as one batch of agent slots: the learner's fast path for ``sc2/*``.

:class:`SC2VecEnv` is what ``envs.make_vec("sc2/<MiniGame>", num_envs, ...)`` returns for the builtin
backend. It behaves exactly as ``repaint_ma.rollout.VecParallelEnv`` over ``num_envs`` copies of
``SC2Env`` (same slots, observations, masks, rewards, terminations, episode seeds and finished-episode
scores; ``tests/test_sc2_vector.py`` checks it step by step), but one :class:`BuiltinEngine` steps
every game and :class:`Features` observes every agent of every game in the same NumPy calls: no Python
loop over games or agents on a step, except to restart the games that ended.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from envs import EPISODE_SEED_STRIDE
from envs.sc2.builtin.engine import BuiltinEngine
from envs.sc2.env import DAMAGE_REWARD, check_reward
from envs.sc2.frame import Units
from envs.sc2.interface import K_ALLIES, K_TARGETS, MOVE_STEP, Features
from envs.sc2.units import STEP_MUL, minigame


class SC2VecEnv:
    """``num_envs`` games of ``map_name`` on the built-in engine as ``num_envs * agent_slots`` slots.

    Args:
        map_name: the mini-game.
        num_envs: games stepped together.
        agent_indicator: append a one-hot of the agent's index to its observation.
        autoreset: restart a game when all its agents are done (off for evaluation episodes).
        env_offset: global index of the first game (episode seeds as a larger vector would give them).
        step_mul, k_allies, k_targets, move_step, see_through_fog, reward: as for ``SC2Env``.
        jitter, regen: as for ``envs.sc2.make_minigame``.
    """

    def __init__(
        self,
        map_name: str,
        num_envs: int,
        agent_indicator: bool = False,
        autoreset: bool = True,
        env_offset: int = 0,
        step_mul: int = STEP_MUL,
        k_allies: int = K_ALLIES,
        k_targets: int = K_TARGETS,
        move_step: float = MOVE_STEP,
        see_through_fog: bool = False,
        reward: str = "score",
        jitter: bool = True,
        regen: bool = True,
    ) -> None:
        check_reward(reward)
        self.spec, self.reward = minigame(map_name), reward
        self.engine = BuiltinEngine(map_name, num_envs, step_mul, jitter=jitter, regen=regen)
        self.features = Features(self.spec, k_allies, k_targets, move_step, see_through_fog)
        self.agents = [f"marine_{i}" for i in range(self.spec.agent_slots)]
        self.num_envs, self.num_agents = num_envs, len(self.agents)
        self.num_slots = num_envs * self.num_agents
        self.agent_indicator, self.autoreset, self.env_offset = agent_indicator, autoreset, env_offset
        self.has_mask, self.action_space = True, self.features.action_space
        self.base_obs_dim, self.mask_dim = self.features.layout.obs_dim, self.features.layout.n_actions
        self.obs_dim = self.base_obs_dim + (self.num_agents if agent_indicator else 0)
        self.obs = np.zeros((self.num_slots, self.obs_dim), np.float32)
        if agent_indicator:
            self.obs[:, self.base_obs_dim :] = np.tile(np.eye(self.num_agents), (num_envs, 1))
        self.masks = np.ones((self.num_slots, self.mask_dim), bool)
        self.alive = np.zeros(self.num_slots, bool)
        self.episode_score = np.zeros(num_envs)  # sum over steps of the team reward
        self.finished_scores: list[float] = []
        E, A = num_envs, self.num_agents
        self._map_size = np.tile(np.array(self.spec.size, np.float64), (E, 1))
        self._slot_tag = np.zeros((E, A), np.int64)  # the unit each agent name was given (0: none yet)
        self._last_pos = np.zeros((E, A), np.complex128)  # where each agent's unit was last seen
        self._targets = np.zeros((E, A, k_targets), np.int64)  # unit column of each target slot, last observed
        self._seed = 0
        self._episodes = np.zeros(E, np.int64)

    # -- agents -------------------------------------------------------------------------------

    def _join(self) -> None:
        """New own units take the next unused agent names of their game, in tag order."""
        eng, E, A = self.engine, self.num_envs, self.num_agents
        own = (eng.own & eng.alive()).reshape(E, -1)  # live own units
        tag = eng.tag.reshape(E, -1)
        named = (self._slot_tag > 0).sum(axis=1)
        new = own & (tag > self._slot_tag.max(axis=1)[:, None])
        rank = np.cumsum(new, axis=1) - 1 + named[:, None]
        take = new & (rank < A)
        game = np.nonzero(take)[0]
        self._slot_tag[game, rank[take]] = tag[take]

    def _locate(self) -> tuple[np.ndarray, np.ndarray]:
        """``(cols, found)`` per slot: the engine column of its unit (``capacity`` if gone) and whether it
        lives."""
        games = np.arange(self.num_envs)[:, None]
        rows, found = self.engine.find(games, self._slot_tag)  # tag 0 (no unit yet) is never found
        return np.where(found, rows % self.engine.capacity, self.engine.capacity), found

    def _observe(self, units: Units, who: np.ndarray, cols: np.ndarray, found: np.ndarray) -> dict:
        """Observe the slots ``who`` (an (E, A) mask); a gone unit's agent observes from where it fell."""
        eng = self.engine
        game, agent = np.nonzero(who)
        col = cols[game, agent]
        at = np.minimum(col, eng.capacity - 1)
        here = units.x[game, at].astype(np.float64) + 1j * units.y[game, at].astype(np.float64)
        pos = np.where(found[game, agent], here, self._last_pos[game, agent])
        self._last_pos[game, agent] = pos
        time_left = np.maximum(0.0, 1.0 - eng.game_loop / self.spec.limit_loops)
        seen = self.features.observe(units, game, col, pos, time_left, self._map_size)
        self._targets[game, agent] = seen["targets"]
        seen["slot"] = game * self.num_agents + agent
        return seen

    # -- episodes -----------------------------------------------------------------------------

    def _restart(self, games: np.ndarray) -> None:
        """New episodes for ``games``: game e's j-th episode plays seed + global index + STRIDE * j."""
        for e in games.tolist():
            seed = self._seed + self.env_offset + e + EPISODE_SEED_STRIDE * int(self._episodes[e])
            self.engine.reset(e, seed)
            self._episodes[e] += 1
        self._slot_tag[games], self._last_pos[games], self.episode_score[games] = 0, 0j, 0.0
        self._join()
        cols, found = self._locate()
        who = np.zeros_like(found)
        who[games] = found[games]
        self._units = self.engine.batch_units()
        seen = self._observe(self._units, who, cols, found)
        self.obs[seen["slot"], : self.base_obs_dim] = seen["obs"]
        self.masks[seen["slot"]] = seen["mask"]
        self.alive.reshape(self.num_envs, -1)[games] = found[games]
        self._cols = cols

    def reset(self, seed: int) -> None:
        """Reset every game; game ``e`` gets seed ``seed + e`` (then fresh seeds per episode)."""
        self._seed = seed
        self._episodes[:] = 0
        self._restart(np.arange(self.num_envs))

    def step(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        """Act for every live slot; returns the transition arrays ``(num_slots, ...)`` of this step (as
        ``VecParallelEnv.step``: ``next_obs`` is s' of each transition; ``obs``/``masks``/``alive`` then
        hold the next state, with finished games already restarted)."""
        eng, E, A, U = self.engine, self.num_envs, self.num_agents, self.engine.capacity
        acting = self.alive.reshape(E, A).copy()
        stepped = acting.any(axis=1)
        # orders: the acting slots' actions decoded against what they observed
        game, agent = np.nonzero(acting)
        slot = game * A + agent
        seen = {"mask": self.masks[slot].astype(np.int8), "targets": self._targets[game, agent]}
        pos = self._last_pos[game, agent]
        ordered, kind, goal, target = self.features.decode(self._units, actions[slot], seen, game, pos, self._map_size)
        rows = game * U + self._cols[game, agent]
        target_rows = np.where(target >= 0, game * U + target, -1)
        eng.order(rows[ordered], kind[ordered], goal[ordered], target_rows[ordered])
        prev_score = eng.score.copy()
        eng.step()
        units = eng.batch_units()
        reward = eng.score - prev_score
        if self.reward == "damage_dealt":
            reward = reward + DAMAGE_REWARD * self.features.team_counts(self._units, units)["damage_dealt"]
        # agents: who lives, who joined; every acting or joining agent reports this step
        self._join()
        cols, found = self._locate()
        time_up = eng.game_loop >= self.spec.limit_loops
        ended = eng.over()
        reported = (acting | found) & stepped[:, None]
        seen = self._observe(units, reported, cols, found)
        out = {
            "reward": np.where(reported, reward[:, None], 0.0).astype(np.float32).ravel(),
            "terminated": (reported & (~found | (ended & ~time_up)[:, None])).ravel(),
            "truncated": (reported & found & time_up[:, None]).ravel(),
            "next_obs": self.obs.copy(),
        }
        out["next_obs"][seen["slot"], : self.base_obs_dim] = seen["obs"]
        self.masks = self.masks.copy()  # a new array: the caller may still hold the last one
        self.masks[seen["slot"]] = seen["mask"]
        self.episode_score += np.where(reported.any(axis=1), reward, 0.0)
        alive = found & ~ended[:, None] & stepped[:, None]
        self.alive = alive.ravel()
        self.obs[:, : self.base_obs_dim] = out["next_obs"][:, : self.base_obs_dim]
        self._units, self._cols = units, cols
        done = np.flatnonzero(stepped & ~alive.any(axis=1))
        self.finished_scores.extend(self.episode_score[done].tolist())
        self.episode_score[done] = 0.0
        if len(done) and self.autoreset:
            self._restart(done)
        return out

    @property
    def running(self) -> bool:
        """Whether any game still has live agents (always true with autoreset)."""
        return bool(self.alive.any())

    def close(self) -> None:
        """Nothing to release."""


def make_vector(
    num_envs: int,
    agent_indicator: bool,
    autoreset: bool,
    env_offset: int,
    map_name: str,
    backend: str = "builtin",
    **kwargs: Any,
) -> SC2VecEnv | None:
    """``envs.make_vec`` for ``sc2/*``: an :class:`SC2VecEnv` on the builtin backend (None for PySC2)."""
    if backend != "builtin":
        return None
    return SC2VecEnv(map_name, num_envs, agent_indicator, autoreset, env_offset, **kwargs)

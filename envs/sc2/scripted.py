"""Baseline agents for the mini-games: a random agent and one scripted agent per map.

Both are ``act(observations) -> actions`` callables over the env's observation dicts (they read only
what a learning agent sees, so they run unchanged on either backend), with ``reset()`` for a new
episode. The scripted agents:

- MoveToBeacon: walk onto the beacon.
- CollectMineralShards: each Marine walks to the nearest shard on its side (closer to it than to the
  other Marine), else to the nearest shard the other is not heading for.
- FindAndDefeatZerglings: focus fire on the visible Zergling nearest the group; with none in sight,
  sweep the map along fixed waypoints, as a group.
- DefeatRoaches: focus fire on the weakest Roach (the nearest to the group on ties).
- DefeatZerglingsAndBanelings: spread out (2.5 cells apart: Baneling splash is 2.2), then the Marine
  nearest the enemies walks into their scan range (5) alone to pull them; everyone shoots what is in
  range (Banelings first) and closes in once they charge.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from envs.sc2.env import SC2Env
from envs.sc2.interface import DIRECTIONS, N_FIXED
from envs.sc2.units import MARINE, UNIT_TYPES

# [MAP] FindAndDefeatZerglings.SC2Map gt_Init (demo mode): the exploration points, the centres of regions
# 5-12 (the corners, the middle of each side), less the playable area's corner (10, 12)
EXPLORATION_POINTS = np.array([7.933 + 25.029j, 21.780 + 25.068j, 36.148 + 25.119j, 35.983 + 14.579j,
                               36.041 + 6.935j, 22.008 + 6.955j, 7.910 + 6.989j, 7.935 + 15.611j])  # fmt: skip
SPREAD = 2.5  # DefeatZerglingsAndBanelings: cells between Marines before contact (Baneling splash 2.2)
BAIT_AT = 6.0  # centre distance at which the group counts as engaged (scan range 5 + two radii)
_BANELING, _ZERGLING = [u.name for u in UNIT_TYPES].index("Baneling"), [u.name for u in UNIT_TYPES].index("Zergling")
Observations = dict[str, dict[str, np.ndarray]]


class RandomAgent:
    """Uniform over each agent's unmasked actions."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        """Nothing to forget between episodes."""

    def __call__(self, obs: Observations) -> dict[str, int]:
        """One action per observed agent."""
        return {a: int(self.rng.choice(np.flatnonzero(o["action_mask"]))) for a, o in obs.items()}


@dataclass
class View:
    """The observations of all agents, decoded into map coordinates (one row per agent)."""

    agents: list[str]
    pos: np.ndarray  # (A,) complex, own position
    cooldown: np.ndarray  # (A,) weapon cooldown / attack period (0: ready)
    t_present: np.ndarray  # (A, K) bool: a present, visible target (the mask)
    t_pos: np.ndarray  # (A, K) complex target positions
    t_health: np.ndarray  # (A, K) health fraction
    t_type: np.ndarray  # (A, K) index into units.UNIT_TYPES (len: other)

    @classmethod
    def of(cls, env: SC2Env, obs: Observations) -> View:
        """Decode ``obs`` with ``env``'s layout."""
        agents = list(obs)
        x = np.stack([obs[a]["observation"] for a in agents])
        layout = env.features.layout
        mask = np.stack([obs[a]["action_mask"] for a in agents])[:, layout.first_target_action :].astype(bool)
        width, height = env.map_size
        pos = x[:, 3] * width + 1j * x[:, 4] * height
        t = x[:, layout.targets].reshape(len(agents), layout.k_targets, layout.target_dim)
        scale = max(width, height)
        t_pos = pos[:, None] + (t[..., 1] + 1j * t[..., 2]) * scale
        return cls(agents, pos, x[:, 2], mask, t_pos, t[..., 5], t[..., layout.type_cols].argmax(axis=2))

    def slot_of(self, i: int, point: complex) -> int | None:
        """Agent ``i``'s target slot nearest ``point`` (the same unit seen by another agent), if any."""
        d = np.where(self.t_present[i], np.abs(self.t_pos[i] - point), np.inf)
        k = int(d.argmin())
        return k if d[k] < 0.5 else None


def _towards(here: complex, there: complex) -> int:
    """The move action whose direction is closest to ``there - here``."""
    return 2 + int(np.argmax((DIRECTIONS * np.conj(there - here)).real))


class Scripted:
    """The scripted agent of ``env``'s mini-game (see the module docstring)."""

    def __init__(self, env: SC2Env) -> None:
        self.env = env
        self.map_name = env.backend.map_name
        self._policy: Callable[[View], list[int]] = getattr(self, f"_{self.map_name}")
        self.reset()

    def reset(self) -> None:
        """Forget the sweep position and the shard choices."""
        self.waypoint = 0
        self.visited: set[int] = set()

    def __call__(self, obs: Observations) -> dict[str, int]:
        """One action per observed agent."""
        if not obs:
            return {}
        view = View.of(self.env, obs)
        return dict(zip(view.agents, self._policy(view), strict=True))

    # -- one policy per map -------------------------------------------------------------------

    def _MoveToBeacon(self, v: View) -> list[int]:
        return [N_FIXED if v.t_present[i, 0] else 0 for i in range(len(v.agents))]

    def _CollectMineralShards(self, v: View) -> list[int]:
        actions, taken = [], []
        for i in range(len(v.agents)):
            d = np.where(v.t_present[i], np.abs(v.t_pos[i] - v.pos[i]), np.inf)
            others = np.delete(v.pos, i)
            if len(others):  # prefer shards on my side; never the one another Marine goes to
                d_other = np.abs(v.t_pos[i][:, None] - others[None, :]).min(axis=1)
                mine = np.where(d <= d_other, d, np.inf)
                d = mine if np.isfinite(mine).any() else d
                for point in taken:
                    d[np.abs(v.t_pos[i] - point) < 0.5] = np.inf
            k = int(d.argmin())
            actions.append(N_FIXED + k if np.isfinite(d[k]) else 0)
            if np.isfinite(d[k]):
                taken.append(v.t_pos[i, k])
        return actions

    def _focus(self, v: View, point: complex) -> list[int]:
        """Every agent attacks the target at ``point`` (or the target nearest to it that it sees)."""
        actions = []
        for i in range(len(v.agents)):
            k = v.slot_of(i, point)
            if k is None:
                d = np.where(v.t_present[i], np.abs(v.t_pos[i] - point), np.inf)
                k = int(d.argmin()) if np.isfinite(d).any() else None
            actions.append(0 if k is None else N_FIXED + k)
        return actions

    def _seen(self, v: View, types: tuple[int, ...] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Positions and health of the distinct targets any agent sees (of ``types``, if given)."""
        keep = v.t_present if types is None else v.t_present & np.isin(v.t_type, types)
        pos, health = v.t_pos[keep], v.t_health[keep]
        _, first = np.unique(np.round(pos * 4), return_index=True)
        return pos[first], health[first]

    def _FindAndDefeatZerglings(self, v: View) -> list[int]:
        centre = v.pos.mean()
        pos, _ = self._seen(v)
        if len(pos):
            return self._focus(v, pos[np.abs(pos - centre).argmin()])
        # the map's own demo mode (gt_DemoMode): the nearest exploration point not yet visited
        if len(self.visited) == len(EXPLORATION_POINTS):
            self.visited = set()
        todo = [k for k in range(len(EXPLORATION_POINTS)) if k not in self.visited]
        goal_k = min(todo, key=lambda k: abs(EXPLORATION_POINTS[k] - centre))
        if abs(EXPLORATION_POINTS[goal_k] - centre) < 2.0:
            self.visited.add(goal_k)
        return [_towards(p, EXPLORATION_POINTS[goal_k]) for p in v.pos]

    def _DefeatRoaches(self, v: View) -> list[int]:
        pos, health = self._seen(v)
        if not len(pos):
            return [0] * len(v.agents)
        centre = v.pos.mean()
        weakest = np.lexsort((np.abs(pos - centre), np.round(health, 3)))[0]
        return self._focus(v, pos[weakest])

    def _DefeatZerglingsAndBanelings(self, v: View) -> list[int]:
        enemies, _ = self._seen(v)
        if not len(enemies):
            return [0] * len(v.agents)
        gap = np.abs(v.pos[:, None] - enemies[None, :]).min(axis=1)  # each Marine's nearest enemy
        engaged = gap.min() < BAIT_AT
        crowd = np.abs(v.pos[:, None] - v.pos[None, :]) + np.eye(len(v.pos)) * np.inf
        bait = int(gap.argmin())
        actions = []
        for i, p in enumerate(v.pos):
            d = np.where(v.t_present[i], np.abs(v.t_pos[i] - p), np.inf)
            reach = d <= MARINE.range + 2 * MARINE.radius  # within weapon range (centre distance, two small radii)
            banes = reach & (v.t_type[i] == _BANELING)
            if banes.any() or reach.any():  # Banelings first, then the nearest in range
                actions.append(N_FIXED + int(np.where(banes if banes.any() else reach, d, np.inf).argmin()))
            elif engaged:  # they charge: close in on the nearest
                actions.append(_towards(p, enemies[np.abs(enemies - p).argmin()]))
            elif i == bait:  # one Marine walks into their scan range (5) to pull them
                actions.append(_towards(p, enemies[np.abs(enemies - p).argmin()]))
            elif crowd[i].min() < SPREAD:  # the others spread out before contact (Baneling splash 2.2)
                actions.append(_towards(p, 2 * p - v.pos[int(crowd[i].argmin())]))
            else:
                actions.append(0)
        return actions


def scripted_or_random(env: SC2Env, kind: str, seed: int = 0) -> Callable[[Observations], dict[str, Any]]:
    """``Scripted(env)`` for ``kind == "scripted"``, ``RandomAgent(seed)`` for ``"random"``."""
    if kind == "scripted":
        return Scripted(env)
    if kind == "random":
        return RandomAgent(seed)
    raise ValueError(f"unknown agent {kind!r}; expected 'random' or 'scripted'")

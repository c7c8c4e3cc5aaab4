"""What an agent of a StarCraft II mini-game sees and does, the same on both backends.

:class:`ObsLayout` says where each value of an agent's observation vector lies; :class:`Features`
computes observations and action masks from :class:`~envs.sc2.frame.Units` and turns actions into
orders (``SC2Env`` for one game, ``SC2VecEnv`` for a batch).

Observation of an agent: ``{"observation": Box(float32, (D,)), "action_mask": Box(int8, (10 + K,))}``
with A = ``k_allies`` (4), K = ``k_targets`` (8), T = 7 unit types (Marine, Zergling, Roach, Baneling,
Beacon, MineralShard, other), S = max(map width, height), D = 12 + 15 A + 16 K + 1 (201 by default):

====================  ===================================================================  =========
index                 meaning                                                              range
====================  ===================================================================  =========
0, 1, 2               own health / max, shield / max (0 without shields), weapon           [0, 1]
                      cooldown / the type's attack period
3, 4                  own x / map width, y / map height                                    [0, 1]
5 .. 11               own type, one-hot (T)                                                {0, 1}
12 + 15 a + ..        ally slot a (the a-th nearest other own unit), 15 values:
  +0                  present                                                              {0, 1}
  +1, +2, +3          dx / S, dy / S, distance / S (centres; 0 when empty)                 [-1, 1.5]
  +4                  visible                                                              {0, 1}
  +5, +6, +7          health / max, shield / max, cooldown / period                        [0, 1]
  +8 .. +14           type, one-hot (T)                                                    {0, 1}
12 + 15 A + 16 k + .  target slot k (the k-th nearest enemy; on MoveToBeacon and
                      CollectMineralShards the beacon / shards): the 15 values above, and
  +15                 within this agent's weapon range (edge to edge)                      {0, 1}
D - 1                 time left / episode length                                           [0, 1]
====================  ===================================================================  =========

Targets hidden by fog of war (FindAndDefeatZerglings) are not listed (a slot shows only what the
player sees); with ``see_through_fog=True`` they are listed with visible = 0 and masked (a debugging
aid: the real game does not report them).

Actions: ``Discrete(10 + K)``: 0 no-op (the unit keeps its order), 1 stop, 2 .. 9 move ``move_step``
cells (default 2; clipped to the map) towards east, north-east, north, ... (45-degree steps,
counter-clockwise), 10 + k act on target slot k: attack an enemy, move onto a beacon or shard.
The mask allows 0 .. 9 always and 10 + k only for a present, visible target; a masked action is
taken as a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from envs.sc2.frame import ATTACK, ENEMY, MOVE, NEUTRAL, SELF, STOP, Units
from envs.sc2.units import BEACON, UNIT_TYPES, MiniGameSpec

K_ALLIES, K_TARGETS, MOVE_STEP = 4, 8, 2.0  # the defaults of SC2Env and SC2VecEnv
N_FIXED = 10  # no-op, stop, 8 moves
N_TYPES = len(UNIT_TYPES) + 1  # the known types, then "other"
UNIT_DIM = 4 + N_TYPES  # visible, health, shield, cooldown, type one-hot
OWN_DIM, ALLY_DIM, TARGET_DIM = 5 + N_TYPES, 4 + UNIT_DIM, 5 + UNIT_DIM
# per unit type id: its row in these tables (the last row: any other type)
_TYPE_ROW = np.full(max(u.unit_type for u in UNIT_TYPES) + 2, len(UNIT_TYPES))
_TYPE_ROW[[u.unit_type for u in UNIT_TYPES]] = np.arange(len(UNIT_TYPES))
_ONEHOT = np.eye(N_TYPES, dtype=np.float32)
_PERIOD = np.array([max(u.cooldown_loops, 1) for u in UNIT_TYPES] + [1], np.float32)
_RANGE = np.array([u.range for u in UNIT_TYPES] + [0.0])
_SIGHT = np.array([u.sight for u in UNIT_TYPES] + [0.0])
DIRECTIONS = np.exp(1j * np.pi / 4 * np.arange(8))  # of the move actions: east, then counter-clockwise


@dataclass(frozen=True)
class ObsLayout:
    """Where each value of an agent's observation vector lies (the table of the module docstring).

    Offsets are absolute (into the observation) unless they are "inside a slot": relative to the
    start of an ally or target slot. An observation may carry more columns after ``obs_dim`` (the
    learner's agent indicator); every index here stays valid.

    Args:
        k_allies: ally slots (A).
        k_targets: target slots (K).
    """

    k_allies: int = K_ALLIES
    k_targets: int = K_TARGETS

    own: ClassVar[slice] = slice(0, OWN_DIM)  # the agent's own values
    ally_dim: ClassVar[int] = ALLY_DIM  # values per ally slot
    target_dim: ClassVar[int] = TARGET_DIM  # values per target slot: an ally slot's, then "in range"
    type_cols: ClassVar[slice] = slice(ALLY_DIM - N_TYPES, ALLY_DIM)  # inside a slot: the type one-hot
    beacon_col: ClassVar[int] = ALLY_DIM - N_TYPES + UNIT_TYPES.index(BEACON)  # inside a slot: type Beacon
    first_target_action: ClassVar[int] = N_FIXED  # action (and mask column) of target slot 0

    def __post_init__(self) -> None:
        if self.k_allies < 0 or self.k_targets < 1:
            raise ValueError(f"need k_allies >= 0 and k_targets >= 1; got {self.k_allies}, {self.k_targets}")

    @classmethod
    def for_env_kwargs(cls, env_kwargs: Mapping[str, Any]) -> ObsLayout:
        """The layout of an ``sc2/*`` env made with ``env_kwargs`` (``SC2Env``'s defaults for the rest)."""
        return cls(int(env_kwargs.get("k_allies", K_ALLIES)), int(env_kwargs.get("k_targets", K_TARGETS)))

    def ally_start(self, a: int) -> int:
        """Index of ally slot ``a``'s first value."""
        return OWN_DIM + ALLY_DIM * a

    def target_start(self, k: int) -> int:
        """Index of target slot ``k``'s first value."""
        return OWN_DIM + ALLY_DIM * self.k_allies + TARGET_DIM * k

    @property
    def allies(self) -> slice:
        """Every ally slot, one after another."""
        return slice(self.ally_start(0), self.ally_start(self.k_allies))

    @property
    def targets(self) -> slice:
        """Every target slot, one after another."""
        return slice(self.target_start(0), self.target_start(self.k_targets))

    @property
    def time_left(self) -> int:
        """Index of the time left (the last value of the layout)."""
        return self.target_start(self.k_targets)

    @property
    def obs_dim(self) -> int:
        """Values in the observation (D)."""
        return self.time_left + 1

    @property
    def n_actions(self) -> int:
        """Actions (and mask columns): the fixed ones, then one per target slot."""
        return N_FIXED + self.k_targets


def _type_rows(unit_type: np.ndarray) -> np.ndarray:
    """Row of each unit type in the per-type tables (unknown types: the last row)."""
    return _TYPE_ROW.take(unit_type, mode="clip")


def _padded(values: np.ndarray, width: int) -> np.ndarray:
    """``values`` (E, U) with zero columns up to ``width`` (column U: "no unit")."""
    out = np.zeros((values.shape[0], width), np.result_type(values, np.float32))
    out[:, : values.shape[1]] = values
    return out


class Features:
    """Observations, action decoding and team counts of many games at once (see the module docstring).

    ``layout`` (an :class:`ObsLayout`) says where each value of an observation lies.

    Works on :class:`Units` whose arrays are ``(E, U)``: game ``e``'s units in row ``e``, padded with
    units of alliance 0 (no unit). Observers are given by their game, their unit's column (``U``: the
    unit is gone) and their position. ``SC2Env`` calls it with one game, ``SC2VecEnv`` with a batch.
    """

    def __init__(
        self, spec: MiniGameSpec, k_allies: int, k_targets: int, move_step: float, see_through_fog: bool
    ) -> None:
        if move_step <= 0:
            raise ValueError(f"need move_step > 0, got {move_step}")
        self.layout = layout = ObsLayout(k_allies, k_targets)
        self.spec, self.move_step = spec, move_step
        self.hide_fog = spec.fog and not see_through_fog
        low, high = np.zeros(layout.obs_dim, np.float32), np.ones(layout.obs_dim, np.float32)
        starts = [layout.ally_start(a) for a in range(k_allies)] + [layout.target_start(k) for k in range(k_targets)]
        for start in starts:  # dx, dy in [-1, 1]; distance in [0, 1.5]
            low[start + 1 : start + 3], high[start + 3] = -1.0, 1.5
        self.observation_space = spaces.Dict(
            {
                "observation": spaces.Box(low, high, dtype=np.float32),
                "action_mask": spaces.Box(0, 1, (layout.n_actions,), np.int8),
            }
        )
        self.action_space = spaces.Discrete(layout.n_actions)
        self._own_cols = np.r_[1, 2, 3, 0, 0, 4:UNIT_DIM]  # table columns -> own features (x, y set apart)
        # per alliance (0: no unit): 0 for an ally candidate (row 0) or a target candidate (row 1), else inf
        self._penalty = np.full((2, NEUTRAL + 2), np.inf)
        self._penalty[0, SELF] = 0.0
        self._penalty[1, NEUTRAL if spec.neutral_targets else ENEMY] = 0.0

    def observe(
        self,
        u: Units,
        game: np.ndarray,
        col: np.ndarray,
        pos: np.ndarray,
        time_left: np.ndarray,
        map_size: np.ndarray,
    ) -> dict[str, np.ndarray]:
        """Observations of ``M`` observers: ``game``, ``col`` and ``pos`` (complex) are ``(M,)``;
        ``time_left`` is ``(E,)`` and ``map_size`` ``(E, 2)``.

        Returns ``obs`` (M, D), ``mask`` (M, 10 + K), ``targets`` (M, K: the unit column of each target
        slot, ``U`` when empty), ``nearest_target`` and ``nearest_ally`` (cells, -1 for none), ``health``.
        """
        E, U = u.tag.shape
        layout = self.layout
        M, ka, kt = len(game), layout.k_allies, layout.k_targets
        # per unit, and a last column U for empty slots and the gone: visible, health, shield, cooldown,
        # type (all 0); kind (a row of the per-type tables); position; alliance (0: none)
        kind = np.full((E, U + 1), len(UNIT_TYPES))
        kind[:, :U] = _type_rows(u.unit_type)
        table = np.zeros((E, U + 1, UNIT_DIM), np.float32)
        table[:, :U, 0] = u.visible
        np.divide(u.health, np.maximum(u.health_max, 1e-6), out=table[:, :U, 1])
        np.divide(u.shield, np.maximum(u.shield_max, 1e-6), out=table[:, :U, 2])
        np.minimum(u.weapon_cooldown / _PERIOD[kind[:, :U]], 1.0, out=table[:, :U, 3])
        table[:, :U, 4:] = _ONEHOT[kind[:, :U]]
        pos_all = np.zeros((E, U + 1), np.complex128)
        pos_all.real[:, :U], pos_all.imag[:, :U] = u.x, u.y

        # the k nearest allies (own units but oneself) and targets (enemies or pick-ups) of each observer:
        # distances to every unit, plus inf where a unit is not a candidate; at least k columns
        width = max(U + 1, ka, kt)
        alliance = _padded(u.alliance, width).astype(np.int64)
        penalty = self._penalty[:, alliance]  # (2, E, width)
        if self.hide_fog:
            penalty[1, :, :U][~u.visible] = np.inf
        d = np.full((2, M, width), np.inf)
        d[:, :, : U + 1] = np.abs(pos[:, None] - pos_all[game])
        d += penalty[:, game]
        d[0, np.arange(M), col] = np.inf  # not oneself (a gone observer's column U is inf anyway)
        order = np.argsort(d, axis=2, kind="stable")
        d = np.take_along_axis(d, order, axis=2)
        idx = np.concatenate([order[0, :, :ka], order[1, :, :kt]], axis=1)
        sd = np.concatenate([d[0, :, :ka], d[1, :, :kt]], axis=1)
        present = sd < np.inf
        idx = np.where(present, idx, U)
        scale = map_size.max(axis=1)[game]
        rel = (pos_all[game[:, None], idx] - pos[:, None]) * (present / scale[:, None])
        blocks = np.empty((M, ka + kt, TARGET_DIM), np.float32)
        blocks[..., 0] = present
        blocks[..., 1], blocks[..., 2], blocks[..., 3] = rel.real, rel.imag, np.abs(rel)
        blocks[..., 4 : 4 + UNIT_DIM] = table[game[:, None], idx]
        t_idx = idx[:, ka:]
        radius = _padded(u.radius, U + 1)
        reach = _RANGE[kind[game, col]] + radius[game, col]  # own weapon range and radius
        in_range = sd[:, ka:] - radius[game[:, None], t_idx] <= reach[:, None]  # edge to edge; inf never
        blocks[:, ka:, -1] = in_range

        obs = np.empty((M, layout.obs_dim), np.float32)
        own_row = table[game, col]
        obs[:, layout.own] = own_row[:, self._own_cols]
        obs[:, 3], obs[:, 4] = pos.real / map_size[game, 0], pos.imag / map_size[game, 1]
        obs[:, layout.allies] = blocks[:, :ka, :ALLY_DIM].reshape(M, -1)
        obs[:, layout.targets] = blocks[:, ka:].reshape(M, -1)
        obs[:, layout.time_left] = time_left[game]
        np.clip(obs[:, 3:5], 0.0, 1.0, out=obs[:, 3:5])  # a backend may place a unit off the playable area
        mask = np.ones((M, layout.n_actions), np.int8)
        # a target action needs a present, visible target (an empty slot's column U: zeros)
        mask[:, layout.first_target_action :] = table[game[:, None], t_idx, 0]
        nearest = np.where(present, sd, -1.0)
        return {
            "obs": obs,
            "mask": mask,
            "targets": t_idx,
            "nearest_target": nearest[:, ka],
            "nearest_ally": nearest[:, 0] if ka else np.full(M, -1.0),
            "health": own_row[:, 1],
        }

    def decode(
        self,
        u: Units,
        actions: np.ndarray,
        seen: dict[str, np.ndarray],
        game: np.ndarray,
        pos: np.ndarray,
        map_size: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Actions of the observers of ``seen`` (``observe``'s output; ``game``, ``pos`` as given to it)
        -> ``(ordered, kind, goal, target)``: whether an observer gives an order (a no-op or masked
        choice gives none: the unit keeps its order), STOP / MOVE / ATTACK, the move point (complex,
        float32-exact, clipped to the map) and the attacked unit's column (-1 for none or no order)."""
        M = len(actions)
        act = np.asarray(actions, np.int64)
        legal = (act > 0) & (act < self.layout.n_actions)
        ordered = legal & (seen["mask"][np.arange(M), np.where(legal, act, 0)] == 1)
        slot = np.minimum(np.maximum(act - N_FIXED, 0), self.layout.k_targets - 1)  # np.clip is slow on tiny arrays
        col = seen["targets"][np.arange(M), slot]
        at = np.minimum(col, u.x.shape[1] - 1)  # an empty slot's column U: masked, any unit will do
        target_pos = u.x[game, at] + 1j * u.y[game, at]
        step = pos + self.move_step * DIRECTIONS[np.minimum(np.maximum(act - 2, 0), 7)]
        w, h = map_size[game, 0], map_size[game, 1]
        step = np.minimum(np.maximum(step.real, 0.0), w) + 1j * np.minimum(np.maximum(step.imag, 0.0), h)
        on_target = act >= N_FIXED
        enemy = on_target & (u.alliance[game, at] == ENEMY)
        kind = np.where(act == 1, STOP, np.where(enemy, ATTACK, MOVE)).astype(np.int8)
        goal = np.where(act == 1, 0j, np.where(on_target, target_pos, step))
        goal = goal.real.astype(np.float32) + 1j * goal.imag.astype(np.float32)  # as Orders carry it
        return ordered, kind, goal, np.where(enemy & ordered, col, -1)  # an empty slot's column U: -1

    def team_counts(self, prev: Units, now: Units) -> dict[str, np.ndarray]:
        """Per game, between two ``(E, U)`` snapshots: kills (enemies gone while seen), losses, damage
        dealt and taken (health + shield lost, a killed unit's last value included), pick-ups gone."""
        life_prev = prev.health.astype(np.float64) + prev.shield
        life_now = now.health.astype(np.float64) + now.shield
        same = (prev.tag[:, :, None] == now.tag[:, None, :]) & (now.alliance != 0)[:, None, :]
        found = same.any(axis=2)
        after = np.where(found, (same * life_now[:, None, :]).sum(axis=2), 0.0)
        mine, enemy, neutral = prev.alliance == SELF, prev.alliance == ENEMY, prev.alliance == NEUTRAL
        killed = enemy & ~found & prev.visible  # dead, or gone out of sight: dead only if its spot is still seen
        if self.spec.fog and killed.any():
            eyes = np.concatenate([prev.x + 1j * prev.y, now.x + 1j * now.y], axis=1)
            is_eye = np.concatenate([prev.alliance == SELF, now.alliance == SELF], axis=1)
            sight = np.where(is_eye, _SIGHT[_type_rows(np.concatenate([prev.unit_type, now.unit_type], axis=1))], -1.0)
            spot = prev.x + 1j * prev.y
            killed &= (np.abs(spot[:, :, None] - eyes[:, None, :]) <= sight[:, None, :]).any(axis=2)
        return {
            "kills": killed.sum(axis=1),
            "losses": (mine & ~found).sum(axis=1),
            "damage_dealt": np.where(killed, life_prev, 0.0).sum(axis=1)
            + np.where(enemy & found, np.maximum(0.0, life_prev - after), 0.0).sum(axis=1),
            "damage_taken": np.where(mine, life_prev - after, 0.0).sum(axis=1),
            "shards_collected": (neutral & ~found).sum(axis=1),
        }

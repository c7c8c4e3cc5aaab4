"""The StarCraft II mini-games as one PettingZoo ParallelEnv over any :class:`~envs.sc2.frame.Backend`.

Everything here reads only :class:`Frame` and writes only :class:`Orders`, so the built-in engine and
the real game (PySC2) give the same observations, actions, masks, rewards and infos.

Agents. ``possible_agents`` = ``marine_0`` .. ``marine_{S-1}``, one name per own unit an episode can
give an agent to (``units.MiniGameSpec.agent_slots``: the starting Marines, plus the reinforcements of
a few waves on DefeatRoaches (29) and DefeatZerglingsAndBanelings (41)). Each own unit takes the next
unused name when it first appears (unit tags map to names); its agent leaves ``agents`` when the unit
dies (terminated) and a name is never reused within an episode (PettingZoo: a finished agent never
comes back). Reinforcements beyond the last name stay on the map as uncontrolled units.

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
  +0, +1              present, visible                                                     {0, 1}
  +2, +3, +4          dx / S, dy / S, distance / S (centres)                               [-1, 1.5]
  +5, +6, +7          health / max, shield / max, cooldown / period                        [0, 1]
  +8 .. +14           type, one-hot (T)                                                    {0, 1}
12 + 15 A + 16 k + .  target slot k (the k-th nearest enemy; on MoveToBeacon and
                      CollectMineralShards the beacon / shards): the 15 values above, and
  +15                 in weapon range of this agent (edge to edge)                         {0, 1}
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

Reward: the change of the mini-game's score this step (kills, losses, beacons, shards as the map's
rules count them), the same for every agent (team reward); the episode's return is the final score.
Terminated: the agent's unit died, or the map ended the game; truncated: the time limit (120 s of
game time, 180 s on FindAndDefeatZerglings: 336 or 504 agent steps at ``step_mul`` 8).

``infos[agent]`` (for relabelling rewards), computed from consecutive frames, team-wide this step:
``kills`` (enemies gone while seen: dead), ``losses`` (own units dead), ``damage_dealt`` and
``damage_taken`` (health + shield lost by enemies / own units, a killed unit's last value
included), ``shards_collected`` (neutral pick-ups gone), ``score``, ``game_loop``; and the agent's
own: ``own_damage_taken``, ``health`` (fraction), ``nearest_target_distance`` and
``nearest_ally_distance`` (cells, -1 when there is none).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.sc2.frame import ATTACK, ENEMY, MOVE, NEUTRAL, NOOP, SELF, STOP, Backend, Frame, Orders, Units
from envs.sc2.units import UNIT_TYPES, minigame

N_FIXED = 10  # no-op, stop, 8 moves
N_TYPES = len(UNIT_TYPES) + 1  # the known types, then "other"
OWN_DIM, ALLY_DIM, TARGET_DIM = 5 + N_TYPES, 8 + N_TYPES, 9 + N_TYPES
# per known unit type, sorted by type id, then one entry for any other type
_BY_ID = sorted(UNIT_TYPES, key=lambda u: u.unit_type)
_KNOWN_IDS = np.array([u.unit_type for u in _BY_ID])
_ONEHOT_COL = np.array([UNIT_TYPES.index(u) for u in _BY_ID] + [len(UNIT_TYPES)])  # column in the type one-hot
_PERIOD = np.array([max(u.cooldown_loops, 1) for u in _BY_ID] + [1.0])
_RANGE = np.array([u.range for u in _BY_ID] + [0.0])
_SIGHT = np.array([u.sight for u in _BY_ID] + [0.0])
_DIRECTIONS = np.exp(1j * np.pi / 4 * np.arange(8))  # east, then counter-clockwise


def _known(unit_type: np.ndarray) -> np.ndarray:
    """Index of each unit type in the sorted known ids; ``len(_KNOWN_IDS)`` for unknown types."""
    pos = np.minimum(np.searchsorted(_KNOWN_IDS, unit_type), len(_KNOWN_IDS) - 1)
    return np.where(_KNOWN_IDS[pos] == unit_type, pos, len(_KNOWN_IDS))


class SC2Env(ParallelEnv):
    """A mini-game as a ParallelEnv (see the module docstring for spaces, rules and infos).

    Args:
        backend: the source of frames (``BuiltinBackend`` or the PySC2 backend).
        k_allies, k_targets: ally and target slots in each observation.
        move_step: cells a move action aims ahead of the unit.
        see_through_fog: list targets hidden by fog of war (visible = 0, masked).
        render_mode: None (no rendering).
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "sc2_minigame_v0", "render_modes": [], "is_parallelizable": True}

    def __init__(
        self,
        backend: Backend,
        k_allies: int = 4,
        k_targets: int = 8,
        move_step: float = 2.0,
        see_through_fog: bool = False,
        render_mode: str | None = None,
    ) -> None:
        if k_allies < 0 or k_targets < 1 or move_step <= 0:
            raise ValueError(
                f"need k_allies >= 0, k_targets >= 1, move_step > 0; got {k_allies}, {k_targets}, {move_step}"
            )
        if render_mode is not None:
            raise ValueError(f"render_mode must be None, got {render_mode!r}")
        self.backend = backend
        self.spec = minigame(backend.map_name)
        self.k_allies, self.k_targets, self.move_step = k_allies, k_targets, move_step
        self.see_through_fog = see_through_fog
        self.render_mode = render_mode
        self.limit_loops = self.spec.limit_loops
        self.episode_steps = -(-self.limit_loops // backend.step_mul)
        self.possible_agents = [f"marine_{i}" for i in range(self.spec.agent_slots)]
        self.agents: list[str] = []
        self.obs_dim = OWN_DIM + ALLY_DIM * k_allies + TARGET_DIM * k_targets + 1
        low, high = np.zeros(self.obs_dim, np.float32), np.ones(self.obs_dim, np.float32)
        for base, n in ((OWN_DIM, k_allies), (OWN_DIM + ALLY_DIM * k_allies, k_targets)):
            for s in range(n):
                start = base + s * (ALLY_DIM if base == OWN_DIM else TARGET_DIM)
                low[start + 2 : start + 4], high[start + 4] = -1.0, 1.5
        self.low, self.high = low, high
        self.n_actions = N_FIXED + k_targets
        self._obs_space = spaces.Dict(
            {
                "observation": spaces.Box(low, high, dtype=np.float32),
                "action_mask": spaces.Box(0, 1, (self.n_actions,), np.int8),
            }
        )
        self._act_space = spaces.Discrete(self.n_actions)

    def observation_space(self, agent: str) -> spaces.Dict:
        """The (shared) observation space."""
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Discrete:
        """The (shared) action space."""
        return self._act_space

    # -- episode ------------------------------------------------------------------------------

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        """Start an episode (``seed``: the backend's seed; same seed, same episode)."""
        frame = self.backend.reset(seed=seed)
        self._slot_tag = np.full(len(self.possible_agents), -1, np.int64)  # tag of each name, -1: unused
        self._next_slot = 0
        self._last_pos: dict[int, complex] = {}  # where each agent's unit was last seen
        self._prev = frame
        self._map_scale = float(max(frame.map_size))
        self._join(frame)
        self.agents = [self.possible_agents[s] for s in self._live_slots(frame)]
        obs, own = self._observe(frame, list(self.agents))
        infos = self._infos(frame, frame, list(self.agents), own)
        return obs, infos

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Order every live agent's unit, advance the backend one agent step, observe."""
        frame = self.backend.step(self._orders(actions))
        before = list(self.agents)
        self._join(frame)
        live = [self.possible_agents[s] for s in self._live_slots(frame)]
        joined = [a for a in live if a not in before]
        reported = before + joined
        obs, own = self._observe(frame, reported)
        reward = frame.score - self._prev.score
        time_up = frame.game_loop >= self.limit_loops
        ended = frame.episode_over or time_up
        alive = set(live)
        terms = {a: (a not in alive) or (ended and not time_up) for a in reported}
        truncs = {a: ended and time_up and a in alive for a in reported}
        rewards = dict.fromkeys(reported, float(reward))
        infos = self._infos(self._prev, frame, reported, own)
        self._prev = frame
        self.agents = [] if ended else live
        return obs, rewards, terms, truncs, infos

    def close(self) -> None:
        """Close the backend."""
        self.backend.close()

    # -- agents and orders --------------------------------------------------------------------

    def _join(self, frame: Frame) -> None:
        """New own units take the next unused agent names."""
        own = frame.units.tag[frame.units.alliance == SELF]
        new = own[~np.isin(own, self._slot_tag)]
        take = min(len(new), len(self._slot_tag) - self._next_slot)
        self._slot_tag[self._next_slot : self._next_slot + take] = new[:take]
        self._next_slot += take

    def _live_slots(self, frame: Frame) -> np.ndarray:
        own = frame.units.tag[frame.units.alliance == SELF]
        return np.flatnonzero((self._slot_tag >= 0) & np.isin(self._slot_tag, own))

    def _orders(self, actions: dict[str, Any]) -> Orders:
        """Actions of the live agents -> orders for their units (masked choices become no-ops)."""
        agents = [a for a in self.agents if a in actions]
        if not agents:
            return Orders()
        rows = np.array([self._obs_row[a] for a in agents])
        act = np.array([int(actions[a]) for a in agents])
        slot = np.clip(act - N_FIXED, 0, self.k_targets - 1)
        legal = self._mask[rows, np.clip(act, 0, self.n_actions - 1)].astype(bool) & (act < self.n_actions)
        act = np.where(legal & (act >= 0), act, 0)
        is_target = act >= N_FIXED
        pos = self._pos[rows]
        target_pos = self._target_pos[rows, slot]
        step = pos + self.move_step * _DIRECTIONS[np.clip(act - 2, 0, 7)]
        width, height = self._prev.map_size
        goal = np.where(is_target, target_pos, step)
        goal = np.clip(goal.real, 0, width) + 1j * np.clip(goal.imag, 0, height)
        attack = is_target & self._target_enemy[rows, slot]
        kind = np.select([act == 0, act == 1, attack], [NOOP, STOP, ATTACK], MOVE).astype(np.int8)
        return Orders(
            tag=self._slot_tag[[self.possible_agents.index(a) for a in agents]],
            kind=kind,
            x=goal.real.astype(np.float32),
            y=goal.imag.astype(np.float32),
            target=np.where(attack, self._target_tag[rows, slot], 0).astype(np.int64),
        )

    # -- observations -------------------------------------------------------------------------

    def _observe(self, frame: Frame, agents: list[str]) -> tuple[dict, dict]:
        """Observations of ``agents`` (agents whose unit just died observe from where it fell).

        Also keeps, per observation row, what ``_orders`` needs to decode the next actions.
        """
        u = frame.units
        n_agents = len(agents)
        slots = np.array([self.possible_agents.index(a) for a in agents], np.int64)
        tags = self._slot_tag[slots] if n_agents else np.zeros(0, np.int64)
        row_of = {int(t): i for i, t in enumerate(u.tag)}
        rows = np.array([row_of.get(int(t), -1) for t in tags], np.int64)
        dead = rows < 0
        known = _known(u.unit_type)
        pos_all = u.x.astype(np.float64) + 1j * u.y.astype(np.float64)
        health = np.divide(u.health, u.health_max, out=np.zeros(len(u.tag), np.float32), where=u.health_max > 0)
        shield = np.divide(u.shield, u.shield_max, out=np.zeros(len(u.tag), np.float32), where=u.shield_max > 0)
        cool = np.minimum(u.weapon_cooldown / _PERIOD[known], 1.0)
        onehot = np.zeros((len(u.tag) + 1, N_TYPES), np.float32)
        onehot[np.arange(len(u.tag)), _ONEHOT_COL[known]] = 1.0
        # per unit: visible, health, shield, cooldown, type one-hot; a last row of zeros for empty slots
        table = np.zeros((len(u.tag) + 1, 4 + N_TYPES), np.float32)
        table[:-1, 0], table[:-1, 1], table[:-1, 2], table[:-1, 3] = u.visible, health, shield, cool
        table[:, 4:] = onehot

        safe_rows = np.maximum(rows, 0)
        pos = np.array([self._last_pos.get(int(t), 0j) for t in tags], np.complex128)
        pos[~dead] = pos_all[rows[~dead]]
        self._last_pos = {int(t): p for t, p in zip(tags, pos, strict=True)}
        obs = np.zeros((n_agents, self.obs_dim), np.float32)
        own_feat = table[safe_rows, 1:]
        own_feat[dead] = 0.0
        width, height = frame.map_size
        obs[:, 0:3], obs[:, 5:OWN_DIM] = own_feat[:, :3], own_feat[:, 3:]
        obs[:, 3], obs[:, 4] = pos.real / width, pos.imag / height

        own_units = np.flatnonzero(u.alliance == SELF)
        a_idx, a_dist = self._nearest(pos, pos_all, own_units, self.k_allies, exclude=tags, unit_tags=u.tag)
        if self.spec.neutral_targets:
            cand = np.flatnonzero(u.alliance == NEUTRAL)
        else:
            cand = np.flatnonzero((u.alliance == ENEMY) & (u.visible | self.see_through_fog))
        t_idx, t_dist = self._nearest(pos, pos_all, cand, self.k_targets)
        base = OWN_DIM
        obs[:, base : base + ALLY_DIM * self.k_allies] = self._blocks(pos, pos_all, a_idx, a_dist, table).reshape(
            n_agents, -1
        )
        base += ALLY_DIM * self.k_allies
        blocks = self._blocks(pos, pos_all, t_idx, t_dist, table)
        present = np.isfinite(t_dist)
        my_kind = np.where(dead, len(_KNOWN_IDS), known[safe_rows])
        radius_all = np.r_[u.radius, 0.0]
        my_radius = np.where(dead, 0.0, radius_all[safe_rows])
        gap = np.where(present, t_dist, np.inf) - my_radius[:, None] - radius_all[t_idx]
        in_range = present & (gap <= _RANGE[my_kind][:, None])
        obs[:, base:-1] = np.concatenate([blocks, in_range[..., None]], axis=2).reshape(n_agents, -1)
        obs[:, -1] = max(0.0, 1.0 - frame.game_loop / self.limit_loops)
        np.clip(obs, self.low, self.high, out=obs)

        mask = np.zeros((n_agents, self.n_actions), np.int8)
        mask[:, :N_FIXED] = 1
        visible_all = np.r_[u.visible, False]
        mask[:, N_FIXED:] = present & visible_all[t_idx] & ~dead[:, None]
        # what _orders needs to turn the next actions into orders
        self._obs_row = {a: i for i, a in enumerate(agents)}
        self._mask, self._pos = mask, pos
        tag_ext, pos_ext = np.r_[u.tag, -1], np.r_[pos_all, 0j]
        self._target_tag, self._target_pos = tag_ext[t_idx], pos_ext[t_idx]
        self._target_enemy = np.r_[u.alliance == ENEMY, False][t_idx]
        out = {a: {"observation": obs[i], "action_mask": mask[i]} for i, a in enumerate(agents)}
        ally_d = a_dist[:, 0] if self.k_allies else np.full(n_agents, np.inf)
        own = {
            "health": np.where(dead, 0.0, health[safe_rows]),
            "nearest_target_distance": np.where(present[:, 0], t_dist[:, 0], -1.0),
            "nearest_ally_distance": np.where(np.isfinite(ally_d), ally_d, -1.0),
            "tags": tags,
        }
        return out, own

    def _nearest(
        self,
        pos: np.ndarray,
        pos_all: np.ndarray,
        cand: np.ndarray,
        k: int,
        exclude: np.ndarray | None = None,
        unit_tags: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest of the units ``cand`` to each position: unit rows (``len(units)`` for an empty
        slot) and distances (inf for an empty slot)."""
        n_units = len(pos_all)
        d = np.abs(pos[:, None] - pos_all[cand][None, :])
        if exclude is not None and len(cand):
            d[unit_tags[cand][None, :] == exclude[:, None]] = np.inf
        if d.shape[1] < k:
            d = np.concatenate([d, np.full((len(pos), k - d.shape[1]), np.inf)], axis=1)
            cand = np.r_[cand, np.full(k - len(cand), n_units)]
        order = np.argsort(d, axis=1, kind="stable")[:, :k]
        dist = np.take_along_axis(d, order, axis=1)
        idx = np.where(np.isfinite(dist), cand[order], n_units)
        return idx, dist

    def _blocks(
        self, pos: np.ndarray, pos_all: np.ndarray, idx: np.ndarray, dist: np.ndarray, table: np.ndarray
    ) -> np.ndarray:
        """Per (agent, slot): present, visible, dx, dy, distance (scaled), health, shield, cooldown, type."""
        present = np.isfinite(dist)
        rel = (np.r_[pos_all, 0j][idx] - pos[:, None]) / self._map_scale
        out = np.zeros((*idx.shape, 8 + N_TYPES), np.float32)
        out[..., 0] = present
        out[..., 1] = table[idx, 0]
        out[..., 2], out[..., 3] = rel.real * present, rel.imag * present
        out[..., 4] = np.where(present, dist, 0.0) / self._map_scale
        out[..., 5:] = table[idx, 1:]
        return out

    # -- infos --------------------------------------------------------------------------------

    def _infos(self, prev: Frame, frame: Frame, agents: list[str], own: dict) -> dict[str, dict]:
        """Team-wide counts of this step (see the module docstring) and each agent's own values."""
        team = self._team_counts(prev.units, frame.units)
        team["score"], team["game_loop"] = float(frame.score), int(frame.game_loop)
        hp_prev = dict(zip(prev.units.tag.tolist(), (prev.units.health + prev.units.shield).tolist(), strict=True))
        hp_now = dict(zip(frame.units.tag.tolist(), (frame.units.health + frame.units.shield).tolist(), strict=True))
        infos = {}
        for i, agent in enumerate(agents):
            tag = int(own["tags"][i])
            infos[agent] = {
                **team,
                "own_damage_taken": max(0.0, hp_prev.get(tag, 0.0) - hp_now.get(tag, 0.0)),
                "health": float(own["health"][i]),
                "nearest_target_distance": float(own["nearest_target_distance"][i]),
                "nearest_ally_distance": float(own["nearest_ally_distance"][i]),
            }
        return infos

    def _team_counts(self, prev: Units, now: Units) -> dict[str, float]:
        gone = ~np.isin(prev.tag, now.tag)
        kept = np.flatnonzero(~gone)
        by_tag = np.argsort(now.tag)
        now_row = by_tag[np.searchsorted(now.tag, prev.tag[kept], sorter=by_tag)]
        life_prev = prev.health + prev.shield
        lost = np.zeros(len(prev.tag), np.float64)
        lost[kept] = np.maximum(0.0, life_prev[kept] - (now.health + now.shield)[now_row])
        enemy, own, neutral = prev.alliance == ENEMY, prev.alliance == SELF, prev.alliance == NEUTRAL
        killed = gone & enemy & prev.visible
        if self.spec.fog and killed.any():  # gone out of sight is not dead: the spot must still be seen
            eyes = np.r_[now.x[now.alliance == SELF] + 1j * now.y[now.alliance == SELF], prev.x[own] + 1j * prev.y[own]]
            sight = np.r_[_SIGHT[_known(now.unit_type[now.alliance == SELF])], _SIGHT[_known(prev.unit_type[own])]]
            spot = prev.x + 1j * prev.y
            seen = (np.abs(spot[:, None] - eyes[None, :]) <= sight[None, :]).any(axis=1)
            killed &= seen
        lost[killed] = life_prev[killed]
        lost[gone & own] = life_prev[gone & own]
        return {
            "kills": int(killed.sum()),
            "losses": int((gone & own).sum()),
            "damage_dealt": float(lost[enemy].sum()),
            "damage_taken": float(lost[own].sum()),
            "shards_collected": int((gone & neutral).sum()),
        }

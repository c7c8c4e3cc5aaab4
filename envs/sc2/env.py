"""The StarCraft II mini-games as one PettingZoo ParallelEnv over any :class:`~envs.sc2.frame.Backend`.

Everything here reads only :class:`Frame` and writes only :class:`Orders`, so the built-in engine and
the real game (PySC2) give the same observations, actions, masks, rewards and infos.

Agents. ``possible_agents`` = ``marine_0`` .. ``marine_{S-1}``, one name per own unit an episode can
give an agent to (``units.MiniGameSpec.agent_slots``: the starting Marines, plus the reinforcements of
a few waves on DefeatRoaches (29) and DefeatZerglingsAndBanelings (41)). Each own unit takes the next
unused name when it first appears (unit tags map to names); its agent leaves ``agents`` when the unit
dies (terminated) and a name is never reused within an episode (PettingZoo: a finished agent never
comes back). Reinforcements beyond the last name stay on the map as uncontrolled units. Names no
unit took in an episode are neither terminated nor truncated at its end (PettingZoo's API test warns
"not all possible_agents are terminated or truncated"; the learner's rollout skips them).

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

Reward: the change of the mini-game's score this step (kills, losses, beacons, shards as the map's
rules count them), the same for every agent (team reward); the episode's return is the final score.
``reward="damage_dealt"`` adds ``DAMAGE_REWARD`` per point of health and shield the enemies lost this
step (a shaped source task for teachers: every hit counts, not only kills).
Terminated: the agent's unit died, or the map ended the game; truncated: the time limit (120 game
seconds, 180 on FindAndDefeatZerglings, of 16 game loops each: 240 or 360 agent steps at ``step_mul``
8; see ``units.py`` [TIMER]).

``infos[agent]`` (for relabelling rewards), computed from consecutive frames, team-wide this step:
``kills`` (enemies gone while seen: dead), ``losses`` (own units dead), ``damage_dealt`` and
``damage_taken`` (health + shield lost by enemies / own units, a killed unit's last value
included), ``shards_collected`` (neutral pick-ups gone), ``score``, ``game_loop``; and the agent's
own: ``own_damage_taken``, ``health`` (fraction), ``nearest_target_distance`` and
``nearest_ally_distance`` (cells, -1 when there is none).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.sc2.frame import ATTACK, ENEMY, MOVE, NEUTRAL, SELF, STOP, Backend, Frame, Orders, Units
from envs.sc2.units import UNIT_TYPES, MiniGameSpec, minigame

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
REWARDS = ("score", "damage_dealt")
DAMAGE_REWARD = 0.1  # reward "damage_dealt": score change + 0.1 per hit point dealt (a Roach's 145 hp: 14.5)


def check_reward(reward: str) -> None:
    """A clear error for an unknown ``reward`` option."""
    if reward not in REWARDS:
        raise ValueError(f"unknown sc2 reward {reward!r}; expected one of {', '.join(REWARDS)}")


def batch_of_one(u: Units) -> Units:
    """A one-game ``(1, n)`` view of a frame's units."""
    return Units(**{f.name: getattr(u, f.name)[None] for f in fields(Units)})


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

    Works on :class:`Units` whose arrays are ``(E, U)``: game ``e``'s units in row ``e``, padded with
    units of alliance 0 (no unit). Observers are given by their game, their unit's column (``U``: the
    unit is gone) and their position. ``SC2Env`` calls it with one game, ``SC2VecEnv`` with a batch.
    """

    def __init__(
        self, spec: MiniGameSpec, k_allies: int, k_targets: int, move_step: float, see_through_fog: bool
    ) -> None:
        if k_allies < 0 or k_targets < 1 or move_step <= 0:
            raise ValueError(
                f"need k_allies >= 0, k_targets >= 1, move_step > 0; got {k_allies}, {k_targets}, {move_step}"
            )
        self.spec, self.k_allies, self.k_targets, self.move_step = spec, k_allies, k_targets, move_step
        self.hide_fog = spec.fog and not see_through_fog
        self.obs_dim = OWN_DIM + ALLY_DIM * k_allies + TARGET_DIM * k_targets + 1
        self.n_actions = N_FIXED + k_targets
        low, high = np.zeros(self.obs_dim, np.float32), np.ones(self.obs_dim, np.float32)
        starts = [OWN_DIM + ALLY_DIM * a for a in range(k_allies)]
        starts += [OWN_DIM + ALLY_DIM * k_allies + TARGET_DIM * t for t in range(k_targets)]
        for start in starts:  # dx, dy in [-1, 1]; distance in [0, 1.5]
            low[start + 1 : start + 3], high[start + 3] = -1.0, 1.5
        self.observation_space = spaces.Dict(
            {
                "observation": spaces.Box(low, high, dtype=np.float32),
                "action_mask": spaces.Box(0, 1, (self.n_actions,), np.int8),
            }
        )
        self.action_space = spaces.Discrete(self.n_actions)
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
        M, ka, kt = len(game), self.k_allies, self.k_targets
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

        obs = np.empty((M, self.obs_dim), np.float32)
        own_row = table[game, col]
        obs[:, :OWN_DIM] = own_row[:, self._own_cols]
        obs[:, 3], obs[:, 4] = pos.real / map_size[game, 0], pos.imag / map_size[game, 1]
        obs[:, OWN_DIM : OWN_DIM + ALLY_DIM * ka] = blocks[:, :ka, :ALLY_DIM].reshape(M, -1)
        obs[:, OWN_DIM + ALLY_DIM * ka : -1] = blocks[:, ka:].reshape(M, -1)
        obs[:, -1] = time_left[game]
        np.clip(obs[:, 3:5], 0.0, 1.0, out=obs[:, 3:5])  # a backend may place a unit off the playable area
        mask = np.ones((M, self.n_actions), np.int8)
        mask[:, N_FIXED:] = table[game[:, None], t_idx, 0]  # a present, visible target (column U: zeros)
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
        legal = (act > 0) & (act < self.n_actions)
        ordered = legal & (seen["mask"][np.arange(M), np.where(legal, act, 0)] == 1)
        slot = np.minimum(np.maximum(act - N_FIXED, 0), self.k_targets - 1)  # np.clip is slow on tiny arrays
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


class SC2Env(ParallelEnv):
    """A mini-game as a ParallelEnv (see the module docstring for spaces, rules and infos).

    Args:
        backend: the source of frames (``BuiltinBackend`` or the PySC2 backend).
        k_allies, k_targets: ally and target slots in each observation.
        move_step: cells a move action aims ahead of the unit.
        see_through_fog: list targets hidden by fog of war (visible = 0, masked).
        reward: ``"score"`` (the map's score change) or ``"damage_dealt"`` (plus ``DAMAGE_REWARD`` per
            point of damage dealt).
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
        reward: str = "score",
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise ValueError(f"render_mode must be None, got {render_mode!r}")
        check_reward(reward)
        self.backend, self.reward = backend, reward
        self.spec = minigame(backend.map_name)
        self.features = Features(self.spec, k_allies, k_targets, move_step, see_through_fog)
        self.render_mode = render_mode
        self.limit_loops = self.spec.limit_loops
        self.episode_steps = -(-self.limit_loops // backend.step_mul)
        self.possible_agents = [f"marine_{i}" for i in range(self.spec.agent_slots)]
        self.agents: list[str] = []
        self.map_size: tuple[float, float] = self.spec.size  # the frames' own from reset on

    def observation_space(self, agent: str) -> spaces.Dict:
        """The (shared) observation space."""
        return self.features.observation_space

    def action_space(self, agent: str) -> spaces.Discrete:
        """The (shared) action space."""
        return self.features.action_space

    # -- episode ------------------------------------------------------------------------------

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        """Start an episode (``seed``: the backend's seed; same seed, same episode)."""
        frame = self.backend.reset(seed=seed)
        self._agent_tag: dict[str, int] = {}  # the unit of each agent name given out this episode
        self._tag_agent: dict[int, str] = {}
        self._last_pos: dict[str, complex] = {}  # where each agent's unit was last seen
        self._prev = frame
        self.map_size = frame.map_size
        self.agents = self._join(frame)
        obs = self._observe(frame, self.agents)
        return obs, self._infos(self._units, frame, self.agents)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Order every live agent's unit, advance the backend one agent step, observe."""
        frame = self.backend.step(self._orders(actions))
        live = self._join(frame)
        alive, before = set(live), set(self.agents)
        reported = self.agents + [a for a in live if a not in before]  # the acting agents, then who joined
        prev_units = self._units  # the last observation's units, as one batch of one game
        obs = self._observe(frame, reported)
        infos = self._infos(prev_units, frame, reported)
        reward = float(frame.score - self._prev.score)
        if self.reward == "damage_dealt" and reported:
            reward += DAMAGE_REWARD * infos[reported[0]]["damage_dealt"]
        time_up = frame.game_loop >= self.limit_loops
        ended = frame.episode_over or time_up
        terms = {a: a not in alive or (ended and not time_up) for a in reported}
        truncs = {a: time_up and a in alive for a in reported}
        self._prev = frame
        self.agents = [] if ended else live
        return obs, dict.fromkeys(reported, reward), terms, truncs, infos

    def close(self) -> None:
        """Close the backend."""
        self.backend.close()

    # -- agents, orders, observations, infos ----------------------------------------------------

    def _join(self, frame: Frame) -> list[str]:
        """New own units take the next unused agent names; returns the live agents, in name order."""
        own = frame.units.tag[frame.units.alliance == SELF].tolist()
        for tag in own:
            if tag not in self._tag_agent and len(self._agent_tag) < len(self.possible_agents):
                name = self.possible_agents[len(self._agent_tag)]
                self._agent_tag[name], self._tag_agent[tag] = tag, name
        live = {self._tag_agent[t] for t in own if t in self._tag_agent}
        return [a for a in self._agent_tag if a in live]

    def _orders(self, actions: dict[str, Any]) -> Orders:
        """Actions of the live agents -> orders for their units (a masked choice is a no-op)."""
        agents = self.agents
        if not agents:
            return Orders()
        act = np.array([int(actions.get(a, 0)) for a in agents])
        rows = [self._seen_row[a] for a in agents]
        seen = {k: v[rows] for k, v in self._seen.items()}
        ordered, kind, goal, target = self.features.decode(
            self._units, act, seen, np.zeros(len(agents), np.int64), self._pos[rows], self._size
        )
        tags = np.array([self._agent_tag[a] for a in agents], np.int64)
        target_tag = np.where(target >= 0, self._units.tag[0, np.maximum(target, 0)], 0)
        return Orders(
            tag=tags[ordered],
            kind=kind[ordered],
            x=goal.real[ordered].astype(np.float32),
            y=goal.imag[ordered].astype(np.float32),
            target=target_tag[ordered].astype(np.int64),
        )

    def _observe(self, frame: Frame, agents: list[str]) -> dict:
        """Observations of ``agents`` (an agent whose unit just died observes from where it fell); keeps
        what ``_orders`` and ``_infos`` need."""
        u = batch_of_one(frame.units)
        n = u.tag.shape[1]
        col_of = dict(zip(frame.units.tag.tolist(), range(n), strict=True))
        cols = np.array([col_of.get(self._agent_tag[a], n) for a in agents], np.int64)
        pos = np.array([complex(frame.units.x[c], frame.units.y[c]) if c < n else self._last_pos.get(a, 0j)
                        for a, c in zip(agents, cols.tolist(), strict=True)], np.complex128)  # fmt: skip
        self._last_pos = dict(zip(agents, pos.tolist(), strict=True))
        size = np.array([frame.map_size], np.float64)
        time_left = np.array([max(0.0, 1.0 - frame.game_loop / self.limit_loops)])
        zeros = np.zeros(len(agents), np.int64)
        seen = self.features.observe(u, zeros, cols, pos, time_left, size)
        self._units, self._seen, self._pos, self._size = u, seen, pos, size
        self._seen_row = {a: i for i, a in enumerate(agents)}
        return {a: {"observation": seen["obs"][i], "action_mask": seen["mask"][i]} for i, a in enumerate(agents)}

    def _infos(self, prev: Units, frame: Frame, agents: list[str]) -> dict[str, dict]:
        """Team-wide counts of this step (see the module docstring) and each agent's own values;
        ``prev``: the units before the step, and ``self._units`` after it, as batches of one game."""
        counts = self.features.team_counts(prev, self._units)
        team: dict[str, Any] = {k: v[0].item() for k, v in counts.items()}
        team["score"], team["game_loop"] = float(frame.score), int(frame.game_loop)
        p, q = prev, self._units
        life_prev = dict(zip(p.tag[0].tolist(), (p.health + p.shield)[0].tolist(), strict=True))
        life_now = dict(zip(q.tag[0].tolist(), (q.health + q.shield)[0].tolist(), strict=True))
        seen = self._seen
        infos = {}
        for i, agent in enumerate(agents):
            tag = self._agent_tag[agent]
            infos[agent] = {
                **team,
                "own_damage_taken": max(0.0, life_prev.get(tag, 0.0) - life_now.get(tag, 0.0)),
                "health": float(seen["health"][i]),
                "nearest_target_distance": float(seen["nearest_target"][i]),
                "nearest_ally_distance": float(seen["nearest_ally"][i]),
            }
        return infos

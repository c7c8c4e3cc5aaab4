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

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.sc2.frame import ATTACK, ENEMY, MOVE, NEUTRAL, SELF, STOP, Backend, Frame, Orders, Units
from envs.sc2.units import UNIT_TYPES, minigame

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
_DIRECTIONS = np.exp(1j * np.pi / 4 * np.arange(8)).tolist()  # east, then counter-clockwise
REWARDS = ("score", "damage_dealt")
DAMAGE_REWARD = 0.1  # reward "damage_dealt": score change + 0.1 per hit point dealt (a Roach's 145 hp: 14.5)


def _type_rows(unit_type: np.ndarray) -> np.ndarray:
    """Row of each unit type in the per-type tables (unknown types: the last row)."""
    return _TYPE_ROW.take(unit_type, mode="clip")


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
        if k_allies < 0 or k_targets < 1 or move_step <= 0:
            raise ValueError(
                f"need k_allies >= 0, k_targets >= 1, move_step > 0; got {k_allies}, {k_targets}, {move_step}"
            )
        if render_mode is not None:
            raise ValueError(f"render_mode must be None, got {render_mode!r}")
        if reward not in REWARDS:
            raise ValueError(f"unknown sc2 reward {reward!r}; expected one of {', '.join(REWARDS)}")
        self.backend, self.reward = backend, reward
        self.spec = minigame(backend.map_name)
        self.k_allies, self.k_targets, self.move_step = k_allies, k_targets, move_step
        self.see_through_fog = see_through_fog
        self.render_mode = render_mode
        self.limit_loops = self.spec.limit_loops
        self.episode_steps = -(-self.limit_loops // backend.step_mul)
        self.possible_agents = [f"marine_{i}" for i in range(self.spec.agent_slots)]
        self.agents: list[str] = []
        self.map_size: tuple[float, float] = self.spec.size  # the frames' own from reset on
        self.obs_dim = OWN_DIM + ALLY_DIM * k_allies + TARGET_DIM * k_targets + 1
        low, high = np.zeros(self.obs_dim, np.float32), np.ones(self.obs_dim, np.float32)
        starts = [OWN_DIM + ALLY_DIM * a for a in range(k_allies)]
        starts += [OWN_DIM + ALLY_DIM * k_allies + TARGET_DIM * t for t in range(k_targets)]
        for start in starts:  # dx, dy in [-1, 1]; distance in [0, 1.5]
            low[start + 1 : start + 3], high[start + 3] = -1.0, 1.5
        self.low, self.high = low, high
        self._own_cols = np.r_[1, 2, 3, 0, 0, 4:UNIT_DIM]  # table columns -> own features (x, y set apart)
        # per alliance (0: no unit): 0 for an ally candidate (row 0) or a target candidate (row 1), else inf
        self._penalty = np.full((2, NEUTRAL + 2), np.inf)
        self._penalty[0, SELF] = 0.0
        self._penalty[1, NEUTRAL if self.spec.neutral_targets else ENEMY] = 0.0
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
        self._agent_tag: dict[str, int] = {}  # the unit of each agent name given out this episode
        self._tag_agent: dict[int, str] = {}
        self._last_pos: dict[str, complex] = {}  # where each agent's unit was last seen
        self._prev, self._scale = frame, float(max(frame.map_size))
        self.map_size = frame.map_size
        self.agents = self._join(frame)
        obs, own = self._observe(frame, self.agents)
        return obs, self._infos(frame, frame, self.agents, own)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Order every live agent's unit, advance the backend one agent step, observe."""
        frame = self.backend.step(self._orders(actions))
        live = self._join(frame)
        alive, before = set(live), set(self.agents)
        reported = self.agents + [a for a in live if a not in before]  # the acting agents, then who joined
        obs, own = self._observe(frame, reported)
        infos = self._infos(self._prev, frame, reported, own)
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

    # -- agents and orders --------------------------------------------------------------------

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
        tags, kinds, goals, targets = [], [], [], []
        u, (width, height) = self._prev.units, self._prev.map_size
        for agent in self.agents:
            act = int(actions.get(agent, 0))
            i = self._obs_row[agent]
            if not (0 < act < self.n_actions and self._mask[i, act]):
                continue  # no-op: the unit keeps its order
            tags.append(self._agent_tag[agent])
            target = 0
            if act == 1:
                kinds.append(STOP)
                goals.append(0j)
            elif act < N_FIXED:
                kinds.append(MOVE)
                goal = self._pos[i] + self.move_step * _DIRECTIONS[act - 2]
                goals.append(complex(min(max(goal.real, 0.0), width), min(max(goal.imag, 0.0), height)))
            else:
                j = self._target_rows[i][act - N_FIXED]
                goals.append(complex(u.x[j], u.y[j]))
                if u.alliance[j] == ENEMY:
                    kinds.append(ATTACK)
                    target = int(u.tag[j])
                else:  # a pick-up: walk onto it
                    kinds.append(MOVE)
            targets.append(target)
        if not tags:
            return Orders()
        goal = np.array(goals)
        return Orders(
            tag=np.array(tags, np.int64),
            kind=np.array(kinds, np.int8),
            x=goal.real.astype(np.float32),
            y=goal.imag.astype(np.float32),
            target=np.array(targets, np.int64),
        )

    # -- observations -------------------------------------------------------------------------

    def _observe(self, frame: Frame, agents: list[str]) -> tuple[dict, dict]:
        """Observations of ``agents`` (an agent whose unit just died observes from where it fell).

        Also keeps, per observation row, what ``_orders`` needs to decode the next actions.
        """
        u, n_agents, ka, kt = frame.units, len(agents), self.k_allies, self.k_targets
        n = len(u.tag)
        row_of = dict(zip(u.tag.tolist(), range(n), strict=True))
        rows_list = [row_of.get(self._agent_tag[a], n) for a in agents]  # n: the unit is gone
        rows = np.array(rows_list, np.int64)
        # per unit, and a last row for empty slots and the dead: visible, health, shield, cooldown,
        # type (all 0); kind (a row of the per-type tables); position; alliance (0: none)
        kind = np.full(n + 1, len(UNIT_TYPES))
        kind[:n] = _type_rows(u.unit_type)
        table = np.zeros((n + 1, UNIT_DIM), np.float32)
        table[:n, 0] = u.visible
        np.divide(u.health, np.maximum(u.health_max, 1e-6), out=table[:n, 1])
        np.divide(u.shield, np.maximum(u.shield_max, 1e-6), out=table[:n, 2])
        np.minimum(u.weapon_cooldown / _PERIOD[kind[:n]], 1.0, out=table[:n, 3])
        table[:n, 4:] = _ONEHOT[kind[:n]]
        pos_all = np.zeros(n + 1, np.complex128)
        pos_all.real[:n], pos_all.imag[:n] = u.x, u.y
        pos = pos_all[rows]
        for i, r in enumerate(rows_list):
            if r == n:
                pos[i] = self._last_pos.get(agents[i], 0j)
        self._pos = pos.tolist()
        self._last_pos = dict(zip(agents, self._pos, strict=True))

        # the k nearest allies (own units but oneself) and targets (enemies or pick-ups) of each agent:
        # distances to every unit, plus inf where a unit is not a candidate; at least k columns
        alliance = np.zeros(max(n + 1, ka, kt), np.int64)
        alliance[:n] = u.alliance
        penalty = self._penalty[:, alliance]
        if self.spec.fog and not self.see_through_fog:
            penalty[1, :n][~u.visible] = np.inf
        d = np.full((2, n_agents, len(alliance)), np.inf)
        d[:, :, : n + 1] = np.abs(pos[:, None] - pos_all[None, :])
        d += penalty[:, None, :]
        d[0, np.arange(n_agents), rows] = np.inf  # not oneself (a dead agent's row n is inf anyway)
        cols, sd = np.argsort(d, axis=2, kind="stable"), np.sort(d, axis=2, kind="stable")
        idx = np.concatenate([cols[0, :, :ka], cols[1, :, :kt]], axis=1)
        sd = np.concatenate([sd[0, :, :ka], sd[1, :, :kt]], axis=1)
        present = sd < np.inf
        idx = np.where(present, idx, n)
        rel = (pos_all[idx] - pos[:, None]) * (present / self._scale)
        blocks = np.empty((n_agents, ka + kt, TARGET_DIM), np.float32)
        blocks[..., 0] = present
        blocks[..., 1], blocks[..., 2], blocks[..., 3] = rel.real, rel.imag, np.abs(rel)
        blocks[..., 4 : 4 + UNIT_DIM] = table[idx]
        t_idx = idx[:, ka:]
        radius = np.zeros(n + 1)
        radius[:n] = u.radius
        reach = _RANGE[kind[rows]] + radius[rows]  # own weapon range and radius
        blocks[:, ka:, -1] = sd[:, ka:] - radius[t_idx] <= reach[:, None]  # edge to edge; inf never in range

        obs = np.empty((n_agents, self.obs_dim), np.float32)
        obs[:, :OWN_DIM] = table[rows][:, self._own_cols]
        obs[:, 3], obs[:, 4] = pos.real / frame.map_size[0], pos.imag / frame.map_size[1]
        obs[:, OWN_DIM : OWN_DIM + ALLY_DIM * ka] = blocks[:, :ka, :ALLY_DIM].reshape(n_agents, -1)
        obs[:, OWN_DIM + ALLY_DIM * ka : -1] = blocks[:, ka:].reshape(n_agents, -1)
        obs[:, -1] = max(0.0, 1.0 - frame.game_loop / self.limit_loops)
        np.clip(obs[:, 3:5], 0.0, 1.0, out=obs[:, 3:5])  # a backend may place a unit off the playable area
        mask = np.ones((n_agents, self.n_actions), np.int8)
        mask[:, N_FIXED:] = table[t_idx, 0]  # a present, visible target (row n: zeros)
        # what _orders needs to turn the next actions into orders
        self._obs_row = {a: i for i, a in enumerate(agents)}
        self._mask, self._target_rows = mask, t_idx.tolist()

        out = {a: {"observation": obs[i], "action_mask": mask[i]} for i, a in enumerate(agents)}
        nearest = np.where(present, sd, -1.0)
        own = {
            "health": table[rows, 1].tolist(),
            "nearest_target_distance": nearest[:, ka].tolist(),
            "nearest_ally_distance": nearest[:, 0].tolist() if ka else [-1.0] * n_agents,
        }
        return out, own

    # -- infos --------------------------------------------------------------------------------

    def _infos(self, prev: Frame, frame: Frame, agents: list[str], own: dict[str, list]) -> dict[str, dict]:
        """Team-wide counts of this step (see the module docstring) and each agent's own values."""
        p, q = prev.units, frame.units
        life_prev = dict(zip(p.tag.tolist(), (p.health + p.shield).tolist(), strict=True))
        life_now = dict(zip(q.tag.tolist(), (q.health + q.shield).tolist(), strict=True))
        team = self._team_counts(p, q, life_prev, life_now)
        team["score"], team["game_loop"] = float(frame.score), int(frame.game_loop)
        infos = {}
        for i, agent in enumerate(agents):
            tag = self._agent_tag[agent]
            infos[agent] = {
                **team,
                "own_damage_taken": max(0.0, life_prev.get(tag, 0.0) - life_now.get(tag, 0.0)),
                "health": own["health"][i],
                "nearest_target_distance": own["nearest_target_distance"][i],
                "nearest_ally_distance": own["nearest_ally_distance"][i],
            }
        return infos

    def _team_counts(self, prev: Units, now: Units, life_prev: dict, life_now: dict) -> dict[str, float]:
        """Kills, losses, damage and pick-ups between two frames, from tags that disappear and life lost."""
        counts = {"kills": 0, "losses": 0, "damage_dealt": 0.0, "damage_taken": 0.0, "shards_collected": 0}
        eyes = None
        for tag, alliance, visible, x, y in zip(
            prev.tag.tolist(),
            prev.alliance.tolist(),
            prev.visible.tolist(),
            prev.x.tolist(),
            prev.y.tolist(),
            strict=True,
        ):
            before, after = life_prev[tag], life_now.get(tag)
            if alliance == SELF:
                counts["damage_taken"] += before - (after if after is not None else 0.0)
                counts["losses"] += after is None
            elif alliance == ENEMY:
                if after is None:  # dead, or gone out of sight: dead only if its spot is still seen
                    if visible and self.spec.fog and eyes is None:
                        eyes = self._eyes(prev, now)
                    if visible and (not self.spec.fog or (np.abs(eyes[0] - complex(x, y)) <= eyes[1]).any()):
                        counts["kills"] += 1
                        counts["damage_dealt"] += before
                else:
                    counts["damage_dealt"] += max(0.0, before - after)
            elif alliance == NEUTRAL:
                counts["shards_collected"] += after is None
        return counts

    @staticmethod
    def _eyes(prev: Units, now: Units) -> tuple[np.ndarray, np.ndarray]:
        """Positions and sight radii of own units in either frame."""
        mine_prev, mine_now = prev.alliance == SELF, now.alliance == SELF
        pos = np.concatenate([prev.x[mine_prev] + 1j * prev.y[mine_prev], now.x[mine_now] + 1j * now.y[mine_now]])
        sight = _SIGHT[_type_rows(np.concatenate([prev.unit_type[mine_prev], now.unit_type[mine_now]]))]
        return pos, sight

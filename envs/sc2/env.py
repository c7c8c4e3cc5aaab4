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

Observations, action masks and actions: ``interface.py`` (its docstring has the observation's table;
:class:`~envs.sc2.interface.ObsLayout` its offsets). A masked action is taken as a no-op.

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

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envs.errors import EnvKwargError, check_live, check_number
from envs.sc2.frame import SELF, Backend, Frame, Orders, Units
from envs.sc2.interface import K_ALLIES, K_TARGETS, MOVE_STEP, Features
from envs.sc2.units import minigame

REWARDS = ("score", "damage_dealt")
DAMAGE_REWARD = 0.1  # reward "damage_dealt": score change + 0.1 per hit point dealt (a Roach's 145 hp: 14.5)


def check_reward(reward: str) -> None:
    """A clear error for an unknown ``reward`` option."""
    if reward not in REWARDS:
        raise EnvKwargError("reward", f"unknown sc2 reward {reward!r}; expected one of {', '.join(REWARDS)}")


def batch_of_one(u: Units) -> Units:
    """A one-game ``(1, n)`` view of a frame's units."""
    return Units(**{f.name: getattr(u, f.name)[None] for f in fields(Units)})


@dataclass(frozen=True)
class Observed:
    """What one observation of ``SC2Env`` saw: the next step decodes its agents' actions against it and
    counts the step's infos from it."""

    units: Units  # the frame's units, as a batch of one game
    seen: dict[str, np.ndarray]  # ``Features.observe``'s output, one row per agent
    row: dict[str, int]  # each observed agent's row, in observation order
    pos: np.ndarray  # (agents,) complex: where each agent's unit is, or fell
    map_size: np.ndarray  # (1, 2)

    def position(self, agent: str) -> complex:
        """Where ``agent``'s unit was (0 for an agent not observed)."""
        return complex(self.pos[self.row[agent]]) if agent in self.row else 0j

    def observations(self) -> dict[str, dict[str, np.ndarray]]:
        """The env's observation dict of every observed agent."""
        obs, mask = self.seen["obs"], self.seen["mask"]
        return {a: {"observation": obs[i], "action_mask": mask[i]} for a, i in self.row.items()}


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
        k_allies: int = K_ALLIES,
        k_targets: int = K_TARGETS,
        move_step: float = MOVE_STEP,
        see_through_fog: bool = False,
        reward: str = "score",
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None:
            raise EnvKwargError("render_mode", f"expected None, got {render_mode!r}")
        check_number("k_allies", k_allies, 1)
        check_number("k_targets", k_targets, 1)
        check_number("move_step", move_step, 0, integer=False, above=True)
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
        self.map_size = frame.map_size
        self.agents = self._join(frame)
        seen = self._observe(frame, self.agents, None)
        self._prev, self._seen = frame, seen
        return seen.observations(), self._infos(seen, seen, frame)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Order every live agent's unit, advance the backend one agent step, observe."""
        check_live(self.agents, type(self).__name__)
        frame = self.backend.step(self._orders(actions, self._seen))
        live = self._join(frame)
        alive, before = set(live), set(self.agents)
        reported = self.agents + [a for a in live if a not in before]  # the acting agents, then who joined
        seen = self._observe(frame, reported, self._seen)
        infos = self._infos(self._seen, seen, frame)
        reward = float(frame.score - self._prev.score)
        if self.reward == "damage_dealt" and reported:
            reward += DAMAGE_REWARD * infos[reported[0]]["damage_dealt"]
        time_up = frame.game_loop >= self.limit_loops
        ended = frame.episode_over or time_up
        terms = {a: a not in alive or (ended and not time_up) for a in reported}
        truncs = {a: time_up and a in alive for a in reported}
        self._prev, self._seen = frame, seen
        self.agents = [] if ended else live
        return seen.observations(), dict.fromkeys(reported, reward), terms, truncs, infos

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

    def _orders(self, actions: dict[str, Any], seen: Observed) -> Orders:
        """Actions of the live agents -> orders for their units, decoded against the observation ``seen``
        they acted on (a masked choice is a no-op)."""
        agents = self.agents
        act = np.array([int(actions.get(a, 0)) for a in agents])
        rows = [seen.row[a] for a in agents]
        observed = {k: v[rows] for k, v in seen.seen.items()}
        ordered, kind, goal, target = self.features.decode(
            seen.units, act, observed, np.zeros(len(agents), np.int64), seen.pos[rows], seen.map_size
        )
        tags = np.array([self._agent_tag[a] for a in agents], np.int64)
        target_tag = np.where(target >= 0, seen.units.tag[0, np.maximum(target, 0)], 0)
        return Orders(
            tag=tags[ordered],
            kind=kind[ordered],
            x=goal.real[ordered].astype(np.float32),
            y=goal.imag[ordered].astype(np.float32),
            target=target_tag[ordered].astype(np.int64),
        )

    def _observe(self, frame: Frame, agents: list[str], last: Observed | None) -> Observed:
        """What ``agents`` see of ``frame``; an agent whose unit just died observes from where the last
        observation ``last`` saw it (None at reset, where every agent's unit lives)."""
        u = batch_of_one(frame.units)
        n = u.tag.shape[1]
        col_of = dict(zip(frame.units.tag.tolist(), range(n), strict=True))
        cols = np.array([col_of.get(self._agent_tag[a], n) for a in agents], np.int64)
        pos = np.array([complex(frame.units.x[c], frame.units.y[c]) if c < n or last is None else last.position(a)
                        for a, c in zip(agents, cols.tolist(), strict=True)], np.complex128)  # fmt: skip
        size = np.array([frame.map_size], np.float64)
        time_left = np.array([max(0.0, 1.0 - frame.game_loop / self.limit_loops)])
        zeros = np.zeros(len(agents), np.int64)
        seen = self.features.observe(u, zeros, cols, pos, time_left, size)
        return Observed(u, seen, {a: i for i, a in enumerate(agents)}, pos, size)

    def _infos(self, prev: Observed, now: Observed, frame: Frame) -> dict[str, dict]:
        """Team-wide counts of this step (see the module docstring) and the own values of ``now``'s
        agents; ``prev``: what the last observation saw (at reset: ``now`` itself)."""
        counts = self.features.team_counts(prev.units, now.units)
        team: dict[str, Any] = {k: v[0].item() for k, v in counts.items()}
        team["score"], team["game_loop"] = float(frame.score), int(frame.game_loop)
        p, q = prev.units, now.units
        life_prev = dict(zip(p.tag[0].tolist(), (p.health + p.shield)[0].tolist(), strict=True))
        life_now = dict(zip(q.tag[0].tolist(), (q.health + q.shield)[0].tolist(), strict=True))
        seen = now.seen
        infos = {}
        for agent, i in now.row.items():
            tag = self._agent_tag[agent]
            infos[agent] = {
                **team,
                "own_damage_taken": max(0.0, life_prev.get(tag, 0.0) - life_now.get(tag, 0.0)),
                "health": float(seen["health"][i]),
                "nearest_target_distance": float(seen["nearest_target"][i]),
                "nearest_ally_distance": float(seen["nearest_ally"][i]),
            }
        return infos

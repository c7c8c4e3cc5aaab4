"""Bot cars (``LaneBots``, the simulator's) and a pure-pursuit driver (``PurePursuit``, a policy).

``LaneBots`` moves the bot cars as the simulator's ``agent_ctrl/bot_cars_agent_ctrl.py`` does: not
driven but set on their lane every step, ``speed`` metres of centre line per second of bot time;
lane changes along a smooth S between the lanes; all bots wait ``penalty`` seconds when one runs into
a learning car from behind.

``PurePursuit`` follows the centre line at a set speed; use it as a policy in two ways:

- ``PurePursuit(env.actions).act(env, agent)``: the action for ``agent`` now (it reads the
  agent's latest DeepRacer params, ``env.params[agent]``);
- ``PurePursuit(env.actions)(obs, params)``: the action for one agent's observation and the
  params dict from ``infos[agent]["params"]`` (only the params are used).

``control(params)`` gives the raw command (steering degrees, speed m/s).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from envs.racing.actions import MAX_STEERING, Actions
from envs.racing.physics import WHEELBASE
from envs.racing.tracks import Track


def spread(
    n: int, length: float, gap: float, randomize: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Arc lengths (n,) and lanes (n,), True for the outer one, of n bot cars or obstacles, as the simulator
    places them (``obstacles_agent_ctrl.py``, ``bot_cars_agent_ctrl.py``): evenly from ``gap`` to 1 m
    short of the end of the track, alternating inner, outer, inner, ...; with ``randomize`` each, in a
    random order, moves to a uniform place at least ``gap`` metres from its neighbours (where there is
    room) and takes a random lane."""
    start, end = gap, length - 1.0
    arcs = np.linspace(start, end, n)
    if not randomize:
        return arcs, np.arange(n) % 2 == 1
    for i in rng.permutation(n):
        lo = start if i == 0 else arcs[i - 1] + gap
        hi = end if i == n - 1 else arcs[i + 1] - gap
        if lo < hi:
            arcs[i] = rng.uniform(lo, hi)
    return arcs, rng.integers(0, 2, n).astype(bool)


class LaneBots:
    """The simulator's bot cars, vectorised over bots. Arc lengths are metres of centre line.

    Args:
        n: bot cars.
        speed: m/s of centre line (``BOT_CAR_SPEED``).
        lane_change: change lanes (``IS_LANE_CHANGE``): each bot, ``lane_change_time`` = (low, high)
            seconds (uniform) after its last change ends, crosses to the other lane over
            ``lane_change_distance`` metres (``LOWER_/UPPER_LANE_CHANGE_TIME``, ``LANE_CHANGE_DISTANCE``).
        gap: metres between bots at the start (``MIN_DISTANCE_BETWEEN_BOT_CARS``), see ``spread``.
        randomize: random start places and lanes (``RANDOMIZE_BOT_CAR_LOCATIONS``).
        penalty: seconds all bots wait after one runs into a learning car (``PENALTY_SECONDS``).
        dt: seconds of a step.

    The lateral offset moves between the lanes along smoothstep 3u^2 - 2u^3 of the fraction u of the
    change's distance (the simulator fits a cubic spline through both lanes: the same S, a few cm apart).
    """

    def __init__(
        self, n: int, speed: float, lane_change: bool, lane_change_time: tuple[float, float],
        lane_change_distance: float, gap: float, randomize: bool, penalty: float, dt: float,
    ) -> None:  # fmt: skip
        self.n, self.speed, self.lane_change = n, speed, lane_change
        self.lane_change_time, self.lane_change_distance = lane_change_time, lane_change_distance
        self.gap, self.randomize, self.dt = gap, randomize, dt
        self.penalty_steps = round(penalty / dt)
        self.duration = lane_change_distance / speed  # seconds a lane change takes

    def reset(self, length: float, rng: np.random.Generator, arcs: np.ndarray | None = None) -> None:
        """New start places (``arcs``, or spread over a track of ``length`` metres) and lanes; time 0."""
        self.rng = rng
        self.start, self.outer = spread(self.n, length, self.gap, self.randomize, rng)
        if arcs is not None:
            self.start = np.asarray(arcs, dtype=float)
        self.target = self.outer.copy()  # the lane it is changing to (== outer when not changing)
        self.ticks = 0  # steps the bots have driven (waits excluded)
        self.wait = 0  # steps left of a wait
        self.change_end = np.full(self.n, 0.0 if self.lane_change else np.inf)  # bot clock

    @property
    def clock(self) -> float:
        """Seconds the bots have driven (waits excluded)."""
        return self.ticks * self.dt

    @property
    def arcs(self) -> np.ndarray:
        """Each bot's arc length now (not wrapped)."""
        return self.start + self.speed * self.clock

    def step(self) -> None:
        """Advance one step: wait, or drive and start the lane changes that are due."""
        if self.wait:
            self.wait -= 1
            return
        self.ticks += 1
        due = self.clock >= self.change_end
        if due.any():  # a finished change: the target lane is now the lane; plan the next change
            started = due & (self.change_end > 0.0)
            self.outer[started] = self.target[started]
            self.target[due] = ~self.outer[due]
            low, high = self.lane_change_time
            self.change_end[due] = self.clock + self.rng.uniform(low, high, int(due.sum())) + self.duration

    def hold(self) -> None:
        """All bots wait ``penalty`` seconds (one ran into a learning car from behind); ignored while waiting."""
        if not self.wait:
            self.wait = self.penalty_steps

    def poses(self, track: Track) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Centre (n, 2), heading (n,) and signed lateral offset (n,) of each bot now."""
        s = self.arcs % track.length  # on an open track too: back to the start, as the simulator does
        u = np.clip((self.clock - (self.change_end - self.duration)) / self.duration, 0.0, 1.0)
        a, b = track.lane_offset(s, self.outer), track.lane_offset(s, self.target)
        lateral = a + (b - a) * u * u * (3 - 2 * u)
        slope = (b - a) * 6 * u * (1 - u) / self.lane_change_distance  # d lateral / d arc
        xy, direction = track.offset_points(s, lateral)
        return xy, direction + np.arctan(slope), lateral


class PurePursuit:
    """Steer toward the centre-line point ``lookahead`` metres ahead (pure-pursuit law)."""

    def __init__(self, actions: Actions | None = None, speed: float = 1.5, lookahead: float = 0.8) -> None:
        self.actions = actions
        self.speed = speed
        self.lookahead = lookahead

    def control(self, params: dict[str, Any]) -> tuple[float, float]:
        """(steering degrees, left positive; speed m/s) from a DeepRacer params dict."""
        x, y = params["x"], params["y"]
        waypoints = params["waypoints"]
        n = len(waypoints)
        i = params["closest_waypoints"][1]
        for _ in range(n):
            tx, ty = waypoints[i]
            if math.hypot(tx - x, ty - y) >= self.lookahead:
                break
            i = (i + 1) % n
        alpha = math.atan2(ty - y, tx - x) - math.radians(params["heading"])
        distance = max(math.hypot(tx - x, ty - y), 1e-6)
        steer = math.degrees(math.atan2(2 * WHEELBASE * math.sin(alpha), distance))
        return max(-MAX_STEERING, min(MAX_STEERING, steer)), self.speed

    def __call__(self, obs: Any, params: dict[str, Any]) -> Any:
        """The env action for one agent (``obs`` is accepted for a policy's signature)."""
        if self.actions is None:
            raise ValueError("PurePursuit needs the env's Actions (env.actions) to return actions")
        return self.actions.encode(*self.control(params))

    def act(self, env: Any, agent: str) -> Any:
        """The action for ``agent`` of a racing env, from its latest params."""
        actions = self.actions or env.actions
        return actions.encode(*self.control(env.params[agent]))

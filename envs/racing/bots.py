"""Pure-pursuit driver: follows the centre line at a set speed. Drives the bot cars; also a policy.

Use it as a policy in two ways:

- ``PurePursuit(env.actions).act(env, agent)``: the action for ``agent`` now (it reads the
  agent's latest DeepRacer params, ``env.params[agent]``);
- ``PurePursuit(env.actions)(obs, params)``: the action for one agent's observation and the
  params dict from ``infos[agent]["params"]`` (only the params are used).

``control(params)`` gives the raw command (steering degrees, speed m/s), as bots use it.
"""

from __future__ import annotations

import math
from typing import Any

from envs.racing.actions import MAX_STEERING, Actions
from envs.racing.physics import WHEELBASE


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

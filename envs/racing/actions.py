"""Action spaces of the racing envs: DeepRacer's discrete steering x speed grid, or continuous.

Discrete (default): ``Discrete(n)``, action i is the i-th ``{"steering_angle": deg,
"speed": m/s}`` dict of the list (DeepRacer's action-space format); the default list is
steering {-30, -15, 0, 15, 30} degrees x speed {1, 2, 3} m/s, steering varying fastest.
Continuous: ``Box([-1, -1], [1, 1])``: steering = 30 deg x a[0] (left positive), speed linearly
from ``MIN_SPEED`` (a[1] = -1) to ``MAX_SPEED`` (a[1] = 1); values outside are clipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

MAX_STEERING = 30.0  # degrees
MIN_SPEED, MAX_SPEED = 0.5, 4.0  # m/s
DEFAULT_GRID = [
    {"steering_angle": float(steer), "speed": float(speed)}
    for speed in (1.0, 2.0, 3.0)
    for steer in (-30.0, -15.0, 0.0, 15.0, 30.0)
]


class Actions:
    """Maps env actions to (steering degrees, speed m/s) and back."""

    def __init__(self, kind: str = "discrete", grid: list[dict[str, float]] | None = None) -> None:
        if kind not in ("discrete", "continuous"):
            raise ValueError(f"action_space must be 'discrete' or 'continuous', got {kind!r}")
        self.kind = kind
        self.space: spaces.Space
        if kind == "discrete":
            grid = DEFAULT_GRID if grid is None else grid
            try:
                self.steering = np.array([float(a["steering_angle"]) for a in grid])
                self.speed = np.array([float(a["speed"]) for a in grid])
            except (KeyError, TypeError, ValueError) as err:
                raise ValueError("actions must be a list of {'steering_angle': degrees, 'speed': m/s} dicts") from err
            if len(grid) == 0 or (abs(self.steering) > MAX_STEERING).any():
                raise ValueError(f"actions need 1+ entries with |steering_angle| <= {MAX_STEERING}")
            self.space = spaces.Discrete(len(grid))
        else:
            if grid is not None:
                raise ValueError("an action grid (actions=...) needs action_space='discrete'")
            self.space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)

    def decode(self, action: Any) -> tuple[float, float]:
        """(steering degrees, speed m/s) of an env action."""
        if self.kind == "discrete":
            i = int(action)
            return float(self.steering[i]), float(self.speed[i])
        a0, a1 = min(1.0, max(-1.0, float(action[0]))), min(1.0, max(-1.0, float(action[1])))
        return MAX_STEERING * a0, MIN_SPEED + (a1 + 1.0) / 2 * (MAX_SPEED - MIN_SPEED)

    def encode(self, steering: float, speed: float) -> Any:
        """The env action closest to (steering degrees, speed m/s)."""
        if self.kind == "discrete":
            cost = ((self.steering - steering) / MAX_STEERING) ** 2 + ((self.speed - speed) / MAX_SPEED) ** 2
            return int(cost.argmin())
        a0 = steering / MAX_STEERING
        a1 = 2 * (speed - MIN_SPEED) / (MAX_SPEED - MIN_SPEED) - 1
        return np.clip(np.array([a0, a1], dtype=np.float32), -1.0, 1.0)

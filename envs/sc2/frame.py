"""What a StarCraft II backend hands the mini-game env: one snapshot of the map per agent step.

Both backends (``builtin``: the NumPy engine; ``pysc2``: the real game through PySC2's raw
interface) produce a :class:`Frame` and take :class:`Orders`. Everything above them (features,
action masks, agents joining and leaving, rewards, infos) is shared code, so the two backends
cannot drift apart.

Conventions (those of PySC2's raw units, so the pysc2 translation is a copy):
- positions ``x, y`` in map cells (float), origin at the map's bottom-left;
- ``alliance``: PySC2's ``features.PlayerRelative`` values: 1 self, 2 ally, 3 neutral, 4 enemy;
- ``unit_type``: the game's unit type ids (``pysc2.lib.units``), e.g. Marine 48, Zergling 105;
- ``weapon_cooldown`` in game loops until the unit's weapon is ready again;
- ``tag``: unique per unit over an episode (the game's unit tag).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

SELF, ALLY, NEUTRAL, ENEMY = 1, 2, 3, 4


@dataclass
class Units:
    """Every unit on the map, one row each (all arrays have the same length)."""

    tag: np.ndarray  # int64
    alliance: np.ndarray  # int8, SELF / ALLY / NEUTRAL / ENEMY
    unit_type: np.ndarray  # int32
    x: np.ndarray  # float32, map cells
    y: np.ndarray  # float32
    health: np.ndarray  # float32
    health_max: np.ndarray  # float32
    shield: np.ndarray  # float32
    shield_max: np.ndarray  # float32
    weapon_cooldown: np.ndarray  # float32, game loops
    radius: np.ndarray  # float32, map cells
    visible: np.ndarray  # bool: seen by the player this frame (fog of war)


@dataclass
class Frame:
    """The map after one agent step (or at reset)."""

    units: Units
    game_loop: int  # game loops since the episode began
    score: float  # the mini-game's cumulative score (score_cumulative[0] in PySC2)
    episode_over: bool  # the game ended the episode (time up or the map's own end)
    map_size: tuple[float, float]  # (width, height) of the playable area, map cells


NOOP, STOP, MOVE, ATTACK = 0, 1, 2, 3


@dataclass
class Orders:
    """One order per own unit that acts this step (units without an order keep their current one).

    ``kind[i]`` in NOOP / STOP / MOVE / ATTACK for unit ``tag[i]``; MOVE goes to ``(x[i], y[i])``;
    ATTACK targets the unit ``target[i]`` (a tag).
    """

    tag: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    kind: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    y: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    target: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def rows(self) -> Iterator[tuple[int, int, float, float, int]]:
        """``(tag, kind, x, y, target)`` per order, as Python numbers."""
        cols = (self.tag, self.kind, self.x, self.y, self.target)
        return zip(*(c.tolist() for c in cols), strict=True)


class Backend(Protocol):
    """A source of frames for one mini-game; ``step`` advances ``step_mul`` game loops."""

    map_name: str
    step_mul: int

    def reset(self, seed: int | None = None) -> Frame: ...

    def step(self, orders: Orders) -> Frame: ...

    def close(self) -> None: ...

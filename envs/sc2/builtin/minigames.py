"""The five mini-games' rules as the built-in engine plays them: one rules object per map, read from the
map files' trigger scripts and regions ([MAP] in ``units.py``, which holds the regions and numbers).

A map's rules say how an episode starts (``start``), and what follows when Marines touch pick-ups
(``picked_up``: MoveToBeacon, CollectMineralShards) or when the last enemy dies (``cleared``: the
combat maps). :class:`~envs.sc2.builtin.engine.BuiltinEngine` calls them; they place units through
its ``spawn`` and move its rows. Scores, time limits and unit counts are in ``units.MINIGAMES``.

Map geometry: the playable area is ``[0, width] x [0, height]`` (``units.MiniGameSpec.size``, region 1
of each map). ``RegionRandomPoint`` is a uniform point of a region (x drawn first, then y, from the
game's random generator); the maps' "draw again while too close" loops are rejection sampling, one
point at a time as the triggers do. Units the triggers put outside the playable area (a long line of
Marines) are clamped into it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from envs.sc2.frame import ENEMY, NEUTRAL, SELF
from envs.sc2.units import (
    BANELING,
    BEACON,
    BEACON_MIN_DISTANCE,
    BEACON_SPAWN,
    BEACON_SPAWN_HOLE,
    MARINE,
    MINERAL_SHARD,
    ROACH,
    SHARD_MIN_DISTANCE,
    SHARD_SPAWN,
    SHARDS,
    WAVE_SPAWN_LEFT,
    WAVE_SPAWN_RIGHT,
    ZERGLING,
    ZERGLING_APART,
    ZERGLING_AWAY,
    ZERGLING_FIRST_RING,
    ZERGLING_INNER_RING,
    ZERGLING_SPAWN,
    ZERGLING_SPAWN_HOLE,
    ZERGLINGS,
    Rect,
)

if TYPE_CHECKING:
    from envs.sc2.builtin.engine import BuiltinEngine

# [MAP] DefeatRoaches.SC2Map gt_Init: Roaches at the group's point + (0, 0.5), (0, 1.5), (0, -0.5), (0, -1.5)
ROACH_OFFSETS = np.array([0.5, 1.5, -0.5, -1.5])


def marine_offsets(n: int) -> np.ndarray:
    """[MAP] gt_Init / gt_ScoreUpdatesandVictory of the wave maps: Marine ``i`` (1..n) at the group's point +
    ``(0, (i / 2) * (1 + (i mod 2) * -2))`` (integer division): 0, +1, -1, +2, -2, ... one cell apart."""
    i = np.arange(1, n + 1)
    return (i // 2) * (1 - 2 * (i % 2)).astype(np.float64)


def uniform(eng: BuiltinEngine, e: int, rect: Rect) -> complex:
    """``RegionRandomPoint`` of a rectangle: a uniform point, x drawn first."""
    rng = eng.rngs[e]
    x = rng.uniform(rect[0], rect[2])
    return complex(x, rng.uniform(rect[1], rect[3]))


def sample(eng: BuiltinEngine, e: int, rect: Rect, ok: Callable[[complex], bool]) -> complex:
    """A uniform point of ``rect`` for which ``ok`` holds (the maps' draw-again loops)."""
    for _ in range(10_000):
        p = uniform(eng, e, rect)
        if ok(p):
            return p
    raise RuntimeError(f"{eng.map_name}: could not place a unit under the map's spawn rules")


def nearest(p: complex, points: list[complex] | np.ndarray) -> float:
    """Distance from ``p`` to the nearest of ``points`` (inf for none)."""
    return float(np.abs(np.asarray(points, np.complex128) - p).min(initial=np.inf))


def clamp(eng: BuiltinEngine, z: np.ndarray, margin: float) -> np.ndarray:
    """Points ``z`` clamped into the playable area, ``margin`` from its edges."""
    x = np.clip(z.real, margin, eng.width - margin)
    return x + 1j * np.clip(z.imag, margin, eng.height - margin)


class MiniGameRules:
    """A map's rules: what the engine calls at the start of an episode and on the map's events."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        """Spawn the units of game ``e``'s new episode (its rows are empty)."""
        raise NotImplementedError

    def picked_up(self, eng: BuiltinEngine, e: int, picks: np.ndarray, taken: np.ndarray) -> None:
        """Marines of game ``e`` touched pick-ups this step: ``picks`` are the rows of its live pick-ups,
        ``taken`` marks the touched ones (the score already counts them)."""
        raise NotImplementedError(f"{type(self).__name__} has no pick-ups")

    def cleared(self, eng: BuiltinEngine, e: int) -> None:
        """Every enemy of game ``e`` is dead (its dead rows already dropped): the next group."""
        raise NotImplementedError(f"{type(self).__name__} has no enemies")

    @staticmethod
    def playable(eng: BuiltinEngine) -> Rect:
        """Region 1, "Playable Space", less a Marine's radius (where a unit can stand)."""
        r = MARINE.radius
        return (r, r, eng.width - r, eng.height - r)


class MoveToBeacon(MiniGameRules):
    """[MAP] MoveToBeacon.SC2Map. gt_Init: the Marine at a random point of the playable area, the beacon at
    a random point of region 3 "Beacon Spawn Region" (1.5 from the edges, never within 4 of the centre),
    drawn again while it is within 5 of the Marine. gt_ScoreUpdatesandVictory (every game loop): the
    Marine's centre within 1.25 of the beacon (region 2 "Beacon Area") scores 1 and moves the beacon the
    same way."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        m = uniform(eng, e, self.playable(eng))
        eng.spawn(e, MARINE, SELF, np.array([m]))
        eng.spawn(e, BEACON, NEUTRAL, np.array([self._beacon(eng, e, m)]))

    def picked_up(self, eng: BuiltinEngine, e: int, picks: np.ndarray, taken: np.ndarray) -> None:
        m = complex(eng.z[eng.rows_of(e, eng.own)][0])
        eng.z[picks] = self._beacon(eng, e, m)

    @staticmethod
    def _beacon(eng: BuiltinEngine, e: int, marine: complex) -> complex:
        centre = complex(eng.width / 2, eng.height / 2)
        return sample(
            eng,
            e,
            BEACON_SPAWN,
            lambda p: abs(p - centre) >= BEACON_SPAWN_HOLE and abs(p - marine) >= BEACON_MIN_DISTANCE,
        )


class CollectMineralShards(MiniGameRules):
    """[MAP] CollectMineralShards.SC2Map. gt_Init: two Marines at random points of the playable area; 20
    shards at random points of region 3 "Mineral Area" (1 from the edges), each >= 2 from the nearest
    Marine. gt_ScoreUpdatesandVictory: when no shard is left, 20 new ones the same way."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        marines = np.array([uniform(eng, e, self.playable(eng)) for _ in range(eng.spec.own_units)])
        eng.spawn(e, MARINE, SELF, marines)
        self._shards(eng, e)

    def picked_up(self, eng: BuiltinEngine, e: int, picks: np.ndarray, taken: np.ndarray) -> None:
        eng.remove(picks[taken])
        if taken.all():
            eng.compact()
            self._shards(eng, e)

    @staticmethod
    def _shards(eng: BuiltinEngine, e: int) -> None:
        marines = eng.z[eng.rows_of(e, eng.own & eng.alive())]
        ok = lambda p: nearest(p, marines) >= SHARD_MIN_DISTANCE  # noqa: E731
        eng.spawn(e, MINERAL_SHARD, NEUTRAL, np.array([sample(eng, e, SHARD_SPAWN, ok) for _ in range(SHARDS)]))


class FindAndDefeatZerglings(MiniGameRules):
    """[MAP] FindAndDefeatZerglings.SC2Map (see ``units.ZERGLING_SPAWN``). gt_Init: three Marines in a
    triangle of radius 1 at the centre; Zergling 1 at 8 to 9 from the centre, Zergling 2 in the ring 7.5 to
    9.5, 23 more in the rest of the map beyond 10.5 from the centre (1 from the edges), each >= 5 from the
    nearest Zergling. gt_ScoreUpdatesandVictory, all dead: 25 new anywhere, >= 9 from the nearest Marine
    and >= 5 from the nearest new Zergling."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        centre = complex(eng.width / 2, eng.height / 2)
        angles = np.deg2rad(120 * np.arange(1, 4) + 90)
        eng.spawn(e, MARINE, SELF, centre + np.exp(1j * angles))
        rng = eng.rngs[e]
        r = rng.uniform(*ZERGLING_FIRST_RING)
        lings = [centre + r * np.exp(1j * rng.uniform(0, 2 * np.pi))]
        ring = ZERGLING_INNER_RING
        inner = (centre.real - ring[1], centre.imag - ring[1], centre.real + ring[1], centre.imag + ring[1])
        lings.append(
            sample(
                eng,
                e,
                inner,
                lambda p: ring[0] <= abs(p - centre) <= ring[1] and nearest(p, lings) >= ZERGLING_APART,
            )
        )
        while len(lings) < ZERGLINGS:
            ok = lambda p: abs(p - centre) >= ZERGLING_SPAWN_HOLE and nearest(p, lings) >= ZERGLING_APART  # noqa: E731
            lings.append(sample(eng, e, ZERGLING_SPAWN, ok))
        eng.spawn(e, ZERGLING, ENEMY, np.array(lings))

    def cleared(self, eng: BuiltinEngine, e: int) -> None:
        marines = eng.z[eng.rows_of(e, eng.own)]
        area = (0.0, 0.0, eng.width, eng.height)
        lings = [sample(eng, e, area, lambda p: nearest(p, marines) >= ZERGLING_AWAY)]
        while len(lings) < ZERGLINGS:
            ok = lambda p: nearest(p, lings) >= ZERGLING_APART and nearest(p, marines) >= ZERGLING_AWAY  # noqa: E731
            lings.append(sample(eng, e, area, ok))
        eng.spawn(e, ZERGLING, ENEMY, np.array(lings))


class Waves(MiniGameRules):
    """[MAP] DefeatRoaches.SC2Map and DefeatZerglingsAndBanelings.SC2Map. gt_Init: ``RandomInt(1, 2)`` puts
    the Marines in region 4 "Spawn Region Left" and the enemies in region 5 "Spawn Region Right", or the
    other way round; each side's group at one random point of its 4 x 6 rectangle; the Marines in a
    vertical line through it, one cell apart (``marine_offsets``). gt_ScoreUpdatesandVictory, when the
    last enemy died: every surviving Marine is removed and created again with its hit points (a new unit:
    weapon ready, no order), the reinforcements are created, sides and points are drawn again, every Marine
    (survivors first, in their order) goes to its place in the line, and the next group spawns. Here the
    survivors keep their tags (the pysc2 backend gives the re-created units back their old tags)."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        eng.spawn(e, MARINE, SELF, np.zeros(eng.spec.own_units, np.complex128))  # placed by the wave
        self._wave(eng, e)

    def cleared(self, eng: BuiltinEngine, e: int) -> None:
        survivors = eng.rows_of(e, eng.own & eng.alive())
        eng.ready[survivors] = 0.0  # re-created: a fresh weapon
        eng.spawn(e, MARINE, SELF, np.zeros(eng.spec.reinforcements, np.complex128))
        self._wave(eng, e)

    def _wave(self, eng: BuiltinEngine, e: int) -> None:
        """Sides and points drawn; every Marine to its place in the line, orders cleared; the enemies."""
        left = eng.rngs[e].integers(1, 3) == 1
        marine_at = uniform(eng, e, WAVE_SPAWN_LEFT if left else WAVE_SPAWN_RIGHT)
        enemy_at = uniform(eng, e, WAVE_SPAWN_RIGHT if left else WAVE_SPAWN_LEFT)
        marines = eng.rows_of(e, eng.own & eng.alive())
        eng.z[marines] = clamp(eng, marine_at + 1j * marine_offsets(len(marines)), MARINE.radius)
        eng.idle(marines)
        self.enemies(eng, e, enemy_at)

    def enemies(self, eng: BuiltinEngine, e: int, at: complex) -> None:
        """Spawn game ``e``'s enemy group at the point ``at``."""
        raise NotImplementedError


class DefeatRoaches(Waves):
    """[MAP] Nine Marines against 4 Roaches in a vertical line, 1.0 apart; 5 more Marines with each wave."""

    def enemies(self, eng: BuiltinEngine, e: int, at: complex) -> None:
        eng.spawn(e, ROACH, ENEMY, at + 1j * ROACH_OFFSETS)


class DefeatZerglingsAndBanelings(Waves):
    """[MAP] Nine Marines against 6 Zerglings and 4 Banelings, all created at the group's point (no
    collisions here: they stay stacked); 4 more Marines with each wave."""

    def enemies(self, eng: BuiltinEngine, e: int, at: complex) -> None:
        eng.spawn(e, ZERGLING, ENEMY, np.full(6, at))
        eng.spawn(e, BANELING, ENEMY, np.full(4, at))


# the rules of each mini-game of ``units.MINIGAMES``, by its name (the class's)
RULES: dict[str, MiniGameRules] = {
    type(rules).__name__: rules
    for rules in (
        MoveToBeacon(),
        CollectMineralShards(),
        FindAndDefeatZerglings(),
        DefeatRoaches(),
        DefeatZerglingsAndBanelings(),
    )
}

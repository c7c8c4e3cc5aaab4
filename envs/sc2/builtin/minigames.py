"""The five mini-games' rules as the built-in engine plays them: one rules object per map [MG].

A map's rules say how an episode starts (``start``), and what follows when Marines touch pick-ups
(``picked_up``: MoveToBeacon, CollectMineralShards) or when the last enemy dies (``cleared``: the
combat maps). :class:`~envs.sc2.builtin.engine.BuiltinEngine` calls them; they place units through
its ``spawn`` and move its rows. Scores, time limits and unit counts are in ``units.MINIGAMES``.

Map geometry: the playable area is ``[0, width] x [0, height]`` (``units.MiniGameSpec.size``). In the
wave maps, Marines stand in a vertical line 2 cells from a side, one cell apart (closer when more than
fit), the enemies 2 cells from the opposite side (Roaches in a line, the Zerg group in two columns of
five); the side is drawn at random at every wave.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from envs.sc2.frame import ENEMY, NEUTRAL, SELF
from envs.sc2.units import BANELING, BEACON, MARINE, MINERAL_SHARD, ROACH, ZERGLING

if TYPE_CHECKING:
    from envs.sc2.builtin.engine import BuiltinEngine

EDGE = 2.0  # cells between a side of the map and a line of units at spawn


def random_points(
    eng: BuiltinEngine,
    e: int,
    n: int,
    margin: float,
    away: np.ndarray,
    min_away: float,
    min_between: float = 0.0,
    ring: tuple[float, float] = (0.0, np.inf),
) -> np.ndarray:
    """``n`` uniform points in game ``e``'s map, at least ``min_away`` from every point of ``away``, at
    least ``min_between`` apart, at a distance from the map centre within ``ring`` (rejection sampling
    with the game's random generator)."""
    rng, centre = eng.rngs[e], complex(eng.width / 2, eng.height / 2)
    chosen: list[complex] = []
    for _ in range(200):
        cand = rng.uniform(margin, eng.width - margin, 64) + 1j * rng.uniform(margin, eng.height - margin, 64)
        r = np.abs(cand - centre)
        cand = cand[(r >= ring[0]) & (r <= ring[1])]
        if len(away):
            cand = cand[np.abs(cand[:, None] - away[None, :]).min(axis=1) >= min_away]
        for c in cand:  # sequential: each accepted point constrains the next
            if all(abs(c - p) >= min_between for p in chosen):
                chosen.append(complex(c))
                if len(chosen) == n:
                    return np.array(chosen)
    raise RuntimeError(f"{eng.map_name}: could not place {n} units under the map's spawn rules")


def line(eng: BuiltinEngine, n: int, x: float, spacing: float = 1.0) -> np.ndarray:
    """``n`` points in a vertical line at ``x``, centred on the map's height."""
    spacing = min(spacing, (eng.height - 2 * EDGE) / max(n - 1, 1))
    return x + 1j * (eng.height / 2 + spacing * (np.arange(n) - (n - 1) / 2))


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


class MoveToBeacon(MiniGameRules):
    """[MG] One Marine anywhere, the beacon >= 4 away; a reached beacon moves >= 5 from the Marine."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        m = random_points(eng, e, 1, MARINE.radius, np.zeros(0), 0.0)
        eng.spawn(e, MARINE, SELF, m)
        eng.spawn(e, BEACON, NEUTRAL, random_points(eng, e, 1, BEACON.radius, m, 4.0))

    def picked_up(self, eng: BuiltinEngine, e: int, picks: np.ndarray, taken: np.ndarray) -> None:
        eng.z[picks] = random_points(eng, e, 1, BEACON.radius, eng.z[eng.rows_of(e, eng.own)], 5.0)


class CollectMineralShards(MiniGameRules):
    """[MG] Two Marines anywhere, 20 shards >= 2 from them; when all 20 are taken, 20 new ones."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        eng.spawn(e, MARINE, SELF, random_points(eng, e, eng.spec.own_units, MARINE.radius, np.zeros(0), 0.0))
        self._shards(eng, e)

    def picked_up(self, eng: BuiltinEngine, e: int, picks: np.ndarray, taken: np.ndarray) -> None:
        eng.remove(picks[taken])
        if taken.all():
            eng.compact()
            self._shards(eng, e)

    @staticmethod
    def _shards(eng: BuiltinEngine, e: int) -> None:
        marines = eng.z[eng.rows_of(e, eng.own & eng.alive())]
        eng.spawn(e, MINERAL_SHARD, NEUTRAL, random_points(eng, e, 20, MINERAL_SHARD.radius, marines, 2.0))


class FindAndDefeatZerglings(MiniGameRules):
    """[MG] Three Marines in a line at the centre; 2 Zerglings 7.5 to 9.5 from the centre and 23 farther
    than 10.5, all >= 5 apart; when all are dead, 25 new ones >= 9 from the Marines, >= 5 apart."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        eng.spawn(e, MARINE, SELF, line(eng, eng.spec.own_units, eng.width / 2))
        centre = np.array([complex(eng.width / 2, eng.height / 2)])
        near = random_points(eng, e, 2, ZERGLING.radius, centre, 0.0, 5.0, ring=(7.5, 9.5))
        far = random_points(eng, e, 23, ZERGLING.radius, near, 5.0, 5.0, ring=(10.5, np.inf))
        eng.spawn(e, ZERGLING, ENEMY, np.concatenate([near, far]))

    def cleared(self, eng: BuiltinEngine, e: int) -> None:
        marines = eng.z[eng.rows_of(e, eng.own)]
        eng.spawn(e, ZERGLING, ENEMY, random_points(eng, e, 25, ZERGLING.radius, marines, 9.0, 5.0))


class Waves(MiniGameRules):
    """[MG] Marines and a group of enemies in lines on opposite sides; when the group is dead, the map's
    reinforcements join and a new group comes, every Marine back to a line on a side drawn at random."""

    def start(self, eng: BuiltinEngine, e: int) -> None:
        eng.spawn(e, MARINE, SELF, np.zeros(eng.spec.own_units, np.complex128))  # placed by the wave
        self._wave(eng, e)

    def cleared(self, eng: BuiltinEngine, e: int) -> None:
        eng.spawn(e, MARINE, SELF, np.zeros(eng.spec.reinforcements, np.complex128))
        self._wave(eng, e)

    def _wave(self, eng: BuiltinEngine, e: int) -> None:
        """A new enemy group; every Marine back to a line on the opposite side, orders cleared."""
        left, right = EDGE, eng.width - EDGE  # the sides: Marines' and enemies' x, drawn at random
        mx, ex = (left, right) if eng.rngs[e].random() < 0.5 else (right, left)
        marines = eng.rows_of(e, eng.own & eng.alive())
        eng.z[marines] = line(eng, len(marines), mx)
        eng.idle(marines)
        self.enemies(eng, e, ex)

    def enemies(self, eng: BuiltinEngine, e: int, x: float) -> None:
        """Spawn game ``e``'s enemy group on the side at ``x``."""
        raise NotImplementedError


class DefeatRoaches(Waves):
    """[MG] Nine Marines against 4 Roaches in a vertical line; 5 more Marines with each wave."""

    def enemies(self, eng: BuiltinEngine, e: int, x: float) -> None:
        eng.spawn(e, ROACH, ENEMY, line(eng, 4, x, spacing=2 * ROACH.radius + 0.5))


class DefeatZerglingsAndBanelings(Waves):
    """[MG] Nine Marines against 6 Zerglings and 4 Banelings in two columns of five; 4 more Marines with
    each wave."""

    def enemies(self, eng: BuiltinEngine, e: int, x: float) -> None:
        col = x + (1.0 if x < eng.width / 2 else -1.0)
        eng.spawn(e, ZERGLING, ENEMY, np.concatenate([line(eng, 5, x), line(eng, 1, col)]))
        eng.spawn(e, BANELING, ENEMY, line(eng, 4, col))


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

"""The built-in engine: a NumPy simulation of the five PySC2 mini-games, many copies stepped at once.

:class:`BuiltinEngine` holds ``num_envs`` independent games of one map in flat arrays, one row per unit
slot (``capacity`` slots per game, rows ``e * capacity ..`` for game ``e``), and advances them all with
the same NumPy calls: the per-call overhead is paid once per batch, not once per game.
:class:`BuiltinBackend` is one game of it seen as a :class:`Backend` (for ``SC2Env``); ``SC2VecEnv``
(``vector.py``) drives a whole batch for the learner.

Results from it are built-in-engine results, never StarCraft II results. Unit stats, score rules and
their sources live in ``units.py``, each map's spawns and events in ``minigames.py``; this module is
the simulation.

Time: one ``step`` runs ``step_mul`` (8) game loops, 22.4 per second at Faster. The combat maps are
simulated loop by loop. MoveToBeacon and CollectMineralShards have nothing but movement, a straight
line per unit within a step: they advance a whole step at once and test the swept segment against the
pick-ups (the maps test every loop, at points 0.14 cells apart along it: the same to within 0.01 cells).

Each game loop of the combat maps, in this order:
1. target acquisition: an idle enemy takes the nearest Marine within its weapon's scan range (5, edge
   to edge; ``units.SCAN_RANGE``; at any distance once it has been hit) and attacks it until one of
   them dies, chasing it. An idle Marine (after ``STOP``,
   after reaching a ``MOVE`` point, or never ordered) fires at the nearest visible enemy within its
   weapon range without moving (the game's auto-acquire, without its short chase). A game skips these
   scans while none of its idle units can possibly find a target (distances shrink by at most two top
   speeds per loop; an idle Marine also waits for its weapon): exact, and most loops need none;
2. a unit whose target is within weapon range (edge to edge) fires if its weapon is ready, otherwise
   waits; a unit with an attack order out of range moves towards its target; a unit with a ``MOVE``
   order moves (ignoring enemies, as the game's move command does) and goes idle on arrival;
3. damage ``max(0.5, damage + bonus vs Light - armor)`` lands at once, every shot of the loop together
   (the game resolves them in a random order): shots at one target resolve in unit order and a shot at
   a unit that an earlier one already killed is not fired (that weapon stays ready); the killing shot's
   excess is lost (overkill). A weapon fires again ``ceil(period)`` loops later (Marine 14, Zergling 12,
   Roach 32), plus the game's random -1 .. +2 loop jitter (PySC2 docs/environment.md; ``jitter=False``
   turns it off): a hash of the episode's key, the shooter's tag and the loop, so a game draws the same
   jitter alone or in a batch;
4. Banelings that reach their target, and Banelings that die, burst: every Marine whose edge is within
   2.2 of the Baneling's centre takes 35 (16 + 19 vs Light); the Baneling dies, which scores as a kill;
5. deaths score (kills and losses); attack orders on the dead lapse; when every enemy is dead the next
   group spawns (DefeatRoaches and DefeatZerglingsAndBanelings: with reinforcements, every unit back to
   its side).

After the loops of a step, live Zerg units regain 0.2734 hp per game second of the step (``regen=False``
turns it off), up to their maximum: credited once per agent step, 0.14 hp per 8 loops.

Enemy AI: the maps' triggers give the enemies no orders (DefeatRoaches.SC2Map and the others order
only the player's units, in their demo mode), so the Roaches, the Zerglings and Banelings, and the
Zerglings of FindAndDefeatZerglings all hold their ground until a Marine comes within their scan range
or hits them.
Fog of war (FindAndDefeatZerglings only): an enemy is visible while its centre is within the sight
radius (9) of a live Marine; Marines cannot target what they cannot see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

import numpy as np

from envs.sc2.builtin.minigames import RULES, MiniGameRules
from envs.sc2.frame import ATTACK, ENEMY, MOVE, NEUTRAL, SELF, STOP, Frame, Orders, Units
from envs.sc2.units import (
    GAME_LOOPS_PER_GAME_SECOND,
    PICKUP_REACH,
    STEP_MUL,
    UNIT_TYPES,
    WEAPON_JITTER,
    MiniGameSpec,
    UnitStats,
    minigame,
)

OWN, FOE, PICKUP, NOBODY = 0, 1, 2, 3  # teams inside the engine (NOBODY: an empty slot)
_ALLIANCE = np.array([SELF, ENEMY, NEUTRAL, 0], np.int8)  # per team
_TEAM = {SELF: OWN, ENEMY: FOE, NEUTRAL: PICKUP}  # per alliance
IDLE, GO, HIT, DEAD, EMPTY = 0, 1, 2, 3, 4  # ``state``: no order, move to a point, attack a unit; dead; no unit
FAR = 1e7  # dead units and empty slots wait here (no distance test can reach them)
NEVER = 1e9  # an acquisition radius that any distance passes
_KEY = 1 << 40  # a row's sort key: game * _KEY + tag (empty slots: the game's largest key)


def _column(stat: str) -> np.ndarray:
    """One stat per unit type (index into UNIT_TYPES), then 0 for an empty slot."""
    return np.array([float(getattr(u, stat)) for u in UNIT_TYPES] + [0.0])


# per unit type (index into UNIT_TYPES; the last index: an empty slot): the constants a row looks up
_KIND = {u.unit_type: k for k, u in enumerate(UNIT_TYPES)}
NO_KIND = len(UNIT_TYPES)
_TYPE_ID = np.array([u.unit_type for u in UNIT_TYPES] + [0], np.int32)
_HEALTH, _ARMOR, _DAMAGE, _BONUS = _column("health"), _column("armor"), _column("damage"), _column("bonus_light")
_RANGE, _RADIUS, _SIGHT, _SPLASH = _column("range"), _column("radius"), _column("sight"), _column("splash")
_SCAN = np.array([u.scan_range for u in UNIT_TYPES] + [0.0])
_REGEN = _column("regen") / GAME_LOOPS_PER_GAME_SECOND  # hp per game loop
_REACH = np.array([PICKUP_REACH.get(u.unit_type, 0.0) for u in UNIT_TYPES] + [0.0])  # pick-ups, centre distance
_LIGHT, _SUICIDE = _column("light").astype(bool), _column("suicide").astype(bool)
_PERIOD = np.array([u.cooldown_loops for u in UNIT_TYPES] + [0], np.float64)
_SPEED = np.array([u.speed_per_loop for u in UNIT_TYPES] + [0], np.float64)

Opening = list[tuple[UnitStats, int, float, float]]  # (stats, alliance SELF/ENEMY/NEUTRAL, x, y)


def _cleared(values: np.ndarray, rows: np.ndarray | slice, empty: Any) -> np.ndarray:
    """``values`` with ``rows`` set (in place) to ``empty``."""
    values[rows] = empty
    return values


class BuiltinEngine:
    """``num_envs`` games of one mini-game (``map_name`` in ``units.MINIGAMES``); see the module docstring.

    Every per-unit array (``tag`` .. ``visible``, set in ``__init__``) is flat, ``num_envs * capacity``
    rows: game ``e`` owns rows ``e * capacity .. (e + 1) * capacity - 1``, its units first (in spawn
    order, which is tag order), then empty slots; ``target`` holds flat row indices. Capacity doubles
    when a game needs more rows. The map's own spawns and events come from its ``minigames.RULES``.

    Args:
        map_name: the mini-game.
        num_envs: games stepped together.
        step_mul: game loops per ``step``.
        opening: units to start every episode with instead of the map's own start (for rule tests and
            experiments): ``(stats, alliance, x, y)`` tuples, alliance ``SELF``, ``ENEMY`` or ``NEUTRAL``.
            The map's rules (score, respawns, waves, time limit) still apply.
        capacity: unit slots per game to start with.
        jitter: the game's random -1 .. +2 loop delay on each shot (seeded by the episode).
        regen: Zerg regeneration.
    """

    def __init__(
        self,
        map_name: str,
        num_envs: int = 1,
        step_mul: int = STEP_MUL,
        opening: Opening | None = None,
        capacity: int = 16,
        jitter: bool = True,
        regen: bool = True,
    ) -> None:
        self.spec: MiniGameSpec = minigame(map_name)
        if step_mul < 1 or num_envs < 1:
            raise ValueError(f"need step_mul >= 1 and num_envs >= 1, got {step_mul}, {num_envs}")
        self.rules: MiniGameRules = RULES[map_name]
        self.map_name, self.step_mul, self.opening, self.num_envs = map_name, step_mul, opening, num_envs
        self.jitter, self.regen = jitter, regen
        self.key = np.zeros(num_envs, np.uint64)  # per game and episode: the weapon jitter's hash key
        self.width, self.height = (float(v) for v in self.spec.size)
        self.limit_loops = self.spec.limit_loops
        self._combat = not self.spec.neutral_targets
        self.rngs = [np.random.default_rng() for _ in range(num_envs)]
        self.game_loop = np.zeros(num_envs, np.int64)
        self.score = np.zeros(num_envs)
        self.next_tag = np.ones(num_envs, np.int64)
        self.n_used = np.zeros(num_envs, np.int64)  # rows holding units (live, or dead this step)
        self.wiped = np.zeros(num_envs, bool)  # every Marine is dead: the combat maps end [MG]
        self.scan_at = np.zeros(num_envs, np.int64)  # game loop of each game's next target scan
        # the per-unit arrays (no rows until ``_resize``; an empty slot's values: ``_map_rows``)
        self.tag: np.ndarray = np.zeros(0, np.int64)  # unique per game and episode, from 1 in spawn order
        self.kind: np.ndarray = np.zeros(0, np.int64)  # index into UNIT_TYPES (NO_KIND: no unit)
        self.team: np.ndarray = np.zeros(0, np.int64)  # OWN, FOE, PICKUP (NOBODY: no unit)
        self.state: np.ndarray = np.zeros(0, np.int8)  # IDLE, GO, HIT; DEAD (this step); EMPTY
        self.target: np.ndarray = np.zeros(0, np.int64)  # the attacked unit's row (state HIT)
        self.z: np.ndarray = np.zeros(0, np.complex128)  # position x + iy (FAR: dead or no unit)
        self.goal: np.ndarray = np.zeros(0, np.complex128)  # the move point (state GO)
        self.hp: np.ndarray = np.zeros(0)  # hit points
        self.ready: np.ndarray = np.zeros(0)  # game loop from which the weapon can fire
        self.provoked: np.ndarray = np.zeros(0, bool)  # an enemy that was hit (acquires at any distance)
        self.visible: np.ndarray = np.zeros(0, bool)  # seen by the player (fog of war)
        self.capacity = 0
        self._resize(capacity)

    # -- rows ---------------------------------------------------------------------------------

    def _map_rows(self, f: Callable[[np.ndarray, Any], np.ndarray]) -> None:
        """Replace each per-unit array ``values`` with ``f(values, empty)``, ``empty`` being what an empty
        slot holds."""
        self.tag, self.kind, self.team = f(self.tag, 0), f(self.kind, NO_KIND), f(self.team, NOBODY)
        self.state, self.target = f(self.state, EMPTY), f(self.target, 0)
        self.z, self.goal, self.hp, self.ready = f(self.z, FAR), f(self.goal, FAR), f(self.hp, 0.0), f(self.ready, 0.0)
        self.provoked, self.visible = f(self.provoked, False), f(self.visible, False)

    def _resize(self, capacity: int) -> None:
        """Give every game ``capacity`` (more) slots, keeping its units and their targets."""
        old, E = self.capacity, self.num_envs

        def grown(values: np.ndarray, empty: Any) -> np.ndarray:
            out = np.full((E, capacity), empty, values.dtype)
            out[:, :old] = values.reshape(E, old)
            return out.ravel()

        self._map_rows(grown)
        if old:
            self.target = self.target // old * capacity + self.target % old
        self.capacity = capacity
        self.env_of = np.repeat(np.arange(E), capacity)  # the game of each row
        self.rows = np.arange(E * capacity)
        self._derive()

    def _derive(self) -> None:
        """Per-row constants and the pair matrix, rebuilt whenever rows change."""
        k, E, U = self.kind, self.num_envs, self.capacity
        self.radius, self.range, self.speed = _RADIUS[k], _RANGE[k], _SPEED[k]
        self.armor, self.light, self.damage, self.bonus = _ARMOR[k], _LIGHT[k], _DAMAGE[k], _BONUS[k]
        self.period, self.sight, self.splash, self.suicide = _PERIOD[k], _SIGHT[k], _SPLASH[k], _SUICIDE[k]
        self.scan, self.hp_max, self.regen_rate = _SCAN[k], _HEALTH[k], _REGEN[k]
        self.own, self.foe, self.pickup = self.team == OWN, self.team == FOE, self.team == PICKUP
        own, foe, radius = self.own.reshape(E, U), self.foe.reshape(E, U), self.radius.reshape(E, U)
        self.hostile = (own[:, :, None] & foe[:, None, :]) | (foe[:, :, None] & own[:, None, :])  # (E, U, U)
        # edge distance = centre distance - rr_pen: infinite between units that do not fight each other
        self.rr_pen = np.where(self.hostile, radius[:, :, None] + radius[:, None, :], -np.inf)
        self.auto_range = np.where(self.own, self.range, -1.0)  # idle Marines fire within weapon range
        self._stale = True  # orders' plan (``_plan``)
        self.closing = 2 * float(self.speed.max(initial=0.0))  # the fastest two units' approach per loop

    def alive(self) -> np.ndarray:
        """Per row: a live unit."""
        return self.state < DEAD

    def idle(self, rows: np.ndarray) -> None:
        """Units ``rows`` (indices or a mask) go idle: their games scan for targets at once."""
        self.state[rows] = IDLE
        self._stale = True
        games = self.env_of[rows]
        self.scan_at[games] = self.game_loop[games]

    def find(self, games: np.ndarray, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat rows of the units ``tags`` of ``games`` (broadcast together) and whether each exists.

        A game's rows hold its units in ascending tag order, then empty slots, so one sorted key per
        row finds them all at once."""
        used = self.rows % self.capacity < self.n_used[self.env_of]
        keys = self.env_of * _KEY + np.where(used, self.tag, _KEY - 1)
        want = games * _KEY + tags
        row = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
        return row, keys[row] == want

    def rows_of(self, e: int, mask: np.ndarray) -> np.ndarray:
        """Flat rows of game ``e`` where ``mask`` holds."""
        lo = e * self.capacity
        return lo + np.flatnonzero(mask[lo : lo + self.capacity])

    def spawn(self, e: int, stats: UnitStats, alliance: int, points: np.ndarray) -> None:
        """New units of type ``stats`` in game ``e`` at ``points`` (complex), idle; ``alliance`` is ``SELF``,
        ``ENEMY`` or ``NEUTRAL`` (a pick-up)."""
        n, team = len(points), _TEAM[alliance]
        if self.n_used[e] + n > self.capacity:
            self._resize(max(2 * self.capacity, int(self.n_used[e]) + n))
        rows = e * self.capacity + self.n_used[e] + np.arange(n)
        self.tag[rows] = self.next_tag[e] + np.arange(n)
        self.kind[rows], self.team[rows], self.state[rows] = _KIND[stats.unit_type], team, IDLE
        self.z[rows] = self.goal[rows] = points
        self.hp[rows], self.ready[rows], self.provoked[rows] = stats.health, 0.0, False
        self.visible[rows] = not self.spec.fog or team == OWN
        self.next_tag[e] += n
        self.n_used[e] += n
        self.scan_at[e] = self.game_loop[e]
        self._derive()

    def remove(self, rows: np.ndarray) -> None:
        """Units ``rows`` leave the map without scoring (taken pick-ups); ``compact`` drops their rows."""
        self.state[rows] = DEAD
        self._stale = True

    def compact(self) -> None:
        """Drop dead rows: each game's live units move up, in order; attack targets follow their rows."""
        dead = self.state == DEAD
        if not dead.any():
            return
        E, U = self.num_envs, self.capacity
        keep = self.alive().reshape(E, U)
        order = (np.argsort(~keep, axis=1, kind="stable") + np.arange(E)[:, None] * U).ravel()
        new_row = np.empty_like(order)
        new_row[order] = self.rows
        self.target = new_row[self.target]  # attack targets are live (orders lapse on deaths)
        self.n_used = keep.sum(axis=1)
        gone = self.rows % U >= self.n_used[self.env_of]
        self._map_rows(lambda values, empty: _cleared(values[order], gone, empty))
        self._derive()

    # -- episodes and orders ------------------------------------------------------------------

    def reset(self, e: int, seed: int | None = None) -> None:
        """Start a new episode of game ``e`` (seeded: the same seed gives the same episode)."""
        if seed is not None:
            self.rngs[e] = np.random.default_rng(seed)
        self.key[e] = self.rngs[e].integers(0, 2**63, dtype=np.uint64)
        rows = slice(e * self.capacity, (e + 1) * self.capacity)
        self._map_rows(lambda values, empty: _cleared(values, rows, empty))
        self.game_loop[e], self.score[e], self.next_tag[e], self.n_used[e], self.wiped[e] = 0, 0.0, 1, 0, False
        self.scan_at[e] = 0
        if self.opening is None:
            self.rules.start(self, e)
        else:
            for stats, alliance, x, y in self.opening:
                self.spawn(e, stats, alliance, np.array([complex(x, y)]))
        if not self.n_used[e]:  # each spawn re-derives; with nothing spawned, the cleared rows still must
            self._derive()
        self._update_visibility()

    def over(self) -> np.ndarray:
        """Per game: the episode has ended (every Marine dead, or time up)."""
        return self.wiped | (self.game_loop >= self.limit_loops)

    def order(self, rows: np.ndarray, kind: np.ndarray, goal: np.ndarray, target: np.ndarray) -> None:
        """Give units (flat ``rows``) orders: ``kind`` STOP / MOVE (to ``goal``, clipped to the map) /
        ATTACK (flat row ``target``). Orders for units that are not live own units, and attacks on what is
        not a live, visible enemy of the same game, are ignored (the game rejects them)."""
        ok = self.own[rows] & self.alive()[rows]
        t = np.minimum(np.maximum(target, 0), len(self.rows) - 1)
        valid_attack = (target >= 0) & self.foe[t] & self.visible[t] & self.alive()[t]
        valid_attack &= self.env_of[t] == self.env_of[rows]
        stop, move, attack = ok & (kind == STOP), ok & (kind == MOVE), ok & (kind == ATTACK) & valid_attack
        self.idle(rows[stop])
        self.state[rows[move]] = GO
        to = goal[move]
        self.goal[rows[move]] = np.minimum(np.maximum(to.real, 0.0), self.width) + 1j * np.minimum(
            np.maximum(to.imag, 0.0), self.height
        )
        self.state[rows[attack]] = HIT
        self.target[rows[attack]] = target[attack]
        self._stale = True

    def step(self) -> None:
        """Run ``step_mul`` game loops of every game not over (a game stops at its end)."""
        if self._combat:
            start = self.game_loop.copy()
            for _ in range(self.step_mul):
                active = ~self.over()
                if not np.count_nonzero(active):
                    break
                self._loop(active)
            if self.regen:
                self._regenerate(self.game_loop - start)
        else:
            active = ~self.over()
            self._glide(active)
            self.game_loop += self.step_mul * active
        self.compact()
        self._update_visibility()

    # -- simulation ---------------------------------------------------------------------------

    def _regenerate(self, loops: np.ndarray) -> None:
        """Live units with regeneration regain ``regen_rate`` hp per loop of their game's ``loops``."""
        grow = (self.regen_rate > 0) & self.alive() & (self.hp < self.hp_max)
        if np.count_nonzero(grow):
            gain = self.regen_rate[grow] * loops[self.env_of[grow]]
            self.hp[grow] = np.minimum(self.hp[grow] + gain, self.hp_max[grow])

    def _jitter(self, rows: np.ndarray) -> np.ndarray:
        """The game's -1 .. +2 loop delay of each shot by ``rows`` this loop: a splitmix64 hash of the game's
        key, the shooter's tag and the game loop (the same in any batch)."""
        lo, hi = WEAPON_JITTER
        if not self.jitter:
            return np.zeros(len(rows))
        games = self.env_of[rows]
        z = self.key[games] ^ (self.tag[rows].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        z ^= self.game_loop[games].astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
        return (z % np.uint64(hi - lo + 1)).astype(np.float64) + lo

    def _glide(self, active: np.ndarray) -> None:
        """Movement-only maps: ``step_mul`` game loops at once; pick-ups touched on the way are taken."""
        E, U = self.num_envs, self.capacity
        start = self.z.copy()
        go = (self.state == GO) & active[self.env_of]
        if go.any():
            d = self.goal - self.z
            dist = np.abs(d)
            reach = self.speed * self.step_mul
            arrived = go & (dist <= reach)
            self.z = np.where(arrived, self.goal, np.where(go, self.z + d / np.maximum(dist, 1e-12) * reach, self.z))
            self.idle(arrived)
        # distance from each pick-up (column) to each Marine's (row) swept segment a -> b, per game
        a, b, p = start.reshape(E, U, 1), self.z.reshape(E, U, 1), self.z.reshape(E, 1, U)
        ab = b - a
        u = np.clip(((p - a) * ab.conjugate()).real / np.maximum(np.abs(ab) ** 2, 1e-12), 0.0, 1.0)
        reach = _REACH[self.kind].reshape(E, 1, U)  # [MAP] the Marine's centre within the pick-up's reach
        pair = (self.own & active[self.env_of]).reshape(E, U, 1) & (self.pickup & self.alive()).reshape(E, 1, U)
        touched = (pair & (np.abs(a + u * ab - p) <= reach)).any(axis=1).ravel()
        if not touched.any():
            return
        self.score += np.bincount(self.env_of[touched], minlength=E)  # [MG] +1 per beacon reached / shard
        for e in np.unique(self.env_of[touched]).tolist():
            picks = self.rows_of(e, self.pickup & self.alive())
            self.rules.picked_up(self, e, picks, touched[picks])

    def _loop(self, active: np.ndarray) -> None:
        """One game loop of every ``active`` combat game (see the module docstring for the order of events)."""
        E, U = self.num_envs, self.capacity
        z, state = self.z, self.state
        live = True if np.count_nonzero(active) == len(active) else active[self.env_of]  # scalar: all run
        scan = active & (self.game_loop >= self.scan_at)  # games where an idle unit may find a target
        if np.count_nonzero(scan):
            # 1. the nearest foe of every unit (edge distances; inf between units that do not fight)
            idle = (state == IDLE) & scan[self.env_of]
            centre = np.abs(z.reshape(E, U, 1) - z.reshape(E, 1, U))  # (E, U, U)
            edge = centre - self.rr_pen
            acquire_range = np.where(self.foe, np.where(self.provoked, NEVER, self.scan + 1e-9), -1.0)
            # the schedule reads distances regardless of fog: an enemy may come into sight meanwhile
            self._next_scan(scan, idle, edge.min(axis=2).ravel(), np.maximum(acquire_range, self.auto_range))
            if self.spec.fog:  # Marines see (and may target) enemies within their sight only
                seen = self._seen(centre).reshape(E, 1, U)
                edge += np.where(self.own.reshape(E, U, 1) & ~seen, np.inf, 0.0)
            nearest_col = edge.argmin(axis=2)
            near = edge.ravel()[self.rows * U + nearest_col.ravel()]  # edge[e, i, nearest_col[e, i]]
            nearest = (nearest_col + np.arange(E)[:, None] * U).ravel()
            acquire = idle & (near <= acquire_range)
            if np.count_nonzero(acquire):
                self.target[acquire] = nearest[acquire]
                state[acquire] = HIT
                self._stale = True
            auto = idle & (near <= self.auto_range)  # idle Marines shoot the nearest enemy in range, unmoved
        else:
            auto = None
        # 2. each unit's target row (itself without one), the distance it fires within, where it stops
        go, tgt, fire_at, stop_at = self._plan()
        if auto is not None and np.count_nonzero(auto):
            tgt, fire_at, stop_at = tgt.copy(), fire_at.copy(), stop_at.copy()
            tgt[auto] = nearest[auto]
            fire_at[auto] = self.range[auto] + self.radius[auto] + self.radius[nearest[auto]] + 1e-9
            stop_at[auto] = np.inf
        d = (z[tgt] if go is None else np.where(go, self.goal, z[tgt])) - z  # to the move point, or the target
        dist = np.abs(d)
        fire = (dist <= fire_at) & (self.ready <= self.game_loop[self.env_of]) & live
        stride = np.minimum(np.maximum(dist - stop_at, 0.0), self.speed)  # chase until in range
        if live is not True:
            stride = np.where(live, stride, 0.0)
        z += d * (stride / np.maximum(dist, 1e-12))
        if go is not None:
            arrived = go & (dist <= self.speed) & live
            if np.count_nonzero(arrived):
                self.idle(arrived)
        if np.count_nonzero(fire):
            self._fire(np.flatnonzero(fire), tgt)
        self.game_loop += active

    def _plan(self) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, np.ndarray]:
        """Per unit, from its order: moving to a point (None: no unit is), its target row (itself without
        one), the centre distance within which it fires (-1: never) and where it stops. Cached until an order or a row
        changes (``_stale``)."""
        if self._stale:
            hit = self.state == HIT
            tgt = np.where(hit, self.target, self.rows)
            fire_at = np.where(hit, self.range + self.radius + self.radius[tgt] + 1e-9, -1.0)
            go = self.state == GO
            self._cached = (go if np.count_nonzero(go) else None, tgt, fire_at, np.where(hit, fire_at, 0.0))
            self._stale = False
        return self._cached

    def _next_scan(self, scan: np.ndarray, idle: np.ndarray, near: np.ndarray, threshold: np.ndarray) -> None:
        """Skip the scans of the games ``scan`` until one of their idle units could first act on a target.

        Distances shrink by at most ``closing`` per loop, so for ``slack / closing`` loops no idle unit
        comes within its threshold; an idle Marine (which never moves) also waits for its weapon. Units
        going idle, spawns and provoked enemies set ``scan_at`` back to now; skipping is exact.
        """
        loops = np.maximum((near - threshold) / max(self.closing, 1e-9), 0.0)
        loops = np.where(self.own, np.maximum(loops, self.ready - self.game_loop[self.env_of]), loops)
        wait = np.where(idle, loops, NEVER).reshape(self.num_envs, -1).min(axis=1)
        wait = np.maximum(1, np.minimum(wait, NEVER)).astype(np.int64)
        self.scan_at = np.where(scan, self.game_loop + wait, self.scan_at)

    def _fire(self, shooters: np.ndarray, tgt: np.ndarray) -> None:
        """3-4. Resolve this loop's attacks: direct shots in unit order (no shot at the already dead), then bursts."""
        burst = self.suicide[shooters]
        direct = shooters[~burst]
        if len(direct):
            t = tgt[direct]
            dmg = np.maximum(0.5, self.damage[direct] + self.bonus[direct] * self.light[t] - self.armor[t])
            if len(set(t.tolist())) < len(t):  # shared targets: a shot at the already dead is not fired
                by_target = np.lexsort((direct, t))  # by target, then unit order
                t, dmg, direct = t[by_target], dmg[by_target], direct[by_target]
                total = np.cumsum(dmg)
                first = np.r_[True, t[1:] != t[:-1]]
                before = total - dmg - np.maximum.accumulate(np.where(first, total - dmg, 0.0))
                shot = before < self.hp[t]  # the target still lives when this shot comes
                t, dmg, direct = t[shot], dmg[shot], direct[shot]
                np.subtract.at(self.hp, t, dmg)
            else:
                self.hp[t] -= dmg
            self.ready[direct] = self.game_loop[self.env_of[direct]] + self.period[direct] + self._jitter(direct)
            if not self.provoked[t].all():  # a provoked enemy acquires at any distance: scan
                self.provoked[t] = True
                self.scan_at[self.env_of[t]] = self.game_loop[self.env_of[t]]
            if self.hp[t].min() > 0 and not burst.any():
                return
        self.hp[shooters[burst]] = 0.0
        self._deaths()

    def _deaths(self) -> None:
        """5. Units at 0 hp die; dying Banelings burst (which can kill more); deaths score [MG]."""
        E, U = self.num_envs, self.capacity
        dying = (self.hp <= 0) & self.alive()
        struck = np.zeros(E, bool)  # games where someone died
        while dying.any():
            struck[self.env_of[dying]] = True
            self.score += self.spec.kill_score * np.bincount(self.env_of[dying & self.foe], minlength=E)
            self.score += self.spec.loss_score * np.bincount(self.env_of[dying & self.own], minlength=E)
            bursts = np.flatnonzero(dying & self.suicide)
            if len(bursts):  # every row of the Baneling's game within its splash
                rows = self.env_of[bursts][:, None] * U + np.arange(U)
                reach = np.abs(self.z[bursts][:, None] - self.z[rows]) - self.radius[rows]
                hostile = self.hostile[self.env_of[bursts], bursts % U]
                caught = (reach <= self.splash[bursts][:, None]) & hostile & self.alive()[rows]
                dmg = self.damage[bursts][:, None] + self.bonus[bursts][:, None] * self.light[rows] - self.armor[rows]
                np.subtract.at(self.hp, rows.ravel(), (np.maximum(0.5, dmg) * caught).ravel())
            self.state[dying] = DEAD
            self._stale = True
            self.z[dying] = FAR
            self.idle((self.state == HIT) & dying[self.target])  # attack orders on the dead lapse
            dying = (self.hp <= 0) & self.alive()
        alive = self.alive()
        self.wiped |= struck & ~(self.own & alive).reshape(E, U).any(axis=1)
        cleared = struck & ~self.wiped & ~(self.foe & alive).reshape(E, U).any(axis=1)
        for e in np.flatnonzero(cleared).tolist():  # every enemy dead: the map's next group [MG]
            self.compact()
            self.rules.cleared(self, e)

    def _seen(self, centre: np.ndarray) -> np.ndarray:
        """Per row: within the sight radius of a live Marine of its game (``centre``: (E, U, U) distances)."""
        E, U = self.num_envs, self.capacity
        eyes = (self.own & self.alive()).reshape(E, U, 1)
        return (eyes & (centre <= self.sight.reshape(E, U, 1))).any(axis=1).ravel()

    def _update_visibility(self) -> None:
        alive = self.alive()
        if not self.spec.fog:
            self.visible = alive.copy()
            return
        E, U = self.num_envs, self.capacity
        centre = np.abs(self.z.reshape(E, U, 1) - self.z.reshape(E, 1, U))
        self.visible = (self._seen(centre) | self.own) & alive

    def batch_units(self) -> Units:
        """Every game's units as one :class:`Units` snapshot of ``(num_envs, capacity)`` arrays (game ``e``
        in row ``e``, units in tag order, then empty slots of alliance 0)."""
        E, U = self.num_envs, self.capacity
        k = self.kind.reshape(E, U)
        z = self.z.reshape(E, U)
        zeros = np.zeros((E, U), np.float32)
        return Units(
            tag=self.tag.reshape(E, U).copy(),
            alliance=_ALLIANCE[self.team.reshape(E, U)],
            unit_type=_TYPE_ID[k],
            x=z.real.astype(np.float32),
            y=z.imag.astype(np.float32),
            health=np.maximum(self.hp.reshape(E, U), 0.0).astype(np.float32),
            health_max=_HEALTH[k].astype(np.float32),
            shield=zeros,
            shield_max=zeros,
            weapon_cooldown=np.maximum(self.ready.reshape(E, U) - self.game_loop[:, None], 0.0).astype(np.float32),
            radius=self.radius.reshape(E, U).astype(np.float32),
            visible=self.visible.reshape(E, U).copy(),
        )


class BuiltinBackend:
    """One game of :class:`BuiltinEngine` as a :class:`~envs.sc2.frame.Backend` (for ``SC2Env``).

    Args:
        map_name: the mini-game.
        step_mul: game loops per ``step``.
        opening: units to start every episode with (see :class:`BuiltinEngine`).
        jitter, regen: weapon jitter and Zerg regeneration (see :class:`BuiltinEngine`).
    """

    def __init__(
        self,
        map_name: str,
        step_mul: int = STEP_MUL,
        opening: Opening | None = None,
        jitter: bool = True,
        regen: bool = True,
    ) -> None:
        self.engine = BuiltinEngine(map_name, 1, step_mul, opening, jitter=jitter, regen=regen)
        self.map_name, self.step_mul = map_name, step_mul

    def reset(self, seed: int | None = None) -> Frame:
        """Start a new episode (seeded: the same seed gives the same episode)."""
        self.engine.reset(0, seed)
        return self._frame()

    def step(self, orders: Orders) -> Frame:
        """Apply ``orders`` to own units, then run ``step_mul`` game loops."""
        eng = self.engine
        game = np.zeros(len(orders.tag), np.int64)
        (rows, found), (target, hit) = eng.find(game, orders.tag), eng.find(game, orders.target)
        goal = orders.x.astype(np.float64) + 1j * orders.y.astype(np.float64)
        eng.order(rows[found], orders.kind[found], goal[found], np.where(hit, target, -1)[found])
        eng.step()
        return self._frame()

    def close(self) -> None:
        """Nothing to release."""

    def _frame(self) -> Frame:
        eng = self.engine
        n, batch = int(eng.n_used[0]), eng.batch_units()
        units = Units(**{f.name: getattr(batch, f.name)[0, :n] for f in fields(Units)})
        over = bool(eng.over()[0])
        return Frame(units, int(eng.game_loop[0]), float(eng.score[0]), over, (eng.width, eng.height))

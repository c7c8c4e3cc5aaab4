"""The built-in engine: a NumPy simulation of the five PySC2 mini-games (a :class:`Backend`).

Results from it are built-in-engine results, never StarCraft II results. Unit stats, map rules and
their sources live in ``units.py``; this module is the simulation.

Time: one ``step`` runs ``step_mul`` (8) game loops, 22.4 per second at Faster. The combat maps are
simulated loop by loop. MoveToBeacon and CollectMineralShards have nothing but movement, a straight
line per unit within a step: they advance a whole step at once and test the swept segment against the
pick-ups, the exact equivalent of testing at every loop.

Each game loop of the combat maps, in this order:
1. target acquisition: an idle enemy takes the nearest Marine within its sight (at any distance once
   it has been hit) and attacks it until one of them dies, chasing it. An idle Marine (after ``STOP``,
   after reaching a ``MOVE`` point, or never ordered) fires at the nearest visible enemy within its
   weapon range without moving (the game's auto-acquire, without its short chase). These scans are
   skipped while no idle unit can possibly find a target (distances shrink by at most two top speeds
   per loop; an idle Marine also waits for its weapon): exact, and most loops need none;
2. a unit whose target is within weapon range (edge to edge) fires if its weapon is ready, otherwise
   waits; a unit with an attack order out of range moves towards its target; a unit with a ``MOVE``
   order moves (ignoring enemies, as the game's move command does) and goes idle on arrival;
3. damage ``max(0.5, damage + bonus vs Light - armor)`` lands at once, every shot of the loop together
   (the game resolves them in a random order): shots at one target resolve in unit order and a shot at
   a unit that an earlier one already killed is not fired (that weapon stays ready); the killing shot's
   excess is lost (overkill). A weapon fires again ``ceil(period)`` loops later (Marine 14, Zergling 12,
   Roach 32); the game's random -1 .. +2 loop jitter (PySC2 docs/environment.md) is not modelled;
4. Banelings that reach their target, and Banelings that die, burst: every Marine whose edge is within
   2.2 of the Baneling's centre takes 35 (16 + 19 vs Light); the Baneling dies, which scores as a kill;
5. deaths score (kills and losses); attack orders on the dead lapse; when every enemy is dead the next
   group spawns (DefeatRoaches and DefeatZerglingsAndBanelings: with reinforcements, every unit back to
   its side).

Enemy AI, as this engine reads the maps' triggers (the maps' files are not read here): the Roaches, the
Zerglings and Banelings of DefeatZerglingsAndBanelings, and the "stationary" Zerglings of
FindAndDefeatZerglings all hold their ground until a Marine comes within their sight or hits them.
Fog of war (FindAndDefeatZerglings only): an enemy is visible while its centre is within the sight
radius (9) of a live Marine; Marines cannot target what they cannot see.

Map geometry: the playable area is ``[0, width] x [0, height]`` (``units.MiniGameSpec.size``). In the
wave maps, Marines stand in a vertical line 2 cells from a side, one cell apart (closer when more than
fit), the enemies 2 cells from the opposite side (Roaches in a line, the Zerg group in two columns of
five); the side is drawn at random at every wave.
"""

from __future__ import annotations

import numpy as np

from envs.sc2.frame import ATTACK, ENEMY, MOVE, NEUTRAL, SELF, STOP, Frame, Orders, Units
from envs.sc2.units import (
    BANELING,
    BEACON,
    MARINE,
    MINERAL_SHARD,
    ROACH,
    STEP_MUL,
    UNIT_TYPES,
    ZERGLING,
    MiniGameSpec,
    UnitStats,
    minigame,
)

OWN, FOE, PICKUP = 0, 1, 2  # teams inside the engine
_ALLIANCE = np.array([SELF, ENEMY, NEUTRAL], np.int8)
IDLE, GO, HIT, DEAD = 0, 1, 2, 3  # rows of ``state``: no order, move to a point, attack a unit; dead
EDGE = 2.0  # cells between a side of the map and a line of units at spawn
FAR = 1e7  # dead units wait here until the end of the step (no distance test can reach them)
NEVER = 1e9  # an acquisition radius that any distance passes


def _column(stat: str) -> np.ndarray:
    return np.array([getattr(u, stat) for u in UNIT_TYPES], np.float64)


# per unit type (index into UNIT_TYPES): the constants a unit row copies at spawn
_KIND = {u.unit_type: k for k, u in enumerate(UNIT_TYPES)}
_TYPE_ID = np.array([u.unit_type for u in UNIT_TYPES], np.int32)
_HEALTH, _ARMOR, _DAMAGE, _BONUS = _column("health"), _column("armor"), _column("damage"), _column("bonus_light")
_RANGE, _RADIUS, _SIGHT, _SPLASH = _column("range"), _column("radius"), _column("sight"), _column("splash")
_LIGHT, _SUICIDE = _column("light").astype(bool), _column("suicide").astype(bool)
_PERIOD = np.array([u.cooldown_loops for u in UNIT_TYPES], np.float64)
_SPEED = np.array([u.speed_per_loop for u in UNIT_TYPES], np.float64)


Opening = list[tuple[UnitStats, int, float, float]]  # (stats, alliance SELF/ENEMY/NEUTRAL, x, y)


class BuiltinBackend:
    """The NumPy engine of one mini-game (``map_name`` in ``units.MINIGAMES``); see the module docstring.

    Args:
        map_name: the mini-game.
        step_mul: game loops per ``step``.
        opening: units to start every episode with instead of the map's own start (for rule tests and
            experiments): ``(stats, alliance, x, y)`` tuples, alliance ``SELF``, ``ENEMY`` or ``NEUTRAL``.
            The map's rules (score, respawns, waves, time limit) still apply.
    """

    def __init__(self, map_name: str, step_mul: int = STEP_MUL, opening: Opening | None = None) -> None:
        self.spec: MiniGameSpec = minigame(map_name)
        if step_mul < 1:
            raise ValueError(f"step_mul must be >= 1, got {step_mul}")
        self.map_name, self.step_mul, self.opening = map_name, step_mul, opening
        self.width, self.height = (float(v) for v in self.spec.size)
        self.rng = np.random.default_rng()
        self._combat = not self.spec.neutral_targets
        self._clear()

    # -- state --------------------------------------------------------------------------------
    # One row per unit. ``state[s, i]`` says whether unit i is in state s (exactly one is true). Dead
    # rows stay (state DEAD, parked at FAR) until the end of the step.

    _ROW_ARRAYS = ("tag", "kind", "team", "target", "z", "goal", "hp", "ready", "provoked", "visible")

    def _clear(self) -> None:
        self.game_loop, self.score, self.next_tag = 0, 0.0, 1
        self.wiped = False  # every Marine is dead: the combat maps end [MG]
        i = np.zeros(0, np.int64)
        self.tag, self.kind, self.team, self.target = i, i, i, i
        self.state = np.zeros((4, 0), bool)
        self.z, self.goal = np.zeros(0, np.complex128), np.zeros(0, np.complex128)  # position, move point
        self.hp, self.ready = np.zeros(0), np.zeros(0)  # health; game loop at which the weapon is ready
        self.provoked, self.visible = np.zeros(0, bool), np.zeros(0, bool)
        self._derive()

    def _derive(self) -> None:
        """Per-row constants and pair matrices, rebuilt whenever rows are added or removed."""
        k = self.kind
        self.radius, self.range, self.speed = _RADIUS[k], _RANGE[k], _SPEED[k]
        self.armor, self.light, self.damage, self.bonus = _ARMOR[k], _LIGHT[k], _DAMAGE[k], _BONUS[k]
        self.period, self.sight, self.splash, self.suicide = _PERIOD[k], _SIGHT[k], _SPLASH[k], _SUICIDE[k]
        self.own, self.foe = self.team == OWN, self.team == FOE
        self.rows = np.arange(len(k))
        self.hostile = (self.own[:, None] & self.foe[None, :]) | (self.foe[:, None] & self.own[None, :])
        # edge distance = centre distance - rr_pen: infinite between units that do not fight each other
        self.rr_pen = np.where(self.hostile, self.radius[:, None] + self.radius[None, :], -np.inf)
        self.auto_range = np.where(self.own, self.range, -1.0)  # idle Marines fire within weapon range
        self._ranges()
        self.tiny = np.full(len(k), 1e-12)
        self._stale = True
        self.closing = 2 * float(self.speed.max(initial=0.0))  # the fastest two units' approach per loop

    def _ranges(self) -> None:
        """Distances at which an idle unit takes a target; a change forces a scan."""
        self.acquire_range = np.where(self.foe, np.where(self.provoked, NEVER, self.sight), -1.0)
        self.threshold = np.maximum(self.acquire_range, self.auto_range)
        self.scan_at = self.game_loop

    def _alive(self, team: int) -> np.ndarray:
        return ~self.state[DEAD] & (self.team == team)

    def _to(self, state: int, which: np.ndarray) -> None:
        """Put the units ``which`` (rows or a mask) in ``state``."""
        self.state[:, which] = False
        self.state[state, which] = True
        self._stale = True
        if state == IDLE:
            self.scan_at = self.game_loop

    def _spawn(self, stats: UnitStats, team: int, points: np.ndarray) -> None:
        n = len(points)
        new = {
            "tag": np.arange(self.next_tag, self.next_tag + n, dtype=np.int64),
            "kind": np.full(n, _KIND[stats.unit_type], np.int64),
            "team": np.full(n, team, np.int64),
            "target": np.zeros(n, np.int64),
            "z": np.asarray(points, np.complex128),
            "goal": np.asarray(points, np.complex128),
            "hp": np.full(n, stats.health, np.float64),
            "ready": np.zeros(n),
            "provoked": np.zeros(n, bool),
            "visible": np.full(n, not self.spec.fog or team == OWN),
        }
        self.next_tag += n
        for name in self._ROW_ARRAYS:
            setattr(self, name, np.concatenate([getattr(self, name), new[name]]))
        fresh = np.zeros((4, n), bool)
        fresh[IDLE] = True
        self.state = np.concatenate([self.state, fresh], axis=1)
        self._derive()

    def _compact(self) -> None:
        """Drop dead rows; attack targets follow their rows."""
        keep = ~self.state[DEAD]
        if keep.all():
            return
        self.target = (np.cumsum(keep) - 1)[self.target]  # attack targets are live (orders lapse on deaths)
        for name in self._ROW_ARRAYS:
            setattr(self, name, getattr(self, name)[keep])
        self.state = self.state[:, keep]
        self._derive()

    # -- spawning -----------------------------------------------------------------------------

    def _random_points(
        self,
        n: int,
        margin: float,
        away: np.ndarray,
        min_away: float,
        min_between: float = 0.0,
        ring: tuple[float, float] = (0.0, np.inf),
    ) -> np.ndarray:
        """``n`` uniform points in the map, at least ``min_away`` from every point of ``away``, at least
        ``min_between`` apart, at a distance from the map centre within ``ring`` (rejection sampling)."""
        centre = complex(self.width / 2, self.height / 2)
        chosen: list[complex] = []
        for _ in range(200):
            cand = self.rng.uniform(margin, self.width - margin, 64) + 1j * self.rng.uniform(
                margin, self.height - margin, 64
            )
            r = np.abs(cand - centre)
            cand = cand[(r >= ring[0]) & (r <= ring[1])]
            if len(away):
                cand = cand[np.abs(cand[:, None] - away[None, :]).min(axis=1) >= min_away]
            for c in cand:  # sequential: each accepted point constrains the next
                if all(abs(c - p) >= min_between for p in chosen):
                    chosen.append(complex(c))
                    if len(chosen) == n:
                        return np.array(chosen)
        raise RuntimeError(f"{self.map_name}: could not place {n} units under the map's spawn rules")

    def _line(self, n: int, x: float, spacing: float = 1.0) -> np.ndarray:
        """``n`` points in a vertical line at ``x``, centred on the map's height."""
        spacing = min(spacing, (self.height - 2 * EDGE) / max(n - 1, 1))
        return x + 1j * (self.height / 2 + spacing * (np.arange(n) - (n - 1) / 2))

    def _sides(self) -> tuple[float, float]:
        """x of the Marines' line and of the enemies' line, on random opposite sides."""
        left, right = EDGE, self.width - EDGE
        return (left, right) if self.rng.random() < 0.5 else (right, left)

    def _start(self) -> None:
        name, marines = self.map_name, self.spec.own_units
        if name == "MoveToBeacon":  # [MG] Marine anywhere, beacon >= 4 away
            m = self._random_points(1, MARINE.radius, np.zeros(0), 0.0)
            self._spawn(MARINE, OWN, m)
            self._spawn(BEACON, PICKUP, self._random_points(1, BEACON.radius, m, 4.0))
        elif name == "CollectMineralShards":  # [MG] 2 Marines anywhere, 20 shards >= 2 from them
            self._spawn(MARINE, OWN, self._random_points(marines, MARINE.radius, np.zeros(0), 0.0))
            self._shards()
        elif name == "FindAndDefeatZerglings":  # [MG] 3 Marines at the centre
            self._spawn(MARINE, OWN, self._line(marines, self.width / 2))
            centre = np.array([complex(self.width / 2, self.height / 2)])
            near = self._random_points(2, ZERGLING.radius, centre, 0.0, 5.0, ring=(7.5, 9.5))
            far = self._random_points(23, ZERGLING.radius, near, 5.0, 5.0, ring=(10.5, np.inf))
            self._spawn(ZERGLING, FOE, np.concatenate([near, far]))
        else:  # DefeatRoaches, DefeatZerglingsAndBanelings: lines on opposite sides
            self._spawn(MARINE, OWN, np.zeros(marines, np.complex128))
            self._wave()

    def _shards(self) -> None:
        marines = self.z[self._alive(OWN)]
        self._spawn(MINERAL_SHARD, PICKUP, self._random_points(20, MINERAL_SHARD.radius, marines, 2.0))

    def _wave(self) -> None:
        """A new enemy group; every Marine back to a line on the opposite side, orders cleared [MG]."""
        mx, ex = self._sides()
        marines = np.flatnonzero(self._alive(OWN))
        self.z[marines] = self._line(len(marines), mx)
        self._to(IDLE, marines)
        if self.map_name == "DefeatRoaches":  # [MG] 4 Roaches in a vertical line
            self._spawn(ROACH, FOE, self._line(4, ex, spacing=2 * ROACH.radius + 0.5))
        else:  # [MG] 6 Zerglings and 4 Banelings in a group: two columns of five
            col = ex + (1.0 if ex < self.width / 2 else -1.0)
            self._spawn(ZERGLING, FOE, np.concatenate([self._line(5, ex), self._line(1, col)]))
            self._spawn(BANELING, FOE, self._line(4, col))

    # -- Backend ------------------------------------------------------------------------------

    def reset(self, seed: int | None = None) -> Frame:
        """Start a new episode (seeded: the same seed gives the same episode)."""
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self._clear()
        if self.opening is None:
            self._start()
        else:
            team = {SELF: OWN, ENEMY: FOE, NEUTRAL: PICKUP}
            for stats, alliance, x, y in self.opening:
                self._spawn(stats, team[alliance], np.array([complex(x, y)]))
        self._update_visibility()
        return self._frame()

    def step(self, orders: Orders) -> Frame:
        """Apply ``orders`` to own units, then run ``step_mul`` game loops."""
        self._apply(orders)
        if self._combat:
            for _ in range(self.step_mul):
                self._loop()
                if self._over():
                    break
        else:
            self._glide(self.step_mul)
            self.game_loop += self.step_mul
        self._compact()
        self._update_visibility()
        return self._frame()

    def close(self) -> None:
        """Nothing to release."""

    # -- orders -------------------------------------------------------------------------------

    def _apply(self, orders: Orders) -> None:
        """Give each live own unit its order; orders for other units, and illegal attacks, are ignored."""
        row_of = dict(zip(self.tag.tolist(), range(len(self.tag)), strict=True))
        own, foe, visible = self.own.tolist(), self.foe.tolist(), self.visible.tolist()
        dead = self.state[DEAD].tolist()
        stop, move, goals, attack, targets = [], [], [], [], []
        for tag, kind, x, y, target in orders.rows():
            row = row_of.get(tag)
            if row is None or not own[row] or dead[row]:
                continue
            if kind == STOP:
                stop.append(row)
            elif kind == MOVE:
                move.append(row)
                goals.append(complex(min(max(x, 0.0), self.width), min(max(y, 0.0), self.height)))
            elif kind == ATTACK:
                t = row_of.get(target)
                if t is not None and foe[t] and visible[t] and not dead[t]:  # the game rejects the rest
                    attack.append(row)
                    targets.append(t)
        for state, rows in ((IDLE, stop), (GO, move), (HIT, attack)):
            if rows:
                self._to(state, np.array(rows))
        if move:
            self.goal[move] = goals
        if attack:
            self.target[attack] = targets

    # -- simulation ---------------------------------------------------------------------------

    def _glide(self, loops: int) -> None:
        """Movement-only maps: ``loops`` game loops at once; pick-ups touched on the way are taken."""
        start = self.z.copy()
        go = self.state[GO]
        if go.any():
            d = self.goal - self.z
            dist = np.abs(d)
            reach = self.speed * loops
            arrived = go & (dist <= reach)
            self.z = np.where(arrived, self.goal, np.where(go, self.z + d / np.maximum(dist, 1e-12) * reach, self.z))
            self._to(IDLE, arrived)
        marines, picks = np.flatnonzero(self.own), np.flatnonzero(self.team == PICKUP)
        a, b = start[marines][:, None], self.z[marines][:, None]
        p = self.z[picks][None, :]
        ab = b - a
        # distance from each pick-up to each Marine's swept segment a -> b
        u = np.clip(((p - a) * ab.conjugate()).real / np.maximum(np.abs(ab) ** 2, 1e-12), 0.0, 1.0)
        reach = self.radius[marines][:, None] + self.radius[picks][None, :]
        touched = (np.abs(a + u * ab - p) <= reach).any(axis=0)
        if not touched.any():
            return
        self.score += float(touched.sum())  # [MG] +1 per beacon reached / shard collected
        if self.map_name == "MoveToBeacon":  # [MG] the beacon moves >= 5 from the Marine
            self.z[picks] = self._random_points(1, BEACON.radius, self.z[marines], 5.0)
        else:
            self._to(DEAD, picks[touched])
            if touched.all():  # [MG] all 20 taken: 20 new ones
                self._compact()
                self._shards()

    def _cache(self) -> None:
        """What the loop needs from the orders, recomputed only when an order or the rows change:
        each unit's target row (itself without an attack order), the centre distance within which it
        fires (-1: never) and the distance from its destination at which it stops moving."""
        hit, rows = self.state[HIT], self.rows
        self.tgt = np.where(hit, self.target, rows)
        self.fire_at = np.where(hit, self.range + self.radius + self.radius[self.tgt] + 1e-9, -1.0)
        self.stop_at = np.where(hit, self.fire_at, 0.0)
        self._stale = False

    def _loop(self) -> None:
        """One game loop of a combat map (see the module docstring for the order of events)."""
        z, state = self.z, self.state
        if self.game_loop >= self.scan_at:  # an idle unit may find a target: every pair's distance
            edge = np.abs(z[:, None] - z[None, :])
            edge -= self.rr_pen  # edge distances between foes; inf otherwise
            idle = state[IDLE]
            nearest = edge.argmin(axis=1)
            near = edge[self.rows, nearest]
            self._next_scan(near, idle)
            if self.spec.fog:  # Marines see (and may target) enemies within their sight only
                eyes = self.own & ~state[DEAD]
                seen = (np.abs(z[eyes][:, None] - z[None, :]) <= self.sight[eyes][:, None]).any(axis=0)
                edge[self.own] += np.where(seen, 0.0, np.inf)
                nearest = edge.argmin(axis=1)
                near = edge[self.rows, nearest]
            acquire = idle & (near <= self.acquire_range)
            if np.count_nonzero(acquire):
                self.target[acquire] = nearest[acquire]
                self._to(HIT, acquire)
            if self._stale:
                self._cache()
            tgt, fire_at, stop_at = self.tgt, self.fire_at, self.stop_at
            auto = idle & (near <= self.auto_range)  # idle Marines shoot the nearest enemy in range, unmoved
            if np.count_nonzero(auto):
                tgt, fire_at, stop_at = tgt.copy(), fire_at.copy(), stop_at.copy()
                tgt[auto] = nearest[auto]
                fire_at[auto] = self.range[auto] + self.radius[auto] + self.radius[nearest[auto]] + 1e-9
                stop_at[auto] = np.inf
        else:
            if self._stale:
                self._cache()
            tgt, fire_at, stop_at = self.tgt, self.fire_at, self.stop_at
        go = state[GO]
        moves = np.count_nonzero(go)
        d = (np.where(go, self.goal, z[tgt]) if moves else z[tgt]) - z  # to the move point, or to the target
        dist = np.abs(d)
        fire = dist <= fire_at
        firing = np.count_nonzero(fire) and np.count_nonzero(fire := fire & (self.ready <= self.game_loop))
        stride = np.minimum(np.maximum(dist - stop_at, 0.0), self.speed)  # chase until in range
        z += d * (stride / np.maximum(dist, self.tiny))
        if moves:
            arrived = go & (dist <= self.speed)
            if np.count_nonzero(arrived):
                self._to(IDLE, arrived)
        if firing:
            self._fire(fire.nonzero()[0], tgt)
        self.game_loop += 1

    def _next_scan(self, near: np.ndarray, idle: np.ndarray) -> None:
        """Skip the pair distances until an idle unit could first act on a target.

        Distances shrink by at most ``closing`` per loop, so for ``slack / closing`` loops no idle unit
        comes within its threshold; an idle Marine (which never moves) also waits for its weapon. Idle
        units appearing, spawns and changed thresholds reset ``scan_at``; skipping is exact.
        """
        if not np.count_nonzero(idle):
            self.scan_at = NEVER
            return
        loops = np.maximum((near - self.threshold) / max(self.closing, 1e-9), 0.0)
        loops = np.where(self.own, np.maximum(loops, self.ready - self.game_loop), loops)
        self.scan_at = self.game_loop + max(1, int(loops[idle].min()))

    def _fire(self, shooters: np.ndarray, tgt: np.ndarray) -> None:
        """Resolve this loop's attacks: direct shots in unit order (no shot at the already dead), then bursts."""
        burst = self.suicide[shooters]
        direct = shooters[~burst]
        if len(direct):
            t = tgt[direct]
            dmg = np.maximum(0.5, self.damage[direct] + self.bonus[direct] * self.light[t] - self.armor[t])
            targets = t.tolist()
            if len(set(targets)) < len(targets):  # shared targets: a shot at the already dead is not fired
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
            self.ready[direct] = self.game_loop + self.period[direct]
            if not self.provoked[t].all():
                self.provoked[t] = True
                self._ranges()
            if self.hp[t].min() > 0 and not burst.any():
                return
        self.hp[shooters[burst]] = 0.0
        self._deaths()

    def _deaths(self) -> None:
        """Units at 0 hp die; dying Banelings burst (which can kill more); deaths score [MG]."""
        dying = (self.hp <= 0) & ~self.state[DEAD]
        while dying.any():
            self.score += self.spec.kill_score * int((dying & self.foe).sum())
            self.score += self.spec.loss_score * int((dying & self.own).sum())
            bursts = np.flatnonzero(dying & self.suicide)
            if len(bursts):
                reach = np.abs(self.z[bursts][:, None] - self.z[None, :]) - self.radius[None, :]
                caught = (reach <= self.splash[bursts][:, None]) & self.hostile[bursts] & ~self.state[DEAD]
                dmg = self.damage[bursts][:, None] + self.bonus[bursts][:, None] * self.light - self.armor
                self.hp -= (np.maximum(0.5, dmg) * caught).sum(axis=0)
            self._to(DEAD, dying)
            self.z[dying] = FAR
            self._to(IDLE, self.state[HIT] & dying[self.target])  # attack orders on the dead lapse
            dying = (self.hp <= 0) & ~self.state[DEAD]
        self.wiped = not self._alive(OWN).any()
        if not self.wiped and not self._alive(FOE).any():
            self._respawn()

    def _respawn(self) -> None:
        """All enemies dead: the map's next group [MG]."""
        self._compact()
        if self.map_name == "FindAndDefeatZerglings":  # [MG] 25 new, >= 9 from Marines, >= 5 apart
            marines = self.z[self.own]
            self._spawn(ZERGLING, FOE, self._random_points(25, ZERGLING.radius, marines, 9.0, 5.0))
        else:  # [MG] reinforcements, then a new wave
            self._spawn(MARINE, OWN, np.zeros(self.spec.reinforcements, np.complex128))
            self._wave()

    def _over(self) -> bool:
        return self.wiped or self.game_loop >= self.spec.limit_loops

    def _update_visibility(self) -> None:
        if not self.spec.fog:
            self.visible = np.ones(len(self.tag), bool)
            return
        eyes = self._alive(OWN)
        seen = np.abs(self.z[eyes][:, None] - self.z[None, :]) <= self.sight[eyes][:, None]
        self.visible = seen.any(axis=0) | self.own

    def _frame(self) -> Frame:
        k = self.kind
        zeros = np.zeros(len(k), np.float32)
        units = Units(
            tag=self.tag.copy(),
            alliance=_ALLIANCE[self.team],
            unit_type=_TYPE_ID[k],
            x=self.z.real.astype(np.float32),
            y=self.z.imag.astype(np.float32),
            health=np.maximum(self.hp, 0.0).astype(np.float32),
            health_max=_HEALTH[k].astype(np.float32),
            shield=zeros,
            shield_max=zeros,
            weapon_cooldown=np.maximum(self.ready - self.game_loop, 0.0).astype(np.float32),
            radius=self.radius.astype(np.float32),
            visible=self.visible.copy(),
        )
        return Frame(units, self.game_loop, float(self.score), self._over(), (self.width, self.height))

"""The real game as a :class:`~envs.sc2.frame.Backend`: PySC2's raw interface, step_mul 8.

Translation, both ways (tested with PySC2's own mock env, ``tests/test_sc2_pysc2.py``):

- observation -> :class:`Frame`. ``raw_units`` positions are integer pixels of a
  ``raw_resolution``-sized grid over the whole map, origin top-left, y down (PySC2's
  ``features._world_to_minimap_px``: world -> (x, map_height - y) -> scale raw_resolution /
  max(map size) -> floor). A pixel's centre is mapped back to map cells, y flipped to point up,
  then made relative to the playable area's bottom-left corner; ``Frame.map_size`` is the
  playable area (the built-in engine's convention). Radii come from our unit table where the type
  is known (raw radii are rounded to whole pixels). ``display_type == 1`` (Visible) is
  ``visible``. The score is ``score_cumulative[0]`` (the mini-game's score).
- :class:`Orders` -> raw function calls: ``Stop_quick``, ``Move_pt`` (the point back in raw
  pixels) and ``Attack_unit``, one call per group of units with the same order, units named
  by their row in the last ``raw_units`` (PySC2 maps rows to tags; this also works on the mock
  env, whose small tags PySC2 would otherwise read as rows). No order at all sends ``no_op``.

Survivors of a wave (DefeatRoaches, DefeatZerglingsAndBanelings). When the last enemy of a group dies,
the map's trigger ``gt_ScoreUpdatesandVictory`` removes every surviving Marine and creates it again
with its hit points, then creates the reinforcements (``units.py`` [MAP]): the survivors come back
under new unit tags. The backend gives each re-created survivor its old tag back, so that ``SC2Env``
keeps its agent (same name, not a loss, no new agent slot), as the built-in engine does: in a frame
where own units vanished and at least ``reinforcements`` new ones appeared, the first ``new - reinforcements``
new units in tag order (the map creates the survivors first, in their old order) are matched, in order,
to the vanished ones in tag order, skipping a vanished unit of another type or with fewer hit points
than its candidate (it died in the same step). Orders name units by their stable tags too.

The game is seeded at construction (``random_seed``); ``reset(seed)`` cannot reseed it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from envs.errors import EnvInputError
from envs.sc2.compat import import_pysc2
from envs.sc2.frame import ATTACK, MOVE, SELF, STOP, Frame, Orders, Units
from envs.sc2.units import MINIGAMES, STEP_MUL, UNIT_TYPES, minigame

RAW_RESOLUTION = 256  # raw pixels across the map's longest side: 4 per cell on the 64-cell mini-game maps
VISIBLE = 1  # raw_pb.DisplayType.Visible
_STATS = {u.unit_type: u for u in UNIT_TYPES}

INSTALL_HELP = (
    "Install StarCraft II for Linux (https://github.com/Blizzard/s2client-proto#downloads) into "
    "~/StarCraftII or set SC2PATH to its folder, and unzip PySC2's mini-game maps "
    "(https://github.com/deepmind/pysc2/releases/download/v1.2/mini_games.zip) into "
    "$SC2PATH/Maps/mini_games. Without the game, use backend='builtin'."
)


class SC2NotFoundError(EnvInputError):
    """StarCraft II (or the mini-game maps) is not installed where PySC2 looks for it (one line in the command)."""


def _check_game(map_name: str) -> None:
    """Raise :class:`SC2NotFoundError` unless the game binary and the map file exist."""
    root = Path(os.environ.get("SC2PATH", Path.home() / "StarCraftII")).expanduser()
    versions = root / "Versions"
    if not versions.is_dir() or not any(versions.glob("Base*/SC2_x64")):
        raise SC2NotFoundError(f"StarCraft II not found at {root} (no Versions/Base*/SC2_x64). {INSTALL_HELP}")
    map_file = root / "Maps" / "mini_games" / f"{map_name}.SC2Map"
    if not map_file.is_file():
        raise SC2NotFoundError(f"mini-game map {map_file} not found. {INSTALL_HELP}")


class PySC2Backend:
    """One mini-game in the real game (see the module docstring for the translation)."""

    def __init__(self, map_name: str, step_mul: int = STEP_MUL, **sc2_env_kwargs: Any) -> None:
        _check_game(map_name)
        import_pysc2()
        from pysc2.env import sc2_env

        env = sc2_env.SC2Env(
            map_name=map_name,
            players=[sc2_env.Agent(sc2_env.Race.terran)],
            agent_interface_format=sc2_env.AgentInterfaceFormat(
                use_raw_units=True, use_raw_actions=True, raw_resolution=RAW_RESOLUTION
            ),
            step_mul=step_mul,
            **sc2_env_kwargs,
        )
        self._attach(env, map_name, step_mul, RAW_RESOLUTION)

    @classmethod
    def from_env(
        cls, env: Any, map_name: str, step_mul: int = STEP_MUL, raw_resolution: int = RAW_RESOLUTION
    ) -> PySC2Backend:
        """Wrap an already-built PySC2 env (e.g. ``pysc2.env.mock_sc2_env.SC2TestEnv``)."""
        import_pysc2()
        backend = cls.__new__(cls)
        backend._attach(env, map_name, step_mul, raw_resolution)
        return backend

    def _attach(self, env: Any, map_name: str, step_mul: int, raw_resolution: int) -> None:
        from pysc2.lib import actions

        self.env, self.map_name, self.step_mul = env, map_name, step_mul
        self._fn = actions.RAW_FUNCTIONS
        start = env.game_info[0].start_raw
        self._map_h = float(start.map_size.y)
        self._scale = max(start.map_size.x, start.map_size.y) / raw_resolution  # cells per raw pixel
        area = start.playable_area
        if area.p1.x > area.p0.x:  # the playable area, where the game gives one
            self._origin = np.array([area.p0.x, area.p0.y], np.float64)
            self.map_size = (float(area.p1.x - area.p0.x), float(area.p1.y - area.p0.y))
        else:
            self._origin = np.zeros(2)
            self.map_size = (float(start.map_size.x), float(start.map_size.y))
        self._row_of: dict[int, int] = {}  # stable tag -> row of the last raw_units
        self._alias: dict[int, int] = {}  # the game's tag -> stable tag (a re-created survivor's old tag)
        self._own: dict[int, tuple[int, float]] = {}  # stable tag -> (unit type, health) of the last own units
        self._reinforcements = minigame(map_name).reinforcements if map_name in MINIGAMES else 0

    def reset(self, seed: int | None = None) -> Frame:
        self._alias, self._own = {}, {}
        return self._frame(self.env.reset()[0])

    def step(self, orders: Orders) -> Frame:
        return self._frame(self.env.step([self.raw_actions(orders)])[0])

    def close(self) -> None:
        self.env.close()

    def to_cells(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw pixels (top-left origin) -> map cells relative to the playable area (bottom-left origin)."""
        x = (px + 0.5) * self._scale - self._origin[0]
        y = self._map_h - (py + 0.5) * self._scale - self._origin[1]
        return x, y

    def to_pixels(self, x: float, y: float) -> tuple[int, int]:
        """Map cells relative to the playable area -> the raw pixel that holds the point."""
        px = int((x + self._origin[0]) / self._scale)
        py = int((self._map_h - y - self._origin[1]) / self._scale)
        return px, py

    def _frame(self, timestep: Any) -> Frame:
        from pysc2.lib.features import FeatureUnit as F

        obs = timestep.observation
        raw = np.asarray(obs["raw_units"], np.int64).reshape(-1, len(F))
        tags = self._stable_tags(raw, F)
        self._row_of = dict(zip(tags.tolist(), range(len(tags)), strict=True))
        x, y = self.to_cells(raw[:, F.x].astype(np.float64), raw[:, F.y].astype(np.float64))
        stats = [_STATS.get(t) for t in raw[:, F.unit_type].tolist()]
        known_radius = np.array([u.radius if u else np.nan for u in stats])
        known_hp = np.array([u.health if u and u.health > 0 else np.nan for u in stats])
        # raw radii are whole pixels and raw units carry max hit points only as a 0-255 ratio: prefer our table
        radius = np.where(np.isnan(known_radius), raw[:, F.radius] * self._scale, known_radius)
        health_max = np.where(np.isnan(known_hp), _from_ratio(raw[:, F.health], raw[:, F.health_ratio]), known_hp)
        units = Units(
            tag=tags,
            alliance=raw[:, F.alliance].astype(np.int8),
            unit_type=raw[:, F.unit_type].astype(np.int32),
            x=x.astype(np.float32),
            y=y.astype(np.float32),
            health=raw[:, F.health].astype(np.float32),
            health_max=np.maximum(raw[:, F.health], health_max).astype(np.float32),
            shield=raw[:, F.shield].astype(np.float32),
            shield_max=_from_ratio(raw[:, F.shield], raw[:, F.shield_ratio]).astype(np.float32),
            weapon_cooldown=raw[:, F.weapon_cooldown].astype(np.float32),
            radius=radius.astype(np.float32),
            visible=raw[:, F.display_type] == VISIBLE,
        )
        return Frame(
            units=units,
            game_loop=int(np.asarray(obs["game_loop"]).ravel()[0]),
            score=float(np.asarray(obs["score_cumulative"]).ravel()[0]),
            episode_over=bool(timestep.last()),
            map_size=self.map_size,
        )

    def _stable_tags(self, raw: np.ndarray, F: Any) -> np.ndarray:
        """The frame's tags, a re-created wave survivor's replaced by its old one (module docstring)."""
        own = raw[:, F.alliance] == SELF
        fresh = [r for r in np.flatnonzero(own).tolist() if int(raw[r, F.tag]) not in self._alias]
        present = {self._alias.get(int(t)) for t in raw[own, F.tag].tolist()}
        gone = sorted(t for t in self._own if t not in present)
        survivors = len(fresh) - self._reinforcements
        if self._reinforcements and gone and survivors > 0:
            fresh.sort(key=lambda r: int(raw[r, F.tag]))
            candidates = iter(gone)
            for r in fresh[:survivors]:
                for old in candidates:
                    kind, hp = self._own[old]
                    if kind == raw[r, F.unit_type] and raw[r, F.health] <= hp + 1e-6:
                        self._alias[int(raw[r, F.tag])] = old
                        break
        for t in raw[:, F.tag].tolist():
            self._alias.setdefault(int(t), int(t))
        tags = np.array([self._alias[int(t)] for t in raw[:, F.tag].tolist()], np.int64)
        self._own = {
            int(t): (int(k), float(h))
            for t, k, h in zip(tags[own], raw[own, F.unit_type], raw[own, F.health], strict=True)
        }
        return tags

    def raw_actions(self, orders: Orders) -> list[Any]:
        """PySC2 raw function calls for ``orders`` (one per group of units with the same order)."""
        groups: dict[tuple, list[int]] = {}
        for tag, kind, x, y, target in orders.rows():
            if tag not in self._row_of:
                continue  # the unit is gone
            if kind == STOP:
                key: tuple = (STOP,)
            elif kind == MOVE:
                key = (MOVE, *self.to_pixels(x, y))
            elif kind == ATTACK and target in self._row_of:
                key = (ATTACK, self._row_of[target])
            else:
                continue  # NOOP (or an attack on a unit that is gone): the unit keeps its order
            groups.setdefault(key, []).append(self._row_of[tag])
        calls = []
        for key, rows in groups.items():
            if key[0] == STOP:
                calls.append(self._fn.Stop_quick("now", rows))
            elif key[0] == MOVE:
                calls.append(self._fn.Move_pt("now", rows, key[1:]))
            else:
                calls.append(self._fn.Attack_unit("now", rows, key[1]))
        return calls or [self._fn.no_op()]


def _from_ratio(value: np.ndarray, ratio_255: np.ndarray) -> np.ndarray:
    """A maximum from a current value and PySC2's ``int(value / max * 255)`` (0 where unknown)."""
    ratio = ratio_255 / 255.0
    return np.where(ratio > 0, np.round(value / np.maximum(ratio, 1e-9)), 0.0)

"""Replays of StarCraft II mini-games: a 2D view of the map, drawn from the backend's frames.

Each frame (one per agent step, plus the start) shows every unit as a circle of its radius (own and
allied Marines blue, enemies red, neutral beacons and shards gold; an enemy hidden by fog of war
faint), a health bar over each unit with hit points, a cross where a unit died during the step, and
the step's attacks as lines. The snapshot (:class:`~envs.sc2.frame.Frame`) does not name attack
targets, so attacks are read from it: a unit fired during the step when its ``weapon_cooldown``
restarted (it is higher than the last frame's less the step's game loops), and the line goes to the
nearest hostile unit that lost health in the step (a Baneling's burst kills it, so it shows as a
cross). The title holds the game time (game seconds), the score and the units left. The frames come
from :class:`FrameRecorder`, a pass-through backend, so the env and its dynamics stay as they are.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from envs.sc2.frame import ALLY, ENEMY, NEUTRAL, SELF, Backend, Frame, Orders, Units
from envs.sc2.units import GAME_LOOPS_PER_GAME_SECOND
from repaint_ma.apps.replay import figure, save_gif

COLOURS = {SELF: "tab:blue", ALLY: "tab:cyan", NEUTRAL: "gold", ENEMY: "tab:red"}


class FrameRecorder:
    """A :class:`~envs.sc2.frame.Backend` that passes everything to ``backend`` and keeps its frames:
    ``episodes[i]`` holds episode ``i``'s frames, from its reset on."""

    def __init__(self, backend: Backend) -> None:
        self.backend, self.map_name, self.step_mul = backend, backend.map_name, backend.step_mul
        self.episodes: list[list[Frame]] = []

    @property
    def label(self) -> str:
        """Which engine made the frames, as results are labelled."""
        from envs.sc2.builtin import BuiltinBackend

        return "built-in engine" if isinstance(self.backend, BuiltinBackend) else "StarCraft II"

    def reset(self, seed: int | None = None) -> Frame:
        """Reset the backend; start a new episode's frames."""
        frame = self.backend.reset(seed=seed)
        self.episodes.append([frame])
        return frame

    def step(self, orders: Orders) -> Frame:
        """Step the backend; keep the frame."""
        frame = self.backend.step(orders)
        self.episodes[-1].append(frame)
        return frame

    def close(self) -> None:
        """Close the backend."""
        self.backend.close()


@dataclass
class Step:
    """What one frame shows beyond its units: the units killed in the step (their last positions) and the
    attacks (shooter and target positions)."""

    killed: np.ndarray  # (k, 2)
    attacks: np.ndarray  # (a, 2, 2): from, to


def _hostile(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(len(a), len(b))``: whether alliances ``a`` and ``b`` fight each other."""
    own_a, own_b = np.isin(a, (SELF, ALLY)), np.isin(b, (SELF, ALLY))
    return (own_a[:, None] & (b == ENEMY)[None]) | ((a == ENEMY)[:, None] & own_b[None])


def read_step(prev: Units, now: Units, step_mul: int) -> Step:
    """The kills and attacks of the step from frame ``prev`` to frame ``now`` (see the module docstring)."""
    row = {tag: i for i, tag in enumerate(prev.tag.tolist())}
    was = np.array([row.get(tag, -1) for tag in now.tag.tolist()], np.int64)  # each unit's row in prev
    gone = np.ones(len(prev.tag), bool)
    gone[was[was >= 0]] = False
    killed = gone & (prev.health_max > 0) & (prev.alliance != NEUTRAL)
    # the units that lost health: still here with less, or killed (at their last position)
    hurt_now = (was >= 0) & (now.health < prev.health[np.maximum(was, 0)])
    hurt_xy = np.concatenate([np.c_[now.x, now.y][hurt_now], np.c_[prev.x, prev.y][killed]])
    hurt_alliance = np.concatenate([now.alliance[hurt_now], prev.alliance[killed]])
    cooldown_before = np.where(was >= 0, prev.weapon_cooldown[np.maximum(was, 0)], np.inf)
    fired = now.weapon_cooldown > np.maximum(cooldown_before - step_mul, 0.0) + 1e-3
    shooters = np.c_[now.x, now.y][fired]
    attacks = []
    if len(hurt_xy):
        dist = np.linalg.norm(shooters[:, None] - hurt_xy[None], axis=2)
        dist[~_hostile(now.alliance[fired], hurt_alliance)] = np.inf
        for s, t in enumerate(dist.argmin(axis=1).tolist()):
            if np.isfinite(dist[s, t]):
                attacks.append((shooters[s], hurt_xy[t]))
    return Step(np.c_[prev.x, prev.y][killed], np.array(attacks, np.float64).reshape(-1, 2, 2))


def write_sc2_gif(frames: list[Frame], map_name: str, label: str, step_mul: int, path: Path, fps: float = 8.0) -> int:
    """Animate one mini-game episode's ``frames`` (``label``: the engine that made them) to the GIF ``path``;
    returns the number of frames written (``len(frames)``)."""
    from matplotlib.collections import EllipseCollection, LineCollection
    from matplotlib.colors import to_rgba_array

    width, height = frames[0].map_size
    fig, ax = figure((4.8, 4.8 * height / width + 0.3))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.3 / (4.8 * height / width + 0.3))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.set_facecolor("0.93")
    ax.set_xticks([])
    ax.set_yticks([])
    title = ax.set_title("", fontsize=7)
    empty = Step(np.zeros((0, 2)), np.zeros((0, 2, 2)))
    steps = [empty] + [read_step(a.units, b.units, step_mul) for a, b in itertools.pairwise(frames)]
    drawn: list[Any] = []

    def draw(t: int) -> list[Any]:
        for artist in drawn:
            artist.remove()
        drawn.clear()
        frame, step, u = frames[t], steps[t], frames[t].units
        xy = np.c_[u.x, u.y]
        faces = to_rgba_array([COLOURS.get(int(a), "0.5") for a in u.alliance])
        faces[:, 3] = np.where(u.visible | (u.alliance != ENEMY), 0.9, 0.25)  # fog: hidden enemies faint
        diameters = 2 * u.radius
        units = EllipseCollection(
            diameters, diameters, np.zeros(len(xy)), units="xy", offsets=xy, offset_transform=ax.transData,
            facecolors=faces, edgecolors="k", linewidths=0.3,
        )  # fmt: skip
        drawn.append(ax.add_collection(units))
        has_hp = u.health_max > 0
        x0, y0 = u.x[has_hp] - u.radius[has_hp], u.y[has_hp] + u.radius[has_hp] + 0.25

        def bars(length: np.ndarray) -> np.ndarray:  # (n, 2, 2): a bar of ``length`` over each unit
            return np.stack([np.c_[x0, y0], np.c_[x0 + length, y0]], axis=1)

        full = bars(diameters[has_hp])
        hp = bars(diameters[has_hp] * u.health[has_hp] / u.health_max[has_hp])
        drawn.append(ax.add_collection(LineCollection(full, colors="0.4", linewidths=1.5)))
        drawn.append(ax.add_collection(LineCollection(hp, colors="tab:green", linewidths=1.5)))
        drawn.append(ax.add_collection(LineCollection(step.attacks, colors="darkorange", linewidths=0.8)))
        drawn.append(ax.scatter(step.killed[:, 0], step.killed[:, 1], marker="x", c="k", s=20, linewidths=1))
        own = int(np.isin(u.alliance, (SELF, ALLY)).sum())
        enemies = int((u.alliance == ENEMY).sum())
        seconds = frame.game_loop / GAME_LOOPS_PER_GAME_SECOND
        left = f"Marines {own}" + (f"  enemies {enemies}" if enemies else "")
        title.set_text(f"{map_name} ({label})  t = {seconds:.1f} s  score {frame.score:g}  {left}")
        return [*drawn, title]

    return save_gif(fig, draw, len(frames), path, fps)

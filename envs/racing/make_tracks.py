"""Generate the shipped tracks: ``python -m envs.racing.make_tracks`` writes tracks/<name>.npy/.png, and
the previews of the shipped DeepRacer route files (``tracks/NOTICE``), which it leaves unchanged.

Each track is a "turtle" path of straights and constant-radius arcs whose turns add up to one
full left-hand (counter-clockwise) loop; a tiny linear correction closes any leftover gap. The
centre line is sampled every ``SPACING`` metres and the borders are offset by half the width.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from envs.racing.tracks import TRACKS_DIR, shipped_tracks, validate_waypoints

SPACING = 0.25
# name -> (width in metres, pieces): ("S", length) straight, ("L"/"R", degrees, radius) arc.
DESIGNS: dict[str, tuple[float, list[tuple]]] = {
    "oval": (0.9, [("S", 6.0), ("L", 180, 2.0), ("S", 6.0), ("L", 180, 2.0)]),
    "hairpin": (
        0.8,
        [
            ("S", 8.0),
            ("L", 180, 1.2),
            ("S", 2.0),
            ("R", 180, 1.2),
            ("S", 2.0),
            ("L", 180, 1.2),
            ("S", 8.0),
            ("L", 90, 1.2),
            ("S", 4.8),
            ("L", 90, 1.2),
        ],
    ),
    "speedway": (
        1.0,
        [
            ("S", 24.0),
            ("L", 90, 5.0),
            ("S", 4.0),
            ("L", 90, 5.0),
            ("S", 4.0),
            ("R", 45, 6.0),
            ("L", 45, 6.0),
            ("S", 11.51),
            ("L", 90, 5.0),
            ("S", 7.51),
            ("L", 90, 5.0),
        ],
    ),
    "sbend": (
        0.9,
        [
            ("S", 8.485),
            ("L", 90, 2.0),
            ("L", 90, 2.0),
            ("R", 45, 2.0),
            ("L", 90, 2.0),
            ("R", 90, 2.0),
            ("L", 45, 2.0),
            ("L", 90, 2.0),
            ("S", 1.172),
            ("L", 90, 2.0),
        ],
    ),
}


def turtle(pieces: list[tuple], spacing: float = SPACING) -> np.ndarray:
    """Centre line (N, 2) of a closed path of straights and arcs, starting at the origin east."""
    x, y, heading = 0.0, 0.0, 0.0
    dense = [(x, y)]
    step = 0.01
    for piece in pieces:
        kind, *args = piece
        if kind == "S":
            n, curvature = round(args[0] / step), 0.0
        else:
            degrees, radius = args
            n = round(np.radians(degrees) * radius / step)
            curvature = (1.0 if kind == "L" else -1.0) / radius
        for _ in range(n):
            heading += curvature * step / 2
            x, y = x + step * np.cos(heading), y + step * np.sin(heading)
            heading += curvature * step / 2
            dense.append((x, y))
    path = np.array(dense)
    gap = path[-1] - path[0]
    path -= np.linspace(0.0, 1.0, len(path))[:, None] * gap  # close the loop exactly
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    n = round(arc[-1] / spacing)
    s = np.linspace(0.0, arc[-1], n + 1)  # last sample repeats the first, as DeepRacer's files
    return np.stack([np.interp(s, arc, path[:, 0]), np.interp(s, arc, path[:, 1])], axis=1)


def waypoints(centre: np.ndarray, width: float) -> np.ndarray:
    """DeepRacer (N, 6) array: centre, inner (left of a counter-clockwise loop), outer."""
    tangent = np.roll(centre[:-1], -1, axis=0) - np.roll(centre[:-1], 1, axis=0)
    tangent = np.vstack([tangent, tangent[:1]])
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    left = np.stack([-tangent[:, 1], tangent[:, 0]], axis=1)
    return np.hstack([centre, centre + left * width / 2, centre - left * width / 2])


def preview(array: np.ndarray, title: str, path) -> None:
    """Save a PNG of the track: borders, centre line, start line and driving direction."""
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.plot(array[:, 2], array[:, 3], "k-", lw=1.5)
    ax.plot(array[:, 4], array[:, 5], "k-", lw=1.5)
    ax.plot(array[:, 0], array[:, 1], "--", color="0.6", lw=0.8)
    ax.plot(array[0, [2, 4]], array[0, [3, 5]], "r-", lw=3, label="start line")
    ax.annotate("", xy=array[4, :2], xytext=array[0, :2], arrowprops={"color": "r"})
    length = np.linalg.norm(np.diff(array[:, :2], axis=0), axis=1).sum()
    ax.set_title(f"{title}: {length:.1f} m, {len(array) - 1} waypoints")
    ax.set_aspect("equal")
    ax.legend(loc="upper right")
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    """Write every design to ``envs/racing/tracks``."""
    TRACKS_DIR.mkdir(exist_ok=True)
    for name, (width, pieces) in DESIGNS.items():
        array = waypoints(turtle(pieces), width)
        validate_waypoints(array, name)
        np.save(TRACKS_DIR / f"{name}.npy", array)
        preview(array, name, TRACKS_DIR / f"{name}.png")
        print(f"{name}: {len(array) - 1} waypoints")
    for name in sorted(set(shipped_tracks()) - set(DESIGNS)):  # DeepRacer's own route files
        preview(np.load(TRACKS_DIR / f"{name}.npy")[:, :6], name, TRACKS_DIR / f"{name}.png")


if __name__ == "__main__":
    main()

"""Tracks in AWS DeepRacer's waypoint format and the geometry the env needs from them.

A track file is a NumPy array of shape (N, 6), one row per waypoint of a closed loop:
centre x, y, inner-border x, y, outer-border x, y (metres). As in DeepRacer's own files the last
row may repeat the first. Cars drive in waypoint order. ``load_track`` takes a shipped name
or a path to a ``.npy``. Shipped (previews in ``tracks/*.png``, made by ``make_tracks.py``):
``oval`` 24.6 m, 0.9 m wide; ``hairpin`` 39.8 m, 0.8 m, three 180-degree hairpins of radius
1.2 m; ``speedway`` 91.8 m, 1.0 m, long straights and fast curves; ``sbend`` 31.6 m, 0.9 m, an
S-bend section. All are counter-clockwise loops starting at the origin heading east.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from envs.errors import EnvInputError
from envs.racing.physics import CAR_WIDTH

TRACKS_DIR = Path(__file__).parent / "tracks"
MAX_COORDINATE = 1000.0  # metres: DeepRacer tracks span tens of metres; far out, the physics loses precision


def shipped_tracks() -> list[str]:
    """Names of the tracks shipped in ``envs/racing/tracks``."""
    return sorted(p.stem for p in TRACKS_DIR.glob("*.npy"))


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _segments(line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return line, np.roll(line, -1, axis=0)


def _crossings(p0, p1, q0, q1) -> np.ndarray:
    """(n, m) bool: segment i of P properly crosses segment j of Q."""
    r, s = (p1 - p0)[:, None], (q1 - q0)[None, :]
    qp = q0[None, :] - p0[:, None]
    denom = _cross(r, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = _cross(qp, s) / denom
        u = _cross(qp, r) / denom
    return (denom != 0) & (t > 0) & (t < 1) & (u > 0) & (u < 1)


def _self_intersects(line: np.ndarray) -> bool:
    hit = _crossings(*_segments(line), *_segments(line))
    n = len(line)
    i, j = np.indices((n, n))
    near = (abs(i - j) <= 1) | (abs(i - j) == n - 1)
    return bool((hit & ~near).any())


class TrackError(EnvInputError):
    """A track that cannot be used: unknown name, unreadable or malformed waypoint file (naming the file)."""


@dataclass
class Track:
    """A validated closed track with precomputed centre-line geometry."""

    name: str
    waypoints: np.ndarray  # (N, 6), the closing duplicate row removed
    centre: np.ndarray = field(init=False)  # (N, 2)
    seg_dir: np.ndarray = field(init=False)  # (N, 2) unit direction of segment i -> i+1
    seg_len: np.ndarray = field(init=False)  # (N,)
    seg_angle: np.ndarray = field(init=False)  # (N,) direction of segment i, radians
    arc: np.ndarray = field(init=False)  # (N,) arc length at waypoint i
    length: float = field(init=False)
    half_left: np.ndarray = field(init=False)  # (N,) border distance to the left of the centre
    half_right: np.ndarray = field(init=False)
    width: np.ndarray = field(init=False)  # (N,) inner-to-outer distance
    waypoint_list: list[tuple[float, float]] = field(init=False)  # shared by every params dict

    def __post_init__(self) -> None:
        c = self.waypoints[:, 0:2]
        inner, outer = self.waypoints[:, 2:4], self.waypoints[:, 4:6]
        delta = np.roll(c, -1, axis=0) - c
        self.centre = c
        self.seg_len = np.linalg.norm(delta, axis=1)
        self.seg_dir = delta / self.seg_len[:, None]
        self.seg_angle = np.arctan2(self.seg_dir[:, 1], self.seg_dir[:, 0])
        self._centre_c = c[:, 0] + 1j * c[:, 1]
        self._dir_conj = np.exp(-1j * self.seg_angle)
        self.arc = np.concatenate([[0.0], np.cumsum(self.seg_len)[:-1]])
        self.length = float(self.seg_len.sum())
        inner_left = _cross(self.seg_dir, inner - c) > 0
        d_in = np.linalg.norm(inner - c, axis=1)
        d_out = np.linalg.norm(outer - c, axis=1)
        self.half_left = np.where(inner_left, d_in, d_out)
        self.half_right = np.where(inner_left, d_out, d_in)
        self.width = np.linalg.norm(outer - inner, axis=1)
        self.waypoint_list = [(float(x), float(y)) for x, y in c]

    @property
    def borders(self) -> list[np.ndarray]:
        """Inner and outer border polylines, (N, 2) each."""
        return [self.waypoints[:, 2:4], self.waypoints[:, 4:6]]

    def offset_borders(self, margin: float) -> list[np.ndarray]:
        """The borders moved ``margin`` metres further from the centre line.

        Raises:
            ValueError: where a moved border would come back within ``margin / 2`` of the
                track (two parts of the track closer than about twice the margin).
        """
        out = []
        for border in self.borders:
            away = border - self.centre
            line = border + margin * away / np.linalg.norm(away, axis=1, keepdims=True)
            seg, _, lateral = self.project(line)
            clearance = abs(lateral) - np.where(lateral > 0, self.half_left[seg], self.half_right[seg])
            if clearance.min() < margin / 2:
                raise TrackError(
                    f"track {self.name}: walls {margin} m outside the borders would come within "
                    f"{max(clearance.min(), 0.0):.2f} m of the track near waypoint {int(seg[clearance.argmin()])}; "
                    "use a smaller wall_margin, or None for no walls"
                )
            out.append(line)
        return out

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Closest centre-line point of each of ``points`` (k, 2).

        Returns the segment index (k,), the arc length s in [0, length) (k,) and the signed
        lateral offset (k,), positive to the left of the driving direction.
        """
        # complex numbers: x + iy; dividing by a segment's direction rotates into its frame
        local = ((points[:, 0] + 1j * points[:, 1])[:, None] - self._centre_c) * self._dir_conj
        t = np.minimum(np.maximum(local.real, 0.0), self.seg_len)  # foot of the perpendicular
        seg = abs(local - t).argmin(axis=1)
        rows = np.arange(len(points))
        s = (self.arc[seg] + t[rows, seg]) % self.length
        lateral = local.imag[rows, seg]
        return seg, s, lateral

    def point_at(self, s: float) -> tuple[float, float, float]:
        """Centre-line point (x, y) and direction (radians) at arc length ``s``."""
        s = s % self.length
        i = int(np.searchsorted(self.arc, s, side="right") - 1)
        x, y = self.centre[i] + (s - self.arc[i]) * self.seg_dir[i]
        return float(x), float(y), float(self.seg_angle[i])


def validate_waypoints(array: np.ndarray, source: str) -> np.ndarray:
    """Check a DeepRacer waypoint array; return it without a closing duplicate row.

    Raises:
        TrackError: naming ``source`` for a wrong shape, NaN, inf or far-out coordinates, an open loop, a
            self-intersecting border or a track narrower than a car.
    """
    array = np.asarray(array, dtype=float)
    if array.ndim != 2 or array.shape[1] != 6 or len(array) < 4:
        raise TrackError(
            f"track {source}: expected a DeepRacer waypoint array of shape (N>=4, 6) "
            f"(centre x, y, inner x, y, outer x, y), got shape {array.shape}"
        )
    if not np.isfinite(array).all():
        raise TrackError(f"track {source}: waypoints contain NaN or inf")
    if np.abs(array).max() > MAX_COORDINATE:
        raise TrackError(
            f"track {source}: coordinates up to {np.abs(array).max():.3g} m; expected metres within "
            f"+-{MAX_COORDINATE:g} m of the origin"
        )
    steps = np.linalg.norm(np.diff(array[:, 0:2], axis=0), axis=1)
    spacing = float(np.median(steps))
    gap = float(np.linalg.norm(array[-1, 0:2] - array[0, 0:2]))
    if gap > 2 * spacing:
        raise TrackError(
            f"track {source}: not a closed loop: the last centre point is {gap:.2f} m from the "
            f"first (waypoint spacing {spacing:.2f} m)"
        )
    if gap < 0.1 * spacing:
        array = array[:-1]
    if (np.linalg.norm(np.diff(array[:, 0:2], axis=0), axis=1) == 0).any():
        raise TrackError(f"track {source}: repeated consecutive centre waypoints")
    width = np.linalg.norm(array[:, 4:6] - array[:, 2:4], axis=1)
    if width.min() < CAR_WIDTH:
        i = int(width.argmin())
        raise TrackError(
            f"track {source}: width {width[i]:.2f} m at waypoint {i} is narrower than the car ({CAR_WIDTH} m)"
        )
    inner, outer = array[:, 2:4], array[:, 4:6]
    for name, border in (("inner", inner), ("outer", outer)):
        if _self_intersects(border):
            raise TrackError(f"track {source}: the {name} border intersects itself")
    if _crossings(*_segments(inner), *_segments(outer)).any():
        raise TrackError(f"track {source}: the inner and outer borders cross")
    return array


def load_track(track: str | Path) -> Track:
    """A shipped track by name, or any DeepRacer ``.npy`` waypoint file by path.

    Raises:
        TrackError: for an unknown name or a malformed file (the message names the file).
    """
    path = Path(track)
    if path.suffix != ".npy":
        path = TRACKS_DIR / f"{track}.npy"
        if not path.exists():
            raise TrackError(f"unknown track {track!r}: give a .npy path or one of {shipped_tracks()}")
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:  # EOFError: an empty file
        raise TrackError(f"track {path}: cannot read a NumPy array ({err})") from err
    return Track(path.stem, validate_waypoints(array, str(path)))

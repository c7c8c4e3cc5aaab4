"""Tracks in AWS DeepRacer's waypoint format and the geometry the env needs from them.

A track file is a NumPy array of shape (N, 6), one row per waypoint: centre x, y, inner-border x,
y, outer-border x, y (metres); DeepRacer's route files load unchanged. Loading sanitises the rows
as DeepRacer's simulator does (simapp ``track_data.py``): columns after the sixth are ignored, and a
row whose centre point is within 1e-9 m of the previous row's is dropped. A track is a closed loop
when its last row repeats the first (the simulator's test) or, as files that leave out the closing
row, when its last centre point is within two waypoint spacings of the first; otherwise it is open:
a race on it starts at the first waypoint and ends at the end line, the last one. Cars drive in
waypoint order. ``load_track`` takes a shipped name
or a path to a ``.npy``. Shipped (previews in ``tracks/*.png``, made by ``make_tracks.py``):
``oval`` 24.6 m, 0.9 m wide; ``hairpin`` 39.8 m, 0.8 m, three 180-degree hairpins of radius
1.2 m; ``speedway`` 91.8 m, 1.0 m, long straights and fast curves; ``sbend`` 31.6 m, 0.9 m, an
S-bend section (all four counter-clockwise loops starting at the origin heading east); and two of
DeepRacer's own route files, unchanged (Apache-2.0, ``tracks/NOTICE``): ``reInvent2019_track`` 23.1 m,
1.07 m wide (the re:Invent 2019 championship track), and ``Straight_track`` (open).

Lanes: as the simulator's ``track_data.py`` (``inner_lane``, ``outer_lane``), the inner lane runs half-way
between the centre line and the inner border, the outer lane half-way to the outer border; obstacles,
bot cars and reset poses use them. ``Track.reversed()`` is the track driven the other way (the
simulator's ``REVERSE_DIR``, ``Track.reverse`` True): waypoints in reverse order from the same start line
(an open track from its end line), inner border still inner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from envs.errors import EnvInputError
from envs.racing.physics import CAR_WIDTH, Polyline

TRACKS_DIR = Path(__file__).parent / "tracks"
MAX_COORDINATE = 1000.0  # metres: DeepRacer tracks span tens of metres; far out, the physics loses precision
DUPLICATE_EPS = 1e-9  # metres: the simulator drops a centre point this close to the previous one
WALLS = ("auto", "on", "off")


def shipped_tracks() -> list[str]:
    """Names of the tracks shipped in ``envs/racing/tracks``."""
    return sorted(p.stem for p in TRACKS_DIR.glob("*.npy"))


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _segments(line: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    return (line, np.roll(line, -1, axis=0)) if closed else (line[:-1], line[1:])


def _crossings(p0, p1, q0, q1) -> np.ndarray:
    """(n, m) bool: segment i of P properly crosses segment j of Q."""
    r, s = (p1 - p0)[:, None], (q1 - q0)[None, :]
    qp = q0[None, :] - p0[:, None]
    denom = _cross(r, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = _cross(qp, s) / denom
        u = _cross(qp, r) / denom
    return (denom != 0) & (t > 0) & (t < 1) & (u > 0) & (u < 1)


def _self_intersects(line: np.ndarray, closed: bool) -> bool:
    segments = _segments(line, closed)
    hit = _crossings(*segments, *segments)
    n = len(line)
    i, j = np.indices(hit.shape)
    near = (abs(i - j) <= 1) | (abs(i - j) == n - 1)
    return bool((hit & ~near).any())


class TrackError(EnvInputError):
    """A track that cannot be used: unknown name, unreadable or malformed waypoint file (naming the file)."""


@dataclass
class Track:
    """A validated track, a closed loop or open, with precomputed centre-line geometry.

    A closed track has N segments (the last one back to waypoint 0), an open one N - 1.
    """

    name: str
    waypoints: np.ndarray  # (N, 6), the closing duplicate row removed
    closed: bool = True
    reverse: bool = False  # driven against the file's waypoint order (``reversed()``)
    centre: np.ndarray = field(init=False)  # (N, 2)
    seg_dir: np.ndarray = field(init=False)  # (M, 2) unit direction of segment i -> i+1
    seg_len: np.ndarray = field(init=False)  # (M,)
    seg_angle: np.ndarray = field(init=False)  # (M,) direction of segment i, radians
    arc: np.ndarray = field(init=False)  # (M,) arc length at waypoint i
    length: float = field(init=False)
    half_left: np.ndarray = field(init=False)  # (N,) border distance to the left of the centre
    half_right: np.ndarray = field(init=False)
    width: np.ndarray = field(init=False)  # (N,) inner-to-outer distance
    lanes: np.ndarray = field(init=False)  # (2, N) signed lateral offset of the inner (0) and outer (1) lane
    # DeepRacer's params['waypoints']: the centre points, on a loop with waypoint 0 again at the end
    waypoint_list: list[tuple[float, float]] = field(init=False)
    # per segment, as Python floats for the per-point scalar code (``project``, ``params``): seg_angle,
    # half_left, half_right, arc, seg_len, and the widths at its two ends
    seg_rows: list[tuple[float, ...]] = field(init=False)

    def __post_init__(self) -> None:
        c = self.waypoints[:, 0:2]
        inner, outer = self.waypoints[:, 2:4], self.waypoints[:, 4:6]
        starts, ends = _segments(c, self.closed)
        delta = ends - starts
        self.centre = c
        self.seg_len = np.linalg.norm(delta, axis=1)
        self.seg_dir = delta / self.seg_len[:, None]
        self.seg_angle = np.arctan2(self.seg_dir[:, 1], self.seg_dir[:, 0])
        self._centre_c = starts[:, 0] + 1j * starts[:, 1]
        self._dir_conj = np.exp(-1j * self.seg_angle)
        self.arc = np.concatenate([[0.0], np.cumsum(self.seg_len)[:-1]])
        self.length = float(self.seg_len.sum())
        # the last waypoint of an open track takes the direction of the last segment
        waypoint_dir = self.seg_dir if self.closed else np.vstack([self.seg_dir, self.seg_dir[-1:]])
        inner_left = _cross(waypoint_dir, inner - c) > 0
        d_in = np.linalg.norm(inner - c, axis=1)
        d_out = np.linalg.norm(outer - c, axis=1)
        self.half_left = np.where(inner_left, d_in, d_out)
        self.half_right = np.where(inner_left, d_out, d_in)
        self.width = np.linalg.norm(outer - inner, axis=1)
        side = np.where(inner_left, 1.0, -1.0)  # the inner border's side: +1 left
        self.lanes = np.stack([side * d_in / 2, -side * d_out / 2])
        self.waypoint_list = [(float(x), float(y)) for x, y in (np.vstack([c, c[:1]]) if self.closed else c)]
        m = len(self.seg_len)
        ends = np.arange(1, m + 1) % len(self.width)
        columns = (self.seg_angle, self.half_left[:m], self.half_right[:m], self.arc, self.seg_len, self.width[:m],
                   self.width[ends])  # fmt: skip
        self.seg_rows = list(zip(*(column.tolist() for column in columns), strict=True))

    def reversed(self) -> Track:
        """The track driven against its waypoint order (the simulator's ``REVERSE_DIR``), ``reverse`` flipped: from
        the same start line on a loop (waypoint 0 stays first), from the end line on an open track."""
        rows = self.waypoints[::-1]
        if self.closed:  # waypoint 0 stays first: 0, N-1, ..., 1
            rows = np.roll(rows, 1, axis=0)
        return Track(self.name, rows, self.closed, not self.reverse)

    def frame(self, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Centre-line points (k, 2), directions (k,), segments (k,) and the fraction along each segment
        (k,) at arc lengths ``s`` (k,) (wrapped on a closed track, clipped to it on an open one)."""
        s = np.asarray(s, dtype=float)
        s = s % self.length if self.closed else np.clip(s, 0.0, self.length)
        seg = np.clip(np.searchsorted(self.arc, s, side="right") - 1, 0, len(self.arc) - 1)
        along = s - self.arc[seg]
        xy = self.centre[seg] + along[:, None] * self.seg_dir[seg]
        return xy, self.seg_angle[seg], seg, along / self.seg_len[seg]

    def lane_offset(self, s: np.ndarray, outer: np.ndarray) -> np.ndarray:
        """Signed lateral offset (left positive) of the inner lane (``outer`` False) or the outer lane
        at arc lengths ``s``, interpolated between waypoints."""
        lane = np.broadcast_to(np.asarray(outer, dtype=int), np.shape(s))
        _, _, seg, f = self.frame(s)
        nxt = (seg + 1) % len(self.centre)
        return (1 - f) * self.lanes[lane, seg] + f * self.lanes[lane, nxt]

    def offset_points(self, s: np.ndarray, lateral: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Points (k, 2) ``lateral`` metres left of the centre line at arc lengths ``s``, and the
        track direction there (k,)."""
        xy, direction, _, _ = self.frame(s)
        normal = np.stack([-np.sin(direction), np.cos(direction)], axis=1)
        return xy + np.asarray(lateral, dtype=float)[:, None] * normal, direction

    @property
    def borders(self) -> list[np.ndarray]:
        """Inner and outer border polylines, (N, 2) each."""
        return [self.waypoints[:, 2:4], self.waypoints[:, 4:6]]

    def outlines(self) -> list[np.ndarray]:
        """The borders to draw: each closed by its first point again on a closed track."""
        return [np.vstack([b, b[:1]]) if self.closed else b for b in self.borders]

    def curbs(self) -> list[Polyline]:
        """The borders as the physics' curb walls."""
        return [Polyline(b, self.closed) for b in self.borders]

    def barriers(self, margin: float, walls: str = "on") -> list[Polyline]:
        """Barrier walls: the borders moved ``margin`` metres further from the centre line.

        ``walls``: "on", both whole; "auto", only the stretches whose points stay at least
        ``margin / 2`` clear of the track (whole where nothing is cut, none where two parts of
        the track are closer than about twice the margin, as off the track is off the track in
        DeepRacer, which has no walls); "off", none.

        Raises:
            TrackError: for "on" where a moved border would come back within ``margin / 2``
                of the track.
        """
        if walls not in WALLS:
            raise TrackError(f"walls: expected one of {list(WALLS)}, got {walls!r}")
        out: list[Polyline] = []
        for border in self.borders if walls != "off" else []:
            away = border - self.centre
            line = border + margin * away / np.linalg.norm(away, axis=1, keepdims=True)
            seg, _, lateral = self.project(line)
            clearance = abs(lateral) - np.where(lateral > 0, self.half_left[seg], self.half_right[seg])
            clear = clearance >= margin / 2
            if clear.all():
                out.append(Polyline(line, self.closed))
            elif walls == "on":
                raise TrackError(
                    f"track {self.name}: walls {margin} m outside the borders would come within "
                    f"{max(clearance.min(), 0.0):.2f} m of the track near waypoint {int(seg[clearance.argmin()])}; "
                    "use a smaller wall_margin, or walls: auto (only where they fit) or off"
                )
            else:
                out += [Polyline(line[run], False) for run in _runs(clear, self.closed)]
        return out

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Closest centre-line point of each of ``points`` (k, 2).

        Returns the segment index (k,), the arc length s (k,) in [0, length) on a closed track,
        [0, length] on an open one, and the signed lateral offset (k,), positive to the left of
        the driving direction.
        """
        # complex numbers: x + iy (a view of the rows); dividing by a segment's direction rotates into its frame
        local = (np.ascontiguousarray(points, dtype=float).view(complex) - self._centre_c) * self._dir_conj
        t = np.maximum(local.real, 0.0)
        np.minimum(t, self.seg_len, out=t)  # foot of the perpendicular
        seg = abs(local - t).argmin(axis=1)
        s, lateral = [], []
        for i, j in enumerate(seg.tolist()):  # each point's values on its segment, in Python floats
            along = self.seg_rows[j][3] + t.item(i, j)  # arc[j] + t
            s.append(along % self.length if self.closed else along)
            lateral.append(local.item(i, j).imag)
        return seg, np.array(s), np.array(lateral)

    def point_at(self, s: float) -> tuple[float, float, float]:
        """Centre-line point (x, y) and direction (radians) at arc length ``s`` (within the
        track on an open one)."""
        s = s % self.length if self.closed else min(max(s, 0.0), self.length)
        i = int(np.searchsorted(self.arc, s, side="right") - 1)
        x, y = self.centre[i] + (s - self.arc[i]) * self.seg_dir[i]
        return float(x), float(y), float(self.seg_angle[i])


def _runs(keep: np.ndarray, closed: bool) -> list[np.ndarray]:
    """Indices of each run of at least two consecutive kept points (around the end when closed);
    at least one point is not kept."""
    order = np.arange(len(keep))
    if closed:
        order = np.roll(order, -int(np.argmin(keep)))  # start at a point that is not kept
    runs = [run[keep[run]] for run in np.split(order, np.flatnonzero(~keep[order]))]
    return [run for run in runs if len(run) >= 2]


def validate_waypoints(array: np.ndarray, source: str) -> tuple[np.ndarray, bool]:
    """Sanitise and check a DeepRacer waypoint array (see the module docstring).

    Returns the waypoints (N, 6), without a closing row repeating the first, and whether the
    track is a closed loop.

    Raises:
        TrackError: naming ``source`` for a wrong shape, NaN, inf or far-out coordinates, fewer
            than 2 distinct centre points (3 on a loop), a self-intersecting border or a track
            narrower than a car.
    """
    array = np.asarray(array, dtype=float)
    if array.ndim != 2 or array.shape[1] < 6 or len(array) < 2:
        raise TrackError(
            f"track {source}: expected a DeepRacer waypoint array of shape (N>=2, 6) "
            f"(centre x, y, inner x, y, outer x, y), got shape {array.shape}"
        )
    array = array[:, :6]
    if not np.isfinite(array).all():
        raise TrackError(f"track {source}: waypoints contain NaN or inf")
    if np.abs(array).max() > MAX_COORDINATE:
        raise TrackError(
            f"track {source}: coordinates up to {np.abs(array).max():.3g} m; expected metres within "
            f"+-{MAX_COORDINATE:g} m of the origin"
        )
    steps = np.linalg.norm(np.diff(array[:, 0:2], axis=0), axis=1)
    array = array[np.concatenate([[True], steps > DUPLICATE_EPS])]
    steps = steps[steps > DUPLICATE_EPS]
    spacing = float(np.median(steps)) if len(steps) else 0.0
    gap = float(np.linalg.norm(array[-1, 0:2] - array[0, 0:2]))
    closed = gap <= 2 * spacing
    if closed and gap < 0.1 * spacing:
        array = array[:-1]
    if len(array) < (3 if closed else 2):
        raise TrackError(f"track {source}: fewer than {3 if closed else 2} distinct centre points")
    width = np.linalg.norm(array[:, 4:6] - array[:, 2:4], axis=1)
    if width.min() < CAR_WIDTH:
        i = int(width.argmin())
        raise TrackError(
            f"track {source}: width {width[i]:.2f} m at waypoint {i} is narrower than the car ({CAR_WIDTH} m)"
        )
    inner, outer = array[:, 2:4], array[:, 4:6]
    for name, border in (("inner", inner), ("outer", outer)):
        if _self_intersects(border, closed):
            raise TrackError(f"track {source}: the {name} border intersects itself")
    if _crossings(*_segments(inner, closed), *_segments(outer, closed)).any():
        raise TrackError(f"track {source}: the inner and outer borders cross")
    return array, closed


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
    return Track(path.stem, *validate_waypoints(array, str(path)))

"""AWS DeepRacer's ``params`` dict, built for every car each step, and the progress/lap rules.

Keys and units follow DeepRacer's documentation (metres, degrees, m/s, percent):
all_wheels_on_track, x, y, distance_from_center, is_left_of_center, heading, progress, steps,
speed, steering_angle, track_width, track_length, waypoints, closest_waypoints, is_offtrack,
is_crashed, is_reversed, closest_objects, objects_location, objects_heading, objects_speed,
objects_distance, objects_left_of_center, object_in_camera.

Notes on our values: ``speed`` is the measured forward speed (negative when rolling backwards),
``steering_angle`` the commanded angle; ``is_reversed`` is True on a track driven backwards
(``Track.reverse``, the simulator's ``REVERSE_DIR``); ``waypoints`` is the same list object in every
dict (never copied); ``objects_*`` list the other cars still racing (learning cars and bots, in car
order), then the env's static ``Objects`` (obstacle boxes, speed 0), empty in a time trial, where
``closest_objects`` is [0, 0]; ``object_in_camera`` is True when another car is within
``CAMERA_RANGE`` metres and ``CAMERA_HALF_FOV`` degrees of the heading.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from envs.racing.physics import HALF_TRACK, WHEELBASE, CarState
from envs.racing.tracks import Track

_HALF_BASE, _HALF_TRACK = WHEELBASE / 2, HALF_TRACK  # wheels around the centre
CAMERA_RANGE = 3.0
CAMERA_HALF_FOV = 60.0
PARAM_KEYS = (
    "all_wheels_on_track", "x", "y", "distance_from_center", "is_left_of_center", "heading",
    "progress", "steps", "speed", "steering_angle", "track_width", "track_length", "waypoints",
    "closest_waypoints", "is_offtrack", "is_crashed", "is_reversed", "closest_objects",
    "objects_location", "objects_heading", "objects_speed", "objects_distance",
    "objects_left_of_center", "object_in_camera",
)  # fmt: skip


def wrap_angle(a: np.ndarray) -> np.ndarray:
    """Angles wrapped to [-pi, pi)."""
    return (a + np.pi) % (2 * np.pi) - np.pi


@dataclass
class Objects:
    """Static objects (the obstacle boxes) listed in every car's objects_* params after the cars."""

    xy: np.ndarray  # (m, 2) centre
    heading: np.ndarray  # (m,) degrees
    s: np.ndarray  # (m,) arc length from the start line
    lateral: np.ndarray  # (m,) signed distance from the centre, left positive


@dataclass
class Placement:
    """Where k cars are relative to the track (all arrays have k rows)."""

    seg: np.ndarray  # closest centre-line segment (waypoint index before the car)
    s: np.ndarray  # arc length from the start line, metres
    lateral: np.ndarray  # signed distance from the centre, left positive
    half_width: np.ndarray  # centre-to-border distance on the car's side
    heading_error: np.ndarray  # car heading minus track direction, radians in [-pi, pi)
    all_wheels_on: np.ndarray  # bool
    any_wheel_on: np.ndarray  # bool


def place_on_track(track: Track, xy: np.ndarray, yaw: np.ndarray) -> Placement:
    """Project the cars' centres on the track and judge their wheels, vectorised over cars.

    The wheels sit at +-``_HALF_BASE`` along and +-``_HALF_TRACK`` across the car from its
    centre, so with heading error e to the track direction their offsets along the track normal
    span +-(_HALF_BASE |sin e| + _HALF_TRACK |cos e|) around the centre's lateral offset (taken
    at the centre's segment: exact on straights, a few mm off on a 2 m curve). All wheels are on
    the track when that span lies between the borders; none is when it lies wholly beyond one.
    """
    seg, s, lateral = track.project(xy)
    error = wrap_angle(yaw - track.seg_angle[seg])
    spread = _HALF_BASE * abs(np.sin(error)) + _HALF_TRACK * abs(np.cos(error))
    left, right = track.half_left[seg], track.half_right[seg]
    all_on = (lateral + spread <= left) & (lateral - spread >= -right)
    any_on = (lateral - spread <= left) & (lateral + spread >= -right)
    half_width = np.where(lateral > 0, left, right)
    return Placement(seg, s, lateral, half_width, error, all_on, any_on)


class Progress:
    """Forward progress and laps per car, immune to reversing and zig-zagging.

    Each car's arc-length change is unwrapped step by step into ``travelled`` (negative when
    it drives backwards); ``best`` is the furthest ``travelled`` ever reached from the car's own
    start. Progress and laps only come from ``best``: a lap is ``length`` metres of new ground,
    so crossing the start line backwards, or back and forth, adds nothing. On an open track
    (``closed`` False) arc lengths do not wrap, and the race (its one lap) is the way from the
    car's start to the end line.
    """

    def __init__(self, length: float, start_s: np.ndarray, laps: int, closed: bool = True) -> None:
        self.length, self.closed = length, closed
        self.lap = np.full(len(start_s), length) if closed else length - start_s
        self.race = laps * self.lap
        self.last_s = start_s.astype(float).copy()
        self.travelled = np.zeros(len(start_s))
        self.best = np.zeros(len(start_s))

    def update(self, cars: np.ndarray, s: np.ndarray) -> None:
        """Record new arc lengths ``s`` of the cars with indices ``cars``."""
        delta = s - self.last_s[cars]
        if self.closed:
            half = self.length / 2
            delta = (delta + half) % self.length - half
        self.last_s[cars] = s
        self.travelled[cars] += delta
        self.best[cars] = np.maximum(self.best[cars], self.travelled[cars])

    def percent(self, cars: np.ndarray) -> np.ndarray:
        """Progress of the race (all laps), 0-100."""
        return np.minimum(100.0 * self.best[cars] / self.race[cars], 100.0)

    def laps(self, cars: np.ndarray) -> np.ndarray:
        """Completed laps."""
        return np.floor(self.best[cars] / self.lap[cars] + 1e-9).astype(int)


def _objects(place: Placement, xy: np.ndarray, yaw_deg: np.ndarray, speed: np.ndarray, track_length: float,
             objects: Objects | None) -> list[dict[str, Any]]:  # fmt: skip
    """The objects_* keys of every car: the other cars, then ``objects``, from (k, k + m) arrays."""
    k = len(xy)
    s, lateral = place.s, place.lateral
    if objects is not None and len(objects.xy):
        xy = np.vstack([xy, objects.xy])
        yaw_deg = np.concatenate([yaw_deg, objects.heading])
        speed = np.concatenate([speed, np.zeros(len(objects.xy))])
        s, lateral = np.concatenate([s, objects.s]), np.concatenate([lateral, objects.lateral])
    n = len(xy)
    if n == 1:
        return [{
            "closest_objects": [0, 0], "objects_location": [], "objects_heading": [],
            "objects_speed": [], "objects_distance": [], "objects_left_of_center": [],
            "object_in_camera": False,
        }]  # fmt: skip
    gap = (s[None, :] - s[:k, None]) % track_length  # [i, j]: how far j is ahead of i
    rel = (xy[None, :, 0] - xy[:k, None, 0]) + 1j * (xy[None, :, 1] - xy[:k, None, 1])
    bearing = (np.angle(rel, deg=True) - yaw_deg[:k, None] + 180.0) % 360.0 - 180.0
    seen = (abs(rel) < CAMERA_RANGE) & (abs(bearing) < CAMERA_HALF_FOV)
    self_pair = np.eye(k, n, dtype=bool)
    seen[self_pair] = False
    ahead = np.where(self_pair, np.inf, gap).argmin(axis=1)
    behind = np.where(self_pair, -np.inf, gap).argmax(axis=1)
    locations = [(x, y) for x, y in xy.tolist()]
    headings, speeds = yaw_deg.tolist(), speed.tolist()
    distances, lefts = s.tolist(), (lateral > 0).tolist()
    out = []
    for i, (back, front, in_camera) in enumerate(
        zip(behind.tolist(), ahead.tolist(), seen.any(axis=1).tolist(), strict=True)
    ):
        others = [j for j in range(n) if j != i]
        out.append({
            # indices into the objects lists, which skip car i
            "closest_objects": [back - (back > i), front - (front > i)],
            "objects_location": [locations[j] for j in others],
            "objects_heading": [headings[j] for j in others],
            "objects_speed": [speeds[j] for j in others],
            "objects_distance": [distances[j] for j in others],
            "objects_left_of_center": [lefts[j] for j in others],
            "object_in_camera": in_camera,
        })  # fmt: skip
    return out


def deepracer_params(
    track: Track,
    place: Placement,
    state: CarState,
    steering_deg: np.ndarray,
    progress: np.ndarray,
    steps: int,
    crashed: np.ndarray,
    objects: Objects | None = None,
) -> list[dict[str, Any]]:
    """One DeepRacer params dict per car (rows of the arrays), objects = the other rows and ``objects``."""
    xy, speed, yaw_deg = state.xy, state.speed, np.degrees(state.yaw)
    n = len(track.centre)
    rows = zip(
        xy.tolist(), yaw_deg.tolist(), speed.tolist(), steering_deg.tolist(),
        progress.tolist(), place.seg.tolist(), place.lateral.tolist(),
        place.all_wheels_on.tolist(), place.any_wheel_on.tolist(), crashed.tolist(),
        strict=True,
    )  # fmt: skip
    out = _objects(place, xy, yaw_deg, speed, track.length, objects)
    for params, (pos, heading, v, steer, prog, seg, lat, all_on, any_on, crash) in zip(out, rows, strict=True):
        params.update({
            "all_wheels_on_track": all_on,
            "x": pos[0],
            "y": pos[1],
            "distance_from_center": abs(lat),
            "is_left_of_center": lat > 0,
            "heading": heading,
            "progress": prog,
            "steps": steps,
            "speed": v,
            "steering_angle": steer,
            "track_width": float(track.width[seg]),
            "track_length": track.length,
            "waypoints": track.waypoint_list,
            "closest_waypoints": [seg, (seg + 1) % n],
            "is_offtrack": not any_on,
            "is_crashed": crash,
            "is_reversed": track.reverse,
        })  # fmt: skip
    return out

"""AWS DeepRacer's ``params`` dict, built for every car each step as the simulator fills it, and the progress rules.

Each key below was compared with the simulator's source (aws-deepracer-community/deepracer-simapp, bundle/markov:
agent_ctrl/rollout_agent_ctrl.py, agent_ctrl/utils.py, agent_ctrl/constants.py, track_geom/track_data.py,
cameras/frustum.py); "same" means the same rule, on our track geometry and physics. Units: metres, degrees, m/s,
percent. The reward function gets a deep copy of the dict (``rewards.CheckedReward``), as in the simulator, so
whatever it changes stays in its copy. Two keys are ours only, for users who want the measured values that
DeepRacer's keys do not carry: ``measured_speed`` and ``race_progress``.

Objects (``objects_*``, ``closest_objects``, ``object_in_camera``): every object of the race but the car itself,
always the same number in the same order, whatever happens in the race: the cars by index (learning cars
``car_0``.., then the bots), then the obstacle boxes (``Objects``). A learning car whose episode ends (it
finishes, or a rule ends it) is parked and stays in the lists at its parked position (the simulator keeps finished
cars in its object list at their park position too); a car waiting out a penalty stays where it waits. A time
trial has no objects: empty lists, ``closest_objects`` [0, 0], ``object_in_camera`` False.

============================  ====================  ======================================  ============================
key                           meaning               simulator's rule (file)                 ours
============================  ====================  ======================================  ============================
all_wheels_on_track           bool: all four        every wheel link inside the road        the wheels' span across the
                              wheels on the track   polygon (agent_ctrl/utils.py            track normal lies between
                                                    set_reward_and_metrics,                 the borders (place_on_track)
                                                    track_data.points_on_track)
x, y                          position, m           the car's front point, 0.14 m ahead of  same: 0.14 m ahead of the
                                                    its origin (agent_ctrl/constants.py     car's centre (FRONT_OFFSET)
                                                    RELATIVE_POSITION_OF_FRONT_OF_CAR;
                                                    rollout_agent_ctrl.py update_agent)
heading                       degrees in (-180,     yaw of the car's pose (utils.py)        same
                              180]
distance_from_center          m, from (x, y) to     distance to the nearest centre-line     same
                              the centre line       point (track_data.get_nearest_dist)
projection_distance           m along the centre    center_line.project(point) (utils.py)   same
                              line from waypoint 0
                              to (x, y)'s
                              projection
progress                      percent of the        100 (ndist - start_ndist), unwrapped    same rule from the car's own
                              current lap           against the last step, at most 100;     start (equal in a time
                                                    falls when the car reverses (negative   trial, where the car starts
                                                    behind the start); the step after it    on the line), so that 100
                                                    reaches 100 it counts again from the    falls on the step our lap
                                                    start line (utils.py                    rule completes a lap
                                                    compute_current_prog,                   (Progress.lap_percent)
                                                    rollout_agent_ctrl.py judge_action).
                                                    Relative to the episode's start line:
                                                    a car placed behind it starts negative
steps                         control steps since   a float counter, 1.0, 2.0, ...          same (a float; 0.0 at reset)
                              the episode began     (rollout_agent_ctrl.py
                                                    data_dict['steps'])
speed                         m/s                   the action's speed as commanded, not    same: the decoded action's
                                                    measured (utils.py:                     speed; 0.0 at reset and
                                                    json_actions['speed'])                  while the car waits out a
                                                                                            penalty
steering_angle                degrees, left         the action's steering angle (utils.py)  same; 0.0 at reset and while
                              positive                                                      waiting
track_width                   m                     distance between the inner and outer    the waypoints' widths
                                                    border points nearest the car's         interpolated along the car's
                                                    centre-line point (utils.py,            segment
                                                    track_data.get_nearest_points)
track_length                  m                     length of the centre line               same
                                                    (track_data.get_track_length)
waypoints                     list of (x, y)        list(center_line.coords): on a loop     same; a new list in every
                              tuples                the closing duplicate of waypoint 0 is  dict
                                                    kept, N + 1 entries
                                                    (track_data.get_way_pnts)
closest_waypoints             [previous, next]      bisect over the waypoints' projections  same
                              waypoint indices      (track_data.find_prev_next_waypoints);
                              around (x, y)'s       next is N, the closing duplicate, on
                              projection            the last segment of a loop
is_left_of_center             bool                  closer to the inner than to the outer   left of the centre line in
                                                    border, xor a clockwise track           the driving direction (the
                                                    (utils.py)                              same on tracks centred
                                                                                            between their borders)
is_reversed                   bool: the race runs   the track's direction setting           same: ``Track.reverse`` (the
                              against the waypoint  REVERSE_DIR (track_data.reverse_dir),   env kwarg ``reverse``)
                              order                 not the car reversing
closest_objects               [behind, ahead]       nearest object projection at or         same
                              indices into          behind, and after, the car's on the
                              objects_*             centre line, around the loop
                                                    (track_data.get_object_reward_params);
                                                    [0, 0] without objects
objects_location              list of [x, y], m     every object of the race but the car:   same, in a fixed order: the
                                                    obstacles, bots, other agents, fixed    cars by index (learning
                                                    in number; a finished car stays, at     cars, then bots), then the
                                                    its parked position                     obstacles; cars whose
                                                    (track_data.object_poses)               episode ended at their
                                                                                            parked position
                                                                                            (physics.PARK_DISTANCE)
objects_left_of_center        list of bool          inside the polygon between the centre   left of the centre line
                                                    line and the inner border, xor a        (lateral offset > 0)
                                                    clockwise track
object_in_camera              bool                  the next object (closest_objects[1])    same frustum; footprints:
                                                    is in the car's camera frustum: its     cars 0.32 x 0.20 m,
                                                    floor footprint's corners or its        obstacles their own; all on
                                                    centre (track_data.get_objects_in_came  the floor
                                                    ra_frustums, cameras/frustum.py:
                                                    camera 0.145 m ahead and 0.13 m above
                                                    the car, pitched 15 degrees down,
                                                    65-degree horizontal field of view,
                                                    4:3, 0.2 to 300 m). Its index
                                                    comparison is off by one where the car
                                                    precedes an object in its object list;
                                                    we follow the intent
objects_speed                 list of float, m/s    0.0 for every object, unless the race   same (``bot_speed``)
                                                    has bots: then the bots' set speed,
                                                    for every object
                                                    (track_data.get_object_reward_params)
objects_heading               list of float         0.0 for every object, unless the race   same
                                                    has bots: then each object's yaw in
                                                    radians (quaternion_to_euler),
                                                    although ``heading`` is in degrees
objects_distance_from_center  list of float, m      center_line.distance(object)            same
objects_distance              list of float, m      arc length from waypoint 0 to the       same
                                                    object's projection on the centre line
is_crashed                    bool                  the crash reset rule: the car hit an    same (``rules``): the car
                                                    object; of two cars, the one behind     touches a box, a barrier
                                                    (rollout_agent_ctrl.py judge_action,    wall or a car ahead of it
                                                    crash_reset_rule.py)
is_offtrack                   bool                  no wheel inside the road polygon        no wheel on the track
                                                    (reset/rules/off_track_reset_rule.py)
sim_time                      s                     Gazebo's clock, from the simulation's   seconds since the episode
                                                    launch on, across episodes              began (steps / 15)
                                                    (rollout_agent_ctrl.py update_agent)
measured_speed                m/s, ours only        (none)                                  forward speed measured by
                                                                                            the physics, negative when
                                                                                            rolling backwards; the
                                                                                            observation's
race_progress                 percent of the race   (none)                                  furthest new ground from the
                              (all laps), ours                                              car's start over the race
                              only                                                          (Progress.percent): never
                                                                                            falls; laps, termination and
                                                                                            the observation use it
============================  ====================  ======================================  ============================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from envs.racing.physics import CONTROL_HZ, HALF_TRACK, WHEELBASE, CarState
from envs.racing.tracks import Track

_HALF_BASE, _HALF_TRACK = WHEELBASE / 2, HALF_TRACK  # wheels around the centre
FRONT_OFFSET = 0.14  # m: (x, y) is this far ahead of the car's centre (RELATIVE_POSITION_OF_FRONT_OF_CAR)
# the simulator's camera frustum (cameras/frustum.py, simapp version 3+): mount ahead of and above the car
CAMERA_AHEAD, CAMERA_HEIGHT, CAMERA_PITCH = 0.14529379, 0.13032555, 0.2618  # m, m, radians down
CAMERA_HALF_FOV = 1.13 / 2  # radians, horizontal; vertical: times CAMERA_ASPECT on the tangent
CAMERA_ASPECT = 480.0 / 640.0
CAMERA_NEAR, CAMERA_FAR = 0.2, 300.0
_PITCH_SIN, _PITCH_COS, _HALF_FOV_TAN = np.sin(CAMERA_PITCH), np.cos(CAMERA_PITCH), np.tan(CAMERA_HALF_FOV)
_HEIGHT_SIN, _HEIGHT_COS = CAMERA_HEIGHT * _PITCH_SIN, CAMERA_HEIGHT * _PITCH_COS
_CORNERS = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1], [0, 0]])  # a footprint's corners and centre, in half sizes
DEEPRACER_KEYS = (
    "all_wheels_on_track", "x", "y", "heading", "distance_from_center", "projection_distance", "progress",
    "steps", "speed", "steering_angle", "track_width", "track_length", "waypoints", "closest_waypoints",
    "is_left_of_center", "is_reversed", "closest_objects", "objects_location", "objects_left_of_center",
    "object_in_camera", "objects_speed", "objects_heading", "objects_distance_from_center", "objects_distance",
    "is_crashed", "is_offtrack", "sim_time",
)  # fmt: skip
MEASURED_KEYS = ("measured_speed", "race_progress")
PARAM_KEYS = DEEPRACER_KEYS + MEASURED_KEYS


@dataclass
class Placement:
    """Where k cars are relative to the track (all arrays have k rows).

    The centre's fields judge the wheels and feed the observation; the front point's (``FRONT_OFFSET``
    ahead, DeepRacer's (x, y)) feed the params and the progress.
    """

    seg: np.ndarray  # closest centre-line segment of the centre (waypoint index before the car)
    s: np.ndarray  # the centre's arc length from the start line, metres
    lateral: np.ndarray  # signed distance of the centre from the centre line, left positive
    half_width: np.ndarray  # centre-to-border distance on the car's side
    heading_error: np.ndarray  # car heading minus track direction, radians in [-pi, pi)
    all_wheels_on: np.ndarray  # bool
    any_wheel_on: np.ndarray  # bool
    front_xy: np.ndarray  # (k, 2) the front point
    front_seg: np.ndarray
    front_s: np.ndarray
    front_lateral: np.ndarray


def place_on_track(track: Track, xy: np.ndarray, yaw: np.ndarray) -> Placement:
    """Project the cars' centres and front points on the track and judge their wheels.

    The wheels sit at +-``_HALF_BASE`` along and +-``_HALF_TRACK`` across the car from its
    centre, so with heading error e to the track direction their offsets along the track normal
    span +-(_HALF_BASE |sin e| + _HALF_TRACK |cos e|) around the centre's lateral offset (taken
    at the centre's segment: exact on straights, a few mm off on a 2 m curve). All wheels are on
    the track when that span lies between the borders; none is when it lies wholly beyond one.
    One projection for all points; the per-car rest in Python floats (a few cars: cheaper than
    NumPy calls on k-element arrays, and the same IEEE operations).
    """
    k = len(xy)
    centres, yaws = xy.tolist(), yaw.tolist()
    fronts = [[x + FRONT_OFFSET * math.cos(a), y + FRONT_OFFSET * math.sin(a)]
              for (x, y), a in zip(centres, yaws, strict=True)]  # fmt: skip
    points = np.array(centres + fronts, dtype=float).reshape(2 * k, 2)
    seg, s, lateral = track.project(points)
    error, half_width, all_on, any_on = [], [], [], []
    for a, i, off in zip(yaws, seg[:k].tolist(), lateral[:k].tolist(), strict=True):
        angle, left, right = track.seg_rows[i][:3]
        e = (a - angle + math.pi) % (2 * math.pi) - math.pi  # wrapped to [-pi, pi)
        spread = _HALF_BASE * abs(math.sin(e)) + _HALF_TRACK * abs(math.cos(e))
        low, high = off - spread, off + spread  # the wheels' span across the track
        error.append(e)
        half_width.append(left if off > 0 else right)
        all_on.append(high <= left and low >= -right)
        any_on.append(low <= left and high >= -right)
    floats, flags = np.array([error, half_width]), np.array([all_on, any_on], dtype=bool)
    return Placement(seg[:k], s[:k], lateral[:k], floats[1], floats[0], flags[0], flags[1], points[k:], seg[k:],
                     s[k:], lateral[k:])  # fmt: skip


class Progress:
    """Forward progress and laps per car, immune to reversing and zig-zagging; and DeepRacer's per-lap progress.

    Each car's arc-length change is unwrapped step by step into ``travelled`` (negative when
    it drives backwards); ``best`` is the furthest ``travelled`` ever reached from the car's own
    start. Race progress and laps only come from ``best``: a lap is ``length`` metres of new ground,
    so crossing the start line backwards, or back and forth, adds nothing. On an open track
    (``closed`` False) arc lengths do not wrap, and the race (its one lap) is the way from the
    car's start to the end line. The env feeds the front point's arc lengths from the car's start arc.

    ``lap_percent`` is DeepRacer's ``progress`` (simapp agent_ctrl/utils.py compute_current_prog and
    rollout_agent_ctrl.py judge_action): ``travelled`` into the current lap, which falls when the car
    reverses (negative behind its start), is 100 on the step a lap completes and counts from 0 again after.
    """

    def __init__(self, length: float, start_s: np.ndarray, laps: int, closed: bool = True) -> None:
        self.length, self.closed = length, closed
        # per car, as Python floats (a step updates a few cars: cheaper than NumPy calls on k-element arrays)
        self.lap = [length] * len(start_s) if closed else (length - start_s).tolist()
        self.race = [laps * lap for lap in self.lap]
        self.last_s = start_s.astype(float).tolist()
        self.travelled = [0.0] * len(start_s)
        self.best = [0.0] * len(start_s)
        # kept by update() from ``best``
        self._laps, self._percent, self._lap_percent = [0.0] * len(start_s), [0.0] * len(start_s), [0.0] * len(start_s)
        self.previous_s: list[float] = []  # of the last update's cars: arc length before
        self.gained: list[float] = []  # and travel gained

    def update(self, cars: np.ndarray, s: np.ndarray) -> None:
        """Record new arc lengths ``s`` of the cars with indices ``cars``."""
        half, self.previous_s, self.gained = self.length / 2, [], []
        for car, now_s in zip(cars.tolist(), s.tolist(), strict=True):
            last_s, travelled, lap = self.last_s[car], self.travelled[car], self.lap[car]
            delta = now_s - last_s
            if self.closed:
                delta = (delta + half) % self.length - half
            now = travelled + delta
            best = max(self.best[car], now)
            laps = float(math.floor(best / lap + 1e-9))
            fraction = best / self.race[car]
            self._percent[car] = 100.0 if fraction + 1e-9 >= 1.0 else 100.0 * fraction
            self._lap_percent[car] = 100.0 if laps > self._laps[car] else 100.0 * (now - laps * lap) / lap
            self.last_s[car], self.travelled[car], self.best[car], self._laps[car] = now_s, now, best, laps
            self.previous_s.append(last_s)
            self.gained.append(now - travelled)

    def percent(self, cars: np.ndarray) -> np.ndarray:
        """Progress of the race (all laps), 0-100: the furthest point reached; exactly 100 once ``laps``
        counts the race complete."""
        return np.array([self._percent[car] for car in cars.tolist()])

    def lap_percent(self, cars: np.ndarray) -> np.ndarray:
        """DeepRacer's ``progress``: percent of the current lap, below 0 behind the car's start, 100 on a lap's
        last step."""
        return np.array([self._lap_percent[car] for car in cars.tolist()])

    def laps(self, cars: np.ndarray) -> np.ndarray:
        """Completed laps: floor(best / lap), within 1e-9 of a whole lap counting as one."""
        return np.array([int(self._laps[car]) for car in cars.tolist()], dtype=int)


@dataclass
class Objects:
    """Every object of a race in the fixed order of the ``objects_*`` lists (m rows).

    The env lists the cars by index (learning cars, then bots; those whose episode ended at their parked pose),
    then the obstacle boxes (at rest, along their lane). ``half_size`` is the floor footprint's half length and
    half width, which the camera test and the render use.
    """

    xy: np.ndarray  # (m, 2) centres
    yaw: np.ndarray  # (m,) radians
    half_size: np.ndarray  # (m, 2)
    # the centres' projection on the centre line, ``Track.project``'s s and lateral, where already known
    s: np.ndarray | None = None
    lateral: np.ndarray | None = None

    @classmethod
    def none(cls) -> Objects:
        """No objects (a race without obstacles)."""
        return cls(np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2)), np.zeros(0), np.zeros(0))

    def __add__(self, other: Objects) -> Objects:
        """These objects, then ``other``'s."""
        if not len(other.yaw):
            return self
        projected = self.s is not None and other.s is not None
        pairs = [(self.xy, other.xy), (self.yaw, other.yaw), (self.half_size, other.half_size)]
        pairs += [(self.s, other.s), (self.lateral, other.lateral)] if projected else []
        return Objects(*(np.concatenate(pair) for pair in pairs))

    def projection(self, track: Track) -> tuple[np.ndarray, np.ndarray]:
        """Arc length and lateral offset of each centre on ``track``'s centre line (``Track.project``)."""
        if self.s is None or self.lateral is None:
            _, self.s, self.lateral = track.project(self.xy)
        return self.s, self.lateral


@dataclass
class Cars:
    """The cars whose params are built this step (k rows), DeepRacer's inputs for each."""

    index: np.ndarray  # (k,) each car's row in ``Objects`` (left out of its own objects_* lists)
    state: CarState  # measured centre, yaw, forward speed
    place: Placement
    steering: np.ndarray  # commanded, degrees
    speed: np.ndarray  # commanded, m/s
    progress: np.ndarray  # DeepRacer's per-lap progress
    race_progress: np.ndarray
    crashed: np.ndarray | list[bool]  # bool


def _complex(xy: np.ndarray) -> np.ndarray:
    """Points (k, 2) as complex numbers x + iy (k,)."""
    return np.ascontiguousarray(xy).view(complex)[:, 0]


def _in_camera(xy: np.ndarray, yaw: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each of k cars, whether any of its ``points`` (k, p; complex x + iy), on the floor, lies in its camera
    frustum."""
    direction = np.exp(1j * yaw)[:, None]
    camera = _complex(xy)[:, None] + CAMERA_AHEAD * direction
    local = (points - camera) / direction  # real: ahead, imag: left
    depth = local.real * _PITCH_COS + _HEIGHT_SIN  # along the pitched optical axis
    up = local.real * _PITCH_SIN - _HEIGHT_COS
    half_width = depth * _HALF_FOV_TAN
    seen = (depth >= CAMERA_NEAR) & (depth <= CAMERA_FAR)
    seen &= (abs(local.imag) <= half_width) & (abs(up) <= half_width * CAMERA_ASPECT)
    return seen.any(axis=1)


def _object_params(track: Track, cars: Cars, objects: Objects, bot_speed: float | None) -> list[dict[str, Any]]:
    """The objects_* keys of every car: all ``objects`` but the car itself, as the simulator fills them
    (simapp track_geom/track_data.py get_object_reward_params)."""
    k, m = len(cars.index), len(objects.xy)
    if m <= 1:
        return [{
            "closest_objects": [0, 0], "objects_location": [], "objects_left_of_center": [],
            "object_in_camera": False, "objects_speed": [], "objects_heading": [],
            "objects_distance_from_center": [], "objects_distance": [],
        } for _ in range(k)]  # fmt: skip
    s, lateral = objects.projection(track)
    own = cars.index
    length = track.length
    ahead = (s[None, :] - cars.place.front_s[:, None]) % length  # [i, j]: how far object j is ahead of car i
    level = ahead == 0.0  # an object level with the car is behind it
    behind = length - ahead
    behind[level], ahead[level] = 0.0, length
    itself = np.arange(k) * m + own  # [i, own[i]], flat
    np.put(ahead, itself, np.inf)
    np.put(behind, itself, np.inf)
    front, back = ahead.argmin(axis=1), behind.argmin(axis=1)
    corners = _CORNERS * objects.half_size.take(front, axis=0)[:, None, :]
    offset = (corners[..., 0] + 1j * corners[..., 1]) * np.exp(1j * objects.yaw[front])[:, None]
    target = _complex(objects.xy.take(front, axis=0))[:, None] + offset
    in_camera = _in_camera(cars.state.xy, cars.state.yaw, target).tolist()
    moving = bot_speed is not None  # the simulator gives headings and speeds only in races with bots
    columns = {
        "objects_left_of_center": (lateral > 0).tolist(),
        "objects_speed": [float(bot_speed) if moving else 0.0] * m,
        "objects_heading": objects.yaw.tolist() if moving else [0.0] * m,
        "objects_distance_from_center": abs(lateral).tolist(),
        "objects_distance": s.tolist(),
    }
    locations = objects.xy.tolist()
    out = []
    for i, (o, b, f) in enumerate(zip(own.tolist(), back.tolist(), front.tolist(), strict=True)):
        params: dict[str, Any] = {
            "closest_objects": [b - (b > o), f - (f > o)],  # indices into lists without the car itself
            "objects_location": [list(xy) for j, xy in enumerate(locations) if j != o],
            "object_in_camera": in_camera[i],
        }
        params.update({key: column[:o] + column[o + 1 :] for key, column in columns.items()})
        out.append(params)
    return out


def _track_width(track: Track, seg: np.ndarray, s: np.ndarray) -> list[float]:
    """The waypoints' widths interpolated along each car's segment at arc length ``s``."""
    widths = []
    for i, at in zip(seg.tolist(), s.tolist(), strict=True):
        arc, length, start, end = track.seg_rows[i][3:]
        fraction = min(max((at - arc) / length, 0.0), 1.0)
        widths.append((1 - fraction) * start + fraction * end)
    return widths


def copy_deepracer_params(params: dict[str, Any]) -> dict[str, Any]:
    """An exact deep copy of a params dict as ``deepracer_params`` builds it, 5x faster than the general
    ``rewards.copy_params``: its values are numbers, bools, flat lists of numbers, bools or tuples of
    numbers (copied in one go; tuples are immutable), and ``objects_location``, a list of [x, y] lists."""
    copied = {key: value.copy() if type(value) is list else value for key, value in params.items()}
    copied["objects_location"] = [xy.copy() for xy in params["objects_location"]]
    return copied


def deepracer_params(
    track: Track,
    cars: Cars,
    objects: Objects,
    steps: int,
    bot_speed: float | None = None,
) -> list[dict[str, Any]]:
    """One DeepRacer params dict per car (see the module docstring's table), objects = ``objects`` but the car.

    ``bot_speed``: the bots' speed in a race with bots, else None. ``track`` is the track as driven
    (``Track.reversed()`` in a reverse race).
    """
    place, state = cars.place, cars.state
    columns = (  # per car, as Python values (cheaper than NumPy tables for a few cars)
        place.front_xy.tolist(), state.yaw.tolist(), place.front_lateral.tolist(), place.front_s.tolist(),
        place.front_seg.tolist(), _track_width(track, place.front_seg, place.front_s), cars.progress.tolist(),
        cars.speed.tolist(), cars.steering.tolist(), state.speed.tolist(), cars.race_progress.tolist(),
        place.all_wheels_on.tolist(), place.any_wheel_on.tolist(), [bool(crash) for crash in cars.crashed],
    )  # fmt: skip
    out = _object_params(track, cars, objects, bot_speed)
    time = steps / CONTROL_HZ
    for params, (x, y), yaw, lateral, along, seg, width, prog, speed, steer, measured, race, all_on, any_on, crash \
            in zip(out, *columns, strict=True):  # fmt: skip
        params.update({
            "all_wheels_on_track": all_on,
            "x": x,
            "y": y,
            "heading": math.degrees(yaw),  # (NumPy's degrees: the same product)
            "distance_from_center": abs(lateral),
            "projection_distance": along,
            "progress": prog,
            "steps": float(steps),
            "speed": speed,
            "steering_angle": steer,
            "track_width": width,
            "track_length": track.length,
            "waypoints": list(track.waypoint_list),
            "closest_waypoints": [seg, seg + 1],
            "is_left_of_center": lateral > 0,
            "is_reversed": track.reverse,
            "is_crashed": crash,
            "is_offtrack": not any_on,
            "sim_time": time,
            "measured_speed": measured,
            "race_progress": race,
        })  # fmt: skip
    return out

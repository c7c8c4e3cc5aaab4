"""DeepRacer's race rules: race types, the four reset causes, penalty seconds and reset poses.

Taken from the simulator (aws-deepracer-community/deepracer-simapp, ``bundle/markov``):

- causes, judged every step in this order (``metrics/constants.py`` ``EpisodeStatus``; a finished lap
  comes first): ``crashed`` (``reset/rules/crash_reset_rule.py``: touching a box, or another car
  that is ahead of it; the car ahead is not crashed, and a bot car that runs into a learning car
  from behind waits instead, ``agent_ctrl/rollout_agent_ctrl.py`` ``_check_for_episode_termination``,
  ``bot_cars_agent_ctrl.py`` ``judge_action``), ``off_track`` (all wheels off), ``immobilized``
  (``immobilized_reset_rule.py``: moved at most ``STILL_DISTANCE`` metres per step for
  ``STILL_STEPS`` steps in a row) and ``reversed`` (``reverse_reset_rule.py``: progress went down for
  ``REVERSE_STEPS`` steps in a row). "Ahead" is the shorter way round the track (the simulator
  compares progress from the start line, which differs only for two cars either side of it).
- penalty seconds (``evaluation_worker.py`` defaults, ``rollout_agent_ctrl.py`` ``_penalties``):
  ``PENALTIES``; the car waits that long at its reset pose, out of the other cars' way
  (``_judge_action_at_run_phase``), while the race clock runs: a race's time includes them.
- reset poses (``rollout_agent_ctrl.py`` ``_get_car_reset_model_state``): after leaving the track,
  driving the wrong way or standing still, the car goes back to where it was the step before, on the
  lane nearer to it; after hitting a box, ``RESET_BEHIND`` metres behind that box in the other lane
  (also after the others, with a box within ``OBJECT_GAP`` metres); after hitting a car it waits where
  it is. A car that starts within ``OBJECT_GAP`` metres of a box or bot starts on the other lane
  (``_get_car_start_model_state``).
"""

from __future__ import annotations

import numpy as np

from envs.racing.tracks import Track

RACE_TYPES = ("time_trial", "object_avoidance", "head_to_bot", "head_to_model")
CAUSES = ("crashed", "off_track", "immobilized", "reversed")  # the simulator's order of precedence
RESET_KEYS = {"crashed": "crash", "off_track": "offtrack", "immobilized": "immobilized", "reversed": "reversed"}
PENALTIES = {"off_track": 2.0, "crashed": 5.0, "reversed": 2.0, "immobilized": 0.0}  # seconds
REVERSE_STEPS = 15  # NUMBER_OF_REVERSE_COUNTS
STILL_STEPS = 15  # NUM_STEPS_TO_CHECK_STUCK (agent_ctrl/constants.py)
STILL_DISTANCE = 0.0003  # metres per step
OBJECT_GAP = 1.0  # CLOSEST_OBJ_GAP: an object this close along the track decides the lane
RESET_BEHIND = 1.0  # DEFAULT_RESET_BEHIND_DIST


class Counters:
    """The immobilized and reversed counts of each learning car (Python numbers per car: a step counts a few)."""

    def __init__(self, xy: np.ndarray) -> None:
        self.last_x, self.last_y = xy[:, 0].astype(float).tolist(), xy[:, 1].astype(float).tolist()
        self.still = [0] * len(xy)  # steps in a row at rest
        self.back = [0] * len(xy)  # steps in a row losing progress

    def update(
        self, cars: list[int], xy: np.ndarray, delta: list[float], running: list[bool]
    ) -> tuple[list[bool], list[bool]]:
        """Count this step of the cars ``cars`` (positions ``xy``, arc-length change ``delta``; a car not
        ``running`` waits out a penalty and counts 0); returns (immobilized, reversed) bools. A count starts
        again from 0 when its rule fires, as the simulator's does."""
        x, y = xy[:, 0].tolist(), xy[:, 1].tolist()
        dx = [xi - self.last_x[car] for car, xi in zip(cars, x, strict=True)]
        dy = [yi - self.last_y[car] for car, yi in zip(cars, y, strict=True)]
        moved = np.hypot(dx, dy).tolist()  # (NumPy's hypot: math.hypot may differ in the last bit)
        immobilized, reversed_ = [], []
        for car, xi, yi, distance, gained, run in zip(cars, x, y, moved, delta, running, strict=True):
            self.last_x[car], self.last_y[car] = xi, yi
            still = self.still[car] + 1 if run and distance <= STILL_DISTANCE else 0
            back = self.back[car] + 1 if run and gained < 0 else 0
            immobilized.append(still >= STILL_STEPS)
            reversed_.append(back >= REVERSE_STEPS)
            self.still[car] = 0 if immobilized[-1] else still
            self.back[car] = 0 if reversed_[-1] else back
        return immobilized, reversed_

    def clear(self, car: int, x: float, y: float) -> None:
        """Start car ``car``'s counts again from (``x``, ``y``) (after a reset)."""
        self.still[car] = self.back[car] = 0
        self.last_x[car], self.last_y[car] = x, y


def ahead(s: np.ndarray, other: np.ndarray, length: float, closed: bool) -> np.ndarray:
    """Whether ``other`` is ahead of ``s`` along the track (arc lengths, broadcast)."""
    if not closed:
        return other > s
    gap = (other - s) % length
    return (gap > 0) & (gap < length / 2)


def nearest_object(s: float, objects_s: np.ndarray, length: float) -> int:
    """Index of the object within ``OBJECT_GAP`` metres of arc length ``s`` (the nearest), or -1."""
    if not len(objects_s):
        return -1
    gap = abs((objects_s - s + length / 2) % length - length / 2)
    j = int(gap.argmin())
    return j if gap[j] < OBJECT_GAP else -1


def lane_pose(track: Track, s: float, outer: bool) -> tuple[float, float, float]:
    """(x, y, heading) on the inner (``outer`` False) or outer lane at arc length ``s``."""
    at = np.array([s])
    xy, direction = track.offset_points(at, track.lane_offset(at, np.array([outer])))
    return float(xy[0, 0]), float(xy[0, 1]), float(direction[0])


def on_outer_side(track: Track, s: float, lateral: float) -> bool:
    """Whether lateral offset ``lateral`` at arc length ``s`` is nearer the outer lane than the inner."""
    inner, outer = track.lane_offset(np.array([s, s]), np.array([False, True]))
    return bool(abs(lateral - outer) < abs(lateral - inner))


def start_pose(track: Track, s: float, objects_s: np.ndarray, objects_lateral: np.ndarray) -> tuple | None:
    """A start at arc length ``s`` within ``OBJECT_GAP`` of an object (box or bot car): (x, y, heading)
    on the other lane (``rollout_agent_ctrl.py`` ``_get_car_start_model_state``); None without one."""
    j = nearest_object(s, objects_s, track.length)
    if j < 0:
        return None
    return lane_pose(track, s, not on_outer_side(track, float(objects_s[j]), float(objects_lateral[j])))


def reset_pose(track: Track, s: float, lateral: float, boxes_s: np.ndarray, boxes_lateral: np.ndarray) -> tuple:
    """The pose (x, y, heading) a car is reset to from arc length ``s`` and lateral offset ``lateral``:
    with a box within ``OBJECT_GAP`` metres, ``RESET_BEHIND`` metres behind it in the other lane; else
    on the lane nearer to ``lateral``."""
    j = nearest_object(s, boxes_s, track.length)
    if j >= 0:
        box_s = float(boxes_s[j])
        return lane_pose(track, box_s - RESET_BEHIND, not on_outer_side(track, box_s, float(boxes_lateral[j])))
    return lane_pose(track, s, on_outer_side(track, s, lateral))

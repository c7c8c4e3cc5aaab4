"""Reward functions in AWS DeepRacer's convention: ``reward_function(params) -> float``.

``REWARDS`` maps the built-in names to functions; ``load_reward`` accepts a name, a path to a
DeepRacer reward file (``path.py`` or ``path.py:function_name``, default ``reward_function``) or
a callable, and returns a ``CheckedReward`` that turns any failure of the user's code into a
``RewardFunctionError`` naming the source and the params keys.
"""

from __future__ import annotations

import difflib
import importlib.util
import math
import numbers
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

Params = dict[str, Any]
RewardFn = Callable[[Params], float]

MAX_SPEED = 4.0  # m/s, DeepRacer's top speed
OFF_TRACK_REWARD = 1e-3


def _on_track(params: Params) -> bool:
    return params["all_wheels_on_track"] and not params["is_offtrack"] and not params["is_crashed"]


def centerline(params: Params) -> float:
    """DeepRacer's "follow the center line" example: 1, 0.5, 0.1 within 10/25/50% of width."""
    if not _on_track(params):
        return OFF_TRACK_REWARD
    distance, width = params["distance_from_center"], params["track_width"]
    for marker, reward in ((0.1, 1.0), (0.25, 0.5), (0.5, 0.1)):
        if distance <= marker * width:
            return reward
    return OFF_TRACK_REWARD


def speed_progress(params: Params) -> float:
    """Go fast while making progress: speed share of the top speed, plus progress per step."""
    if not _on_track(params):
        return OFF_TRACK_REWARD
    pace = params["progress"] / max(params["steps"], 1)  # percent of the race per step
    return max(params["speed"], 0.0) / MAX_SPEED + pace


def smooth_steering(params: Params) -> float:
    """The centre-line reward, times 0.8 when steering harder than 15 degrees (no zig-zag)."""
    reward = centerline(params)
    return reward * 0.8 if abs(params["steering_angle"]) > 15.0 else reward


def avoid_cars(params: Params) -> float:
    """DeepRacer's object-avoidance example: stay in a lane, keep away from the car ahead."""
    if not _on_track(params):
        return OFF_TRACK_REWARD
    lane = 1.0 if params["distance_from_center"] <= 0.4 * params["track_width"] else 0.1
    avoid = 1.0
    if params["objects_location"]:
        ahead = params["closest_objects"][1]
        ox, oy = params["objects_location"][ahead]
        gap = math.hypot(params["x"] - ox, params["y"] - oy)
        if params["objects_left_of_center"][ahead] == params["is_left_of_center"]:
            if gap < 0.3:
                avoid = 1e-3
            elif gap < 0.5:
                avoid = 0.2
            elif gap < 0.8:
                avoid = 0.5
    return 1.0 * lane + 4.0 * avoid


REWARDS: dict[str, RewardFn] = {
    "centerline": centerline,
    "speed_progress": speed_progress,
    "smooth_steering": smooth_steering,
    "avoid_cars": avoid_cars,
}
DEFAULT_REWARD = "centerline"


class RewardFunctionError(RuntimeError):
    """A reward function could not be loaded, raised, or returned something other than a number."""


def _load_file(spec: str) -> RewardFn:
    path_text, _, name = spec.partition(".py:")
    path = Path(path_text if spec.endswith(".py") else path_text + ".py")
    name = name or "reward_function"
    if not path.is_file():
        raise RewardFunctionError(f"reward file {path} does not exist")
    module_spec = importlib.util.spec_from_file_location(f"_reward_{path.stem}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except SyntaxError as err:
        raise RewardFunctionError(f"reward file {path}, line {err.lineno}: syntax error: {err.msg}") from None
    except Exception as err:
        raise RewardFunctionError(f"reward file {path} failed to import: {err!r}") from err
    fn = getattr(module, name, None)
    if not callable(fn):
        raise RewardFunctionError(f"reward file {path} defines no function {name}(params)")
    return fn


class CheckedReward:
    """A reward function plus the checks that make a user's mistake a clear error."""

    def __init__(self, spec: str | os.PathLike | RewardFn) -> None:
        spec = os.fspath(spec) if isinstance(spec, os.PathLike) else spec
        self.spec = spec
        if callable(spec):
            self.fn, self.source = spec, getattr(spec, "__name__", repr(spec))
        elif spec in REWARDS:
            self.fn, self.source = REWARDS[spec], f"built-in reward {spec!r}"
        elif ".py" in spec:
            self.fn, self.source = _load_file(spec), f"reward file {spec}"
        else:
            raise RewardFunctionError(
                f"unknown reward {spec!r}: use one of {sorted(REWARDS)}, a path to a DeepRacer "
                "reward file (file.py or file.py:function_name) or a callable"
            )

    def __call__(self, params: Params) -> float:
        """The reward for one step's params, as a finite float."""
        try:
            value = self.fn(params)
        except KeyError as err:
            key = err.args[0] if err.args else None
            if not isinstance(key, str) or key in params:
                raise RewardFunctionError(f"{self.source} raised {err!r}; params keys: {sorted(params)}") from err
            close = difflib.get_close_matches(key, list(params), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise RewardFunctionError(
                f"{self.source} reads params[{key!r}], which DeepRacer's params do not have{hint}; "
                f"valid keys: {', '.join(sorted(params))}"
            ) from None
        except Exception as err:
            raise RewardFunctionError(f"{self.source} raised {err!r}; params keys: {sorted(params)}") from err
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
            raise RewardFunctionError(
                f"{self.source} returned {value!r}, not a finite number; params keys: {sorted(params)}"
            )
        return float(value)

    def __reduce__(self) -> tuple:
        return (CheckedReward, (self.spec,))


def load_reward(spec: str | os.PathLike | RewardFn | CheckedReward) -> CheckedReward:
    """A checked reward function from a built-in name, a reward file path or a callable."""
    return spec if isinstance(spec, CheckedReward) else CheckedReward(spec)

"""Reward functions in AWS DeepRacer's convention: ``reward_function(params) -> float``.

``REWARDS`` maps the built-in names to functions; ``load_reward`` accepts a name, a path to a
DeepRacer reward file (``path.py`` or ``path.py:function_name``, default ``reward_function``) or
a callable, and returns a ``CheckedReward`` that turns any failure of the user's code into a
``RewardFunctionError`` naming the source and the params keys.

As in DeepRacer's simulator (simapp agent_ctrl/rollout_agent_ctrl.py ``_judge_action_at_run_phase``), every reward
function gets a deep copy of ``params`` on every call, so nothing it does to the dict (a ``del params['waypoints']``)
reaches the env or its other readers (a ``PurePursuit`` policy reading ``env.params``; the built-ins, which only
read the dict, get it uncopied); and a reward outside
[-1e5, 1e5], like a non-finite one, stops the run with an error naming the reward.

A reward file is code and runs with the user's rights (as in DeepRacer): trusted by design. It is bounded,
not sandboxed: its import and each call stop after ``timeout_s`` seconds (in a process's main thread).
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import importlib.util
import itertools
import math
import numbers
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from envs.errors import EnvInputError

Params = dict[str, Any]
RewardFn = Callable[[Params], float]

REWARD_TIMEOUT_S = 5.0  # default bound on a reward file's import and on each call
MAX_ABS_REWARD = 1e5  # DeepRacer's simulator rejects a reward beyond +-1e5
_ATOMS = frozenset((bool, int, float, str, type(None)))
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
    """Go fast while making progress: the commanded speed's share of the top speed, plus the lap's progress
    per step (DeepRacer's keys only, so the function runs unchanged in DeepRacer's simulator)."""
    if not _on_track(params):
        return OFF_TRACK_REWARD
    pace = params["progress"] / max(params["steps"], 1)  # percent of the lap per step
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


class RewardFunctionError(EnvInputError):
    """A reward function could not be loaded, raised, or returned something other than a number."""


def _immutable(items: Iterable[Any]) -> bool:
    """Whether every one of ``items`` is a number, string, None, or a tuple of those (type checks in C)."""
    kinds = set(map(type, items))
    return kinds <= _ATOMS or (kinds == {tuple} and set(map(type, itertools.chain.from_iterable(items))) <= _ATOMS)


def copy_params(value: Any) -> Any:
    """A deep copy of ``value`` (a params dict), as ``copy.deepcopy`` but 20x faster on params' types: dicts and
    lists are copied all the way down; numbers, strings and tuples of them are immutable and shared as they are
    (a list of them, like the waypoints, is copied in one go)."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list:
        return value.copy() if _immutable(value) else [copy_params(v) for v in value]
    if kind is dict:
        return {k: copy_params(v) for k, v in value.items()}
    if kind is tuple and _immutable(value):
        return value
    return copy.deepcopy(value)


@contextlib.contextmanager
def _time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise ``RewardFunctionError`` naming ``what`` if the block runs longer than ``seconds`` (SIGALRM: only in the
    main thread; elsewhere unbounded)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RewardFunctionError(f"{what} ran longer than {seconds:g} s (raise env.kwargs.reward_timeout_s)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _load_file(spec: str, timeout_s: float) -> RewardFn:
    path_text, _, name = spec.partition(".py:")
    path = Path(path_text if spec.endswith(".py") else path_text + ".py")
    name = name or "reward_function"
    if not path.is_file():
        raise RewardFunctionError(f"reward file {path} does not exist")
    module_spec = importlib.util.spec_from_file_location(f"_reward_{path.stem}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    try:
        with _time_limit(timeout_s, f"reward file {path}: its import"):
            module_spec.loader.exec_module(module)
    except RewardFunctionError:
        raise
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

    def __init__(self, spec: str | os.PathLike | RewardFn, timeout_s: float = REWARD_TIMEOUT_S) -> None:
        spec = os.fspath(spec) if isinstance(spec, os.PathLike) else spec
        self.spec, self.timeout_s = spec, timeout_s
        self.user_file = False  # a user's file gets a time limit per call
        self.read_only = False  # a built-in only reads its params: it gets them uncopied
        if callable(spec):
            self.fn, self.source = spec, getattr(spec, "__name__", repr(spec))
        elif spec in REWARDS:
            self.fn, self.source, self.read_only = REWARDS[spec], f"built-in reward {spec!r}", True
        elif ".py" in spec:
            self.fn, self.source, self.user_file = _load_file(spec, timeout_s), f"reward file {spec}", True
        else:
            raise RewardFunctionError(
                f"unknown reward {spec!r}: use one of {sorted(REWARDS)}, a path to a DeepRacer "
                "reward file (file.py or file.py:function_name) or a callable"
            )

    def __call__(self, params: Params, copy: Callable[[Params], Params] = copy_params) -> float:
        """The reward for one step's params (the function gets a deep copy, made by ``copy``; a built-in, which only
        reads them, the params themselves), a finite float within +-1e5."""
        given = params if self.read_only else copy(params)
        bounded = self.user_file and self.timeout_s > 0  # built-ins and callables: unbounded
        try:
            with _time_limit(self.timeout_s, f"{self.source}: a call") if bounded else contextlib.nullcontext():
                value = self.fn(given)
        except RewardFunctionError:
            raise
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
        if type(value) is float and abs(value) <= MAX_ABS_REWARD:  # the usual case, in one test (NaN fails it)
            return value
        if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
            raise RewardFunctionError(
                f"{self.source} returned {value!r}, not a finite number; params keys: {sorted(params)}"
            )
        if abs(value) > MAX_ABS_REWARD:
            raise RewardFunctionError(
                f"{self.source} returned {value!r}, outside DeepRacer's range [-1e5, 1e5] (its simulator stops there)"
            )
        return float(value)

    def __reduce__(self) -> tuple:
        return (CheckedReward, (self.spec, self.timeout_s))


def load_reward(
    spec: str | os.PathLike | RewardFn | CheckedReward, timeout_s: float = REWARD_TIMEOUT_S
) -> CheckedReward:
    """A checked reward function from a built-in name, a reward file path or a callable (a file's import and
    calls bounded by ``timeout_s`` seconds; 0: unbounded)."""
    return spec if isinstance(spec, CheckedReward) else CheckedReward(spec, timeout_s)

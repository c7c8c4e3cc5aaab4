"""Environment registry: ``envs.make(env_id, **kwargs)`` returns a PettingZoo ParallelEnv.

Ids are namespaced (``classic/CartPole-v1``, ``racing/single-car``, ``sc2/MoveToBeacon``,
``mujoco/Reacher``, ``toy/...``). Entry points are imported lazily, so using one family
never imports another's dependencies (PyBullet, PySC2, MuJoCo). Environments never import
the learner (``repaint_ma``).

Contract every registered env keeps (the learner relies on it):
- ``possible_agents`` fixed at construction; ``observation_space(agent)`` /
  ``action_space(agent)`` return the same object on every call, identical for all agents;
- observation spaces are ``Box`` or ``Dict({"observation": Box, "action_mask": Box(int8)})``;
  action spaces are ``Discrete``, ``MultiDiscrete`` or ``Box``;
- ``render_mode`` is set (SuperSuit's vector wrappers read it);
- ``step`` once ``agents`` is empty (the episode is over) raises ``envs.errors.ResetNeeded``;
- ``infos[agent]`` keeps whatever the env's reward functions read, so that a transition can be
  relabelled under another reward (racing: ``infos[agent]["params"]``).

``make_vec(env_id, num_envs, ...)`` returns many copies as one ``envs.vector.VecEnv`` (the interface the
learner steps). An id may register a native batch (``register(..., vector=...)``) that steps many
copies in NumPy with the same transitions (sc2 on the built-in engine: ``envs.sc2.vector.SC2VecEnv``).
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pettingzoo import ParallelEnv

from envs.errors import EnvKwargError
from envs.sc2.units import MINIGAMES  # names and specs only: no backend is imported

if TYPE_CHECKING:
    from envs.vector import VecEnv

EPISODE_SEED_STRIDE = 100_003  # a vector's env e plays its j-th episode on seed + e + STRIDE * j (a prime)

# id -> ("module:callable", default kwargs)
_REGISTRY: dict[str, tuple[str, dict[str, Any]]] = {}
# id -> "module:callable" building a native batch of the env (see ``make_vec``)
_VECTOR: dict[str, str] = {}


def register(env_id: str, entry_point: str, vector: str | None = None, **default_kwargs: Any) -> None:
    """Register ``env_id`` as ``module:callable`` (imported on first ``make``); ``vector`` names the
    callable of its native batch, if it has one."""
    if env_id in _REGISTRY:
        raise ValueError(f"environment id {env_id!r} is already registered")
    _REGISTRY[env_id] = (entry_point, default_kwargs)
    if vector is not None:
        _VECTOR[env_id] = vector


def registered_ids() -> list[str]:
    """All known environment ids, sorted."""
    return sorted(_REGISTRY)


def _resolve(entry_point: str) -> Callable[..., ParallelEnv]:
    module_name, attr = entry_point.split(":")
    return getattr(importlib.import_module(module_name), attr)


def make(env_id: str, **kwargs: Any) -> ParallelEnv:
    """Build the environment ``env_id``; ``kwargs`` override the id's defaults.

    Raises:
        KeyError: for an unknown id; the message lists the known ids.
        ImportError: when the id's family cannot be imported (e.g. a missing extra).
        EnvKwargError: for a keyword argument the env does not take, or a value outside its range.
    """
    if env_id not in _REGISTRY:
        close = difflib.get_close_matches(env_id, _REGISTRY, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"unknown environment id {env_id!r}.{hint} Known ids: {', '.join(registered_ids())}")
    entry_point, defaults = _REGISTRY[env_id]
    try:
        factory = _resolve(entry_point)
    except ImportError as err:  # an optional family whose extra (or module) is not installed
        raise ImportError(
            f"environment {env_id!r} cannot be built: {err}. Install the project with its extras: "
            "pip install -e '.[all]'"
        ) from err
    try:
        return factory(**{**defaults, **kwargs})
    except TypeError as err:  # a keyword no constructor down the chain takes (gymnasium wraps the message)
        unknown = re.search(r"unexpected keyword argument '(\w+)'", str(err))
        if unknown is None:
            raise
        key = unknown.group(1)
        raise EnvKwargError(key, f"{env_id} has no option {key!r}") from None


def make_vec(
    env_id: str,
    num_envs: int,
    agent_indicator: bool = False,
    autoreset: bool = True,
    env_offset: int = 0,
    **kwargs: Any,
) -> VecEnv:
    """``num_envs`` copies of ``env_id`` as one ``envs.vector.VecEnv`` (see ``envs/vector.py``).

    The id's native batch where it registers one for these ``kwargs`` (one object stepping every copy in
    NumPy: sc2 on the built-in engine), else a ``VecParallelEnv`` over ``make(env_id, **kwargs)`` copies.
    Both give the same observations, masks, rewards and episode seeds, which the tests check.
    ``env_offset`` is the global index of the first env (a worker's share of a larger vector keeps the
    seeds the whole vector would give it).
    """
    from envs.vector import VecParallelEnv

    make(env_id, **kwargs).close()  # the same errors as ``make`` for a bad id or bad kwargs
    if env_id in _VECTOR:
        defaults = _REGISTRY[env_id][1]
        native = _resolve(_VECTOR[env_id])(num_envs, agent_indicator, autoreset, env_offset, **{**defaults, **kwargs})
        if native is not None:
            return native
    return VecParallelEnv([lambda: make(env_id, **kwargs)] * num_envs, agent_indicator, autoreset, env_offset)


for _gym_id in ("CartPole-v1", "Pendulum-v1", "Acrobot-v1", "MountainCarContinuous-v0"):
    register(f"classic/{_gym_id}", "envs.classic:GymParallelEnv", gym_id=_gym_id)
register("mujoco/Reacher", "envs.mujoco:reacher")
register("mujoco/Ant", "envs.mujoco:ant")
register("toy/staggered", "envs.toy:StaggeredEnv")
register("racing/single-car", "envs.racing:single_car")
register("racing/multi-car", "envs.racing:multi_car")
for _game in MINIGAMES:
    register(f"sc2/{_game}", "envs.sc2:make_minigame", vector="envs.sc2.vector:make_vector", map_name=_game)

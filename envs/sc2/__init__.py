"""StarCraft II mini-games as PettingZoo ParallelEnvs: ``envs.make("sc2/<MiniGame>", backend=...)``.

Backends: ``builtin`` (default; the NumPy engine of ``builtin/``: results are built-in-engine
results, never StarCraft II results) and ``pysc2`` (the real game through PySC2; needs StarCraft II
and the mini-game maps). Both feed the same env (``env.py``): same observations, actions, masks
(``interface.py``), rewards and infos. Unit stats and map rules: ``units.py``, whose ``MINIGAMES``
(name -> spec) is the one list of the mini-games.

Importing this package loads only ``units.py``; a backend and the env load when an env is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envs.errors import EnvKwargError, check_number
from envs.sc2.units import MINIGAMES, STEP_MUL, minigame

if TYPE_CHECKING:
    from envs.sc2.env import SC2Env

BACKENDS = ("builtin", "pysc2")


def make_minigame(
    map_name: str,
    backend: str = "builtin",
    step_mul: int = STEP_MUL,
    jitter: bool = True,
    regen: bool = True,
    **kwargs: Any,
) -> SC2Env:
    """The mini-game ``map_name`` on ``backend``; ``kwargs`` go to :class:`SC2Env` (k_allies, k_targets, ...).

    ``jitter`` and ``regen`` (built-in engine only; the real game always has both): the weapons' random
    -1 .. +2 loop delay and Zerg regeneration."""
    from envs.sc2.env import SC2Env

    minigame(map_name)  # a clear error for an unknown map
    check_number("step_mul", step_mul, 1)
    if backend == "builtin":
        from envs.sc2.builtin import BuiltinBackend

        source = BuiltinBackend(map_name, step_mul=step_mul, jitter=jitter, regen=regen)
    elif backend == "pysc2":
        from envs.sc2.pysc2_backend import PySC2Backend  # imports PySC2 only when asked for

        source = PySC2Backend(map_name, step_mul=step_mul)
    else:
        raise EnvKwargError("backend", f"unknown sc2 backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    return SC2Env(source, **kwargs)


__all__ = ["BACKENDS", "MINIGAMES", "make_minigame"]

"""The built-in engine of the mini-games: the simulation (``engine.py``) and each map's rules
(``minigames.py``). Results from it are built-in-engine results, never StarCraft II results."""

from envs.sc2.builtin.engine import BuiltinBackend, BuiltinEngine

__all__ = ["BuiltinBackend", "BuiltinEngine"]

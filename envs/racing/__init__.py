"""PyBullet racing in AWS DeepRacer's conventions: ``racing/single-car`` and ``racing/multi-car``.

See ``env.py`` for the observation layout and rules, ``params.py`` for the DeepRacer params,
``rewards.py`` for the built-in reward functions and ``load_reward``.
"""

from envs.racing.actions import Actions
from envs.racing.bots import PurePursuit
from envs.racing.env import RacingEnv, multi_car, single_car
from envs.racing.rewards import REWARDS, RewardFunctionError, load_reward
from envs.racing.tracks import Track, load_track, shipped_tracks

__all__ = [
    "REWARDS",
    "Actions",
    "PurePursuit",
    "RacingEnv",
    "RewardFunctionError",
    "Track",
    "load_reward",
    "load_track",
    "multi_car",
    "shipped_tracks",
    "single_car",
]

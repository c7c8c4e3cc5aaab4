"""A scenario's env checked before any training: built, reset and stepped once.

The step runs the target reward function on the env's real inputs (for racing: DeepRacer's ``params``
dict), so a reward file with a syntax error, without its function, or reading a key that ``params``
does not have is one line naming the scenario before a run starts (``repaint validate`` and
``repaint run``). No torch is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from repaint_ma.errors import ScenarioError
from repaint_ma.scenario import Scenario


def _valid_action(space: Any, obs: Any) -> Any:
    """A random allowed action (one the observation's action mask allows, where it carries one)."""
    mask = obs.get("action_mask") if isinstance(obs, dict) else None
    if mask is not None:
        return space.sample(mask=np.asarray(mask, dtype=np.int8))
    return space.sample()


def check_env(sc: Scenario) -> None:
    """Build ``sc``'s target env with its reward, reset it and take one step with allowed actions.

    Raises:
        ScenarioError: the reward function failed to load or to give a finite number on the first step
            (key ``reward``, with the reward's own message: for a missing ``params`` key, the valid
            keys and the closest one); an env keyword it does not take or cannot use (key ``env.kwargs.<name>``,
            or ``reward`` for an env without a reward option); a bad track file.
    """
    import envs
    from envs.errors import EnvInputError, EnvKwargError
    from envs.racing.rewards import RewardFunctionError

    try:
        env = envs.make(sc.env.id, **sc.env_kwargs)
        try:
            obs, _ = env.reset(seed=0)
            actions = {}
            for agent in env.agents:
                space = env.action_space(agent)
                space.seed(0)
                actions[agent] = _valid_action(space, obs[agent])
            env.step(actions)
        finally:
            env.close()
    except RewardFunctionError as err:
        raise ScenarioError(sc.source, "reward", str(err)) from None
    except EnvKwargError as err:  # the scenario's reward reaches the env as its ``reward`` keyword
        key = "reward" if err.key == "reward" and "reward" not in sc.env.kwargs else f"env.kwargs.{err.key}"
        raise ScenarioError(sc.source, key, err.expected) from None
    except EnvInputError as err:  # a track file
        raise ScenarioError(sc.source, "env.kwargs", str(err)) from None

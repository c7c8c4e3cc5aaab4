"""MuJoCo Reacher-v5 and Ant-v5 as one-agent ParallelEnvs, with relabelling reward functions.

``envs.make("mujoco/Reacher")`` and ``envs.make("mujoco/Ant")`` wrap gymnasium's envs in
:class:`envs.classic.GymParallelEnv` (agent ``agent_0``). gymnasium's ``info`` dict is passed
through unchanged, so a stored transition carries every reward term (gymnasium v5 keys):

- Reacher: ``reward_dist`` (``-|fingertip - target|``) and ``reward_ctrl`` (``-sum(a^2)``), each
  already multiplied by the env's ``reward_dist_weight`` / ``reward_control_weight`` (both 1 by
  default in the code; gymnasium's docstring table says 0.1 for control, the code uses 1).
- Ant: ``reward_forward`` (``x_velocity * forward_reward_weight``), ``reward_survive``
  (``healthy_reward`` while healthy, else 0), ``reward_ctrl`` (``-0.5 * sum(a^2)``),
  ``reward_contact`` (``-5e-4 * sum(clip(cfrc_ext, -1, 1)^2)``), plus ``x_velocity``,
  ``y_velocity``, ``x_position``, ``y_position``, ``distance_from_origin``. The reset info has
  only the three position keys.

:func:`reacher_reward` and :func:`ant_reward` turn such an ``info`` into a reward. Their weights
multiply gymnasium's terms as reported, so all weights at 1.0 (and Ant's ``direction="x"``)
reproduce gymnasium's reward bit for bit. Ant's forward term is ``w_forward * x_velocity`` or
``w_forward * y_velocity``; it equals gymnasium's ``reward_forward`` only while gymnasium's
``forward_reward_weight`` keeps its default of 1.

The target reward is chosen with the ``reward`` kwarg:

- ``"default"``: gymnasium's reward, untouched;
- a dict of weights, e.g. ``{"w_dist": 1.0, "w_ctrl": 0.1}`` or ``{"direction": "y"}``;
- the same as a string, ``"w_dist=1.0,w_ctrl=0.1"`` or ``"direction=y"``.

With a spec the env returns the relabelled reward instead of gymnasium's; ``info`` keeps the raw
terms either way. In a scenario, the top-level ``reward:`` key passes a *string* through
``Scenario.env_kwargs`` (``reward: "direction=y"``), while a dict goes under
``env: {kwargs: {reward: {...}}}`` (the top-level key reserves dicts for ``{file, function}``).

Actions are clipped to the action space (``clip_actions=True``, as gymnasium's ``ClipAction``
wrapper would, but keeping the bounded ``Box``): gymnasium's control costs use the action as
given while MuJoCo clamps the torque, so an unclipped Gaussian sample would be charged for
torque it never applied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from envs.classic import GymParallelEnv

RewardSpec = str | Mapping[str, Any]


def reacher_reward(info: Mapping[str, Any], w_dist: float = 1.0, w_ctrl: float = 1.0) -> float:
    """Reacher reward ``w_dist * reward_dist + w_ctrl * reward_ctrl`` from a step's ``info``.

    Both terms are non-positive (a distance and a control cost), so larger weights mean
    stronger penalties. Terms are read as Python floats (``reward_ctrl`` is float32 for a
    float32 action); the defaults give gymnasium's Reacher-v5 reward exactly.
    """
    return w_dist * float(info["reward_dist"]) + w_ctrl * float(info["reward_ctrl"])


def ant_reward(
    info: Mapping[str, Any],
    w_forward: float = 1.0,
    w_healthy: float = 1.0,
    w_ctrl: float = 1.0,
    w_contact: float = 1.0,
    direction: str = "x",
) -> float:
    """Ant reward from a step's ``info``: (forward + healthy) - (control cost + contact cost).

    The forward term is ``w_forward * x_velocity`` (``direction="x"``) or
    ``w_forward * y_velocity`` (``direction="y"``). Terms are combined in gymnasium's order
    (``ant_v5.AntEnv._get_rew``), so the defaults give Ant-v5's reward exactly.
    """
    if direction not in ("x", "y"):
        raise ValueError(f"direction must be 'x' or 'y', got {direction!r}")
    forward = w_forward * float(info[f"{direction}_velocity"])
    healthy = w_healthy * float(info["reward_survive"])
    ctrl_cost = w_ctrl * -float(info["reward_ctrl"])
    contact_cost = w_contact * -float(info["reward_contact"])
    return (forward + healthy) - (ctrl_cost + contact_cost)


REWARD_FUNCTIONS: dict[str, Callable[..., float]] = {
    "Reacher-v5": reacher_reward,
    "Ant-v5": ant_reward,
}
_WEIGHTS: dict[str, tuple[str, ...]] = {
    "Reacher-v5": ("w_dist", "w_ctrl"),
    "Ant-v5": ("w_forward", "w_healthy", "w_ctrl", "w_contact", "direction"),
}


def parse_reward_spec(gym_id: str, spec: RewardSpec) -> dict[str, Any] | None:
    """Keyword arguments for ``REWARD_FUNCTIONS[gym_id]`` from a spec; None for ``"default"``.

    Raises:
        ValueError: for a malformed string, an unknown key or a non-numeric weight; the message
            lists the keys ``gym_id`` accepts.
    """
    known = _WEIGHTS[gym_id]
    if isinstance(spec, str):
        if spec.strip() == "default":
            return None
        items: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"{gym_id} reward {spec!r}: expected 'default' or 'key=value,...' with keys {known}")
            items[key.strip()] = value.strip()
    elif isinstance(spec, Mapping):
        items = dict(spec)
    else:
        raise ValueError(f"{gym_id} reward: expected 'default', a dict or a 'key=value,...' string, got {spec!r}")
    unknown = sorted(set(items) - set(known))
    if unknown:
        raise ValueError(f"{gym_id} reward: unknown key(s) {unknown}; known: {known}")
    weights: dict[str, Any] = {}
    for key, value in items.items():
        if key == "direction":
            weights[key] = str(value)
            continue
        try:
            weights[key] = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{gym_id} reward: {key} must be a number, got {value!r}") from None
    if weights.get("direction", "x") not in ("x", "y"):
        raise ValueError(f"{gym_id} reward: direction must be 'x' or 'y', got {weights['direction']!r}")
    return weights


class MujocoParallelEnv(GymParallelEnv):
    """A gymnasium MuJoCo env as a one-agent ParallelEnv whose reward can be relabelled.

    Args:
        gym_id: ``"Reacher-v5"`` or ``"Ant-v5"``.
        reward: ``"default"`` (gymnasium's reward) or a weight spec (see the module docstring).
        render_mode: passed to ``gymnasium.make``.
        clip_actions: clip each action to the action space's bounds before stepping.
        **gym_kwargs: passed to ``gymnasium.make`` (e.g. ``max_episode_steps``).
    """

    def __init__(
        self,
        gym_id: str,
        reward: RewardSpec = "default",
        render_mode: str | None = None,
        clip_actions: bool = True,
        **gym_kwargs: Any,
    ) -> None:
        if gym_id not in REWARD_FUNCTIONS:
            raise ValueError(f"no reward function for {gym_id!r}; supported: {sorted(REWARD_FUNCTIONS)}")
        self.reward_weights = parse_reward_spec(gym_id, reward)
        self.reward_fn = REWARD_FUNCTIONS[gym_id]
        self.clip_actions = clip_actions
        super().__init__(gym_id, render_mode=render_mode, **gym_kwargs)

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if self.clip_actions:
            space = self._env.action_space
            actions = {a: np.clip(act, space.low, space.high).astype(space.dtype) for a, act in actions.items()}
        obs, rewards, terminations, truncations, infos = super().step(actions)
        if self.reward_weights is not None:
            rewards = {a: self.reward_fn(infos[a], **self.reward_weights) for a in rewards}
        return obs, rewards, terminations, truncations, infos


def reacher(reward: RewardSpec = "default", **kwargs: Any) -> MujocoParallelEnv:
    """``mujoco/Reacher``: Reacher-v5 (50-step episodes, 2-D torque actions, 10-D observation)."""
    return MujocoParallelEnv("Reacher-v5", reward=reward, **kwargs)


def ant(reward: RewardSpec = "default", **kwargs: Any) -> MujocoParallelEnv:
    """``mujoco/Ant``: Ant-v5 (1000-step episodes, 8-D torque actions, 105-D observation)."""
    return MujocoParallelEnv("Ant-v5", reward=reward, **kwargs)

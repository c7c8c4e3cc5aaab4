"""Built-in SC2 engine throughput: agent-steps per second of each mini-game, one core.

    python benchmarks/sc2_throughput.py --json

Random agents (uniform over unmasked actions) play each mini-game (``sc2/<MiniGame>``, backend
``builtin``) two ways, and only stepping and resetting are timed (the random policy is not):
- ``agent_steps_per_s``: the learner's path, ``envs.make_vec`` (``SC2VecEnv``: ``--num-envs`` games in
  one engine, every agent of every game observed in the same NumPy calls), ``--steps`` vector steps;
- ``parallel_env_agent_steps_per_s``: one PettingZoo ``SC2Env`` (dicts per agent), ``--steps`` steps.
An agent step is one live agent acting for one env step, the unit a parameter-shared learner consumes.
A real StarCraft II instance runs a few hundred agent steps per second.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import envs
from repaint_ma.apps.bench import MINIGAMES


def measure_batch(name: str, num_envs: int, steps: int, seed: int = 0) -> dict[str, float]:
    """Play ``steps`` vector steps of random agents on ``num_envs`` games of ``sc2/<name>``; return the rates."""
    vec = envs.make_vec(f"sc2/{name}", num_envs, False, True, 0)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    vec.reset(seed)
    seconds, agent_steps = time.perf_counter() - start, 0
    for _ in range(steps):
        actions = (rng.random(vec.masks.shape) * vec.masks).argmax(axis=1)  # uniform over allowed actions
        agent_steps += int(vec.alive.sum())
        start = time.perf_counter()
        vec.step(actions)
        seconds += time.perf_counter() - start
    return {"agent_steps_per_s": agent_steps / seconds, "num_envs": num_envs, "episodes": len(vec.finished_scores)}


def measure(name: str, steps: int, seed: int = 0) -> dict[str, float]:
    """Play ``steps`` env steps of random agents on one ``sc2/<name>`` ParallelEnv; return the rates."""
    env = envs.make(f"sc2/{name}")
    rng = np.random.default_rng(seed)
    seconds, agent_steps, episodes = 0.0, 0, 1
    start = time.perf_counter()
    obs, _ = env.reset(seed=seed)
    seconds += time.perf_counter() - start
    for _ in range(steps):
        actions = {a: int(rng.choice(np.flatnonzero(o["action_mask"]))) for a, o in obs.items() if a in env.agents}
        start = time.perf_counter()
        obs, *_ = env.step(actions)
        if not env.agents:
            obs, _ = env.reset(seed=seed + episodes)
            episodes += 1
        seconds += time.perf_counter() - start
        agent_steps += len(actions)
    env.close()
    return {"agent_steps_per_s": agent_steps / seconds, "mean_agents": agent_steps / steps, "episodes": episodes}


def main() -> None:
    """Parse arguments, pin to one core, print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="steps per mini-game and way (default 2000)")
    parser.add_argument("--num-envs", type=int, default=64, help="games in the batch (default 64)")
    parser.add_argument("--maps", nargs="+", default=list(MINIGAMES), choices=MINIGAMES, metavar="MAP")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help='print {"<MiniGame>": {"agent_steps_per_s": x}, ...}')
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = {}
    for name in args.maps:
        batch, single = measure_batch(name, args.num_envs, args.steps, args.seed), measure(name, args.steps, args.seed)
        results[name] = {**batch, "parallel_env_agent_steps_per_s": single["agent_steps_per_s"]}
    if args.json:
        print(json.dumps(results))
    else:
        for name, row in results.items():
            print(f"{name:>28}: {row['agent_steps_per_s']:9.0f} agent-steps/s batched ({row['num_envs']} games), "
                  f"{row['parallel_env_agent_steps_per_s']:7.0f} as one ParallelEnv")  # fmt: skip


if __name__ == "__main__":
    main()

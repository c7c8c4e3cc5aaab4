"""Built-in SC2 engine throughput: agent-steps per second of each mini-game's env, one core.

    python benchmarks/sc2_throughput.py --json

Each mini-game (``sc2/<MiniGame>``, backend ``builtin``) plays ``--steps`` env steps of random
agents (uniform over unmasked actions), resetting when an episode ends (seeds 0, 1, ..). Only
``env.step`` and ``env.reset`` are timed (the random policy is not): ``agent_steps_per_s`` counts one
agent step per live agent per env step, the unit a parameter-shared learner consumes. A real
StarCraft II instance runs a few hundred agent steps per second.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import envs
from repaint_ma.bench import MINIGAMES


def measure(name: str, steps: int, seed: int = 0) -> dict[str, float]:
    """Play ``steps`` env steps of random agents on ``sc2/<name>``; return the rates."""
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
    return {
        "agent_steps_per_s": agent_steps / seconds,
        "env_steps_per_s": steps / seconds,
        "mean_agents": agent_steps / steps,
        "episodes": episodes,
    }


def main() -> None:
    """Parse arguments, pin to one core, print the rates."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000, help="env steps per mini-game (default 2000)")
    parser.add_argument("--maps", nargs="+", default=list(MINIGAMES), choices=MINIGAMES, metavar="MAP")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help='print {"<MiniGame>": {"agent_steps_per_s": x}, ...}')
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    results = {name: measure(name, args.steps, args.seed) for name in args.maps}
    if args.json:
        print(json.dumps(results))
    else:
        for name, row in results.items():
            print(f"{name:>28}: {row['agent_steps_per_s']:9.0f} agent-steps/s ({row['env_steps_per_s']:7.0f} env "
                  f"steps/s, {row['mean_agents']:.1f} agents, {row['episodes']} episodes)")  # fmt: skip


if __name__ == "__main__":
    main()

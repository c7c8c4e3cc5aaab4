"""Racing env throughput against the bare PyBullet physics of the same cars, on one core.

    python benchmarks/racing_throughput.py --cars 4 --steps 1000 --runs 8 --json

The env (``racing/single-car`` for one car, ``racing/multi-car`` without bots otherwise) runs
``--steps`` control steps on ``--track``, every car driven by ``PurePursuit`` (the policy and the
single reset are not timed). Inside that run, the bare physics (the ``substeps``
``stepSimulation`` calls of each control step, same bodies, nothing else) is timed on its own:
``ratio`` = env seconds per control step / bare-physics seconds per control step, so the
difference is exactly the env's own work (motor commands, state queries, lidar, contacts,
geometry, params, reward, observations).

``--runs N`` repeats the measurement N times in the same process (a new env each time) and reports
the median of each number, with the ratio's min and max: on a shared machine single runs spread by
+-0.03 in the ratio and up to 25% in steps per second.

Why not a separate replay of the recorded motor commands: open-loop, the cars drift off the
driven lines within seconds, crash and cost the solver more, which flatters the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

import envs
from envs.racing import PurePursuit


def measure(cars: int, steps: int, track: str, speed: float, **env_kwargs) -> dict[str, float]:
    """Run the env and, inside the same run, time its bare physics; return the numbers."""
    env_id = "racing/single-car" if cars == 1 else "racing/multi-car"
    extra = env_kwargs if cars == 1 else {"cars": cars, "bots": 0, **env_kwargs}
    env = envs.make(env_id, track=track, action_space="continuous", laps=10**6,
                    max_steps=steps + 1, **extra)  # fmt: skip
    driver = PurePursuit(env.actions, speed=speed)
    env.reset(seed=0)
    world, physics_seconds = env.world, 0.0
    step_physics = world.step

    def timed_physics(bots: Any = None) -> None:
        nonlocal physics_seconds
        start = time.perf_counter()
        step_physics(bots)
        physics_seconds += time.perf_counter() - start

    world.step = timed_physics
    env_seconds, agent_steps = 0.0, 0
    for _ in range(steps):
        actions = {agent: driver.act(env, agent) for agent in env.agents}
        start = time.perf_counter()
        env.step(actions)
        env_seconds += time.perf_counter() - start
        agent_steps += len(actions)
    racing = len(env.agents)
    env.close()
    return {
        "cars": cars,
        "steps": steps,
        "track": track,
        "substeps": world.substeps,
        "solver_iterations": world.solver_iterations,
        "cars_still_racing": racing,
        "control_steps_per_s": steps / env_seconds,
        "agent_steps_per_s": agent_steps / env_seconds,
        "bare_physics_steps_per_s": steps / physics_seconds,
        "ratio": env_seconds / physics_seconds,
    }


def summarize(runs: list[dict[str, float]]) -> dict[str, float]:
    """The median of every number over ``runs`` (the settings are the same in each), the ratio's min and max, and
    the number of runs."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, float):
            out[key] = statistics.median(run[key] for run in runs)
    ratios = [run["ratio"] for run in runs]
    out.update(ratio_min=min(ratios), ratio_max=max(ratios), runs=len(runs))
    return out


def main() -> None:
    """Parse arguments, pin to one core, print the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, default=1)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--track", default="oval")
    parser.add_argument("--speed", type=float, default=2.0, help="pure-pursuit speed, m/s")
    parser.add_argument("--substeps", type=int, help="physics steps per control step")
    parser.add_argument("--solver-iterations", type=int)
    parser.add_argument("--runs", type=int, default=1, help="repeat and report medians")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    tuning = {"substeps": args.substeps, "solver_iterations": args.solver_iterations}
    tuning = {key: value for key, value in tuning.items() if value is not None}
    if args.runs < 1:
        parser.error(f"--runs: expected 1 or more, got {args.runs}")
    result = summarize([measure(args.cars, args.steps, args.track, args.speed, **tuning) for _ in range(args.runs)])
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            digits = 3 if key.startswith("ratio") else 1
            print(f"{key:>26}: {value:.{digits}f}" if isinstance(value, float) else f"{key:>26}: {value}")


if __name__ == "__main__":
    main()

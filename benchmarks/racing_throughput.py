"""Racing env throughput against bare PyBullet physics of the same cars, in one run, one core.

    python benchmarks/racing_throughput.py --cars 4 --steps 1000 --json

1. The env (``racing/single-car`` for one car, ``racing/multi-car`` without bots otherwise) runs
   ``--steps`` control steps on ``--track``, every car driven by ``PurePursuit``; only
   ``env.step`` is timed (the policy and the single reset are not).
2. Bare physics: the same World (same bodies: plane, walls, cars; same substeps and solver
   settings) is put back on the start grid and replays the recorded motor commands: per
   control step, the motor targets of each car and ``substeps`` ``stepSimulation`` calls, nothing
   else. ``ratio`` = env seconds per control step / bare-physics seconds per control step.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

import envs
from envs.racing import PurePursuit


def measure(cars: int, steps: int, track: str, speed: float, **env_kwargs) -> dict[str, float]:
    """Run the env, then the bare physics replay; return the throughput numbers."""
    env_id = "racing/single-car" if cars == 1 else "racing/multi-car"
    extra = env_kwargs if cars == 1 else {"cars": cars, "bots": 0, **env_kwargs}
    env = envs.make(env_id, track=track, action_space="continuous", laps=10**6,
                    max_steps=steps + 1, **extra)  # fmt: skip
    driver = PurePursuit(env.actions, speed=speed)
    env.reset(seed=0)
    commands, env_seconds, agent_steps = [], 0.0, 0
    for _ in range(steps):
        actions = {agent: driver.act(env, agent) for agent in env.agents}
        commands.append([env.actions.decode(actions[a]) for a in env.agents])
        start = time.perf_counter()
        env.step(actions)
        env_seconds += time.perf_counter() - start
        agent_steps += len(actions)
    finished = len(env.agents)

    env.reset(seed=0)
    world = env.world
    start = time.perf_counter()
    for step_commands in commands:
        for car, (steer, car_speed) in enumerate(step_commands):
            world.control(car, np.radians(steer), car_speed)
        world.step()
    bare_seconds = time.perf_counter() - start
    env.close()
    return {
        "cars": cars,
        "steps": steps,
        "track": track,
        "substeps": world.substeps,
        "solver_iterations": world.solver_iterations,
        "cars_still_racing": finished,
        "control_steps_per_s": steps / env_seconds,
        "agent_steps_per_s": agent_steps / env_seconds,
        "bare_physics_steps_per_s": steps / bare_seconds,
        "ratio": env_seconds / bare_seconds,
    }


def main() -> None:
    """Parse arguments, pin to one core, print the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cars", type=int, default=1)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--track", default="oval")
    parser.add_argument("--speed", type=float, default=2.0, help="pure-pursuit speed, m/s")
    parser.add_argument("--substeps", type=int, help="physics steps per control step")
    parser.add_argument("--solver-iterations", type=int)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    tuning = {"substeps": args.substeps, "solver_iterations": args.solver_iterations}
    tuning = {key: value for key, value in tuning.items() if value is not None}
    result = measure(args.cars, args.steps, args.track, args.speed, **tuning)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value:.1f}" if isinstance(value, float) else f"{key:>26}: {value}")


if __name__ == "__main__":
    main()

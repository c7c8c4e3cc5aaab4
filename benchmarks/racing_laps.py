"""Laps completed by a trained racing policy: fixed-seed episodes of its run's own env.

python benchmarks/racing_laps.py runs/racing-single-car/<run> --episodes 10 [--deterministic]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import yaml

import envs
from repaint_ma import scenario
from repaint_ma.networks import load_policy


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--episodes", type=int, default=10)
    p.add_argument("--deterministic", action="store_true")
    args = p.parse_args()
    run = Path(args.run_dir)
    sc = scenario.from_dict(yaml.safe_load((run / "config.yaml").read_text()), str(run / "config.yaml"))
    policy, _ = load_policy(run / "policy.pt")
    env = envs.make(sc.env.id, **sc.env_kwargs)
    torch.manual_seed(0)
    laps, times, offtrack = [], [], 0
    for seed in range(args.episodes):
        obs, _ = env.reset(seed=10_000 + seed)
        info: dict = {}
        while env.agents:
            batch = torch.as_tensor(np.stack([obs[a] for a in env.agents]))
            action, _ = policy.act_raw(batch, deterministic=args.deterministic)
            obs, _, _, _, infos = env.step(dict(zip(env.agents, action.numpy(), strict=True)))
            info = infos["car_0"]
        laps.append(info["laps"])
        times.append(info["time"])
        offtrack += bool(info["params"]["is_offtrack"] or info["params"]["is_crashed"])
    print(json.dumps({
        "episodes": args.episodes, "deterministic": args.deterministic, "mean_laps": float(np.mean(laps)),
        "laps": laps, "race_time_s": [round(t, 2) for t in times], "ended_off_track_or_crashed": offtrack,
    }))  # fmt: skip


if __name__ == "__main__":
    main()

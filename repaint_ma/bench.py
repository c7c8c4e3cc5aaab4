"""Benchmarks of agents on the StarCraft II mini-games: ``repaint bench sc2``.

Runs, per mini-game, a random agent (uniform over unmasked actions) and the scripted agent of
``envs.sc2.scripted`` for ``--episodes`` fixed-seed episodes, and prints their mean scores beside the
published SC2LE figures (Vinyals et al., "StarCraft II: A New Challenge for Reinforcement Learning",
2017, Table 1: random, human average, grandmaster, and the best mean of the FullyConv agent). Every
row says where its number comes from: this project's results are labelled with the backend that
produced them ("built-in engine" for the NumPy engine), the published ones "StarCraft II (SC2LE)".

``evaluate(env, act, episodes, seed)`` plays any ``act(observations) -> actions`` callable, so a
trained policy can be benchmarked the same way.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

MINIGAMES = (
    "MoveToBeacon",
    "CollectMineralShards",
    "FindAndDefeatZerglings",
    "DefeatRoaches",
    "DefeatZerglingsAndBanelings",
)
# SC2LE (2017) Table 1, mean scores: random policy, human (DeepMind game tester), StarCraft
# GrandMaster, FullyConv (best mean over the 100 best of its runs)
SC2LE: dict[str, dict[str, float]] = {
    "MoveToBeacon": {"random": 1, "human": 26, "grandmaster": 28, "fullyconv": 26},
    "CollectMineralShards": {"random": 17, "human": 133, "grandmaster": 177, "fullyconv": 103},
    "FindAndDefeatZerglings": {"random": 4, "human": 46, "grandmaster": 61, "fullyconv": 45},
    "DefeatRoaches": {"random": 1, "human": 41, "grandmaster": 215, "fullyconv": 100},
    "DefeatZerglingsAndBanelings": {"random": 23, "human": 729, "grandmaster": 727, "fullyconv": 62},
}
SC2LE_ROWS = (
    ("random", "random (SC2LE)"),
    ("human", "human average (SC2LE)"),
    ("grandmaster", "grandmaster (SC2LE)"),
    ("fullyconv", "FullyConv, best mean (SC2LE)"),
)
BACKEND_LABELS = {"builtin": "built-in engine", "pysc2": "StarCraft II (PySC2)"}
AGENTS = ("random", "scripted")

Observations = dict[str, Any]


def evaluate(env: Any, act: Callable[[Observations], dict[str, Any]], episodes: int, seed: int = 0) -> list[float]:
    """Scores of ``episodes`` episodes (seeds ``seed``, ``seed + 1``, ..) of ``act`` on the ParallelEnv ``env``.

    An episode's score is the sum over steps of the team reward (the agents' shared reward; the
    mean over agents for envs whose agents are rewarded apart). ``act.reset()``, when ``act`` has
    one, is called before each episode.
    """
    scores = []
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed + episode)
        if hasattr(act, "reset"):
            act.reset()
        score = 0.0
        while env.agents:
            obs, rewards, _, _, _ = env.step(act(obs))
            score += sum(rewards.values()) / len(rewards) if rewards else 0.0
        scores.append(score)
    return scores


def bench_sc2(backend: str, episodes: int, seed: int, maps: tuple[str, ...] = MINIGAMES) -> dict[str, dict]:
    """Random and scripted mean scores on each mini-game of ``maps``, with the SC2LE figures."""
    import numpy as np

    import envs
    from envs.sc2.scripted import scripted_or_random

    results = {}
    for name in maps:
        env = envs.make(f"sc2/{name}", backend=backend)
        row: dict[str, Any] = {"backend": backend, "label": BACKEND_LABELS[backend], "episodes": episodes}
        for kind in AGENTS:
            scores = evaluate(env, scripted_or_random(env, kind, seed), episodes, seed)
            row[kind], row[f"{kind}_std"] = float(np.mean(scores)), float(np.std(scores))
        row["sc2le"] = SC2LE[name]
        env.close()
        results[name] = row
    return results


def markdown(results: dict[str, dict], seed: int) -> str:
    """One Markdown table per mini-game: this run's agents, then the published SC2LE rows."""
    lines = []
    for name, row in results.items():
        last = seed + row["episodes"] - 1
        lines += [
            f"### {name} ({row['label']})",
            "",
            f"{row['episodes']} episodes, seeds {seed}-{last}.",
            "",
            "| agent | mean score | std | source |",
            "|---|---:|---:|---|",
        ]
        lines += [f"| {kind} | {row[kind]:.1f} | {row[f'{kind}_std']:.1f} | {row['label']} |" for kind in AGENTS]
        lines += [f"| {label} | {row['sc2le'][key]:g} | | StarCraft II (SC2LE, 2017) |" for key, label in SC2LE_ROWS]
        lines.append("")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``repaint bench``."""
    parser.add_argument("suite", choices=["sc2"], help="the benchmark suite: sc2 (the five mini-games)")
    parser.add_argument("--backend", default="builtin", choices=sorted(BACKEND_LABELS), help="default: builtin")
    parser.add_argument("--episodes", type=int, default=10, help="episodes per agent and mini-game (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode (default 0)")
    parser.add_argument("--maps", nargs="+", metavar="MAP", help=f"a subset of: {' '.join(MINIGAMES)}")
    parser.add_argument("--json", action="store_true", help='print one JSON object {"<MiniGame>": {...}, ...}')


def main(args: argparse.Namespace) -> int:
    """Run the benchmark and print the tables (or JSON)."""
    from repaint_ma.cli import UsageError

    if args.episodes < 1:
        raise UsageError(f"--episodes must be at least 1, got {args.episodes}")
    unknown = [m for m in args.maps or () if m not in MINIGAMES]
    if unknown:
        raise UsageError(f"--maps: unknown mini-game(s) {', '.join(unknown)}; expected some of {', '.join(MINIGAMES)}")
    results = bench_sc2(args.backend, args.episodes, args.seed, tuple(args.maps or MINIGAMES))
    print(json.dumps(results) if args.json else markdown(results, args.seed))
    return 0

"""Replays to watch: one evaluation episode of a racing policy as an animated top-down GIF.

``repaint eval RUN --record DIR`` plays the first evaluation episode again (env seed as ``evaluate``'s
env 0) and draws, per control step (15 Hz), the track, each car as an arrow with the line it has
driven so far, and a title with the race time and each learning car's laps and lap times. Written
with matplotlib's ``PillowWriter`` (no extra package); one frame per step.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from repaint_ma.errors import UsageError
from repaint_ma.progress import counted
from repaint_ma.scenario import Scenario


def record_episode(policy: Any, sc: Scenario, seed: int, deterministic: bool) -> dict[str, Any]:
    """Play evaluation episode 0 of ``sc`` with ``policy``; return the track and, per step, the cars'
    positions and headings, the race time and each learning car's completed laps."""
    import torch

    import envs
    from envs.racing.env import RacingEnv
    from envs.racing.physics import CONTROL_HZ
    from envs.vector import VecParallelEnv
    from repaint_ma.rollout import EVAL_SEED_OFFSET

    vec = VecParallelEnv([lambda: envs.make(sc.env.id, **sc.env_kwargs)], sc.ppo.agent_indicator, autoreset=False)
    env = vec.envs[0]
    if not isinstance(env, RacingEnv):
        vec.close()
        raise UsageError(f"--record: replays are drawn for racing envs; {sc.env.id} is not one")
    vec.reset(EVAL_SEED_OFFSET + seed)
    cars = list(env.racing)
    frames = []
    with torch.no_grad():
        while True:
            state = env.world.state(cars)
            xy, yaw = state.xy.copy(), state.yaw.copy()
            parked = [i for i, car in enumerate(cars) if car not in env.racing]  # finished: moved off the map
            if parked:
                xy[parked], yaw[parked] = frames[-1]["xy"][parked], frames[-1]["yaw"][parked]
            laps = env.progress.laps(np.arange(env.n_cars))
            frames.append({"xy": xy, "yaw": yaw, "time": env.steps / CONTROL_HZ, "laps": laps})
            if not vec.running:
                break
            mask = torch.from_numpy(vec.masks) if vec.has_mask else None
            action, _ = policy.act_raw(torch.from_numpy(vec.obs), mask, deterministic)
            vec.step(action.numpy())
    labels = [f"car_{c}" if c < env.n_cars else "bot" for c in cars]
    track = env.track
    vec.close()
    return {"track": track, "labels": labels, "frames": frames}


def lap_times(frames: list[dict[str, Any]]) -> list[list[tuple[float, float]]]:
    """Per learning car, ``(race time at the lap's end, lap time)`` of each lap it completed (s)."""
    times: list[list[tuple[float, float]]] = [[] for _ in frames[0]["laps"]]
    for before, after in itertools.pairwise(frames):
        for car, (a, b) in enumerate(zip(before["laps"], after["laps"], strict=True)):
            if b > a:
                times[car].append((after["time"], after["time"] - sum(lap for _, lap in times[car])))
    return times


def write_gif(episode: dict[str, Any], path: Path, fps: float = 15.0) -> int:
    """Animate a recorded episode to ``path`` (GIF); returns the number of frames written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    track, frames, labels = episode["track"], episode["frames"], episode["labels"]
    fig, ax = plt.subplots(figsize=(4, 4), dpi=80)
    for border in track.borders:
        closed = np.vstack([border, border[:1]])
        ax.plot(closed[:, 0], closed[:, 1], "k-", lw=1)
    ax.plot(track.centre[:, 0], track.centre[:, 1], ":", color="0.6", lw=0.6)
    ax.set_aspect("equal")
    ax.axis("off")
    colours = ["tab:gray" if label == "bot" else f"C{i}" for i, label in enumerate(labels)]
    xy = np.array([f["xy"] for f in frames])  # (T, cars, 2)
    lines = [ax.plot([], [], "-", color=c, lw=1.2, label=label)[0] for c, label in zip(colours, labels, strict=True)]
    cars = ax.quiver(
        xy[0, :, 0], xy[0, :, 1], np.ones(len(labels)), np.zeros(len(labels)), color=colours, scale=20, width=0.02
    )
    ax.legend(loc="upper right", fontsize=6)
    title = ax.set_title("", fontsize=8)
    laps_done = lap_times(frames)

    def draw(t: int) -> list[Any]:
        frame = frames[t]
        for car, line in enumerate(lines):
            line.set_data(xy[: t + 1, car, 0], xy[: t + 1, car, 1])
        cars.set_offsets(xy[t])
        cars.set_UVC(np.cos(frame["yaw"]), np.sin(frame["yaw"]))
        texts = []
        for car, done in enumerate(laps_done):
            times = [f"{lap:.1f}s" for end, lap in done if end <= frame["time"]]
            texts.append(f"{labels[car]}: {counted(len(times), 'lap')}" + (f" ({', '.join(times)})" if times else ""))
        laps = "  ".join(texts)
        title.set_text(f"t = {frame['time']:.1f} s   {laps}")
        return [*lines, cars, title]

    animation = FuncAnimation(fig, draw, frames=len(frames), blit=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    animation.save(path, writer=PillowWriter(fps=fps))
    plt.close(fig)
    return len(frames)

"""Replays to watch: one episode as an animated GIF, one frame per agent step.

``repaint eval RUN --record DIR`` plays the first evaluation episode again (env seed as ``evaluate``'s
env 0) and draws it: a racing episode as a top-down view of the track, each car as an arrow with the
line it has driven so far, and a title with the race time and each learning car's laps and lap times
(one frame per 15 Hz control step); a StarCraft II mini-game as the 2D view of ``replay_sc2``.
``repaint leaderboard --record DIR`` draws each entry's best race with the same racing view. Written
with matplotlib's ``PillowWriter`` (no extra package).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from repaint_ma.errors import UsageError
from repaint_ma.progress import counted
from repaint_ma.scenario import Scenario


def figure(size: tuple[float, float]) -> tuple[Any, Any]:
    """A matplotlib figure and axes for a replay (off-screen backend), ``size`` in inches."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size, dpi=80)


def save_gif(fig: Any, draw: Callable[[int], Any], n_frames: int, path: Path, fps: float) -> int:
    """Write ``draw(0) .. draw(n_frames - 1)`` of ``fig`` as the GIF ``path``; close ``fig``; return ``n_frames``."""
    import matplotlib.pyplot as plt
    from matplotlib.animation import FuncAnimation, PillowWriter

    animation = FuncAnimation(fig, draw, frames=n_frames, blit=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    animation.save(path, writer=PillowWriter(fps=fps))
    plt.close(fig)
    return n_frames


def record(policy: Any, sc: Scenario, seed: int, deterministic: bool, path: Path) -> tuple[int, float]:
    """Play evaluation episode 0 of ``sc`` with ``policy`` and write it as the GIF ``path`` (racing or an
    SC2 mini-game); return the frames written and the episode's score."""
    import envs
    from envs.racing.env import RacingEnv
    from envs.sc2.env import SC2Env

    env = envs.make(sc.env.id, **sc.env_kwargs)
    if isinstance(env, RacingEnv):
        episode, score = record_racing(policy, sc, env, seed, deterministic)
        return write_gif(episode, path), score
    if isinstance(env, SC2Env):
        from repaint_ma.apps.replay_sc2 import FrameRecorder, write_sc2_gif

        env.backend = recorder = FrameRecorder(env.backend)
        score = play(policy, sc, env, seed, deterministic)
        frames = recorder.episodes[-1]
        return write_sc2_gif(frames, env.spec.name, recorder.label, recorder.step_mul, path), score
    env.close()
    raise UsageError(f"--record: replays are drawn for racing and sc2 envs; {sc.env.id} is neither")


def play(
    policy: Any, sc: Scenario, env: Any, seed: int, deterministic: bool, snapshot: Callable[[], None] = lambda: None
) -> float:
    """Play evaluation episode 0 of ``sc`` in ``env`` (seeded as ``evaluate``'s env 0), calling ``snapshot``
    after the reset and after every step; close ``env``; return the episode's score. A deterministic
    policy plays evaluation episode 1 again; a stochastic one samples its own actions (torch seeded with
    ``seed``), so its replay and score can differ from that episode's."""
    import torch

    from envs.vector import VecParallelEnv
    from repaint_ma.rollout import EVAL_SEED_OFFSET

    vec = VecParallelEnv([lambda: env], sc.ppo.agent_indicator, autoreset=False)
    vec.reset(EVAL_SEED_OFFSET + seed)
    with torch.no_grad(), torch.random.fork_rng():
        torch.manual_seed(seed)  # a stochastic policy's replay: the same each time, the caller's RNG untouched
        while True:
            snapshot()
            if not vec.running:
                break
            mask = torch.from_numpy(vec.masks) if vec.has_mask else None
            action, _ = policy.act_raw(torch.from_numpy(vec.obs), mask, deterministic)
            vec.step(action.numpy())
    vec.close()
    return vec.finished_scores[0]


def racing_frame(env: Any, cars: list[int], last: dict[str, Any] | None) -> dict[str, Any]:
    """The racing env's cars ``cars`` now: positions, headings, race time and each learning car's laps; a car
    that finished (moved off the map) stays where ``last`` (the previous frame) had it."""
    from envs.racing.physics import CONTROL_HZ

    state = env.world.state(cars)
    xy, yaw = state.xy.copy(), state.yaw.copy()
    parked = [i for i, car in enumerate(cars) if car not in env.racing]
    if parked and last is not None:
        xy[parked], yaw[parked] = last["xy"][parked], last["yaw"][parked]
    laps = env.progress.laps(np.arange(env.n_cars))
    return {"xy": xy, "yaw": yaw, "time": env.steps / CONTROL_HZ, "laps": laps}


def record_racing(policy: Any, sc: Scenario, env: Any, seed: int, deterministic: bool) -> tuple[dict[str, Any], float]:
    """Evaluation episode 0 in the racing env ``env``: the track, the cars' labels and one frame per step
    (``racing_frame``); and the episode's score."""
    frames: list[dict[str, Any]] = []
    cars: list[int] = []

    def snapshot() -> None:
        if not cars:  # after the reset: every car is on the track
            cars.extend(env.racing)
        frames.append(racing_frame(env, cars, frames[-1] if frames else None))

    n_cars, track = env.n_cars, env.track
    score = play(policy, sc, env, seed, deterministic, snapshot)
    labels = [f"car_{c}" if c < n_cars else "bot" for c in cars]
    return {"track": track, "labels": labels, "frames": frames}, score


def lap_times(frames: list[dict[str, Any]]) -> list[list[tuple[float, float]]]:
    """Per learning car, ``(race time at the lap's end, lap time)`` of each lap it completed (s)."""
    times: list[list[tuple[float, float]]] = [[] for _ in frames[0]["laps"]]
    for before, after in itertools.pairwise(frames):
        for car, (a, b) in enumerate(zip(before["laps"], after["laps"], strict=True)):
            if b > a:
                times[car].append((after["time"], after["time"] - sum(lap for _, lap in times[car])))
    return times


def write_gif(episode: dict[str, Any], path: Path, fps: float = 15.0) -> int:
    """Animate a recorded racing episode (``track``, ``labels``, ``frames``) to ``path`` (GIF); returns the
    number of frames written."""
    track, frames, labels = episode["track"], episode["frames"], episode["labels"]
    fig, ax = figure((4, 4))
    for outline in track.outlines():
        ax.plot(outline[:, 0], outline[:, 1], "k-", lw=1)
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

    return save_gif(fig, draw, len(frames), path, fps)

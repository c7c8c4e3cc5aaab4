"""Top-down picture of a race (matplotlib, Agg backend), for ``render_mode="rgb_array"``."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from envs.racing.params import Objects
from envs.racing.physics import CAR_LENGTH, CarState
from envs.racing.tracks import Track


def top_down(
    track: Track, state: CarState | None, labels: list[str], boxes: Objects | None = None, size: int = 400
) -> np.ndarray:
    """RGB image (size, size, 3) uint8: borders, centre line, start line, boxes, cars as arrows."""
    fig = plt.Figure(figsize=(size / 100, size / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    for outline in track.outlines():
        ax.plot(outline[:, 0], outline[:, 1], "k-", lw=1)
    ax.plot(track.centre[:, 0], track.centre[:, 1], ":", color="0.6", lw=0.6)
    start = track.waypoints[0]
    ax.plot(start[[2, 4]], start[[3, 5]], "r-", lw=2)
    if boxes is not None:
        for (x, y), yaw, half in zip(boxes.xy, boxes.yaw, boxes.half_size, strict=True):
            corners = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * half
            c, s = np.cos(yaw), np.sin(yaw)
            ax.fill(x + corners @ [c, -s], y + corners @ [s, c], color="tab:brown")
    if state is not None:
        for (x, y), yaw, label in zip(state.xy, state.yaw, labels, strict=True):
            color = "tab:gray" if label == "bot" else "tab:blue"
            dx, dy = CAR_LENGTH * np.cos(yaw), CAR_LENGTH * np.sin(yaw)
            ax.arrow(x - dx / 2, y - dy / 2, dx, dy, width=0.12, color=color, length_includes_head=True)
    ax.set_aspect("equal")
    ax.axis("off")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()

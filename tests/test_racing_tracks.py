"""Tracks: the shipped ones, loading by path, and clear errors for malformed files."""

from __future__ import annotations

import numpy as np
import pytest

from envs.racing import load_track, shipped_tracks, single_car
from envs.racing.make_tracks import turtle, waypoints


def test_shipped_tracks_load_and_have_previews():
    assert shipped_tracks() == ["hairpin", "oval", "sbend", "speedway"]
    lengths = {name: load_track(name).length for name in shipped_tracks()}
    assert lengths["oval"] == pytest.approx(12.0 + 4 * np.pi, rel=1e-3)
    assert lengths["speedway"] > 80.0  # the long fast one
    track = load_track("oval")
    assert track.waypoints.shape == (98, 6)  # the closing duplicate row dropped
    assert track.width == pytest.approx(0.9)
    assert track.half_left == pytest.approx(0.45) and track.half_right == pytest.approx(0.45)


def test_track_by_path(tmp_path):
    path = tmp_path / "square.npy"
    pieces = [("S", 4.0), ("L", 90, 1.0)] * 4
    np.save(path, waypoints(turtle(pieces), 0.8))
    env = single_car(track=str(path))
    _, infos = env.reset(seed=0)
    assert env.track.name == "square"
    assert infos["car_0"]["params"]["track_length"] == pytest.approx(16 + 2 * np.pi, rel=1e-3)


def _write(tmp_path, array):
    path = tmp_path / "bad_track.npy"
    np.save(path, array)
    return str(path)


def _oval(width=0.9):
    return waypoints(turtle([("S", 6.0), ("L", 180, 2.0), ("S", 6.0), ("L", 180, 2.0)]), width)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: _oval()[:, :4], r"shape \(N>=4, 6\).*got shape \(99, 4\)"),
        (lambda: _oval()[:60], "not a closed loop"),
        (lambda: _oval(width=0.2), "narrower than the car"),
        (
            lambda: waypoints(
                turtle(
                    [("S", 4.0), ("L", 270, 1.0), ("S", 4.0), ("R", 270, 1.0)],
                ),
                0.6,
            ),
            "intersects itself|borders cross",
        ),
    ],
    ids=["wrong-shape", "open", "too-narrow", "figure-eight"],
)
def test_malformed_track_is_a_clear_error(tmp_path, make, message):
    path = _write(tmp_path, make())
    with pytest.raises(ValueError, match=message) as err:
        load_track(path)
    assert "bad_track.npy" in str(err.value)


def test_unknown_track_name():
    with pytest.raises(ValueError, match=r"unknown track 'monza'.*'oval'"):
        single_car(track="monza")


def test_walls_that_would_cut_into_the_track_are_refused():
    track = load_track("hairpin")  # parallel straights 2.4 m apart, 0.8 m wide
    assert len(track.offset_borders(0.6)) == 2
    with pytest.raises(ValueError, match=r"track hairpin: walls 1\.4 m outside the borders"):
        track.offset_borders(1.4)
    single_car(track="hairpin", wall_margin=None).reset(seed=0)  # no barrier walls at all

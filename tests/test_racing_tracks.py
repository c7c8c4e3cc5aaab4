"""Tracks: the shipped ones, loading by path, and clear errors for malformed files."""

from __future__ import annotations

import numpy as np
import pytest
from pettingzoo.test import parallel_api_test

from envs.racing import load_track, shipped_tracks, single_car
from envs.racing.make_tracks import turtle, waypoints
from envs.racing.tracks import TRACKS_DIR, validate_waypoints


def test_shipped_tracks_load_and_have_previews():
    assert shipped_tracks() == ["Straight_track", "hairpin", "oval", "reInvent2019_track", "sbend", "speedway"]
    assert all((TRACKS_DIR / f"{name}.png").is_file() for name in shipped_tracks())
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
        (lambda: _oval()[:, :4], r"shape \(N>=2, 6\).*got shape \(99, 4\)"),
        (lambda: np.repeat(_oval()[:1], 5, axis=0), r"fewer than \d distinct centre points"),
        (lambda: _oval(width=0.15), "narrower than the car"),
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
    ids=["wrong-shape", "one-point", "too-narrow", "figure-eight"],
)
def test_malformed_track_is_a_clear_error(tmp_path, make, message):
    path = _write(tmp_path, make())
    with pytest.raises(ValueError, match=message) as err:
        load_track(path)
    assert "bad_track.npy" in str(err.value)


def test_unknown_track_name():
    with pytest.raises(ValueError, match=r"unknown track 'monza'.*'oval'"):
        single_car(track="monza")


def test_walls_on_auto_off():
    track = load_track("hairpin")  # parallel straights 2.4 m apart, 0.8 m wide
    for walls in ("on", "auto"):  # they fit at 0.6 m: two whole rings either way
        assert [(len(w.points), w.closed) for w in track.barriers(0.6, walls)] == [(len(track.centre), True)] * 2
    with pytest.raises(ValueError, match=r"track hairpin: walls 1\.4 m outside the borders"):
        track.barriers(1.4, "on")
    pieces = track.barriers(1.4, "auto")  # only the stretches clear of the other straights
    assert pieces and not any(w.closed for w in pieces)
    assert sum(len(w.points) for w in pieces) < 2 * len(track.centre)
    assert track.barriers(1.4, "off") == []
    single_car(track="hairpin", wall_margin=1.4).reset(seed=0)  # auto, the default
    with pytest.raises(ValueError, match="walls: expected one of"):
        single_car(walls="maybe")


def test_sanitiser_drops_repeated_centre_points_as_the_simulator_does():
    oval = _oval()  # its last row repeats the first
    repeated = np.vstack([oval[:5], oval[4:5], oval[4:5], oval[5:], oval[-1:]])  # and the closing row twice
    wide = np.hstack([repeated, np.ones((len(repeated), 2))])  # columns after the sixth are ignored
    sanitised, closed = validate_waypoints(wide, "test")
    assert closed
    np.testing.assert_array_equal(sanitised, oval[:-1])


@pytest.mark.parametrize(
    ("rows", "closed", "n"),
    [(slice(None), True, 98), (slice(0, -1), True, 98), (slice(0, 60), False, 60)],
    ids=["closing-row", "no-closing-row", "open"],
)
def test_closed_loop_or_open(rows, closed, n):
    sanitised, is_closed = validate_waypoints(_oval()[rows], "test")
    assert (is_closed, len(sanitised)) == (closed, n)


def _straight(tmp_path, length=6.0):
    x = np.linspace(0.0, length, 25)
    rows = np.stack([x, 0 * x, x, 0 * x + 0.45, x, 0 * x - 0.45], axis=1)
    path = tmp_path / "straight.npy"
    np.save(path, rows)
    return str(path)


def test_open_track_race_ends_at_the_end_line(tmp_path):
    env = single_car(track=_straight(tmp_path), max_steps=200)
    assert not env.track.closed and env.track.length == pytest.approx(6.0)
    env.reset(seed=0)
    fast_straight = env.actions.encode(0.0, 3.0)
    for _ in range(200):
        _, _, terminations, truncations, infos = env.step({"car_0": fast_straight})
        if terminations["car_0"] or truncations["car_0"]:
            break
    params = infos["car_0"]["params"]
    assert terminations["car_0"] and infos["car_0"]["laps"] == 1 and params["progress"] == 100.0
    assert params["x"] > 5.5 and not params["is_offtrack"]
    with pytest.raises(ValueError, match=r"open.*laps: 1"):
        single_car(track=_straight(tmp_path), laps=2)


def test_arc_length_wraps_within_rounding_of_the_closing_point():
    oval = load_track("oval")
    first, back = oval.centre[0], oval.seg_dir[-1]  # waypoint 0; the last segment ends there
    points = np.array([first - k * 1e-16 * back for k in range(1, 60)])  # on the last segment, a hair before its end
    seg, s, _ = oval.project(points)
    assert (seg == len(oval.centre) - 1).all()
    assert ((s >= 0.0) & (s < oval.length)).all()  # arc[-1] + seg_len[-1] rounds to length: wrapped to 0


def test_open_track_parallel_api(tmp_path):
    parallel_api_test(single_car(track=_straight(tmp_path, 12.0), max_steps=40), num_cycles=40)


@pytest.mark.parametrize(("name", "closed"), [("reInvent2019_track", True), ("Straight_track", False)])
def test_deepracer_example_routes_load_unchanged(name, closed):
    env = single_car(track=f"envs/racing/tracks/{name}.npy")
    env.reset(seed=0)
    assert env.track.closed == closed

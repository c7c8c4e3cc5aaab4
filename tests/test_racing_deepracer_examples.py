"""AWS DeepRacer's documented example reward functions (tests/data/deepracer_rewards/, pasted as a user would)
run unchanged for whole episodes in the race types they apply to, with values checked on hand-computed params."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import envs
from envs.racing import PurePursuit, load_reward, single_car
from envs.racing.physics import PARK_DISTANCE

EXAMPLES = Path(__file__).parent / "data" / "deepracer_rewards"
OBJECT_AVOIDANCE = ["closest_objects", "object_in_camera", "stay_in_one_lane"]  # they index objects_*
DIAGONAL = [(0.0, 0.0), (1.0, 1.0), (0.0, 0.0)]  # waypoints of a track heading 45 degrees
TIME_TRIAL = sorted(p.stem for p in EXAMPLES.glob("*.py") if p.stem not in OBJECT_AVOIDANCE)


def _file(name: str) -> str:
    return str(EXAMPLES / f"{name}.py")


def _race(env, speed: float) -> tuple[list[tuple[dict, float]], dict]:
    """Every learning car driven by pure pursuit until the race ends: each step's (params, reward) of every car,
    and the last infos of each."""
    env.reset(seed=0)
    driver = PurePursuit(env.actions, speed=speed)
    trace, last = [], {}
    while env.agents:  # the driver reads env.params: what the reward did to its copy must not matter
        _, rewards, _, _, infos = env.step({agent: driver.act(env, agent) for agent in env.agents})
        trace += [(infos[agent]["params"], reward) for agent, reward in rewards.items()]
        last |= infos
    return trace, last


@pytest.mark.parametrize("name", TIME_TRIAL)
def test_time_trial_example_runs_a_whole_lap_unchanged(name):
    env = single_car(reward=_file(name), max_steps=500)
    trace, last = _race(env, speed=1.0)  # 1 m/s: the community file deletes params["waypoints"] at every step
    assert last["car_0"]["laps"] == 1 and last["car_0"]["params"]["progress"] == 100.0 and len(trace) > 300
    assert all(math.isfinite(reward) for _, reward in trace)
    assert all("waypoints" in p for p, _ in trace)


@pytest.mark.parametrize("name", OBJECT_AVOIDANCE)
def test_object_avoidance_example_runs_a_race_with_bots_unchanged(name):
    env = envs.make("racing/multi-car", cars=2, bots=2, bot_speed=1.0, reward=_file(name), max_steps=500,
                    off_track="reset")  # fmt: skip
    # the cars, twice as fast as the bots, run into them and are put back on the track; the first to finish is parked
    trace, last = _race(env, speed=2.0)
    assert [info["laps"] for info in last.values()] == [1, 1]  # both cars finish, after 200 steps or so
    assert all(len(p["objects_location"]) == 3 for p, _ in trace)  # every other car and bot, parked ones too
    assert any(x >= PARK_DISTANCE for p, _ in trace for x, _ in p["objects_location"])
    assert all(math.isfinite(reward) for _, reward in trace)


def test_progress_steps_bonus_fires_at_step_100_when_ahead_of_pace():
    env = single_car(reward=_file("progress_steps"), max_steps=500)
    trace, _ = _race(env, speed=2.0)  # 100 steps at 2 m/s: 13 m of the oval's 24.6 m, ahead of 100/300 of a lap
    bonus = [i + 1 for i, (_, reward) in enumerate(trace) if reward == 11.0]
    assert bonus == [100] and {reward for _, reward in trace} == {1.0, 11.0}


@pytest.fixture(scope="module")
def params():
    """A real params dict of car_0 in a multi-car race, to edit into hand-computed cases."""
    _, infos = envs.make("racing/multi-car", cars=2, bots=1).reset(seed=0)
    return infos["car_0"]["params"]


def _case(params, **overrides):
    return {**params, "all_wheels_on_track": True, "track_width": 0.9, **overrides}


@pytest.mark.parametrize(
    ("name", "overrides", "expected"),
    [
        ("follow_center_line", {"distance_from_center": 0.05}, 1.0),
        ("follow_center_line", {"distance_from_center": 0.2}, 0.5),  # within 0.25 * 0.9
        ("follow_center_line", {"distance_from_center": 0.4}, 0.1),
        ("follow_center_line", {"distance_from_center": 0.46}, 1e-3),
        ("stay_inside_two_borders", {"distance_from_center": 0.39}, 1.0),  # 0.45 - 0.39 >= 0.05
        ("stay_inside_two_borders", {"distance_from_center": 0.41}, 1e-3),
        ("stay_inside_two_borders", {"distance_from_center": 0.0, "all_wheels_on_track": False}, 1e-3),
        ("prevent_zig_zag", {"distance_from_center": 0.05, "steering_angle": -20.0}, 0.8),
        ("prevent_zig_zag", {"distance_from_center": 0.2, "steering_angle": 15.0}, 0.5),
        ("distance_from_center", {"distance_from_center": 0.09}, 1.0),  # within 0.1 * 0.9
        ("distance_from_center", {"distance_from_center": 0.45}, 0.5),  # on the border: 0.5 * 0.9
        ("distance_from_center", {"distance_from_center": 0.46}, 1e-3),
        ("steering_angle", {"steering_angle": -20.5}, 0.8),
        ("steering_angle", {"steering_angle": 20.0}, 1.0),
        ("track_width", {"distance_from_center": 0.39}, 1.0),  # 0.45 - 0.39 >= 0.05
        ("track_width", {"distance_from_center": 0.41}, 1e-3),
        ("speed_threshold", {"speed": 0.5}, 0.5),
        ("speed_threshold", {"speed": 1.0}, 1.0),
        ("progress_steps", {"steps": 200.0, "progress": 70.0}, 11.0),  # 70 > 200 / 300 * 100
        ("progress_steps", {"steps": 200.0, "progress": 60.0}, 1.0),
        ("offtrack_penalty", {"is_offtrack": True}, -10.0),
        ("align_with_track", {"waypoints": DIAGONAL, "closest_waypoints": [0, 1], "heading": 50.0}, 1.0),  # 45 + 5
        ("align_with_track", {"waypoints": DIAGONAL, "closest_waypoints": [0, 1], "heading": 60.0}, 0.5),
        (
            "stay_in_one_lane",  # objects_distance is measured from the start line: 0.4 of it reads as close
            {"closest_objects": [0, 1], "objects_distance": [10.0, 0.4], "objects_left_of_center": [True, True],
             "is_left_of_center": True, "distance_from_center": 0.1},
            1e-3 + 1.0 + 4.0 * 0.2,
        ),
        (
            "closest_objects",  # the next object 0.6 m away in the same lane
            {"closest_objects": [1, 0], "objects_location": [[1.6, 0.1], [-3.0, 0.1]], "x": 1.0, "y": 0.1,
             "objects_left_of_center": [True, True], "is_left_of_center": True, "distance_from_center": 0.1},
            1e-3 + 1.0 + 4.0 * 0.5,
        ),
        (
            "closest_objects",  # the same, in the other lane
            {"closest_objects": [1, 0], "objects_location": [[1.6, 0.1], [-3.0, 0.1]], "x": 1.0, "y": 0.1,
             "objects_left_of_center": [False, True], "is_left_of_center": True, "distance_from_center": 0.4},
            1e-3 + 1e-3 + 4.0,
        ),
        (
            "object_in_camera",  # 0.5 m ahead, slower, oncoming (heading pi radians vs 0 degrees)
            {"object_in_camera": True, "closest_objects": [0, 1], "objects_distance": [3.0, 10.5],
             "projection_distance": 10.0, "track_length": 24.0, "speed": 2.0, "objects_speed": [1.0, 1.0],
             "objects_heading": [0.0, math.pi], "heading": 0.0},
            0.25,
        ),
    ],
)  # fmt: skip
def test_example_values_on_hand_computed_params(params, name, overrides, expected):
    reward = load_reward(_file(name))
    assert reward(_case(params, **overrides)) == pytest.approx(expected)


def test_examples_read_only_keys_the_params_have(params):
    for path in EXAMPLES.glob("*.py"):
        text = path.read_text()
        keys = {part.split('"]')[0] for part in text.split('params["')[1:]}
        assert keys and keys <= set(params), (path.name, keys - set(params))


@pytest.mark.parametrize("name", OBJECT_AVOIDANCE)
def test_object_avoidance_example_runs_an_object_avoidance_race_unchanged(name):
    env = single_car(race_type="object_avoidance", obstacles=3, reward=_file(name), max_steps=1500, off_track="reset")
    trace, last = _race(env, speed=1.5)  # pure pursuit drives into the boxes: each crash puts the car back
    assert last["car_0"]["laps"] == 1 and last["car_0"]["resets"]["crash"] >= 1
    assert all(len(p["objects_location"]) == 3 for p, _ in trace)  # the three boxes, every step
    assert all(math.isfinite(reward) for _, reward in trace)

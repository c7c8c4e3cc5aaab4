"""Racing envs: PettingZoo API, SuperSuit, rendering, pickling and the DeepRacer params."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
import supersuit as ss
from pettingzoo.test import parallel_api_test, parallel_seed_test

import envs
from envs.racing import PurePursuit, single_car
from envs.racing.params import PARAM_KEYS

OVAL_LENGTH = 12.0 + 4 * math.pi  # two 6 m straights, two half circles of radius 2 m


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("racing/single-car", {}),
        ("racing/single-car", {"action_space": "continuous", "camera": (8, 6)}),
        ("racing/multi-car", {"cars": 3, "bots": 2}),
        ("racing/multi-car", {"cars": 2, "bots": 1, "reverse": True, "track": "hairpin"}),
    ],
)
def test_parallel_api(env_id, kwargs):
    env = envs.make(env_id, max_steps=40, **kwargs)
    parallel_api_test(env, num_cycles=60)
    assert env.observation_space("car_0") is env.observation_space("car_0")


def test_seeded_random_start_is_reproducible():
    def make():
        return envs.make("racing/multi-car", cars=2, bots=1, max_steps=30, random_start=True)

    parallel_seed_test(make)
    env = make()
    starts = [env.reset(seed=seed)[1]["car_0"]["params"]["x"] for seed in (1, 2, 1)]
    assert starts[0] == starts[2] and starts[0] != starts[1]


def test_default_spaces():
    env = single_car()
    assert env.possible_agents == ["car_0"]
    assert env.observation_space("car_0").shape == (21,)
    assert env.observation_space("car_0").dtype == np.float32
    assert env.action_space("car_0").n == 15
    assert env.actions.decode(0) == (-30.0, 1.0)
    assert env.actions.decode(14) == (30.0, 3.0)
    assert env.reward_fn.source == "built-in reward 'centerline'"


def test_supersuit_vector_env():
    vec = ss.pettingzoo_env_to_vec_env_v1(envs.make("racing/single-car", max_steps=20))
    vec = ss.concat_vec_envs_v1(vec, 2, num_cpus=0, base_class="gymnasium")
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (2, 21)
    for _ in range(25):  # crosses the time limit: the vector env resets by itself
        obs, rewards, _, _, _ = vec.step(np.array([2, 2]))
    assert obs.shape == (2, 21) and rewards.shape == (2,)
    vec.close()


def test_render_rgb_array():
    env = envs.make("racing/multi-car", render_mode="rgb_array")
    env.reset(seed=0)
    image = env.render()
    assert image.shape == (400, 400, 3) and image.dtype == np.uint8
    assert (image < 128).any() and (image > 200).any()  # dark borders on a light background


def test_pickle_before_and_after_use():
    env = single_car(track="sbend")
    copy = pickle.loads(pickle.dumps(env))
    obs, _ = copy.reset(seed=0)
    env.reset(seed=0)
    again = pickle.loads(pickle.dumps(env))  # a used env pickles its description only
    assert np.array_equal(again.reset(seed=0)[0]["car_0"], obs["car_0"])


def _step_straight(env, steps):
    for _ in range(steps):
        *_, infos = env.step({agent: env.actions.encode(0.0, 1.0) for agent in env.agents})
    return infos


def test_params_keys_types_and_values_mid_track():
    env = single_car(start_positions=[3.0])  # middle of the oval's first straight
    env.reset(seed=0)
    infos = _step_straight(env, 3)
    params = infos["car_0"]["params"]
    assert set(params) == set(PARAM_KEYS)
    for key in ("all_wheels_on_track", "is_left_of_center", "is_offtrack", "is_crashed",
                "is_reversed", "object_in_camera"):  # fmt: skip
        assert type(params[key]) is bool, key
    for key in ("x", "y", "distance_from_center", "heading", "progress", "speed", "steering_angle",
                "track_width", "track_length", "projection_distance", "sim_time", "steps", "measured_speed",
                "race_progress"):  # fmt: skip
        assert type(params[key]) is float, key
    assert params["steps"] == 3.0  # the simulator's step counter is a float
    assert params["sim_time"] == pytest.approx(3 / 15)
    assert params["all_wheels_on_track"] and not params["is_offtrack"]
    assert not params["is_crashed"] and not params["is_reversed"]
    assert params["track_width"] == pytest.approx(0.9)
    assert params["track_length"] == pytest.approx(OVAL_LENGTH, rel=1e-3)  # chords of arcs
    assert params["distance_from_center"] < 0.02 and abs(params["heading"]) < 2.0
    assert params["steering_angle"] == 0.0 and params["speed"] == 1.0  # the commanded action
    assert 0.5 < params["measured_speed"] < 1.1  # what the car does after 0.2 s from rest
    # (x, y) is the car's front, 0.14 m ahead of its centre, which started at 3.0 m and went 0.1 m
    # (1 m/s is reached at the tyres' 0.5 g in 0.2 s)
    assert 3.19 < params["x"] < 3.74 and abs(params["y"]) < 0.02
    assert params["projection_distance"] == pytest.approx(params["x"], abs=0.01)
    assert params["progress"] == pytest.approx(100 * (params["x"] - 3.0) / params["track_length"], abs=0.05)
    assert params["race_progress"] == pytest.approx(params["progress"])
    assert len(params["waypoints"]) == 99 and type(params["waypoints"][0]) is tuple  # 98 + the closing point
    assert params["waypoints"][-1] == params["waypoints"][0]
    prev, nxt = params["closest_waypoints"]
    assert nxt == prev + 1 and params["waypoints"][prev][0] <= params["x"] <= params["waypoints"][nxt][0]
    assert params["closest_objects"] == [0, 0] and params["objects_location"] == []
    assert params["objects_distance_from_center"] == [] and not params["object_in_camera"]


def test_params_dicts_share_no_list():
    env = envs.make("racing/multi-car", cars=2, bots=1)
    _, infos = env.reset(seed=0)
    a, b = infos["car_0"]["params"], infos["car_1"]["params"]
    assert a["waypoints"] == b["waypoints"] and a["waypoints"] is not b["waypoints"]
    assert a["waypoints"] is not env.track.waypoint_list
    assert a["objects_location"][1] == b["objects_location"][1]  # both see the bot ...
    assert a["objects_location"][1] is not b["objects_location"][1]  # ... in lists of their own


def test_multi_car_objects_are_the_other_cars():
    env = envs.make("racing/multi-car", cars=2, bots=1)
    _, infos = env.reset(seed=0)
    params = infos["car_0"]["params"]
    assert len(params["objects_location"]) == 2  # car_1 and the bot
    for key in ("objects_heading", "objects_speed", "objects_distance",
                "objects_left_of_center"):  # fmt: skip
        assert len(params[key]) == 2
    # grid: car_0 on the start line, car_1 1 m behind; the bot 2 m ahead (MIN_DISTANCE_BETWEEN_BOT_CARS)
    behind, ahead = params["closest_objects"]
    assert (behind, ahead) == (0, 1)  # objects are [car_1, bot]
    bot_s, car_1_s = params["objects_distance"][ahead], params["objects_distance"][behind]
    assert bot_s == pytest.approx(2.0, abs=0.01)
    assert car_1_s == pytest.approx(env.track.length - 1.0, abs=0.05)
    assert params["object_in_camera"]


def test_progress_grows_monotonically_for_pure_pursuit():
    env = single_car(action_space="continuous")
    env.reset(seed=0)
    driver = PurePursuit(env.actions, speed=2.0)
    progress = [0.0]
    while env.agents:
        _, _, terminations, truncations, infos = env.step({"car_0": driver.act(env, "car_0")})
        progress.append(infos["car_0"]["params"]["progress"])
    assert terminations["car_0"] and not truncations["car_0"]
    assert np.all(np.diff(progress) >= 0.0)
    assert progress[-1] == 100.0 and infos["car_0"]["laps"] == 1


def test_connecting_prints_nothing_on_stdout(capfd):
    env = envs.make("racing/single-car")
    env.reset(seed=0)
    env.close()
    assert capfd.readouterr().out == ""  # pybullet's C-level "argv[0]=" would break --json output

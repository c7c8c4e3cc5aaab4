"""Racing rules: laps, progress, off-track, crashes, and the pure-pursuit driver on every track."""

from __future__ import annotations

import math

import numpy as np
import pytest

import envs
from envs.racing import PurePursuit, shipped_tracks, single_car
from envs.racing.params import FRONT_OFFSET, Progress
from envs.racing.rules import REVERSE_STEPS, STILL_STEPS, Counters

# DeepRacer's car (tyres mu 0.5, four wheels driven at one speed) runs wide under pure pursuit in
# the hairpin's 1.2 m bends at 2 m/s (its front 0.43 m off the centre, a wheel off); 0.14 m at 1.5
PURSUIT_SPEED = {"hairpin": 1.5}


@pytest.mark.parametrize("track", shipped_tracks())
def test_pure_pursuit_completes_a_lap_on_every_track(track):
    env = single_car(track=track, action_space="continuous", max_steps=2000)
    env.reset(seed=0)
    speed = PURSUIT_SPEED.get(track, 2.0)
    driver = PurePursuit(env.actions, speed=speed)
    steps = 0
    while env.agents:
        _, _, terminations, truncations, infos = env.step({"car_0": driver.act(env, "car_0")})
        params = infos["car_0"]["params"]
        assert params["all_wheels_on_track"] and not params["is_crashed"], (track, steps)
        steps += 1
    assert terminations["car_0"] and not truncations["car_0"]
    assert infos["car_0"]["laps"] == 1 and params["progress"] == 100.0
    lap_time = infos["car_0"]["time"]
    assert 0.9 * env.track.length / speed < lap_time < 1.2 * env.track.length / speed


def test_pure_pursuit_on_the_discrete_grid():
    env = single_car(track="oval", max_steps=1000)
    driver = PurePursuit(env.actions, speed=2.0)  # rounds to the grid's 2 m/s, +-15 degrees
    obs, infos = env.reset(seed=0)
    while env.agents:
        action = driver(obs["car_0"], infos["car_0"]["params"])
        obs, _, _, _, infos = env.step({"car_0": action})
        assert infos["car_0"]["params"]["all_wheels_on_track"]
    assert infos["car_0"]["laps"] == 1


def test_driving_straight_off_the_track_terminates_off_track():
    env = single_car(start_positions=[5.5])  # the oval turns left 0.5 m ahead
    env.reset(seed=0)
    straight = env.actions.encode(0.0, 2.0)
    steps = 0
    while env.agents and steps < 60:
        _, rewards, terminations, truncations, infos = env.step({"car_0": straight})
        steps += 1
    params = infos["car_0"]["params"]
    assert params["is_offtrack"] and not params["all_wheels_on_track"]
    assert terminations["car_0"] and not truncations["car_0"] and not params["is_crashed"]
    assert rewards["car_0"] == 1e-3 and env.agents == []
    assert 10 < steps < 40


def test_of_two_cars_that_touch_only_the_one_behind_crashes():
    env = envs.make("racing/multi-car", cars=2, bots=0, start_positions=[4.0, 1.5])
    env.reset(seed=0)
    env.world.place(0, 4.0, 0.0, 0.0)  # both on the centre line of the first straight, heading east
    env.world.place(1, 1.5, 0.0, 0.0)
    actions = {"car_0": env.actions.encode(0.0, 1.0), "car_1": env.actions.encode(0.0, 3.0)}
    for _ in range(40):
        _, _, terminations, _, infos = env.step({a: actions[a] for a in env.agents})
        if any(terminations.values()):
            break
    # the simulator's rule: a crash counts for the car behind (rollout_agent_ctrl.py)
    assert terminations == {"car_0": False, "car_1": True}
    assert infos["car_1"]["params"]["is_crashed"] and infos["car_1"]["status"] == "crashed"
    assert not infos["car_0"]["params"]["is_crashed"] and infos["car_0"]["status"] == "in_progress"
    assert not any(infos[a]["params"]["is_offtrack"] for a in ("car_0", "car_1"))
    assert env.agents == ["car_0"]
    centre_x = {a: p["x"] - FRONT_OFFSET * math.cos(math.radians(p["heading"]))
                for a, p in ((a, infos[a]["params"]) for a in ("car_0", "car_1"))}  # fmt: skip
    assert 0.3 < centre_x["car_0"] - centre_x["car_1"] < 0.6  # bumper to bumper: centres about one car length apart


def test_driving_backwards_over_the_start_line_gains_nothing():
    env = single_car(start_positions=[0.3], max_steps=100)
    _, infos = env.reset(seed=0)
    start = infos["car_0"]["params"]["race_progress"]  # the front point, 0.14 m past the start
    x, y, direction = env.track.point_at(0.3)
    env.world.place(0, x, y, direction + math.pi)  # turned round: forward is the wrong way
    forward = env.actions.encode(0.0, 1.0)
    crossed, progress = False, [0.0]
    while env.agents:  # until the reversed rule ends it, 15 steps on
        *_, infos = env.step({"car_0": forward})
        params = infos["car_0"]["params"]
        crossed |= params["closest_waypoints"][0] > 90  # behind the start line (98 waypoints)
        assert params["race_progress"] == start and infos["car_0"]["laps"] == 0
        progress.append(params["progress"])
    assert crossed and infos["car_0"]["status"] == "reversed" and len(progress) == 16
    # DeepRacer's progress falls as the car reverses, below 0 behind its start: the front point, 0.14 m behind
    # the centre of the turned car, is now projection_distance - 0.3 m from the start arc, around the loop
    assert np.all(np.diff(progress[1:]) <= 0.0) and progress[-1] < -1.0
    behind = params["projection_distance"] - params["track_length"] - 0.3
    assert progress[-1] == pytest.approx(100 * behind / params["track_length"], abs=1e-6)


def test_progress_ignores_zig_zag_and_reverse_laps():
    length = 20.0
    progress = Progress(length, np.array([0.0]), laps=1)
    car = np.array([0])
    for s in (19.5, 0.3, 19.8, 0.2, 19.0):  # back and forth over the start line
        progress.update(car, np.array([s]))
    assert progress.laps(car)[0] == 0
    assert progress.percent(car)[0] == pytest.approx(100 * 0.3 / length)
    for s in np.arange(19.0, -0.5, -0.5) % length:  # a full lap backwards
        progress.update(car, np.array([s]))
    assert progress.laps(car)[0] == 0 and progress.percent(car)[0] == pytest.approx(1.5)
    for s in np.arange(0.0, 40.5, 0.5) % length:  # then forward: it must re-cover the lap
        progress.update(car, np.array([s]))
    assert progress.laps(car)[0] == 1


def test_a_completed_lap_is_exactly_100_percent():
    progress, car = Progress(1.0, np.array([0.0]), laps=1), np.array([0])
    for k in range(1, 8):  # seven steps of 1/7 m add up to 0.99999999999999978
        progress.update(car, np.array([k / 7 % 1.0]))
    assert progress.laps(car)[0] == 1 and progress.percent(car)[0] == 100.0


def test_a_count_starts_again_from_zero_when_its_rule_fires():
    counters = Counters(np.zeros((1, 2)))
    still, back = [], []
    for _ in range(2 * max(STILL_STEPS, REVERSE_STEPS)):  # standing still and losing progress at once
        immobilized, reversed_ = counters.update([0], np.zeros((1, 2)), [-0.01], [True])
        still.append(immobilized[0])
        back.append(reversed_[0])
    assert [i + 1 for i, fired in enumerate(still) if fired] == [STILL_STEPS, 2 * STILL_STEPS]
    assert [i + 1 for i, fired in enumerate(back) if fired] == [REVERSE_STEPS, 2 * REVERSE_STEPS]
    assert counters.update([0], np.zeros((1, 2)), [-0.01], [False]) == ([False], [False])  # waiting counts 0

"""The racing car is DeepRacer's: sizes and masses read back from PyBullet, speed and steering."""

from __future__ import annotations

import math

import numpy as np
import pytest

from envs.racing import car
from envs.racing.physics import CAR_WIDTH, HALF_TRACK, WHEELBASE, World

# deepracer-simapp 01f5f015, bundle/urdf/deepracer/deepracer_single_cam.urdf
SOURCE_REAR_WHEEL = (-0.081663, 0.08105, 0.01575)  # left_rear_wheel_joint, chassis frame
SOURCE_HINGE = (0.082311, 0.079601, 0.011759)  # left_steering_hinge_joint
CHASSIS_AND_FIXED_LINKS = 5.0 + 0.3 + 2 * 0.34055  # chassis, car_body_link_v3, zed_camera_link, camera_link
ACTUAL_OVER_COMMANDED = 0.036 / 0.035  # wheel mesh radius over the simulator's speed divisor


@pytest.fixture(scope="module")
def world():
    w = World([], [], 1, np.zeros(0), 5.0)
    w.build()
    yield w
    w.close()


def _drive(world: World, steering_deg: float, speed: float, steps: int) -> list[float]:
    """Drive car 0 from rest at the origin heading +x; its speed after each control step."""
    world.place(0, 0.0, 0.0, 0.0)
    speeds = []
    for _ in range(steps):
        world.control(0, math.radians(steering_deg), speed)
        world.step()
        speeds.append(float(world.state([0]).speed[0]))
    return speeds


def _links(world: World) -> dict[str, int]:
    """Link index of each of car 0's moving links, by name."""
    c, body = world.client, world.cars[0]
    return {c.getJointInfo(body, j)[12].decode(): j for j in range(c.getNumJoints(body))}


def _chassis_frame(world: World, point: tuple[float, float, float]) -> np.ndarray:
    """A world point in the chassis (URDF link) frame of car 0."""
    c, body = world.client, world.cars[0]
    com, orientation = c.getBasePositionAndOrientation(body)
    inverse_com, _ = c.invertTransform(c.getDynamicsInfo(body, -1)[3], (0, 0, 0, 1))
    origin, turn = c.multiplyTransforms(com, orientation, inverse_com, (0, 0, 0, 1))
    to_chassis = c.invertTransform(origin, turn)
    return np.array(c.multiplyTransforms(*to_chassis, point, (0, 0, 0, 1))[0])


def test_masses_and_inertias_are_the_urdfs(world):
    c, body, names = world.client, world.cars[0], _links(world)
    assert sorted(names) == sorted([*car.REAR_WHEELS, *car.FRONT_WHEELS, *car.STEERING])  # fixed links merged
    assert c.getDynamicsInfo(body, -1)[0] == pytest.approx(CHASSIS_AND_FIXED_LINKS)
    for wheel in (*car.REAR_WHEELS, *car.FRONT_WHEELS):
        mass, _, inertia = c.getDynamicsInfo(body, names[wheel])[:3]
        assert mass == 0.34055 and inertia == pytest.approx((0.00026046, 0.00041226, 0.00026046))
        assert c.getCollisionShapeData(body, names[wheel])[0][3][:2] == pytest.approx((0.034, 0.036))  # cylinder
    for hinge in car.STEERING:
        assert c.getDynamicsInfo(body, names[hinge])[:3] == (0.1, 0.5, pytest.approx((4e-6,) * 3))
        lower, upper, effort = c.getJointInfo(body, names[hinge])[8:11]
        assert (lower, upper, effort) == (-1.0, 1.0, 10.0)
    total = sum(c.getDynamicsInfo(body, link)[0] for link in range(-1, c.getNumJoints(body)))
    assert total == pytest.approx(7.5433) == car.TOTAL_MASS


def test_wheel_positions_are_the_urdfs(world):
    world.place(0, 3.0, -2.0, 0.7)
    c, body, names = world.client, world.cars[0], _links(world)
    x, y, z = SOURCE_REAR_WHEEL
    hx, hy, hz = SOURCE_HINGE
    expected = {"left_rear_wheel": (x, y, z), "right_rear_wheel": (x, -y, z),
                "left_front_wheel": (hx, hy, hz), "right_front_wheel": (hx, -hy, hz)}  # fmt: skip
    for wheel, position in expected.items():
        world_point = c.getLinkState(body, names[wheel])[4]  # the link frame's origin: the wheel's centre
        assert _chassis_frame(world, world_point) == pytest.approx(position, abs=1e-6)
    assert WHEELBASE == pytest.approx(0.163974) and HALF_TRACK == 0.08105
    assert CAR_WIDTH == pytest.approx(0.1961)


def test_placed_car_reports_the_placed_pose(world):
    world.place(0, 3.0, -2.0, 0.7)
    state = world.state([0])
    assert state.xy[0] == pytest.approx((3.0, -2.0), abs=1e-9) and state.yaw[0] == pytest.approx(0.7)
    assert state.speed[0] == 0.0


def test_a_car_at_rest_reports_where_it_stands(world):
    # it settles pitched 1.4 degrees nose down (rear axle 4 mm higher on the chassis): base_link must
    # come through the full orientation, a heading-only offset puts it 0.85 mm behind
    speeds = _drive(world, 0.0, 0.0, 10)
    state = world.state([0])
    assert state.xy[0] == pytest.approx((0.0, 0.0), abs=1e-4) and abs(speeds[-1]) < 1e-3


@pytest.mark.parametrize(("speed", "steps"), [(1.0, 4), (2.0, 8), (4.0, 15)])
def test_car_reaches_the_simulators_speed_on_a_straight(world, speed, steps):
    # the simulator turns speed into wheel speed with a 0.035 m radius; the wheels are 0.036 m
    speeds = _drive(world, 0.0, speed, steps + 5)
    assert speeds[steps - 1] == pytest.approx(speed * ACTUAL_OVER_COMMANDED, rel=0.02)
    assert speeds[-1] == pytest.approx(speed * ACTUAL_OVER_COMMANDED, rel=0.005)
    state = world.state([0])
    assert abs(state.xy[0, 1]) < 0.02 and abs(state.yaw[0]) < 0.01  # straight ahead (3.7 m at 4 m/s)


@pytest.mark.parametrize("steering", [15.0, -15.0])
def test_steering_turns_the_car_its_way(world, steering):
    _drive(world, steering, 1.0, 15)  # one second
    state = world.state([0])
    turn = math.copysign(1.0, steering)
    assert turn * state.yaw[0] > 0.8  # left positive; about 1.1 rad/s at 1 m/s and 15 degrees
    assert turn * state.xy[0, 1] > 0.3


def test_tyres_slide_sideways_at_half_g(world):
    world.place(0, 0.0, 0.0, 0.0)
    world.step()  # settle on the ground
    world.client.resetBaseVelocity(world.cars[0], (0.0, 2.0, 0.0), (0.0, 0.0, 0.0))
    for _ in range(3):
        world.step()
    sideways = world.client.getBaseVelocity(world.cars[0])[0][1]
    assert (2.0 - sideways) / 0.2 == pytest.approx(0.5 * 9.81, rel=0.05)  # racecar.gazebo's mu 0.5


def test_lidar_does_not_see_the_cars_own_body():
    angles = np.linspace(-np.pi, np.pi, 64, endpoint=False)
    alone = World([], [], 1, angles, 5.0)
    alone.build()
    alone.place(0, 0.0, 0.0, 0.3)
    state = alone.state([0])
    assert (alone.lidar(state.xy, state.yaw) == 5.0).all()  # no ray hits its body or wheels (tops at 0.075 m)
    alone.close()


def test_all_four_tyres_carry_the_car_in_a_bend(world):
    _drive(world, 10.0, 4.0, 45)  # 3 s in a steady left bend
    c, body = world.client, world.cars[0]
    wheels = [_links(world)[name] for name in (*car.REAR_WHEELS, *car.FRONT_WHEELS)]
    load = dict.fromkeys(wheels, 0.0)
    for contact in c.getContactPoints(body, world.plane):
        load[contact[3]] += contact[9]
    # soft tyre contacts (racecar.gazebo's kp, kd) share the weight; rigid ones let a wheel lift
    assert sum(load.values()) == pytest.approx(car.TOTAL_MASS * 9.81, rel=0.1)
    assert min(load.values()) > 0.1 * sum(load.values())


def test_bot_cars_are_the_same_car_kinematic():
    two = World([], [], 2, np.zeros(0), 5.0, n_bots=1)
    two.build()
    c, (learner, bot) = two.client, two.cars
    two.place(0, 2.0, 3.0, 0.5)
    two.set_bots(np.array([[2.0, 1.0, 0.5]]))  # the same pose 2 m to the right
    assert c.getNumJoints(bot) == c.getNumJoints(learner)
    for link in range(-1, c.getNumJoints(bot)):  # the same shapes and sizes, in the same places
        shapes = [[shape[2:4] for shape in c.getCollisionShapeData(body, link)] for body in (bot, learner)]
        assert shapes[0] == shapes[1]
        bot_box, box = np.array(c.getAABB(bot, link)), np.array(c.getAABB(learner, link))
        assert bot_box == pytest.approx(box - [0.0, 2.0, 0.0], abs=1e-6)
    two.step(np.array([[2.1, 1.0, 0.5]]))  # moved by the env, not by gravity or motors: no ground contact
    state = two.state([1])
    assert state.xy[0] == pytest.approx((2.1, 1.0), abs=1e-9) and state.yaw[0] == pytest.approx(0.5)
    assert not c.getContactPoints(bot, two.plane)
    two.close()

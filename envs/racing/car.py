"""AWS DeepRacer's car as a PyBullet URDF, built from the simulator's own numbers.

Source: deepracer-simapp (commit 01f5f015), ``bundle/urdf/deepracer/deepracer_single_cam.urdf``
(links, joints, masses, inertias, steering limits), ``bundle/urdf/deepracer/racecar.gazebo``
(tyre friction), ``bundle/meshes/deepracer/*_wheel.STL`` (wheel size), the ROS 1 controllers in
``bundle/src/deepracer_simulation_environment/config/racecar_control.yaml`` (before the ROS 2
port) and ``bundle/markov/agent_ctrl/utils.py`` (``get_wheel_radius``).

==========================  ==================================================================
chassis                     5.0 kg, inertia (0.010609, 0.050409, 0.05865) kg m^2 at its origin,
                            0.023249 m above ``base_link`` (the ground point under the car)
rear wheel joints           (-0.081663, +-0.08105, 0.01575) m from the chassis, axis y
steering hinges             (0.082311, +-0.079601, 0.011759) m, axis z, +-1 rad, 10 N m;
                            0.1 kg, 4e-6 kg m^2; the front wheels turn on them
wheels                      0.34055 kg, inertia (0.00026046, 0.00041226, 0.00026046); radius
                            0.036 m and width 0.034 m (the STL meshes' extent); 10 N m motors
fixed links                 car_body_link_v3 0.3 kg at (-0.0762, 0, 2e-5), zed_camera_link and
                            camera_link 0.34055 kg each (the ROS 2 file's values; the ROS 1 file
                            had 0, 0.001, 0.001): merged into the chassis at load
tyres                       mu1 = mu2 = 0.5, kp = 1e6 N/m, kd = 1 N s/m (racecar.gazebo), as
                            PyBullet's friction, contact stiffness and damping; the chassis mu 0
==========================  ==================================================================

Wheelbase 0.163974 m, track 0.1621 m (rear; 0.159202 front), 7.5433 kg in all.

Left out: the front wheel joints' toe angles (yaw 0.0022537 and 0.0065592 rad, a CAD export's
residue that would pull the car sideways), the sensors and the visual meshes. Collision shapes:
each wheel a true cylinder of the meshes' size (PyBullet's ``URDF_USE_IMPLICIT_CYLINDER``; the
mesh's hull or the default cylinder hull cost the same per step but roll on a 0.037 m radius with
their margin, a sphere costs 15% more), the body one box: the body shell's
(``car_body_link_v3.STL``) extent in x and y, from axle height to its top, so it touches other
cars and walls, never the ground.

Drive, as the simulator does it: an action's speed v (m/s) becomes the wheel speed
v / ``COMMAND_RADIUS`` rad/s on all four wheels (``get_wheel_radius``: 0.035 m for simapp version 3
and later), so on wheels of 0.036 m the car rolls 0.036 / 0.035 = 1.029 times the action's speed.
Its wheel controllers are velocity PIDs (P = 1.0 N m s rear, 0.5 front) whose torque is capped
by the joints' 10 N m: with a time constant of a few milliseconds they hold the commanded wheel
speed wherever the tyres grip, which PyBullet's velocity motor with the same 10 N m cap does
(PyBullet's default cap of 100 rad/s on joint speed, 3.5 m/s here, is lifted: the simulator's
effort joints have none). The steering hinges get the action's angle, both the same (no Ackermann
geometry), as there; PyBullet's position motor (10 N m) turns them within a control step.

The soft tyre contacts matter: a rigid chassis on four rigid contacts is statically indeterminate,
and PyBullet's solver then lets one wheel carry nothing, which loses that tyre's grip (with the
default contacts a front wheel lifted in a steady bend and the car turned at half the rate).

What that gives (``tests/test_racing_car.py``, ``benchmarks/pursuit_laps.py``): 0 to 1 m/s in
0.2 s, tyres sliding sideways at 0.5 g, and in steady bends about 3.1-3.5 m/s^2 of lateral
acceleration at 2-3 m/s, up to 4.7 on full lock (all four wheels turn at one speed, so in a bend
some must scrub); it understeers (about 1.4 times the kinematic steering angle for a 1.2 m bend at
1.5 m/s), and on full lock at 3-4 m/s it slides and slows. A bend of radius R can be taken at
about sqrt(3.5 R) m/s: 1.7 m/s on reInvent2019's tightest (0.73 m), 4 m/s only where R > 4.5 m.
"""

from __future__ import annotations

import os
import tempfile
import zlib

CHASSIS_HEIGHT = 0.023249  # chassis origin above base_link
REAR_AXLE = (-0.081663, 0.08105, 0.01575)  # left rear wheel joint (x, y, z) from the chassis
FRONT_AXLE = (0.082311, 0.079601, 0.011759)  # left steering hinge joint
WHEEL_RADIUS = 0.036
WHEEL_WIDTH = 0.034
COMMAND_RADIUS = 0.035  # the simulator's speed -> wheel speed divisor
CHASSIS_MASS = 5.0
CHASSIS_INERTIA = (0.010609, 0.050409, 0.05865)
WHEEL_MASS = 0.34055
WHEEL_INERTIA = (0.00026046, 0.00041226, 0.00026046)
HINGE_MASS = 0.1
HINGE_INERTIA = 4e-6
BODY_MASS, BODY_INERTIA, BODY_ORIGIN = 0.3, (0.001, 0.003, 0.003), (-0.0762, 0.0, 2e-5)
CAMERA_MASS, CAMERA_INERTIA = 0.34055, WHEEL_INERTIA  # zed_camera_link and camera_link each (as given)
STEERING_LIMIT = 1.0  # rad
JOINT_EFFORT = 10.0  # N m, every wheel and hinge
WHEEL_MAX_SPEED = 1000.0  # rad/s: PyBullet caps joints at 100 (3.5 m/s here); Gazebo does not
TYRE_FRICTION = 0.5
TYRE_STIFFNESS, TYRE_DAMPING = 1e6, 1.0  # N/m, N s/m: racecar.gazebo's kp, kd
BODY_BOX = ((-0.158374, 0.165797), (-0.093855, 0.093835), (0.0168, 0.19506))  # chassis frame, m

WHEELBASE = FRONT_AXLE[0] - REAR_AXLE[0]
HALF_TRACK = REAR_AXLE[1]
TOTAL_MASS = CHASSIS_MASS + BODY_MASS + 2 * CAMERA_MASS + 4 * WHEEL_MASS + 2 * HINGE_MASS
# the moving links (PyBullet's joints), found by name; the fixed links are merged into the chassis
REAR_WHEELS = ("left_rear_wheel", "right_rear_wheel")
STEERING = ("left_steering_hinge", "right_steering_hinge")
FRONT_WHEELS = ("left_front_wheel", "right_front_wheel")


def _inertial(mass: float, inertia: tuple[float, float, float], xyz: str = "0 0 0") -> str:
    ixx, iyy, izz = inertia
    return (f'<inertial><origin xyz="{xyz}"/><mass value="{mass}"/>'
            f'<inertia ixx="{ixx}" ixy="0" ixz="0" iyy="{iyy}" iyz="0" izz="{izz}"/></inertial>')  # fmt: skip


def _joint(name: str, kind: str, parent: str, xyz: tuple[float, float, float], axis: str, extra: str = "",
           rpy: str = "0 0 0") -> str:  # fmt: skip
    x, y, z = xyz
    return (f'<joint name="{name}_joint" type="{kind}"><parent link="{parent}"/><child link="{name}"/>'
            f'<origin xyz="{x} {y} {z}" rpy="{rpy}"/><axis xyz="{axis}"/>{extra}</joint>')  # fmt: skip


def _wheel(name: str) -> str:
    cylinder = f'<cylinder radius="{WHEEL_RADIUS}" length="{WHEEL_WIDTH}"/>'
    return (f'<link name="{name}">{_inertial(WHEEL_MASS, WHEEL_INERTIA)}<collision>'
            f'<origin rpy="1.5707963 0 0"/><geometry>{cylinder}</geometry></collision></link>')  # fmt: skip


def urdf_text() -> str:
    """The car's URDF: chassis root, four wheels, two steering hinges, three fixed links."""
    (x0, x1), (y0, y1), (z0, z1) = BODY_BOX
    box = f'<box size="{x1 - x0:.6f} {y1 - y0:.6f} {z1 - z0:.6f}"/>'
    centre = f"{(x0 + x1) / 2:.6f} {(y0 + y1) / 2:.6f} {(z0 + z1) / 2:.6f}"
    limit = f'<limit effort="{JOINT_EFFORT}" velocity="100"/>'
    hinge_limit = f'<limit lower="{-STEERING_LIMIT}" upper="{STEERING_LIMIT}" effort="{JOINT_EFFORT}" velocity="100"/>'
    parts = [
        '<?xml version="1.0"?><robot name="deepracer">',
        f'<link name="chassis">{_inertial(CHASSIS_MASS, CHASSIS_INERTIA)}'
        f'<collision><origin xyz="{centre}"/><geometry>{box}</geometry></collision></link>',
        f'<link name="car_body_link_v3">{_inertial(BODY_MASS, BODY_INERTIA)}</link>',
        _joint("car_body_link_v3", "fixed", "chassis", BODY_ORIGIN, "0 0 0"),
        f'<link name="zed_camera_link">{_inertial(CAMERA_MASS, CAMERA_INERTIA, "0.019881 6.2875e-05 0.034966")}</link>',
        _joint("zed_camera_link", "fixed", "chassis", (0.091711, 0.0, 0.080023), "0 0 0", rpy="0 0.2618 0"),
        f'<link name="camera_link">{_inertial(CAMERA_MASS, CAMERA_INERTIA, "0.0005 0 0")}</link>',
        _joint("camera_link", "fixed", "zed_camera_link", (0.044755, 0.0, 0.04), "0 0 0"),
    ]
    (rx, ry, rz), (fx, fy, fz) = REAR_AXLE, FRONT_AXLE
    for side, sign in (("left", 1), ("right", -1)):
        hinge = f"{side}_steering_hinge"
        parts += [
            _wheel(f"{side}_rear_wheel"),
            _joint(f"{side}_rear_wheel", "continuous", "chassis", (rx, sign * ry, rz), "0 1 0", limit),
            f'<link name="{hinge}">{_inertial(HINGE_MASS, (HINGE_INERTIA,) * 3)}</link>',
            _joint(hinge, "revolute", "chassis", (fx, sign * fy, fz), "0 0 1", hinge_limit),
            _wheel(f"{side}_front_wheel"),
            _joint(f"{side}_front_wheel", "continuous", hinge, (0.0, 0.0, 0.0), "0 1 0", limit),
        ]
    parts.append("</robot>")
    return "\n".join(parts)


def car_urdf() -> str:
    """Path of the car's URDF, written once per content to the temporary directory."""
    text = urdf_text()
    path = os.path.join(tempfile.gettempdir(), f"repaint_deepracer_{zlib.crc32(text.encode()):08x}.urdf")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    return path

"""PyBullet layer of the racing envs: bodies, motors, lidar and contacts. It never computes rewards.

The car is AWS DeepRacer's, built from the simulator's URDF (``envs/racing/car.py``: its sizes,
masses, tyre friction and the simulator's speed-to-wheel rule): velocity motors on all four wheels,
position motors on the two steering hinges. Its reported position is the simulator's
``base_link``: the ground point under the chassis origin, 0.3 mm behind mid-wheelbase. Finished
cars are parked ``PARK_DISTANCE`` away (at rest, they still cost the solver a little).

The ground is pybullet's ``plane.urdf``. Each track border is a static triangle-mesh wall, 0.3 m
high: ``curb`` walls on the borders themselves (seen by lidar, collision with cars disabled, so
leaving the track is judged by the env, not by a bounce) and, optionally, ``barrier`` walls
``wall_margin`` metres outside the borders (real collisions: hitting one is a crash). Walls follow
polylines, closed or open (an open track's borders, or barrier stretches).

Bot cars (the last ``n_bots`` cars) are the same DeepRacer car (its shapes and sizes) with a fixed
base, no motors and no ground contact: the env moves them along their lanes every step
(``step(bots)``), as the simulator sets its bot cars' poses; they push the learning cars but nothing
pushes them; a step moves them in equal parts over its substeps. Obstacles are static boxes of the
simulator's ``box_obstacle`` size (``models/box_obstacle/model.sdf``: 0.4 m x 0.3 m x 0.25 m,
centre ``OBSTACLE_Z`` above the ground as ``agent_ctrl/constants.py`` places it). ``ghost`` lets a
car pass through the other cars (the simulator takes a car off the collision list while it serves a
penalty).

Units: metres, seconds, radians. Control runs at ``CONTROL_HZ`` (DeepRacer's 15 Hz), each
control step is ``substeps`` fixed physics steps of ``1 / (CONTROL_HZ * substeps)`` seconds.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import operator
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pybullet_data

from envs.racing import car as deepracer
from envs.racing.car import HALF_TRACK, WHEEL_RADIUS, WHEELBASE  # noqa: F401  (the car's public sizes)

CONTROL_HZ = 15.0
CAR_LENGTH = deepracer.BODY_BOX[0][1] - deepracer.BODY_BOX[0][0]  # the body shell, 0.324 m
CAR_WIDTH = 2 * (HALF_TRACK + deepracer.WHEEL_WIDTH / 2)  # across the rear wheels, 0.196 m (the shell: 0.188)
RAY_START = 0.20  # rays start this far from the car's centre: just beyond its body (corners at 0.19)
RAY_HEIGHT = 0.08
WALL_HEIGHT = 0.3
PARK_DISTANCE = 1000.0  # finished cars wait this far away, out of every ray's range
BOX_SIZE = (0.4, 0.3, 0.25)  # the simulator's box obstacle: length along its lane, width, height (m)
OBSTACLE_Z = 0.1  # height of a box's centre, as the simulator spawns it
_WHEEL_TORQUES = [deepracer.JOINT_EFFORT] * 4
_HINGE_TORQUES = [deepracer.JOINT_EFFORT] * 2
_HIT_FRACTION = operator.itemgetter(2)  # of a rayTestBatch hit
# tyre contacts as soft as Gazebo's: a rigid car on four rigid contacts lets a wheel lift and lose its grip
_SOFT_TYRES = {"contactStiffness": deepracer.TYRE_STIFFNESS, "contactDamping": deepracer.TYRE_DAMPING}

# World's constructor arguments: all that a pickled World keeps
_DESCRIPTION = ("curbs", "barriers", "n_cars", "lidar_angles", "lidar_range", "substeps", "solver_iterations",
                "n_bots", "n_obstacles")  # fmt: skip


@dataclass(frozen=True)
class Polyline:
    """The line (n, 2) a wall follows; ``closed``: back from the last point to the first."""

    points: np.ndarray
    closed: bool


@dataclass
class CarState:
    """Kinematic state of all cars, one row each (world frame)."""

    xy: np.ndarray  # (n, 2) centre position
    yaw: np.ndarray  # (n,) heading, radians
    speed: np.ndarray  # (n,) signed forward speed, m/s


@contextlib.contextmanager
def _silenced(fd: int) -> Iterator[None]:
    """Send file descriptor ``fd`` (1: stdout, 2: stderr) to /dev/null, C-level prints too, so ``--json``
    output stays parseable and a command's stderr holds only its own messages."""
    (sys.stdout if fd == 1 else sys.stderr).flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


with _silenced(2):  # importing pybullet prints a "pybullet build time: ..." banner on stderr
    pb = importlib.import_module("pybullet")
    bullet_client = importlib.import_module("pybullet_utils.bullet_client")


class World:
    """One PyBullet DIRECT client with a ground plane, border walls, ``n_cars`` DeepRacer cars (the last
    ``n_bots`` of them fixed-base bot cars) and ``n_obstacles`` boxes (parked until ``place_obstacle``).

    ``lidar_angles`` (radians, left of the heading) and ``lidar_range`` (m) define the rays.

    Nothing connects until ``build()`` (the env calls it in its first ``reset``), so a World can
    be pickled or sent to a subprocess before use.
    """

    def __init__(
        self,
        curbs: list[Polyline],
        barriers: list[Polyline],
        n_cars: int,
        lidar_angles: np.ndarray,
        lidar_range: float,
        substeps: int = 15,
        solver_iterations: int = 10,
        n_bots: int = 0,
        n_obstacles: int = 0,
    ) -> None:
        self.lidar_angles, self.lidar_range = lidar_angles, lidar_range
        self._ray_span = lidar_range - RAY_START
        unit = np.exp(1j * lidar_angles)  # ray directions in the car frame, as complex numbers
        self._ray_local = np.stack([RAY_START * unit, lidar_range * unit])[:, None, :]  # (starts/ends, 1, rays)
        self._ray_buffers: dict[int, tuple] = {}
        self.curbs = curbs
        self.barriers = barriers
        self.n_cars = n_cars
        self.substeps = substeps
        self.solver_iterations = solver_iterations
        self.n_bots, self.n_obstacles = n_bots, n_obstacles
        self.client: bullet_client.BulletClient | None = None
        self.cars: list[int] = []
        self.plane = -1
        self.barrier_ids: list[int] = []
        self.obstacle_ids: list[int] = []

    def build(self) -> None:
        """Connect and load every body (no-op when already built)."""
        if self.client is not None:
            return
        with _silenced(1):  # pybullet's C code prints "argv[0]=" on connect
            c = bullet_client.BulletClient(connection_mode=pb.DIRECT)
        self.client = c
        # bound methods of the hot calls (BulletClient's __getattr__ costs microseconds per call)
        self._motors = c.setJointMotorControlArray
        self._pose, self._velocity = c.getBasePositionAndOrientation, c.getBaseVelocity
        self._rays, self._contacts, self._step = c.rayTestBatch, c.getContactPoints, c.stepSimulation
        c.setGravity(0, 0, -9.81)
        c.setPhysicsEngineParameter(
            fixedTimeStep=1.0 / (CONTROL_HZ * self.substeps),
            numSolverIterations=self.solver_iterations,
        )
        self.plane = c.loadURDF(os.path.join(pybullet_data.getDataPath(), "plane.urdf"))
        curb_ids = [self._wall(line) for line in self.curbs]
        self.barrier_ids = [self._wall(line) for line in self.barriers]
        urdf = deepracer.car_urdf()
        # the URDF's inertias (not ones from the shapes), true cylinders (not hulls), fixed links merged
        flags = pb.URDF_USE_INERTIA_FROM_FILE | pb.URDF_USE_IMPLICIT_CYLINDER | pb.URDF_MERGE_FIXED_LINKS
        for i in range(self.n_cars):
            fixed = i >= self.n_cars - self.n_bots
            with _silenced(1):  # merging the fixed links prints its progress
                car = c.loadURDF(urdf, [PARK_DISTANCE + 10 * i, PARK_DISTANCE, 0.05], useFixedBase=fixed, flags=flags)
            if fixed:  # a bot only needs its shape: no motors, no wheel contacts (as cheap as no bot)
                joints = list(range(c.getNumJoints(car)))
                c.setJointMotorControlArray(car, joints, pb.VELOCITY_CONTROL, forces=[0.0] * len(joints))
                for link in range(-1, len(joints)):
                    c.setCollisionFilterPair(car, self.plane, link, -1, enableCollision=0)
            for link in range(-1, c.getNumJoints(car)):
                for curb in curb_ids:
                    c.setCollisionFilterPair(car, curb, link, -1, enableCollision=0)
            self.cars.append(car)
        self._find_joints(self.cars[0])
        for car in self.cars:
            for wheel in self._wheels:
                c.changeDynamics(car, wheel, lateralFriction=deepracer.TYRE_FRICTION, **_SOFT_TYRES)
                c.changeDynamics(car, wheel, maxJointVelocity=deepracer.WHEEL_MAX_SPEED)  # one call drops the other
            c.changeDynamics(car, -1, lateralFriction=0.0)
        box = c.createCollisionShape(pb.GEOM_BOX, halfExtents=[size / 2 for size in BOX_SIZE])
        self.obstacle_ids = [
            c.createMultiBody(0, box, basePosition=[PARK_DISTANCE, -PARK_DISTANCE - 10 * i, OBSTACLE_Z])
            for i in range(self.n_obstacles)
        ]

    def _find_joints(self, body: int) -> None:
        """Joint indices of the wheels and hinges (the same in every car), and each car's base frame in its
        chassis frame: the centre of mass (PyBullet's base pose is that point's), the chassis origin
        itself for a fixed-base bot."""
        assert self.client is not None
        index = {self.client.getJointInfo(body, j)[12].decode(): j for j in range(self.client.getNumJoints(body))}
        self._wheels = [index[name] for name in (*deepracer.REAR_WHEELS, *deepracer.FRONT_WHEELS)]
        self._steering = [index[name] for name in deepracer.STEERING]
        self._coms = [self.client.getDynamicsInfo(car, -1)[3] for car in self.cars]

    def _wall(self, line: Polyline) -> int:
        """A static vertical triangle-mesh wall along ``line``."""
        n = len(line.points)
        vertices = np.zeros((2 * n, 3))
        vertices[0::2, :2] = line.points
        vertices[1::2, :2] = line.points
        vertices[1::2, 2] = WALL_HEIGHT
        segments = np.arange(n if line.closed else n - 1)
        a = 2 * segments
        b = 2 * ((segments + 1) % n)
        faces = np.stack([a, b, a + 1, b, b + 1, a + 1], axis=1).reshape(-1)
        assert self.client is not None
        shape = self.client.createCollisionShape(pb.GEOM_MESH, vertices=vertices.tolist(), indices=faces.tolist())
        return self.client.createMultiBody(0, shape)

    def _base(self, car: int, x: float, y: float, yaw: float) -> tuple[float, float, float]:
        """Where PyBullet's base pose is for car ``car`` (an index) level with its ``base_link`` at (x, y),
        heading ``yaw``, 1 mm above the ground."""
        (cx, cy, cz), cos, sin = self._coms[car], math.cos(yaw), math.sin(yaw)
        return x + cx * cos - cy * sin, y + cx * sin + cy * cos, deepracer.CHASSIS_HEIGHT + cz + 0.001

    def place(self, car: int, x: float, y: float, yaw: float) -> None:
        """Put car ``car`` (an index) at rest with its centre at (x, y), heading ``yaw``."""
        assert self.client is not None
        c, body = self.client, self.cars[car]
        c.resetBasePositionAndOrientation(body, self._base(car, x, y, yaw), c.getQuaternionFromEuler((0, 0, yaw)))
        c.resetBaseVelocity(body, (0, 0, 0), (0, 0, 0))
        for joint in (*self._wheels, *self._steering):
            c.resetJointState(body, joint, 0.0, 0.0)
        self.control(car, 0.0, 0.0)

    def set_bots(self, poses: np.ndarray) -> None:
        """Put the bot cars (the last ``n_bots``) at ``poses`` (n_bots, 3): centre x, y and heading."""
        self._bot_poses = np.array(poses, dtype=float).reshape(self.n_bots, 3)
        self._pose_bots(self._bot_poses)

    def _pose_bots(self, poses: np.ndarray) -> None:
        assert self.client is not None
        reset, first = self.client.resetBasePositionAndOrientation, self.n_cars - self.n_bots
        for car, (x, y, yaw) in enumerate(poses.tolist(), start=first):
            reset(self.cars[car], self._base(car, x, y, yaw), (0.0, 0.0, math.sin(yaw / 2), math.cos(yaw / 2)))

    def place_obstacle(self, i: int, x: float, y: float, yaw: float) -> None:
        """Put box ``i`` with its centre at (x, y), its length along ``yaw``."""
        assert self.client is not None
        c = self.client
        yaw_quaternion = c.getQuaternionFromEuler((0, 0, yaw))
        c.resetBasePositionAndOrientation(self.obstacle_ids[i], (x, y, OBSTACLE_Z), yaw_quaternion)

    def ghost(self, car: int, on: bool) -> None:
        """``on``: car ``car`` passes through every other car (it still stands on the ground, hits walls
        and boxes, and rays still see it); off: it collides with them again."""
        assert self.client is not None
        c, body = self.client, self.cars[car]
        links = range(-1, c.getNumJoints(body))
        for other in self.cars:
            if other != body:
                for a in links:
                    for b in links:
                        c.setCollisionFilterPair(body, other, a, b, enableCollision=int(not on))

    def park(self, car: int) -> None:
        """Move a finished car far away and stop it, so it affects no one."""
        self.place(car, PARK_DISTANCE + 10 * car, PARK_DISTANCE, 0.0)

    def control(self, car: int, steering: float, speed: float) -> None:
        """Set the steering angle (radians, left positive) and the action's speed (m/s) targets."""
        body, omega = self.cars[car], speed / deepracer.COMMAND_RADIUS
        self._motors(body, self._wheels, pb.VELOCITY_CONTROL, targetVelocities=[omega] * 4, forces=_WHEEL_TORQUES)
        self._motors(body, self._steering, pb.POSITION_CONTROL, targetPositions=[steering, steering],
                     forces=_HINGE_TORQUES)  # fmt: skip

    def step(self, bots: np.ndarray | None = None) -> None:
        """Advance one control step (``substeps`` physics steps); ``bots`` (n_bots, 3): the bot cars' poses
        at its end, reached in equal parts, one each substep (a bot pushes a car it drives into; a
        whole step's jump would bury it in the car)."""
        step = self._step
        if bots is None or not self.n_bots:
            for _ in range(self.substeps):
                step()
            return
        start, delta = self._bot_poses, bots - self._bot_poses
        delta[:, 2] = (delta[:, 2] + np.pi) % (2 * np.pi) - np.pi
        for j in range(1, self.substeps + 1):
            self._pose_bots(start + delta * (j / self.substeps))
            step()
        self._bot_poses = np.array(bots, dtype=float)

    def state(self, cars: list[int]) -> CarState:
        """Position (``base_link``), heading and forward speed of the cars with the given indices.

        ``base_link`` is found from the chassis's centre of mass through its full orientation: at rest
        the car pitches 1.4 degrees nose down (its rear axle sits 4 mm higher on the chassis than the
        front one, on equal wheels), which a heading-only offset would turn into 0.85 mm of position.
        """
        rows = []
        for car in cars:
            body, (cx, cy, cz) = self.cars[car], self._coms[car]
            cz += deepracer.CHASSIS_HEIGHT  # base_link lies this far below the base frame, in the chassis frame
            (px, py, _), (qx, qy, qz, qw) = self._pose(body)
            vel = self._velocity(body)[0]
            # the first two rows of the rotation matrix
            r00, r01, r02 = 1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)
            r10, r11, r12 = 2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)
            yaw = math.atan2(r10, r00)
            cos, sin = math.cos(yaw), math.sin(yaw)
            x, y = px - r00 * cx - r01 * cy - r02 * cz, py - r10 * cx - r11 * cy - r12 * cz
            rows.append((x, y, yaw, vel[0] * cos + vel[1] * sin))
        table = np.array(rows, dtype=float).reshape(len(cars), 4)
        return CarState(table[:, 0:2], table[:, 2], table[:, 3])

    def lidar(self, xy: np.ndarray, yaw: np.ndarray) -> np.ndarray:
        """Distances (m, from each car's centre) along the lidar rays of each car.

        One ``rayTestBatch`` for all cars; ray k points ``lidar_angles[k]`` left of the heading,
        starts ``RAY_START`` from the centre (outside the car's own body) at ``RAY_HEIGHT`` and
        hits walls, borders and other cars. Returns (n_cars, n_rays), ``lidar_range`` where
        nothing is hit.
        """
        assert self.client is not None
        k = len(xy)
        if k not in self._ray_buffers:
            self._ray_buffers[k] = self._ray_buffer(k)
        tips, starts, ends = self._ray_buffers[k]
        np.multiply(self._ray_local, np.exp(1j * yaw)[None, :, None], out=tips)
        tips += np.ascontiguousarray(xy).view(complex)[None]  # the centres x + iy; written into the rays' x and y
        hits = self._rays(starts, ends)
        fraction = np.fromiter(map(_HIT_FRACTION, hits), float, len(hits)).reshape(k, -1)
        return RAY_START + fraction * self._ray_span

    def _ray_buffer(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points of k cars' rays (starts/ends, car, ray, xyz; z fixed at ``RAY_HEIGHT``) as the complex view of their
        (x, y) that ``lidar`` writes, and the starts and ends (k * rays, 3) it passes to PyBullet."""
        r = len(self.lidar_angles)
        points = np.full((2, k, r, 3), RAY_HEIGHT)
        xy = np.ndarray((2, k, r), dtype=complex, buffer=points, strides=(k * r * 24, r * 24, 24))
        return xy, points[0].reshape(-1, 3), points[1].reshape(-1, 3)

    def touching(self, car: int) -> set[int]:
        """Bodies (ids) the car touches besides the ground: barrier walls, boxes, other cars."""
        assert self.client is not None
        plane = self.plane
        return {contact[2] for contact in self._contacts(self.cars[car]) if contact[2] != plane}

    def crashed(self, car: int) -> bool:
        """True when the car touches anything but the ground (a barrier wall, a box or another car)."""
        return bool(self.touching(car))

    def camera(self, car: int, xy: np.ndarray, yaw: float, width: int, height: int) -> np.ndarray:
        """Grey-scale image in [0, 1], shape (height, width), from the car's front camera."""
        assert self.client is not None
        c = self.client
        eye = (xy[0] + 0.25 * np.cos(yaw), xy[1] + 0.25 * np.sin(yaw), 0.15)
        target = (xy[0] + 2.0 * np.cos(yaw), xy[1] + 2.0 * np.sin(yaw), 0.0)
        view = c.computeViewMatrix(eye, target, (0, 0, 1))
        proj = c.computeProjectionMatrixFOV(fov=90, aspect=width / height, nearVal=0.05, farVal=8)
        _, _, rgb, _, _ = c.getCameraImage(width, height, view, proj, renderer=pb.ER_TINY_RENDERER)
        rgb = np.asarray(rgb, dtype=np.float32).reshape(height, width, 4)[..., :3]
        return rgb.mean(axis=-1) / 255.0

    def close(self) -> None:
        """Disconnect the client (the World can be built again afterwards)."""
        if self.client is not None:
            self.client.disconnect()
        self.client = None
        self.cars = []
        self.barrier_ids = []
        self.obstacle_ids = []

    def __getstate__(self) -> dict:
        """Pickle the description only; a copy reconnects lazily in ``build()``."""
        return {name: getattr(self, name) for name in _DESCRIPTION}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

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

Units: metres, seconds, radians. Control runs at ``CONTROL_HZ`` (DeepRacer's 15 Hz), each
control step is ``substeps`` fixed physics steps of ``1 / (CONTROL_HZ * substeps)`` seconds.
"""

from __future__ import annotations

import contextlib
import importlib
import math
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
_WHEEL_TORQUES = [deepracer.JOINT_EFFORT] * 4
_HINGE_TORQUES = [deepracer.JOINT_EFFORT] * 2
# tyre contacts as soft as Gazebo's: a rigid car on four rigid contacts lets a wheel lift and lose its grip
_SOFT_TYRES = {"contactStiffness": deepracer.TYRE_STIFFNESS, "contactDamping": deepracer.TYRE_DAMPING}

# World's constructor arguments: all that a pickled World keeps
_DESCRIPTION = ("curbs", "barriers", "n_cars", "lidar_angles", "lidar_range", "substeps", "solver_iterations")


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
    """One PyBullet DIRECT client with a ground plane, border walls and ``n_cars`` racecars.

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
    ) -> None:
        self.lidar_angles, self.lidar_range = lidar_angles, lidar_range
        unit = np.exp(1j * lidar_angles)  # ray directions in the car frame, as complex numbers
        self._ray_local = np.stack([RAY_START * unit, lidar_range * unit])  # (2, rays)
        self._ray_buffer: dict[int, np.ndarray] = {}
        self.curbs = curbs
        self.barriers = barriers
        self.n_cars = n_cars
        self.substeps = substeps
        self.solver_iterations = solver_iterations
        self.client: bullet_client.BulletClient | None = None
        self.cars: list[int] = []
        self.plane = -1
        self.barrier_ids: list[int] = []

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
            with _silenced(1):  # merging the fixed links prints its progress
                car = c.loadURDF(urdf, [PARK_DISTANCE + 10 * i, PARK_DISTANCE, 0.05], flags=flags)
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

    def _find_joints(self, body: int) -> None:
        """Joint indices of the wheels and hinges (the same in every car), and the chassis's centre of
        mass in its own frame (PyBullet's base pose is that point's)."""
        assert self.client is not None
        index = {self.client.getJointInfo(body, j)[12].decode(): j for j in range(self.client.getNumJoints(body))}
        self._wheels = [index[name] for name in (*deepracer.REAR_WHEELS, *deepracer.FRONT_WHEELS)]
        self._steering = [index[name] for name in deepracer.STEERING]
        self._com = self.client.getDynamicsInfo(body, -1)[3]

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

    def place(self, car: int, x: float, y: float, yaw: float) -> None:
        """Put car ``car`` (an index) at rest with its centre at (x, y), heading ``yaw``."""
        assert self.client is not None
        c, body = self.client, self.cars[car]
        (cx, cy, cz), cos, sin = self._com, math.cos(yaw), math.sin(yaw)
        com = (x + cx * cos - cy * sin, y + cx * sin + cy * cos, deepracer.CHASSIS_HEIGHT + cz + 0.001)
        c.resetBasePositionAndOrientation(body, com, c.getQuaternionFromEuler((0, 0, yaw)))
        c.resetBaseVelocity(body, (0, 0, 0), (0, 0, 0))
        for joint in (*self._wheels, *self._steering):
            c.resetJointState(body, joint, 0.0, 0.0)
        self.control(car, 0.0, 0.0)

    def park(self, car: int) -> None:
        """Move a finished car far away and stop it, so it affects no one."""
        self.place(car, PARK_DISTANCE + 10 * car, PARK_DISTANCE, 0.0)

    def control(self, car: int, steering: float, speed: float) -> None:
        """Set the steering angle (radians, left positive) and the action's speed (m/s) targets."""
        body, omega = self.cars[car], speed / deepracer.COMMAND_RADIUS
        self._motors(body, self._wheels, pb.VELOCITY_CONTROL, targetVelocities=[omega] * 4, forces=_WHEEL_TORQUES)
        self._motors(body, self._steering, pb.POSITION_CONTROL, targetPositions=[steering, steering],
                     forces=_HINGE_TORQUES)  # fmt: skip

    def step(self) -> None:
        """Advance one control step (``substeps`` physics steps)."""
        step = self._step
        for _ in range(self.substeps):
            step()

    def state(self, cars: list[int]) -> CarState:
        """Centre position, heading and forward speed of the cars with the given indices."""
        rows, (cx, cy, _) = [], self._com
        for car in cars:
            body = self.cars[car]
            pos, (qx, qy, qz, qw) = self._pose(body)
            vel = self._velocity(body)[0]
            yaw = math.atan2(2 * (qw * qz + qx * qy), 1 - 2 * (qy * qy + qz * qz))
            cos, sin = math.cos(yaw), math.sin(yaw)
            rows.append((pos[0] - cx * cos + cy * sin, pos[1] - cx * sin - cy * cos, yaw,
                         vel[0] * cos + vel[1] * sin))  # fmt: skip
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
        k, r = len(xy), len(self.lidar_angles)
        centre = (xy[:, 0] + 1j * xy[:, 1])[None, :, None]
        tips = centre + self._ray_local[:, None, :] * np.exp(1j * yaw)[None, :, None]
        points = self._ray_buffer.get(k)
        if points is None:  # (starts/ends, car, ray, xyz), z fixed
            points = self._ray_buffer[k] = np.full((2, k, r, 3), RAY_HEIGHT)
        points[..., 0] = tips.real
        points[..., 1] = tips.imag
        hits = self._rays(points[0].reshape(-1, 3), points[1].reshape(-1, 3))
        fraction = np.array([hit[2] for hit in hits]).reshape(k, r)
        return RAY_START + fraction * (self.lidar_range - RAY_START)

    def crashed(self, car: int) -> bool:
        """True when the car touches anything but the ground (a barrier wall or another car)."""
        assert self.client is not None
        plane = self.plane
        return any(contact[2] != plane for contact in self._contacts(self.cars[car]))

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

    def __getstate__(self) -> dict:
        """Pickle the description only; a copy reconnects lazily in ``build()``."""
        return {name: getattr(self, name) for name in _DESCRIPTION}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

"""Vectors of a scenario's envs (``make_vec``), in this process or split into shards stepped elsewhere.

A sharded vector (``ShardedVecEnv``) has the ``envs.vector.VecEnv`` interface, so the learner does not
know where its envs step. Each shard owns a contiguous share of the envs as a local vector
(``build(num_envs, env_offset)``, i.e. ``envs.make_vec``) with its global env offset, so episode seeds,
and therefore metrics, are those of the single-process vector. A transport carries calls to the shards:
``ProcessShards`` (forked worker processes on this machine) or ``RayShards`` (Ray actors: a local Ray,
or a cluster via ``ray.init(address=...)``).

Two ways to act, both with one policy for every env and agent:

- ``ShardedVecEnv``: the learner batches the policy forward over every slot at every step, and ships
  actions to the shards and transitions back: the same numbers for any worker count or backend;
- ``SamplingVecEnv`` (``ppo.sample_in_workers``): each shard gets a copy of the policy and a seed, rolls
  the whole rollout (or plays its evaluation episodes) itself and sends it back in one message
  (``rollout.SelfSampling``). No per-step round trip (about 5 ms a step to two local Ray actors), and
  the forward passes run in parallel; the numbers then depend on the split into shards (each shard
  samples from its own seed, and a forward pass over fewer rows can round differently), so they are
  reproducible for a given worker count, and the same on processes and on Ray.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Protocol

import numpy as np
import torch
from gymnasium import spaces

import envs
from envs.vector import VecEnv
from repaint_ma.networks import ActorCritic
from repaint_ma.rollout import Policy, Rollout, cat_slots, collect, evaluate, normalized, roll
from repaint_ma.scenario import Scenario
from repaint_ma.teacher import Teacher

Build = Callable[[int, int], VecEnv]  # (num_envs, env_offset) -> a local vector


def make_vec(sc: Scenario, num_envs: int, autoreset: bool = True) -> VecEnv:
    """``num_envs`` copies of the scenario's target env (with the target reward) as one vector: in
    ``ppo.workers`` worker processes or Ray actors (``ppo.backend``), or, with no workers, in this
    process. Each process holds its envs as ``envs.make_vec`` gives them (the env's native batch where it
    has one); every way gives the same transitions."""
    ppo, kwargs = sc.ppo, sc.env_kwargs

    def build(n: int, offset: int) -> VecEnv:
        return envs.make_vec(sc.env.id, n, ppo.agent_indicator, autoreset, offset, **kwargs)

    if ppo.backend == "local" and ppo.workers == 0:
        return build(num_envs, 0)
    return sharded(build, num_envs, max(ppo.workers, 1), ppo.backend, ppo.ray_address, ppo.sample_in_workers)


def sharded(
    build: Build,
    num_envs: int,
    workers: int,
    backend: str = "local",
    address: str | None = None,
    sample_in_workers: bool = False,
) -> ShardedVecEnv:
    """``num_envs`` envs split into ``workers`` shards of consecutive envs, each built by ``build`` in a
    worker process (``backend`` "local") or a Ray actor ("ray", joining ``address`` if given)."""
    shares = np.array_split(np.arange(num_envs), min(workers, num_envs))
    transport = RayShards(build, shares, address) if backend == "ray" else ProcessShards(build, shares)
    cls = SamplingVecEnv if sample_in_workers else ShardedVecEnv
    return cls(transport, num_envs, shares)


@dataclass
class ShardState:
    """A shard's vector state after a call: what the learner-side view concatenates."""

    obs: np.ndarray
    masks: np.ndarray
    alive: np.ndarray
    finished_scores: list[float]  # scores of the episodes finished since the last reply
    running: bool


@dataclass
class ShardSpec:
    """The sizes and spaces of a shard's vector (the same for every shard)."""

    agents: list[str]
    num_agents: int
    has_mask: bool
    base_obs_dim: int
    obs_dim: int
    mask_dim: int
    action_space: spaces.Space


class Shard:
    """One worker's share of the envs; every method's reply is plain data."""

    def __init__(self, build: Build, num_envs: int, offset: int) -> None:
        self.vec = build(num_envs, offset)
        self.offset = offset
        torch.set_num_threads(1)  # as in the learner's process: one thread is faster at these sizes

    def spec(self) -> ShardSpec:
        v = self.vec
        return ShardSpec(v.agents, v.num_agents, v.has_mask, v.base_obs_dim, v.obs_dim, v.mask_dim, v.action_space)

    def _state(self) -> ShardState:
        scores = list(self.vec.finished_scores)
        self.vec.finished_scores.clear()
        return ShardState(self.vec.obs, self.vec.masks, self.vec.alive, scores, self.vec.running)

    def reset(self, seed: int) -> ShardState:
        self.vec.reset(seed)
        return self._state()

    def step(self, actions: np.ndarray) -> tuple[dict[str, np.ndarray], ShardState]:
        return self.vec.step(actions), self._state()

    def _seed_torch(self, seed: int) -> None:
        torch.manual_seed(int(np.random.SeedSequence([seed, self.offset]).generate_state(1)[0]))

    def roll(self, policy: Policy, seed: int, num_steps: int) -> tuple[Rollout, ShardState]:
        """A whole rollout of this shard's envs with ``policy`` sampling here, seeded by (seed, offset)."""
        self._seed_torch(seed)
        return roll(self.vec, num_steps, policy), self._state()

    def evaluate(self, policy: Policy, seed: int, eval_seed: int, deterministic: bool) -> list[float]:
        """``rollout.evaluate`` on this shard's envs (built without autoreset), sampling here like ``roll``."""
        self._seed_torch(seed)
        return evaluate(policy, self.vec, eval_seed, deterministic)

    def close(self) -> None:
        self.vec.close()


class Transport(Protocol):
    """Carries a method call to every shard and brings the replies back, in shard order."""

    def call_all(self, method: str, args: list[tuple]) -> list[Any]: ...

    def shared(self, obj: Any) -> Any:
        """``obj`` as an argument every shard receives (Ray: stored once, not sent per actor)."""
        ...

    def close(self) -> None: ...


class ShardedVecEnv:
    """The learner-side ``VecEnv`` over shards: one call per step reaches every shard."""

    def __init__(self, transport: Transport, num_envs: int, shares: list[np.ndarray]) -> None:
        self.transport = transport
        spec: ShardSpec = transport.call_all("spec", [()] * len(shares))[0]
        self.agents, self.num_agents, self.has_mask = spec.agents, spec.num_agents, spec.has_mask
        self.base_obs_dim, self.obs_dim, self.mask_dim = spec.base_obs_dim, spec.obs_dim, spec.mask_dim
        self.action_space = spec.action_space
        self.num_envs = num_envs
        self.num_slots = num_envs * self.num_agents
        self._bounds = np.cumsum([0, *[len(s) * self.num_agents for s in shares]])
        self.finished_scores: list[float] = []
        self.running = True

    @property
    def num_shards(self) -> int:
        return len(self._bounds) - 1

    def _gather(self, states: list[ShardState]) -> None:
        self.obs = np.concatenate([s.obs for s in states])
        self.masks = np.concatenate([s.masks for s in states])
        self.alive = np.concatenate([s.alive for s in states])
        for s in states:
            self.finished_scores.extend(s.finished_scores)
        self.running = any(s.running for s in states)

    def reset(self, seed: int) -> None:
        self._gather(self.transport.call_all("reset", [(seed,)] * self.num_shards))

    def step(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        chunks = [(actions[lo:hi],) for lo, hi in zip(self._bounds[:-1], self._bounds[1:], strict=True)]
        replies = self.transport.call_all("step", chunks)
        self._gather([state for _, state in replies])
        return {k: np.concatenate([out[k] for out, _ in replies]) for k in replies[0][0]}

    def close(self) -> None:
        self.transport.close()


class SamplingVecEnv(ShardedVecEnv):
    """A ``ShardedVecEnv`` whose shards also roll whole rollouts and play evaluation episodes with a copy
    of the policy (``rollout.SelfSampling``)."""

    def _sample_in_shards(self, method: str, policy: Policy, *args: Any) -> list[Any]:
        """``Shard.<method>(policy, seed, *args)`` on every shard; the seed comes from the learner's
        torch generator, so a run (and its resume) stays reproducible."""
        seed = int(torch.randint(2**31 - 1, ()).item())
        return self.transport.call_all(method, [(self.transport.shared(policy), seed, *args)] * self.num_shards)

    def roll(self, num_steps: int, policy: Policy) -> Rollout:
        """``rollout.roll`` in every shard at once, each sampling from its copy of ``policy``."""
        replies = self._sample_in_shards("roll", policy, num_steps)
        self._gather([state for _, state in replies])
        return cat_slots([ro for ro, _ in replies])

    def evaluate(self, policy: Policy, seed: int, deterministic: bool) -> list[float]:
        """Every shard plays its envs' evaluation episodes itself; the scores of all envs."""
        return [score for scores in self._sample_in_shards("evaluate", policy, seed, deterministic)
                for score in scores]  # fmt: skip


class _Failed:
    """A worker's exception, sent back for the learner's process to raise (one error, no worker traceback)."""

    def __init__(self, err: Exception) -> None:
        self.err = err


def _serve(conn: Connection, build: Build, num_envs: int, offset: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the learner's to handle; it closes the workers
    try:
        shard = Shard(build, num_envs, offset)
    except Exception as err:
        conn.send(_Failed(err))
        return
    while True:
        method, args = conn.recv()
        try:
            conn.send(getattr(shard, method)(*args))
        except Exception as err:
            conn.send(_Failed(err))
            return
        if method == "close":
            return


class ProcessShards:
    """Shards in forked worker processes, talking over pipes."""

    def __init__(self, build: Build, shares: list[np.ndarray]) -> None:
        ctx = mp.get_context("fork")  # env factories are closures: inherit them, don't pickle
        self.conns, self.procs = [], []
        for share in shares:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, build, len(share), int(share[0])), daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    def call_all(self, method: str, args: list[tuple]) -> list[Any]:
        for conn, a in zip(self.conns, args, strict=True):
            conn.send((method, a))
        replies = [conn.recv() for conn in self.conns]
        for reply in replies:
            if isinstance(reply, _Failed):
                raise reply.err
        return replies

    def shared(self, obj: Any) -> Any:
        return obj

    def close(self) -> None:
        self.call_all("close", [()] * len(self.conns))
        for p in self.procs:
            p.join(timeout=5)


class RayShards:
    """Shards as Ray actors. Joins ``address`` if given, else starts a local Ray."""

    def __init__(self, build: Build, shares: list[np.ndarray], address: str | None = None) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self._ray = ray
        # no CPU reservation: a run holds several vectors (train, teacher, eval) of actors at
        # once, which whole-CPU reservations would deadlock on a small cluster; SPREAD places
        # the actors over the cluster's nodes
        remote_shard = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(Shard)
        self.actors = [remote_shard.remote(build, len(share), int(share[0])) for share in shares]

    def call_all(self, method: str, args: list[tuple]) -> list[Any]:
        return self._ray.get([getattr(a, method).remote(*x) for a, x in zip(self.actors, args, strict=True)])

    def shared(self, obj: Any) -> Any:
        return self._ray.put(obj)  # an ObjectRef argument reaches the actor method as the object

    def close(self) -> None:
        self.call_all("close", [()] * len(self.actors))
        for a in self.actors:
            self._ray.kill(a)


def _serve_teacher(conn: Connection, build: Callable[[], VecEnv], teacher: Teacher, student: ActorCritic,
                   num_steps: int, reset_seed: int, torch_seed: int) -> None:  # fmt: skip
    torch.set_num_threads(1)
    torch.manual_seed(torch_seed)
    vec = build()
    vec.reset(reset_seed)
    while conn.recv() == "collect":
        conn.send(collect(vec, num_steps, student, teacher, act_with_teacher=True, normalize=False))
    vec.close()


class TeacherRollouts:
    """S~ of each iteration: ``num_steps`` vector steps of the teacher acting in the target env (rewards
    under the target reward), observations normalised with the student's statistics when handed over.

    In this process, or with ``ahead`` in a forked process that collects iteration k+1's S~ while the
    learner collects S and updates for iteration k: the teacher is frozen, so S~ never depends on the
    student, and a second core hides its env steps. Ahead, the teacher samples from its own torch
    seed (``torch_seed``), so a run's numbers differ from the in-process run's, reproducibly.
    """

    def __init__(
        self,
        build: Callable[[], VecEnv],
        teacher: Teacher,
        student: ActorCritic,
        num_steps: int,
        reset_seed: int,
        ahead: bool = False,
        torch_seed: int = 0,
    ) -> None:
        self.teacher, self.num_steps, self.ahead = teacher, num_steps, ahead
        if ahead:
            ctx = mp.get_context("fork")  # the env builder is a closure: inherit it, don't pickle
            self.conn, child = ctx.Pipe()
            args = (child, build, teacher, student, num_steps, reset_seed, torch_seed)
            self.proc = ctx.Process(target=_serve_teacher, args=args, daemon=True)
            self.proc.start()
            child.close()
            self.conn.send("collect")  # the first S~ starts now
        else:
            self.vec = build()
            self.vec.reset(reset_seed)

    def next(self, student: ActorCritic) -> Rollout:
        """This iteration's S~ (ahead: what the worker collected, and the next one is started)."""
        if self.ahead:
            ro = self.conn.recv()
            self.conn.send("collect")
        else:
            ro = collect(self.vec, self.num_steps, student, self.teacher, act_with_teacher=True, normalize=False)
        return normalized(ro, student)

    def close(self) -> None:
        if self.ahead:
            self.conn.recv()  # the S~ collected ahead for an iteration that will not come
            self.conn.send("close")
            self.proc.join(timeout=10)
        else:
            self.vec.close()

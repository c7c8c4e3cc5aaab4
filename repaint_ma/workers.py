"""Rollout workers: the envs of a vector split into shards stepped elsewhere.

``SubprocVecParallelEnv`` (worker processes on this machine) and ``RayVecParallelEnv`` (Ray
actors: a local Ray, or a cluster via ``ray.init(address=...)``) have the interface of
``VecParallelEnv`` (``obs``, ``masks``, ``alive``, ``step``, ``reset``, ...), so the learner
does not know which one it drives. Each shard owns a contiguous share of the envs as a local
vector (``build(num_envs, env_offset)``: a ``VecParallelEnv``, or the env's native batch) with its
global env offset, so episode seeds, and therefore metrics, are those of the single-process vector.

Two ways to act, both with one policy for every env and agent:

- by default the learner batches the policy forward over every slot at every step, and ships
  actions to the shards and transitions back: the same numbers for any worker count or backend;
- with ``sample_in_workers`` each shard gets a copy of the policy and a seed, rolls the whole
  rollout (or plays its evaluation episodes) itself and sends it back in one message. No per-step
  round trip (about 5 ms a step to two local Ray actors), and the forward passes run in parallel;
  the numbers then depend on the split into shards (each shard samples from its own seed, and a
  forward pass over fewer rows can round differently), so they are reproducible for a given
  worker count, and the same on processes and on Ray.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import torch

from repaint_ma.networks import ActorCritic
from repaint_ma.rollout import Rollout, VecParallelEnv, cat_slots, collect, normalized, roll
from repaint_ma.teacher import Teacher

Build = Callable[[int, int], Any]  # (num_envs, env_offset) -> a local vector (VecParallelEnv's interface)
_SPEC = ("agents", "num_agents", "has_mask", "base_obs_dim", "obs_dim", "mask_dim", "action_space")


class Shard:
    """One worker's share of the envs; every method's reply is plain data."""

    def __init__(self, build: Build, num_envs: int, offset: int) -> None:
        self.vec: VecParallelEnv = build(num_envs, offset)
        self.offset = offset
        torch.set_num_threads(1)  # as in the learner's process: one thread is faster at these sizes

    def spec(self) -> dict[str, Any]:
        return {k: getattr(self.vec, k) for k in _SPEC}

    def _state(self) -> tuple:
        scores = list(self.vec.finished_scores)
        self.vec.finished_scores.clear()
        return self.vec.obs, self.vec.masks, self.vec.alive, scores, self.vec.running

    def reset(self, seed: int) -> tuple:
        self.vec.reset(seed)
        return self._state()

    def step(self, actions: np.ndarray) -> tuple:
        out = self.vec.step(actions)
        return (out, *self._state())

    def _seed_torch(self, seed: int) -> None:
        torch.manual_seed(int(np.random.SeedSequence([seed, self.offset]).generate_state(1)[0]))

    def roll(self, policy: ActorCritic | Teacher, seed: int, num_steps: int) -> tuple:
        """A whole rollout of this shard's envs with ``policy`` sampling here, seeded by (seed, offset)."""
        self._seed_torch(seed)
        return (roll(self.vec, num_steps, policy), *self._state())

    def evaluate(self, policy: ActorCritic | Teacher, seed: int, eval_seed: int, deterministic: bool) -> list[float]:
        """``evaluate`` on this shard's envs (built without autoreset), sampling here like ``roll``."""
        from repaint_ma.evaluate import evaluate  # evaluate.py imports this module

        self._seed_torch(seed)
        return evaluate(policy, self.vec, eval_seed, deterministic)

    def close(self) -> None:
        self.vec.close()


class ShardedVecParallelEnv:
    """The learner-side view of shards; subclasses say how a call reaches every shard."""

    def __init__(self, num_envs: int, shares: list[np.ndarray], sample_in_workers: bool = False) -> None:
        self.sample_in_workers = sample_in_workers
        spec = self._call_all("spec", [()] * len(shares))[0]
        for k in _SPEC:
            setattr(self, k, spec[k])
        self.num_envs = num_envs
        self.num_slots = num_envs * self.num_agents
        self._bounds = np.cumsum([0, *[len(s) * self.num_agents for s in shares]])
        self.finished_scores: list[float] = []
        self.running = True

    def _call_all(self, method: str, args: list[tuple]) -> list[Any]:
        raise NotImplementedError

    def _shared(self, obj: Any) -> Any:
        """``obj`` as an argument every shard receives (Ray: stored once, not sent per actor)."""
        return obj

    def _gather(self, states: list[tuple]) -> None:
        self.obs = np.concatenate([s[0] for s in states])
        self.masks = np.concatenate([s[1] for s in states])
        self.alive = np.concatenate([s[2] for s in states])
        for s in states:
            self.finished_scores.extend(s[3])
        self.running = any(s[4] for s in states)

    def reset(self, seed: int) -> None:
        self._gather(self._call_all("reset", [(seed,)] * (len(self._bounds) - 1)))

    def step(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        chunks = [(actions[lo:hi],) for lo, hi in zip(self._bounds[:-1], self._bounds[1:], strict=True)]
        replies = self._call_all("step", chunks)
        self._gather([r[1:] for r in replies])
        return {k: np.concatenate([r[0][k] for r in replies]) for k in replies[0][0]}

    def _sample_in_shards(self, method: str, policy: ActorCritic | Teacher, *args: Any) -> list[Any]:
        """``Shard.<method>(policy, seed, *args)`` on every shard; the seed comes from the learner's
        torch generator, so a run (and its resume) stays reproducible."""
        seed = int(torch.randint(2**31 - 1, ()).item())
        return self._call_all(method, [(self._shared(policy), seed, *args)] * (len(self._bounds) - 1))

    def roll(self, num_steps: int, policy: ActorCritic | Teacher) -> Rollout:
        """``rollout.roll`` in every shard at once, each sampling from its copy of ``policy``: one
        message per shard and rollout instead of one per step."""
        replies = self._sample_in_shards("roll", policy, num_steps)
        self._gather([r[1:] for r in replies])
        return cat_slots([r[0] for r in replies])

    def evaluate(self, policy: ActorCritic | Teacher, eval_seed: int, deterministic: bool) -> list[float]:
        """Every shard plays its envs' evaluation episodes itself; the scores of all envs."""
        return [score for scores in self._sample_in_shards("evaluate", policy, eval_seed, deterministic)
                for score in scores]  # fmt: skip


def _split(num_envs: int, workers: int) -> list[np.ndarray]:
    return np.array_split(np.arange(num_envs), min(workers, num_envs))


def _serve(conn: Connection, build: Build, num_envs: int, offset: int) -> None:
    shard = Shard(build, num_envs, offset)
    while True:
        method, args = conn.recv()
        conn.send(getattr(shard, method)(*args))
        if method == "close":
            return


class SubprocVecParallelEnv(ShardedVecParallelEnv):
    """Shards in ``workers`` forked processes, talking over pipes."""

    def __init__(self, build: Build, num_envs: int, workers: int, sample_in_workers: bool = False) -> None:
        ctx = mp.get_context("fork")  # env factories are closures: inherit them, don't pickle
        shares = _split(num_envs, workers)
        self.conns, self.procs = [], []
        for share in shares:
            parent, child = ctx.Pipe()
            args = (child, build, len(share), int(share[0]))
            proc = ctx.Process(target=_serve, args=args, daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)
        super().__init__(num_envs, shares, sample_in_workers)

    def _call_all(self, method: str, args: list[tuple]) -> list[Any]:
        for conn, a in zip(self.conns, args, strict=True):
            conn.send((method, a))
        return [conn.recv() for conn in self.conns]

    def close(self) -> None:
        self._call_all("close", [()] * len(self.conns))
        for p in self.procs:
            p.join(timeout=5)


class RayVecParallelEnv(ShardedVecParallelEnv):
    """Shards as Ray actors. Joins ``address`` if given, else starts a local Ray."""

    def __init__(
        self, build: Build, num_envs: int, workers: int, address: str | None = None, sample_in_workers: bool = False
    ) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self._ray = ray
        # no CPU reservation: a run holds several vectors (train, teacher, eval) of actors at
        # once, which whole-CPU reservations would deadlock on a small cluster; SPREAD places
        # the actors over the cluster's nodes
        remote_shard = ray.remote(num_cpus=0, scheduling_strategy="SPREAD")(Shard)
        shares = _split(num_envs, workers)
        self.actors = [remote_shard.remote(build, len(share), int(share[0])) for share in shares]
        super().__init__(num_envs, shares, sample_in_workers)

    def _call_all(self, method: str, args: list[tuple]) -> list[Any]:
        return self._ray.get([getattr(a, method).remote(*x) for a, x in zip(self.actors, args, strict=True)])

    def _shared(self, obj: Any) -> Any:
        return self._ray.put(obj)  # an ObjectRef argument reaches the actor method as the object

    def close(self) -> None:
        self._call_all("close", [()] * len(self.actors))
        for a in self.actors:
            self._ray.kill(a)


def _serve_teacher(conn: Connection, build: Callable[[], Any], teacher: Teacher, student: ActorCritic, num_steps: int,
                   reset_seed: int, torch_seed: int) -> None:  # fmt: skip
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
        build: Callable[[], Any],
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

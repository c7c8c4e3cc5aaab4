"""Rollout workers: the envs of a ``VecParallelEnv`` split over worker processes.

``SubprocVecParallelEnv`` has the interface of ``VecParallelEnv`` (``obs``, ``masks``,
``alive``, ``step``, ``reset``, ...), so the learner does not know which one it drives. Each
worker owns a contiguous share of the envs as a ``VecParallelEnv`` (with its global env
offset, so episode seeds are those of the single-process vector) and steps it on request;
the learner batches the policy forward over every slot of every worker.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable
from multiprocessing.connection import Connection

import numpy as np
from pettingzoo import ParallelEnv

from repaint_ma.rollout import VecParallelEnv

_SPEC = ("agents", "num_agents", "has_mask", "base_obs_dim", "obs_dim", "mask_dim", "action_space")


def _state(vec: VecParallelEnv) -> tuple:
    scores = list(vec.finished_scores)
    vec.finished_scores.clear()
    return vec.obs, vec.masks, vec.alive, scores, vec.running


def _worker(conn: Connection, env_fns: list, agent_indicator: bool, autoreset: bool, offset: int) -> None:
    vec = VecParallelEnv(env_fns, agent_indicator, autoreset, env_offset=offset)
    conn.send({k: getattr(vec, k) for k in _SPEC})
    while True:
        cmd, arg = conn.recv()
        if cmd == "step":
            out = vec.step(arg)
            conn.send((out, *_state(vec)))
        elif cmd == "reset":
            vec.reset(arg)
            conn.send(_state(vec))
        else:
            vec.close()
            conn.close()
            return


class SubprocVecParallelEnv:
    """``VecParallelEnv`` over ``workers`` processes (fork); same attributes and methods."""

    def __init__(
        self,
        env_fns: list[Callable[[], ParallelEnv]],
        workers: int,
        agent_indicator: bool = False,
        autoreset: bool = True,
    ) -> None:
        ctx = mp.get_context("fork")  # env factories are closures: inherit them, don't pickle
        shares = np.array_split(np.arange(len(env_fns)), min(workers, len(env_fns)))
        self.conns, self.procs = [], []
        for share in shares:
            parent, child = ctx.Pipe()
            fns = [env_fns[i] for i in share]
            proc = ctx.Process(
                target=_worker, args=(child, fns, agent_indicator, autoreset, int(share[0])), daemon=True
            )
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)
        spec = [c.recv() for c in self.conns][-1]  # every worker reports; all are alike
        for k in _SPEC:
            setattr(self, k, spec[k])
        self.num_envs = len(env_fns)
        self.num_slots = self.num_envs * self.num_agents
        self._bounds = np.cumsum([0, *[len(s) * self.num_agents for s in shares]])
        self.finished_scores: list[float] = []
        self.running = True

    def _gather(self, states: list[tuple]) -> None:
        self.obs = np.concatenate([s[0] for s in states])
        self.masks = np.concatenate([s[1] for s in states])
        self.alive = np.concatenate([s[2] for s in states])
        for s in states:
            self.finished_scores.extend(s[3])
        self.running = any(s[4] for s in states)

    def reset(self, seed: int) -> None:
        for c in self.conns:
            c.send(("reset", seed))
        self._gather([c.recv() for c in self.conns])

    def step(self, actions: np.ndarray) -> dict[str, np.ndarray]:
        for c, lo, hi in zip(self.conns, self._bounds[:-1], self._bounds[1:], strict=True):
            c.send(("step", actions[lo:hi]))
        replies = [c.recv() for c in self.conns]
        self._gather([r[1:] for r in replies])
        return {k: np.concatenate([r[0][k] for r in replies]) for k in replies[0][0]}

    def close(self) -> None:
        for c in self.conns:
            c.send(("close", None))
        for p in self.procs:
            p.join(timeout=5)

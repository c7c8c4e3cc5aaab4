"""Scenario YAML -> typed ``Scenario``. Every error names the file, the key and what was expected.

A scenario is the user's whole interface: environment, target reward, teacher, transfer mode
and PPO settings. Unknown keys are errors (with a "did you mean"); command-line overrides
(``--set ppo.lr=1e-3``) go through the same validation.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from repaint_ma.errors import ScenarioError

MODES = ("baseline", "ks", "it", "repaint")
MAX_LAYER = 65536  # ppo.hidden: units per layer
MAX_VALUES = 1_000_000  # values in a scenario once its YAML aliases are expanded (an "alias bomb" has billions)


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, plus: ``3e-4`` is a number (YAML 1.1 wants ``3.0e-4``), and a bound on the values
    that aliases expand to."""

    def compose_document(self) -> Any:
        node = super().compose_document()
        if _expanded_size(node, {}) > MAX_VALUES:
            raise yaml.composer.ComposerError(
                None, None, f"the YAML aliases expand to more than {MAX_VALUES} values", node.start_mark
            )
        return node


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """How many values ``node`` holds with every alias expanded (each shared node counted once per use)."""
    if id(node) not in sizes:
        children = [n for item in node.value for n in (item if isinstance(item, tuple) else (item,))]
        sizes[id(node)] = 1 + sum(_expanded_size(n, sizes) for n in children) if node.id != "scalar" else 1
    return sizes[id(node)]


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
)


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


def _opt(default: Any, **meta: Any) -> Any:
    """A dataclass field with a default and validation metadata (``ge``, ``gt``, ``le``, ``choices``)."""
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class EnvSpec:
    id: str = _opt("")
    kwargs: dict[str, Any] = _opt({})


@dataclass
class TeacherSpec:
    path: str = _opt("")
    adapter: str = _opt("identity")


@dataclass
class ScheduleSpec:
    """A weight per iteration k (beta_k; the IT weight): constant ``start``; linear
    ``max(0, start - decay * (k - 1))``; exponential ``start * decay**(k - 1)``."""

    schedule: str = _opt("exponential", choices=("constant", "linear", "exponential"))
    start: float = _opt(1.0, ge=0.0)
    decay: float = _opt(0.9, ge=0.0)


@dataclass
class SelectionSpec:
    """Advantage-based selection of teacher transitions: keep A~ >= zeta, or the top fraction."""

    rule: str = _opt("threshold", choices=("threshold", "top"))
    zeta: float = _opt(0.0)
    fraction: float = _opt(0.2, gt=0.0, le=1.0)


@dataclass
class TransferSpec:
    mode: str = _opt("baseline", choices=MODES)
    beta: ScheduleSpec = field(default_factory=ScheduleSpec)
    selection: SelectionSpec = field(default_factory=SelectionSpec)
    teacher_steps: int = _opt(1024, ge=1)
    # A~ before selection, in units of the student's advantages of the same iteration (repaint.adv_in_student_units)
    adv_teacher_norm: str = _opt("student", choices=("student", "scale"))
    # alpha2 / alpha1 in the REPAINT actor update: a number (the paper), or a schedule like beta (extension)
    ins_coef: float | ScheduleSpec = _opt(1.0, ge=0.0)
    # L_ins as the mean over the kept S~ (the paper), or over all of S~ with removed samples as zero (extension)
    ins_mean: str = _opt("kept", choices=("kept", "all"))
    teacher_ahead: bool = _opt(False)  # collect S~ one iteration ahead in a second process (workers.py)


@dataclass
class PPOSpec:
    steps_per_iteration: int = _opt(2048, ge=1, le=10_000_000)
    epochs: int = _opt(10, ge=1, le=10_000)
    minibatch: int = _opt(256, ge=1)
    lr: float = _opt(3.0e-4, gt=0.0, le=1.0)
    gamma: float = _opt(0.99, ge=0.0, le=1.0)
    gae_lambda: float = _opt(0.95, ge=0.0, le=1.0)
    clip: float = _opt(0.2, gt=0.0)
    ent_coef: float = _opt(0.0, ge=0.0)
    vf_coef: float = _opt(0.5, gt=0.0)
    max_grad_norm: float = _opt(0.5, gt=0.0)
    hidden: list[int] = _opt([64, 64])
    num_envs: int = _opt(4, ge=1, le=4096)
    workers: int = _opt(0, ge=0, le=1024)  # rollout workers; 0 steps the envs in the learner's process
    backend: str = _opt("local", choices=("local", "ray"))  # where workers run: processes or Ray actors
    ray_address: str | None = _opt(None)  # join this Ray cluster (e.g. "ray://head:10001"); None: local Ray
    sample_in_workers: bool = _opt(False)  # workers roll whole rollouts with a policy copy (workers.py)
    norm_obs: bool = _opt(True)
    norm_adv: bool = _opt(True)
    agent_indicator: bool = _opt(False)
    init_log_std: float = _opt(0.0)
    anneal_lr: bool = _opt(False)


@dataclass
class TrainSpec:
    iterations: int = _opt(100, ge=1, le=10_000_000)
    target_score: float | None = _opt(None)
    eval_every: int = _opt(1, ge=1)
    eval_episodes: int = _opt(10, ge=1, le=100_000)
    eval_deterministic: bool = _opt(False)  # False: evaluate the stochastic policy as it acts
    smooth: int = _opt(3, ge=1)
    seed: int = _opt(0, ge=0)
    checkpoint_every: int = _opt(1, ge=1)


@dataclass
class Scenario:
    name: str = _opt("")
    env: EnvSpec = field(default_factory=EnvSpec)
    reward: str | dict[str, str] = _opt("default")
    teacher: TeacherSpec | None = _opt(None)
    transfer: TransferSpec = field(default_factory=TransferSpec)
    ppo: PPOSpec = field(default_factory=PPOSpec)
    train: TrainSpec = field(default_factory=TrainSpec)
    source: str = field(default="<dict>", metadata={"internal": True})
    overrides: dict[str, Any] = field(default_factory=dict, metadata={"internal": True})  # dotted, over source

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (as written to a run dir's ``config.yaml``)."""
        d = dataclasses.asdict(self)
        d.pop("source")
        d.pop("overrides")
        return d

    def override_args(self, skip: tuple[str, ...] = ()) -> list[str]:
        """``["--set", "KEY=VALUE", ...]``: the overrides this scenario was loaded with (but ``skip``), as
        command-line arguments that re-make it from its file (each value written as JSON, which YAML reads)."""
        args = []
        for key, value in self.overrides.items():
            if key not in skip:
                args += ["--set", f"{key}={json.dumps(value)}"]
        return args

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """``env.kwargs`` plus the target reward, as passed to ``envs.make``."""
        kwargs = dict(self.env.kwargs)
        if isinstance(self.reward, dict):
            kwargs["reward"] = f"{self.reward['file']}:{self.reward.get('function', 'reward_function')}"
        elif self.reward != "default":
            kwargs["reward"] = self.reward
        return kwargs


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp)).replace("typing.", "")


def _check_scalar(value: Any, tp: Any, src: str, key: str) -> Any:
    if tp is bool:
        if not isinstance(value, bool):
            raise ScenarioError(src, key, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(src, key, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ScenarioError(src, key, f"expected a number, got {value!r}")
        if (isinstance(value, int) and abs(value) > 1e300) or not math.isfinite(value):
            raise ScenarioError(src, key, f"expected a finite number, got {str(value)[:20]}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ScenarioError(src, key, f"expected a string, got {value!r}")
        return value
    raise TypeError(f"unsupported scenario field type {tp}")  # programming error, not user input


def _check_range(value: Any, meta: typing.Mapping[str, Any], src: str, key: str) -> None:
    if "choices" in meta and value not in meta["choices"]:
        close = difflib.get_close_matches(str(value), meta["choices"], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ScenarioError(src, key, f"expected one of {list(meta['choices'])}, got {value!r}{hint}")
    for op, ok, word in (
        ("ge", lambda v, b: v >= b, ">="),
        ("gt", lambda v, b: v > b, ">"),
        ("le", lambda v, b: v <= b, "<="),
    ):
        if op in meta and not ok(value, meta[op]):
            raise ScenarioError(src, key, f"expected a value {word} {meta[op]}, got {value!r}")


def _build(cls: type, data: Any, src: str, prefix: str) -> Any:
    """Validate ``data`` against dataclass ``cls`` recursively."""
    if not isinstance(data, dict):
        raise ScenarioError(src, prefix or "<top level>", f"expected a mapping, got {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ScenarioError(src, f"{prefix}{key}", f"unknown key{hint}; known keys: {', '.join(fields)}")
    values = {}
    for name, value in data.items():
        values[name] = _convert(value, hints[name], fields[name].metadata, src, f"{prefix}{name}")
    return cls(**values)


def _convert(value: Any, tp: Any, meta: typing.Mapping[str, Any], src: str, key: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _convert(value, arg, meta, src, key)
            except ScenarioError as err:
                errors.append(err.expected)
        raise ScenarioError(src, key, " or ".join(errors))
    if dataclasses.is_dataclass(tp):
        return _build(tp, value, src, key + ".")
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ScenarioError(src, key, f"expected a list of {_type_name(item_tp)}, got {value!r}")
        return [_check_scalar(v, item_tp, src, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ScenarioError(src, key, f"expected a mapping, got {value!r}")
        return dict(value)
    value = _check_scalar(value, tp, src, key)
    _check_range(value, meta, src, key)
    return value


def _check_semantics(sc: Scenario, src: str) -> None:
    """Checks that span several keys or touch the file system."""
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", sc.name) or ".." in sc.name:
        raise ScenarioError(
            src, "name", f"expected a name of letters, digits, '_', '-' and '.' (it names a folder), got {sc.name!r}"
        )
    import envs  # the registry only; no env is built here

    if sc.env.id not in envs.registered_ids():
        close = difflib.get_close_matches(sc.env.id, envs.registered_ids(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ScenarioError(
            src,
            "env.id",
            f"unknown environment {sc.env.id!r}{hint}; known: {envs.registered_ids()}",
        )
    if isinstance(sc.reward, dict):
        unknown = set(sc.reward) - {"file", "function"}
        if "file" not in sc.reward or unknown:
            raise ScenarioError(src, "reward", "expected 'default', a name, or {file: PATH, function: NAME}")
        if not Path(sc.reward["file"]).is_file():
            raise ScenarioError(src, "reward.file", f"file {sc.reward['file']!r} does not exist")
    needs_teacher = sc.transfer.mode != "baseline"
    if needs_teacher and sc.teacher is None:
        raise ScenarioError(src, "teacher", f"mode {sc.transfer.mode!r} needs a teacher: {{path: DIR}}")
    if sc.teacher is not None:
        if not Path(sc.teacher.path).is_dir():
            raise ScenarioError(src, "teacher.path", f"teacher folder {sc.teacher.path!r} does not exist")
        from repaint_ma.adapters import ADAPTERS

        if sc.teacher.adapter not in ADAPTERS:
            _check_range(sc.teacher.adapter, {"choices": tuple(ADAPTERS)}, src, "teacher.adapter")
    if sc.ppo.steps_per_iteration < sc.ppo.num_envs:
        raise ScenarioError(src, "ppo.steps_per_iteration", f"expected >= ppo.num_envs ({sc.ppo.num_envs})")
    if not sc.ppo.hidden or any(not 1 <= h <= MAX_LAYER for h in sc.ppo.hidden) or len(sc.ppo.hidden) > 64:
        raise ScenarioError(
            src, "ppo.hidden", f"expected a list of at most 64 layer sizes in 1..{MAX_LAYER}, got {sc.ppo.hidden}"
        )


def _set_path(data: dict[str, Any], dotted: str, value: Any, src: str) -> None:
    node = data
    parts = dotted.split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ScenarioError(src, dotted, f"cannot set a key inside {part!r}, which is not a mapping")
        node = child
    node[parts[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """``"ppo.lr=1e-3"`` -> ``("ppo.lr", 0.001)``; the value is read as YAML."""
    if "=" not in text:
        raise ScenarioError("--set", text, "expected KEY=VALUE, e.g. ppo.lr=1e-3")
    key, raw = text.split("=", 1)
    try:
        return key.strip(), _yaml(raw)
    except yaml.YAMLError:
        return key.strip(), raw


def from_dict(data: Any, source: str = "<dict>", overrides: dict[str, Any] | None = None) -> Scenario:
    """Validate plain data (plus dotted ``overrides``) into a ``Scenario``."""
    if not isinstance(data, dict):
        raise ScenarioError(source, "", f"expected a mapping at the top level, got {type(data).__name__}")
    data = _deep_copy(data)
    for key, value in (overrides or {}).items():
        _set_path(data, key, value, source)
    sc = _build(Scenario, data, source, "")
    sc.source, sc.overrides = source, dict(overrides or {})
    _check_semantics(sc, source)
    return sc


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file. Raises ``ScenarioError`` on any bad input."""
    src = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(src, "", f"cannot read the file ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise ScenarioError(src, "", f"not UTF-8 text (byte {err.start})") from None
    try:
        data = _yaml(text)
    except RecursionError:
        raise ScenarioError(src, "", "YAML nested too deeply") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ScenarioError(src, "", f"YAML syntax error at {line}{getattr(err, 'problem', err)}") from None
    return from_dict(data, src, overrides)

"""The ``repaint`` command: run, eval, validate, compare. The project's only argv parser.

Bad input (a scenario, a teacher, a path) prints one line and exits with code 2; no traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from repaint_ma import scenario as scenario_mod
from repaint_ma.errors import ScenarioError, UsageError, UserError, check_flag, check_out
from repaint_ma.scenario import MODES, Scenario


def _load(args: argparse.Namespace) -> Scenario:
    overrides = dict(scenario_mod.parse_override(s) for s in args.set or [])
    for key, dest in (
        ("transfer.mode", "mode"),
        ("train.seed", "seed"),
        ("train.iterations", "iterations"),
        ("ppo.workers", "workers"),
        ("ppo.backend", "backend"),
    ):
        if getattr(args, dest, None) is not None:
            overrides[key] = getattr(args, dest)
    return scenario_mod.load(args.scenario, overrides)


def _default_run_dir(sc: Scenario) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path("runs") / sc.name / f"{sc.transfer.mode}-seed{sc.train.seed}-{stamp}"


def _latest_run_dir(sc: Scenario) -> Path | None:
    found = sorted((Path("runs") / sc.name).glob(f"{sc.transfer.mode}-seed{sc.train.seed}-*"))
    return found[-1] if found else None


def _k_text(k: int | None, target: float | None) -> str:
    """K as printed: the iteration, "not reached (target T)", or "no target" when the scenario sets none."""
    if target is None:
        return "no target score set"
    return str(k) if k is not None else f"not reached (target {target:g})"


def cmd_run(args: argparse.Namespace) -> int:
    from repaint_ma.envcheck import check_env
    from repaint_ma.learner import train

    sc = _load(args)
    check_env(sc)  # a broken reward file is one line now, not a traceback at the first rollout
    run_dir = Path(args.run_dir) if args.run_dir else None
    if args.resume and run_dir is None:
        run_dir = _latest_run_dir(sc)
        if run_dir is None:
            raise UsageError(
                f"--resume: no earlier run of {sc.name} ({sc.transfer.mode}, seed {sc.train.seed}) under runs/"
            )
    run_dir = run_dir or _default_run_dir(sc)
    # the card's command re-makes the run from scratch (a resumed run ends identical to an unbroken one)
    argv = [a for a in args.argv if a != "--resume"]
    if args.resume and not args.run_dir:
        argv += ["--run-dir", str(run_dir)]
    command = "repaint " + shlex.join(argv)
    res = train(
        sc, run_dir, args.resume, not args.quiet, command, overwrite=args.overwrite, allow_changed=args.allow_changed
    )
    final = f"{res.final_score:.2f} ({res.score_means})" if res.final_score is not None else "-"
    print(f"run dir: {res.run_dir}\nfinal score: {final}")
    print(f"K (iterations to target): {_k_text(res.K, sc.train.target_score)}  wall: {res.wall_s:.0f}s")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import yaml

    from repaint_ma.learner import policy_words
    from repaint_ma.networks import load_policy
    from repaint_ma.progress import counted
    from repaint_ma.rollout import evaluate
    from repaint_ma.teacher import load_scenario_teacher, resolve_policy
    from repaint_ma.workers import make_vec

    check_flag("--episodes", args.episodes, 1)
    path = Path(args.target)
    of_teacher = path.suffix in (".yaml", ".yml")  # the scenario's teacher, in its env and under its reward
    if of_teacher:
        sc = scenario_mod.load(path)
        if sc.teacher is None:
            raise UsageError(
                f"{path}: no teacher to evaluate (give a run dir, a policy.pt or a scenario with a teacher)"
            )
    else:
        policy_file, config_file = resolve_policy(path, str(path))
        if config_file is None or config_file.name != "config.yaml":
            raise UsageError(f"{path}: expected a run dir (or its policy.pt) with policy.pt and config.yaml")
        sc = scenario_mod.from_dict(yaml.safe_load(config_file.read_text()), str(config_file))
    vec = make_vec(sc, args.episodes, autoreset=False)
    if of_teacher:
        policy, label = load_scenario_teacher(sc, vec), f"teacher {sc.teacher.path} on {sc.name}"
    else:
        policy, label = load_policy(policy_file)[0], sc.name
    # the training's evaluation rule unless told otherwise, so a run's scores and eval's agree
    deterministic = sc.train.eval_deterministic if args.deterministic is None else args.deterministic
    scores = evaluate(policy, vec, args.seed, deterministic)
    print(f"{label}: score {np.mean(scores):.2f} ± {np.std(scores):.2f} "
          f"({policy_words(deterministic)}, {counted(len(scores), 'episode')}; min {np.min(scores):.2f}, "
          f"max {np.max(scores):.2f})")  # fmt: skip
    if args.record:
        from repaint_ma.apps.replay import record

        path = Path(args.record) / f"{sc.name}-seed{args.seed}.gif"
        frames, score = record(policy, sc, args.seed, deterministic, path)
        print(f"replay: {path} ({frames} frames, evaluation episode 1, score {score:.2f})")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from repaint_ma.envcheck import check_env

    for path in args.files:
        sc = scenario_mod.load(path)
        check_env(sc)  # one env step: the reward function runs once on the env's real inputs
        if sc.teacher is not None:  # build one env to check the teacher's spaces against it (needs torch)
            from repaint_ma.teacher import load_scenario_teacher
            from repaint_ma.workers import make_vec

            vec = make_vec(dataclasses.replace(sc, ppo=dataclasses.replace(sc.ppo, workers=0)), 1)
            load_scenario_teacher(sc, vec)
            vec.close()
        print(f"{path}: ok ({sc.name}, env {sc.env.id}, mode {sc.transfer.mode})")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from repaint_ma.apps.compare import format_markdown, run_compare

    sc = _load(args)
    for mode in args.modes:
        if mode not in MODES:
            raise UsageError(f"--modes: unknown mode {mode!r}; expected some of {list(MODES)}")
    if any(m != "baseline" for m in args.modes) and sc.teacher is None:
        raise ScenarioError(sc.source, "teacher", "compare of transfer modes needs a teacher")
    out = Path(args.out) if args.out else Path("compare") / sc.name
    check_out("--out", out, folder=True)
    check_flag("--seeds", args.seeds, 1)
    check_flag("--jobs", args.jobs, 1)
    seeds = list(range(args.seed0, args.seed0 + args.seeds))
    baseline_from = Path(args.baseline_from) if args.baseline_from else None
    summary = run_compare(
        sc, out, seeds, args.modes, progress=not args.quiet, baseline_from=baseline_from, jobs=args.jobs
    )
    print(format_markdown(summary))
    print(f"written: {out}/summary.json, table.md, table.csv, table.json")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from repaint_ma.apps.report import build_report

    results = Path(args.results)
    if not any((f.parent / "table.json").is_file() for f in results.rglob("summary.json")):
        raise UsageError(f"{results}: no compare output below it (summary.json and table.json, by `repaint compare`)")
    out = Path(args.out)
    check_out("--out", out, folder=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    build_report(results, out)
    print(f"written: {out}")
    return 0


def cmd_convert_policy(args: argparse.Namespace) -> int:
    from repaint_ma.checkpoint import CHECKPOINT, convert_file

    for path in map(Path, args.paths):
        files = [path / n for n in ("policy.pt", CHECKPOINT) if (path / n).is_file()] if path.is_dir() else [path]
        if not files or not files[0].is_file():
            raise UsageError(f"{path}: no policy.pt or {CHECKPOINT} to convert")
        for file in files:
            print(f"{file}: {convert_file(file)}")
    return 0


def _command_module(sub: argparse._SubParsersAction, name: str, module: str, help_: str) -> None:
    """A sub-command that lives in its own module: ``add_arguments(parser)`` and ``main(args) -> int``."""
    mod = importlib.import_module(module)
    sp = sub.add_parser(name, help=help_, description=mod.__doc__.splitlines()[0] if mod.__doc__ else None)
    mod.add_arguments(sp)
    sp.set_defaults(func=mod.main)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="repaint", description="REPAINT transfer learning for multi-agent RL")
    sub = p.add_subparsers(dest="command", required=True)

    def scenario_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("scenario", help="scenario YAML file")
        sp.add_argument("--mode", choices=MODES, help="override transfer.mode")
        sp.add_argument("--iterations", type=int, help="override train.iterations")
        sp.add_argument("--workers", type=int, help="override ppo.workers (rollout worker processes)")
        sp.add_argument("--backend", choices=("local", "ray"), help="override ppo.backend (where workers run)")
        sp.add_argument("--set", action="append", metavar="KEY=VALUE", help="override any key, e.g. ppo.lr=1e-3")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")

    run = sub.add_parser("run", help="train one scenario")
    scenario_args(run)
    run.add_argument("--seed", type=int, help="override train.seed")
    run.add_argument("--run-dir", help="run directory (default runs/<scenario>/<mode>-seed<N>-<time>)")
    run.add_argument("--resume", action="store_true", help="continue from the run dir's last checkpoint")
    run.add_argument("--overwrite", action="store_true", help="start over in a run dir that holds a run")
    run.add_argument(
        "--allow-changed",
        action="append",
        metavar="KEY",
        help="--resume although KEY (e.g. ppo.lr) differs from the stored config (recorded in metrics.csv)",
    )
    run.set_defaults(func=cmd_run)

    ev = sub.add_parser("eval", help="evaluate a run dir or its policy.pt, or a scenario's teacher on its target")
    ev.add_argument("target", help="run dir, policy.pt, or scenario YAML (evaluates its teacher in its env)")
    ev.add_argument("--episodes", type=int, default=10, help="evaluation episodes, one per env (default 10)")
    ev.add_argument("--seed", type=int, default=0, help="evaluation seed: the same seed, the same episodes")
    act = ev.add_mutually_exclusive_group()
    act.add_argument(
        "--deterministic",
        action="store_true",
        default=None,
        help="take the most likely action (default: as the run's evaluations did, train.eval_deterministic)",
    )
    act.add_argument("--stochastic", dest="deterministic", action="store_false", default=None, help="sample actions")
    ev.add_argument(
        "--record", metavar="DIR", help="also write the first episode as an animated GIF in DIR (racing, sc2)"
    )
    ev.set_defaults(func=cmd_eval)

    va = sub.add_parser("validate", help="check scenario files without running them")
    va.add_argument("files", nargs="+", help="scenario YAML files: each is loaded, its env stepped once (the "
                    "reward function runs on real inputs) and its teacher's spaces checked")  # fmt: skip
    va.set_defaults(func=cmd_validate)

    co = sub.add_parser("compare", help="all modes x seeds, then the iterations-to-target table")
    scenario_args(co)
    co.add_argument("--seeds", type=int, default=3, help="number of seeds")
    co.add_argument("--seed0", type=int, default=0, help="first seed")
    co.add_argument("--modes", nargs="+", default=list(MODES), help=f"modes to run (default: {' '.join(MODES)})")
    co.add_argument("--out", help="compare dir (default compare/<scenario>)")
    co.add_argument("--jobs", type=int, default=1, help="runs trained at once, one process each (default 1)")
    co.add_argument(
        "--baseline-from",
        metavar="DIR",
        help="take finished baseline runs from this compare dir (its scenario must differ only in teacher/transfer)",
    )
    co.set_defaults(func=cmd_compare)
    rep = sub.add_parser("report", help="gather compare outputs into a Markdown results page")
    rep.add_argument("results", help="folder holding compare outputs (summary.json files)")
    rep.add_argument("--out", required=True, help="the Markdown file to write (its plots go beside it, in img/)")
    rep.set_defaults(func=cmd_report)
    cv = sub.add_parser(
        "convert-policy",
        help="rewrite old-format policy.pt / checkpoint.pt files in the safe format (runs their code: trusted only)",
    )
    cv.add_argument("paths", nargs="+", help="policy.pt or checkpoint.pt files, or folders holding them")
    cv.set_defaults(func=cmd_convert_policy)
    # sub-commands in their own modules (keep their top-level imports light: no torch, no envs)
    _command_module(sub, "bench", "repaint_ma.apps.bench", "benchmarks of agents on the SC2 mini-games")
    _command_module(sub, "leaderboard", "repaint_ma.apps.leaderboard", "rank racing policies and bots on tracks")
    return p


def _is_user_error(err: Exception) -> bool:
    """The library's user errors, and the envs' (a reward file, a track: ``envs`` does not import the library)."""
    from envs.errors import EnvInputError

    return isinstance(err, UserError | EnvInputError)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    args.argv = argv
    try:
        return args.func(args)
    except Exception as err:
        if not _is_user_error(err):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        again = "the same `repaint compare`" if args.command == "compare" else "`repaint run ... --resume`"
        print(f"interrupted; {again} continues from the last checkpoint", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

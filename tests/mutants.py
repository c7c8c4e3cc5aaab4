"""Break each piece of REPAINT's composition in a scratch copy of the repo; a test must fail for each.

Run by hand (not collected by pytest): ``python tests/mutants.py``. Each mutant is one textual change
to the learner or the REPAINT math (issue 19's list); the composition and math tests run on the copy
and must fail. Prints one line per mutant and exits 1 if any survives.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SRC, DST = Path(__file__).resolve().parents[1], Path(tempfile.mkdtemp()) / "repo"
L, R = "repaint_ma/learner.py", "repaint_ma/repaint.py"
MUTANTS = {
    "L_ins removed": (L, "loss = loss + ins_coef * ins_loss", "loss = loss"),
    "selection skipped": (
        L,
        "batch_tilde = {key: x[keep] for key, x in batch_tilde.items()}",
        "batch_tilde = dict(batch_tilde)",
    ),
    "selection inverted": (
        L,
        "batch_tilde = {key: x[keep] for key, x in batch_tilde.items()}",
        "batch_tilde = {key: x[~keep] for key, x in batch_tilde.items()}",
    ),
    "A~ recentred by its own mean": (R, "(adv_teacher - adv_student.mean())", "(adv_teacher - adv_teacher.mean())"),
    "rho over the student": (
        L,
        'logratio_tilde = newlogprob[m:] - batch_tilde["logprobs"][mbt_inds]',
        "logratio_tilde = newlogprob[m:] - newlogprob[m:].detach()",
    ),
    "KS term dropped": (L, "loss = loss + beta_k * ce_loss", "loss = loss"),
    "CE direction reversed": (L, "repaint.ce_loss(dist_s, teacher_dist)", "repaint.ce_loss(teacher_dist, dist_s)"),
    "critic fitted on S~": (
        L,
        "value_loss = minibatch_epochs(student, batch, None,",
        "value_loss = minibatch_epochs(student, S_tilde.flat(advantages=advantages_of(student, S_tilde, ppo)[0], "
        "returns=advantages_of(student, S_tilde, ppo)[1]), None,",
    ),
    "A~ under the critic before its fit": (
        L,
        "    value_loss = minibatch_epochs(student, batch, None,",
        "    early = advantages_of(student, S_tilde, ppo)\n    value_loss = minibatch_epochs(student, batch, None,",
    ),
    "KS weight not beta_k (update)": (L, "loss = loss + beta_k * ce_loss", "loss = loss + ce_loss"),
    "KS weight not beta_k (train)": (
        L,
        "repaint.weight_k(sc.transfer.beta, k)",
        "repaint.weight_k(sc.transfer.beta, k + 1)",
    ),
    "IT weight schedule ignored (train)": (
        L,
        "repaint.weight_k(sc.transfer.ins_coef, k)",
        "repaint.weight_k(sc.transfer.ins_coef, 1)",
    ),
    "ins_mean all ignored": (L, "        ins_coef_k *= selected_frac", "        ins_coef_k *= 1.0"),
}
EXTRA = {
    "A~ under the critic before its fit": (
        L,
        "    adv_teacher, _ = advantages_of(student, S_tilde, ppo)",
        "    adv_teacher, _ = early",
    )
}
tests = ["tests/test_repaint_composition.py", "tests/test_repaint_math.py"]
ok = True
for name, (f, old, new) in MUTANTS.items():
    if DST.exists():
        shutil.rmtree(DST)
    shutil.copytree(SRC, DST, ignore=shutil.ignore_patterns(".venv", ".git", "results", "runs", "compare", "docs"))
    for ff, o, n in [(f, old, new)] + ([EXTRA[name]] if name in EXTRA else []):
        text = (DST / ff).read_text()
        assert text.count(o) >= 1, (name, o)
        (DST / ff).write_text(text.replace(o, n, 1))
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", *tests],
        cwd=DST,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(DST), "PATH": "/usr/bin"},
    )
    failed = r.returncode != 0
    ok &= failed
    err = next((line for line in r.stdout.splitlines() if line.startswith("E ")), "")[:110]
    print(f"{'caught' if failed else 'MISSED'}: {name}: {err}")
sys.exit(0 if ok else 1)

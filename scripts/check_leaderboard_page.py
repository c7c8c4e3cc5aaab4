"""Check a leaderboard page in headless Chromium: ``python scripts/check_leaderboard_page.py DIR``.

DIR is a ``repaint leaderboard --out DIR`` folder. The page ``DIR/index.html`` must load with no
console message (Chromium logs ``console.error`` and uncaught exceptions as ``CONSOLE`` lines), no
script error or image that failed to load (the page counts those in ``<html data-errors>``), its
script must have run (``<body data-ready="yes">``), and it must show one table row per entry and
track of ``DIR/leaderboard.json``. Prints ``ok: ...`` and exits 0, or prints each problem and exits 1.
Needs Chromium (Debian: ``apt-get install chromium``); ``--chromium PATH`` picks the binary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
    "--dump-dom",
]  # fmt: skip


class Page(HTMLParser):
    """The marks a rendered page carries: ``<html>``'s and ``<body>``'s attributes, and the table rows."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: dict[str, str | None] = {}
        self.rows: list[tuple[str | None, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("html", "body"):
            self.marks |= {k: v for k, v in found.items() if k.startswith("data-")}
        elif tag == "tr" and "data-entry" in found:
            self.rows.append((found.get("data-track"), found["data-entry"]))


def check(out: Path, chromium: str = "/usr/bin/chromium") -> list[str]:
    """The problems of the page ``out/index.html`` (empty: it passed)."""
    page = (out / "index.html").resolve()
    expected = sorted((row["track"], row["entry"]) for row in json.loads((out / "leaderboard.json").read_text()))
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", page.as_uri()], capture_output=True, text=True, timeout=120
        )
    problems = [f"console: {line}" for line in run.stderr.splitlines() if ":CONSOLE" in line]
    if run.returncode != 0:
        problems.append(f"chromium exited with {run.returncode}: {run.stderr[-500:]}")
    dom = Page()
    dom.feed(run.stdout)
    if dom.marks.get("data-ready") != "yes":
        problems.append("the page's script did not run to its end (no data-ready)")
    if dom.marks.get("data-errors"):
        problems.append(f"{dom.marks['data-errors']} script errors or images that failed to load")
    if sorted(dom.rows) != expected:
        problems.append(f"rows shown {sorted(dom.rows)}, expected {expected}")
    if dom.marks.get("data-rows") != str(len(expected)):
        problems.append(f"the script counted {dom.marks.get('data-rows')} rows, expected {len(expected)}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a `repaint leaderboard --out` folder")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium binary")
    args = parser.parse_args()
    problems = check(args.out, args.chromium)
    for problem in problems:
        print(problem)
    if not problems:
        entries = len(json.loads((args.out / "leaderboard.json").read_text()))
        print(f"ok: {args.out / 'index.html'} shows all {entries} rows, no console message, no error")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""The leaderboard as one HTML page: ``repaint leaderboard --out DIR`` writes ``DIR/index.html``.

Per track: the ranking table (click a column header to sort by it, again to reverse), the track's
driven lines (the PNG beside it) and, with ``--record``, each entry's replay (GIF). The page is
self-contained: inline CSS and JavaScript, images referenced by relative paths, no server. On load
its script sorts each table by rank and marks ``<body>`` with ``data-ready`` and the number of rows
shown (``data-rows``); a script error or an image that fails to load is counted in ``<html>``'s
``data-errors``.
``scripts/check_leaderboard_page.py`` opens the page in headless Chromium and checks those marks.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
td.entry, th.entry { text-align: left; }
th { background: #eee; cursor: pointer; user-select: none; }
th[data-dir="1"]::after { content: " \\25B2"; }
th[data-dir="-1"]::after { content: " \\25BC"; }
figure { display: inline-block; vertical-align: top; margin: 0 1em 1em 0; }
figcaption { font-size: 0.85em; text-align: center; }
"""

# Errors first (before any image loads): script errors and failed images count in data-errors.
WATCH = """
var errors = 0;
window.addEventListener("error", function () {
  errors += 1;
  document.documentElement.dataset.errors = errors;
}, true);
"""

SORT = """
function cellValue(row, col) {
  var v = row.cells[col].dataset.v;
  var n = parseFloat(v);
  return v === "" ? null : (isNaN(n) ? v : n);
}
function sortTable(table, col, dir) {
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var x = cellValue(a, col), y = cellValue(b, col);
    if (x === y) return 0;
    if (x === null) return 1;  // empty cells last, either way
    if (y === null) return -1;
    return (x < y ? -1 : 1) * dir;
  });
  rows.forEach(function (row) { body.appendChild(row); });
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.dataset.dir = i === col ? dir : "";
  });
}
var shown = 0;
document.querySelectorAll("table.board").forEach(function (table) {
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.addEventListener("click", function () { sortTable(table, col, th.dataset.dir === "1" ? -1 : 1); });
  });
  sortTable(table, 0, 1);  // by rank
  shown += table.tBodies[0].rows.length;
});
document.body.dataset.rows = shown;
document.body.dataset.ready = "yes";
"""


def _cell(column: str, value: Any) -> str:
    text = "-" if value is None else str(value)
    sort_value = "" if value is None else str(value)
    cls = ' class="entry"' if column == "entry" else ""
    return f'<td{cls} data-v="{escape(sort_value)}">{escape(text)}</td>'


def write_page(
    out: Path, board: dict[str, list[dict[str, Any]]], race_kind: str, columns: list[str],
    images: dict[str, Path], replays: dict[tuple[str, int], Path],
) -> Path:  # fmt: skip
    """Write ``out/index.html`` for ``board`` (per track, the ranked rows with ``columns``); ``images``: each
    track's driven-lines PNG, ``replays``: the GIF of each ``(track, rank)``. Returns the page's path."""
    page = out / "index.html"

    def link(path: Path) -> str:
        return escape(Path(os.path.relpath(path, out)).as_posix())

    sections = []
    for track, rows in board.items():
        head = "".join(f'<th class="{escape(c)}">{escape(c)}</th>' for c in columns)
        body = []
        for row in rows:
            cells = "".join(_cell(c, row[c]) for c in columns)
            body.append(f'<tr data-track="{escape(track)}" data-entry="{escape(row["entry"])}">{cells}</tr>')
        figures = [f'<figure><img src="{link(images[track])}" alt="driven lines on {escape(track)}" width="480">'
                   "<figcaption>driven lines (each entry's best run)</figcaption></figure>"]  # fmt: skip
        figures += [
            f'<figure><img src="{link(replays[track, row["rank"]])}" alt="replay of {escape(row["entry"])}">'
            f"<figcaption>{row['rank']}. {escape(row['entry'])}</figcaption></figure>"
            for row in rows
            if (track, row["rank"]) in replays
        ]
        sections.append(
            f"<h2>{escape(track)} ({escape(race_kind)})</h2>\n"
            f'<table class="board"><thead><tr>{head}</tr></thead><tbody>\n' + "\n".join(body) + "\n</tbody></table>\n"
            + "\n".join(figures)
        )  # fmt: skip
    page.write_text(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>repaint leaderboard</title>\n"
        f"<style>{STYLE}</style>\n<script>{WATCH}</script></head>\n<body>\n<h1>Leaderboard</h1>\n"
        "<p>Click a column header to sort by it. Times are simulated race time.</p>\n"
        + "\n".join(sections) + f"\n<script>{SORT}</script>\n</body></html>\n"
    )  # fmt: skip
    return page

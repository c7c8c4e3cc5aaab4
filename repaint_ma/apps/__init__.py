"""The ``repaint`` command's applications, on top of the library: cli (the only argv parser), compare,
report, leaderboard, bench. The library (``repaint_ma``) never imports from here."""

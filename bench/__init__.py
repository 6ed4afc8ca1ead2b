"""Benchmarks of the callbot core (design §8.5): the figures behind the issue's targets.

This page is about the core's benchmark (`python -m bench`). The platform benchmarks run the
bot as its own process against the loopback fakes: `python -m bench.discord_bench` (a click
burst and memory with 1,000 servers), `python -m bench.slack_bench` (a burst of signed clicks
on one HTTP replica) and `python -m bench.fanout_bench` (one alert due in 1,000 channels,
posted by the scheduler under Discord's rate limit); see their docstrings. `make bench` runs
all four.

Run them with ``make bench`` or ``python -m bench`` from the repository root::

    python -m bench                                     # both databases, full size
    python -m bench --data ../shared/data/congress      # with the real congress data
    python -m bench --scale 0.01 --databases sqlite     # a quick run

What is measured, on SQLite and on PostgreSQL, through the real services and a `Core` built by
`start_core`: call-session start, outcome recording next to the raw insert rate of the same
database, the tally of one community and of all, the leaderboard, and peak memory; plus,
without a database, the ZIP lookup and the congress data load. The dataset (1,000 communities,
100,000 members, 1,000,000 call outcomes and 100,000 pledges at ``--scale 1``) is generated
deterministically and bulk-loaded first; its generation time is reported too.

Congress data comes from ``--data DIR`` (a folder with ``legislators-current.json``,
``legislators-district-offices.json`` and ``zccd.csv``), else ``$CALLBOT_DATA_DIR/congress``,
else the tiny test fixture (the report then says that load time and ZIP lookup are not
representative). In this checkout the full data is passed as ``--data ../shared/data/congress``;
the benchmark only reads that folder and copies it into a temporary directory.

PostgreSQL runs in a dedicated database (``callbot_bench`` by default, created when missing);
its ``public`` schema is dropped and rebuilt, so the benchmark refuses any database whose name
does not contain "bench". An unreachable server is reported as skipped, with the reason.

Results go to ``bench/results/report.json`` (every figure, its target and whether it was met)
and ``bench/results/report.md`` (the same as tables), which is also printed at the end.
"""

"""Coverage-guided fuzz targets (atheris) for every parser that reads bytes from outside.

One module per target; each exposes ``TARGET`` (a :class:`fuzz.harness.Target`) and runs
under atheris as ``python -m fuzz.<module> [libFuzzer flags] [corpus folder]``.
``bench/fuzz.py`` runs them all; ``tests/fuzz`` runs a short pass in ``make test``.
"""

# Every target, in the order bench/fuzz.py runs them (module fuzz/fuzz_<name>.py each).
TARGETS = ("idx", "checkpoint", "safe_pickle", "config", "text", "csv_upload")

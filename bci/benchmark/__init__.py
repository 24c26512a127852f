"""Benchmarks of many pipelines over many recordings: ``bci benchmark SPEC.toml``.

A SPEC (:mod:`~bci.benchmark.spec`) names pipelines, datasets (folders, glob patterns,
BIDS roots) and an evaluation scheme; :mod:`~bci.benchmark.splits` turns them into
units of one pipeline x subject x split; :mod:`~bci.benchmark.unit` trains and scores a
unit with the code of ``bci train`` and ``bci evaluate``; :mod:`~bci.benchmark.store`
keeps one record per unit named by its content hash; :mod:`~bci.benchmark.schedulers`
runs units here, on joblib processes or on Dask; :mod:`~bci.benchmark.tables`,
:mod:`~bci.benchmark.stats` and :mod:`~bci.benchmark.plots` summarise them.
"""

from bci.benchmark.errors import ResultStoreError, SchedulerError, SpecError
from bci.benchmark.runner import BenchmarkResult, run_benchmark
from bci.benchmark.spec import BenchmarkSpec, load_spec, parse_spec
from bci.benchmark.unit import Part, Unit, run_unit

__all__ = ["BenchmarkResult", "BenchmarkSpec", "Part", "ResultStoreError", "SchedulerError",
           "SpecError", "Unit", "load_spec", "parse_spec", "run_benchmark", "run_unit"]

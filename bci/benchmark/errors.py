"""What can go wrong in a benchmark, each as one line the command line prints."""

from __future__ import annotations

from bci.errors import BciError, ConfigError


class SpecError(ConfigError):
    """A benchmark SPEC is malformed or names a pipeline, dataset or file that is missing."""


class ResultStoreError(BciError, ValueError):
    """A result folder cannot be used: written by a newer bci, or not a result folder."""


class SchedulerError(BciError, RuntimeError):
    """The scheduler (joblib, a Dask cluster) cannot be started or reached."""


__all__ = ["ResultStoreError", "SchedulerError", "SpecError"]

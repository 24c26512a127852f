"""Running units: in this process, on joblib worker processes, or on a Dask cluster.

bci has no scheduler of its own. Each backend takes the same picklable units and the
same function, and hands every result back to the caller as soon as it exists (so the
caller can store it before the next one arrives):

- ``sequential``: one after the other, here;
- ``joblib``: ``--jobs N`` loky worker processes on this machine;
- ``local``: a ``dask.distributed.LocalCluster`` of N single-threaded worker processes;
- ``tcp://HOST:PORT`` (or ``tls://``): a running ``dask.distributed`` scheduler, e.g. one
  started by ``dask-jobqueue`` on a SLURM cluster (``docs/benchmarks/README.md``).

Every worker runs one unit at a time on one thread, with BLAS capped to one thread (the
units cap it themselves too), so ``--jobs 2`` on two cores does not oversubscribe them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from bci.benchmark.errors import SchedulerError

#: Seconds to wait for a Dask scheduler address to answer before giving up.
CONNECT_TIMEOUT = 5.0

#: Environment of worker processes: native thread pools of one thread each.
ONE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                  "BLIS_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
                  "NUMEXPR_NUM_THREADS": "1"}

OnResult = Callable[[Any, Any], None]
OnError = Callable[[Any, BaseException], Any]


def resolve(jobs: int, scheduler: str | None) -> str:
    """The backend for ``--jobs`` and ``--scheduler``: see the module's docstring.

    ``--jobs 1`` without a scheduler runs here; more jobs without one start a Dask
    ``LocalCluster`` (the path that scales to a cluster unchanged).
    """
    if jobs < 1:
        raise SchedulerError(f"--jobs {jobs}: use 1 or more")
    if scheduler is None:
        return "sequential" if jobs == 1 else "local"
    if scheduler in ("sequential", "joblib", "local"):
        return scheduler
    if scheduler.startswith(("tcp://", "tls://")):
        return scheduler
    raise SchedulerError(f"--scheduler {scheduler}: use local, joblib, sequential or the "
                         "address of a Dask scheduler, tcp://HOST:PORT")


def run_sequential(tasks: Sequence, fn: Callable, on_result: OnResult) -> None:
    """Run each task here, in order."""
    for task in tasks:
        on_result(task, fn(task))


def _indexed(index: int, fn: Callable, task: Any) -> tuple[int, Any]:
    return index, fn(task)


def run_joblib(tasks: Sequence, fn: Callable, on_result: OnResult, *, jobs: int) -> None:
    """Run the tasks on ``jobs`` loky processes, results handed back as they finish."""
    from joblib import Parallel, delayed, parallel_config
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    try:
        with parallel_config(backend="loky", n_jobs=jobs, inner_max_num_threads=1):
            results = Parallel(return_as="generator_unordered")(
                delayed(_indexed)(i, fn, task) for i, task in enumerate(tasks))
            for index, result in results:
                on_result(tasks[index], result)
    except TerminatedWorkerError as err:
        # joblib cannot say which task killed its worker, nor go on without it.
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise SchedulerError(f"a joblib worker died ({first}): the results so far are kept; "
                             "rerun to resume, or use --scheduler local (Dask records the "
                             "unit that kills a worker as failed and goes on)") from None


def _connect(address: str):
    from distributed import Client

    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise SchedulerError(f"no Dask scheduler answers at {address} within "
                             f"{CONNECT_TIMEOUT:.0f} s ({type(err).__name__}): start one "
                             "(dask scheduler) or check the address") from None


def _local_cluster(jobs: int):
    from distributed import Client, LocalCluster

    try:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR,
                               env=ONE_THREAD_ENV)
    except Exception as err:
        raise SchedulerError(f"could not start a local Dask cluster of {jobs} workers "
                             f"({type(err).__name__}: {err}): try --scheduler joblib") from None
    return cluster, Client(cluster, set_as_default=False)


def run_dask(tasks: Sequence, fn: Callable, on_result: OnResult, on_error: OnError, *,
             jobs: int, address: str | None = None) -> None:
    """Run the tasks on a Dask cluster: a new LocalCluster, or the one at ``address``.

    A task whose worker dies (or that cannot be unpickled there) comes back through
    ``on_error``; the others go on.
    """
    from distributed import as_completed

    cluster = None
    if address is None:
        cluster, client = _local_cluster(jobs)
    else:
        client = _connect(address)
    try:
        futures = client.map(fn, list(tasks), pure=False)
        task_of = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        try:
            for future in as_completed(futures, loop=client.loop):
                task = task_of[future.key]
                try:
                    result = future.result()
                except Exception as err:  # the worker died or could not run the task
                    result = on_error(task, err)
                on_result(task, result)
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def execute(tasks: Sequence, fn: Callable, on_result: OnResult, on_error: OnError, *,
            jobs: int = 1, scheduler: str | None = None) -> str:
    """Run ``fn`` on every task with the backend ``--jobs``/``--scheduler`` choose.

    Parameters
    ----------
    tasks : sequence
        Picklable inputs of ``fn``.
    fn : callable
        A module-level function (workers import it by name).
    on_result : callable
        ``(task, result)``, called in this process as each result arrives.
    on_error : callable
        ``(task, exception) -> result`` for a task whose worker failed.
    jobs : int
        Worker processes (ignored with a scheduler address: the cluster has its own).
    scheduler : str or None
        ``sequential``, ``joblib``, ``local`` or a Dask address.

    Returns
    -------
    str
        The backend used.
    """
    backend = resolve(jobs, scheduler)
    if not tasks and backend in ("local", "joblib"):
        return backend  # nothing to do: no cluster to start
    if backend == "sequential":
        run_sequential(tasks, fn, on_result)
    elif backend == "joblib":
        run_joblib(tasks, fn, on_result, jobs=jobs)
    elif backend == "local":
        run_dask(tasks, fn, on_result, on_error, jobs=jobs)
    else:
        run_dask(tasks, fn, on_result, on_error, jobs=jobs, address=backend)
    return backend


__all__ = ["CONNECT_TIMEOUT", "ONE_THREAD_ENV", "execute", "resolve", "run_dask",
           "run_joblib", "run_sequential"]

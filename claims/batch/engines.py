"""Where the batch core runs: in this process, in a local process pool, or on Ray Data.

Every engine does one thing: map a stage of `BatchCore` ("extract" or "relate") over keyed Arrow
tables and yield `(key, result)` as each finishes, in any order. The driver (`run.py`) writes
each result as soon as it arrives, which is what makes a run resumable whatever the engine.
Workers build their models once (`BatchCore.warm_up()` in a pool initializer or an actor's
constructor); only Arrow tables travel, never a model.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal, Protocol

import pyarrow as pa

from claims.batch.core import BatchCore, CoreSettings
from claims.batch.errors import EngineError, WorkerError

if TYPE_CHECKING:
    from multiprocessing.synchronize import Barrier

Stage = Literal["extract", "relate"]
Task = tuple[int, pa.Table]
WARM_TIMEOUT_S = 900.0  # a worker that cannot load its models in 15 minutes is broken


class Engine(Protocol):
    name: str
    workers: int

    def start(self) -> None:
        """Start the workers and load their models (so timings exclude start-up)."""

    def map(self, stage: Stage, tasks: Iterable[Task]) -> Iterator[Task]:
        """Run `stage` over every task; yield `(key, result)` as each finishes."""

    def close(self) -> None: ...


def _call(core: BatchCore, stage: Stage, table: pa.Table) -> pa.Table:
    return core.extract(table) if stage == "extract" else core.relate(table)


class InlineEngine:
    """One worker: this process. Shares its core with the driver, so models load once."""

    name = "inline"
    workers = 1

    def __init__(self, core: BatchCore) -> None:
        self.core = core

    def start(self) -> None:
        self.core.warm_up()

    def map(self, stage: Stage, tasks: Iterable[Task]) -> Iterator[Task]:
        for key, table in tasks:
            yield key, _call(self.core, stage, table)

    def close(self) -> None:
        return None


# -- the local process pool ------------------------------------------------------------------
_WORKER_CORE: BatchCore | None = None


def _init_worker(settings: CoreSettings, barrier: Barrier | None) -> None:
    global _WORKER_CORE
    core = BatchCore(settings)
    core.warm_up()
    _WORKER_CORE = core
    if barrier is not None:
        barrier.wait(WARM_TIMEOUT_S)  # no worker takes a task before all are warm


def _run_task(stage: Stage, key: int, table: pa.Table) -> Task:
    assert _WORKER_CORE is not None, "worker used before its initializer ran"
    return key, _call(_WORKER_CORE, stage, table)


def _ready() -> int:
    return os.getpid()


class LocalEngine:
    """A `ProcessPoolExecutor` of `workers` spawned processes, each with one warm core.

    Spawned, not forked: torch and spaCy hold threads and locks a fork would copy half-taken.
    At most `2 × workers` tasks are in flight, so a long input streams through in constant
    memory."""

    name = "local"

    def __init__(self, settings: CoreSettings, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.settings = settings
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self._pool is not None:
            return
        context = multiprocessing.get_context("spawn")
        barrier = context.Barrier(self.workers)
        self._pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(self.settings, barrier),
        )
        try:
            # one task per worker: each returns only once every worker has loaded its models
            for future in [self._pool.submit(_ready) for _ in range(self.workers)]:
                future.result()
        except BrokenProcessPool as exc:
            self.close()
            raise WorkerError(f"a worker died while loading its models ({exc})") from exc

    def map(self, stage: Stage, tasks: Iterable[Task]) -> Iterator[Task]:
        self.start()
        assert self._pool is not None
        pending: set[Future[Task]] = set()
        source = iter(tasks)
        window = 2 * self.workers
        try:
            while True:
                while len(pending) < window:
                    task = next(source, None)
                    if task is None:
                        break
                    pending.add(self._pool.submit(_run_task, stage, *task))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        except BrokenProcessPool as exc:
            raise WorkerError(f"a {stage} worker died ({exc})") from exc
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


# -- Ray Data --------------------------------------------------------------------------------
def _to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _from_ipc(data: bytes) -> pa.Table:
    with pa.ipc.open_stream(pa.py_buffer(data)) as reader:
        return reader.read_all()


class _RayWorker:
    """A Ray Data actor: builds its core once in the constructor, then maps batches."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.core = BatchCore(CoreSettings(**settings))
        self.core.warm_up()

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        keys: list[int] = []
        results: list[bytes] = []
        for key, stage, data in zip(batch["key"], batch["stage"], batch["ipc"], strict=True):
            result = _call(self.core, str(stage), _from_ipc(bytes(data)))  # type: ignore[arg-type]
            keys.append(int(key))
            results.append(_to_ipc(result))
        return {"key": keys, "ipc": results}


class RayEngine:
    """Ray Data: `map_batches` with a callable class, so each actor loads the models once.

    A local cluster of `workers` CPUs when no address is given (shut down on close), else the
    cluster at `address` (left running). Actors run one task at a time (`max_concurrency` 1):
    on two cores an actor pool sized to every CPU deadlocked (DESIGN.md §6), so locally the
    pool is `workers` actors on a cluster of `workers` CPUs with each actor asking for a
    fraction of a CPU, which leaves Ray room for its own tasks."""

    name = "ray"

    def __init__(self, settings: CoreSettings, workers: int, address: str | None = None) -> None:
        self.settings = settings
        self.workers = workers
        self.address = address
        self._started_ray = False
        self._ready = False

    def start(self) -> None:
        if self._ready:
            return
        try:
            import ray
        except ImportError as exc:
            raise EngineError(
                "--engine ray needs Ray: pip install 'claims[ray]' (ray[data]==2.60.0)"
            ) from exc
        if not ray.is_initialized():
            try:
                if self.address:
                    ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
                else:
                    ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise EngineError(f"cannot start or reach Ray ({exc})") from exc
            self._started_ray = True
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        self._ready = True

    def map(self, stage: Stage, tasks: Iterable[Task]) -> Iterator[Task]:
        self.start()
        import ray

        items = [{"key": k, "stage": stage, "ipc": _to_ipc(t)} for k, t in tasks]
        if not items:
            return
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _RayWorker,
            fn_constructor_kwargs={"settings": asdict(self.settings)},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(
                size=self.workers, max_tasks_in_flight_per_actor=1, max_concurrent_calls_per_actor=1
            ),
            num_cpus=0.9,
        )
        for row in dataset.iter_rows():
            yield int(row["key"]), _from_ipc(bytes(row["ipc"]))

    def close(self) -> None:
        if self._started_ray:
            import ray

            ray.shutdown()
            self._started_ray = False
        self._ready = False


def make_engine(
    name: str, settings: CoreSettings, workers: int, address: str | None, driver: BatchCore
) -> Engine:
    """The engine `--engine` names. One local worker runs inline, sharing the driver's core."""
    if name == "local":
        if workers == 1:
            return InlineEngine(driver)
        return LocalEngine(settings, workers)
    if name == "ray":
        return RayEngine(settings, workers, address)
    raise EngineError(f"unknown engine {name!r} (local | ray)")

"""Progress of a batch run: a rich bar (documents/s, ETA) on a terminal, plain lines in logs.

A batch job runs for hours under a scheduler whose log is a file: a redrawn bar there is noise,
so off a terminal the reporter prints one plain line per stage every `interval` seconds, with
the same numbers the bar shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


class Reporter(Protocol):
    def start(self, stage: str, total: int, unit: str) -> None:
        """A stage begins: `total` units of work (documents, incidents)."""

    def advance(self, n: int) -> None:
        """`n` more units of the current stage are done."""

    def finish(self) -> None:
        """The current stage is over."""


class SilentReporter:
    def start(self, stage: str, total: int, unit: str) -> None:
        return None

    def advance(self, n: int) -> None:
        return None

    def finish(self) -> None:
        return None


def _rate(done: int, started: float) -> float:
    elapsed = time.monotonic() - started
    return done / elapsed if elapsed > 0 else 0.0


@dataclass
class PlainReporter:
    """One line per stage every `interval` seconds and at its end: for logs."""

    console: Console
    interval: float = 10.0
    _stage: str = ""
    _unit: str = ""
    _total: int = 0
    _done: int = 0
    _started: float = 0.0
    _last: float = 0.0

    def start(self, stage: str, total: int, unit: str) -> None:
        self._stage, self._unit, self._total, self._done = stage, unit, total, 0
        self._started = self._last = time.monotonic()
        self.console.print(f"{stage}: {total} {unit}", highlight=False, markup=False)

    def advance(self, n: int) -> None:
        self._done += n
        if time.monotonic() - self._last >= self.interval:
            self._line()

    def finish(self) -> None:
        self._line()

    def _line(self) -> None:
        self._last = time.monotonic()
        rate = _rate(self._done, self._started)
        left = self._total - self._done
        eta = f", eta {left / rate:.0f} s" if rate > 0 and left > 0 else ""
        self.console.print(
            f"{self._stage}: {self._done}/{self._total} {self._unit}, "
            f"{rate:.1f} {self._unit}/s{eta}",
            highlight=False,
            markup=False,
        )


@dataclass
class BarReporter:
    """A rich progress bar with the rate in units per second and the time left."""

    console: Console
    _progress: Progress | None = None
    _task: TaskID | None = None
    _done: int = 0
    _started: float = field(default=0.0)

    def start(self, stage: str, total: int, unit: str) -> None:
        self.finish()
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self._progress.start()
        self._task = self._progress.add_task(stage, total=total, rate=f"0 {unit}/s")
        self._unit, self._done, self._started = unit, 0, time.monotonic()

    def advance(self, n: int) -> None:
        if self._progress is None or self._task is None:
            return
        self._done += n
        rate = f"{_rate(self._done, self._started):.1f} {self._unit}/s"
        self._progress.update(self._task, advance=n, rate=rate)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
            self._task = None


def reporter(console: Console) -> Reporter:
    """A bar on a terminal, plain lines otherwise."""
    return BarReporter(console) if console.is_terminal else PlainReporter(console)


def summary_table(summary: dict[str, object]) -> Table:
    """The end-of-run summary: counts, then seconds per stage."""
    table = Table(title="batch summary", show_header=False)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in ("documents", "claims", "incidents", "relations", "conflicts"):
        if key in summary:
            table.add_row(key, str(summary[key]))
    resumed = summary.get("resumed")
    if isinstance(resumed, dict):
        for stage, n in resumed.items():
            table.add_row(f"{stage} parts resumed", str(n))
    seconds = summary.get("seconds")
    if isinstance(seconds, dict):
        for stage, s in seconds.items():
            table.add_row(f"{stage} (s)", f"{s:.1f}")
    return table

"""Batch errors: coded like the rest of the library (`claims.errors`), one tree."""

from __future__ import annotations

from claims.errors import ClaimsError, InputError


class BatchError(ClaimsError):
    """A batch run cannot go on (not the caller's records: see `InputError` for those)."""

    code = "batch_error"


class OutputDirError(InputError):
    """`--out` is unusable: a file, or holds another run's output."""

    code = "invalid_output_dir"


class EngineError(BatchError):
    """The engine asked for is not installed or cannot start (e.g. no Ray, no cluster)."""

    code = "engine_not_available"


class WorkerError(BatchError):
    """A worker process died (out of memory, killed); re-running resumes where it stopped."""

    code = "worker_failed"

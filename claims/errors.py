"""One exception tree for the library, each error with a stable machine-readable code.

The CLI prints `code: message`; the API maps the same codes to HTTP statuses in one handler.
"""

from __future__ import annotations


class ClaimsError(Exception):
    """Base of every error the library raises on purpose."""

    code = "claims_error"


class InputError(ClaimsError):
    """The caller's input cannot be processed (the caller can fix it)."""

    code = "invalid_input"


class EmptyInputError(InputError):
    code = "empty_input"


class BinaryInputError(InputError):
    code = "binary_input"


class EncodingError(InputError):
    code = "not_utf8"


class UnreadableInputError(InputError):
    code = "unreadable_input"


class InputTooLargeError(InputError):
    code = "input_too_large"


class InvalidRecordError(InputError):
    """A record of a batch input (a JSONL line) is malformed."""

    code = "invalid_record"


class ModelNotAvailableError(ClaimsError):
    """A configured model package is not installed (an operator problem, not the caller's)."""

    code = "model_not_available"

"""claims: attributed claims from news reports, resolved, normalised and compared."""

__version__ = "0.1.0"

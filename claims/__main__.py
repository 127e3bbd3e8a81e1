"""`python -m claims`: the same command as the `claims` console script."""

from claims.cli import app

app()

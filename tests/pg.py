"""A throwaway PostgreSQL cluster for tests: `initdb` into a temp dir, socket only, removed after.

PostgreSQL refuses to run as root, and CI runs as root: then the cluster belongs to the `postgres`
user (created by Debian's `postgresql` package) and every server command runs through
`runuser -u postgres --`. The server listens on a Unix socket in the cluster's temp dir and on no
TCP address, so parallel runs cannot collide on a port. Durability is switched off (`fsync`,
`synchronous_commit`, `full_page_writes`): the data is thrown away anyway.

Missing binaries are a failure, not a skip: CI installs the package, so a silent skip would hide a
backend that is never tested.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

SUPERUSER = "postgres"
_SERVER_OPTIONS = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c max_connections=50"
)


def find_server_binaries() -> Path:
    """The directory holding `initdb` and `pg_ctl`: PATH first, then /usr/lib/postgresql/*/bin."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        directory = Path(initdb).resolve().parent
        if (directory / "pg_ctl").exists():
            return directory
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    pytest.fail(
        "PostgreSQL server binaries (initdb, pg_ctl) were found neither on PATH nor under "
        "/usr/lib/postgresql/*/bin: install Debian's `postgresql` package "
        "(apt-get install -y postgresql); .ci/run does this when initdb is missing",
        pytrace=False,
    )


@dataclass
class PostgresCluster:
    """A running cluster; `new_database()` hands out empty databases by URL."""

    socket_dir: Path
    _names: Iterator[int] = field(default_factory=itertools.count)

    def url(self, dbname: str) -> str:
        return f"postgresql:///{dbname}?host={self.socket_dir}&user={SUPERUSER}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def new_database(self) -> str:
        name = f"claims_test_{next(self._names)}"
        with self._admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.removeprefix("postgresql:///").partition("?")[0]
        with self._admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", SUPERUSER, "--", *argv]


def _run(argv: list[str], cwd: Path, what: str, log: Path | None = None) -> None:
    done = subprocess.run(
        _as_server_user(argv), cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
        pytest.fail(
            f"{what} failed ({done.returncode}): {' '.join(argv)}\n{done.stdout}{done.stderr}"
            f"{tail}",
            pytrace=False,
        )


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a cluster in a fresh temp dir; stop it and remove the dir on exit."""
    bindir = find_server_binaries()
    # Not under pytest's tmp_path: its parents are private to the current user, and the server
    # user must be able to reach the data and socket directory.
    root = Path(tempfile.mkdtemp(prefix="claims-pg-"))
    if os.geteuid() == 0:
        try:
            server_user = pwd.getpwnam(SUPERUSER)
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            pytest.fail(
                f"running as root but there is no {SUPERUSER!r} user to run PostgreSQL as; "
                "Debian's `postgresql` package creates it",
                pytrace=False,
            )
        os.chown(root, server_user.pw_uid, server_user.pw_gid)
    data, log = root / "data", root / "server.log"
    started = False
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            root,
            "initdb",
        )
        _run(
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                "60",
                "-o",
                f"-k {root} {_SERVER_OPTIONS}",
                "start",
            ],
            root,
            "pg_ctl start",
            log,
        )
        started = True
        yield PostgresCluster(socket_dir=root)
    finally:
        if started:
            subprocess.run(
                _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                cwd=root,
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)

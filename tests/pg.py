"""PostgreSQL for the store tests: ``ASSIST_TEST_PG_URL``, else a throwaway local cluster.

Use from a test module with ``from tests.pg import pg_server, store_url  # noqa: F401``.

* ``pg_server`` (session): a ``PgServer`` -- the server at ``ASSIST_TEST_PG_URL`` if set (CI),
  else a cluster made with ``initdb`` in a temp dir and started on a free 127.0.0.1 port
  (as the ``postgres`` user when we are root: initdb refuses root). If neither works the test
  is **skipped with the reason** (and a warning says so in the summary), never silently.
* ``store_url`` (function, parametrised ``sqlite`` / ``postgresql``): a fresh, empty database
  URL -- a SQLite file in the test's temp dir, or a new PostgreSQL schema (dropped after).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy.engine import URL, make_url

ENV = "ASSIST_TEST_PG_URL"
PASSWORD = "assist-test"  # of the throwaway cluster only (host logins need it: scram-sha-256)


@dataclass
class PgServer:
    url: URL  # postgresql+psycopg://... of a database we may create schemas in
    data_dir: Path | None = None  # set when we started the cluster ourselves
    bin_dir: Path | None = None
    owner: list[str] = field(default_factory=list)  # ["runuser", "-u", "postgres", "--"]
    port: int = 0

    def schema_url(self, schema: str) -> str:
        url = self.url.update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    def admin(self) -> object:
        import psycopg

        return psycopg.connect(
            host=self.url.host,
            port=self.url.port or 5432,
            user=self.url.username,
            password=self.url.password,
            dbname=self.url.database,
            autocommit=True,
            connect_timeout=5,
        )

    def stop(self) -> None:
        if self.data_dir is not None and self.bin_dir is not None:
            subprocess.run(
                [*self.owner, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m",
                 "immediate", "stop"],
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip

    def start(self) -> None:
        """(Re)start a cluster we made (for tests that stop the server)."""
        assert self.data_dir is not None and self.bin_dir is not None
        sock = self.data_dir.parent
        opts = f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*self.owner, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", opts,
             "-l", str(sock / "server.log"), "-w", "-t", "60", "start"],
            capture_output=True, text=True, timeout=90, check=True,
        )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bin_dir() -> Path | None:
    initdb = shutil.which("initdb")
    if initdb:
        return Path(os.path.realpath(initdb)).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _start_cluster() -> PgServer:
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (no initdb on PATH or in /usr/lib)")
    owner: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="assist-pg-"))
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # initdb refuses to run as root
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root and no runuser to start PostgreSQL as postgres")
        owner = [runuser, "-u", "postgres", "--"]
        shutil.chown(root, user="postgres")
    data = root / "data"
    pwfile = root / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if owner:
        shutil.chown(pwfile, user="postgres")
    done = subprocess.run(
        [*owner, str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
         "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"initdb failed: {(done.stderr or done.stdout).strip()[-400:]}")
    server = PgServer(
        url=make_url(f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{_free_port()}/postgres"),
        data_dir=data,
        bin_dir=bin_dir,
        owner=owner,
    )
    server.port = server.url.port or 0
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {exc.stdout} {exc.stderr} {log[-400:]}") from exc
    return server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    raw = os.environ.get(ENV, "").strip()
    server: PgServer | None = None
    why = ""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        why = "the psycopg driver is not installed (pip install 'psycopg[binary]')"
    if not why:
        try:
            if raw:
                url = make_url(raw)
                if url.drivername in ("postgresql", "postgres"):
                    url = url.set(drivername="postgresql+psycopg")
                server = PgServer(url=url)
            else:
                server = _start_cluster()
            with contextlib.closing(server.admin()):  # type: ignore[type-var]
                pass
        except Exception as exc:  # any reason at all: report it in the skip
            source = f"{ENV}={make_url(raw).render_as_string()}" if raw else "a local cluster"
            why = f"PostgreSQL unavailable ({source}): {exc}"
            if server is not None:
                server.stop()
            server = None
    if server is None:
        warnings.warn(f"store tests on PostgreSQL are SKIPPED: {why}", stacklevel=1)
        pytest.skip(why)
    yield server
    server.stop()
    if server.data_dir is not None:
        shutil.rmtree(server.data_dir.parent, ignore_errors=True)


@pytest.fixture
def pg_schema_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty schema on the test server (dropped after the test)."""
    schema = "t_" + uuid.uuid4().hex[:12]
    with contextlib.closing(pg_server.admin()) as conn:  # type: ignore[type-var]
        conn.execute(f"CREATE SCHEMA {schema}")  # type: ignore[attr-defined]
    yield pg_server.schema_url(schema)
    with contextlib.closing(pg_server.admin()) as conn:  # type: ignore[type-var]
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each back-end."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'team.db'}"
    return str(request.getfixturevalue("pg_schema_url"))

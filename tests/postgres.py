"""A private PostgreSQL server for the tests: its own data directory and port.

initdb and pg_ctl come from Debian's postgresql package, which `make test`
installs when it is missing. The server listens on 127.0.0.1 only and is
stopped, by its own pg_ctl, when the tests end. Its TimeZone is not UTC, as on
many servers, so a timestamp stored without its zone shows in the tests.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError(
            "PostgreSQL's initdb was not found: install Debian's postgresql"
            " package (make test does)"
        )
    return Path(found[-1]).parent


#: The server's time zone: hours away from UTC all year.
TIME_ZONE = "America/New_York"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        self.bindir = _bindir()
        # Not under pytest's private temp directory: when the tests run as
        # root, the server runs as the postgres user, which must reach it.
        self.base = Path(tempfile.mkdtemp(prefix="flaskproto-pg-"))
        self.data = self.base / "data"
        self.port = 0
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root.
            shutil.chown(self.base, "postgres", "postgres")
            self._as_owner = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self._start_on_a_free_port()

    def _start_on_a_free_port(self, tries: int = 5) -> None:
        """Start on a port found free; another on a clash with another server.

        PostgreSQL cannot be given port 0, so a port is picked first, and
        another program may bind it before the server does.
        """
        for attempt in range(tries):
            self.port = _free_port()
            try:
                self.start()
                return
            except RuntimeError:
                log = (self.base / "log").read_text(errors="replace")
                if "could not bind" not in log or attempt == tries - 1:
                    raise

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self._as_owner, str(self.bindir / tool), *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}{result.stderr}")
        return result

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off"
            f" -c TimeZone={TIME_ZONE}"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.base / "log"),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its SQLAlchemy URL."""
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name
        )
        return self.url(name)

    def query(self, database: str, sql: str) -> str:
        """Run ``sql`` in ``database`` with psql and return its unaligned output."""
        result = self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "-tAc",
            sql,
        )
        return result.stdout.strip()

    def run_file(self, database: str, path: Path) -> None:
        """Run the psql script ``path`` in ``database``; stop at its first error.

        Under ``base``, the server's user can read it when the tests run as root.
        """
        self._run(
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            database,
            "--no-psqlrc",
            "--set=ON_ERROR_STOP=1",
            f"--file={path}",
        )

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

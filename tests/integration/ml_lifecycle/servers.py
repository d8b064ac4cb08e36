"""The servers of the local ML lifecycle proof, each on 127.0.0.1 on a free port.

PostgreSQL (as an unprivileged user when we run as root), moto's S3, the MLflow server from
.venv/mlflow-server and MLServer from .venv/ml-serving. Every server runs in its own process
group (stopped as a group: MLflow's and MLServer's workers go with it) and logs to a file the
harness keeps and prints when something fails.
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
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import yaml

HOST = "127.0.0.1"
# The user PostgreSQL runs as when we are root (initdb and postgres refuse to run as root).
PG_USER = "nobody"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def tail(path: Path, chars: int = 4000) -> str:
    """The end of a log file (or a note that it is absent)."""
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        return f"<{path}: {exc}>"
    return text[-chars:]


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class Server:
    """A server process of the harness: its own process group, its log in ``log``."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None, cwd=None):
        self.name = name
        self.argv = argv
        self.log = log
        self.started = time.monotonic()
        self.ready_seconds: float | None = None
        # Where clients reach it (set by the start_* functions).
        self.url = ""
        self.metrics_url = ""
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=cwd,
                start_new_session=True,
            )

    def wait_ready(self, probe: Callable[[], bool], deadline: float) -> float:
        """Poll ``probe`` until it holds; fail when the process exits or ``deadline`` seconds pass."""
        end = self.started + deadline
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode} before it was ready:\n{self.describe()}"
                )
            if probe():
                self.ready_seconds = time.monotonic() - self.started
                return self.ready_seconds
            if time.monotonic() > end:
                raise RuntimeError(f"{self.name} was not ready after {deadline:.0f} s:\n{self.describe()}")
            time.sleep(0.2)

    def ready_or_stop(self, probe: Callable[[], bool], deadline: float) -> Server:
        """wait_ready, stopping the server (and its workers) when it fails."""
        try:
            self.wait_ready(probe, deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def describe(self) -> str:
        return f"--- {self.name}: {' '.join(self.argv)}\n--- log {self.log}:\n{tail(self.log)}"

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the server's process group, SIGKILL after ``grace`` seconds."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        else:
            # The leader is gone; its workers may not be.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)


class Postgres:
    """PostgreSQL in a fresh temporary cluster on 127.0.0.1 (initdb/pg_ctl from PATH).

    As root, the cluster belongs to an unprivileged user (PG_USER) and runs through ``runuser``;
    its folder lives outside pytest's tmp_path (0700 root, which that user cannot enter).
    """

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix="mlops-pg-"))
        self.data = self.base / "data"
        self.sockets = self.base / "sockets"
        self.log = self.base / "postgres.log"
        self.keep_log = log_dir / "postgres.log"
        self.prefix: list[str] = []
        self.data.mkdir(mode=0o700)
        self.sockets.mkdir()
        if os.geteuid() == 0:
            os.chmod(self.base, 0o755)
            for path in (self.data, self.sockets):
                shutil.chown(path, user=PG_USER)
            self.log.touch()
            shutil.chown(self.log, user=PG_USER)
            self.prefix = ["runuser", "-u", PG_USER, "--"]
        self.started = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.monotonic() - self.started

    def _start(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale")
        options = f"-c listen_addresses={HOST} -p {self.port} -k {self.sockets}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        self._run("createdb", "-h", HOST, "-p", str(self.port), "-U", "postgres", "mlflow")

    @property
    def uri(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/mlflow"

    def _run(self, *argv: str, check: bool = True) -> None:
        proc = subprocess.run(
            [*self.prefix, *argv], cwd=self.base, capture_output=True, text=True, check=False, timeout=120
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}\n{tail(self.log)}"
            )

    def describe(self) -> str:
        return f"--- postgres log {self.keep_log}:\n{tail(self.log)}"

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        finally:
            if self.log.exists():
                shutil.copyfile(self.log, self.keep_log)
            shutil.rmtree(self.base, ignore_errors=True)


def start_moto(moto_server: Path, log_dir: Path) -> Server:
    port = free_port()
    server = Server("moto", [str(moto_server), "-H", HOST, "-p", str(port)], log_dir / "moto.log")
    server.url = f"http://{HOST}:{port}"
    return server.ready_or_stop(lambda: http_ok(server.url + "/moto-api/"), 30)


def start_mlflow(venv: Path, backend_uri: str, artifacts: str, env: dict[str, str], log_dir: Path) -> Server:
    """``mlflow server`` as the platform runs it: PostgreSQL backend, artifacts proxied to S3, metrics."""
    port = free_port()
    metrics = log_dir / "mlflow-prometheus"
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir()
    argv = [
        str(venv / "bin" / "mlflow"),
        "server",
        "--backend-store-uri",
        backend_uri,
        "--artifacts-destination",
        artifacts,
        "--serve-artifacts",
        "--expose-prometheus",
        str(metrics),
        "--workers",
        "1",
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    server = Server("mlflow", argv, log_dir / "mlflow.log", env=env, cwd=log_dir)
    server.url = f"http://{HOST}:{port}"
    return server.ready_or_stop(lambda: http_ok(server.url + "/health"), 90)


def start_mlserver(
    venv: Path, model_dir: Path, model_name: str, env: dict[str, str], log_dir: Path, deadline: float = 120
) -> Server:
    """MLServer with the environment KServe gives the kserve-mlserver runtime for an MLflow model."""
    http_port, grpc_port, metrics_port = free_port(), free_port(), free_port()
    env = dict(
        env,
        MLSERVER_MODEL_IMPLEMENTATION="mlserver_mlflow.MLflowRuntime",
        MLSERVER_MODEL_NAME=model_name,
        MLSERVER_MODEL_URI=str(model_dir),
        MLSERVER_HOST=HOST,
        MLSERVER_HTTP_PORT=str(http_port),
        MLSERVER_GRPC_PORT=str(grpc_port),
        MLSERVER_METRICS_PORT=str(metrics_port),
    )
    server = Server(
        "mlserver",
        [str(venv / "bin" / "mlserver"), "start", str(model_dir)],
        log_dir / "mlserver.log",
        env=env,
        cwd=log_dir,
    )
    server.url = f"http://{HOST}:{http_port}"
    server.metrics_url = f"http://{HOST}:{metrics_port}/metrics"
    return server.ready_or_stop(lambda: http_ok(f"{server.url}/v2/models/{model_name}/ready"), deadline)


def start_prometheus(config: dict, log_dir: Path, env: dict[str, str], name: str = "prometheus") -> Server:
    """Debian's ``prometheus`` with ``config`` (written to <log_dir>/<name>.yml), its TSDB in <log_dir>/<name>-tsdb."""
    path = log_dir / f"{name}.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    port = free_port()
    argv = [
        "prometheus",
        f"--config.file={path}",
        f"--web.listen-address={HOST}:{port}",
        f"--storage.tsdb.path={log_dir / (name + '-tsdb')}",
    ]
    server = Server(name, argv, log_dir / f"{name}.log", env=env, cwd=log_dir)
    server.url = f"http://{HOST}:{port}"
    return server.ready_or_stop(lambda: http_ok(server.url + "/-/ready"), 30)

"""Start and stop a real server subprocess on a free loopback port (tests, benchmarks).

    with ServerProcess(["aigc-bench", "serve", "--config", "small"]) as server:
        server.base_url  # "http://127.0.0.1:PORT/v1"

The command gets `--port PORT` appended; readiness is a 200 from `ready_path`.
Test fixtures use `serving("--config", "small")`, which also fails the fixture's
teardown if the server died while the tests used it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def aigc_bench_command(*args: str) -> list[str]:
    """`aigc-bench ARGS` with this interpreter (works without the console script on PATH)."""
    return [sys.executable, "-m", "aigc_bench", *args]


class ServerProcess:
    def __init__(self, command: list[str], ready_path: str = "/health", timeout: float = 120.0, env: dict | None = None):
        self.port = free_port()
        self.command = [*command, "--port", str(self.port)]
        self.ready_path = ready_path
        self.timeout = timeout
        self.env = {**os.environ, **(env or {})}
        self.root = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.root}/v1"
        self.process: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()

    def __enter__(self) -> "ServerProcess":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode} before it was ready:\n{self.output()}")
            try:
                if httpx.get(self.root + self.ready_path, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server was not ready within {self.timeout:.0f} s:\n{self.output()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def serving(*serve_args: str):
    """`aigc-bench serve SERVE_ARGS` for a test fixture: yields the running ServerProcess and,
    once the tests are done with it, fails if it died meanwhile (its output says why)."""
    with ServerProcess(aigc_bench_command("serve", *serve_args)) as server:
        yield server
        assert server.alive(), f"the server died during the tests:\n{server.output()}"

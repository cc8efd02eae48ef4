"""Start and stop `herald serve` for tests (Python tiers).

    with HeraldServer(config_toml, data_dir=tmp) as server:
        server.port, server.ws_url, server.api_url, server.kill(), server.restart()

The binary comes from $HERALD_BIN (ctest sets it). The server listens on
127.0.0.1 with a free port (--port 0) and is stopped by its PID; a restart
after kill() reuses the same port and data directory, as a real restart would.
"""
import os
import signal
import subprocess
import tempfile
import time


class ServerProcess:
    """What the test helpers' server processes share: a temporary directory
    (`_tmp`), a log file (`log_path`), start/kill/stop (theirs), restart on
    the same port, and use as a context manager."""

    def restart(self, timeout: float = 15.0):
        """kill(), then start() again until the kernel lets go of the port
        the killed process held a moment ago."""
        self.kill()
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.start(timeout)
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def log(self) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        self._tmp.cleanup()


class HeraldServer(ServerProcess):
    def __init__(self, config_toml: str, data_dir: str | None = None, port: int = 0,
                 extra_args: list[str] | None = None, log_level: str = "warn", preexec_fn=None):
        self.binary = os.environ.get("HERALD_BIN")
        if not self.binary:
            raise RuntimeError("HERALD_BIN is not set: run through ctest, or export HERALD_BIN=build/release/src/app/herald")
        self._tmp = tempfile.TemporaryDirectory(prefix="herald-test-")
        self.data_dir = data_dir or os.path.join(self._tmp.name, "data")
        self.config_path = os.path.join(self._tmp.name, "herald.toml")
        with open(self.config_path, "w") as f:
            f.write(config_toml)
        self.log_path = os.path.join(self._tmp.name, "serve.log")
        self.port = port
        self.extra_args = extra_args or []
        self.log_level = log_level
        self.preexec_fn = preexec_fn  # run in the child before exec (limits, signal dispositions)
        self.proc = None

    # -- lifecycle -------------------------------------------------------
    def start(self, timeout: float = 15.0):
        args = [self.binary, "serve", "--config", self.config_path, "--port", str(self.port),
                "--data-dir", self.data_dir, "--log-level", self.log_level, *self.extra_args]
        log = open(self.log_path, "ab")
        # The server reads HERALD_* variables as configuration and refuses
        # unknown ones: the test's own variables stay out of its environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, env=env, preexec_fn=self.preexec_fn)
        log.close()
        deadline = time.monotonic() + timeout
        line = b""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith(b"listening on "):
                self.port = int(line.rsplit(b":", 1)[1])
                return self
            if not line and self.proc.poll() is not None:
                break
        self.stop()
        raise RuntimeError(f"herald serve did not start: {line!r}\n{self.log()}")

    def kill(self):
        """SIGKILL: no shutdown, no flush; what is acknowledged must survive."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def stop(self, timeout: float = 10.0):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    # -- addresses -------------------------------------------------------
    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/connection/websocket"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

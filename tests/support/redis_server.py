"""Start, kill and restart a real `redis-server` for tests (Python tiers).

    with RedisServer() as redis:
        redis.port, redis.address, redis.kill(), redis.restart()

Debian's redis-server (scripts/install-deps.sh installs it), or the binary
named by $HERALD_REDIS_SERVER. It listens on 127.0.0.1 with a free port, in
its own temporary directory, with the append-only file on and
`appendfsync no`, and is stopped by its PID. The tests kill Redis and expect
it to come back with everything it acknowledged. `appendfsync no` gives
that: Redis writes its AOF buffer to the file before it replies, and the
kernel keeps what was written when the process dies. `everysec` does not:
while a background fsync runs (a busy disk), Redis puts off the write for up
to 2 s but still replies, and a SIGKILL then loses acknowledged writes (2-4
in 100 on a busy 2-core machine; 0 with `no` or `always`). A restart reuses
the port and the directory, so the data comes back as after a real restart.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from herald_serve import ServerProcess


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer(ServerProcess):
    def __init__(self, appendonly: bool = True):
        self.binary = os.environ.get("HERALD_REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
        if not os.path.exists(self.binary):
            raise RuntimeError(f"{self.binary} not found: run scripts/install-deps.sh (it installs redis-server)")
        self._tmp = tempfile.TemporaryDirectory(prefix="herald-redis-")
        self.dir = self._tmp.name
        self.log_path = os.path.join(self.dir, "redis.log")
        self.port = free_port()
        self.appendonly = appendonly
        self.proc = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0):
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "no",
                "--logfile", self.log_path, "--daemonize", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if _ping(self.port):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}:\n{self.log()[-2000:]}")

    def kill(self):
        """SIGKILL: what Redis acknowledged is in its append-only file."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

"""Herald's client against independent echo servers: runs herald_client_check
(tests/interop/herald_client_check.cpp) against each combination of server
settings, starting the server on a free port and stopping it by PID.

    HERALD_CLIENT_CHECK=.../herald_client_check HERALD_MAKE_CERTS=tests/support/make_certs.sh \\
    [HERALD_ECHO_SERVER=.../echo_server] [HERALD_NODE=node] \\
    /usr/bin/python3 run_herald_client.py --server python|node|self [--only NAME]

  python: python/echo_server.py on Debian's websockets 10.4 (run by /usr/bin/python3)
  node:   node/echo_server.mjs on npm's ws 8.x
  self:   Herald's own examples/echo_server (no herald-check: reports)

Combinations: {plain, compression} x {ws://, wss://}; for python and node also
a compression variant with non-default parameters (no context takeover both
ways, server window 10, client window 9), a server that declines the
client's offer, and a compressing server the client offers nothing to.
For wss:// the certificates come from make_certs.sh in a temporary directory
and the client trusts only their CA (--ca-file).

The driver needs only the standard library; ctest runs it with /usr/bin/python3.
"""

import argparse
import ctypes
import json
import os
import re
import select
import shlex
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT = 15  # Node and Python start in well under a second; sanitizer builds are slower
STOP_TIMEOUT = 8
CHECK_TIMEOUT = 90

# What each server answers to Herald's default offer
# ("permessage-deflate; client_max_window_bits").
VARIANTS = {
    "python": {
        "default": "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
        "options": {"server_no_context_takeover": True, "client_no_context_takeover": True,
                    "server_max_window_bits": 10, "client_max_window_bits": 9},
        "answer": "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                  "server_max_window_bits=10; client_max_window_bits=9",
    },
    "node": {
        "default": "permessage-deflate",
        # threshold 0: the server compresses every message, empty ones included.
        "options": {"serverNoContextTakeover": True, "clientNoContextTakeover": True,
                    "serverMaxWindowBits": 10, "clientMaxWindowBits": 9, "threshold": 0},
        "answer": "permessage-deflate; client_max_window_bits=9; server_no_context_takeover; "
                  "client_no_context_takeover; server_max_window_bits=10",
    },
}

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    # In the child before exec: if the driver is killed (ctest's timeout), so is the server.
    _libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def env_path(var, default=None):
    path = os.environ.get(var, default)
    if not path:
        raise SystemExit(f"run_herald_client: {var} is not set (ctest sets it)")
    return path


def server_command(kind):
    if kind == "python":
        return ["/usr/bin/python3", os.path.join(HERE, "python", "echo_server.py")]
    if kind == "node":
        return [env_path("HERALD_NODE", "node"), os.path.join(HERE, "node", "echo_server.mjs")]
    return [env_path("HERALD_ECHO_SERVER"), "--threads", "1", "--max-message-bytes", str(64 << 20)]


class Server:
    def __init__(self, argv, name):
        self.name = name
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     preexec_fn=_die_with_parent)
        self.port = self._read_port()

    def _read_port(self):
        deadline = time.monotonic() + START_TIMEOUT
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise RuntimeError(f"{self.name}: no 'listening on' line within {START_TIMEOUT}s")
            if select.select([fd], [], [], left)[0]:
                chunk = os.read(fd, 4096)
                if not chunk:
                    code = self.proc.wait()
                    raise RuntimeError(f"{self.name} exited with {code} before listening; stdout: {buf!r}")
                buf += chunk
        line = buf.split(b"\n", 1)[0].decode()
        m = re.match(r"listening on (\S+):(\d+)\b", line)
        if not m:
            self.kill()
            raise RuntimeError(f"{self.name}: unexpected first line {line!r}")
        return int(m.group(2))

    def stop(self):
        """SIGTERM to its PID; returns an error string or None."""
        if self.proc.poll() is not None:
            return f"{self.name} died during the check with exit code {self.proc.returncode}"
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            return f"{self.name} did not exit within {STOP_TIMEOUT}s of SIGTERM"
        finally:
            self.proc.stdout.close()
        return None if code == 0 else f"{self.name} exited with {code} after SIGTERM"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def combinations(kind):
    """(name, server args, client args, tls)"""
    combos = []
    reports = kind != "self"
    for tls in (False, True):
        scheme = "wss" if tls else "ws"
        plain_expect = ["--expect-no-extension"] if reports else []
        combos.append((f"plain-{scheme}", [], plain_expect, tls))
        comp_expect = ["--expect-extension", VARIANTS[kind]["default"]] if reports else []
        combos.append((f"compression-{scheme}", ["--compression"], ["--compression", *comp_expect], tls))
    if reports:
        v = VARIANTS[kind]
        combos.append(("compression-variant-ws",
                       ["--compression", "--deflate-options", json.dumps(v["options"])],
                       ["--compression", "--expect-extension", v["answer"]], False))
        combos.append(("offer-declined-ws", [], ["--compression", "--expect-no-extension"], False))
        combos.append(("no-offer-ws", ["--compression"], ["--expect-no-extension"], False))
    return combos


def main():
    ap = argparse.ArgumentParser(description="herald_client_check against independent echo servers")
    ap.add_argument("--server", choices=["python", "node", "self"], required=True)
    ap.add_argument("--only", help="run only the combination of this name")
    args = ap.parse_args()

    check = env_path("HERALD_CLIENT_CHECK")
    make_certs = env_path("HERALD_MAKE_CERTS")
    seed = os.environ.get("HERALD_INTEROP_SEED")
    failures = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="herald-interop-") as certs:
        subprocess.run(["bash", make_certs, certs], check=True)
        for name, server_args, client_args, tls in combinations(args.server):
            if args.only and name != args.only:
                continue
            label = f"{args.server}/{name}"
            tls_args = ["--tls-cert", os.path.join(certs, "server.pem"),
                        "--tls-key", os.path.join(certs, "server.key")] if tls else []
            t0 = time.monotonic()
            try:
                server = Server(server_command(args.server) + ["--port", "0", *server_args, *tls_args], label)
            except RuntimeError as e:
                failures.append(f"{label}: {e}")
                print(f"FAIL {label}: {e}", flush=True)
                continue
            url = f"{'wss' if tls else 'ws'}://127.0.0.1:{server.port}/"
            argv = [check, url, *client_args]
            if args.server != "self":
                argv.append("--peer-reports")
            if tls:
                argv += ["--ca-file", os.path.join(certs, "ca.pem")]
            if seed:
                argv += ["--seed", seed]
            print(f"---- {label}: herald_client_check {shlex.join(argv[1:])}", flush=True)
            error = None
            try:
                r = subprocess.run(argv, stdin=subprocess.DEVNULL, timeout=CHECK_TIMEOUT)
                if r.returncode != 0:
                    error = f"herald_client_check exited with {r.returncode}"
            except subprocess.TimeoutExpired:
                error = f"herald_client_check did not finish within {CHECK_TIMEOUT}s"
            stop_error = server.stop()
            for e in (error, stop_error):
                if e:
                    failures.append(f"{label}: {e}")
            print(f"{'FAIL' if error or stop_error else 'ok  '} {label} ({time.monotonic() - t0:.1f}s)", flush=True)

    print(f"run_herald_client --server {args.server}: {time.monotonic() - started:.1f}s", flush=True)
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

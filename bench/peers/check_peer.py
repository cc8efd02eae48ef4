#!/usr/bin/python3
"""Checks that a peer server behaves as Herald's examples do.

    /usr/bin/python3 bench/peers/check_peer.py [--mode echo|broadcast|both] CMD [ARG...]

CMD ARG... PORT MODE must start the server (e.g. `bench/peers/peer.sh beast`
or `/opt/uws/uws_server`). For each mode the server is started on a free
port, must print "listening on 127.0.0.1:PORT", and is checked:

  echo       text and binary (same opcode back), empty, 16 MiB text and binary,
             16 MiB + 1 refused with 1009
  broadcast  text and binary from each client reach every other client and
             never the sender, 16 MiB too
  both       another path than / is refused; SIGTERM with a client connected
             ends the server with exit status 0

Needs Debian's python3-websockets (run /usr/bin/python3). Exit status 0 when
every check passed.
"""
import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time

import websockets

MIB16 = 16 * 1024 * 1024
LIMIT = 32 * 1024 * 1024  # client-side limit, above the server's


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Peer:
    """The server under test, started as CMD... PORT MODE."""

    def __init__(self, cmd, mode):
        self.port = free_port()
        self.proc = subprocess.Popen(cmd + [str(self.port), mode], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if line.startswith("listening on 127.0.0.1:") or not line:
                break
        if not line.startswith("listening on 127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError(f"no 'listening on' line (got {line!r}); stderr: {self.proc.stderr.read()[-500:]}")
        self.port = int(line.strip().rsplit(":", 1)[1])
        self.url = f"ws://127.0.0.1:{self.port}/"

    def terminate(self, timeout=10):
        """SIGTERM; returns the exit status (None if it did not exit)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None


def connect(url):
    return websockets.connect(url, max_size=LIMIT, compression=None, open_timeout=10,
                              close_timeout=5, ping_interval=None)


async def expect_silence(ws, seconds=0.3):
    try:
        msg = await asyncio.wait_for(ws.recv(), seconds)
    except asyncio.TimeoutError:
        return
    raise AssertionError(f"sender got its own message back ({len(msg)} bytes)")


async def check_echo(url, report):
    text = "héllo, wörld — 你好 😀"
    binary = bytes(range(256)) * 4
    big_text = ("0123456789abcdef" * (MIB16 // 16))
    big_binary = os.urandom(MIB16)
    async with connect(url) as ws:
        for name, msg in [("text", text), ("binary", binary), ("empty text", ""),
                          ("empty binary", b""), ("16 MiB text", big_text),
                          ("16 MiB binary", big_binary)]:
            t = time.monotonic()
            await ws.send(msg)
            got = await asyncio.wait_for(ws.recv(), 30)
            ok = type(got) is type(msg) and got == msg
            report(f"echo {name}", ok, f"{(time.monotonic() - t) * 1000:.0f} ms" if ok else
                   f"got {type(got).__name__} of {len(got)}")
    async with connect(url) as ws:
        try:  # the server may close before the send has finished
            await ws.send(b"x" * (MIB16 + 1))
            await asyncio.wait_for(ws.recv(), 30)
            report("echo 16 MiB + 1 refused with 1009", False, "it was echoed")
        except websockets.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else None
            report("echo 16 MiB + 1 refused with 1009", code == 1009, f"close code {code}")


async def check_broadcast(url, report):
    async with connect(url) as a, connect(url) as b, connect(url) as c:
        await asyncio.sleep(0.2)  # every server registers its clients on open
        clients = {"A": a, "B": b, "C": c}
        cases = [("A", "text from A ✓"), ("B", b"\x00\x01binary from B\xff"),
                 ("C", "text from C"), ("A", os.urandom(MIB16))]
        for sender, msg in cases:
            await clients[sender].send(msg)
            others = [n for n in clients if n != sender]
            bad = []
            for n in others:
                got = await asyncio.wait_for(clients[n].recv(), 30)
                if type(got) is not type(msg) or got != msg:
                    bad.append(n)
            try:
                await expect_silence(clients[sender])
            except AssertionError as e:
                bad.append(str(e))
            kind = f"{len(msg)} B {'text' if isinstance(msg, str) else 'binary'}"
            report(f"broadcast {kind} from {sender} to {'+'.join(others)} only", not bad, ", ".join(bad))


async def check_common(peer, report):
    wrong = f"ws://127.0.0.1:{peer.port}/elsewhere"
    try:
        async with connect(wrong):
            report("path other than / refused", False, "the upgrade succeeded")
    except websockets.InvalidStatusCode as e:
        report("path other than / refused", True, f"HTTP {e.status_code}")
    except (websockets.InvalidHandshake, OSError) as e:
        report("path other than / refused", True, type(e).__name__)
    ws = await connect(peer.url)
    status = await asyncio.get_running_loop().run_in_executor(None, peer.terminate)
    report("SIGTERM with a client connected: exit 0", status == 0, f"exit status {status}")
    await ws.close()


async def run_mode(cmd, mode, report):
    try:
        peer = Peer(cmd, mode)
    except (RuntimeError, OSError) as e:
        report(f"{mode}: start", False, str(e))
        return
    try:
        await (check_echo if mode == "echo" else check_broadcast)(peer.url, report)
    except Exception as e:  # a failed check must not hide the ones after it
        report(f"{mode}: checks ran to the end", False, f"{type(e).__name__}: {e}")
    await check_common(peer, report)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["echo", "broadcast", "both"], default="both")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if not args.cmd:
        ap.error("give the command that starts the peer")
    failures = []

    def report(name, ok, detail=""):
        print(f"  {'PASS' if ok else 'FAIL'}  {name}{'  (' + detail + ')' if detail else ''}", flush=True)
        if not ok:
            failures.append(name)

    modes = ["echo", "broadcast"] if args.mode == "both" else [args.mode]
    for mode in modes:
        print(f"{' '.join(args.cmd)} PORT {mode}", flush=True)
        asyncio.run(run_mode(args.cmd, mode, report))
    print(f"{len(failures)} failed" if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

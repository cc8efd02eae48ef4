"""An echo server on Python `websockets` (Debian's 10.4), for Herald's client to talk to.

    /usr/bin/python3 echo_server.py [--port 0] [--compression [--deflate-options JSON]]
                                    [--tls-cert server.pem --tls-key server.key]

Prints "listening on 127.0.0.1:PORT" (with " (tls)" for wss://) once ready,
like Herald's examples, and stops with exit code 0 on SIGTERM or SIGINT.

Every message comes back unchanged, except these text commands, which
tests/interop/herald_client_check.cpp uses to see what the server saw:

    herald-check:extensions  -> "extensions: " + the Sec-WebSocket-Extensions it answered ("" if none)
    herald-check:stats       -> "stats messages=N payload=BYTES wire=BYTES": the data messages
                                received so far on this connection, their total size, and the
                                bytes read from the (decrypted) stream up to the last of them
    herald-check:last-close  -> "last-close code=N reason=TEXT": the close frame received on the
                                last connection that ended, among those that never asked this
    herald-check:close N R   -> closes this connection with code N and reason R

--compression turns on websockets' permessage-deflate with its defaults
(server_max_window_bits=12, client_max_window_bits=12, every message
compressed); --deflate-options '{"client_no_context_takeover": true, ...}'
passes keyword arguments to ServerPerMessageDeflateFactory instead.
"""

import argparse
import asyncio
import json
import signal
import ssl
import sys

import websockets
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

MAX_SIZE = 64 * 1024 * 1024
PREFIX = "herald-check:"

last_close = {"code": None, "reason": ""}


class CountingProtocol(websockets.WebSocketServerProtocol):
    """Counts the bytes read from the connection (after TLS), handshake included."""

    wire = 0

    def data_received(self, data):
        self.wire += len(data)
        super().data_received(data)


async def handler(ws, path):
    wire_at_open = ws.wire
    messages = payload = wire = 0
    asked_last_close = False
    try:
        async for msg in ws:
            if isinstance(msg, str) and msg.startswith(PREFIX):
                cmd, _, arg = msg[len(PREFIX):].partition(" ")
                if cmd == "extensions":
                    await ws.send("extensions: " + (ws.response_headers.get("Sec-WebSocket-Extensions") or ""))
                    continue
                if cmd == "stats":
                    await ws.send(f"stats messages={messages} payload={payload} wire={wire}")
                    continue
                if cmd == "last-close":
                    asked_last_close = True
                    await ws.send(f"last-close code={last_close['code']} reason={last_close['reason']}")
                    continue
                if cmd == "close":
                    code, _, reason = arg.partition(" ")
                    await ws.close(int(code), reason)
                    break
            messages += 1
            payload += len(msg.encode()) if isinstance(msg, str) else len(msg)
            wire = ws.wire - wire_at_open
            await ws.send(msg)
    except ConnectionClosed:
        pass
    finally:
        await ws.wait_closed()
        if not asked_last_close:
            last_close["code"] = ws.close_code
            last_close["reason"] = ws.close_reason


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--compression", action="store_true")
    ap.add_argument("--deflate-options", help="JSON keyword arguments for ServerPerMessageDeflateFactory")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()

    kw = {"compression": None}
    if args.compression:
        if args.deflate_options:
            kw = {"compression": None,
                  "extensions": [ServerPerMessageDeflateFactory(**json.loads(args.deflate_options))]}
        else:
            kw = {"compression": "deflate"}
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        kw["ssl"] = ctx

    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))

    async with websockets.serve(handler, args.host, args.port, create_protocol=CountingProtocol,
                                max_size=MAX_SIZE, max_queue=64, ping_interval=None,
                                close_timeout=2, **kw) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening on {args.host}:{port}{' (tls)' if args.tls_cert else ''}", flush=True)
        await stop
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""sdk-python: the official Python SDK (PyPI centrifuge-python, pinned in
requirements.txt) driven by tests/interop/sdks/run_sdk_interop.py over the
line protocol of tests/interop/sdks/README.md: commands on stdin, one per
line; events on stdout, one JSON object per line.

    .venv/bin/python sdk_python.py --url ws://127.0.0.1:PORT/connection/websocket \
        --token JWT --channel C [--format json|protobuf]

The SDK does the protocol work (connect, reconnect with backoff, recovery on
resubscribe); this program only maps its callbacks and calls onto lines.

Data on the lines is base64 of raw bytes. With Protobuf the SDK takes and
gives bytes, so they pass as they are. With JSON the SDK takes and gives
Python values (it parses each frame with json.loads), so the bytes are parsed
before a publish and a received value is written back as compact JSON
(separators "," and ":", no ASCII escaping): that is byte-exact for compact
JSON without floats, which is what the driver sends.
"""
import argparse
import asyncio
import base64
import json
import sys

import centrifuge

COMMAND_TIMEOUT = 10.0  # seconds; past it the reply is ok:false code 0 "timeout"


def emit(event: str, **fields) -> None:
    fields = {"event": event, **fields}
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class Codec:
    """Raw bytes on the lines <-> what the SDK takes and gives."""

    def __init__(self, protobuf: bool):
        self.protobuf = protobuf

    def to_sdk(self, raw: bytes):
        return raw if self.protobuf else json.loads(raw.decode("utf-8"))

    def from_sdk(self, data) -> str:
        if self.protobuf:
            raw = bytes(data or b"")
        else:
            raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return base64.b64encode(raw).decode("ascii")


def error_fields(exc: BaseException) -> dict:
    """The server's code for a server error, 0 for the SDK's own."""
    if isinstance(exc, centrifuge.ReplyError):
        return {"code": exc.code, "message": exc.message}
    if isinstance(exc, (asyncio.TimeoutError, centrifuge.OperationTimeoutError)):
        return {"code": 0, "message": "timeout"}
    return {"code": 0, "message": f"{type(exc).__name__}: {exc}"}


class ClientEvents(centrifuge.ClientEventHandler):
    async def on_connecting(self, ctx):
        emit("log", message=f"connecting: {ctx.code} {ctx.reason}")

    async def on_connected(self, ctx):
        emit("connected", client=ctx.client)

    async def on_disconnected(self, ctx):
        emit("disconnected", code=ctx.code, reason=ctx.reason)

    async def on_error(self, ctx):
        emit("error", **error_fields(ctx.error))


class SubscriptionEvents(centrifuge.SubscriptionEventHandler):
    """Prints a subscription's events. `outcome`, when given, is resolved by
    the first subscribed (True) or refusal ((code, message)) of the attempt
    a `subscribe` command waits for."""

    def __init__(self, channel: str, codec: Codec, outcome: asyncio.Future | None = None):
        self.channel = channel
        self.codec = codec
        self.outcome = outcome

    def _resolve(self, value) -> None:
        if self.outcome is not None and not self.outcome.done():
            self.outcome.set_result(value)

    async def on_subscribing(self, ctx):
        emit("subscribing", channel=self.channel, code=ctx.code, reason=ctx.reason)

    async def on_subscribed(self, ctx):
        pos = ctx.stream_position
        emit("subscribed", channel=self.channel, recovered=ctx.recovered,
             wasRecovering=ctx.was_recovering, recoverable=ctx.recoverable,
             positioned=ctx.positioned, offset=pos.offset if pos else 0,
             epoch=pos.epoch if pos else "")
        self._resolve(True)

    async def on_unsubscribed(self, ctx):
        emit("unsubscribed", channel=self.channel, code=ctx.code, reason=ctx.reason)
        self._resolve((ctx.code, ctx.reason))

    async def on_error(self, ctx):
        emit("error", channel=self.channel, **error_fields(ctx.error))

    async def on_publication(self, ctx):
        emit("publication", channel=self.channel, offset=ctx.pub.offset,
             data=self.codec.from_sdk(ctx.pub.data))

    async def on_join(self, ctx):
        emit("log", message=f"join {self.channel}: client {ctx.info.client} user {ctx.info.user}")

    async def on_leave(self, ctx):
        emit("log", message=f"leave {self.channel}: client {ctx.info.client} user {ctx.info.user}")


class Program:
    def __init__(self, client: centrifuge.Client, sub: centrifuge.Subscription, codec: Codec):
        self.client = client
        self.sub = sub
        self.codec = codec

    async def run(self, cmd_id: str, verb: str, args: list[str]) -> None:
        try:
            fields = await asyncio.wait_for(self.execute(verb, args), COMMAND_TIMEOUT)
        except Exception as exc:  # every failure is a reply, never a crash
            emit("reply", id=cmd_id, ok=False, **error_fields(exc))
            return
        if isinstance(fields, tuple):  # a refusal the SDK reported as an event
            code, message = fields
            emit("reply", id=cmd_id, ok=False, code=code, message=message)
        else:
            emit("reply", id=cmd_id, ok=True, **fields)

    async def execute(self, verb: str, args: list[str]):
        if verb == "publish" and len(args) == 1:
            await self.sub.publish(self.codec.to_sdk(base64.b64decode(args[0], validate=True)))
            return {}
        if verb == "presence" and not args:
            res = await self.sub.presence()
            return {"clients": sorted(info.client for info in res.clients.values())}
        if verb == "presence_stats" and not args:
            res = await self.sub.presence_stats()
            return {"numClients": res.num_clients, "numUsers": res.num_users}
        if verb == "history" and len(args) == 1:
            res = await self.sub.history(limit=int(args[0]))
            return {"offsets": [p.offset for p in res.publications],
                    "data": [self.codec.from_sdk(p.data) for p in res.publications],
                    "epoch": res.epoch, "offset": res.offset}
        if verb == "subscribe" and len(args) == 1:
            outcome = asyncio.get_running_loop().create_future()
            sub = self.client.new_subscription(
                args[0], events=SubscriptionEvents(args[0], self.codec, outcome))
            await sub.subscribe()
            result = await outcome
            return {} if result is True else result
        raise ValueError(f"unknown command {verb!r} with {len(args)} arguments")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--channel", required=True)
    parser.add_argument("--format", choices=["json", "protobuf"], default="json")
    opts = parser.parse_args()

    codec = Codec(protobuf=opts.format == "protobuf")
    client = centrifuge.Client(opts.url, events=ClientEvents(), token=opts.token,
                               use_protobuf=codec.protobuf, name="herald-interop-python",
                               proxy=None)
    sub = client.new_subscription(opts.channel, events=SubscriptionEvents(opts.channel, codec),
                                  recoverable=True, positioned=True, join_leave=True)
    program = Program(client, sub, codec)
    await sub.subscribe()
    await client.connect()

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks = set()  # commands run concurrently; the set keeps them referenced
    while True:
        line = await reader.readline()
        if not line:  # stdin closed: the driver is gone
            await client.disconnect()
            return 0
        fields = line.decode("utf-8", "replace").split()
        if len(fields) < 2:
            if fields:
                emit("log", message=f"ignored a command without a verb: {line!r}")
            continue
        cmd_id, verb, args = fields[0], fields[1], fields[2:]
        if verb == "quit":
            await client.disconnect()
            emit("reply", id=cmd_id, ok=True)
            return 0
        task = asyncio.create_task(program.run(cmd_id, verb, args))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

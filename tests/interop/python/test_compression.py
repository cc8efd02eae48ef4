"""Interop tier: Python `websockets` with permessage-deflate against Herald's
example servers started with --compression, over ws:// and wss://.

    HERALD_ECHO_SERVER=build/.../examples/echo_server \\
    HERALD_BROADCAST_SERVER=build/.../examples/broadcast \\
    HERALD_MAKE_CERTS=tests/support/make_certs.sh \\
    /usr/bin/python3 -m unittest -v test_compression

ctest (label "interop") sets the variables. The certificates (a CA, and a
server certificate for 127.0.0.1 signed by it) are made in a temporary
directory by make_certs.sh; the client trusts only that CA.

What the client sees of each data frame is recorded by RecordingDeflate, so
the tests check not only that messages come back intact, but that Herald
compressed exactly the messages of 64 bytes or more, honoured
server_no_context_takeover and the window sizes it agreed to, and answered
each offer with the parameters RFC 7692 calls for.
"""

import asyncio
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest

import websockets
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory, PerMessageDeflate
from websockets.frames import OP_BINARY, OP_CONT, OP_TEXT

from test_echo import MIB, RNG, SEED, STEP_TIMEOUT, AsyncTestCase, Server, random_bytes, random_text, step

SERVER_MAX = 16 * MIB
MIN_COMPRESS = 64  # Herald sends messages of at least this many bytes compressed
SIZES = [0, 1, 63, 64, 65, 1000, 65536, 4 * MIB]
HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = None  # the temporary directory with make_certs.sh's output


def setUpModule():
    global CERTS
    print(f"interop: random seed {SEED} (set HERALD_INTEROP_SEED to replay)", file=sys.stderr)
    make_certs = os.environ.get("HERALD_MAKE_CERTS",
                                os.path.join(HERE, "..", "..", "support", "make_certs.sh"))
    CERTS = tempfile.mkdtemp(prefix="herald-interop-certs-")
    subprocess.run(["bash", make_certs, CERTS], check=True)


def tearDownModule():
    if CERTS:
        shutil.rmtree(CERTS, ignore_errors=True)


def compressible(n, text):
    """n bytes (or a str of n UTF-8 bytes) of random blocks, each repeated three times:
    back-references at distances of 100 bytes to 20 KB, so an inflater with a smaller
    window than the deflater used fails on them."""
    parts, size = [], 0
    while size < n:
        length = min(RNG.choice((100, 1000, 5000, 20000)), n - size)
        block = random_text(length) if text else random_bytes(length)
        for _ in range(3):
            if size + length > n:
                # A short tail of ASCII, so a text message is never cut mid-character.
                parts.append(("y" if text else b"y") * (n - size))
                size = n
                break
            parts.append(block)
            size += length
    return ("" if text else b"").join(parts)


def payload(n, text, packed):
    if packed:
        return compressible(n, text)
    return random_text(n) if text else random_bytes(n)


def utf8_len(message):
    return len(message.encode()) if isinstance(message, str) else len(message)


def parse_extension(header):
    """'permessage-deflate; a=1; b' -> ('permessage-deflate', {'a': '1', 'b': None}); None for no header."""
    if header is None:
        return None
    name, *params = [p.strip() for p in header.split(";")]
    out = {}
    for p in params:
        key, eq, value = p.partition("=")
        out[key.strip().lower()] = value.strip().strip('"') if eq else None
    return name.lower(), out


class RecordingDeflate(ClientPerMessageDeflateFactory):
    """A permessage-deflate offer that records what arrives: for each data message
    received, (rsv1 of its first frame, its bytes on the wire, its number of frames),
    and for each message sent, whether its first frame went out compressed."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.received = []
        self.sent = []

    def process_response_params(self, params, accepted_extensions):
        ext = super().process_response_params(params, accepted_extensions)
        received, sent = self.received, self.sent
        decode, encode = ext.decode, ext.encode

        def recording_decode(frame, *, max_size=None):
            if frame.opcode in (OP_TEXT, OP_BINARY):
                received.append([frame.rsv1, len(frame.data), 1])
            elif frame.opcode is OP_CONT and received:
                received[-1][1] += len(frame.data)
                received[-1][2] += 1
            return decode(frame, max_size=max_size)

        def recording_encode(frame):
            out = encode(frame)
            if frame.opcode in (OP_TEXT, OP_BINARY):
                sent.append([out.rsv1, 1])
            elif frame.opcode is OP_CONT and sent:
                sent[-1][1] += 1
            return out

        ext.decode = recording_decode
        ext.encode = recording_encode
        return ext


def client_ssl():
    return ssl.create_default_context(cafile=os.path.join(CERTS, "ca.pem"))


def connect(uri, factory=None, **kw):
    """factory: a ClientPerMessageDeflateFactory to offer; None: websockets' default offer;
    False: no compression."""
    kw.setdefault("max_size", 2 * SERVER_MAX)
    kw.setdefault("ping_interval", None)
    kw.setdefault("open_timeout", STEP_TIMEOUT)
    kw.setdefault("close_timeout", 5)
    if uri.startswith("wss:"):
        kw.setdefault("ssl", client_ssl())
    if factory is False:
        kw["compression"] = None
    elif factory is not None:
        kw["compression"] = None
        kw["extensions"] = [factory]
    return websockets.connect(uri, **kw)


class HeraldServerCase(AsyncTestCase):
    """Starts SERVER_VAR with SERVER_ARGS (plus the certificate when TLS) for the class."""
    SERVER_VAR = "HERALD_ECHO_SERVER"
    SERVER_ARGS = ("--compression", "--max-message-bytes", str(SERVER_MAX))
    TLS = False

    @classmethod
    def setUpClass(cls):
        args = list(cls.SERVER_ARGS)
        if cls.TLS:
            args += ["--tls-cert", os.path.join(CERTS, "server.pem"), "--tls-key", os.path.join(CERTS, "server.key")]
        cls.server = Server(cls.SERVER_VAR, *args)
        cls.uri = f"{'wss' if cls.TLS else 'ws'}://127.0.0.1:{cls.server.port}/"

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError(f"{cls.server.path} exited with {code} after SIGTERM, expected 0")

    def tearDown(self):
        self.assertTrue(self.server.alive(), "server process died")

    def assert_extension(self, ws, params):
        """params: the dict of permessage-deflate parameters the server must answer, or None for none."""
        header = ws.response_headers.get("Sec-WebSocket-Extensions")
        if params is None:
            self.assertIsNone(header, "the server accepted an extension it should have declined")
            self.assertEqual(ws.extensions, [])
            return
        self.assertEqual(parse_extension(header), ("permessage-deflate", params), f"answer: {header!r}")
        self.assertEqual(len(ws.extensions), 1)
        self.assertIsInstance(ws.extensions[0], PerMessageDeflate)

    async def echo(self, ws, message, recorder=None, compressed=None):
        """Sends, checks the echo; with a recorder, checks the echo's RSV1 against
        `compressed` (default: whether the message has at least MIN_COMPRESS bytes)."""
        size = utf8_len(message)
        what = f"the echo of a {size}-byte {'text' if isinstance(message, str) else 'binary'} message"
        before = len(recorder.received) if recorder else 0
        await step(ws.send(message), what=f"sending {what[4:]}")
        reply = await step(ws.recv(), what=what)
        self.assertIs(type(reply), type(message), what)
        if reply != message:  # don't let unittest diff 4 MiB
            self.fail(f"{what} differs: got {utf8_len(reply)} bytes")
        if recorder is None:
            return None
        self.assertEqual(len(recorder.received), before + 1, f"{what}: one message arrived")
        rsv1, wire, _ = recorder.received[-1]
        expect = size >= MIN_COMPRESS if compressed is None else compressed
        self.assertEqual(rsv1, expect, f"{what} arrived {'' if rsv1 else 'un'}compressed ({wire} bytes on the wire)")
        return wire


class CompressionEchoTest(HeraldServerCase):
    """echo_server --compression over ws://."""

    async def test_default_offer(self):
        # websockets' own default: compression="deflate", offering
        # "permessage-deflate; client_max_window_bits".
        async with connect(self.uri) as ws:
            self.assertEqual(ws.request_headers["Sec-WebSocket-Extensions"],
                             "permessage-deflate; client_max_window_bits")
            self.assert_extension(ws, {"client_max_window_bits": "15"})
            ext = ws.extensions[0]
            self.assertEqual((ext.remote_no_context_takeover, ext.local_no_context_takeover,
                              ext.remote_max_window_bits, ext.local_max_window_bits), (False, False, 15, 15))
            # (test_only_messages_of_64_bytes_or_more_are_compressed covers the other two mixes.)
            for text, packed in ((True, True), (False, False)):
                for n in SIZES:
                    await self.echo(ws, payload(n, text, packed))

    async def test_only_messages_of_64_bytes_or_more_are_compressed(self):
        rec = RecordingDeflate()
        async with connect(self.uri, rec) as ws:
            for text in (True, False):
                for packed in (True, False):
                    for n in SIZES:
                        await self.echo(ws, payload(n, text, packed), rec)
            # Herald sends each message as one frame.
            self.assertEqual({frames for _, _, frames in rec.received}, {1})
            # And websockets compresses everything it sends, empty messages included.
            self.assertTrue(all(rsv1 for rsv1, _ in rec.sent))

    # (offer, the parameters Herald must answer, server_no_context_takeover agreed)
    OFFERS = [
        ({}, {"client_max_window_bits": "15"}, False),
        ({"client_max_window_bits": None}, {}, False),
        ({"client_max_window_bits": 9}, {"client_max_window_bits": "9"}, False),
        ({"client_max_window_bits": 12}, {"client_max_window_bits": "12"}, False),
        ({"server_max_window_bits": 9}, {"server_max_window_bits": "9", "client_max_window_bits": "15"}, False),
        ({"server_max_window_bits": 12, "client_max_window_bits": 11},
         {"server_max_window_bits": "12", "client_max_window_bits": "11"}, False),
        ({"server_max_window_bits": 15}, {"server_max_window_bits": "15", "client_max_window_bits": "15"}, False),
        ({"server_no_context_takeover": True},
         {"server_no_context_takeover": None, "client_max_window_bits": "15"}, True),
        ({"client_no_context_takeover": True},
         {"client_no_context_takeover": None, "client_max_window_bits": "15"}, False),
        ({"server_no_context_takeover": True, "client_no_context_takeover": True,
          "server_max_window_bits": 10, "client_max_window_bits": 10},
         {"server_no_context_takeover": None, "client_no_context_takeover": None,
          "server_max_window_bits": "10", "client_max_window_bits": "10"}, True),
        ({"compress_settings": {"level": 9, "memLevel": 9}}, {"client_max_window_bits": "15"}, False),
    ]

    async def test_explicit_offers(self):
        for offer, answer, server_no_takeover in self.OFFERS:
            with self.subTest(offer=offer):
                rec = RecordingDeflate(**offer)
                async with connect(self.uri, rec) as ws:
                    self.assert_extension(ws, answer)
                    ext = ws.extensions[0]
                    self.assertEqual(ext.remote_max_window_bits, int(answer.get("server_max_window_bits", 15)))
                    self.assertEqual(ext.local_max_window_bits, int(answer.get("client_max_window_bits", 15)))
                    for n in (0, 63, 64, 65, 1000, 65536, 300_000):
                        for text in (True, False):
                            await self.echo(ws, payload(n, text, True), rec)
                    await self.echo(ws, random_bytes(65536), rec)
                    await self.echo(ws, random_text(70000), rec)
                    # The same message twice: with context takeover the second one
                    # refers back into the first and is far smaller on the wire.
                    # (Random content, short enough for the agreed window to reach back:
                    # zlib reaches back at most 2^bits - 262 bytes.)
                    m = random_bytes(min(10_000, 2 ** ext.remote_max_window_bits // 4))
                    first = await self.echo(ws, m, rec)
                    second = await self.echo(ws, m, rec)
                    if server_no_takeover:
                        self.assertEqual(first, second, "server_no_context_takeover was agreed, "
                                                        "yet the repeat compressed differently")
                    else:
                        self.assertLess(second * 4, first, "the server does not keep its context across messages")
                    await step(ws.close(4000, "offer done"))
                    self.assertEqual(ws.close_code, 4000)

    async def test_window_bits_shape_compression(self):
        # 1000-byte blocks repeated: a 512-byte window cannot reach back to the
        # previous block, a 32 KiB one can.
        m = random_bytes(1000) * 20
        sizes = {}
        for bits in (9, 15):
            rec = RecordingDeflate(server_max_window_bits=bits, server_no_context_takeover=True)
            async with connect(self.uri, rec) as ws:
                sizes[bits] = await self.echo(ws, m, rec)
        self.assertLess(sizes[15] * 5, sizes[9], f"compressed sizes by server_max_window_bits: {sizes}")

    async def test_window_bits_8_is_declined(self):
        # zlib cannot compress with a 256-byte window, so Herald declines the offer.
        rec = RecordingDeflate(server_max_window_bits=8)
        async with connect(self.uri, rec) as ws:
            self.assert_extension(ws, None)
            await self.echo(ws, compressible(1000, text=True))
            await self.echo(ws, random_bytes(65536))

    async def test_two_offers_the_first_declined(self):
        # Two offers in one header: one Herald cannot honour, then one it can.
        first, second = RecordingDeflate(server_max_window_bits=8), RecordingDeflate(client_max_window_bits=10)
        async with connect(self.uri, False, extensions=[first, second]) as ws:
            self.assertEqual(ws.request_headers["Sec-WebSocket-Extensions"],
                             "permessage-deflate; server_max_window_bits=8; client_max_window_bits, "
                             "permessage-deflate; client_max_window_bits=10")
            self.assert_extension(ws, {"client_max_window_bits": "10"})
            self.assertEqual(ws.extensions[0].local_max_window_bits, 10)
            await self.echo(ws, compressible(100_000, text=False), second)
            self.assertEqual(first.received, [])

    async def test_fragmented_compressed_messages(self):
        rec = RecordingDeflate()
        async with connect(self.uri, rec) as ws:
            cases = [
                [compressible(100, True), "", compressible(70000, True), random_text(1), random_text(125)],
                [random_bytes(n) for n in (1, 0, 126, 65536, 3)],
                [compressible(MIB, False) for _ in range(3)],
                ["€"[:1], "", "x" * 63, "y"],  # tiny fragments of one compressed message
            ]
            for parts in cases:
                await step(ws.send(parts))
                whole = "".join(parts) if isinstance(parts[0], str) else b"".join(parts)
                self.assertEqual(await step(ws.recv()), whole)
                rsv1, frames = rec.sent[-1]
                self.assertTrue(rsv1, "the client sent the fragmented message compressed")
                # websockets 10.4 ends a fragmented message with an empty final frame.
                self.assertEqual(frames, len(parts) + 1, f"fragments of {[utf8_len(p) for p in parts]}")

            # Fragments that arrive in separate reads, with a ping in between.
            async def slow():
                for i in range(12):
                    yield compressible(i * 700, text=False)
                    await asyncio.sleep(0.005)
                    if i == 6:
                        await step(await ws.ping(b"mid-message"), 5)
            sent = []

            async def recording():
                async for p in slow():
                    sent.append(p)
                    yield p
            await step(ws.send(recording()))
            self.assertEqual(await step(ws.recv()), b"".join(sent))
            await self.echo(ws, "after fragments " * 10, rec)

    async def test_many_messages_in_flight(self):
        rec = RecordingDeflate(client_no_context_takeover=True)
        async with connect(self.uri, rec) as ws:
            msgs = []
            for i in range(400):
                n = RNG.randrange(0, 400)
                msgs.append(payload(n, i % 2 == 1, i % 3 == 0))
            for m in msgs:
                await ws.send(m)
            for i, m in enumerate(msgs):
                got = await step(ws.recv())
                self.assertTrue(got == m, f"message {i} ({utf8_len(m)} bytes) came back different")
            self.assertEqual([rsv1 for rsv1, _, _ in rec.received], [utf8_len(m) >= MIN_COMPRESS for m in msgs])

    async def test_ping_and_close_on_a_compressed_connection(self):
        async with connect(self.uri, RecordingDeflate()) as ws:
            for p in (b"", b"herald", random_bytes(125)):
                await step(await ws.ping(p), 5)
            await self.echo(ws, compressible(5000, True))
            await step(ws.close(4000, "app-specific ünïcode"))
            self.assertEqual(ws.close_code, 4000)
            with self.assertRaises(ConnectionClosed):
                await ws.recv()

    async def test_uncompressed_client(self):
        # A client that offers nothing gets plain frames from a compressing server.
        async with connect(self.uri, False) as ws:
            self.assert_extension(ws, None)
            await self.echo(ws, compressible(100_000, text=True))
            await self.echo(ws, random_bytes(1000))

    async def test_many_clients_with_different_offers(self):
        offers = [None, False] + [off for off, _, _ in self.OFFERS]

        async def one(i, offer):
            factory = offer if offer in (None, False) else RecordingDeflate(**offer)
            async with connect(self.uri, factory) as ws:
                for n in (0, 64, 5000, 70000, 300_000):
                    m = payload(n, i % 2 == 0, i % 3 != 0)
                    await step(ws.send(m))
                    self.assertTrue(await step(ws.recv()) == m, f"client {i} ({offer}): {n}-byte echo differs")
        await step(asyncio.gather(*(one(i, o) for i, o in enumerate(offers))), 60)


class CompressionEchoTlsTest(CompressionEchoTest):
    """The same over wss://, the client trusting only the test CA. The
    negotiation tests, which TLS does not change, run over ws:// only."""
    TLS = True
    test_explicit_offers = None
    test_window_bits_shape_compression = None
    test_window_bits_8_is_declined = None
    test_two_offers_the_first_declined = None

    async def test_tls_connection(self):
        async with connect(self.uri) as ws:
            sslobj = ws.transport.get_extra_info("ssl_object")
            self.assertIsNotNone(sslobj, "not a TLS connection")
            self.assertIn(sslobj.version(), ("TLSv1.2", "TLSv1.3"))
            self.assert_extension(ws, {"client_max_window_bits": "15"})


class CompressionTwoThreadsTlsTest(HeraldServerCase):
    SERVER_ARGS = ("--compression", "--max-message-bytes", str(SERVER_MAX), "--threads", "2")
    TLS = True

    async def test_concurrent_clients_across_loops(self):
        async def one(i):
            rec = RecordingDeflate(server_no_context_takeover=i % 2 == 0, server_max_window_bits=(None, 10, 15)[i % 3])
            async with connect(self.uri, rec) as ws:
                for n in (0, 63, 64, 126, 65536, MIB):
                    await self.echo(ws, payload(n, i % 2 == 1, i % 4 < 2), rec)
                await step(ws.send([compressible(500, False), b"", random_bytes(70000)]))
                self.assertEqual(len(await step(ws.recv())), 70500)
        await step(asyncio.gather(*(one(i) for i in range(8))), 90)


class NoCompressionServerTest(HeraldServerCase):
    """echo_server without --compression declines every offer."""
    SERVER_ARGS = ("--max-message-bytes", str(SERVER_MAX))

    async def test_offer_is_declined(self):
        for factory in (None, RecordingDeflate(server_no_context_takeover=True, client_max_window_bits=10)):
            async with connect(self.uri, factory) as ws:
                self.assertIn("permessage-deflate", ws.request_headers["Sec-WebSocket-Extensions"])
                self.assert_extension(ws, None)
                for n in (0, 64, 65536):
                    await self.echo(ws, compressible(n, text=True))


class CompressionBroadcastTest(HeraldServerCase):
    """broadcast --compression: one published message reaches clients that agreed
    to different parameters (or to no compression at all), each intact."""
    SERVER_VAR = "HERALD_BROADCAST_SERVER"
    SERVER_ARGS = ("--compression", "--max-message-bytes", str(SERVER_MAX), "--threads", "1")
    QUIET = 0.3

    OFFERS = [
        {},
        {"server_no_context_takeover": True},
        {"server_max_window_bits": 9},
        {"client_max_window_bits": 9, "client_no_context_takeover": True},
        {"server_max_window_bits": 11, "server_no_context_takeover": True, "client_max_window_bits": None},
        False,  # no compression
    ]

    async def test_broadcast_to_clients_with_different_parameters(self):
        recs = [False if o is False else RecordingDeflate(**o) for o in self.OFFERS]
        clients = [await connect(self.uri, r) for r in recs]
        try:
            messages = []
            for k in range(3):  # repeats exercise each receiver's context takeover
                messages += [random_bytes(0), "x" * 63, compressible(64, True), compressible(1000, True),
                             random_bytes(65536), compressible(200_000, False), compressible(MIB, True)]
            messages.append(messages[3])  # the very same message again
            for k, message in enumerate(messages):
                sender = k % len(clients)
                await step(clients[sender].send(message))
                for i, ws in enumerate(clients):
                    if i == sender:
                        continue
                    got = await step(ws.recv(), what=f"client {i} receiving message {k}")
                    self.assertIs(type(got), type(message))
                    self.assertTrue(got == message, f"client {i} got {utf8_len(got)} bytes for message {k}, "
                                                    f"expected {utf8_len(message)}")
            await asyncio.sleep(self.QUIET)
            for i, ws in enumerate(clients):
                with self.assertRaises(asyncio.TimeoutError, msg=f"client {i} received an extra message"):
                    await asyncio.wait_for(ws.recv(), 0.01)
            for i, rec in enumerate(recs):
                if rec is False:
                    continue
                expected = [utf8_len(m) >= MIN_COMPRESS for k, m in enumerate(messages) if k % len(clients) != i]
                self.assertEqual([rsv1 for rsv1, _, _ in rec.received], expected,
                                 f"client {i} ({self.OFFERS[i]}): which messages arrived compressed")
        finally:
            for ws in clients:
                await step(ws.close())

    async def test_fragmented_compressed_is_broadcast_whole(self):
        clients = [await connect(self.uri, RecordingDeflate()) for _ in range(3)]
        clients.append(await connect(self.uri, False))
        try:
            parts = [compressible(5000, True), "", "part two " * 20]
            await clients[0].send(parts)
            for ws in clients[1:]:
                self.assertEqual(await step(ws.recv()), "".join(parts))
            with self.assertRaises(asyncio.TimeoutError):
                await asyncio.wait_for(clients[0].recv(), self.QUIET)
        finally:
            for ws in clients:
                await ws.close()


class CompressionBroadcastTwoThreadsTest(CompressionBroadcastTest):
    SERVER_ARGS = ("--compression", "--max-message-bytes", str(SERVER_MAX), "--threads", "2")


if __name__ == "__main__":
    unittest.main()

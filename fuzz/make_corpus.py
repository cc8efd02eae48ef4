#!/usr/bin/python3
"""Writes the seed corpus of each fuzz target into fuzz/corpus/<target>/.

Run once after changing it: /usr/bin/python3 fuzz/make_corpus.py
Each seed is small and means something (a valid handshake, a fragmented
message with a ping in the middle, ...); the fuzzer grows the rest.
"""

import os
import shutil
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 section 1.3


def request(method="GET", target="/chat", version="HTTP/1.1", headers=(), tail=b""):
    head = f"{method} {target} {version}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("latin-1") + b"\r\n" + tail


def upgrade_headers(**extra):
    h = [("Host", "server.example.com"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
         ("Sec-WebSocket-Key", KEY), ("Sec-WebSocket-Version", "13")]
    h += [(k.replace("_", "-"), v) for k, v in extra.items()]
    return h


def http_seeds():
    many = [(f"X-Header-{i}", f"value {i}") for i in range(99)]
    return {
        "get_simple": request(target="/", headers=[("Host", "localhost")]),
        "get_query": request(target="/chat?room=lobby&since=42", headers=[("Host", "h"), ("Accept", "*/*")]),
        "handshake": request(headers=upgrade_headers()),
        "handshake_with_frame": request(headers=upgrade_headers(),
                                        tail=bytes.fromhex("818537fa213d7f9f4d5158")),
        "headers_100": request(headers=[("Host", "h")] + many),
        "headers_101": request(headers=[("Host", "h"), ("X-Extra", "1")] + many),
        "head_too_large": request(headers=[("Host", "h"), ("X-Big", "a" * 8300)]),
        "no_blank_line": b"GET / HTTP/1.1\r\nHost: h\r\nX-Partial: ye",
        "http10": request(version="HTTP/1.0", headers=[("Host", "h")]),
        "http20": request(version="HTTP/2.0", headers=[("Host", "h")]),
        "obs_fold": b"GET / HTTP/1.1\r\nHost: h\r\nX-Folded: a\r\n  b\r\n\r\n",
        "no_colon": b"GET / HTTP/1.1\r\nHost h\r\n\r\n",
        "control_in_value": b"GET / HTTP/1.1\r\nHost: h\x01x\r\n\r\n",
        "whitespace_values": b"GET / HTTP/1.1\r\nHost: \t h \t\r\nEmpty:\r\nTab:\t\r\n\r\n",
        "bare_lf": b"GET / HTTP/1.1\nHost: h\n\n",
        "post_body": request(method="POST", target="/publish",
                             headers=[("Host", "h"), ("Content-Length", "5")], tail=b"hello"),
        "obs_text": b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\nX-Latin: \xe9t\xe9\r\n\r\n",
    }


def handshake_seeds():
    return {
        "valid": request(headers=upgrade_headers()),
        "valid_origin": request(headers=upgrade_headers(Origin="https://good.example")),
        "evil_origin": request(headers=upgrade_headers(Origin="https://evil.example")),
        "subprotocols": request(headers=upgrade_headers(Sec_WebSocket_Protocol="superchat, chat")),
        "subprotocol_other": request(headers=upgrade_headers(Sec_WebSocket_Protocol="mqtt, v2.chat")),
        "token_lists": request(headers=[("Host", "h"), ("Upgrade", "h2c, WebSocket"),
                                        ("Connection", "keep-alive, Upgrade"), ("Sec-WebSocket-Key", KEY),
                                        ("Sec-WebSocket-Version", "13")]),
        "post": request(method="POST", headers=upgrade_headers()),
        "http10": request(version="HTTP/1.0", headers=upgrade_headers()),
        "two_hosts": request(headers=upgrade_headers(Host="other")),
        "no_upgrade": request(headers=[("Host", "h"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", KEY),
                                       ("Sec-WebSocket-Version", "13")]),
        "version_8": request(headers=[h if h[0] != "Sec-WebSocket-Version" else (h[0], "8")
                                      for h in upgrade_headers()]),
        "bad_key": request(headers=[h if h[0] != "Sec-WebSocket-Key" else (h[0], "short==")
                                    for h in upgrade_headers()]),
        "no_key": request(headers=[h for h in upgrade_headers() if h[0] != "Sec-WebSocket-Key"]),
        "lowercase_names": request(headers=[(k.lower(), v) for k, v in upgrade_headers()]),
    }


def frame(opcode, payload=b"", fin=True, mask=b"\x37\xfa\x21\x3d", rsv=0, length_form=None):
    b0 = (0x80 if fin else 0) | rsv | opcode
    n = len(payload)
    form = length_form or (7 if n < 126 else 16 if n < 65536 else 64)
    mbit = 0x80 if mask is not None else 0
    if form == 7:
        head = bytes([b0, mbit | n])
    elif form == 16:
        head = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if mask is None:
        return head + payload
    return head + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def close_payload(code, reason=b""):
    return struct.pack(">H", code) + reason


SERVER, CLIENT = 0xFE, 0xFF  # byte 0 of a frame seed: role, and a 4096-byte limit
SMALL = 10 << 1               # server, 10-byte limit


def frame_seeds():
    text, binary, cont, close, ping, pong = 1, 2, 0, 8, 9, 10
    euro = "€".encode()
    return {
        "text_hello": bytes([SERVER]) + frame(text, b"Hello"),
        "binary_256": bytes([SERVER]) + frame(binary, bytes(range(256))),
        "binary_len64": bytes([SERVER]) + frame(binary, b"x" * 200, length_form=64),
        "len64_huge": bytes([SERVER]) + bytes([0x82, 0xFF]) + struct.pack(">Q", 70000) + b"\0\0\0\0" + b"y" * 16,
        "len64_top_bit": bytes([SERVER]) + bytes([0x82, 0xFF]) + struct.pack(">Q", 1 << 63) + b"\0\0\0\0",
        "fragmented_ping": bytes([SERVER]) + frame(text, b"Hel", fin=False) + frame(ping, b"are you there")
                           + frame(cont, b"lo", fin=False) + frame(cont, b", world"),
        "utf8_split": bytes([SERVER]) + frame(text, b"price " + euro[:1], fin=False)
                      + frame(cont, euro[1:] + b" 5", fin=True),
        "close_reason": bytes([SERVER]) + frame(close, close_payload(1000, "bye ✓".encode())),
        "close_empty": bytes([SERVER]) + frame(close),
        "close_1005": bytes([SERVER]) + frame(close, close_payload(1005)),
        "close_1byte": bytes([SERVER]) + frame(close, b"\x03"),
        "close_bad_utf8": bytes([SERVER]) + frame(close, close_payload(4000, b"\xc3(")),
        "text_bad_utf8": bytes([SERVER]) + frame(text, b"ok \xed\xa0\x80 surrogate"),
        "text_truncated_utf8": bytes([SERVER]) + frame(text, b"end \xe2\x82"),
        "unmasked_to_server": bytes([SERVER]) + frame(text, b"hi", mask=None),
        "too_big_small_limit": bytes([SMALL]) + frame(text, b"0123456789", fin=False) + frame(cont, b"!"),
        "rsv1": bytes([SERVER]) + frame(text, b"x", rsv=0x40),
        "unknown_opcode": bytes([SERVER]) + frame(3, b"x"),
        "continuation_first": bytes([SERVER]) + frame(cont, b"x"),
        "stream_all": bytes([SERVER]) + frame(text, b"one") + frame(binary, b"\x00\xff") + frame(ping)
                      + frame(pong, b"p") + frame(text, b"") + frame(close, close_payload(1001, b"away"))
                      + frame(text, b"after close"),
        "client_text": bytes([CLIENT]) + frame(text, "héllo".encode(), mask=None) + frame(ping, b"hb", mask=None),
        "client_masked": bytes([CLIENT]) + frame(text, b"masked"),
        "client_len16": bytes([CLIENT]) + frame(binary, b"z" * 300, mask=None)
                        + frame(close, close_payload(3000), mask=None),
    }


def utf8_seeds():
    return {
        "ascii": b"The quick brown fox jumps over the lazy dog 0123456789",
        "mixed": "héllo wörld € 𝄞 日本語 ✓".encode(),
        "boundaries": "\u007f\u0080\u07ff\u0800\ud7ff\ue000\uffff\U00010000\U0010ffff".encode(),
        "overlong2": b"\xc0\x80",
        "overlong3": b"\xe0\x80\xaf",
        "overlong4": b"\xf0\x80\x80\xaf",
        "surrogate": b"\xed\xa0\x80",
        "above_max": b"\xf4\x90\x80\x80",
        "f5_lead": b"\xf5\x80\x80\x80",
        "truncated": b"abc\xf0\x9f\x98",
        "lone_continuation": b"abc\x80def",
        "bad_after_ascii_run": b"a" * 61 + b"\xff" + b"bc",
        "ascii_run_then_multibyte": b"b" * 40 + "ü€𝄞".encode() + b"c" * 9,
    }


def deflate(messages, wbits=15, takeover=True):
    """Each message compressed as permessage-deflate sends it: sync flush, 00 00 FF FF removed."""
    out, c = [], zlib.compressobj(wbits=-wbits)
    for m in messages:
        if not takeover:
            c = zlib.compressobj(wbits=-wbits)
        data = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
        out.append(data[:-4] if data.endswith(b"\x00\x00\xff\xff") else data)
    return out


def inflate_seeds():
    # Byte 0: bits 0-2 window - 8, bit 3 no context takeover, bit 4 reader mode,
    # bit 5 text (codec) or client (reader), bits 6-7 the limit (64, 1000, 16 KiB + 1, 100 KiB).
    def codec(cfg, messages):
        return bytes([cfg]) + b"".join(struct.pack("<H", len(m)) + m for m in messages)

    hello, again = bytes.fromhex("f248cdc9c90700"), bytes.fromhex("f200110000")
    text = [("message %d: " % i).encode() + "héllo wörld € ".encode() * (i + 1) for i in range(6)]
    big = 0xC0 | 7  # 100 KiB limit, window 15, context takeover
    rsv1 = 0x40
    reader, client = big | 0x10, big | 0x10 | 0x20
    pieces = deflate([b"fragmented " * 40])[0]
    return {
        "rfc_hello_again": codec(big | 0x20, [hello, again]),
        "rfc_stored": codec(big, [bytes.fromhex("000500faff48656c6c6f00")]),
        "rfc_bfinal": codec(big, [bytes.fromhex("f348cdc9c9070000"), hello]),
        "rfc_two_blocks": codec(big, [bytes.fromhex("f248050000 00ffff cac9c90700".replace(" ", ""))]),
        "text_context": codec(big | 0x20, deflate(text)),
        "text_no_context": codec(big | 0x20 | 8, deflate(text, takeover=False)),
        "window9": codec(0xC0 | 1, deflate(text + [bytes(range(256)) * 8], wbits=9)),
        "window12_small_limit": codec(0x40 | 4, deflate([b"a" * 999, b"b" * 1001], wbits=12)),
        "bomb": codec(0x00 | 7, deflate([bytes(1 << 20)])),
        "bomb_100k": codec(big, deflate([b"z" * (1 << 20)])),
        "empty_messages": codec(big, [b"\x00", b"", hello]),
        "corrupt": codec(big, [b"\xff\xff", hello]),
        "truncated": codec(big, [hello[:4]]),
        "bad_utf8": codec(big | 0x20, deflate([b"ok \xed\xa0\x80 surrogate", b"fine"])),
        "reader_hello": bytes([reader]) + frame(1, hello, rsv=rsv1) + frame(1, again, rsv=rsv1),
        "reader_fragments": bytes([reader]) + frame(1, pieces[:5], fin=False, rsv=rsv1) + frame(9, b"ping")
                            + frame(0, pieces[5:], fin=True) + frame(1, b"plain"),
        "reader_rsv1_continuation": bytes([reader]) + frame(1, hello[:3], fin=False, rsv=rsv1)
                                    + frame(0, hello[3:], rsv=rsv1),
        "reader_rsv1_ping": bytes([reader]) + frame(9, b"", rsv=rsv1),
        "reader_bomb": bytes([reader & ~0xC0]) + frame(2, deflate([bytes(1 << 20)])[0], rsv=rsv1),
        "reader_corrupt": bytes([reader]) + frame(1, b"\xff\xff", rsv=rsv1),
        "reader_bad_utf8": bytes([reader]) + frame(1, deflate([b"ab\xffcd"])[0], rsv=rsv1),
        "reader_client": bytes([client]) + frame(1, deflate(["server → client".encode()])[0], mask=None, rsv=rsv1)
                         + frame(8, close_payload(1000), mask=None),
    }


def deflate_negotiation_seeds():
    # Byte 0: the client's offer options; byte 1: the server's config; then the header value.
    values = [
        "permessage-deflate",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12",
        'permessage-deflate; server_max_window_bits="9"; client_max_window_bits="1\\5"',
        "permessage-deflate; server_max_window_bits=8, permessage-deflate",
        "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits",
        'foo; bar="a,b;c", permessage-deflate ; server_max_window_bits = 11',
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; unknown, permessage-deflate;",
        'permessage-deflate; a="unterminated, permessage-deflate',
        "permessage-deflate, permessage-deflate",
        "permessage-deflate; client_max_window_bits=8",
    ]
    seeds = {}
    for i, v in enumerate(values):
        seeds["value_%02d" % i] = bytes([i * 37 & 0xFF, i * 91 & 0xFF]) + v.encode()
    seeds["defaults"] = b"\x00\xff" + values[1].encode()
    return seeds


def handshake_response_seeds():
    # Key dGhlIHNhbXBsZSBub25jZQ== is answered by s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
    ok = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")
    return {
        "accepted": ok + b"\r\n",
        "accepted_with_frame": ok + b"\r\n\x81\x02hi",
        "subprotocol": ok + b"Sec-WebSocket-Protocol: chat\r\n\r\n",
        "unoffered_subprotocol": ok + b"Sec-WebSocket-Protocol: other\r\n\r\n",
        "extension": ok + b"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\r\n",
        "wrong_key": ok.replace(b"s3pP", b"AAAA") + b"\r\n",
        "redirect": b"HTTP/1.1 301 Moved Permanently\r\nLocation: ws://elsewhere/\r\nContent-Length: 0\r\n\r\n",
        "refused": b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope\n",
        "no_reason": b"HTTP/1.1 101\r\nUpgrade: websocket\r\n\r\n",
        "http10": b"HTTP/1.0 101 Switching Protocols\r\n\r\n",
        "garbage": b"SSH-2.0-OpenSSH_9.2\r\n\r\n",
    }


def leb(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def field(b):
    return leb(len(b)) + b


def node_message_seeds():
    """What nodes exchange through Redis: publications, clients, envelopes, control, surveys."""
    data = b'{"text":"hi"}'
    plain = b"P\x00" + field(data) + leb(0)
    with_info = b"P\x01" + field(data) + field(b"ann") + field(b"c-1") + field(b'{"n":"Ann"}') + field(b"") + \
        leb(1) + field(b"k") + field(b"v")
    client = b"C" + field(b"c-1") + field(b"ann") + field(b"") + field(b"")
    control = b"herald-control/1 disconnect 3:ann0:0:4:40003:bye1:01:0"
    return {
        "publication": plain,
        "publication_info_tags": with_info,
        "publication_truncated": with_info[:-3],
        "client": client,
        "envelope_publication": b"p 42 AbCdEfGh 1764000000000 " + with_info,
        "envelope_join": b"j 0 - 1764000000000 {\"push\":{}}",
        "envelope_control": b"c 0 - 1764000000000 " + control,
        "control": control,
        "control_refresh": b"herald-control/1 refresh 3:ann0:0:1:00:10:17640000001:1",
        "survey_request": b"\x01survey 12 AbCdEfGhIjKlMnOp",
        "survey_answer": b"\x01answer AbCdEfGhIjKlMnOp 12 QrStUvWx\n3 10 chat:lobby1 4 news",
    }


def pb_key(number, wire_type):
    return leb(number << 3 | wire_type)


def pb_bytes(number, value):
    return pb_key(number, 2) + field(value)


def pb_varint(number, value):
    return pb_key(number, 0) + leb(value)


def proto_protobuf_seeds():
    """Protobuf client frames: varint-delimited Commands (src/proto/client.proto)."""
    connect = pb_varint(1, 1) + pb_bytes(4, pb_bytes(1, b"token") + pb_bytes(2, b'{"a":1}') +
                                         pb_bytes(3, pb_bytes(1, b"news") + pb_bytes(2, pb_varint(3, 1) + pb_varint(7, 5) +
                                                                                     pb_bytes(6, b"ep"))))
    subscribe = pb_varint(1, 2) + pb_bytes(5, pb_bytes(1, b"chat:a") + pb_varint(3, 1) + pb_bytes(6, b"ep") +
                                           pb_varint(7, 9) + pb_varint(10, 1) + pb_varint(11, 1))
    publish = pb_varint(1, 3) + pb_bytes(7, pb_bytes(1, b"chat:a") + pb_bytes(2, b"\x00\xffbinary"))
    history = pb_varint(1, 4) + pb_bytes(10, pb_bytes(1, b"chat:a") + pb_varint(7, 10) +
                                         pb_bytes(8, pb_varint(1, 3) + pb_bytes(2, b"ep")) + pb_varint(9, 1))
    rpc = pb_varint(1, 5) + pb_bytes(13, pb_bytes(1, b"{}") + pb_bytes(2, b"method"))
    ping = pb_varint(1, 6) + pb_bytes(11, b"")
    send = pb_bytes(12, pb_bytes(1, b"hello"))
    sub_refresh = pb_varint(1, 7) + pb_bytes(15, pb_bytes(1, b"chat:a") + pb_bytes(2, b"tok"))
    return {
        "connect": field(connect),
        "batch": field(subscribe) + field(publish) + field(history) + field(ping),
        "rpc_send_refresh": field(rpc) + field(send) + field(sub_refresh),
        "pong": b"\x00",
        "wrong_wire_type": field(pb_key(4, 0) + leb(1)),
        "truncated": field(subscribe)[:-4],
    }


def fossil_delta_seeds():
    """A cut byte, a source and a delta (or a target)."""
    doc = b'{"board":[{"symbol":"SYM1","price":1007},{"symbol":"SYM2","price":1014}],"version":1}'
    cut = bytes([int(255 * len(doc) / (2 * len(doc) + 20))])
    return {
        "insert_only": b"\x00" + b"3\n3:abc1XObC0;",
        "copy_and_insert": cut + doc + b"1B\n10@0,2:99P@12,3RDO5P;" + doc[:20],
        "document_pair": bytes([127]) + doc + doc.replace(b"1007", b"1009"),
        "truncated": b"\x00" + b"3\n3:a",
    }


def client_replies_seeds():
    """What a server sends the C++ client: the first byte picks the format
    (0 JSON, 1 Protobuf), the rest is one WebSocket message."""
    info = pb_bytes(1, b"alice") + pb_bytes(2, b"c1")
    pub = pb_bytes(4, b'{"text":"hi"}') + pb_bytes(5, info) + pb_varint(6, 7) + pb_bytes(7, pb_bytes(1, b"k") + pb_bytes(2, b"v"))
    push_pub = pb_bytes(4, pb_bytes(2, b"chat") + pb_bytes(4, pub))
    connect = pb_varint(1, 1) + pb_bytes(5, pb_bytes(1, b"client-id") + pb_bytes(2, b"0.1") + pb_varint(7, 25) + pb_varint(8, 1))
    subscribe = pb_varint(1, 2) + pb_bytes(6, pb_varint(3, 1) + pb_bytes(6, b"ep") + pb_bytes(7, pub) + pb_varint(8, 1) +
                                           pb_varint(9, 7))
    history = pb_varint(1, 3) + pb_bytes(11, pb_bytes(1, pub) + pb_bytes(2, b"ep") + pb_varint(3, 7))
    presence = pb_varint(1, 4) + pb_bytes(9, pb_bytes(1, pb_bytes(1, b"c1") + pb_bytes(2, info)))
    error = pb_varint(1, 5) + pb_bytes(2, pb_varint(1, 103) + pb_bytes(2, b"permission denied"))
    join = pb_bytes(4, pb_bytes(2, b"chat") + pb_bytes(5, pb_bytes(1, info)))
    unsub = pb_bytes(4, pb_bytes(2, b"chat") + pb_bytes(7, pb_varint(2, 2500) + pb_bytes(3, b"insufficient state")))
    return {
        "json_connect": b"\x00" + b'{"id":1,"connect":{"client":"c","version":"0.1","ping":25,"pong":true}}',
        "json_batch": b"\x00" + b'{"push":{"channel":"chat","pub":{"data":{"text":"hi"},"info":{"user":"alice","client":"c1"},'
                      b'"offset":7,"tags":{"k":"v"}}}}\n{"id":2,"error":{"code":103,"message":"permission denied"}}\n{}',
        "json_history": b"\x00" + b'{"id":3,"history":{"publications":[{"data":1,"offset":1}],"epoch":"ep","offset":1}}',
        "pb_connect": b"\x01" + field(connect),
        "pb_batch": b"\x01" + field(push_pub) + field(subscribe) + field(history) + field(presence) + field(error),
        "pb_pushes": b"\x01" + field(join) + field(unsub) + b"\x00",
        "pb_truncated": b"\x01" + field(push_pub)[:-3],
    }


def shared_file_meta_seeds():
    meta = ("herald-file 1\nid 0123456789abcdef0123456789abcdef\nchannel chat%3Alobby\nname caf%C3%A9%20menu.pdf\n"
            "mime application%2Fpdf\nuser 42\nsize 1024\nsha256 " + "ab" * 32 + "\ncreated 1765000000000\n"
            "expires 1765604800000\n").encode()
    return {
        "meta_valid": b"\x00" + meta,
        "meta_truncated": b"\x00" + meta[:-9],
        "meta_repeated_key": b"\x00" + meta + b"size 1\n",
        "query_valid": b"\x01channel=chat%3Alobby&name=photo+1.png",
        "query_traversal": b"\x01channel=chat:lobby&name=..%2F..%2Fetc%2Fpasswd",
        "query_bad_escape": b"\x01channel=chat:lobby&name=a%2",
        "id_valid": b"\x020123456789abcdef0123456789abcdef",
        "id_traversal": b"\x02../../herald.toml",
        "name_quotes": b"\x02a\"b\\c\r\n\xc3\xa9.txt",
        "mime_text": b"\x03Text/Plain; Charset=UTF-8",
        "mime_bad": b"\x03text/html\r\nX-Evil: 1",
    }


def main():
    targets = {"http_request": http_seeds(), "handshake": handshake_seeds(),
               "frame": frame_seeds(), "utf8": utf8_seeds(),
               "inflate": inflate_seeds(), "deflate_negotiation": deflate_negotiation_seeds(),
               "handshake_response": handshake_response_seeds(), "node_messages": node_message_seeds(),
               "proto_protobuf": proto_protobuf_seeds(), "client_replies": client_replies_seeds(),
               "fossil_delta": fossil_delta_seeds(),
               "shared_file_meta": shared_file_meta_seeds()}
    for target, seeds in targets.items():
        out = os.path.join(HERE, "corpus", target)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        for name, data in seeds.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()

"""Protobuf wire format by hand, for tests that must send or read exact
bytes of the client protocol's Protobuf variant (src/proto/client.proto):
varints, fields, and length-delimited messages as a frame holds them."""


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def field_varint(number: int, value: int) -> bytes:
    return varint(number << 3) + varint(value)


def field_bytes(number: int, value: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(value)) + value


def delimited(message: bytes) -> bytes:
    return varint(len(message)) + message


def command(cid: int, method_field: int, body: bytes = b"") -> bytes:
    """Command{id, <method>: body}: 4 connect, 5 subscribe, 7 publish, 11 ping, ..."""
    return field_varint(1, cid) + field_bytes(method_field, body)


def fields(message: bytes) -> dict[int, list]:
    """Field number -> values (ints for varints, bytes for length-delimited)."""
    out: dict[int, list] = {}
    pos = 0
    while pos < len(message):
        tag, pos = read_varint(message, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = read_varint(message, pos)
        elif wire == 2:
            n, pos = read_varint(message, pos)
            value, pos = message[pos:pos + n], pos + n
        else:
            raise ValueError(f"wire type {wire}")
        out.setdefault(number, []).append(value)
    return out


def messages(frame: bytes) -> list[bytes]:
    """The length-delimited messages of one frame."""
    out, pos = [], 0
    while pos < len(frame):
        n, pos = read_varint(frame, pos)
        out.append(frame[pos:pos + n])
        pos += n
    return out

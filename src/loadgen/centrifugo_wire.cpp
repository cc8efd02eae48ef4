#include "loadgen/centrifugo_wire.hpp"

namespace herald::loadgen::centrifugo {

namespace {

constexpr char kHex[] = "0123456789abcdef";

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// --- Protobuf, by hand: just the fields the bench uses ----------------------
void putVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void putVarintField(std::string& out, unsigned field, std::uint64_t v) {
  putVarint(out, field << 3);
  putVarint(out, v);
}
void putBytesField(std::string& out, unsigned field, std::string_view bytes) {
  putVarint(out, field << 3 | 2);
  putVarint(out, bytes.size());
  out.append(bytes);
}
// Appends `message` preceded by its length, as a frame holds it.
void putDelimited(std::string& out, std::string_view message) {
  putVarint(out, message.size());
  out.append(message);
}

// One field of a message: its number, and its value as a varint or bytes.
struct Field {
  unsigned number = 0;
  std::uint64_t varint = 0;
  std::string_view bytes{};
};
// Reads the next field of `in`; false at the end or on broken input.
bool nextField(std::string_view& in, Field& f) {
  if (in.empty()) return false;
  auto tag = readVarint(in);
  if (!tag) return false;
  f.number = static_cast<unsigned>(*tag >> 3);
  switch (*tag & 7) {
    case 0: {
      auto v = readVarint(in);
      if (!v) return false;
      f.varint = *v;
      return true;
    }
    case 2: {
      auto n = readVarint(in);
      if (!n || *n > in.size()) return false;
      f.bytes = in.substr(0, *n);
      in.remove_prefix(*n);
      return true;
    }
    case 1:
      if (in.size() < 8) return false;
      in.remove_prefix(8);
      return true;
    case 5:
      if (in.size() < 4) return false;
      in.remove_prefix(4);
      return true;
    default:
      return false;
  }
}
// The bytes of field `number` of `message`, if it has one.
std::optional<std::string_view> bytesField(std::string_view message, unsigned number) {
  Field f;
  while (nextField(message, f))
    if (f.number == number) return f.bytes;
  return std::nullopt;
}

// Reply fields: 1 id, 2 error, 4 push; Push: 4 pub; Publication: 4 data.
constexpr unsigned kReplyId = 1, kReplyError = 2, kReplyPush = 4, kPushPub = 4, kPubData = 4;

void appendData(std::string& out, const unsigned char* header, std::size_t headerBytes, std::size_t padBytes) {
  out += "{\"h\":\"";
  for (std::size_t i = 0; i < headerBytes; ++i) {
    out.push_back(kHex[header[i] >> 4]);
    out.push_back(kHex[header[i] & 15]);
  }
  out += "\",\"p\":\"";
  out.append(padBytes, 'x');
  out += "\"}";
}

// Reads the header out of a data document {"h":"..","p":".."} at the start of `data`.
bool readData(std::string_view data, unsigned char* header, std::size_t headerBytes, std::size_t padBytes) {
  if (!data.starts_with(R"({"h":")")) return false;
  std::string_view rest = data.substr(6);
  if (rest.size() < headerBytes * 2 + 7) return false;
  for (std::size_t i = 0; i < headerBytes; ++i) {
    int hi = hexValue(rest[2 * i]), lo = hexValue(rest[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    header[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  rest.remove_prefix(headerBytes * 2);
  if (!rest.starts_with(R"(","p":")")) return false;
  rest.remove_prefix(7);
  std::size_t end = rest.find('"');
  return end == padBytes && rest.find_first_not_of('x') >= padBytes;
}

}  // namespace

std::optional<std::uint64_t> readVarint(std::string_view& in) {
  std::uint64_t v = 0;
  for (unsigned shift = 0, i = 0; i < in.size() && shift < 64; ++i, shift += 7) {
    auto byte = static_cast<unsigned char>(in[i]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) {
      in.remove_prefix(i + 1);
      return v;
    }
  }
  return std::nullopt;
}

std::string_view subprotocol(Format format) { return format == Format::Protobuf ? "centrifuge-protobuf" : ""; }
ws::Opcode opcode(Format format) { return format == Format::Protobuf ? ws::Opcode::Binary : ws::Opcode::Text; }

std::string hello(Format format, std::string_view channel) {
  if (format == Format::Json) {
    std::string out = R"({"id":1,"connect":{"name":"herald-bench"}})";
    if (!channel.empty()) {
      out += "\n{\"id\":2,\"subscribe\":{\"channel\":\"";
      out += channel;
      out += "\"}}";
    }
    return out;
  }
  std::string out, command, body;
  putBytesField(body, 4, "herald-bench");  // ConnectRequest.name
  putVarintField(command, 1, 1);
  putBytesField(command, 4, body);  // Command.connect
  putDelimited(out, command);
  if (!channel.empty()) {
    command.clear();
    body.clear();
    putBytesField(body, 1, channel);  // SubscribeRequest.channel
    putVarintField(command, 1, 2);
    putBytesField(command, 5, body);  // Command.subscribe
    putDelimited(out, command);
  }
  return out;
}

bool isHelloDone(Format format, std::string_view frame, bool subscribing, std::string& error) {
  const std::uint32_t want = subscribing ? 2 : 1;
  bool done = false;
  forEachMessage(format, frame, [&](std::string_view m) {
    if (done) return;
    if (format == Format::Json) {
      bool mine = m.starts_with(subscribing ? R"({"id":2,)" : R"({"id":1,)");
      if (m.starts_with(R"({"id":)") && m.find(R"("error":)") != std::string_view::npos) {
        error = "refused: " + std::string(m);
        done = true;
      }
      done = done || mine;
      return;
    }
    Field f;
    std::uint64_t id = 0;
    bool refused = false;
    while (nextField(m, f)) {
      if (f.number == kReplyId) id = f.varint;
      if (f.number == kReplyError) refused = true;
    }
    if (id != 0 && refused) {
      error = "refused: reply " + std::to_string(id) + " carries an error";
      done = true;
    }
    done = done || id == want;
  });
  return done;
}

bool isPing(Format format, std::string_view frame) {
  return format == Format::Json ? frame == "{}" : frame == std::string_view("\0", 1);
}

std::string_view pong(Format format) { return format == Format::Json ? "{}" : std::string_view("\0", 1); }

bool isReply(Format format, std::string_view message) {
  if (format == Format::Json) return message.starts_with(R"({"id":)");
  Field f;
  return nextField(message, f) && f.number == kReplyId && f.varint != 0;
}

void encodePublish(Format format, std::string& out, std::uint32_t id, std::string_view channel,
                   const unsigned char* header, std::size_t headerBytes, std::size_t padBytes) {
  out.clear();
  if (format == Format::Json) {
    out += "{\"id\":";
    out += std::to_string(id);
    out += ",\"publish\":{\"channel\":\"";
    out += channel;
    out += "\",\"data\":";
    appendData(out, header, headerBytes, padBytes);
    out += "}}";
    return;
  }
  // Built back to front would avoid the copies; a publish is rare next to
  // the deliveries it causes, so clarity wins.
  std::string data, body, command;
  appendData(data, header, headerBytes, padBytes);
  putBytesField(body, 1, channel);
  putBytesField(body, 2, data);
  putVarintField(command, 1, id);
  putBytesField(command, 7, body);  // Command.publish
  putDelimited(out, command);
}

bool decodePublication(Format format, std::string_view message, unsigned char* header, std::size_t headerBytes,
                       std::size_t padBytes) {
  if (format == Format::Json) {
    std::size_t h = message.find(R"("data":{"h":")");
    if (!message.starts_with(R"({"push":)") || h == std::string_view::npos) return false;
    return readData(message.substr(h + 7), header, headerBytes, padBytes);
  }
  auto push = bytesField(message, kReplyPush);
  if (!push) return false;
  auto pub = bytesField(*push, kPushPub);
  if (!pub) return false;
  auto data = bytesField(*pub, kPubData);
  return data && data->size() == headerBytes * 2 + padBytes + 15 && readData(*data, header, headerBytes, padBytes);
}

}  // namespace herald::loadgen::centrifugo

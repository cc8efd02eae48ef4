#include "loadgen/centrifugo_wire.hpp"

namespace herald::loadgen::centrifugo {

namespace {

constexpr char kHex[] = "0123456789abcdef";

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string hello(std::string_view channel) {
  std::string out = R"({"id":1,"connect":{"name":"herald-bench"}})";
  if (!channel.empty()) {
    out += "\n{\"id\":2,\"subscribe\":{\"channel\":\"";
    out += channel;
    out += "\"}}";
  }
  return out;
}

bool isHelloDone(std::string_view frame, bool subscribing, std::string& error) {
  // Replies may share a frame, one per line.
  while (!frame.empty()) {
    std::size_t nl = frame.find('\n');
    std::string_view line = frame.substr(0, nl);
    bool mine = subscribing ? line.starts_with(R"({"id":2,)") : line.starts_with(R"({"id":1,)");
    if (line.starts_with(R"({"id":)") && line.find(R"("error":)") != std::string_view::npos) {
      error = "refused: " + std::string(line);
      return true;
    }
    if (mine) return true;
    if (nl == std::string_view::npos) break;
    frame.remove_prefix(nl + 1);
  }
  return false;
}

void encodePublish(std::string& out, std::uint32_t id, std::string_view channel, const unsigned char* header,
                   std::size_t headerBytes, std::size_t padBytes) {
  out.clear();
  out += "{\"id\":";
  out += std::to_string(id);
  out += ",\"publish\":{\"channel\":\"";
  out += channel;
  out += "\",\"data\":{\"h\":\"";
  for (std::size_t i = 0; i < headerBytes; ++i) {
    out.push_back(kHex[header[i] >> 4]);
    out.push_back(kHex[header[i] & 15]);
  }
  out += "\",\"p\":\"";
  out.append(padBytes, 'x');
  out += "\"}}}";
}

bool decodePublication(std::string_view frame, unsigned char* header, std::size_t headerBytes, std::size_t padBytes) {
  std::size_t h = frame.find(R"("data":{"h":")");
  if (!frame.starts_with(R"({"push":)") || h == std::string_view::npos) return false;
  std::string_view rest = frame.substr(h + 13);
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

}  // namespace herald::loadgen::centrifugo

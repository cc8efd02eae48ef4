#include "control_message.hpp"

#include <charconv>

namespace herald::server {

namespace {

constexpr std::string_view kMagic = "herald-control/1 ";
constexpr std::string_view kOps[] = {"disconnect", "unsubscribe", "subscribe", "refresh"};

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

bool take(std::string_view& in, std::string& field) {
  std::size_t colon = in.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 9) return false;
  std::size_t n = 0;
  auto [end, ec] = std::from_chars(in.data(), in.data() + colon, n);
  if (ec != std::errc() || end != in.data() + colon || n > in.size() - colon - 1) return false;
  field.assign(in.substr(colon + 1, n));
  in.remove_prefix(colon + 1 + n);
  return true;
}

template <class Int>
bool takeInt(std::string_view& in, Int& value) {
  std::string text;
  if (!take(in, text)) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string encodeControl(const ControlMessage& m) {
  std::string out(kMagic);
  out += kOps[static_cast<int>(m.op)];
  out += ' ';
  put(out, m.user);
  put(out, m.client);
  put(out, m.channel);
  put(out, std::to_string(m.code));
  put(out, m.reason);
  put(out, std::to_string(m.expireAt));
  put(out, m.expired ? "1" : "0");
  return out;
}

std::optional<ControlMessage> decodeControl(std::string_view in) {
  if (!in.starts_with(kMagic)) return std::nullopt;
  in.remove_prefix(kMagic.size());
  std::size_t space = in.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view op = in.substr(0, space);
  in.remove_prefix(space + 1);
  ControlMessage m;
  bool known = false;
  for (int i = 0; i < 4; ++i)
    if (op == kOps[i]) {
      m.op = static_cast<ControlMessage::Op>(i);
      known = true;
    }
  std::string expired;
  if (!known || !take(in, m.user) || !take(in, m.client) || !take(in, m.channel) || !takeInt(in, m.code) ||
      !take(in, m.reason) || !takeInt(in, m.expireAt) || !take(in, expired) || !in.empty() ||
      (expired != "0" && expired != "1"))
    return std::nullopt;
  m.expired = expired == "1";
  return m;
}

}  // namespace herald::server

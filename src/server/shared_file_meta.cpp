#include "shared_file_meta.hpp"

#include <charconv>
#include <initializer_list>

#include "herald/proto/json_writer.hpp"
#include "herald/ws/utf8_validator.hpp"

namespace herald::server {

namespace {

constexpr std::string_view kMagic = "herald-file 1";
constexpr std::size_t kMaxNameBytes = 255;

bool isLowerHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `s`; '+' is a space when `plusIsSpace`. Nullopt on a '%'
// without two hex digits.
std::optional<std::string> percentDecode(std::string_view s, bool plusIsSpace) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plusIsSpace) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Every byte but unreserved ASCII as %XX: what the sidecar and
// filename*= carry.
std::string percentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                 c == '_' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool hasControl(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

template <class Int>
bool parseInt(std::string_view s, Int& out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out >= 0;
}

bool tokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == '_';
}

}  // namespace

bool validFileId(std::string_view id) { return id.size() == kFileIdLength && isLowerHex(id); }

std::string encodeFileMeta(const SharedFileMeta& m) {
  std::string out(kMagic);
  out += "\nid " + m.id;
  out += "\nchannel " + percentEncode(m.channel);
  out += "\nname " + percentEncode(m.name);
  out += "\nmime " + percentEncode(m.mime);
  out += "\nuser " + percentEncode(m.user);
  out += "\nsize " + std::to_string(m.size);
  out += "\nsha256 " + m.sha256;
  out += "\ncreated " + std::to_string(m.createdMs);
  out += "\nexpires " + std::to_string(m.expiresMs);
  out += '\n';
  return out;
}

std::optional<SharedFileMeta> decodeFileMeta(std::string_view text, std::string& error) {
  if (!text.starts_with(kMagic) || text.size() == kMagic.size() || text[kMagic.size()] != '\n') {
    error = "not a herald file description (first line is not \"herald-file 1\")";
    return std::nullopt;
  }
  text.remove_prefix(kMagic.size() + 1);
  SharedFileMeta m;
  enum Field { Id, Channel, Name, Mime, User, Size, Sha, Created, Expires, Count };
  static constexpr std::string_view kKeys[Count] = {"id",   "channel", "name",    "mime",   "user",
                                                    "size", "sha256",  "created", "expires"};
  bool seen[Count] = {};
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      error = "the last line has no newline (the file was cut short)";
      return std::nullopt;
    }
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    std::size_t sp = line.find(' ');
    if (sp == std::string_view::npos) {
      error = "a line without a value";
      return std::nullopt;
    }
    std::string_view key = line.substr(0, sp), value = line.substr(sp + 1);
    int f = -1;
    for (int i = 0; i < Count; ++i)
      if (kKeys[i] == key) f = i;
    if (f < 0) {
      error = "unknown key \"" + std::string(key.substr(0, 32)) + "\"";
      return std::nullopt;
    }
    if (seen[f]) {
      error = "key \"" + std::string(key) + "\" appears twice";
      return std::nullopt;
    }
    seen[f] = true;
    bool ok = true;
    auto decode = [&](std::string& into) {
      auto d = percentDecode(value, false);
      if (!d) return false;
      into = std::move(*d);
      return true;
    };
    switch (f) {
      case Id: ok = validFileId(value), m.id = value; break;
      case Channel: ok = decode(m.channel) && !m.channel.empty(); break;
      case Name: ok = decode(m.name) && !m.name.empty(); break;
      case Mime: ok = decode(m.mime) && !m.mime.empty(); break;
      case User: ok = decode(m.user); break;
      case Size: ok = parseInt(value, m.size); break;
      case Sha: ok = value.size() == 64 && isLowerHex(value), m.sha256 = value; break;
      case Created: ok = parseInt(value, m.createdMs); break;
      case Expires: ok = parseInt(value, m.expiresMs); break;
      default: ok = false;
    }
    if (!ok) {
      error = "bad value for \"" + std::string(key) + "\"";
      return std::nullopt;
    }
  }
  for (int i = 0; i < Count; ++i) {
    if (!seen[i]) {
      error = "key \"" + std::string(kKeys[i]) + "\" is missing";
      return std::nullopt;
    }
  }
  return m;
}

std::string fileJson(const SharedFileMeta& m) {
  std::string j = "{\"id\":";
  proto::appendJsonString(j, m.id);
  j += ",\"channel\":";
  proto::appendJsonString(j, m.channel);
  j += ",\"name\":";
  proto::appendJsonString(j, m.name);
  j += ",\"mime\":";
  proto::appendJsonString(j, m.mime);
  j += ",\"size\":";
  proto::appendUint(j, m.size);
  j += ",\"sha256\":";
  proto::appendJsonString(j, m.sha256);
  j += ",\"expires_at\":";
  proto::appendInt(j, m.expiresMs / 1000);
  j += '}';
  return j;
}

std::optional<std::string> decodedQueryParameter(std::string_view query, std::string_view name, bool& malformed) {
  malformed = false;
  std::optional<std::string> found;
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      if (found) {  // twice: which one is meant is a guess, so neither
        malformed = true;
        return std::nullopt;
      }
      found = percentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
      if (!found) {
        malformed = true;
        return std::nullopt;
      }
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return found;
}

std::optional<UploadQuery> parseUploadQuery(std::string_view query, std::string& error) {
  UploadQuery q;
  for (auto [key, into] : {std::pair<std::string_view, std::string*>{"channel", &q.channel}, {"name", &q.name}}) {
    bool malformed = false;
    auto v = decodedQueryParameter(query, key, malformed);
    if (malformed) {
      error = "query parameter \"" + std::string(key) +
              "\" is given twice or is not percent-encoded properly (encode it with encodeURIComponent)";
      return std::nullopt;
    }
    if (!v || v->empty()) {
      error = "query parameter \"" + std::string(key) + "\" is missing: POST /files?channel=<channel>&name=<file name>";
      return std::nullopt;
    }
    *into = std::move(*v);
  }
  if (q.name.size() > kMaxNameBytes) {
    error = "the file name is longer than 255 bytes";
    return std::nullopt;
  }
  if (hasControl(q.name) || !ws::Utf8Validator::isValid(q.name)) {
    error = "the file name holds a control character or is not UTF-8";
    return std::nullopt;
  }
  if (q.name.find('/') != std::string::npos || q.name.find('\\') != std::string::npos || q.name == "." ||
      q.name == "..") {
    error = "the file name holds a slash or is \".\" or \"..\": send its last part only";
    return std::nullopt;
  }
  return q;
}

std::string normalizeMime(std::optional<std::string_view> contentType) {
  constexpr std::string_view kDefault = "application/octet-stream";
  if (!contentType) return std::string(kDefault);
  std::string_view v = *contentType;
  std::size_t semi = v.find(';');
  std::string_view params = semi == std::string_view::npos ? std::string_view() : v.substr(semi + 1);
  v = v.substr(0, semi);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  std::string type;
  for (char c : v) type.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  std::size_t slash = type.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == type.size() || type.size() > 127)
    return std::string(kDefault);
  for (std::size_t i = 0; i < type.size(); ++i)
    if (i != slash && !tokenChar(type[i])) return std::string(kDefault);
  // A text file keeps its charset, so that it reads back as it was written.
  std::string lowerParams;
  for (char c : params) lowerParams.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  if (type.starts_with("text/") && lowerParams.find("charset=utf-8") != std::string::npos) type += "; charset=utf-8";
  return type;
}

std::string contentDisposition(std::string_view name) {
  std::string ascii;
  for (unsigned char c : name) {
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '%' || c == ';') ascii.push_back('_');
    else ascii.push_back(static_cast<char>(c));
  }
  if (ascii.empty()) ascii = "file";
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + percentEncode(name);
}

}  // namespace herald::server

// libFuzzer target: the pure part of shared files (src/server/shared_file_meta.hpp).
//
// Every input is whole (a sidecar file read back, a query string, a header
// value), so it is not cut into chunks. The first byte picks what the rest
// is fed to:
//   0  decodeFileMeta: a sidecar from a damaged or hostile disk
//   1  parseUploadQuery: the query of POST /files
//   2  a file id and a file name: validFileId, contentDisposition
//   3  normalizeMime: a Content-Type header
//
// Checks: nothing crashes, leaks or throws (ASan/UBSan); a decoded sidecar
// encodes to text that decodes to the same description, and a refused one
// says why; an accepted upload's name is non-empty, at most 255 bytes,
// without control characters or slashes, and round-trips through a sidecar;
// a Content-Disposition never holds a quote, a backslash, CR or LF inside
// its quoted filename, nor any non-ASCII byte; an id is valid exactly when
// it is 32 lowercase hex digits; a normalized MIME type has one '/' and
// no space, quote, CR or LF.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "server/shared_file_meta.hpp"

using namespace herald::server;

namespace {

void checkDisposition(std::string_view name) {
  const std::string d = contentDisposition(name);
  for (unsigned char c : d) HERALD_FUZZ_CHECK(c >= 0x20 && c < 0x7f, "non-printable byte %u in %s", c, d.c_str());
  const std::string_view prefix = "attachment; filename=\"";
  HERALD_FUZZ_CHECK(d.starts_with(prefix), "%s", d.c_str());
  const std::size_t close = d.find('"', prefix.size());
  HERALD_FUZZ_CHECK(close != std::string::npos, "unterminated: %s", d.c_str());
  const std::string_view quoted = std::string_view(d).substr(prefix.size(), close - prefix.size());
  HERALD_FUZZ_CHECK(quoted.find('\\') == std::string_view::npos, "backslash in %s", d.c_str());
  HERALD_FUZZ_CHECK(d.substr(close).starts_with("\"; filename*=UTF-8''"), "%s", d.c_str());
  HERALD_FUZZ_CHECK(d.find('"', close + 1) == std::string::npos, "a quote after the filename: %s", d.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string error;
  switch (data[0] % 4) {
    case 0: {
      auto meta = decodeFileMeta(input, error);
      if (!meta) {
        HERALD_FUZZ_CHECK(!error.empty(), "refused without a reason");
        break;
      }
      std::string again;
      auto round = decodeFileMeta(encodeFileMeta(*meta), again);
      HERALD_FUZZ_CHECK(round && *round == *meta, "re-encoded description does not decode alike: %s", again.c_str());
      HERALD_FUZZ_CHECK(validFileId(meta->id), "decoded an invalid id");
      checkDisposition(meta->name);
      break;
    }
    case 1: {
      auto q = parseUploadQuery(input, error);
      if (!q) {
        HERALD_FUZZ_CHECK(!error.empty(), "refused without a reason");
        break;
      }
      HERALD_FUZZ_CHECK(!q->name.empty() && q->name.size() <= 255 && !q->channel.empty(), "bad name or channel");
      for (unsigned char c : q->name) HERALD_FUZZ_CHECK(c >= 0x20 && c != 0x7f && c != '/' && c != '\\', "byte %u", c);
      SharedFileMeta m{.id = std::string(32, 'a'), .channel = q->channel, .name = q->name, .mime = "a/b",
                       .sha256 = std::string(64, '0'), .user = q->channel, .size = 1, .createdMs = 1, .expiresMs = 2};
      auto round = decodeFileMeta(encodeFileMeta(m), error);
      HERALD_FUZZ_CHECK(round && *round == m, "an accepted upload does not round-trip: %s", error.c_str());
      checkDisposition(q->name);
      break;
    }
    case 2: {
      bool hex = input.size() == 32;
      for (char c : input) hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
      HERALD_FUZZ_CHECK(validFileId(input) == hex, "validFileId disagrees");
      checkDisposition(input);
      break;
    }
    case 3: {
      const std::string mime = normalizeMime(input);
      const std::string_view type = std::string_view(mime).substr(0, mime.find(';'));
      HERALD_FUZZ_CHECK(type.find('/') != std::string_view::npos && type.find('/') == type.rfind('/'), "%s", mime.c_str());
      for (char c : type) HERALD_FUZZ_CHECK(c != ' ' && c != '"' && c != '\r' && c != '\n', "%s", mime.c_str());
      break;
    }
  }
  return 0;
}

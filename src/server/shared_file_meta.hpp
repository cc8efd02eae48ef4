#pragma once
// The pure part of shared files (shared_files.hpp): what a stored file is,
// its metadata sidecar as text and back, the upload request's query, and
// the headers of a download. Functions of bytes, no I/O: unit-tested in
// tests/unit/server/shared_file_meta_test.cpp and fuzzed by
// fuzz/fuzz_shared_file_meta.cpp, since every input here comes from a client
// or from a file on disk that may be damaged.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::server {

// A file id: 32 lowercase hex digits (128 random bits). Anything else in
// /files/<id> is refused before it comes near a path, so an id can never
// name a file outside data_dir/files.
inline constexpr std::size_t kFileIdLength = 32;
bool validFileId(std::string_view id);

// What the sidecar <id>.meta holds about <id>.data.
struct SharedFileMeta {
  std::string id{};
  std::string channel{};
  std::string name{};      // as the uploader named it (UTF-8, no control characters)
  std::string mime{};      // a type/subtype, or application/octet-stream
  std::string sha256{};    // 64 lowercase hex digits, of the stored bytes
  std::string user{};      // who uploaded it ("" when anonymous)
  std::uint64_t size = 0;  // bytes of <id>.data
  std::int64_t createdMs = 0;
  std::int64_t expiresMs = 0;  // Unix milliseconds; past it the file is gone

  bool operator==(const SharedFileMeta&) const = default;
};

// The sidecar's text: a first line "herald-file 1", then one "key value"
// line per field, strings percent-encoded so none holds a newline.
std::string encodeFileMeta(const SharedFileMeta& meta);
// Nullopt, with `error` saying why, for anything encodeFileMeta would not
// have written: unknown version, a missing, repeated or unknown key, a bad
// number, a malformed id or digest.
std::optional<SharedFileMeta> decodeFileMeta(std::string_view text, std::string& error);

// The JSON an upload answers with: {id, channel, name, mime, size, sha256,
// expires_at (Unix seconds)}.
std::string fileJson(const SharedFileMeta& meta);

// `POST /files?channel=<channel>&name=<name>`: both percent-encoded (a '+'
// is a space, as URLSearchParams writes it). Nullopt with `error` set when
// one is missing, repeated, badly encoded, or the name is not a file name
// (empty, over 255 bytes, a control character, invalid UTF-8).
struct UploadQuery {
  std::string channel{};
  std::string name{};
};
std::optional<UploadQuery> parseUploadQuery(std::string_view query, std::string& error);

// The value of `name` in a query string, percent-decoded; nullopt when
// absent or badly encoded (`malformed` then says which).
std::optional<std::string> decodedQueryParameter(std::string_view query, std::string_view name, bool& malformed);

// A Content-Type header as stored: "type/subtype" in lowercase (parameters
// other than charset dropped), or application/octet-stream when absent or
// not of that shape.
std::string normalizeMime(std::optional<std::string_view> contentType);

// `attachment; filename="<ASCII stand-in>"; filename*=UTF-8''<encoded>`:
// quotes, backslashes and non-ASCII bytes never reach the quoted form.
std::string contentDisposition(std::string_view name);

}  // namespace herald::server

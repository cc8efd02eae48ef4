#pragma once
// The web apps' files, served by `herald serve` from `server.web_root`.
//
//   GET /               -> index.html
//   GET /dashboard      -> dashboard.html, or dashboard/index.html
//   GET /assets/app.js  -> assets/app.js, cached for a year (Vite names
//                          these files by their content hash)
//
// Only GET and HEAD. A path that decodes to anything outside the root
// ("..", a NUL, a backslash, an absolute path) is a 400; a file that does not
// exist is the 404 page (404.html when the root has one). Responses carry a
// Content-Type from the extension, an ETag from the file's size and mtime
// (If-None-Match -> 304), and `X-Content-Type-Options: nosniff`.

#include <optional>
#include <string>
#include <string_view>

#include "herald/engine/app.hpp"

namespace herald::server {

// The file under `root` that `urlPath` names, with %XX decoded, or nullopt
// when the path tries to leave the root or is malformed. Does not touch the
// file system.
std::optional<std::string> staticRelativePath(std::string_view urlPath);
std::string_view contentTypeFor(std::string_view path);

class StaticFiles {
 public:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  void handle(const HttpRequest& request, HttpResponder responder) const;

 private:
  std::string root_;
};

}  // namespace herald::server

#include "static_files.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace herald::server {

namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool endsWith(std::string_view s, std::string_view suffix) { return s.size() >= suffix.size() && s.ends_with(suffix); }

struct FileInfo {
  std::string path;
  off_t size = 0;
  std::int64_t mtimeNs = 0;
};

std::optional<FileInfo> regularFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileInfo{path, st.st_size, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

bool readAll(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  out = std::move(buf).str();
  return true;
}

}  // namespace

std::optional<std::string> staticRelativePath(std::string_view urlPath) {
  std::string decoded;
  decoded.reserve(urlPath.size());
  for (std::size_t i = 0; i < urlPath.size(); ++i) {
    char c = urlPath[i];
    if (c == '%') {
      if (i + 2 >= urlPath.size()) return std::nullopt;
      int hi = hexDigit(urlPath[i + 1]), lo = hexDigit(urlPath[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (c == '\0' || c == '\\') return std::nullopt;
    decoded.push_back(c);
  }
  if (decoded.empty() || decoded.front() != '/') return std::nullopt;
  // Every segment must be a plain name: no "." or "..", no empty one but
  // a trailing slash.
  std::string out;
  std::size_t pos = 1;
  while (pos <= decoded.size()) {
    std::size_t slash = decoded.find('/', pos);
    std::string_view seg = std::string_view(decoded).substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (seg == "." || seg == "..") return std::nullopt;
    if (seg.empty()) {
      if (slash != std::string::npos) return std::nullopt;  // "//" inside the path
      break;
    }
    if (!out.empty()) out.push_back('/');
    out.append(seg);
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  if (out.empty() || decoded.back() == '/') out += out.empty() ? "index.html" : "/index.html";
  return out;
}

std::string_view contentTypeFor(std::string_view path) {
  struct Type {
    std::string_view ext, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},  {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},          {".map", "application/json"},
      {".svg", "image/svg+xml"},              {".png", "image/png"},
      {".jpg", "image/jpeg"},                 {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},                  {".webp", "image/webp"},
      {".ico", "image/x-icon"},               {".woff2", "font/woff2"},
      {".woff", "font/woff"},                 {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},          {".webmanifest", "application/manifest+json"},
  };
  for (const Type& t : kTypes)
    if (endsWith(path, t.ext)) return t.type;
  return "application/octet-stream";
}

void StaticFiles::handle(const HttpRequest& request, HttpResponder responder) const {
  bool head = request.method() == "HEAD";
  if (request.method() != "GET" && !head)
    return responder.respond(http::Status::MethodNotAllowed, "405 Method Not Allowed: the web app's files take GET and HEAD\n",
                             "text/plain; charset=utf-8", "Allow: GET, HEAD\r\n");
  std::optional<std::string> rel = staticRelativePath(request.path());
  if (!rel) return responder.respond(http::Status::BadRequest, "400 Bad Request: this path is not allowed\n");

  std::optional<FileInfo> file = regularFile(root_ + "/" + *rel);
  // Clean URLs: /dashboard is dashboard.html or dashboard/index.html.
  if (!file && rel->find('.') == std::string::npos) file = regularFile(root_ + "/" + *rel + ".html");
  if (!file && rel->find('.') == std::string::npos) file = regularFile(root_ + "/" + *rel + "/index.html");
  if (!file) {
    std::string page;
    if (!readAll(root_ + "/404.html", page)) page = "404 Not Found: " + std::string(request.path()) + "\n";
    std::string_view type = page.starts_with("404 ") ? "text/plain; charset=utf-8" : "text/html; charset=utf-8";
    if (head) return responder.respondHead(http::Status::NotFound, page.size(), type);
    return responder.respond(http::Status::NotFound, page, type);
  }

  std::string etag = "\"" + std::to_string(file->size) + "-" + std::to_string(file->mtimeNs) + "\"";
  bool immutable = rel->starts_with("assets/");
  std::string headers = "ETag: " + etag + "\r\nX-Content-Type-Options: nosniff\r\nCache-Control: " +
                        (immutable ? "public, max-age=31536000, immutable" : "no-cache") + "\r\n";
  if (auto match = request.header("If-None-Match"); match && *match == etag)
    return responder.respondHead(http::Status::NotModified, 0, {}, headers);
  std::string_view type = contentTypeFor(file->path);
  if (head) return responder.respondHead(http::Status::Ok, static_cast<std::size_t>(file->size), type, headers);
  std::string body;
  if (!readAll(file->path, body))
    return responder.respond(http::Status::InternalServerError, "500: cannot read " + *rel + "\n");
  responder.respond(http::Status::Ok, body, type, headers);
}

}  // namespace herald::server

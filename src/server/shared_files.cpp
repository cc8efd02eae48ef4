#include "shared_files.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "channel_rules.hpp"
#include "config/options.hpp"
#include "shared_file_meta.hpp"

namespace herald::server {

namespace {

namespace fs = std::filesystem;

std::int64_t wallMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string toHex(const unsigned char* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}

std::string sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("OpenSSL SHA-256 failed");
  return toHex(digest, len);
}

std::string newFileId() {
  unsigned char raw[kFileIdLength / 2];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("the system's random generator failed");
  return toHex(raw, sizeof raw);
}

// Writes `bytes` to `path` through `path`.tmp: write, fsync, rename. On
// failure removes the temporary file and returns the errno.
int writeAtomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return errno;
  const char* p = bytes.data();
  std::size_t left = bytes.size();
  int err = 0;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err) ::unlink(tmp.c_str());
  return err;
}

void fsyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool readWhole(const std::string& path, std::string& out, std::size_t limit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) > limit) {
    ::close(fd);
    return false;
  }
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got != out.size()) return false;
  return true;
}

constexpr std::string_view kText = "text/plain; charset=utf-8";

// "413 Payload Too Large: ..." as the engine words its own refusals.
std::string errorBody(http::Status status, std::string_view message) {
  return std::to_string(static_cast<int>(status)) + " " + std::string(http::reasonPhrase(status)) + ": " +
         std::string(message) + "\n";
}

void respondError(HttpResponder& out, http::Status status, std::string_view message, std::string_view headers = {}) {
  out.respond(status, errorBody(status, message), kText, headers);
}

// The refusal's word in herald_refusals_total{reason="files_..."}.
std::string_view refusalReason(http::Status status) {
  switch (status) {
    case http::Status::BadRequest: return "files_bad_request";
    case http::Status::Unauthorized: return "files_unauthorized";
    case http::Status::Forbidden: return "files_forbidden";
    case http::Status::NotFound: return "files_not_found";
    case http::Status::MethodNotAllowed: return "files_method";
    case http::Status::PayloadTooLarge: return "files_too_large";
    case http::Status::ServiceUnavailable: return "files_busy";
    case http::Status::InsufficientStorage: return "files_over_quota";
    default: return "files_failed";
  }
}

std::optional<std::string_view> bearerToken(const HttpRequest& r) {
  auto h = r.header("Authorization");
  if (!h) return std::nullopt;
  std::string_view v = *h;
  if (v.size() < 7 || !(v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) return std::string_view();
  v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}

}  // namespace

struct SharedFiles::Impl {
  Impl(const ServerConfig& c, App& a, const AuthGate& g, Metrics& m) : config(c), app(a), auth(g), metrics(m) {
    dir = (fs::absolute(config.dataDir) / "files").string();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("[files] cannot create " + dir + ": " + ec.message());
    load();
    // Not the lowest quota a user could set: the most bytes waiting for the
    // disk thread, beyond which uploads get 503 (two files, or 32 MiB).
    maxQueuedBytes = std::max<std::uint64_t>(2 * config.filesMaxFileSize, 32u << 20);
    worker = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    wake.notify_one();
    worker.join();
  }

  const ServerConfig& config;
  App& app;
  const AuthGate& auth;
  Metrics& metrics;
  std::string dir;

  // Answers a refusal, counts it, and logs the first of each kind. Any thread
  // (Metrics::refuse is); the response itself only on the request's loop.
  void refuse(HttpResponder& out, http::Status status, std::string_view message, std::string_view headers = {}) {
    std::string_view reason = refusalReason(status);
    if (metrics.refuse(reason))
      spdlog::info("refused a file request: {} (logged once; counted in /metrics as herald_refusals_total{{reason=\"{}\"}})",
                   message, reason);
    respondError(out, status, message, headers);
  }

  // The disk thread's own state: only run() and what it calls touch these.
  std::map<std::string, SharedFileMeta> files;           // by id
  std::set<std::pair<std::int64_t, std::string>> byExpiry;  // (expiresMs, id)
  std::atomic<std::uint64_t> usedBytes{0};                  // written by the disk thread only
  std::atomic<std::size_t> fileCount{0};

  // The queue into the disk thread.
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  std::uint64_t queuedBytes = 0;
  std::uint64_t maxQueuedBytes = 0;
  bool stopping = false;
  std::thread worker;

  std::string dataPath(const std::string& id) const { return dir + "/" + id + ".data"; }
  std::string metaPath(const std::string& id) const { return dir + "/" + id + ".meta"; }

  // --- the disk thread ------------------------------------------------------

  void run() {
    auto nextSweep = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait_until(lock, nextSweep, [this] { return stopping || !jobs.empty(); });
      if (stopping) return;
      if (!jobs.empty()) {
        std::function<void()> job = std::move(jobs.front());
        jobs.pop_front();
        lock.unlock();
        job();
        lock.lock();
      }
      if (std::chrono::steady_clock::now() >= nextSweep) {
        lock.unlock();
        sweep(wallMs());
        lock.lock();
        nextSweep = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      }
    }
  }

  // Queues `job` for the disk thread; false when `bytes` more would pass
  // the bound (the caller answers 503).
  bool post(std::uint64_t bytes, std::function<void()> job) {
    {
      std::lock_guard lock(mutex);
      if (bytes > 0 && queuedBytes + bytes > maxQueuedBytes) return false;
      queuedBytes += bytes;
      jobs.push_back(std::move(job));
    }
    wake.notify_one();
    return true;
  }
  void doneQueued(std::uint64_t bytes) {
    std::lock_guard lock(mutex);
    queuedBytes -= bytes;
  }

  void add(SharedFileMeta meta) {
    usedBytes.fetch_add(meta.size, std::memory_order_relaxed);
    byExpiry.emplace(meta.expiresMs, meta.id);
    std::string id = meta.id;
    files.emplace(std::move(id), std::move(meta));
    fileCount.store(files.size(), std::memory_order_relaxed);
  }

  // The description first: without it the data is an orphan a start removes.
  void remove(const std::string& id) {
    auto it = files.find(id);
    if (it == files.end()) return;
    ::unlink(metaPath(id).c_str());
    ::unlink(dataPath(id).c_str());
    usedBytes.fetch_sub(it->second.size, std::memory_order_relaxed);
    byExpiry.erase({it->second.expiresMs, id});
    files.erase(it);
    fileCount.store(files.size(), std::memory_order_relaxed);
  }

  void sweep(std::int64_t nowMs) {
    std::size_t n = 0;
    while (!byExpiry.empty() && byExpiry.begin()->first <= nowMs) {
      std::string id = byExpiry.begin()->second;
      remove(id);
      ++n;
    }
    if (n) spdlog::debug("[files] {} expired file(s) removed; {} left, {} bytes", n, files.size(), usedBytes.load());
  }

  // What an earlier run left: whole files are kept, everything else goes.
  void load() {
    std::error_code ec;
    std::set<std::string> dataIds;
    std::vector<std::string> metaIds;
    std::size_t removed = 0;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      auto dot = name.find('.');
      std::string id = name.substr(0, dot), ext = dot == std::string::npos ? "" : name.substr(dot);
      if (ext == ".data" && validFileId(id)) dataIds.insert(id);
      else if (ext == ".meta" && validFileId(id)) metaIds.push_back(id);
      else if (name.ends_with(".tmp")) ::unlink(entry.path().c_str()), ++removed;  // a write cut short
      else spdlog::warn("[files] {} is not a file herald wrote; left alone", entry.path().string());
    }
    if (ec) throw std::runtime_error("[files] cannot read " + dir + ": " + ec.message());
    const std::int64_t now = wallMs();
    for (const std::string& id : metaIds) {
      std::string text, error;
      std::optional<SharedFileMeta> meta;
      if (readWhole(metaPath(id), text, 64 * 1024)) meta = decodeFileMeta(text, error);
      else error = "cannot be read";
      struct stat st {};
      bool dataOk = meta && meta->id == id && dataIds.contains(id) && ::stat(dataPath(id).c_str(), &st) == 0 &&
                    static_cast<std::uint64_t>(st.st_size) == meta->size;
      if (!meta || !dataOk) {
        spdlog::warn("[files] {}: {}; the file is removed", metaPath(id), meta ? "its data is missing or of another size" : error);
      }
      if (!meta || !dataOk || meta->expiresMs <= now) {
        ::unlink(metaPath(id).c_str());
        ::unlink(dataPath(id).c_str());
        dataIds.erase(id);
        ++removed;
        continue;
      }
      dataIds.erase(id);
      add(std::move(*meta));
    }
    for (const std::string& id : dataIds) ::unlink(dataPath(id).c_str()), ++removed;  // no description: never committed
    spdlog::info("[files] {}: {} file(s), {} bytes kept{}", dir, files.size(), usedBytes.load(),
                 removed ? fmt::format(", {} expired or unfinished removed", removed) : "");
  }

  // --- requests -------------------------------------------------------------

  // Who sent the request, or an answered 401.
  std::optional<std::string> identify(const HttpRequest& r, HttpResponder& out, bool allowQueryToken) {
    std::optional<std::string> token;
    if (auto bearer = bearerToken(r)) {
      token = std::string(*bearer);
    } else if (allowQueryToken) {
      bool malformed = false;
      token = decodedQueryParameter(r.query(), "token", malformed);
      if (malformed) {
        refuse(out, http::Status::BadRequest, "query parameter \"token\" is given twice or badly percent-encoded");
        return std::nullopt;
      }
    }
    if (!token || token->empty()) {
      if (config.allowAnonymous && !token) return std::string();
      refuse(out, http::Status::Unauthorized,
             allowQueryToken ? "send the connection token: Authorization: Bearer <token>, or ?token=<token>"
                             : "send the connection token: Authorization: Bearer <token>",
             "WWW-Authenticate: Bearer\r\n");
      return std::nullopt;
    }
    Credentials creds;
    TokenResult t = auth.connectToken(*token, wallMs() / 1000, creds);
    if (t.verdict != TokenVerdict::Ok) {
      refuse(out, http::Status::Unauthorized,
             t.verdict == TokenVerdict::Expired ? "the token has expired: get a new one and try again"
                                                : "the token is not valid (" + t.reason + ")",
             "WWW-Authenticate: Bearer error=\"invalid_token\"\r\n");
      return std::nullopt;
    }
    return std::move(creds.user);
  }

  void upload(const HttpRequest& r, HttpResponder out) {
    if (r.method() != "POST")
      return refuse(out, http::Status::MethodNotAllowed, "upload a file with POST /files?channel=<channel>&name=<name>",
                    "Allow: POST\r\n");
    std::optional<std::string> user = identify(r, out, false);
    if (!user) return;
    std::string error;
    std::optional<UploadQuery> q = parseUploadQuery(r.query(), error);
    if (!q) return refuse(out, http::Status::BadRequest, error);
    if (NameProblem p = checkChannelName(q->channel, config.maxChannelLength); p != NameProblem::None)
      return refuse(out, http::Status::BadRequest, describe(p));
    const ChannelOptions* o = config.optionsFor(q->channel);
    if (!o) return refuse(out, http::Status::BadRequest, "unknown channel: its namespace is not configured");
    // An upload is a publish. Over HTTP nobody is subscribed, so "subscriber"
    // means one who may subscribe: the same users a WebSocket session lets
    // publish after subscribing.
    bool maySubscribe = maySubscribeWithoutToken(q->channel, *o, *user, config.insecure);
    if (!allowedByOptions(Action::Publish, *o, {.anonymous = user->empty(), .subscribed = maySubscribe,
                                               .insecure = config.insecure}))
      return refuse(out, http::Status::Forbidden, "you may not publish into channel " + q->channel);
    if (!o->historyEnabled())
      return refuse(out, http::Status::BadRequest,
                    "channel " + q->channel + " keeps no history, and a file is kept as long as the channel's history: "
                    "set history_size and history_ttl for its namespace");
    if (r.body.size() > config.filesMaxFileSize)
      return refuse(out, http::Status::PayloadTooLarge, tooLarge(r.body.size()));

    SharedFileMeta meta;
    meta.id = newFileId();
    meta.channel = std::move(q->channel);
    meta.name = std::move(q->name);
    meta.mime = normalizeMime(r.header("Content-Type"));
    meta.user = std::move(*user);
    meta.size = r.body.size();
    meta.createdMs = wallMs();
    meta.expiresMs = meta.createdMs + static_cast<std::int64_t>(o->historyTtl.count()) * 1000;
    auto body = std::make_shared<std::string>(r.body);
    const std::uint64_t bytes = body->size();
    bool queued = post(bytes, [this, out, body, meta = std::move(meta), bytes]() mutable {
      store(std::move(meta), *body, out);
      body.reset();
      doneQueued(bytes);
    });
    if (!queued)
      refuse(out, http::Status::ServiceUnavailable, "the server is busy storing other files; try again in a moment",
             "Retry-After: 1\r\n");
  }

  std::string tooLarge(std::uint64_t size) const {
    return "the file is " + std::to_string(size) + " bytes; files are limited to " +
           detail::formatBytes(config.filesMaxFileSize) + " ([files] max_file_size)";
  }

  void answer(HttpResponder& out, std::function<void(HttpResponder&)> fn) {
    app.deferTo(out.loopIndex(), [out, fn = std::move(fn)]() mutable { fn(out); });
  }

  // On the disk thread.
  void store(SharedFileMeta meta, std::string_view bytes, HttpResponder& out) {
    const std::uint64_t used = usedBytes.load(std::memory_order_relaxed);
    if (used + meta.size > config.filesQuota) {
      std::string why = "the server keeps at most " + detail::formatBytes(config.filesQuota) +
                        " of shared files ([files] quota) and holds " + std::to_string(used) + " bytes; this file (" +
                        std::to_string(meta.size) + " bytes) does not fit. Older files are removed as they expire; " +
                        "an operator can raise [files] quota";
      return answer(out, [this, why](HttpResponder& o) { refuse(o, http::Status::InsufficientStorage, why); });
    }
    meta.sha256 = sha256Hex(bytes);
    int err = writeAtomically(dataPath(meta.id), bytes);
    if (!err) err = writeAtomically(metaPath(meta.id), encodeFileMeta(meta));
    if (!err) fsyncDirectory(dir);
    if (err) {
      ::unlink(metaPath(meta.id).c_str());
      ::unlink(dataPath(meta.id).c_str());
      const bool full = err == ENOSPC || err == EDQUOT;
      spdlog::error("[files] cannot store a file in {}: {}", dir, std::strerror(err));
      std::string why = std::string("the server cannot store the file: ") + std::strerror(err);
      return answer(out, [this, why, full](HttpResponder& o) {
        refuse(o, full ? http::Status::InsufficientStorage : http::Status::InternalServerError, why);
      });
    }
    std::string json = fileJson(meta);
    add(std::move(meta));
    answer(out, [json](HttpResponder& o) { o.respond(http::Status::Created, json, "application/json"); });
  }

  void download(const HttpRequest& r, HttpResponder out) {
    const bool head = r.method() == "HEAD";
    if (r.method() != "GET" && !head)
      return refuse(out, http::Status::MethodNotAllowed, "download a file with GET /files/<id>", "Allow: GET, HEAD\r\n");
    std::string_view id = r.path().substr(std::string_view("/files/").size());
    if (!validFileId(id))
      return refuse(out, http::Status::BadRequest, "not a file id: an id is 32 lowercase hex digits, as an upload returns it");
    std::optional<std::string> user = identify(r, out, true);
    if (!user) return;
    std::optional<std::string> etag;
    if (auto m = r.header("If-None-Match")) etag = std::string(*m);
    post(0, [this, out, id = std::string(id), user = std::move(*user), etag = std::move(etag), head]() mutable {
      send(id, user, etag, head, out);
    });
  }

  // On the disk thread.
  void send(const std::string& id, const std::string& user, const std::optional<std::string>& etag, bool head,
            HttpResponder& out) {
    auto it = files.find(id);
    if (it != files.end() && it->second.expiresMs <= wallMs()) {
      remove(id);
      it = files.end();
    }
    if (it == files.end())
      return answer(out, [this](HttpResponder& o) {
        refuse(o, http::Status::NotFound, "no such file: it expired with its channel's history, or never was here");
      });
    const SharedFileMeta& m = it->second;
    const ChannelOptions* o = config.optionsFor(m.channel);
    if (!o || !maySubscribeWithoutToken(m.channel, *o, user, config.insecure)) {
      std::string why = "you may not read channel " + m.channel + ", where this file was shared";
      return answer(out, [this, why](HttpResponder& r) { refuse(r, http::Status::Forbidden, why); });
    }
    const std::int64_t left = std::max<std::int64_t>(0, (m.expiresMs - wallMs()) / 1000);
    std::string tag = "\"" + m.sha256 + "\"";
    std::string headers = "ETag: " + tag + "\r\nContent-Disposition: " + contentDisposition(m.name) +
                          "\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: sandbox; default-src 'none'"
                          "\r\nCache-Control: private, max-age=" + std::to_string(left) + "\r\n";
    if (etag && *etag == tag)
      return answer(out, [headers](HttpResponder& r) { r.respondHead(http::Status::NotModified, 0, {}, headers); });
    std::string mime = m.mime;
    if (head)
      return answer(out, [headers, mime, size = m.size](HttpResponder& r) {
        r.respondHead(http::Status::Ok, size, mime, headers);
      });
    auto bytes = std::make_shared<std::string>();
    // The checksum is checked on every read: a damaged file is refused, never sent.
    if (!readWhole(dataPath(id), *bytes, config.filesMaxFileSize) || bytes->size() != m.size ||
        sha256Hex(*bytes) != m.sha256) {
      spdlog::error("[files] {} is damaged or gone (its size or SHA-256 no longer matches); removed", dataPath(id));
      remove(id);
      return answer(out, [this](HttpResponder& r) {
        refuse(r, http::Status::InternalServerError, "the stored file is damaged; it was removed");
      });
    }
    answer(out, [headers, mime, bytes](HttpResponder& r) { r.respond(http::Status::Ok, *bytes, mime, headers); });
  }
};

SharedFiles::SharedFiles(const ServerConfig& config, App& app, const AuthGate& auth, Metrics& metrics)
    : impl_(std::make_unique<Impl>(config, app, auth, metrics)) {}

SharedFiles::~SharedFiles() = default;

void SharedFiles::handleUpload(const HttpRequest& request, HttpResponder responder) {
  impl_->upload(request, std::move(responder));
}

void SharedFiles::handleDownload(const HttpRequest& request, HttpResponder responder) {
  impl_->download(request, std::move(responder));
}

SharedFiles::Usage SharedFiles::usage() const {
  return {impl_->fileCount.load(std::memory_order_relaxed), impl_->usedBytes.load(std::memory_order_relaxed)};
}

}  // namespace herald::server

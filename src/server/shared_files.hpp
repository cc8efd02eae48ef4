#pragma once
// Files shared in a channel ([files] enabled): uploaded once over HTTP, kept
// on disk for the channel's history_ttl, downloaded by whoever may read the
// channel, so a member who joins after a file was sent still gets it.
//
//   POST /files?channel=<channel>&name=<name>   body: the file's bytes
//   GET|HEAD /files/<id>                        the file, with its SHA-256 as ETag
//
// Who may do what follows the channel's rules as a WebSocket session sees
// them (channel_rules.hpp): an upload is a publish, a download a subscribe.
// The token is the client's connection token (Authorization: Bearer, or
// ?token= on a download so that <a href> and <img src> work).
//
// On disk, in data_dir/files: <id>.data (the bytes) and <id>.meta (its
// description, shared_file_meta.hpp). Each is written to a .tmp file,
// fsynced and renamed, data first: a file exists once its .meta does, so a
// crash leaves a whole file or none. A start removes .tmp files, data without
// a description, damaged descriptions and expired files.
//
// Threads: the HTTP handlers run on the loops and only check requests; every
// disk access and the index of files run on one thread of this class, whose
// answers go back to the request's loop through App::deferTo. A loop never
// waits for a disk. Uploads waiting for that thread are bounded in bytes
// (past the bound: 503 with Retry-After). A file is held in memory whole
// while it is uploaded and while it is sent ([files] max_file_size bounds it).
//
// With [engine] type = "redis", a file lives on the node that received it:
// a download reaching another node gets 404 (docs/operations.md).

#include <memory>

#include "auth_gate.hpp"
#include "config/config.hpp"
#include "herald/engine/app.hpp"
#include "herald/engine/http_route.hpp"
#include "metrics.hpp"

namespace herald::server {

class SharedFiles {
 public:
  // Opens data_dir/files (creating it) and loads what an earlier run left.
  // Throws std::runtime_error with a readable message when the directory
  // cannot be made or read.
  // Every refusal is counted in `metrics` (herald_refusals_total, reasons
  // starting with "files_") and logged the first time.
  SharedFiles(const ServerConfig& config, App& app, const AuthGate& auth, Metrics& metrics);
  ~SharedFiles();  // waits for the disk thread to finish its current job

  void handleUpload(const HttpRequest& request, HttpResponder responder);
  void handleDownload(const HttpRequest& request, HttpResponder responder);

  struct Usage {
    std::size_t files = 0;
    std::uint64_t bytes = 0;
  };
  Usage usage() const;  // any thread

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herald::server

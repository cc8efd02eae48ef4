#pragma once
// `server.log_format = "json"`: each log event as one JSON object per line
// on stderr, {"time":"2026-11-24T01:30:19.227Z","level":"info","msg":"..."},
// with the message escaped, for log collectors.

#include <spdlog/sinks/base_sink.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>

#include "herald/proto/json_writer.hpp"

namespace herald::cli {

class JsonLogSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    using namespace std::chrono;
    auto ms = duration_cast<milliseconds>(msg.time.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&secs, &utc);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000));
    std::string line = "{\"time\":\"";
    line += stamp;
    line += "\",\"level\":";
    auto level = spdlog::level::to_string_view(msg.level);
    proto::appendJsonString(line, std::string_view(level.data(), level.size()));
    line += ",\"msg\":";
    proto::appendJsonString(line, std::string_view(msg.payload.data(), msg.payload.size()));
    line += "}\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace herald::cli

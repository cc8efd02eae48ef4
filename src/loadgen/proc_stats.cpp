#include "loadgen/proc_stats.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace herald::loadgen {

namespace {

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

}  // namespace

std::optional<std::uint64_t> parseStatCpuTicks(std::string_view stat) {
  std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // After ") " come fields 3 (state), 4, ...: utime is field 14, stime 15.
  std::string rest(stat.substr(close + 1));
  std::istringstream in(rest);
  std::string field;
  std::uint64_t utime = 0, stime = 0;
  for (int n = 3; n <= 15; ++n) {
    if (!(in >> field)) return std::nullopt;
    if (n == 14 || n == 15) {
      char* end = nullptr;
      std::uint64_t v = std::strtoull(field.c_str(), &end, 10);
      if (end == field.c_str() || *end != '\0') return std::nullopt;
      (n == 14 ? utime : stime) = v;
    }
  }
  return utime + stime;
}

std::optional<std::uint64_t> parseStatusRssKiB(std::string_view status) {
  std::size_t at = status.find("VmRSS:");
  if (at == std::string_view::npos) return std::nullopt;
  std::string line(status.substr(at + 6, status.find('\n', at) - at - 6));
  char* end = nullptr;
  std::uint64_t kib = std::strtoull(line.c_str(), &end, 10);
  if (end == line.c_str()) return std::nullopt;
  return kib;
}

std::optional<ProcSample> sampleProcess(int pid, std::string& error) {
  std::string dir = pid ? "/proc/" + std::to_string(pid) : "/proc/self";
  std::string stat, status;
  if (!readFile(dir + "/stat", stat) || !readFile(dir + "/status", status)) {
    error = "cannot read " + dir + "/stat and /status (is process " + std::to_string(pid) + " running?)";
    return std::nullopt;
  }
  auto ticks = parseStatCpuTicks(stat);
  auto rss = parseStatusRssKiB(status);
  if (!ticks || !rss) {
    error = "cannot parse " + dir + "/stat or /status";
    return std::nullopt;
  }
  static const long ticksPerSecond = sysconf(_SC_CLK_TCK);
  ProcSample s;
  s.rssBytes = *rss * 1024;
  s.cpuSeconds = static_cast<double>(*ticks) / static_cast<double>(ticksPerSecond > 0 ? ticksPerSecond : 100);
  s.wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  return s;
}

}  // namespace herald::loadgen

#pragma once
// Resident memory and CPU time of a process, read from /proc/PID/status
// (VmRSS) and /proc/PID/stat (utime + stime), to report what a run cost the
// server (--server-pid).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald::loadgen {

struct ProcSample {
  std::uint64_t rssBytes = 0;
  double cpuSeconds = 0;  // user + system
  double wallSeconds = 0;  // steady clock when sampled, to turn CPU into %
};

// Reads /proc/<pid>; nullopt (with `error` set) when the process is gone or
// the files cannot be read. pid 0 means this process (/proc/self).
std::optional<ProcSample> sampleProcess(int pid, std::string& error);

// The parsers behind it, for tests. /proc/PID/stat: utime and stime in clock
// ticks (fields 14 and 15, counted after the parenthesised command name, which
// may itself hold spaces and parentheses). /proc/PID/status: VmRSS in KiB.
std::optional<std::uint64_t> parseStatCpuTicks(std::string_view stat);
std::optional<std::uint64_t> parseStatusRssKiB(std::string_view status);

}  // namespace herald::loadgen

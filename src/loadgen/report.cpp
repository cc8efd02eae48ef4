#include "loadgen/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace herald::loadgen {

namespace {

std::string printf1(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string tableValue(const Metric& m) {
  if (!std::isfinite(m.value)) return "-";
  if (m.decimals == 0 && std::fabs(m.value) < 1.8e19) {
    std::string digits = groupThousands(static_cast<std::uint64_t>(std::llround(std::fabs(m.value))));
    return m.value < 0 ? "-" + digits : digits;
  }
  return fixed(m.value, m.decimals);
}

std::string jsonNumber(double value, int decimals) {
  if (!std::isfinite(value)) return "null";
  return fixed(value, decimals);
}

// A JSON number exactly as written, so that "100" stays a number and "5s" a string.
bool isJsonNumber(const std::string& s) {
  if (s.empty() || s[0] == '+' || s[0] == '.' || (s.size() > 1 && s[0] == '0' && s[1] != '.')) return false;
  if (s.find_first_not_of("-0123456789.eE") != std::string::npos) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(v);
}

// Pads to `width` columns; "µ" is two bytes but one column, which printf's
// field widths do not know.
std::string pad(std::string s, std::size_t width) {
  std::size_t columns = 0;
  for (char c : s) columns += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (columns < width) s.append(width - columns, ' ');
  return s;
}

std::string microseconds(std::uint64_t ns) { return fixed(static_cast<double>(ns) / 1000.0, 3); }

}  // namespace

LatencySummary summarize(const Histogram& h, std::string what) {
  return {.what = std::move(what),
          .count = h.count(),
          .min = h.min(),
          .p50 = h.percentile(50),
          .p90 = h.percentile(90),
          .p99 = h.percentile(99),
          .p999 = h.percentile(99.9),
          .max = h.max(),
          .mean = h.mean()};
}

std::string groupThousands(std::uint64_t value) {
  std::string digits = std::to_string(value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string formatDuration(std::uint64_t ns) {
  double v = static_cast<double>(ns);
  if (ns < 1000) return std::to_string(ns) + " ns";
  auto three = [](double x, const char* unit) {
    // Three significant digits: 1.23, 12.3, 123.
    const char* f = x < 9.995 ? "%.2f" : x < 99.95 ? "%.1f" : "%.0f";
    return printf1(f, x) + " " + unit;
  };
  if (ns < 999'500) return three(v / 1e3, "µs");
  if (ns < 999'500'000) return three(v / 1e6, "ms");
  return three(v / 1e9, "s");
}

std::string jsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string formatTable(const Report& r) {
  std::string out = "herald bench " + r.scenario + "  " + r.url + "\n";
  if (!r.settings.empty()) {
    out += " ";
    for (const auto& [key, value] : r.settings) out += " " + key + "=" + value;
    out += "\n";
  }
  out += "\n";
  char line[256];
  for (const Metric& m : r.metrics) {
    std::snprintf(line, sizeof line, "  %-34s %16s%s%s\n", m.label.c_str(), tableValue(m).c_str(),
                  m.unit.empty() ? "" : " ", m.unit.c_str());
    out += line;
  }
  if (r.latency) {
    const LatencySummary& l = *r.latency;
    std::snprintf(line, sizeof line, "\n  latency, %s (%s samples)\n", l.what.c_str(), groupThousands(l.count).c_str());
    out += line;
    if (l.count > 0) {
      std::string names = "    ", values = "    ";
      const std::pair<const char*, std::uint64_t> columns[] = {
          {"p50", l.p50}, {"p90", l.p90}, {"p99", l.p99},  {"p99.9", l.p999},
          {"max", l.max}, {"min", l.min}, {"mean", static_cast<std::uint64_t>(l.mean)}};
      for (const auto& [name, ns] : columns) {
        names += pad(name, 11);
        values += pad(formatDuration(ns), 11);
      }
      out += names + "\n" + values + "\n";
    }
  }
  out += "\n";
  if (r.errors.empty()) {
    out += "  errors: none\n";
  } else {
    out += "  errors:\n";
    for (const auto& [reason, count] : r.errors) {
      std::snprintf(line, sizeof line, "    %12s  ", groupThousands(count).c_str());
      out += line + reason + "\n";
    }
  }
  for (const std::string& note : r.notes) out += "  note: " + note + "\n";
  if (!r.failures.empty()) {
    out += "\n  !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n";
    for (const std::string& f : r.failures) out += "  !!! CHECK FAILED: " + f + "\n";
    out += "  !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n";
  }
  return out;
}

std::string formatJson(const Report& r) {
  std::string out = "{\"scenario\":\"" + jsonEscape(r.scenario) + "\",\"url\":\"" + jsonEscape(r.url) + "\"";
  out += ",\"settings\":{";
  for (std::size_t i = 0; i < r.settings.size(); ++i) {
    const auto& [key, value] = r.settings[i];
    out += (i ? ",\"" : "\"") + jsonEscape(key) + "\":";
    out += isJsonNumber(value) ? value : "\"" + jsonEscape(value) + "\"";
  }
  out += "},\"metrics\":{";
  for (std::size_t i = 0; i < r.metrics.size(); ++i) {
    const Metric& m = r.metrics[i];
    out += (i ? ",\"" : "\"") + jsonEscape(m.key) + "\":" + jsonNumber(m.value, m.decimals);
  }
  out += "}";
  if (r.latency) {
    const LatencySummary& l = *r.latency;
    out += ",\"latency\":{\"what\":\"" + jsonEscape(l.what) + "\",\"count\":" + std::to_string(l.count);
    const std::pair<const char*, std::uint64_t> points[] = {{"min_us", l.min}, {"p50_us", l.p50},
                                                            {"p90_us", l.p90}, {"p99_us", l.p99},
                                                            {"p99_9_us", l.p999}, {"max_us", l.max}};
    for (const auto& [key, ns] : points) out += std::string(",\"") + key + "\":" + microseconds(ns);
    out += ",\"mean_us\":" + jsonNumber(l.mean / 1000.0, 3) + "}";
  }
  out += ",\"errors\":{";
  for (std::size_t i = 0; i < r.errors.size(); ++i)
    out += (i ? ",\"" : "\"") + jsonEscape(r.errors[i].first) + "\":" + std::to_string(r.errors[i].second);
  out += "},\"failures\":[";
  for (std::size_t i = 0; i < r.failures.size(); ++i) out += (i ? ",\"" : "\"") + jsonEscape(r.failures[i]) + "\"";
  out += "],\"notes\":[";
  for (std::size_t i = 0; i < r.notes.size(); ++i) out += (i ? ",\"" : "\"") + jsonEscape(r.notes[i]) + "\"";
  out += "],\"ok\":";
  out += r.ok() ? "true" : "false";
  out += "}\n";
  return out;
}

std::string formatProgress(const Progress& p) {
  char line[256];
  std::string rate = groupThousands(static_cast<std::uint64_t>(std::llround(std::max(0.0, p.messagesPerSecond))));
  std::string p99 = p.p99Ns ? formatDuration(p.p99Ns) : "-";
  std::snprintf(line, sizeof line, "[%5.0fs] %-10s %12s msg/s  p99 ", p.elapsedSeconds, p.phase.c_str(), rate.c_str());
  std::string out = line + pad(p99, 9) + "  open " + groupThousands(p.open) + "  errors " + groupThousands(p.errors);
  if (p.connectionsPerSecond > 0)
    out += "  new conn/s " + groupThousands(static_cast<std::uint64_t>(std::llround(p.connectionsPerSecond)));
  return out;
}

}  // namespace herald::loadgen

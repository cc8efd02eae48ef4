#include "loadgen/report.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace herald::loadgen {
namespace {

Report sampleReport() {
  Report r;
  r.scenario = "echo";
  r.url = "ws://127.0.0.1:9001/";
  r.setting("threads", "2");
  r.setting("duration", "1.5");
  r.setting("compression", "on");
  r.metric("messages_per_second", "round trips/s", 1234567.4);
  r.metric("payload_mib_per_second", "payload each way", 0.25, 2, "MiB/s");
  r.latency = LatencySummary{.what = "round trip", .count = 3, .min = 1000, .p50 = 2000, .p90 = 3000,
                             .p99 = 4000, .p999 = 5000, .max = 6'000'000, .mean = 2500};
  r.errors = {{"cannot connect to 127.0.0.1: Connection refused", 2}};
  r.failures = {"3 messages missing at subscribers"};
  return r;
}

TEST(ReportTest, FormatDurationKeepsThreeSignificantDigits) {
  EXPECT_EQ(formatDuration(0), "0 ns");
  EXPECT_EQ(formatDuration(850), "850 ns");
  EXPECT_EQ(formatDuration(1'234), "1.23 µs");
  EXPECT_EQ(formatDuration(12'345), "12.3 µs");
  EXPECT_EQ(formatDuration(123'456), "123 µs");
  EXPECT_EQ(formatDuration(999'499), "999 µs");
  EXPECT_EQ(formatDuration(999'500), "1.00 ms");
  EXPECT_EQ(formatDuration(1'234'567), "1.23 ms");
  EXPECT_EQ(formatDuration(2'500'000'000), "2.50 s");
  EXPECT_EQ(formatDuration(65'000'000'000), "65.0 s");
}

TEST(ReportTest, GroupThousandsInsertsCommas) {
  EXPECT_EQ(groupThousands(0), "0");
  EXPECT_EQ(groupThousands(999), "999");
  EXPECT_EQ(groupThousands(1000), "1,000");
  EXPECT_EQ(groupThousands(1234567), "1,234,567");
  EXPECT_EQ(groupThousands(18446744073709551615ull), "18,446,744,073,709,551,615");
}

TEST(ReportTest, JsonEscapeHandlesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(jsonEscape("plain"), "plain");
  EXPECT_EQ(jsonEscape("say \"hi\"\\"), "say \\\"hi\\\"\\\\");
  EXPECT_EQ(jsonEscape("a\nb\tc\x01"), "a\\nb\\tc\\u0001");
  EXPECT_EQ(jsonEscape("µs"), "µs");  // UTF-8 passes through
}

TEST(ReportTest, JsonIsExactAndKeepsNumbersAsNumbers) {
  EXPECT_EQ(formatJson(sampleReport()),
            "{\"scenario\":\"echo\",\"url\":\"ws://127.0.0.1:9001/\","
            "\"settings\":{\"threads\":2,\"duration\":1.5,\"compression\":\"on\"},"
            "\"metrics\":{\"messages_per_second\":1234567,\"payload_mib_per_second\":0.25},"
            "\"latency\":{\"what\":\"round trip\",\"count\":3,\"min_us\":1.000,\"p50_us\":2.000,"
            "\"p90_us\":3.000,\"p99_us\":4.000,\"p99_9_us\":5.000,\"max_us\":6000.000,\"mean_us\":2.500},"
            "\"errors\":{\"cannot connect to 127.0.0.1: Connection refused\":2},"
            "\"failures\":[\"3 messages missing at subscribers\"],\"notes\":[],\"ok\":false}\n");
}

TEST(ReportTest, JsonOfACleanRunIsOkAndHasNoLatencyWhenNoneWasMeasured) {
  Report r;
  r.scenario = "idle";
  r.url = "ws://h/";
  r.setting("label", "007");  // a leading zero is not a JSON number
  r.metric("ratio", "ratio", NAN, 2);
  r.notes.push_back("a \"quoted\" note");
  EXPECT_EQ(formatJson(r),
            "{\"scenario\":\"idle\",\"url\":\"ws://h/\",\"settings\":{\"label\":\"007\"},"
            "\"metrics\":{\"ratio\":null},\"errors\":{},\"failures\":[],"
            "\"notes\":[\"a \\\"quoted\\\" note\"],\"ok\":true}\n");
}

TEST(ReportTest, TableShowsSettingsMetricsLatencyErrorsAndFailures) {
  std::string t = formatTable(sampleReport());
  EXPECT_NE(t.find("herald bench echo  ws://127.0.0.1:9001/\n  threads=2 duration=1.5 compression=on\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("  round trips/s                             1,234,567\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  payload each way                               0.25 MiB/s\n"), std::string::npos) << t;
  EXPECT_NE(t.find("latency, round trip (3 samples)"), std::string::npos) << t;
  EXPECT_NE(t.find("p50"), std::string::npos);
  EXPECT_NE(t.find("2.00 µs"), std::string::npos) << t;
  EXPECT_NE(t.find("6.00 ms"), std::string::npos) << t;
  EXPECT_NE(t.find("             2  cannot connect to 127.0.0.1: Connection refused\n"), std::string::npos) << t;
  EXPECT_NE(t.find("!!! CHECK FAILED: 3 messages missing at subscribers\n"), std::string::npos) << t;
}

// Display columns of `s` up to byte `pos`: "µ" is two bytes, one column.
std::size_t columnOf(const std::string& s, std::size_t pos) {
  std::size_t columns = 0;
  for (std::size_t i = 0; i < pos; ++i) columns += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
  return columns;
}

TEST(ReportTest, LatencyValuesStandUnderTheirNames) {
  std::string t = formatTable(sampleReport());
  std::size_t names = t.find("    p50");
  ASSERT_NE(names, std::string::npos) << t;
  std::string header = t.substr(names, t.find('\n', names) - names);
  std::size_t next = names + header.size() + 1;
  std::string values = t.substr(next, t.find('\n', next) - next);
  EXPECT_EQ(columnOf(values, values.find("2.00 µs")), columnOf(header, header.find("p50")));
  EXPECT_EQ(columnOf(values, values.find("6.00 ms")), columnOf(header, header.find("max")));
  EXPECT_EQ(columnOf(values, values.find("2.50 µs")), columnOf(header, header.find("mean")));
}

TEST(ReportTest, TableOfACleanRunSaysNoErrorsAndNoFailure) {
  Report r;
  r.scenario = "connect";
  r.url = "ws://127.0.0.1:1/";
  r.metric("connections_per_second", "connections/s", 999.6);
  std::string t = formatTable(r);
  EXPECT_NE(t.find("  connections/s                                 1,000\n"), std::string::npos) << t;
  EXPECT_NE(t.find("  errors: none\n"), std::string::npos) << t;
  EXPECT_EQ(t.find("CHECK FAILED"), std::string::npos) << t;
  EXPECT_EQ(t.find("latency"), std::string::npos) << t;
}

TEST(ReportTest, SummarizeReadsThePercentilesOfAHistogram) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  LatencySummary s = summarize(h, "what");
  EXPECT_EQ(s.what, "what");
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.min, 1u);
  EXPECT_EQ(s.p50, 50u);
  EXPECT_EQ(s.p90, 90u);
  EXPECT_EQ(s.p99, 99u);
  EXPECT_EQ(s.p999, 100u);
  EXPECT_EQ(s.max, 100u);
  EXPECT_DOUBLE_EQ(s.mean, 50.5);
}

TEST(ReportTest, ProgressLineShowsRateP99OpenAndErrors) {
  Progress p{.elapsedSeconds = 7.2, .phase = "measuring", .messagesPerSecond = 38211.4, .p99Ns = 812'000,
             .open = 100, .errors = 0};
  EXPECT_EQ(formatProgress(p), "[    7s] measuring        38,211 msg/s  p99 812 µs     open 100  errors 0");
  p.p99Ns = 0;
  p.connectionsPerSecond = 1500;
  EXPECT_EQ(formatProgress(p),
            "[    7s] measuring        38,211 msg/s  p99 -          open 100  errors 0  new conn/s 1,500");
}

}  // namespace
}  // namespace herald::loadgen

// The JSON primitives: string escaping, raw payloads, numbers.

#include "herald/proto/json_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace herald::proto {
namespace {

std::string jsonQuoted(std::string_view s) {
  std::string out;
  appendJsonString(out, s);
  return out;
}

TEST(JsonWriterTest, CopiesPlainText) {
  EXPECT_EQ(jsonQuoted(""), R"("")");
  EXPECT_EQ(jsonQuoted("hello"), R"("hello")");
  EXPECT_EQ(jsonQuoted("a long line of plain ASCII text, past eight bytes"),
            R"("a long line of plain ASCII text, past eight bytes")");
  EXPECT_EQ(jsonQuoted("</script>&'"), R"("</script>&'")");
}

TEST(JsonWriterTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(jsonQuoted("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(jsonQuoted("C:\\dir"), R"("C:\\dir")");
  EXPECT_EQ(jsonQuoted("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(jsonQuoted(std::string_view("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(jsonQuoted("\x7f"), "\"\x7f\"");  // DEL needs no escape
  // Escapes found in every position of an eight-byte word.
  for (std::size_t i = 0; i < 16; ++i) {
    std::string s(16, 'x');
    s[i] = '"';
    std::string want = "\"" + std::string(i, 'x') + "\\\"" + std::string(15 - i, 'x') + "\"";
    EXPECT_EQ(jsonQuoted(s), want) << i;
  }
}

TEST(JsonWriterTest, PassesValidUtf8Through) {
  for (std::string_view s : {"caf\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80 smile", "\xEF\xBF\xBF",
                             "\xF4\x8F\xBF\xBF", "\xE2\x80\xA8"}) {
    EXPECT_EQ(jsonQuoted(s), "\"" + std::string(s) + "\"");
  }
}

TEST(JsonWriterTest, ReplacesEachInvalidUtf8ByteWithReplacementCharacter) {
  EXPECT_EQ(jsonQuoted("a\xFFz"), R"("a\ufffdz")");
  EXPECT_EQ(jsonQuoted("\xC3"), R"("\ufffd")");                      // truncated
  EXPECT_EQ(jsonQuoted("\xC0\xAF"), R"("\ufffd\ufffd")");            // overlong
  EXPECT_EQ(jsonQuoted("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
  EXPECT_EQ(jsonQuoted("\xF4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // past U+10FFFF
  EXPECT_EQ(jsonQuoted("\xE2\x82"), R"("\ufffd\ufffd")");
}

TEST(JsonWriterTest, RawJsonIsCopiedWithoutNewlines) {
  std::string out = "x";
  appendRawJson(out, R"({"a":[1,2]})");
  EXPECT_EQ(out, R"(x{"a":[1,2]})");
  out.clear();
  appendRawJson(out, "{\n\"a\":\n1\n}\n");
  EXPECT_EQ(out, R"({"a":1})");
  out.clear();
  appendRawJson(out, R"("line\nbreak")");  // an escaped newline is text, not a byte
  EXPECT_EQ(out, R"("line\nbreak")");
}

TEST(JsonWriterTest, Numbers) {
  std::string out;
  appendUint(out, 0);
  out.push_back(' ');
  appendUint(out, UINT64_MAX);
  out.push_back(' ');
  appendInt(out, INT64_MIN);
  EXPECT_EQ(out, "0 18446744073709551615 -9223372036854775808");
}

}  // namespace
}  // namespace herald::proto

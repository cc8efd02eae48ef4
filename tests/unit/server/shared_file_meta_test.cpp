// src/server/shared_file_meta.cpp: file ids, the sidecar that describes a
// stored file, the upload query, and the headers of a download.

#include "server/shared_file_meta.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::server {
namespace {

SharedFileMeta sample() {
  return {.id = "0123456789abcdef0123456789abcdef",
          .channel = "chat:lobby",
          .name = "caf\xc3\xa9 menu\n(2).pdf",
          .mime = "application/pdf",
          .sha256 = std::string(64, 'a'),
          .user = "42",
          .size = 1024,
          .createdMs = 1765000000000,
          .expiresMs = 1765604800000};
}

TEST(FileIdTest, AcceptsOnly32LowercaseHexDigits) {
  EXPECT_TRUE(validFileId("0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(validFileId("0123456789ABCDEF0123456789abcdef"));
  EXPECT_FALSE(validFileId("0123456789abcdef0123456789abcde"));
  EXPECT_FALSE(validFileId("0123456789abcdef0123456789abcdef0"));
  EXPECT_FALSE(validFileId(""));
  EXPECT_FALSE(validFileId("../../../../../../../herald.toml"));  // 32 bytes, not hex
  EXPECT_FALSE(validFileId("0123456789abcdef0123456789abcd.."));
  EXPECT_FALSE(validFileId("0123456789abcdef0123456789abcd%2f"));
}

TEST(FileMetaTest, RoundTripsEveryField) {
  std::string error;
  auto back = decodeFileMeta(encodeFileMeta(sample()), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(*back, sample());
}

TEST(FileMetaTest, KeepsNewlinesInNamesOutOfTheLineStructure) {
  std::string text = encodeFileMeta(sample());
  EXPECT_EQ(text.find("menu\n"), std::string::npos);
  EXPECT_NE(text.find("name caf%C3%A9%20menu%0A%282%29.pdf\n"), std::string::npos);
}

TEST(FileMetaTest, AcceptsAnAnonymousUploader) {
  SharedFileMeta m = sample();
  m.user.clear();
  std::string error;
  auto back = decodeFileMeta(encodeFileMeta(m), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->user, "");
}

TEST(FileMetaTest, RefusesADescriptionCutShort) {
  std::string text = encodeFileMeta(sample());
  std::string error;
  EXPECT_FALSE(decodeFileMeta(text.substr(0, text.size() - 1), error));
  EXPECT_EQ(error, "the last line has no newline (the file was cut short)");
  auto cut = text.substr(0, text.find("expires"));
  EXPECT_FALSE(decodeFileMeta(cut, error));
  EXPECT_EQ(error, "key \"expires\" is missing");
}

TEST(FileMetaTest, RefusesRepeatedUnknownAndBadValues) {
  std::string text = encodeFileMeta(sample());
  std::string error;
  EXPECT_FALSE(decodeFileMeta(text + "size 1\n", error));
  EXPECT_EQ(error, "key \"size\" appears twice");
  EXPECT_FALSE(decodeFileMeta(text + "owner x\n", error));
  EXPECT_EQ(error, "unknown key \"owner\"");
  for (auto [from, to] : {std::pair{"size 1024", "size -1"}, {"size 1024", "size 01024"}, {"size 1024", "size 1k"},
                          {"sha256 aaaa", "sha256 AAAA"}, {"id 0123", "id ../3"}, {"name caf", "name %zz"},
                          {"created 1765000000000", "created -1"}}) {
    std::string bad = text;
    bad.replace(bad.find(from), std::string(from).size(), to);
    EXPECT_FALSE(decodeFileMeta(bad, error)) << to;
    EXPECT_TRUE(error.starts_with("bad value for")) << to << ": " << error;
  }
  EXPECT_FALSE(decodeFileMeta("herald-file 2\n", error));
  EXPECT_FALSE(decodeFileMeta("", error));
}

TEST(FileJsonTest, IsWhatAnUploadAnswers) {
  EXPECT_EQ(fileJson(sample()),
            "{\"id\":\"0123456789abcdef0123456789abcdef\",\"channel\":\"chat:lobby\",\"name\":\"caf\xc3\xa9 menu\\n(2).pdf\","
            "\"mime\":\"application/pdf\",\"size\":1024,\"sha256\":\"" + std::string(64, 'a') +
                "\",\"expires_at\":1765604800}");
}

TEST(UploadQueryTest, DecodesChannelAndName) {
  std::string error;
  auto q = parseUploadQuery("channel=chat%3Alobby&name=my+photo%20%C3%A9.png", error);
  ASSERT_TRUE(q) << error;
  EXPECT_EQ(q->channel, "chat:lobby");
  EXPECT_EQ(q->name, "my photo \xc3\xa9.png");
}

TEST(UploadQueryTest, RefusesMissingRepeatedOrBadlyEncodedParameters) {
  std::string error;
  EXPECT_FALSE(parseUploadQuery("name=a.txt", error));
  EXPECT_EQ(error, "query parameter \"channel\" is missing: POST /files?channel=<channel>&name=<file name>");
  EXPECT_FALSE(parseUploadQuery("channel=x&name=", error));
  EXPECT_TRUE(error.starts_with("query parameter \"name\" is missing"));
  EXPECT_FALSE(parseUploadQuery("channel=x&channel=y&name=a", error));
  EXPECT_TRUE(error.starts_with("query parameter \"channel\" is given twice or is not percent-encoded"));
  EXPECT_FALSE(parseUploadQuery("channel=x&name=a%2", error));
  EXPECT_TRUE(error.starts_with("query parameter \"name\" is given twice or is not percent-encoded"));
}

TEST(UploadQueryTest, RefusesNamesThatAreNotFileNames) {
  std::string error;
  for (const char* name : {"..%2Fetc%2Fpasswd", "a%5Cb", "..", ".", "a%0Ab", "%FF%FE", "a%00b"}) {
    EXPECT_FALSE(parseUploadQuery(std::string("channel=x&name=") + name, error)) << name;
  }
  EXPECT_FALSE(parseUploadQuery("channel=x&name=" + std::string(256, 'a'), error));
  EXPECT_EQ(error, "the file name is longer than 255 bytes");
  EXPECT_TRUE(parseUploadQuery("channel=x&name=" + std::string(255, 'a'), error));
}

TEST(MimeTest, KeepsTypeSubtypeAndFallsBackToOctetStream) {
  EXPECT_EQ(normalizeMime("image/PNG"), "image/png");
  EXPECT_EQ(normalizeMime(" text/plain ; charset=UTF-8"), "text/plain; charset=utf-8");
  EXPECT_EQ(normalizeMime("application/json; boundary=x"), "application/json");
  EXPECT_EQ(normalizeMime(std::nullopt), "application/octet-stream");
  EXPECT_EQ(normalizeMime("nonsense"), "application/octet-stream");
  EXPECT_EQ(normalizeMime("text/html\r\nX-Evil: 1"), "application/octet-stream");
  EXPECT_EQ(normalizeMime("a/b/c"), "application/octet-stream");
}

TEST(ContentDispositionTest, QuotesOnlySafeAsciiAndEncodesTheRest) {
  EXPECT_EQ(contentDisposition("report.pdf"), "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  EXPECT_EQ(contentDisposition("a\"b\\c;\xc3\xa9.txt"),
            "attachment; filename=\"a_b_c___.txt\"; filename*=UTF-8''a%22b%5Cc%3B%C3%A9.txt");
}

}  // namespace
}  // namespace herald::server

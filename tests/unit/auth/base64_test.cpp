// base64url (JWS segments) and padded base64 (b64info): round trips, the
// RFC 4648 test vectors, and every kind of refusal.

#include "herald/auth/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace herald::auth {
namespace {

TEST(Base64Test, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64Encode(""), "");
  EXPECT_EQ(base64Encode("f"), "Zg==");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
  EXPECT_EQ(base64Encode("foo"), "Zm9v");
  EXPECT_EQ(base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64UrlEncode("f"), "Zg");
  EXPECT_EQ(base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64Encode("\xfb\xff"), "+/8=");
}

TEST(Base64Test, RoundTripsEveryLengthAndByte) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 7 + 3));
    auto url = base64UrlDecode(base64UrlEncode(bytes));
    ASSERT_TRUE(url) << i;
    EXPECT_EQ(*url, bytes);
    auto std = base64Decode(base64Encode(bytes));
    ASSERT_TRUE(std) << i;
    EXPECT_EQ(*std, bytes);
  }
}

TEST(Base64Test, UrlDecodingRefusesPaddingAndForeignCharacters) {
  EXPECT_FALSE(base64UrlDecode("Zg=="));
  EXPECT_FALSE(base64UrlDecode("Zm8="));
  EXPECT_FALSE(base64UrlDecode("+/8"));   // standard alphabet
  EXPECT_FALSE(base64UrlDecode("Zm 9v"));
  EXPECT_FALSE(base64UrlDecode("Zm9v\n"));
  EXPECT_FALSE(base64UrlDecode(std::string("Zm\0v", 4)));
  EXPECT_FALSE(base64UrlDecode("Zm9vY"));  // one character left over
  EXPECT_TRUE(base64UrlDecode(""));
}

TEST(Base64Test, RefusesNonZeroTrailingBits) {
  EXPECT_TRUE(base64UrlDecode("Zg"));
  EXPECT_FALSE(base64UrlDecode("Zh"));  // same byte, a stray bit set
  EXPECT_TRUE(base64UrlDecode("Zm8"));
  EXPECT_FALSE(base64UrlDecode("Zm9"));
  EXPECT_FALSE(base64Decode("Zh=="));
}

TEST(Base64Test, PaddedDecodingNeedsExactPadding) {
  EXPECT_EQ(*base64Decode("Zm9vYg=="), "foob");
  EXPECT_FALSE(base64Decode("Zm9vYg"));    // padding missing
  EXPECT_FALSE(base64Decode("Zm9vYg="));
  EXPECT_FALSE(base64Decode("Zm9vY==="));  // too much
  EXPECT_FALSE(base64Decode("Zm=vYg=="));  // inside
  EXPECT_FALSE(base64Decode("===="));
  EXPECT_FALSE(base64Decode("Zm9v-_8="));  // url alphabet
}

}  // namespace
}  // namespace herald::auth

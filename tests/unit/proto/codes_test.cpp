// The code tables: numbers and texts as Centrifugo's errors.go,
// disconnect.go and unsubscribe.go have them, and the reconnect rules of
// centrifuge-js.

#include "herald/proto/codes.hpp"

#include <gtest/gtest.h>

#include <set>

namespace herald::proto {
namespace {

TEST(CodesTest, ErrorCodesMatchCentrifuge) {
  EXPECT_EQ(errorInfo(ErrorCode::Internal).message, "internal server error");
  EXPECT_TRUE(errorInfo(ErrorCode::Internal).temporary);
  EXPECT_EQ(static_cast<int>(ErrorCode::BadRequest), 107);
  EXPECT_EQ(errorInfo(ErrorCode::BadRequest).message, "bad request");
  EXPECT_FALSE(errorInfo(ErrorCode::BadRequest).temporary);
  EXPECT_EQ(static_cast<int>(ErrorCode::TooManyRequests), 111);
  EXPECT_TRUE(errorInfo(ErrorCode::TooManyRequests).temporary);
  EXPECT_EQ(static_cast<int>(ErrorCode::UnrecoverablePosition), 112);
  // Codes 100..113 without a gap, each with a distinct message.
  std::set<std::string_view> messages;
  std::uint32_t expected = 100;
  for (const ErrorInfo& e : kErrors) {
    EXPECT_EQ(static_cast<std::uint32_t>(e.code), expected++);
    EXPECT_TRUE(messages.insert(e.message).second) << e.message;
  }
}

TEST(CodesTest, DisconnectCodesMatchCentrifuge) {
  EXPECT_EQ(static_cast<int>(DisconnectCode::BadRequest), 3501);
  EXPECT_EQ(disconnectInfo(DisconnectCode::BadRequest).reason, "bad request");
  EXPECT_EQ(static_cast<int>(DisconnectCode::NoPong), 3012);
  EXPECT_EQ(disconnectInfo(DisconnectCode::ForceNoReconnect).reason, "force disconnect");
  EXPECT_EQ(disconnectInfo(DisconnectCode::Expired).reason, "connection expired");
  EXPECT_EQ(disconnectInfo(DisconnectCode::ServerError).reason, "internal server error");
  for (const DisconnectInfo& d : kDisconnects) {
    const auto code = static_cast<std::uint32_t>(d.code);
    EXPECT_TRUE((code >= 3000 && code < 3015) || (code >= 3500 && code < 3510)) << code;
    EXPECT_EQ(d.reconnect, code < 3500) << code;
    EXPECT_LT(d.reason.size(), 123u);  // fits a close frame
  }
}

TEST(CodesTest, ReconnectFollowsRanges) {
  EXPECT_TRUE(shouldReconnect(3000));
  EXPECT_TRUE(shouldReconnect(3499));
  EXPECT_FALSE(shouldReconnect(3500));
  EXPECT_FALSE(shouldReconnect(3999));
  EXPECT_TRUE(shouldReconnect(4000));
  EXPECT_TRUE(shouldReconnect(4499));
  EXPECT_FALSE(shouldReconnect(4500));
  EXPECT_FALSE(shouldReconnect(4999));
  EXPECT_TRUE(shouldReconnect(5000));
}

TEST(CodesTest, UnsubscribeCodes) {
  EXPECT_EQ(static_cast<int>(UnsubscribeCode::Server), 2000);
  EXPECT_FALSE(unsubscribeInfo(UnsubscribeCode::Server).resubscribe);
  EXPECT_EQ(static_cast<int>(UnsubscribeCode::InsufficientState), 2500);
  EXPECT_TRUE(shouldResubscribe(2500));
  EXPECT_FALSE(shouldResubscribe(2499));
}

}  // namespace
}  // namespace herald::proto

#pragma once
// Private: hiredis' reply to our owned Reply.

#include <hiredis/hiredis.h>

#include "herald/redis/reply.hpp"

namespace herald::redis::detail {

Reply fromHiredis(const redisReply* reply);

}  // namespace herald::redis::detail

#pragma once
// The HTTP status codes Herald sends, with their reason phrases.

#include <string_view>

namespace herald::http {

enum class Status : int {
  SwitchingProtocols = 101,
  Ok = 200,
  Created = 201,
  NotModified = 304,
  NoContent = 204,
  BadRequest = 400,
  Forbidden = 403,
  Unauthorized = 401,
  NotFound = 404,
  MethodNotAllowed = 405,
  LengthRequired = 411,
  PayloadTooLarge = 413,
  UpgradeRequired = 426,
  TooManyRequests = 429,
  HeaderFieldsTooLarge = 431,
  InternalServerError = 500,
  ServiceUnavailable = 503,
  InsufficientStorage = 507,  // RFC 4918: the server cannot store what it was sent (a quota)
  VersionNotSupported = 505,
};

std::string_view reasonPhrase(Status status);

}  // namespace herald::http

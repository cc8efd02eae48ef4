#include "herald/http/response_writer.hpp"

namespace herald::http {

std::string_view reasonPhrase(Status status) {
  switch (status) {
    case Status::SwitchingProtocols: return "Switching Protocols";
    case Status::Ok: return "OK";
    case Status::Created: return "Created";
    case Status::NoContent: return "No Content";
    case Status::NotModified: return "Not Modified";
    case Status::Unauthorized: return "Unauthorized";
    case Status::LengthRequired: return "Length Required";
    case Status::BadRequest: return "Bad Request";
    case Status::Forbidden: return "Forbidden";
    case Status::NotFound: return "Not Found";
    case Status::MethodNotAllowed: return "Method Not Allowed";
    case Status::PayloadTooLarge: return "Payload Too Large";
    case Status::UpgradeRequired: return "Upgrade Required";
    case Status::TooManyRequests: return "Too Many Requests";
    case Status::HeaderFieldsTooLarge: return "Request Header Fields Too Large";
    case Status::InternalServerError: return "Internal Server Error";
    case Status::ServiceUnavailable: return "Service Unavailable";
    case Status::InsufficientStorage: return "Insufficient Storage";
    case Status::VersionNotSupported: return "HTTP Version Not Supported";
  }
  return "Unknown";
}

ResponseWriter::ResponseWriter(Status status) {
  out_.reserve(256);
  out_.append("HTTP/1.1 ");
  out_.append(std::to_string(static_cast<int>(status)));
  out_.push_back(' ');
  out_.append(reasonPhrase(status));
  out_.append("\r\n");
}

ResponseWriter& ResponseWriter::header(std::string_view name, std::string_view value) {
  out_.append(name);
  out_.append(": ");
  out_.append(value);
  out_.append("\r\n");
  return *this;
}

ResponseWriter& ResponseWriter::rawHeaders(std::string_view lines) {
  out_.append(lines);
  return *this;
}

std::string ResponseWriter::finish(std::string_view body, std::string_view contentType) && {
  if (!contentType.empty()) header("Content-Type", contentType);
  header("Content-Length", std::to_string(body.size()));
  out_.append("\r\n");
  out_.append(body);
  return std::move(out_);
}

std::string ResponseWriter::finishHead() && {
  out_.append("\r\n");
  return std::move(out_);
}

std::string errorResponse(Status status, std::string_view message, std::string_view extraHeaders) {
  std::string body;
  body.reserve(message.size() + 48);
  body.append(std::to_string(static_cast<int>(status)));
  body.push_back(' ');
  body.append(reasonPhrase(status));
  body.append(": ");
  body.append(message);
  body.push_back('\n');
  ResponseWriter w(status);
  w.header("Connection", "close").rawHeaders(extraHeaders);
  return std::move(w).finish(body, "text/plain; charset=utf-8");
}

}  // namespace herald::http

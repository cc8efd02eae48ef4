#include "herald/redis/reply.hpp"

#include <hiredis/hiredis.h>

#include "reply_conversion.hpp"

namespace herald::redis {

Reply Reply::integer(std::int64_t value) {
  Reply r;
  r.type_ = Type::Integer;
  r.integer_ = value;
  return r;
}

Reply Reply::string(std::string value) {
  Reply r;
  r.type_ = Type::String;
  r.str_ = std::move(value);
  return r;
}

Reply Reply::status(std::string value) {
  Reply r;
  r.type_ = Type::Status;
  r.str_ = std::move(value);
  return r;
}

Reply Reply::error(std::string message) {
  Reply r;
  r.type_ = Type::Error;
  r.str_ = std::move(message);
  return r;
}

Reply Reply::transportError(std::string message) {
  Reply r = error(std::move(message));
  r.transport_ = true;
  return r;
}

Reply Reply::array(std::vector<Reply> elements) {
  Reply r;
  r.type_ = Type::Array;
  r.elements_ = std::move(elements);
  return r;
}

std::string Reply::describe() const {
  constexpr std::size_t kMaxText = 200;
  auto cut = [](const std::string& s) { return s.size() <= kMaxText ? s : s.substr(0, kMaxText) + "..."; };
  switch (type_) {
    case Type::Nil:
      return "(nil)";
    case Type::Integer:
      return "(integer) " + std::to_string(integer_);
    case Type::String:
      return "\"" + cut(str_) + "\"";
    case Type::Status:
      return "(status) " + cut(str_);
    case Type::Error:
      return (transport_ ? "(transport error) " : "(error) ") + cut(str_);
    case Type::Array: {
      std::string out = "[";
      for (std::size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) out += ", ";
        if (i == 16) {
          out += "... " + std::to_string(elements_.size() - i) + " more";
          break;
        }
        out += elements_[i].describe();
      }
      return out + "]";
    }
  }
  return "?";
}

namespace detail {

Reply fromHiredis(const redisReply* r) {
  if (r == nullptr) return Reply::nil();
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return Reply::integer(r->integer);
    case REDIS_REPLY_STRING:
      return Reply::string(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return Reply::status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return Reply::error(std::string(r->str, r->len));
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) elements.push_back(fromHiredis(r->element[i]));
      return Reply::array(std::move(elements));
    }
    default:
      return Reply::nil();
  }
}

}  // namespace detail
}  // namespace herald::redis

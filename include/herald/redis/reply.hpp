#pragma once
// A Redis reply as a small owned value: nil, integer, bulk string, status,
// error or array. Converted once from hiredis' redisReply, so nothing of
// hiredis leaks into callers and a reply may outlive the callback it came in.
//
// Errors come in two kinds. A *server* error is Redis' own answer
// ("ERR ...", "WRONGTYPE ...", "NOSCRIPT ..."). A *transport* error is made
// by herald_redis when there is no answer to give: the connection was lost
// or closed, the command timed out, or there was no connection to send it
// on. isTransportError() tells them apart: a transport error means "the
// command may or may not have run" (lost, timed out) or "it did not run"
// (not connected); either way the caller should treat it as temporary.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::redis {

class Reply {
 public:
  enum class Type { Nil, Integer, String, Status, Error, Array };

  Reply() = default;  // nil
  static Reply nil() { return Reply(); }
  static Reply integer(std::int64_t value);
  static Reply string(std::string value);
  static Reply status(std::string value);
  static Reply error(std::string message);
  // Made by the library, not by Redis (see the header comment).
  static Reply transportError(std::string message);
  static Reply array(std::vector<Reply> elements);

  Type type() const { return type_; }
  bool isNil() const { return type_ == Type::Nil; }
  bool isInteger() const { return type_ == Type::Integer; }
  bool isString() const { return type_ == Type::String; }
  bool isStatus() const { return type_ == Type::Status; }
  bool isError() const { return type_ == Type::Error; }
  bool isArray() const { return type_ == Type::Array; }
  bool isTransportError() const { return type_ == Type::Error && transport_; }

  // Integer: its value; anything else: 0.
  std::int64_t integer() const { return integer_; }
  // String, Status, Error: the text; anything else: empty.
  const std::string& str() const { return str_; }
  // Array: its elements; anything else: empty.
  const std::vector<Reply>& elements() const { return elements_; }
  std::size_t size() const { return elements_.size(); }
  const Reply& operator[](std::size_t i) const { return elements_[i]; }

  // Readable and bounded (long strings cut), for logs and test messages.
  std::string describe() const;

 private:
  Type type_ = Type::Nil;
  bool transport_ = false;
  std::int64_t integer_ = 0;
  std::string str_{};
  std::vector<Reply> elements_{};
};

}  // namespace herald::redis

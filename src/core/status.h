// Status and Result<T>: errors on user input are values, never exceptions or aborts.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace lieq {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad option or value supplied by the user
  kNotFound,         // missing file or tensor
  kDataLoss,         // truncated or corrupt file
  kUnimplemented,    // valid input that this build does not support
  kIoError,          // the operating system refused
  kAlreadyExists,    // output exists and --force was not given
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prepends context, e.g. the file name, so that errors read "model.gguf: tensor 3: ...".
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok() && "Result built from an OK status has no value");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(data_);
  }

  T& value() & { assert(ok()); return std::get<T>(data_); }
  const T& value() const& { assert(ok()); return std::get<T>(data_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(data_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace lieq

#define LIEQ_CONCAT_INNER(a, b) a##b
#define LIEQ_CONCAT(a, b) LIEQ_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if it is an error.
#define LIEQ_RETURN_IF_ERROR(expr)              \
  do {                                          \
    ::lieq::Status lieq_status_ = (expr);       \
    if (!lieq_status_.ok()) return lieq_status_; \
  } while (0)

// Declares `lhs` from a Result, or returns its error status.
#define LIEQ_ASSIGN_OR_RETURN(lhs, expr) \
  LIEQ_ASSIGN_OR_RETURN_IMPL(LIEQ_CONCAT(lieq_result_, __LINE__), lhs, expr)
#define LIEQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()

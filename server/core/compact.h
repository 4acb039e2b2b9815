// Compact stand-ins for two field types the engine keeps on every live call:
// at 100,000 waiting calls each byte of core::Call is 100 KB of heap.
//
// OptionalTime: an optional absl::Time in 16 bytes (std::optional takes 24).
// absl::InfinitePast() stands for "none": no event carries that time.
//
// SparseString: a string of 8 bytes while empty (std::string takes 32), for
// texts most calls never set (notes, disposition, end reason, callback
// number); a set one costs a heap std::string.
//
// Both read like the type they stand for and convert to it.
//
// Thread safety: values.
#ifndef ACD_SERVER_CORE_COMPACT_H_
#define ACD_SERVER_CORE_COMPACT_H_

#include <cassert>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace acd::core {

class OptionalTime {
 public:
  OptionalTime() = default;
  OptionalTime(std::nullopt_t) {}                  // NOLINT(google-explicit-constructor)
  OptionalTime(absl::Time t) : time_(t) {}         // NOLINT(google-explicit-constructor)
  OptionalTime(const std::optional<absl::Time>& t)  // NOLINT(google-explicit-constructor)
      : time_(t.value_or(kNone)) {}

  bool has_value() const { return time_ != kNone; }
  explicit operator bool() const { return has_value(); }
  const absl::Time& operator*() const {
    assert(has_value());
    return time_;
  }
  const absl::Time* operator->() const { return &**this; }
  const absl::Time& value() const { return **this; }
  absl::Time value_or(absl::Time otherwise) const { return has_value() ? time_ : otherwise; }
  void reset() { time_ = kNone; }
  absl::Time& emplace(absl::Time t) { return time_ = t; }

  operator std::optional<absl::Time>() const {  // NOLINT(google-explicit-constructor)
    return has_value() ? std::optional<absl::Time>(time_) : std::nullopt;
  }

  friend bool operator==(const OptionalTime& a, const OptionalTime& b) {
    return a.time_ == b.time_;
  }
  friend std::ostream& operator<<(std::ostream& os, const OptionalTime& t) {
    return t ? os << absl::FormatTime(*t) : os << "(none)";
  }

 private:
  static constexpr absl::Time kNone = absl::InfinitePast();
  absl::Time time_ = kNone;
};

class SparseString {
 public:
  SparseString() = default;
  SparseString(absl::string_view s) { assign(s); }  // NOLINT(google-explicit-constructor)
  SparseString(const std::string& s) { assign(s); }  // NOLINT(google-explicit-constructor)
  SparseString(const char* s) { assign(s); }         // NOLINT(google-explicit-constructor)
  SparseString(std::string&& s) {                     // NOLINT(google-explicit-constructor)
    if (!s.empty()) text_ = std::make_unique<std::string>(std::move(s));
  }
  SparseString(const SparseString& other) { assign(other.str()); }
  SparseString(SparseString&&) noexcept = default;
  SparseString& operator=(const SparseString& other) {
    if (this != &other) assign(other.str());
    return *this;
  }
  SparseString& operator=(SparseString&&) noexcept = default;

  // "" while unset. Valid until the next change.
  const std::string& str() const { return text_ ? *text_ : Empty(); }
  operator const std::string&() const { return str(); }  // NOLINT(google-explicit-constructor)
  operator absl::string_view() const { return str(); }    // NOLINT(google-explicit-constructor)
  absl::string_view view() const { return str(); }
  bool empty() const { return text_ == nullptr; }
  void assign(const char* data, size_t size) { assign(absl::string_view(data, size)); }
  size_t size() const { return str().size(); }
  void clear() { text_.reset(); }

  friend bool operator==(const SparseString& a, const SparseString& b) {
    return a.view() == b.view();
  }
  // A template, so that text of any string type matches it exactly rather
  // than by a conversion, which the overload above would tie with.
  template <typename Text>
    requires(std::is_convertible_v<const Text&, absl::string_view> &&
             !std::is_same_v<Text, SparseString>)
  friend bool operator==(const SparseString& a, const Text& b) {
    return a.view() == absl::string_view(b);
  }
  friend std::ostream& operator<<(std::ostream& os, const SparseString& s) { return os << s.str(); }

 private:
  static const std::string& Empty() {
    static const std::string* const empty = new std::string();
    return *empty;
  }
  void assign(absl::string_view s) {
    if (s.empty()) {
      text_.reset();
    } else if (text_) {
      text_->assign(s.data(), s.size());
    } else {
      text_ = std::make_unique<std::string>(s);
    }
  }

  std::unique_ptr<std::string> text_;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_COMPACT_H_

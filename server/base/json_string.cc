#include "server/base/json_string.h"

#include "absl/strings/str_cat.h"

namespace acd {

size_t Utf8SequenceLength(absl::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

void AppendJsonString(absl::string_view value, std::string* out) {
  out->push_back('"');
  size_t plain = 0;  // start of the run not yet copied
  for (size_t i = 0; i < value.size();) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    size_t utf8 = c >= 0x80 ? Utf8SequenceLength(value.substr(i)) : 0;
    if (utf8 > 0) {
      i += utf8;
      continue;
    }
    out->append(value.data() + plain, i - plain);
    // JSON's two-letter escapes, then \u00XX for the other control characters.
    constexpr absl::string_view kEscaped = "\"\\\n\r\t\b\f";
    constexpr absl::string_view kLetters = "\"\\nrtbf";
    if (size_t k = kEscaped.find(static_cast<char>(c)); k != absl::string_view::npos) {
      out->push_back('\\');
      out->push_back(kLetters[k]);
    } else if (c < 0x20) {
      absl::StrAppend(out, "\\u00", absl::Hex(c, absl::kZeroPad2));
    } else {
      out->append("\\ufffd");
    }
    plain = ++i;
  }
  out->append(value.data() + plain, value.size() - plain);
  out->push_back('"');
}

}  // namespace acd

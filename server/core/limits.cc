#include "server/core/limits.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace acd::core {
namespace {

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// The index of the first control character in `s` not allowed, if any.
std::optional<size_t> FindControl(absl::string_view s, bool multiline) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (!IsControl(c)) continue;
    if (multiline && (c == '\n' || c == '\r' || c == '\t')) continue;
    return i;
  }
  return std::nullopt;
}

absl::Status TooLong(absl::string_view field, absl::string_view value, size_t max_length) {
  return absl::InvalidArgumentError(absl::StrCat(
      field, " ", QuoteValue(value), " is too long: the limit is ", max_length, " bytes"));
}

absl::Status HasControl(absl::string_view field, absl::string_view value, size_t at) {
  return absl::InvalidArgumentError(
      absl::StrFormat("%s %s has a control character (byte 0x%02x at offset %d)", field,
                      QuoteValue(value), static_cast<unsigned char>(value[at]), at));
}

// Bytes, not characters: the limits bound memory.
absl::Status CheckSizeAndChars(absl::string_view field, absl::string_view value, size_t max_length,
                               bool multiline) {
  if (value.size() > max_length) return TooLong(field, value, max_length);
  if (std::optional<size_t> at = FindControl(value, multiline)) {
    return HasControl(field, value, *at);
  }
  return absl::OkStatus();
}

}  // namespace

std::string QuoteValue(absl::string_view value) {
  absl::string_view shown = value;
  if (shown.size() > kQuotedValueLength) {
    size_t cut = kQuotedValueLength;
    // Back up over UTF-8 continuation bytes so the message stays valid text.
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    shown = value.substr(0, cut);
  }
  std::string out = "\"";
  for (char ch : shown) {
    unsigned char c = ch;
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (IsControl(c)) {
          absl::StrAppendFormat(&out, "\\x%02x", c);
        } else {
          out += ch;
        }
    }
  }
  if (shown.size() < value.size()) {
    absl::StrAppend(&out, "...\" (", value.size(), " bytes)");
  } else {
    out += "\"";
  }
  return out;
}

absl::Status ValidateId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(field, " is required"));
  return CheckSizeAndChars(field, id, kMaxIdLength, /*multiline=*/false);
}

absl::Status ValidateOptionalId(absl::string_view field, absl::string_view id) {
  if (id.empty()) return absl::OkStatus();
  return ValidateId(field, id);
}

absl::Status ValidateText(absl::string_view field, absl::string_view text, size_t max_length,
                          bool multiline) {
  return CheckSizeAndChars(field, text, max_length, multiline);
}

absl::Status ValidateAttributes(const Attributes& attributes) {
  if (attributes.size() > kMaxAttributes) {
    return absl::InvalidArgumentError(absl::StrCat("attributes has ", attributes.size(),
                                                   " entries; the limit is ", kMaxAttributes));
  }
  for (const auto& [key, value] : attributes) {
    if (key.empty()) return absl::InvalidArgumentError("attributes has an empty key");
    if (absl::Status s = CheckSizeAndChars("attributes key", key, kMaxAttributeKeyLength,
                                           /*multiline=*/false);
        !s.ok()) {
      return s;
    }
    std::string field = absl::StrCat("attributes[", QuoteValue(key), "]");
    if (absl::Status s =
            CheckSizeAndChars(field, value, kMaxAttributeValueLength, /*multiline=*/false);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateRequiredSkills(const SkillLevels& skills) {
  if (skills.size() > kMaxRequiredSkills) {
    return absl::InvalidArgumentError(absl::StrCat("required_skills has ", skills.size(),
                                                   " entries; the limit is ", kMaxRequiredSkills));
  }
  for (const auto& [skill, level] : skills) {
    if (skill.empty()) return absl::InvalidArgumentError("required_skills has an empty skill name");
    if (absl::Status s = ValidateId("required_skills key", skill); !s.ok()) return s;
    if (level < kMinSkillLevel || level > kMaxSkillLevel) {
      return absl::InvalidArgumentError(absl::StrCat("required_skills[", QuoteValue(skill),
                                                     "] = ", level, " is out of range [",
                                                     kMinSkillLevel, ", ", kMaxSkillLevel, "]"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateCallbackNumber(absl::string_view number) {
  bool ok = !number.empty() && number.size() <= kMaxCallbackNumberLength;
  for (size_t i = 0; ok && i < number.size(); ++i) {
    char c = number[i];
    ok = (c >= '0' && c <= '9') || c == '*' || c == '#' || (c == '+' && i == 0);
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("callback number ", QuoteValue(number),
                   " is not a number to dial (digits, a leading '+', '*' or '#'; 1-",
                   kMaxCallbackNumberLength, " characters)"));
}

}  // namespace acd::core

#include "server/config/yaml_checker.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"

namespace acd::config::internal {
namespace {

// Long values are cut so one bad line cannot flood a message.
constexpr size_t kMaxQuotedScalar = 80;
constexpr size_t kMaxRenderedNode = 40;

// Flow-style rendering, e.g. "[a, b]" or "{english: 5}".
std::string Render(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetSeqFormat(YAML::Flow);
  out.SetMapFormat(YAML::Flow);
  out << node;
  std::string text = out.good() ? out.c_str() : "";
  if (text.size() > kMaxRenderedNode) text = absl::StrCat(text.substr(0, kMaxRenderedNode), "...");
  return text;
}

// Records where each document starts and nothing else.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::vector<YAML::Mark> starts;
};

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The byte offset of `line`:`column` (1-based, columns in code points) in
// `value`, clamped to its end.
size_t OffsetOf(absl::string_view value, int line, int column) {
  size_t i = 0;
  for (int l = 1; l < line && i < value.size(); ++i) {
    if (value[i] == '\n') ++l;
  }
  for (int c = 1; c < column && i < value.size() && value[i] != '\n'; ++c) {
    ++i;
    while (i < value.size() && IsContinuationByte(value[i])) ++i;
  }
  return i;
}

int Utf8Length(uint32_t code_point) {
  if (code_point < 0x80) return 1;
  if (code_point < 0x800) return 2;
  return code_point < 0x10000 ? 3 : 4;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

// A double-quoted escape starting at text[at] == '\\': the source bytes it
// spans and the value bytes it stands for (YAML 1.2 escapes, as yaml-cpp
// decodes them). An escaped line break stands for nothing.
std::pair<size_t, size_t> EscapeSize(absl::string_view text, size_t at) {
  if (at + 1 >= text.size()) return {1, 0};
  char e = text[at + 1];
  if (e == '\n') return {2, 0};
  if (e == '\r') return {at + 2 < text.size() && text[at + 2] == '\n' ? 3 : 2, 0};
  size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
  if (digits > 0) {
    uint32_t code_point = 0;
    for (size_t k = 0; k < digits && at + 2 + k < text.size(); ++k) {
      code_point = code_point * 16 + HexValue(text[at + 2 + k]);
    }
    return {2 + digits, Utf8Length(code_point)};
  }
  if (e == 'N' || e == '_') return {2, 2};  // U+0085, U+00A0
  if (e == 'L' || e == 'P') return {2, 3};  // U+2028, U+2029
  return {2, 1};
}

}  // namespace

YAML::Node YamlChecker::LoadFirstDocument() {
  // A first pass over the events finds every document and the parser getting
  // stuck: a document that starts where the previous one started consumed no
  // token, and yaml-cpp would repeat it forever.
  std::istringstream stream{std::string(text_)};
  YAML::Parser parser(stream);
  DocumentStarts documents;
  while (parser.HandleNextDocument(documents)) {
    size_t n = documents.starts.size();
    if (n >= 2 && documents.starts[n - 1].pos == documents.starts[n - 2].pos) {
      const YAML::Mark& mark = documents.starts[n - 1];
      size_t pos = static_cast<size_t>(mark.pos);
      throw YAML::ParserException(
          mark, pos < text_.size() ? absl::StrCat("unexpected ", Quote(text_.substr(pos, 1)))
                                   : std::string("unexpected token"));
    }
  }
  if (documents.starts.size() > 1) {
    const YAML::Mark& second = documents.starts[1];
    Report({second.line + 1, second.column + 1}, "",
           "config has more than one YAML document (remove the second \"---\")");
  }
  return YAML::Load(std::string(text_));
}

std::string Quote(absl::string_view s) {
  std::string cut(s.substr(0, kMaxQuotedScalar));
  return absl::StrCat("\"", absl::Utf8SafeCHexEscape(cut), s.size() > cut.size() ? "...\"" : "\"");
}

int EditDistance(absl::string_view a, absl::string_view b) {
  // Three rolling rows of the classic table; rows are indexed by b.
  std::vector<int> before(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= b.size(); ++j) {
      int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    std::swap(before, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<absl::string_view> ClosestMatch(absl::string_view word,
                                              std::span<const absl::string_view> candidates,
                                              int max_distance) {
  std::optional<absl::string_view> best;
  int best_distance = max_distance + 1;
  for (absl::string_view candidate : candidates) {
    int distance = EditDistance(word, candidate);
    // Half the candidate changed is a different word, not a typo ("x" -> "id").
    if (distance < best_distance && distance * 2 <= static_cast<int>(candidate.size())) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string DidYouMean(absl::string_view word, std::span<const absl::string_view> candidates) {
  std::optional<absl::string_view> match = ClosestMatch(word, candidates);
  if (!match) return "";
  return absl::StrCat(" (did you mean \"", *match, "\"?)");
}

const Field* Fields::Get(absl::string_view key) const {
  for (const Field& field : fields_) {
    if (field.key == key) return &field;
  }
  return nullptr;
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return Quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return absl::StrCat("a list ", Render(node));
    case YAML::NodeType::Map:
      return absl::StrCat("a mapping ", Render(node));
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string Child(absl::string_view path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string Index(absl::string_view path, size_t index) {
  return absl::StrCat(path, "[", index, "]");
}

Place YamlChecker::ClampToText(Place place) const {
  if (place.line <= 0) return place;
  size_t start = 0;
  int line = 1;
  for (; line < place.line; ++line) {
    const size_t newline = text_.find('\n', start);
    if (newline == absl::string_view::npos) break;
    start = newline + 1;
  }
  const size_t end = std::min(text_.find('\n', start), text_.size());
  const int end_column = static_cast<int>(end - start) + 1;
  if (line < place.line) return {line, end_column};  // past the last line
  return {line, std::clamp(place.column, 1, end_column)};
}

void YamlChecker::Report(Place place, std::string path, std::string message) {
  place = ClampToText(place);
  problems_.push_back(Problem{.file = file_,
                              .line = place.line,
                              .column = place.column,
                              .path = std::move(path),
                              .message = std::move(message)});
}

std::vector<Problem> YamlChecker::TakeProblems() {
  std::stable_sort(problems_.begin(), problems_.end(), [](const Problem& a, const Problem& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::move(problems_);
}

Place YamlChecker::PlaceOf(const YAML::Node& node) {
  if (!node.IsDefined()) return {};
  YAML::Mark mark = node.Mark();
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

Place YamlChecker::ItemPlace(const YAML::Node& item) const {
  Place place = PlaceOf(item);
  if (!item.IsNull()) return place;
  // An empty item ("-" alone) is marked at the token after it. Walk back over
  // blanks to its dash. An explicit "~" or "null" is marked correctly already.
  YAML::Mark mark = item.Mark();
  if (mark.pos < 0 || static_cast<size_t>(mark.pos) > text_.size()) return place;
  size_t pos = static_cast<size_t>(mark.pos);
  if (pos < text_.size() && (text_[pos] == '~' || text_[pos] == 'n' || text_[pos] == 'N')) {
    return place;
  }
  while (pos > 0 && std::isspace(static_cast<unsigned char>(text_[pos - 1]))) --pos;
  if (pos == 0 || text_[pos - 1] != '-') return place;
  size_t dash = pos - 1;
  size_t line_start = text_.rfind('\n', dash);
  line_start = line_start == absl::string_view::npos ? 0 : line_start + 1;
  int line = 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + dash, '\n'));
  return {line, static_cast<int>(dash - line_start) + 1};
}

Place YamlChecker::PlaceInScalar(const YAML::Node& node, int line, int column) const {
  Place fallback = PlaceOf(node);
  if (!node.IsScalar()) return fallback;
  YAML::Mark mark = node.Mark();
  if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= text_.size()) return fallback;
  const std::string& value = node.Scalar();
  size_t s = static_cast<size_t>(mark.pos);
  // The mark is where the node's properties start: skip a tag or an anchor.
  while (s < text_.size() && (text_[s] == '!' || text_[s] == '&')) {
    while (s < text_.size() && !IsBlank(text_[s])) ++s;
    while (s < text_.size() && IsBlank(text_[s])) ++s;
  }
  if (s >= text_.size()) return fallback;
  bool double_quoted = text_[s] == '"';
  if (double_quoted || text_[s] == '\'') {
    ++s;  // the value starts after the quote
  } else if (text_[s] == '|' || text_[s] == '>') {
    // The value starts on the line after the header ("|", "|-", ">2 # note").
    size_t end = text_.find('\n', s);
    if (end == absl::string_view::npos) return fallback;
    s = end + 1;
  }

  // Walk the value and its source together. The value is the source with
  // indentation and line breaks folded, '' unescaped in single quotes and
  // escapes decoded in double quotes; every other byte is copied. So a value
  // byte either matches the next source byte, or the source byte is one that
  // folding or unescaping removed. Double-quoted escapes are decoded by length
  // (\x41 stands for one byte, \u00e9 for two): positions after them are
  // exact for the escapes YAML defines, approximate for malformed ones.
  const size_t target = OffsetOf(value, line, column);
  size_t i = 0;
  size_t end_of_last = s;  // source offset just past the last value byte seen
  std::optional<size_t> found;
  while (i < value.size() && s < text_.size()) {
    const char v = value[i];
    const char t = text_[s];
    const size_t here = s;
    size_t produced = 0;
    if (double_quoted && t == '\\') {
      auto [span, made] = EscapeSize(text_, s);
      s += span;
      produced = made;
    } else if (v == t || (IsBlank(v) && IsBlank(t))) {
      ++s;
      produced = 1;
    } else if (IsBlank(t)) {
      ++s;  // indentation or a folded line break
      continue;
    } else if (IsBlank(v)) {
      produced = 1;  // a space that stands for a break the source does not show
    } else {
      ++s;  // the second ' of '' in single quotes
      continue;
    }
    if (produced == 0) continue;
    produced = std::min(produced, value.size() - i);
    if (target >= i && target < i + produced) {
      found = here;
      break;
    }
    i += produced;
    end_of_last = s;
  }
  if (!found) {
    if (i < value.size()) return fallback;  // the source ran out: we lost the thread
    found = end_of_last;
  }
  size_t offset = std::min(*found, text_.size());
  int file_line = 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + offset, '\n'));
  size_t line_start = offset == 0 ? absl::string_view::npos : text_.rfind('\n', offset - 1);
  line_start = line_start == absl::string_view::npos ? 0 : line_start + 1;
  return {file_line, static_cast<int>(offset - line_start) + 1};
}

std::optional<Fields> YamlChecker::Mapping(const Value& value, absl::string_view path,
                                           absl::string_view what,
                                           std::span<const absl::string_view> allowed,
                                           std::span<const absl::string_view> planned) {
  const YAML::Node& node = value.node;
  if (!node.IsMap()) {
    Report(value.place, std::string(path),
           absl::StrCat("expected ", what, ", got ", Describe(node)));
    return std::nullopt;
  }
  std::vector<Field> fields;
  absl::flat_hash_map<std::string, Place> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // A copy: it-> goes through a temporary proxy, a reference would dangle.
    YAML::Node key_node = it->first;
    Place key_place = PlaceOf(key_node);
    if (key_place.line == 0) key_place = value.place;
    if (!key_node.IsScalar()) {
      Report(key_place, std::string(path),
             absl::StrCat("keys must be plain strings, got ", Describe(key_node)));
      continue;
    }
    std::string key = key_node.Scalar();
    std::string key_path = Child(path, key);
    // yaml-cpp keeps both entries of a repeated key; a silent "last one wins"
    // would hide a mistake.
    auto [first, inserted] = seen.try_emplace(key, key_place);
    if (!inserted) {
      Report(
          key_place, std::move(key_path),
          absl::StrCat("duplicate key ", Quote(key), " (first at line ", first->second.line, ")"));
      continue;
    }
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      if (std::find(planned.begin(), planned.end(), key) != planned.end()) {
        Report(key_place, std::move(key_path),
               absl::StrCat("key ", Quote(key),
                            " is not supported in this release (planned for a later one)"));
      } else {
        Report(key_place, std::move(key_path),
               absl::StrCat("unknown key ", Quote(key), DidYouMean(key, allowed)));
      }
      continue;
    }
    YAML::Node child = it->second;
    Place child_place = child.IsNull() ? key_place : PlaceOf(child);
    if (child_place.line == 0) child_place = key_place;
    fields.push_back(Field{.key = std::move(key),
                           .key_place = key_place,
                           .value = Value{.node = child, .place = child_place}});
  }
  return Fields(std::move(fields));
}

std::optional<std::vector<Value>> YamlChecker::Sequence(const Value& value, absl::string_view path,
                                                        absl::string_view what) {
  if (!value.node.IsSequence()) {
    Report(value.place, std::string(path),
           absl::StrCat("expected ", what, ", got ", Describe(value.node)));
    return std::nullopt;
  }
  std::vector<Value> items;
  items.reserve(value.node.size());
  for (const YAML::Node& item : value.node) {
    Place place = ItemPlace(item);
    if (place.line == 0) place = value.place;
    items.push_back(Value{.node = item, .place = place});
  }
  return items;
}

std::optional<std::string> YamlChecker::Scalar(const Value& value, absl::string_view path,
                                               absl::string_view what) {
  if (value.node.IsScalar()) return value.node.Scalar();
  if (value.node.IsNull()) {
    Report(value.place, std::string(path), absl::StrCat("missing value (expected ", what, ")"));
  } else {
    Report(value.place, std::string(path),
           absl::StrCat("expected ", what, ", got ", Describe(value.node)));
  }
  return std::nullopt;
}

}  // namespace acd::config::internal

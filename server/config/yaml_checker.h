// Internal to acd_config: a strict walker over a yaml-cpp node tree that
// collects Problems (with 1-based line:column and key path) instead of stopping
// at the first one. ConfigParser (config_parser.h) describes the acd schema with it.
//
// Thread safety: a YamlChecker is used by one thread for one parse.
#ifndef ACD_SERVER_CONFIG_YAML_CHECKER_H_
#define ACD_SERVER_CONFIG_YAML_CHECKER_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/config/config.h"
#include "yaml-cpp/yaml.h"

namespace acd::config::internal {

// Optimal string alignment distance (Levenshtein plus adjacent transposition),
// so "ofer_timeout" and "offer_timoeut" are both one edit from the real key.
int EditDistance(absl::string_view a, absl::string_view b);

// The candidate closest to `word` within `max_distance` edits (the first one on
// a tie), or nullopt. Used for "did you mean" hints.
std::optional<absl::string_view> ClosestMatch(absl::string_view word,
                                              std::span<const absl::string_view> candidates,
                                              int max_distance = 2);

// " (did you mean \"x\"?)" when a candidate is close enough, else "".
std::string DidYouMean(absl::string_view word, std::span<const absl::string_view> candidates);

// A 1-based place in the text; line 0 means "no place".
struct Place {
  int line = 0;
  int column = 0;
};

// A node plus the place to blame for it. For a null node yaml-cpp's mark points
// at the next token (often on a later line), so a null map value is placed on
// its key and a null list item on its dash.
struct Value {
  YAML::Node node;
  Place place;
};

struct Field {
  std::string key;
  Place key_place;
  Value value;
};

// The known fields of one mapping, first occurrence of each key, in file order.
class Fields {
 public:
  explicit Fields(std::vector<Field> fields) : fields_(std::move(fields)) {}
  const Field* Get(absl::string_view key) const;
  const std::vector<Field>& all() const { return fields_; }

 private:
  std::vector<Field> fields_;
};

// `s` in double quotes, control characters escaped, cut after 80 bytes.
std::string Quote(absl::string_view s);

// What a node is, quoting it for a message: "\"20x\"", "a list [a, b]",
// "a mapping {a: 1}", "nothing". Long renderings are cut short.
std::string Describe(const YAML::Node& node);

// Joins a key path: Child("queues[1]", "name") == "queues[1].name".
std::string Child(absl::string_view path, absl::string_view key);
std::string Index(absl::string_view path, size_t index);

class YamlChecker {
 public:
  YamlChecker(absl::string_view text, absl::string_view file) : text_(text), file_(file) {}

  // Parses the text's first YAML document; Null when there is none. Reports a
  // second document as a problem. Throws YAML::ParserException on a syntax
  // error (the caller turns it into a problem).
  //
  // Not YAML::LoadAll: in yaml-cpp 0.7 it loops forever, allocating, on a
  // stray "," at the start of a document (jbeder/yaml-cpp#1040, fixed upstream
  // in PR #1319), which would let one bad file exhaust the host's memory.
  YAML::Node LoadFirstDocument();

  // Records a problem; a place past the text is moved to the nearest line end.
  void Report(Place place, std::string path, std::string message);
  bool has_problems() const { return !problems_.empty(); }
  // The problems so far, sorted by line then column (stable).
  std::vector<Problem> TakeProblems();

  // The place of a non-null node (mark + 1), or {} when yaml-cpp has none.
  static Place PlaceOf(const YAML::Node& node);
  // The place of a list item; see Value.
  Place ItemPlace(const YAML::Node& item) const;

  // Where a position inside a scalar's value sits in the file: `line` and
  // `column` are 1-based within node.Scalar(), columns counting code points
  // (as ParseExpr reports them). Handles plain, single-quoted, double-quoted and
  // block (| and >) scalars, folded lines included. The result counts columns
  // in bytes, like yaml-cpp's marks for every other problem. A position past
  // the end maps just after the value's last character. Falls back to the
  // node's own place when the text cannot be followed.
  Place PlaceInScalar(const YAML::Node& node, int line, int column) const;

  // Checks that `value` is a mapping with string keys, no duplicate key and, if
  // `allowed` is not empty, only allowed keys. A key in `planned` is reported as
  // not supported yet rather than unknown. Returns nullopt (after reporting) when
  // `value` is not a mapping; `what` names the expected thing ("a queue").
  std::optional<Fields> Mapping(const Value& value, absl::string_view path, absl::string_view what,
                                std::span<const absl::string_view> allowed = {},
                                std::span<const absl::string_view> planned = {});

  // Checks that `value` is a list; returns its items with their places.
  std::optional<std::vector<Value>> Sequence(const Value& value, absl::string_view path,
                                             absl::string_view what);

  // Checks that `value` is a scalar; returns its text. `what` names the
  // expected value, e.g. "a duration like 20s".
  std::optional<std::string> Scalar(const Value& value, absl::string_view path,
                                    absl::string_view what);

 private:
  // `place` moved inside the text: yaml-cpp's marks can run past it (a NUL
  // byte makes it read on past the end), and a problem must point at a
  // character of the file or just after the last one of a line.
  Place ClampToText(Place place) const;

  absl::string_view text_;
  std::string file_;
  std::vector<Problem> problems_;
};

}  // namespace acd::config::internal

#endif  // ACD_SERVER_CONFIG_YAML_CHECKER_H_

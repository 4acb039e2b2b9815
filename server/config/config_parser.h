// Internal to acd_config, not part of its API: ConfigParser, the walker that
// turns a YAML document into a Config, and the helpers its pieces share. The
// public entry points are in config.h; nothing outside server/config includes
// this header.
//
// ConfigParser's methods are defined by section: config.cc (the document,
// and the public functions), value_readers.cc (names, durations, numbers,
// enums, time zones), parse_server_auth.cc, parse_schedules.cc,
// parse_queues.cc, parse_agents.cc (skills and agents) and parse_routing.cc.
// Each reports every problem it finds through the YamlChecker and goes on.
//
// Thread safety: a ConfigParser is used by one thread for one parse.
#ifndef ACD_SERVER_CONFIG_CONFIG_PARSER_H_
#define ACD_SERVER_CONFIG_CONFIG_PARSER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/config/config.h"
#include "server/config/yaml_checker.h"
#include "server/core/expr.h"
#include "server/core/schedule.h"
#include "server/core/types.h"
#include "yaml-cpp/yaml.h"

namespace acd::config::internal {

// In Role order.
inline constexpr absl::string_view kRoles[] = {"integrator", "agent", "supervisor", "admin"};
inline constexpr absl::string_view kNameRule = "use 1-64 characters from A-Z a-z 0-9 _ . -";
// A document-level problem is placed at the top of the file.
inline constexpr Place kDocumentStart = {1, 1};

// value_readers.cc
bool IsNameChar(char c);
// 1-64 characters from A-Z a-z 0-9 _ . - (kNameRule).
bool IsValidName(absl::string_view name);
// Optional sign then digits only: YAML's 0x10, 1e3 or " 3" are not levels.
std::optional<int64_t> ParseInteger(absl::string_view text);
// "a, b or c".
std::string JoinOr(std::span<const absl::string_view> words);

// config.cc
// The whole of the file at `path`, or the system's reason it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);
// Runs `parse` on the first document of `checker`'s text, turning yaml-cpp's
// exceptions into problems.
void ParseDocument(YamlChecker& checker, const std::function<void(const YAML::Node&)>& parse);

// The tokens of `auth`, gathered across the config file and its tokens_file:
// names and secrets must be unique over both.
struct TokenSet {
  std::vector<absl::string_view> agent_ids;               // configured agents, for checks and hints
  absl::flat_hash_map<std::string, std::string> names;    // name -> "file:line" first defined
  absl::flat_hash_map<std::string, std::string> secrets;  // sha256 -> token name
  std::vector<Token> tokens;
  int listed = 0;  // entries written, valid or not
};

// Walks the document and fills a Config, reporting every problem on the way.
class ConfigParser {
 public:
  ConfigParser(YamlChecker* checker, absl::string_view file, const ParseOptions& options)
      : checker_(*checker), file_(file), options_(options) {}

  void Parse(const YAML::Node& root);
  // The root of a tokens_file: {tokens: [...]}.
  void ParseTokensFile(const YAML::Node& root, TokenSet& set);
  Config& config() { return config_; }
  // Problems found in other files (the tokens_file), after the config's own.
  std::vector<Problem> TakeOtherProblems() { return std::move(other_problems_); }

 private:
  // A queue named in a queue's settings (an overflow, add_queues), checked
  // once every queue is known: a queue may name one defined after it.
  struct QueueReference {
    std::string name;
    Place place;
    std::string path;
  };
  // An on_full / on_closed overflow: the edges EnqueueCall follows at once.
  struct OverflowEdge {
    std::string from;
    std::string to;
    Place place;
    std::string path;
  };
  // An interval of a schedule's day, with where it was written.
  struct PlacedInterval {
    core::OpenInterval interval;
    std::string text;
    int line = 0;
  };

  void ParseServer(const Value& value);
  // A host:port (server.listen, server.http) into `out`, or its problem.
  void ParseAddress(const Field& field, const std::string& path, bool ipv4_only, std::string* out);
  void ParseTls(const Value& value);
  void ParseAuth(const Value& value);
  void ParseTokens(const Value& value, const std::string& path, TokenSet& set);
  void ParseToken(const Value& value, const std::string& path, TokenSet& set);
  // False when the file is unreadable or has problems (already reported).
  bool ReadTokensFile(const std::string& path, Place place, TokenSet& set);
  // `path` as written, made relative to the config file's directory.
  std::string Resolve(const std::string& path) const;
  void ParseSkills(const Value& value);
  void ParseSchedules(const Value& value);
  void ParseSchedule(const Value& value, const std::string& path);
  void ParseHours(const Value& value, const std::string& path, core::Schedule& schedule);
  void ParseHolidays(const Value& value, const std::string& path, core::Schedule& schedule);
  void ParseQueues(const Value& value);
  void ParseQueue(const Value& value, const std::string& path);
  void ParseQueueRouting(const Fields& fields, const std::string& path, core::QueueConfig& queue);
  void ParseEscalation(const Value& value, const std::string& path, core::QueueConfig& queue);
  void ParseCallback(const Value& value, const std::string& path, core::CallbackPolicy& policy);
  void CheckQueueReferences();
  void CheckOverflowCycles();
  void ParseAgents(const Value& value);
  void ParseAgent(const Value& value, const std::string& path);
  void ParseAgentQueues(const Value& value, const std::string& path, core::AgentConfig& agent);
  void ParseRouting(const Value& value);

  // A mapping of skill -> level 1..10 (agent skills, relax, rule skills).
  void ParseSkillLevels(const Value& value, const std::string& path, core::SkillLevels& skills);
  // Reports `skill` when a `skills:` list is present and does not declare it.
  void CheckSkillDeclared(const std::string& skill, Place place, const std::string& path);
  // A list of defined queue names, each once (escalation add_queues).
  std::vector<std::string> ReadQueueList(const Value& value, const std::string& path,
                                         const std::string& self);
  // One of `words` (reject, disconnect, keep) or {overflow: QUEUE}, for a
  // setting of queue `self`. For an overflow, `target_place` is where the
  // queue is named.
  std::optional<core::LimitAction> ReadLimitAction(const Value& value, const std::string& path,
                                                   absl::string_view key,
                                                   std::span<const absl::string_view> words,
                                                   const std::string& self, Place* target_place);
  // Parses a rule's `when`, reporting each error at its place in the file.
  std::shared_ptr<const core::Expr> ReadExpression(const Value& value, const std::string& path);

  // Reads a queue name, agent id or skill name (`what`) and checks its form.
  std::optional<std::string> ReadName(const Value& value, const std::string& path,
                                      absl::string_view what);
  // Reports a repeat of `name` in `seen` (placed at its second occurrence) and
  // returns false; else records it. `what` and `verb` word the message:
  // duplicate <what> "x" (first <verb> at line N).
  bool Remember(absl::flat_hash_map<std::string, Place>& seen, const std::string& name, Place place,
                const std::string& path, absl::string_view what, absl::string_view verb);
  // An IANA zone name into *out; reports an unknown one.
  void ReadTimeZone(const Value& value, const std::string& path, absl::TimeZone* out);
  std::optional<absl::Duration> ReadDuration(const Value& value, const std::string& path,
                                             absl::string_view key, bool allow_zero,
                                             absl::Duration max);
  std::optional<int64_t> ReadInteger(const Value& value, const std::string& path,
                                     absl::string_view key, int64_t min, int64_t max,
                                     absl::string_view range);
  std::optional<double> ReadDecimal(const Value& value, const std::string& path,
                                    absl::string_view key, double min, double max,
                                    absl::string_view range);
  std::optional<absl::string_view> ReadEnum(const Value& value, const std::string& path,
                                            absl::string_view key,
                                            std::span<const absl::string_view> allowed);
  // " (did you mean ...)" among the defined queues, or "".
  std::string QueueHint(const std::string& name) const;

  YamlChecker& checker_;
  std::string file_;
  const ParseOptions& options_;
  Config config_;
  std::vector<Problem> other_problems_;
  // Declared skills; checked against agent skills only if `skills:` is present.
  bool skills_declared_ = false;
  absl::flat_hash_map<std::string, Place> skills_seen_;
  absl::flat_hash_map<std::string, Place> schedules_seen_;
  std::vector<std::string> schedule_names_;  // in file order, for hints
  absl::flat_hash_map<std::string, Place> queues_seen_;
  std::vector<std::string> queue_names_;  // in file order, for hints
  std::vector<QueueReference> queue_references_;
  std::vector<OverflowEdge> overflow_edges_;
  absl::flat_hash_map<std::string, Place> agents_seen_;
  absl::flat_hash_map<std::string, Place> rules_seen_;
};

}  // namespace acd::config::internal

#endif  // ACD_SERVER_CONFIG_CONFIG_PARSER_H_

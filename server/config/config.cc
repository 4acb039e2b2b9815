#include "server/config/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "openssl/evp.h"
#include "server/config/expr_parser.h"
#include "server/config/yaml_checker.h"
#include "server/core/expr.h"
#include "server/core/live_stats.h"
#include "server/core/schedule.h"
#include "yaml-cpp/yaml.h"

namespace acd::config {
namespace {

using internal::Child;
using internal::DidYouMean;
using internal::Field;
using internal::Fields;
using internal::Index;
using internal::Place;
using internal::Quote;
using internal::Value;
using internal::YamlChecker;

constexpr absl::string_view kTopKeys[] = {"server", "auth",   "skills", "schedules",
                                          "queues", "agents", "routing"};
// clang-format off
constexpr absl::string_view kServerKeys[] = {"listen",       "database",       "ack",
                                             "synchronous",  "log_level",      "log_format",
                                             "stats_window", "timezone",       "max_message_bytes",
                                             "max_streams",  "shutdown_grace", "tls",
                                             "http",         "stream_buffer"};
// clang-format on
constexpr absl::string_view kTlsKeys[] = {"cert", "key", "client_ca"};
constexpr absl::string_view kAuthKeys[] = {"tokens", "tokens_file"};
constexpr absl::string_view kTokensFileKeys[] = {"tokens"};
constexpr absl::string_view kTokenKeys[] = {"name", "role", "agent_id", "sha256", "token"};
// In Role order.
constexpr absl::string_view kRoles[] = {"integrator", "agent", "supervisor", "admin"};
// A token must be hard to guess and fit an HTTP header: 16 to 1024 visible
// ASCII characters (a random 32-byte token in hex or base64 fits).
constexpr size_t kMinTokenLength = 16;
constexpr size_t kMaxTokenLength = 1024;
constexpr absl::string_view kTopPlanned[] = {"webhooks"};
constexpr absl::string_view kScheduleKeys[] = {"name", "timezone", "hours", "holidays"};
// clang-format off
constexpr absl::string_view kQueueKeys[] = {
    "name",      "offer_timeout",  "wrap_up_time",      "max_missed_offers", "weight",
    "strategy",  "random_seed",    "aging_per_minute",  "max_size",          "on_full",
    "max_wait",  "on_timeout",     "max_wait_no_agent", "on_no_agent",       "schedule",
    "on_closed", "closed_waiting", "escalation",        "service_level_threshold",
    "short_abandon", "expected_handle_time", "callback"};
// clang-format on
constexpr absl::string_view kCallbackKeys[] = {"offer_over", "window", "retry_interval",
                                               "max_attempts", "max_pending"};
constexpr absl::string_view kEscalationKeys[] = {"after", "relax", "drop", "add_queues"};
constexpr absl::string_view kAgentKeys[] = {"id", "name", "skills", "queues"};
constexpr absl::string_view kMembershipKeys[] = {"name", "penalty"};
constexpr absl::string_view kRuleKeys[] = {"name", "when", "queue", "priority", "skills"};
constexpr absl::string_view kOverflowKeys[] = {"overflow"};

constexpr absl::string_view kAckModes[] = {"committed", "applied"};
constexpr absl::string_view kSyncModes[] = {"full", "normal"};
constexpr absl::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr absl::string_view kLogFormats[] = {"text", "json"};

// In the order the README lists them; the YAML names are core::StrategyName's.
constexpr core::Strategy kStrategies[] = {
    core::Strategy::kLongestIdle, core::Strategy::kLeastCalls, core::Strategy::kLeastTalkTime,
    core::Strategy::kRoundRobin,  core::Strategy::kBestSkill,  core::Strategy::kRandom,
};

// Day keys of a schedule's hours, index 0 = Monday as in core::Schedule::weekly.
constexpr absl::string_view kDayNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr absl::string_view kFullDayNames[] = {"monday", "tuesday",  "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};
constexpr absl::string_view kDaily = "daily";

constexpr size_t kMaxNameLength = 64;
constexpr absl::Duration kMaxOfferTimeout = absl::Minutes(10);
constexpr absl::Duration kMaxWrapUpTime = absl::Hours(1);
// No caller waits a day: a longer limit or escalation step is a typo (24m?).
constexpr absl::Duration kMaxWaitLimit = absl::Hours(24);
constexpr int kMinWeight = 1;
constexpr int kMaxWeight = 100;
constexpr int kMaxPenalty = 100;
// As the engine accepts on EnqueueCall.
constexpr int kMinPriority = 0;
constexpr int kMaxPriority = 100;
constexpr double kMaxAgingPerMinute = 100;
constexpr absl::string_view kNameRule = "use 1-64 characters from A-Z a-z 0-9 _ . -";
constexpr absl::string_view kDurationExamples = "use e.g. 20s, 1m30s, 500ms";
constexpr absl::string_view kListenExamples = "use host:port, e.g. 127.0.0.1:7070 or [::1]:7070";
constexpr absl::string_view kDayRule =
    "use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or daily";
// A document-level problem is placed at the top of the file.
constexpr Place kDocumentStart = {1, 1};

bool IsNameChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-'; }

bool IsValidName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), IsNameChar);
}

// "20", "1.5", "-3": a number with no unit. absl::ParseDuration accepts a bare
// "0", but a unitless value is almost always a mistake (seconds? minutes?).
bool IsBareNumber(absl::string_view text) {
  return !text.empty() && std::any_of(text.begin(), text.end(), absl::ascii_isdigit) &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isdigit(c) || c == '.' || c == '+' || c == '-';
         });
}

// Optional sign then digits only: YAML's 0x10, 1e3 or " 3" are not levels.
std::optional<int64_t> ParseInteger(absl::string_view text) {
  absl::string_view digits = text;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
    return std::nullopt;
  }
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) return std::nullopt;  // overflow
  return value;
}

// Optional sign, digits, optional fraction: "0.5", "2", "-1". Not "1e3", ".5",
// "inf" or "0x1p3", which SimpleAtod would take.
std::optional<double> ParseDecimal(absl::string_view text) {
  absl::string_view rest = text;
  if (!rest.empty() && (rest[0] == '+' || rest[0] == '-')) rest.remove_prefix(1);
  size_t dot = rest.find('.');
  absl::string_view whole = rest.substr(0, dot);
  absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : rest.substr(dot + 1);
  auto all_digits = [](absl::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), absl::ascii_isdigit);
  };
  if (!all_digits(whole) || (dot != absl::string_view::npos && !all_digits(fraction))) {
    return std::nullopt;
  }
  double value = 0;
  if (!absl::SimpleAtod(text, &value)) return std::nullopt;
  return value;
}

// IANA names only ("Europe/London", "UTC", "Etc/GMT+5"). absl's loader also
// takes "file:<path>" and "libc:localtime", which would let a config file
// open arbitrary files or depend on the host's TZ setting.
bool IsTimeZoneName(absl::string_view name) {
  return !name.empty() && name[0] != '/' && !absl::StrContains(name, "..") &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '/' || c == '_' || c == '-' || c == '+';
         });
}

// "2026-12-24" exactly: ParseCivilTime alone also takes "2026-2-3" and " 2026-02-03".
std::optional<absl::CivilDay> ParseDate(absl::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!absl::ascii_isdigit(text[i])) return std::nullopt;
  }
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) return std::nullopt;  // e.g. 2026-02-30
  return day;
}

int DayIndex(absl::string_view name) {
  for (int d = 0; d < 7; ++d) {
    if (kDayNames[d] == name) return d;
  }
  return -1;
}

// "mon" -> {0}; "mon-fri" -> {0..4}; "daily" -> all. Nullopt for anything else,
// a backwards range ("fri-mon") included.
std::optional<std::vector<int>> ParseDays(absl::string_view key) {
  std::vector<int> days;
  if (key == kDaily) {
    for (int d = 0; d < 7; ++d) days.push_back(d);
    return days;
  }
  size_t dash = key.find('-');
  int first = DayIndex(key.substr(0, dash));
  int last = dash == absl::string_view::npos ? first : DayIndex(key.substr(dash + 1));
  if (first < 0 || last < 0 || last < first) return std::nullopt;
  for (int d = first; d <= last; ++d) days.push_back(d);
  return days;
}

// Why a day key is wrong, for the message.
std::string DayKeyHint(absl::string_view key) {
  std::string lower = absl::AsciiStrToLower(key);
  for (int d = 0; d < 7; ++d) {
    if (lower == kFullDayNames[d]) return absl::StrCat("; did you mean \"", kDayNames[d], "\"?");
  }
  size_t dash = key.find('-');
  if (dash != absl::string_view::npos) {
    int first = DayIndex(key.substr(0, dash));
    int last = DayIndex(key.substr(dash + 1));
    if (first >= 0 && last >= 0 && last < first) {
      std::string tail = last == 0 ? "mon" : absl::StrCat("mon-", kDayNames[last]);
      return absl::StrCat("; a range runs from mon to sun: split it into \"", kDayNames[first],
                          "-sun\" and \"", tail, "\"");
    }
  }
  std::vector<absl::string_view> words(std::begin(kDayNames), std::end(kDayNames));
  words.push_back(kDaily);
  std::optional<absl::string_view> close = internal::ClosestMatch(key, words, 1);
  return close ? absl::StrCat("; did you mean \"", *close, "\"?") : "";
}

// "a, b or c".
std::string JoinOr(std::span<const absl::string_view> words) {
  if (words.size() <= 1) return absl::StrJoin(words, "");
  return absl::StrCat(absl::StrJoin(words.first(words.size() - 1), ", "), " or ", words.back());
}

// Why `listen` is not a usable host:port, or "" when it is.
std::string ListenError(absl::string_view listen) {
  std::string generic =
      absl::StrCat("invalid listen address ", Quote(listen), " (", kListenExamples, ")");
  absl::string_view host;
  absl::string_view port;
  if (absl::StartsWith(listen, "[")) {
    size_t close = listen.find(']');
    if (close == absl::string_view::npos || listen.substr(close + 1, 1) != ":") return generic;
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
    bool ok_host =
        absl::StrContains(host, ':') && std::all_of(host.begin(), host.end(), [](char c) {
          return c == ':' || c == '%' || IsNameChar(c);  // "%" starts a zone: [fe80::1%eth0]
        });
    if (!ok_host) return generic;
  } else {
    size_t colon = listen.rfind(':');
    if (colon == absl::string_view::npos) return generic;
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
    if (absl::StrContains(host, ':')) {
      return absl::StrCat("invalid listen address ", Quote(listen),
                          " (put an IPv6 address in brackets, e.g. [::1]:7070)");
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), IsNameChar)) return generic;
  }
  std::optional<int64_t> number = ParseInteger(port);
  if (port.empty() || !absl::ascii_isdigit(port[0]) || port.size() > 5 || !number ||
      *number > 65535) {
    return absl::StrCat("invalid port ", Quote(port), " in listen address ", Quote(listen),
                        " (use 0..65535)");
  }
  return "";
}

// The whole of the file at `path`, or the system's reason it cannot be read.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  auto failed = [](int error) {
    return absl::NotFoundError(std::generic_category().message(error));
  };
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return failed(errno);
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      close(fd);
      return failed(error);  // e.g. EISDIR: open(2) accepts a directory
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

Place MarkPlace(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

// Runs `parse` on the first document of `checker`'s text, turning yaml-cpp's
// exceptions into problems.
void ParseDocument(YamlChecker& checker, const std::function<void(const YAML::Node&)>& parse) {
  try {
    parse(checker.LoadFirstDocument());
  } catch (const YAML::ParserException& e) {
    checker.Report(MarkPlace(e.mark), "", absl::StrCat("YAML syntax error: ", e.msg));
  } catch (const YAML::Exception& e) {
    checker.Report(MarkPlace(e.mark), "", absl::StrCat("cannot read YAML: ", e.msg));
  } catch (const std::exception& e) {
    checker.Report({}, "", absl::StrCat("internal error while reading the config: ", e.what()));
  }
}

bool IsHexDigest(absl::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), absl::ascii_isxdigit);
}

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

void ConfigParser::Parse(const YAML::Node& root) {
  if (root.IsNull()) {
    checker_.Report(kDocumentStart, "",
                    "config is empty (expected a mapping with at least a \"queues\" list)");
    return;
  }
  if (!root.IsMap()) {
    checker_.Report(kDocumentStart, "",
                    absl::StrCat("expected a mapping of sections (server, skills, queues, "
                                 "agents), got ",
                                 internal::Describe(root)));
    return;
  }
  std::optional<Fields> top = checker_.Mapping(Value{.node = root, .place = kDocumentStart}, "",
                                               "a mapping of sections", kTopKeys, kTopPlanned);
  if (!top) return;
  // An empty section ("server:" with nothing under it) means "all defaults".
  auto present = [&](absl::string_view key) -> const Field* {
    const Field* field = top->Get(key);
    return field != nullptr && !field->value.node.IsNull() ? field : nullptr;
  };
  if (const Field* server = present("server")) ParseServer(server->value);
  // Sections are read in the order they refer to each other (skills and
  // schedules, queues, agents and rules), wherever they sit in the file.
  if (const Field* skills = present("skills")) ParseSkills(skills->value);
  if (const Field* schedules = present("schedules")) ParseSchedules(schedules->value);
  if (const Field* queues = top->Get("queues")) {
    ParseQueues(queues->value);
    CheckQueueReferences();
    CheckOverflowCycles();
  } else {
    checker_.Report(kDocumentStart, "",
                    "missing required key \"queues\" (at least one queue is required)");
  }
  if (const Field* agents = present("agents")) ParseAgents(agents->value);
  if (const Field* routing = present("routing")) ParseRouting(routing->value);
  // After agents: an agent token names one.
  if (const Field* auth = present("auth")) ParseAuth(auth->value);
}

void ConfigParser::ParseAddress(const Field& field, const std::string& path, bool ipv4_only,
                                std::string* out) {
  std::optional<std::string> address = checker_.Scalar(field.value, path, "a host:port address");
  if (!address) return;
  std::string error = ListenError(*address);
  if (error.empty() && ipv4_only && absl::StartsWith(*address, "[")) {
    error = absl::StrCat("the HTTP front listens on IPv4 only; use an IPv4 address such as ",
                         "127.0.0.1:9464 or 0.0.0.0:9464, not ", Quote(*address));
  }
  if (error.empty()) {
    *out = *std::move(address);
  } else {
    checker_.Report(field.value.place, path, std::move(error));
  }
}

void ConfigParser::ParseServer(const Value& value) {
  std::optional<Fields> fields =
      checker_.Mapping(value, "server", "a mapping of server settings", kServerKeys);
  if (!fields) return;
  ServerConfig& server = config_.server;
  if (const Field* f = fields->Get("listen")) {
    ParseAddress(*f, "server.listen", /*ipv4_only=*/false, &server.listen);
  }
  // Debian's civetweb, which serves it, is built without IPv6.
  if (const Field* f = fields->Get("http")) {
    ParseAddress(*f, "server.http", /*ipv4_only=*/true, &server.http);
  }
  if (const Field* f = fields->Get("database")) {
    std::string path = "server.database";
    if (auto database = checker_.Scalar(f->value, path, "a file path")) {
      if (database->empty()) {
        checker_.Report(f->value.place, path, "invalid database path \"\" (must not be empty)");
      } else {
        server.database = *database;
      }
    }
  }
  if (const Field* f = fields->Get("ack")) {
    if (auto ack = ReadEnum(f->value, "server.ack", "ack", kAckModes)) {
      server.ack = *ack == "applied" ? AckMode::kApplied : AckMode::kCommitted;
    }
  }
  if (const Field* f = fields->Get("synchronous")) {
    if (auto sync = ReadEnum(f->value, "server.synchronous", "synchronous", kSyncModes)) {
      server.synchronous = *sync == "normal" ? SyncMode::kNormal : SyncMode::kFull;
    }
  }
  if (const Field* f = fields->Get("log_level")) {
    if (auto level = ReadEnum(f->value, "server.log_level", "log_level", kLogLevels)) {
      server.log_level = std::string(*level);
    }
  }
  if (const Field* f = fields->Get("log_format")) {
    if (auto format = ReadEnum(f->value, "server.log_format", "log_format", kLogFormats)) {
      server.log_format = std::string(*format);
    }
  }
  if (const Field* f = fields->Get("stats_window")) {
    if (auto d = ReadDuration(f->value, "server.stats_window", "stats_window",
                              /*allow_zero=*/false, core::kMaxStatsWindow)) {
      if (absl::Status s = core::ValidateStatsWindow(*d); s.ok()) {
        server.stats_window = *d;
      } else {
        checker_.Report(f->value.place, "server.stats_window",
                        absl::StrCat("stats_window ", Quote(absl::FormatDuration(*d)),
                                     " must be a whole number of minutes (e.g. 15m)"));
      }
    }
  }
  if (const Field* f = fields->Get("timezone")) {
    ReadTimeZone(f->value, "server.timezone", &server.timezone);
  }
  if (const Field* f = fields->Get("shutdown_grace")) {
    if (auto d = ReadDuration(f->value, "server.shutdown_grace", "shutdown_grace",
                              /*allow_zero=*/false, kMaxShutdownGrace)) {
      server.shutdown_grace = *d;
    }
  }
  if (const Field* f = fields->Get("max_message_bytes")) {
    if (auto n = ReadInteger(f->value, "server.max_message_bytes", "max_message_bytes",
                             kMinMaxMessageBytes, kMaxMaxMessageBytes,
                             absl::StrCat("from ", kMinMaxMessageBytes, " (64 KiB) to ",
                                          kMaxMaxMessageBytes, " (64 MiB)"))) {
      server.max_message_bytes = *n;
    }
  }
  if (const Field* f = fields->Get("max_streams")) {
    if (auto n = ReadInteger(f->value, "server.max_streams", "max_streams", 1, kMaxMaxStreams,
                             absl::StrCat("from 1 to ", kMaxMaxStreams))) {
      server.max_streams = *n;
    }
  }
  if (const Field* f = fields->Get("stream_buffer")) {
    if (auto n = ReadInteger(f->value, "server.stream_buffer", "stream_buffer", kMinStreamBuffer,
                             kMaxStreamBuffer,
                             absl::StrCat("from ", kMinStreamBuffer, " to ", kMaxStreamBuffer))) {
      server.stream_buffer = *n;
    }
  }
  if (const Field* f = fields->Get("tls"); f != nullptr && !f->value.node.IsNull()) {
    ParseTls(f->value);
  }
}

std::string ConfigParser::Resolve(const std::string& path) const {
  if (options_.base_dir.empty() || absl::StartsWith(path, "/")) return path;
  return absl::StrCat(options_.base_dir, "/", path);
}

void ConfigParser::ParseTls(const Value& value) {
  std::optional<Fields> fields = checker_.Mapping(
      value, "server.tls", "a mapping with cert and key (and client_ca)", kTlsKeys);
  if (!fields) return;
  TlsConfig& tls = config_.server.tls;
  for (auto [key, out] : {std::pair{"cert", &tls.cert}, std::pair{"key", &tls.key},
                          std::pair{"client_ca", &tls.client_ca}}) {
    const Field* f = fields->Get(key);
    if (f == nullptr) continue;
    std::string path = Child("server.tls", key);
    std::optional<std::string> file = checker_.Scalar(f->value, path, "a PEM file path");
    if (!file) continue;
    if (file->empty()) {
      checker_.Report(f->value.place, path, "invalid file path \"\" (must not be empty)");
      continue;
    }
    std::string resolved = Resolve(*file);
    if (options_.read_files) {
      if (absl::StatusOr<std::string> pem = ReadWholeFile(resolved); !pem.ok()) {
        checker_.Report(
            f->value.place, path,
            absl::StrCat("cannot read ", Quote(resolved), ": ", pem.status().message()));
        continue;
      }
    }
    *out = std::move(resolved);
  }
  if (fields->Get("cert") == nullptr || fields->Get("key") == nullptr) {
    checker_.Report(value.place, "server.tls",
                    "TLS needs both cert and key (client_ca is optional: it turns on mTLS)");
  }
}

// ---------------------------------------------------------------------------
// Auth

void ConfigParser::ParseAuth(const Value& value) {
  std::optional<Fields> fields =
      checker_.Mapping(value, "auth", "a mapping with tokens and/or tokens_file", kAuthKeys);
  if (!fields) return;
  TokenSet set;
  for (const core::AgentConfig& agent : config_.routing.agents) {
    set.agent_ids.push_back(agent.agent_id);
  }
  if (const Field* f = fields->Get("tokens"); f != nullptr && !f->value.node.IsNull()) {
    ParseTokens(f->value, "auth.tokens", set);
  }
  const Field* file = fields->Get("tokens_file");
  bool file_ok = true;
  if (file != nullptr) {
    if (auto path = checker_.Scalar(file->value, "auth.tokens_file", "a file path")) {
      if (path->empty()) {
        checker_.Report(file->value.place, "auth.tokens_file",
                        "invalid file path \"\" (must not be empty)");
      } else {
        config_.auth.tokens_file = Resolve(*path);
        if (options_.read_files) {
          const size_t inline_tokens = set.tokens.size();
          file_ok = ReadTokensFile(config_.auth.tokens_file, file->value.place, set);
          for (size_t i = inline_tokens; i < set.tokens.size(); ++i) set.tokens[i].from_file = true;
          config_.auth.tokens_file_read = file_ok;
        }
      }
    }
  }
  // An `auth` section that lists no token would silently leave the doors open.
  if (set.listed == 0 && file_ok && (file == nullptr || options_.read_files)) {
    checker_.Report(value.place, "auth",
                    "auth lists no tokens (list some under tokens or in tokens_file; remove the "
                    "auth section to run without auth)");
  }
  config_.auth.tokens = std::move(set.tokens);
}

bool ConfigParser::ReadTokensFile(const std::string& path, Place place, TokenSet& set) {
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) {
    checker_.Report(
        place, "auth.tokens_file",
        absl::StrCat("cannot read tokens file ", Quote(path), ": ", text.status().message()));
    return false;
  }
  YamlChecker checker(*text, path);
  ConfigParser parser(&checker, path, options_);
  ParseDocument(checker, [&](const YAML::Node& root) { parser.ParseTokensFile(root, set); });
  std::vector<Problem> problems = checker.TakeProblems();
  const bool ok = problems.empty();
  for (Problem& p : problems) other_problems_.push_back(std::move(p));
  return ok;
}

void ConfigParser::ParseTokensFile(const YAML::Node& root, TokenSet& set) {
  std::optional<Fields> top = checker_.Mapping(Value{.node = root, .place = kDocumentStart}, "",
                                               "a mapping with a tokens list", kTokensFileKeys);
  if (!top) return;
  const Field* tokens = top->Get("tokens");
  if (tokens == nullptr) {
    checker_.Report(kDocumentStart, "", "missing required key \"tokens\"");
    return;
  }
  ParseTokens(tokens->value, "tokens", set);
}

void ConfigParser::ParseTokens(const Value& value, const std::string& path, TokenSet& set) {
  std::optional<std::vector<Value>> items = checker_.Sequence(value, path, "a list of tokens");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) ParseToken((*items)[i], Index(path, i), set);
}

void ConfigParser::ParseToken(const Value& value, const std::string& path, TokenSet& set) {
  ++set.listed;
  std::optional<Fields> fields = checker_.Mapping(
      value, path, "a token (a mapping with name, role, and sha256 or token)", kTokenKeys);
  if (!fields) return;
  Token token;
  bool ok = true;
  auto require = [&](absl::string_view key) -> const Field* {
    const Field* f = fields->Get(key);
    if (f == nullptr) {
      checker_.Report(value.place, path, absl::StrCat("missing required key \"", key, "\""));
      ok = false;
    }
    return f;
  };
  if (const Field* f = require("name")) {
    std::string name_path = Child(path, "name");
    if (auto name = ReadName(f->value, name_path, "token name")) {
      auto [first, inserted] =
          set.names.try_emplace(*name, absl::StrCat(file_, ":", f->value.place.line));
      if (!inserted) {
        checker_.Report(f->value.place, name_path,
                        absl::StrCat("duplicate token name ", Quote(*name), " (first defined at ",
                                     first->second, ")"));
        ok = false;
      }
      token.name = *name;
    } else {
      ok = false;
    }
  }
  std::optional<absl::string_view> role;
  if (const Field* f = require("role")) {
    role = ReadEnum(f->value, Child(path, "role"), "role", kRoles);
    if (role) {
      token.role = static_cast<Role>(std::find(std::begin(kRoles), std::end(kRoles), *role) -
                                     std::begin(kRoles));
    } else {
      ok = false;
    }
  }
  const Field* agent = fields->Get("agent_id");
  if (role && token.role == Role::kAgent) {
    if (agent == nullptr) {
      checker_.Report(value.place, path,
                      "missing required key \"agent_id\" (an agent token acts as one agent)");
      ok = false;
    } else if (auto id = ReadName(agent->value, Child(path, "agent_id"), "agent id")) {
      if (std::find(set.agent_ids.begin(), set.agent_ids.end(), *id) == set.agent_ids.end()) {
        checker_.Report(agent->value.place, Child(path, "agent_id"),
                        absl::StrCat("unknown agent ", Quote(*id), " (not in agents)",
                                     DidYouMean(*id, set.agent_ids)));
        ok = false;
      }
      token.agent_id = *id;
    } else {
      ok = false;
    }
  } else if (role && agent != nullptr) {
    checker_.Report(
        agent->key_place, Child(path, "agent_id"),
        absl::StrCat("agent_id is only for role agent (this token's role is ", *role, ")"));
    ok = false;
  }
  const Field* plain = fields->Get("token");
  const Field* digest = fields->Get("sha256");
  if (plain != nullptr && digest != nullptr) {
    checker_.Report(plain->key_place, Child(path, "token"), "set sha256 or token, not both");
    ok = false;
  } else if (plain == nullptr && digest == nullptr) {
    checker_.Report(value.place, path,
                    "missing the secret: set sha256 (the token's SHA-256 in hex, e.g. from "
                    "`printf %s TOKEN | sha256sum`) or token");
    ok = false;
  } else if (digest != nullptr) {
    std::string digest_path = Child(path, "sha256");
    if (auto hex = checker_.Scalar(digest->value, digest_path, "64 hex digits")) {
      if (IsHexDigest(*hex)) {
        token.sha256 = absl::AsciiStrToLower(*hex);
      } else {
        checker_.Report(digest->value.place, digest_path,
                        absl::StrCat("invalid sha256 ", Quote(*hex),
                                     " (use the 64 hex digits of the token's SHA-256)"));
        ok = false;
      }
    } else {
      ok = false;
    }
  } else {
    // Never quote the secret in a message: problems end up in logs.
    std::string token_path = Child(path, "token");
    if (auto secret = checker_.Scalar(plain->value, token_path, "a token")) {
      bool printable =
          std::all_of(secret->begin(), secret->end(), [](char c) { return c > ' ' && c < 0x7f; });
      if (secret->size() < kMinTokenLength || secret->size() > kMaxTokenLength || !printable) {
        checker_.Report(plain->value.place, token_path,
                        absl::StrCat("invalid token (", secret->size(), " characters): use ",
                                     kMinTokenLength, " to ", kMaxTokenLength,
                                     " visible ASCII characters without spaces, e.g. from "
                                     "`openssl rand -hex 32`"));
        ok = false;
      } else {
        token.sha256 = Sha256Hex(*secret);
      }
    } else {
      ok = false;
    }
  }
  if (!token.sha256.empty()) {
    Place place = (digest != nullptr ? digest : plain)->value.place;
    auto [first, inserted] = set.secrets.try_emplace(token.sha256, token.name);
    if (!inserted) {
      checker_.Report(place, path,
                      absl::StrCat("same secret as token ", Quote(first->second),
                                   " (every token must be different)"));
      ok = false;
    }
  }
  if (ok) set.tokens.push_back(std::move(token));
}

void ConfigParser::ReadTimeZone(const Value& value, const std::string& path, absl::TimeZone* out) {
  if (auto zone = checker_.Scalar(value, path, "a time zone such as Europe/London")) {
    if (!IsTimeZoneName(*zone) || !absl::LoadTimeZone(*zone, out)) {
      checker_.Report(value.place, path,
                      absl::StrCat("unknown time zone ", Quote(*zone),
                                   " (use an IANA name such as Europe/London, "
                                   "America/New_York or UTC)"));
    }
  }
}

void ConfigParser::ParseSkills(const Value& value) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, "skills", "a list of skill names");
  if (!items) return;
  skills_declared_ = true;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string path = Index("skills", i);
    std::optional<std::string> name = ReadName(item, path, "skill name");
    if (!name || !Remember(skills_seen_, *name, item.place, path, "skill", "declared")) continue;
    config_.skills.push_back(*name);
  }
}

// ---------------------------------------------------------------------------
// Schedules

void ConfigParser::ParseSchedules(const Value& value) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, "schedules", "a list of schedules");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) ParseSchedule((*items)[i], Index("schedules", i));
}

void ConfigParser::ParseSchedule(const Value& value, const std::string& path) {
  std::optional<Fields> fields = checker_.Mapping(
      value, path, "a schedule (a mapping with \"name\", \"timezone\" and \"hours\")",
      kScheduleKeys);
  if (!fields) return;
  core::Schedule schedule;
  if (const Field* f = fields->Get("name")) {
    std::string name_path = Child(path, "name");
    if (auto name = ReadName(f->value, name_path, "schedule name")) {
      if (Remember(schedules_seen_, *name, f->value.place, name_path, "schedule name", "defined")) {
        schedule_names_.push_back(*name);
      }
      schedule.name = *name;
    } else if (f->value.node.IsScalar()) {
      // Known despite its form, so queues naming it add no second problem.
      schedules_seen_.try_emplace(f->value.node.Scalar(), f->value.place);
    }
  } else {
    checker_.Report(value.place, path, "missing required key \"name\"");
  }
  if (const Field* f = fields->Get("timezone")) {
    ReadTimeZone(f->value, Child(path, "timezone"), &schedule.zone);
  } else {
    // No default: hours silently read in UTC would be off by the local offset.
    checker_.Report(value.place, path, "missing required key \"timezone\"");
  }
  if (const Field* f = fields->Get("hours")) {
    ParseHours(f->value, Child(path, "hours"), schedule);
  } else {
    checker_.Report(value.place, path,
                    "missing required key \"hours\" (e.g. hours: {mon-fri: [\"09:00-17:00\"]})");
  }
  if (const Field* f = fields->Get("holidays"); f != nullptr && !f->value.node.IsNull()) {
    ParseHolidays(f->value, Child(path, "holidays"), schedule);
  }
  config_.routing.schedules.push_back(std::move(schedule));
}

void ConfigParser::ParseHours(const Value& value, const std::string& path,
                              core::Schedule& schedule) {
  std::optional<Fields> fields = checker_.Mapping(
      value, path, "a mapping of days to open hours, e.g. {mon-fri: [\"09:00-17:00\"]}");
  if (!fields) return;
  std::array<std::vector<PlacedInterval>, 7> week;
  for (const Field& f : fields->all()) {
    std::string day_path = Child(path, f.key);
    std::optional<std::vector<int>> days = ParseDays(f.key);
    if (!days) {
      checker_.Report(
          f.key_place, day_path,
          absl::StrCat("invalid day ", Quote(f.key), " (", kDayRule, DayKeyHint(f.key), ")"));
    }
    std::optional<std::vector<Value>> items =
        checker_.Sequence(f.value, day_path, "a list of open intervals such as [\"09:00-17:00\"]");
    if (!items) continue;
    for (size_t i = 0; i < items->size(); ++i) {
      const Value& item = (*items)[i];
      std::string item_path = Index(day_path, i);
      std::optional<std::string> text =
          checker_.Scalar(item, item_path, "an open interval such as \"09:00-17:00\"");
      if (!text) continue;
      absl::StatusOr<core::OpenInterval> interval = core::ParseInterval(*text);
      if (!interval.ok()) {
        checker_.Report(item.place, item_path, std::string(interval.status().message()));
        continue;
      }
      if (!days) continue;
      // An overlap is reported at the later interval, once, naming the earlier.
      bool reported = false;
      for (int d : *days) {
        for (const PlacedInterval& other : week[d]) {
          if (reported || interval->start_minute >= other.interval.end_minute ||
              other.interval.start_minute >= interval->end_minute) {
            continue;
          }
          checker_.Report(item.place, item_path,
                          absl::StrCat(Quote(*text), " overlaps ", Quote(other.text), " on ",
                                       core::WeekdayName(d), " (line ", other.line, ")"));
          reported = true;
        }
        if (!reported) week[d].push_back({*interval, *text, item.place.line});
      }
    }
  }
  for (int d = 0; d < 7; ++d) {
    std::sort(week[d].begin(), week[d].end(), [](const auto& a, const auto& b) {
      return a.interval.start_minute < b.interval.start_minute;
    });
    for (const PlacedInterval& placed : week[d]) schedule.weekly[d].push_back(placed.interval);
  }
  // Not expected to fire after the checks above; a safety net should they and
  // core::Validate ever disagree.
  if (absl::Status valid = core::Validate(schedule); !valid.ok()) {
    checker_.Report(value.place, path, std::string(valid.message()));
  }
}

void ConfigParser::ParseHolidays(const Value& value, const std::string& path,
                                 core::Schedule& schedule) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, path, "a list of dates such as [2026-12-25]");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string item_path = Index(path, i);
    std::optional<std::string> text = checker_.Scalar(item, item_path, "a date such as 2026-12-25");
    if (!text) continue;
    if (std::optional<absl::CivilDay> day = ParseDate(*text)) {
      schedule.holidays.push_back(*day);
    } else {
      checker_.Report(item.place, item_path,
                      absl::StrCat("invalid holiday ", Quote(*text),
                                   " (use a date YYYY-MM-DD, e.g. 2026-12-25)"));
    }
  }
}

// ---------------------------------------------------------------------------
// Queues

void ConfigParser::ParseQueues(const Value& value) {
  if (value.node.IsNull() || (value.node.IsSequence() && value.node.size() == 0)) {
    checker_.Report(value.place, "queues",
                    absl::StrCat("at least one queue is required, got ",
                                 value.node.IsNull() ? "nothing" : "an empty list"));
    return;
  }
  std::optional<std::vector<Value>> items = checker_.Sequence(value, "queues", "a list of queues");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) ParseQueue((*items)[i], Index("queues", i));
}

void ConfigParser::ParseQueue(const Value& value, const std::string& path) {
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "a queue (a mapping with at least \"name\")", kQueueKeys);
  if (!fields) return;
  core::QueueConfig queue;
  if (const Field* f = fields->Get("name")) {
    std::string name_path = Child(path, "name");
    if (auto name = ReadName(f->value, name_path, "queue name")) {
      if (Remember(queues_seen_, *name, f->value.place, name_path, "queue name", "defined")) {
        queue_names_.push_back(*name);
      }
      queue.name = *name;
    } else if (f->value.node.IsScalar()) {
      // A badly formed name is still known, so agents that list it don't add
      // "unknown queue" noise to the one real problem.
      queues_seen_.try_emplace(f->value.node.Scalar(), f->value.place);
    }
  } else {
    checker_.Report(value.place, path, "missing required key \"name\"");
  }
  if (const Field* f = fields->Get("offer_timeout")) {
    if (auto d = ReadDuration(f->value, Child(path, "offer_timeout"), "offer_timeout",
                              /*allow_zero=*/false, kMaxOfferTimeout)) {
      queue.offer_timeout = *d;
    }
  }
  if (const Field* f = fields->Get("wrap_up_time")) {
    if (auto d = ReadDuration(f->value, Child(path, "wrap_up_time"), "wrap_up_time",
                              /*allow_zero=*/true, kMaxWrapUpTime)) {
      queue.wrap_up_time = *d;
    }
  }
  if (const Field* f = fields->Get("max_missed_offers")) {
    if (auto n = ReadInteger(f->value, Child(path, "max_missed_offers"), "max_missed_offers", 0,
                             INT32_MAX, ">= 0")) {
      queue.max_missed_offers = static_cast<int>(*n);
    }
  }
  ParseQueueRouting(*fields, path, queue);
  config_.routing.queues.push_back(std::move(queue));
}

void ConfigParser::ParseQueueRouting(const Fields& fields, const std::string& path,
                                     core::QueueConfig& queue) {
  static constexpr absl::string_view kReject[] = {"reject"};
  static constexpr absl::string_view kDisconnect[] = {"disconnect"};
  static constexpr absl::string_view kKeepOrDisconnect[] = {"keep", "disconnect"};
  if (const Field* f = fields.Get("weight")) {
    if (auto n = ReadInteger(f->value, Child(path, "weight"), "weight", kMinWeight, kMaxWeight,
                             absl::StrCat(kMinWeight, "..", kMaxWeight))) {
      queue.weight = static_cast<int>(*n);
    }
  }
  if (const Field* f = fields.Get("strategy")) {
    std::vector<absl::string_view> names;
    for (core::Strategy strategy : kStrategies) names.push_back(core::StrategyName(strategy));
    if (auto name = ReadEnum(f->value, Child(path, "strategy"), "strategy", names)) {
      for (core::Strategy strategy : kStrategies) {
        if (core::StrategyName(strategy) == *name) queue.strategy = strategy;
      }
    }
  }
  if (const Field* f = fields.Get("random_seed")) {
    if (auto n = ReadInteger(f->value, Child(path, "random_seed"), "random_seed", 0, INT64_MAX,
                             ">= 0")) {
      queue.random_seed = static_cast<uint64_t>(*n);
    }
  }
  if (const Field* f = fields.Get("aging_per_minute")) {
    if (auto x = ReadDecimal(f->value, Child(path, "aging_per_minute"), "aging_per_minute", 0,
                             kMaxAgingPerMinute, "0..100")) {
      queue.aging_per_minute = *x;
    }
  }
  if (const Field* f = fields.Get("max_size")) {
    if (auto n = ReadInteger(f->value, Child(path, "max_size"), "max_size", 0, INT32_MAX, ">= 0")) {
      queue.max_size = static_cast<int>(*n);
    }
  }
  if (const Field* f = fields.Get("max_wait")) {
    if (auto d = ReadDuration(f->value, Child(path, "max_wait"), "max_wait",
                              /*allow_zero=*/true, kMaxWaitLimit)) {
      queue.max_wait = *d;
    }
  }
  if (const Field* f = fields.Get("max_wait_no_agent")) {
    if (auto d = ReadDuration(f->value, Child(path, "max_wait_no_agent"), "max_wait_no_agent",
                              /*allow_zero=*/true, kMaxWaitLimit)) {
      queue.max_wait_no_agent = *d;
    }
  }
  if (const Field* f = fields.Get("service_level_threshold")) {
    if (auto d = ReadDuration(f->value, Child(path, "service_level_threshold"),
                              "service_level_threshold", /*allow_zero=*/false, absl::Hours(1))) {
      queue.service_level_threshold = *d;
    }
  }
  if (const Field* f = fields.Get("short_abandon")) {
    if (auto d = ReadDuration(f->value, Child(path, "short_abandon"), "short_abandon",
                              /*allow_zero=*/true, absl::Hours(1))) {
      queue.short_abandon = *d;
    }
  }
  if (const Field* f = fields.Get("schedule")) {
    std::string schedule_path = Child(path, "schedule");
    if (auto name = ReadName(f->value, schedule_path, "schedule name")) {
      if (schedules_seen_.contains(*name)) {
        queue.schedule = *name;
      } else {
        std::vector<absl::string_view> defined(schedule_names_.begin(), schedule_names_.end());
        checker_.Report(f->value.place, schedule_path,
                        absl::StrCat("unknown schedule ", Quote(*name),
                                     defined.empty() ? " (no schedules are defined)"
                                                     : DidYouMean(*name, defined)));
      }
    }
  }
  // Limit actions, each with the words it allows besides {overflow: QUEUE}.
  struct ActionKey {
    absl::string_view key;
    std::span<const absl::string_view> words;
    core::LimitAction* action;
    bool followed_at_enqueue;  // on_full and on_closed chain at EnqueueCall
  };
  for (const ActionKey& a :
       {ActionKey{"on_full", kReject, &queue.on_full, true},
        ActionKey{"on_timeout", kDisconnect, &queue.on_timeout, false},
        ActionKey{"on_no_agent", kDisconnect, &queue.on_no_agent, false},
        ActionKey{"on_closed", kReject, &queue.on_closed, true},
        ActionKey{"closed_waiting", kKeepOrDisconnect, &queue.closed_waiting, false}}) {
    const Field* f = fields.Get(a.key);
    if (f == nullptr) continue;
    std::string action_path = Child(path, a.key);
    Place target_place;
    std::optional<core::LimitAction> action =
        ReadLimitAction(f->value, action_path, a.key, a.words, queue.name, &target_place);
    if (!action) continue;
    *a.action = *action;
    if (a.followed_at_enqueue && action->kind == core::LimitAction::Kind::kOverflow &&
        !queue.name.empty()) {
      overflow_edges_.push_back(
          {queue.name, action->queue, target_place, Child(action_path, "overflow")});
    }
  }
  if (const Field* f = fields.Get("escalation"); f != nullptr && !f->value.node.IsNull()) {
    ParseEscalation(f->value, Child(path, "escalation"), queue);
  }
  if (const Field* f = fields.Get("expected_handle_time")) {
    if (auto d = ReadDuration(f->value, Child(path, "expected_handle_time"), "expected_handle_time",
                              /*allow_zero=*/false, absl::Hours(4))) {
      queue.expected_handle_time = *d;
    }
  }
  if (const Field* f = fields.Get("callback")) {
    ParseCallback(f->value, Child(path, "callback"), queue.callback);
  }
}

void ConfigParser::ParseCallback(const Value& value, const std::string& path,
                                 core::CallbackPolicy& policy) {
  // A `callback:` section, even an empty one, turns callbacks on.
  policy.enabled = true;
  if (value.node.IsNull()) return;
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "a mapping of callback settings", kCallbackKeys);
  if (!fields) return;
  if (const Field* f = fields->Get("offer_over")) {
    if (auto d = ReadDuration(f->value, Child(path, "offer_over"), "offer_over",
                              /*allow_zero=*/true, kMaxWaitLimit)) {
      policy.offer_over = *d;
    }
  }
  if (const Field* f = fields->Get("window")) {
    if (auto d = ReadDuration(f->value, Child(path, "window"), "window", /*allow_zero=*/false,
                              absl::Hours(72))) {
      policy.window = *d;
    }
  }
  if (const Field* f = fields->Get("retry_interval")) {
    if (auto d = ReadDuration(f->value, Child(path, "retry_interval"), "retry_interval",
                              /*allow_zero=*/false, absl::Hours(24))) {
      policy.retry_interval = *d;
    }
  }
  if (const Field* f = fields->Get("max_attempts")) {
    if (auto n =
            ReadInteger(f->value, Child(path, "max_attempts"), "max_attempts", 1, 20, "1 to 20")) {
      policy.max_attempts = static_cast<int>(*n);
    }
  }
  if (const Field* f = fields->Get("max_pending")) {
    if (auto n = ReadInteger(f->value, Child(path, "max_pending"), "max_pending", 0, INT32_MAX,
                             ">= 0")) {
      policy.max_pending = static_cast<int>(*n);
    }
  }
}

void ConfigParser::ParseEscalation(const Value& value, const std::string& path,
                                   core::QueueConfig& queue) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, path, "a list of escalation steps");
  if (!items) return;
  // The latest valid `after` so far and how it was written.
  std::optional<absl::Duration> latest;
  std::string latest_text;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string step_path = Index(path, i);
    std::optional<Fields> fields = checker_.Mapping(
        item, step_path, "an escalation step (a mapping with \"after\")", kEscalationKeys);
    if (!fields) continue;
    core::EscalationStep step;
    if (const Field* f = fields->Get("after")) {
      std::string after_path = Child(step_path, "after");
      if (auto after =
              ReadDuration(f->value, after_path, "after", /*allow_zero=*/false, kMaxWaitLimit)) {
        if (latest && *after <= *latest) {
          checker_.Report(f->value.place, after_path,
                          absl::StrCat("after ", Quote(f->value.node.Scalar()),
                                       " must be later than the step before it (",
                                       Quote(latest_text), "): steps are listed in time order"));
        } else {
          latest = *after;
          latest_text = f->value.node.Scalar();
        }
        step.after = *after;
      }
    } else {
      checker_.Report(item.place, step_path, "missing required key \"after\"");
    }
    bool acts = false;
    if (const Field* f = fields->Get("relax"); f != nullptr && !f->value.node.IsNull()) {
      acts = true;
      ParseSkillLevels(f->value, Child(step_path, "relax"), step.relax);
    }
    if (const Field* f = fields->Get("drop"); f != nullptr && !f->value.node.IsNull()) {
      acts = true;
      std::string drop_path = Child(step_path, "drop");
      if (auto skills = checker_.Sequence(f->value, drop_path, "a list of skill names")) {
        absl::flat_hash_map<std::string, Place> listed;
        for (size_t j = 0; j < skills->size(); ++j) {
          const Value& skill = (*skills)[j];
          std::string skill_path = Index(drop_path, j);
          std::optional<std::string> name = ReadName(skill, skill_path, "skill name");
          if (!name) continue;
          CheckSkillDeclared(*name, skill.place, skill_path);
          if (Remember(listed, *name, skill.place, skill_path, "skill", "listed")) {
            step.drop.push_back(*name);
          }
        }
      }
    }
    if (const Field* f = fields->Get("add_queues"); f != nullptr && !f->value.node.IsNull()) {
      acts = true;
      step.add_queues = ReadQueueList(f->value, Child(step_path, "add_queues"), queue.name);
    }
    if (!acts) {
      checker_.Report(item.place, step_path,
                      "escalation step does nothing (give relax, drop or add_queues)");
    }
    queue.escalation.push_back(std::move(step));
  }
}

std::vector<std::string> ConfigParser::ReadQueueList(const Value& value, const std::string& path,
                                                     const std::string& self) {
  std::vector<std::string> queues;
  std::optional<std::vector<Value>> items = checker_.Sequence(value, path, "a list of queue names");
  if (!items) return queues;
  absl::flat_hash_map<std::string, Place> listed;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string item_path = Index(path, i);
    std::optional<std::string> name = ReadName(item, item_path, "queue name");
    if (!name) continue;
    if (*name == self) {
      checker_.Report(item.place, item_path,
                      absl::StrCat("queue ", Quote(self),
                                   " cannot add itself (its own agents serve it already)"));
      continue;
    }
    if (!Remember(listed, *name, item.place, item_path, "queue", "listed")) continue;
    queue_references_.push_back({*name, item.place, item_path});
    queues.push_back(*name);
  }
  return queues;
}

std::optional<core::LimitAction> ConfigParser::ReadLimitAction(
    const Value& value, const std::string& path, absl::string_view key,
    std::span<const absl::string_view> words, const std::string& self, Place* target_place) {
  std::vector<absl::string_view> choices(words.begin(), words.end());
  choices.push_back("{overflow: QUEUE}");
  std::string usage = JoinOr(choices);
  if (value.node.IsMap()) {
    std::optional<Fields> fields =
        checker_.Mapping(value, path, absl::StrCat("one of ", usage), kOverflowKeys);
    if (!fields) return std::nullopt;
    const Field* f = fields->Get("overflow");
    if (f == nullptr) {
      // An unknown key in its place has been reported already.
      if (value.node.size() == 0) {
        checker_.Report(value.place, path,
                        "missing required key \"overflow\" (use {overflow: QUEUE})");
      }
      return std::nullopt;
    }
    std::string target_path = Child(path, "overflow");
    std::optional<std::string> target = ReadName(f->value, target_path, "queue name");
    if (!target) return std::nullopt;
    if (*target == self) {
      checker_.Report(f->value.place, target_path,
                      absl::StrCat("queue ", Quote(self), " cannot overflow to itself"));
      return std::nullopt;
    }
    queue_references_.push_back({*target, f->value.place, target_path});
    *target_place = f->value.place;
    return core::LimitAction{core::LimitAction::Kind::kOverflow, *target};
  }
  std::optional<std::string> text = checker_.Scalar(value, path, absl::StrCat("one of ", usage));
  if (!text) return std::nullopt;
  for (absl::string_view word : words) {
    if (*text != word) continue;
    using Kind = core::LimitAction::Kind;
    Kind kind = word == "reject" ? Kind::kReject : word == "keep" ? Kind::kKeep : Kind::kDisconnect;
    return core::LimitAction{kind, ""};
  }
  std::string hint;
  if (*text == "overflow") {
    hint = "; name the queue: {overflow: QUEUE}";
  } else if (std::optional<absl::string_view> close = internal::ClosestMatch(*text, words)) {
    hint = absl::StrCat("; did you mean \"", *close, "\"?");
  }
  checker_.Report(value.place, path,
                  absl::StrCat("invalid ", key, " ", Quote(*text), " (use ", usage, hint, ")"));
  return std::nullopt;
}

void ConfigParser::CheckQueueReferences() {
  for (const QueueReference& ref : queue_references_) {
    if (!queues_seen_.contains(ref.name)) {
      checker_.Report(ref.place, ref.path,
                      absl::StrCat("unknown queue ", Quote(ref.name), QueueHint(ref.name)));
    }
  }
}

// EnqueueCall follows on_full and on_closed overflows from queue to queue; a
// chain that leads back to a queue already tried would bounce a call around
// until the engine's hop limit refuses it. Depth-first in file order, so each
// cycle is reported once, at the overflow that closes it.
void ConfigParser::CheckOverflowCycles() {
  absl::flat_hash_map<std::string, std::vector<const OverflowEdge*>> out;
  for (const OverflowEdge& edge : overflow_edges_) {
    if (queues_seen_.contains(edge.to)) out[edge.from].push_back(&edge);
  }
  enum class Mark { kNew, kOnPath, kDone };
  absl::flat_hash_map<std::string, Mark> marks;
  // Iterative: a long chain of queues must not exhaust the stack.
  struct Frame {
    std::string queue;
    size_t next_edge = 0;
  };
  for (const std::string& start : queue_names_) {
    if (marks[start] != Mark::kNew) continue;
    std::vector<Frame> path = {{start}};
    marks[start] = Mark::kOnPath;
    while (!path.empty()) {
      Frame& frame = path.back();
      const std::vector<const OverflowEdge*>& edges = out[frame.queue];
      if (frame.next_edge == edges.size()) {
        marks[frame.queue] = Mark::kDone;
        path.pop_back();
        continue;
      }
      const OverflowEdge& edge = *edges[frame.next_edge++];
      Mark& mark = marks[edge.to];
      if (mark == Mark::kNew) {
        mark = Mark::kOnPath;
        path.push_back({edge.to});
      } else if (mark == Mark::kOnPath) {
        std::vector<std::string> cycle;
        bool in_cycle = false;
        for (const Frame& f : path) {
          in_cycle = in_cycle || f.queue == edge.to;
          if (in_cycle) cycle.push_back(f.queue);
        }
        cycle.push_back(edge.to);
        checker_.Report(edge.place, edge.path,
                        absl::StrCat("overflow cycle ", absl::StrJoin(cycle, " -> "),
                                     ": on_full and on_closed overflows must not lead back to a "
                                     "queue the call was already refused by"));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Agents

void ConfigParser::ParseAgents(const Value& value) {
  std::optional<std::vector<Value>> items = checker_.Sequence(value, "agents", "a list of agents");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) ParseAgent((*items)[i], Index("agents", i));
}

void ConfigParser::ParseAgent(const Value& value, const std::string& path) {
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "an agent (a mapping with at least \"id\")", kAgentKeys);
  if (!fields) return;
  core::AgentConfig agent;
  if (const Field* f = fields->Get("id")) {
    std::string id_path = Child(path, "id");
    if (auto id = ReadName(f->value, id_path, "agent id")) {
      Remember(agents_seen_, *id, f->value.place, id_path, "agent id", "defined");
      agent.agent_id = *id;
    }
  } else {
    checker_.Report(value.place, path, "missing required key \"id\"");
  }
  if (const Field* f = fields->Get("name")) {
    std::string name_path = Child(path, "name");
    if (auto name = checker_.Scalar(f->value, name_path, "a display name")) {
      if (name->empty()) {
        checker_.Report(f->value.place, name_path, "invalid agent name \"\" (must not be empty)");
      }
      agent.name = *name;
    }
  } else {
    agent.name = agent.agent_id;
  }
  if (const Field* f = fields->Get("skills"); f != nullptr && !f->value.node.IsNull()) {
    ParseSkillLevels(f->value, Child(path, "skills"), agent.skills);
  }
  if (const Field* f = fields->Get("queues"); f != nullptr && !f->value.node.IsNull()) {
    ParseAgentQueues(f->value, Child(path, "queues"), agent);
  }
  config_.routing.agents.push_back(std::move(agent));
}

void ConfigParser::ParseAgentQueues(const Value& value, const std::string& path,
                                    core::AgentConfig& agent) {
  static constexpr absl::string_view kWhat = "a queue name or {name: QUEUE, penalty: N}";
  std::optional<std::vector<Value>> items = checker_.Sequence(value, path, "a list of queue names");
  if (!items) return;
  absl::flat_hash_map<std::string, Place> listed;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string item_path = Index(path, i);
    // The queue's name, where it is written and its path.
    std::optional<std::string> name;
    Value name_value = item;
    std::string name_path = item_path;
    std::optional<int> penalty;
    if (item.node.IsMap()) {
      std::optional<Fields> fields = checker_.Mapping(item, item_path, kWhat, kMembershipKeys);
      if (!fields) continue;
      if (const Field* f = fields->Get("penalty")) {
        if (auto n = ReadInteger(f->value, Child(item_path, "penalty"), "penalty", 0, kMaxPenalty,
                                 absl::StrCat("0..", kMaxPenalty))) {
          penalty = static_cast<int>(*n);
        }
      }
      const Field* f = fields->Get("name");
      if (f == nullptr) {
        checker_.Report(item.place, item_path, "missing required key \"name\"");
        continue;
      }
      name_value = f->value;
      name_path = Child(item_path, "name");
      name = checker_.Scalar(name_value, name_path, "a queue name");
    } else {
      name = checker_.Scalar(item, item_path, kWhat);
    }
    if (!name) continue;
    if (!queues_seen_.contains(*name)) {
      checker_.Report(name_value.place, name_path,
                      absl::StrCat("unknown queue ", Quote(*name), QueueHint(*name)));
      continue;
    }
    if (!Remember(listed, *name, name_value.place, name_path, "queue", "listed")) continue;
    agent.queues.push_back(*name);
    if (penalty) agent.penalties[*name] = *penalty;
  }
}

void ConfigParser::ParseSkillLevels(const Value& value, const std::string& path,
                                    core::SkillLevels& skills) {
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "a mapping of skill -> level, e.g. {english: 5}");
  if (!fields) return;
  core::SkillLevels::map_type levels = skills.map();
  for (const Field& f : fields->all()) {
    std::string skill_path = Child(path, f.key);
    if (!IsValidName(f.key)) {
      checker_.Report(f.key_place, skill_path,
                      absl::StrCat("invalid skill name ", Quote(f.key), " (", kNameRule, ")"));
    } else {
      CheckSkillDeclared(f.key, f.key_place, skill_path);
    }
    if (auto level = ReadInteger(f.value, skill_path, "skill level", core::kMinSkillLevel,
                                 core::kMaxSkillLevel,
                                 absl::StrCat(core::kMinSkillLevel, "..", core::kMaxSkillLevel))) {
      levels[f.key] = static_cast<int>(*level);
    }
  }
  skills = std::move(levels);
}

void ConfigParser::CheckSkillDeclared(const std::string& skill, Place place,
                                      const std::string& path) {
  if (!skills_declared_ || skills_seen_.contains(skill)) return;
  std::vector<absl::string_view> declared(config_.skills.begin(), config_.skills.end());
  std::string hint = DidYouMean(skill, declared);
  if (hint.empty()) {
    hint = declared.empty() ? " (the skills list is empty)"
                            : absl::StrCat(" (declared: ", absl::StrJoin(declared, ", "), ")");
  }
  checker_.Report(place, path,
                  absl::StrCat("skill ", Quote(skill), " is not declared in skills", hint));
}

// ---------------------------------------------------------------------------
// Routing rules

void ConfigParser::ParseRouting(const Value& value) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, "routing", "a list of routing rules");
  if (!items) return;
  // The first rule without `when`: it takes every call, so later rules never run.
  std::optional<std::string> catch_all;
  int catch_all_line = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string path = Index("routing", i);
    std::optional<Fields> fields = checker_.Mapping(
        item, path, "a routing rule (a mapping with at least \"name\" and \"queue\")", kRuleKeys);
    if (!fields) continue;
    core::RoutingRule rule;
    std::string label = path;  // how messages name this rule
    if (const Field* f = fields->Get("name")) {
      std::string name_path = Child(path, "name");
      if (auto name = ReadName(f->value, name_path, "rule name")) {
        Remember(rules_seen_, *name, f->value.place, name_path, "rule name", "defined");
        rule.name = *name;
        label = absl::StrCat("rule ", Quote(*name));
      }
    } else {
      checker_.Report(item.place, path, "missing required key \"name\"");
    }
    if (catch_all) {
      checker_.Report(item.place, path,
                      absl::StrCat(label, " is never used: ", *catch_all, " (line ", catch_all_line,
                                   ") has no \"when\" and takes every call"));
    }
    const Field* when = fields->Get("when");
    if (when != nullptr) {
      rule.when = ReadExpression(when->value, Child(path, "when"));
    } else if (!catch_all) {
      catch_all = label;
      catch_all_line = item.place.line;
    }
    if (const Field* f = fields->Get("queue")) {
      std::string queue_path = Child(path, "queue");
      if (auto queue = ReadName(f->value, queue_path, "queue name")) {
        if (queues_seen_.contains(*queue)) {
          rule.queue = *queue;
        } else {
          checker_.Report(f->value.place, queue_path,
                          absl::StrCat("unknown queue ", Quote(*queue), QueueHint(*queue)));
        }
      }
    } else {
      checker_.Report(item.place, path, "missing required key \"queue\"");
    }
    if (const Field* f = fields->Get("priority")) {
      if (auto n = ReadInteger(f->value, Child(path, "priority"), "priority", kMinPriority,
                               kMaxPriority, absl::StrCat(kMinPriority, "..", kMaxPriority))) {
        rule.priority = static_cast<int>(*n);
      }
    }
    if (const Field* f = fields->Get("skills"); f != nullptr && !f->value.node.IsNull()) {
      ParseSkillLevels(f->value, Child(path, "skills"), rule.skills);
    }
    config_.routing.rules.push_back(std::move(rule));
  }
}

std::shared_ptr<const core::Expr> ConfigParser::ReadExpression(const Value& value,
                                                               const std::string& path) {
  std::optional<std::string> text =
      checker_.Scalar(value, path, "an expression such as 'tier == \"gold\"'");
  if (!text) return nullptr;
  auto parsed = ParseExpr(*text);
  if (auto* errors = std::get_if<std::vector<ExprError>>(&parsed)) {
    for (const ExprError& error : *errors) {
      checker_.Report(checker_.PlaceInScalar(value.node, error.line, error.column), path,
                      absl::StrCat("invalid expression: ", error.message));
    }
    return nullptr;
  }
  return std::get<std::shared_ptr<const core::Expr>>(std::move(parsed));
}

// ---------------------------------------------------------------------------
// Values

std::string ConfigParser::QueueHint(const std::string& name) const {
  std::vector<absl::string_view> defined(queue_names_.begin(), queue_names_.end());
  return DidYouMean(name, defined);
}

std::optional<std::string> ConfigParser::ReadName(const Value& value, const std::string& path,
                                                  absl::string_view what) {
  std::optional<std::string> name = checker_.Scalar(value, path, absl::StrCat("a ", what));
  if (!name) return std::nullopt;
  if (!IsValidName(*name)) {
    checker_.Report(value.place, path,
                    absl::StrCat("invalid ", what, " ", Quote(*name), " (", kNameRule, ")"));
    return std::nullopt;
  }
  return name;
}

bool ConfigParser::Remember(absl::flat_hash_map<std::string, Place>& seen, const std::string& name,
                            Place place, const std::string& path, absl::string_view what,
                            absl::string_view verb) {
  auto [first, inserted] = seen.try_emplace(name, place);
  if (inserted) return true;
  checker_.Report(place, path,
                  absl::StrCat("duplicate ", what, " ", Quote(name), " (first ", verb, " at line ",
                               first->second.line, ")"));
  return false;
}

std::optional<absl::Duration> ConfigParser::ReadDuration(const Value& value,
                                                         const std::string& path,
                                                         absl::string_view key, bool allow_zero,
                                                         absl::Duration max) {
  std::optional<std::string> text = checker_.Scalar(value, path, "a duration like 20s");
  if (!text) return std::nullopt;
  absl::Duration duration;
  if (IsBareNumber(*text)) {
    checker_.Report(value.place, path,
                    absl::StrCat("invalid duration ", Quote(*text),
                                 " (a unit is required: ", kDurationExamples, ")"));
    return std::nullopt;
  }
  if (!absl::ParseDuration(*text, &duration)) {
    checker_.Report(value.place, path,
                    absl::StrCat("invalid duration ", Quote(*text), " (", kDurationExamples, ")"));
    return std::nullopt;
  }
  if (duration < absl::ZeroDuration()) {
    checker_.Report(value.place, path,
                    absl::StrCat("invalid duration ", Quote(*text), " (must not be negative)"));
    return std::nullopt;
  }
  if ((!allow_zero && duration == absl::ZeroDuration()) || duration > max) {
    checker_.Report(
        value.place, path,
        absl::StrCat(key, " ", Quote(*text), " is out of range (must be ",
                     allow_zero ? ">= 0s" : "> 0s", " and <= ", absl::FormatDuration(max), ")"));
    return std::nullopt;
  }
  return duration;
}

std::optional<int64_t> ConfigParser::ReadInteger(const Value& value, const std::string& path,
                                                 absl::string_view key, int64_t min, int64_t max,
                                                 absl::string_view range) {
  std::optional<std::string> text = checker_.Scalar(value, path, "an integer");
  if (!text) return std::nullopt;
  std::optional<int64_t> number = ParseInteger(*text);
  if (!number) {
    checker_.Report(
        value.place, path,
        absl::StrCat("invalid ", key, " ", Quote(*text), " (use an integer ", range, ")"));
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    checker_.Report(
        value.place, path,
        absl::StrCat(key, " ", Quote(*text), " is out of range (use an integer ", range, ")"));
    return std::nullopt;
  }
  return number;
}

std::optional<double> ConfigParser::ReadDecimal(const Value& value, const std::string& path,
                                                absl::string_view key, double min, double max,
                                                absl::string_view range) {
  std::optional<std::string> text = checker_.Scalar(value, path, "a number");
  if (!text) return std::nullopt;
  std::optional<double> number = ParseDecimal(*text);
  if (!number) {
    checker_.Report(
        value.place, path,
        absl::StrCat("invalid ", key, " ", Quote(*text), " (use a number ", range, ", e.g. 0.5)"));
    return std::nullopt;
  }
  if (*number < min || *number > max) {
    checker_.Report(
        value.place, path,
        absl::StrCat(key, " ", Quote(*text), " is out of range (use a number ", range, ")"));
    return std::nullopt;
  }
  return number;
}

std::optional<absl::string_view> ConfigParser::ReadEnum(
    const Value& value, const std::string& path, absl::string_view key,
    std::span<const absl::string_view> allowed) {
  std::optional<std::string> text =
      checker_.Scalar(value, path, absl::StrCat("one of ", JoinOr(allowed)));
  if (!text) return std::nullopt;
  for (absl::string_view candidate : allowed) {
    if (*text == candidate) return candidate;
  }
  std::optional<absl::string_view> close = internal::ClosestMatch(*text, allowed);
  checker_.Report(value.place, path,
                  absl::StrCat("invalid ", key, " ", Quote(*text), " (use ", JoinOr(allowed),
                               close ? absl::StrCat("; did you mean \"", *close, "\"?") : "", ")"));
  return std::nullopt;
}

}  // namespace

std::string_view AckModeName(AckMode mode) {
  switch (mode) {
    case AckMode::kCommitted:
      return "committed";
    case AckMode::kApplied:
      return "applied";
  }
  return "unknown";
}

std::string_view SyncModeName(SyncMode mode) {
  switch (mode) {
    case SyncMode::kFull:
      return "full";
    case SyncMode::kNormal:
      return "normal";
  }
  return "unknown";
}

std::string_view RoleName(Role role) {
  absl::string_view name = kRoles[static_cast<int>(role)];
  return std::string_view(name.data(), name.size());
}

std::string Problem::ToString() const {
  std::string out = file;
  if (line > 0) absl::StrAppend(&out, ":", line, ":", column);
  absl::StrAppend(&out, ": ");
  if (!path.empty()) absl::StrAppend(&out, path, ": ");
  absl::StrAppend(&out, message);
  return out;
}

ParseOutcome ParseConfig(std::string_view yaml_text_std, std::string_view file_name_std,
                         const ParseOptions& options) {
  // This absl predates absl::string_view == std::string_view; bridge once here.
  absl::string_view yaml_text(yaml_text_std.data(), yaml_text_std.size());
  absl::string_view file_name(file_name_std.data(), file_name_std.size());
  YamlChecker checker(yaml_text, file_name);
  ConfigParser parser(&checker, file_name, options);
  ParseDocument(checker, [&parser](const YAML::Node& root) { parser.Parse(root); });
  ParseOutcome outcome;
  outcome.problems = checker.TakeProblems();
  for (Problem& p : parser.TakeOtherProblems()) outcome.problems.push_back(std::move(p));
  if (outcome.problems.empty()) {
    Config& config = parser.config();
    config.file = std::string(file_name);
    config.text = std::string(yaml_text);
    config.hash = Sha256Hex(yaml_text_std);
    outcome.config = std::move(config);
  }
  return outcome;
}

ParseOutcome LoadConfigFile(const std::string& path) {
  auto unreadable = [&path](absl::string_view reason) {
    Problem problem;
    problem.file = path;
    problem.message = absl::StrCat("cannot read config file ", Quote(path), ": ", reason);
    ParseOutcome outcome;
    outcome.problems.push_back(std::move(problem));
    return outcome;
  };
  absl::StatusOr<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return unreadable(text.status().message());
  return ParseConfig(*text, path, {.base_dir = DirectoryOf(path), .read_files = true});
}

std::string DirectoryOf(std::string_view path) {
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return "";
  return std::string(path.substr(0, slash == 0 ? 1 : slash));
}

absl::Status ProblemsToStatus(const std::vector<Problem>& problems) {
  if (problems.empty()) return absl::OkStatus();
  std::string message = absl::StrCat("config has ", problems.size(), " problem(s):");
  for (const Problem& problem : problems) absl::StrAppend(&message, "\n", problem.ToString());
  return absl::InvalidArgumentError(message);
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

}  // namespace acd::config

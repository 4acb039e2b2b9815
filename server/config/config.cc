#include "server/config/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "openssl/evp.h"
#include "server/config/yaml_checker.h"
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

constexpr absl::string_view kTopKeys[] = {"server", "skills", "queues", "agents"};
// Sections DESIGN.md promises for later releases: named as such, not as typos.
constexpr absl::string_view kTopPlanned[] = {"auth", "routing", "schedules"};
constexpr absl::string_view kServerKeys[] = {"listen",      "database",  "ack",
                                             "synchronous", "log_level", "log_format"};
constexpr absl::string_view kServerPlanned[] = {"metrics"};
constexpr absl::string_view kQueueKeys[] = {"name", "offer_timeout", "wrap_up_time",
                                            "max_missed_offers"};
constexpr absl::string_view kAgentKeys[] = {"id", "name", "skills", "queues"};

constexpr absl::string_view kAckModes[] = {"committed", "applied"};
constexpr absl::string_view kSyncModes[] = {"full", "normal"};
constexpr absl::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr absl::string_view kLogFormats[] = {"text", "json"};

constexpr size_t kMaxNameLength = 64;
constexpr absl::Duration kMaxOfferTimeout = absl::Minutes(10);
constexpr absl::Duration kMaxWrapUpTime = absl::Hours(1);
constexpr absl::string_view kNameRule = "use 1-64 characters from A-Z a-z 0-9 _ . -";
constexpr absl::string_view kDurationExamples = "use e.g. 20s, 1m30s, 500ms";
constexpr absl::string_view kListenExamples = "use host:port, e.g. 127.0.0.1:7070 or [::1]:7070";
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

// Walks the document and fills a Config, reporting every problem on the way.
class ConfigParser {
 public:
  explicit ConfigParser(YamlChecker* checker) : checker_(*checker) {}

  void Parse(const YAML::Node& root);
  Config& config() { return config_; }

 private:
  void ParseServer(const Value& value);
  void ParseSkills(const Value& value);
  void ParseQueues(const Value& value);
  void ParseQueue(const Value& value, const std::string& path);
  void ParseAgents(const Value& value);
  void ParseAgent(const Value& value, const std::string& path);
  void ParseAgentSkills(const Value& value, const std::string& path, core::SkillLevels& skills);
  void ParseAgentQueues(const Value& value, const std::string& path,
                        std::vector<std::string>& queues);

  // Reads a queue name, agent id or skill name (`what`) and checks its form.
  std::optional<std::string> ReadName(const Value& value, const std::string& path,
                                      absl::string_view what);
  // Reports a repeat of `name` in `seen` (placed at its second occurrence) and
  // returns false; else records it. `what` and `verb` word the message:
  // duplicate <what> "x" (first <verb> at line N).
  bool Remember(absl::flat_hash_map<std::string, Place>& seen, const std::string& name, Place place,
                const std::string& path, absl::string_view what, absl::string_view verb);
  std::optional<absl::Duration> ReadDuration(const Value& value, const std::string& path,
                                             absl::string_view key, bool allow_zero,
                                             absl::Duration max);
  std::optional<int64_t> ReadInteger(const Value& value, const std::string& path,
                                     absl::string_view key, int64_t min, int64_t max,
                                     absl::string_view range);
  std::optional<absl::string_view> ReadEnum(const Value& value, const std::string& path,
                                            absl::string_view key,
                                            std::span<const absl::string_view> allowed);

  YamlChecker& checker_;
  Config config_;
  // Declared skills; checked against agent skills only if `skills:` is present.
  bool skills_declared_ = false;
  absl::flat_hash_map<std::string, Place> skills_seen_;
  absl::flat_hash_map<std::string, Place> queues_seen_;
  std::vector<std::string> queue_names_;  // in file order, for hints
  absl::flat_hash_map<std::string, Place> agents_seen_;
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
  // Skills and queues first: agents refer to them wherever they sit in the file.
  if (const Field* skills = present("skills")) ParseSkills(skills->value);
  if (const Field* queues = top->Get("queues")) {
    ParseQueues(queues->value);
  } else {
    checker_.Report(kDocumentStart, "",
                    "missing required key \"queues\" (at least one queue is required)");
  }
  if (const Field* agents = present("agents")) ParseAgents(agents->value);
}

void ConfigParser::ParseServer(const Value& value) {
  std::optional<Fields> fields = checker_.Mapping(value, "server", "a mapping of server settings",
                                                  kServerKeys, kServerPlanned);
  if (!fields) return;
  ServerConfig& server = config_.server;
  if (const Field* f = fields->Get("listen")) {
    std::string path = "server.listen";
    if (auto listen = checker_.Scalar(f->value, path, "a host:port address")) {
      std::string error = ListenError(*listen);
      if (error.empty()) {
        server.listen = *listen;
      } else {
        checker_.Report(f->value.place, path, std::move(error));
      }
    }
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
  config_.routing.queues.push_back(std::move(queue));
}

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
    ParseAgentSkills(f->value, Child(path, "skills"), agent.skills);
  }
  if (const Field* f = fields->Get("queues"); f != nullptr && !f->value.node.IsNull()) {
    ParseAgentQueues(f->value, Child(path, "queues"), agent.queues);
  }
  config_.routing.agents.push_back(std::move(agent));
}

void ConfigParser::ParseAgentSkills(const Value& value, const std::string& path,
                                    core::SkillLevels& skills) {
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "a mapping of skill -> level, e.g. {english: 5}");
  if (!fields) return;
  std::vector<absl::string_view> declared(config_.skills.begin(), config_.skills.end());
  for (const Field& f : fields->all()) {
    std::string skill_path = Child(path, f.key);
    if (!IsValidName(f.key)) {
      checker_.Report(f.key_place, skill_path,
                      absl::StrCat("invalid skill name ", Quote(f.key), " (", kNameRule, ")"));
    } else if (skills_declared_ && !skills_seen_.contains(f.key)) {
      std::string hint = DidYouMean(f.key, declared);
      if (hint.empty()) {
        hint = declared.empty() ? " (the skills list is empty)"
                                : absl::StrCat(" (declared: ", absl::StrJoin(declared, ", "), ")");
      }
      checker_.Report(f.key_place, skill_path,
                      absl::StrCat("skill ", Quote(f.key), " is not declared in skills", hint));
    }
    if (auto level = ReadInteger(f.value, skill_path, "skill level", core::kMinSkillLevel,
                                 core::kMaxSkillLevel,
                                 absl::StrCat(core::kMinSkillLevel, "..", core::kMaxSkillLevel))) {
      skills[f.key] = static_cast<int>(*level);
    }
  }
}

void ConfigParser::ParseAgentQueues(const Value& value, const std::string& path,
                                    std::vector<std::string>& queues) {
  std::optional<std::vector<Value>> items = checker_.Sequence(value, path, "a list of queue names");
  if (!items) return;
  std::vector<absl::string_view> defined(queue_names_.begin(), queue_names_.end());
  absl::flat_hash_map<std::string, Place> listed;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string item_path = Index(path, i);
    std::optional<std::string> name = checker_.Scalar(item, item_path, "a queue name");
    if (!name) continue;
    if (!queues_seen_.contains(*name)) {
      checker_.Report(item.place, item_path,
                      absl::StrCat("unknown queue ", Quote(*name), DidYouMean(*name, defined)));
      continue;
    }
    if (Remember(listed, *name, item.place, item_path, "queue", "listed")) queues.push_back(*name);
  }
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

Place MarkPlace(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
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

std::string Problem::ToString() const {
  std::string out = file;
  if (line > 0) absl::StrAppend(&out, ":", line, ":", column);
  absl::StrAppend(&out, ": ");
  if (!path.empty()) absl::StrAppend(&out, path, ": ");
  absl::StrAppend(&out, message);
  return out;
}

ParseOutcome ParseConfig(std::string_view yaml_text_std, std::string_view file_name_std) {
  // This absl predates absl::string_view == std::string_view; bridge once here.
  absl::string_view yaml_text(yaml_text_std.data(), yaml_text_std.size());
  absl::string_view file_name(file_name_std.data(), file_name_std.size());
  YamlChecker checker(yaml_text, file_name);
  ConfigParser parser(&checker);
  try {
    parser.Parse(checker.LoadFirstDocument());
  } catch (const YAML::ParserException& e) {
    checker.Report(MarkPlace(e.mark), "", absl::StrCat("YAML syntax error: ", e.msg));
  } catch (const YAML::Exception& e) {
    checker.Report(MarkPlace(e.mark), "", absl::StrCat("cannot read YAML: ", e.msg));
  } catch (const std::exception& e) {
    checker.Report({}, "", absl::StrCat("internal error while reading the config: ", e.what()));
  }
  ParseOutcome outcome;
  outcome.problems = checker.TakeProblems();
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
  auto unreadable = [&path](int error) {
    Problem problem;
    problem.file = path;
    problem.message = absl::StrCat("cannot read config file ", Quote(path), ": ",
                                   std::generic_category().message(error));
    ParseOutcome outcome;
    outcome.problems.push_back(std::move(problem));
    return outcome;
  };
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unreadable(errno);
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      close(fd);
      return unreadable(error);  // e.g. EISDIR: open(2) accepts a directory
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return ParseConfig(text, path);
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

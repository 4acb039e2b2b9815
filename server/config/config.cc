// The functions of config.h, and ConfigParser::Parse: the sections, read in order.
#include "server/config/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "openssl/evp.h"
#include "server/config/config_parser.h"
#include "server/config/yaml_checker.h"
#include "yaml-cpp/yaml.h"

namespace acd::config {
namespace internal {
namespace {

constexpr absl::string_view kTopKeys[] = {"server", "auth",   "skills", "schedules",
                                          "queues", "agents", "routing"};
constexpr absl::string_view kTopPlanned[] = {"webhooks"};

Place MarkPlace(const YAML::Mark& mark) {
  if (mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

}  // namespace

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

}  // namespace internal

using internal::ConfigParser;
using internal::kRoles;
using internal::ParseDocument;
using internal::Quote;
using internal::ReadWholeFile;
using internal::YamlChecker;

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

// ConfigParser's server and auth sections: server settings, server.tls, API tokens.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/config/config_parser.h"
#include "server/core/live_stats.h"
#include "yaml-cpp/yaml.h"

namespace acd::config::internal {
namespace {

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
// A token must be hard to guess and fit an HTTP header: 16 to 1024 visible
// ASCII characters (a random 32-byte token in hex or base64 fits).
constexpr size_t kMinTokenLength = 16;
constexpr size_t kMaxTokenLength = 1024;

constexpr absl::string_view kAckModes[] = {"committed", "applied"};
constexpr absl::string_view kSyncModes[] = {"full", "normal"};
constexpr absl::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error"};
constexpr absl::string_view kLogFormats[] = {"text", "json"};
constexpr absl::string_view kListenExamples = "use host:port, e.g. 127.0.0.1:7070 or [::1]:7070";

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

bool IsHexDigest(absl::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), absl::ascii_isxdigit);
}

}  // namespace

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

}  // namespace acd::config::internal

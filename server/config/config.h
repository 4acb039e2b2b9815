// The acd config file: YAML text -> a validated Config (server settings plus the
// core::RoutingConfig the engine runs on). The schema is strict: unknown keys,
// wrong types and bad values are all reported, each with its file, line, column
// and key path, so an operator can fix a file in one pass. config/README.md is
// the reference for the schema.
//
// Nothing here throws: yaml-cpp exceptions are caught and turned into problems.
//
// Thread safety: free functions over values with no shared state; call them
// from any thread. LoadConfigFile reads the file system and nothing else.
#ifndef ACD_SERVER_CONFIG_CONFIG_H_
#define ACD_SERVER_CONFIG_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "server/core/types.h"

namespace acd::config {

// When a reply is sent relative to the store: after its events are durably
// committed (the default), or as soon as the engine has applied them.
enum class AckMode { kCommitted, kApplied };  // "committed" | "applied"
// SQLite `PRAGMA synchronous`: FULL (the default) survives power loss; NORMAL
// in WAL mode may lose the last transactions on power loss, never corrupts.
enum class SyncMode { kFull, kNormal };  // "full" | "normal"

// The names used in the YAML file ("committed", "normal").
std::string_view AckModeName(AckMode mode);
std::string_view SyncModeName(SyncMode mode);

// TLS for the gRPC port (server.tls). PEM file paths, resolved against the
// config file's directory when relative. Off when `cert` is empty.
struct TlsConfig {
  std::string cert{};       // server certificate chain
  std::string key{};        // its private key
  std::string client_ca{};  // when set: clients must present a cert it signed (mTLS)
  bool enabled() const { return !cert.empty(); }
};

inline constexpr int64_t kDefaultMaxMessageBytes = 1 << 20;  // 1 MiB
inline constexpr int64_t kMinMaxMessageBytes = 64 << 10;     // 64 KiB
inline constexpr int64_t kMaxMaxMessageBytes = 64 << 20;     // 64 MiB
inline constexpr int64_t kDefaultMaxStreams = 10000;
inline constexpr int64_t kMaxMaxStreams = 1000000;
inline constexpr int64_t kDefaultStreamBuffer = 10000;
inline constexpr int64_t kMinStreamBuffer = 100;
inline constexpr int64_t kMaxStreamBuffer = 1000000;

struct ServerConfig {
  std::string listen = "127.0.0.1:7070";  // host:port or [v6-host]:port
  std::string database = "acd.db";        // SQLite file, relative to the working dir
  AckMode ack = AckMode::kCommitted;
  SyncMode synchronous = SyncMode::kFull;
  std::string log_level = "info";   // trace | debug | info | warn | error
  std::string log_format = "text";  // text | json
  // The HTTP front (/metrics, /healthz, /readyz), host:port; empty: off.
  std::string http{};
  // Live KPIs (config/README.md#kpis): the sliding window, and the zone of
  // "today" for queues without a schedule and for agents.
  absl::Duration stats_window = absl::Minutes(15);
  absl::TimeZone timezone = absl::UTCTimeZone();
  // SIGTERM: how long acdd may take to finish in-flight calls and commit the
  // store before it exits (README "Stopping").
  absl::Duration shutdown_grace = absl::Seconds(5);
  // Hostile-input limits (README.md "Limits"): the largest request message
  // gRPC accepts (larger: RESOURCE_EXHAUSTED), and the live server streams
  // (StreamOffers, WatchEvents, WatchStats) over all clients, and the
  // messages one may have waiting for its client before it is cut off.
  int64_t max_message_bytes = kDefaultMaxMessageBytes;
  int64_t max_streams = kDefaultMaxStreams;
  int64_t stream_buffer = kDefaultStreamBuffer;
  TlsConfig tls;
};

// The longest server.shutdown_grace accepted.
inline constexpr absl::Duration kMaxShutdownGrace = absl::Minutes(5);

// What a bearer token may do (server/rpc/auth.h has the table per RPC).
enum class Role { kIntegrator, kAgent, kSupervisor, kAdmin };
// "integrator", "agent", "supervisor", "admin".
std::string_view RoleName(Role role);

// One API token of `auth`. The secret itself is never kept: only its SHA-256.
struct Token {
  std::string name;  // for logs and messages, unique
  Role role = Role::kIntegrator;
  std::string agent_id{};  // kAgent only: the one agent it acts as
  std::string sha256;      // SHA-256 of the token, 64 lowercase hex digits
  bool from_file = false;  // listed in auth.tokens_file, not inline
};

struct AuthConfig {
  // The inline tokens, then those of tokens_file. Empty: auth is off.
  std::vector<Token> tokens;
  std::string tokens_file;  // resolved path, "" when none
  // Whether tokens_file was read (ParseOptions::read_files): when not, tokens
  // holds the inline tokens only.
  bool tokens_file_read = false;
  bool enabled() const { return !tokens.empty(); }
};

struct Config {
  ServerConfig server;
  AuthConfig auth;
  core::RoutingConfig routing;
  // Declared skill names, in file order; empty when the file has no `skills:`.
  std::vector<std::string> skills;
  std::string file;  // file name as given to the parser
  std::string text;  // the exact YAML text
  std::string hash;  // Sha256Hex(text)
};

// One thing wrong with a config file.
struct Problem {
  std::string file;
  // 1-based; 0 when the problem is not tied to a place (e.g. unreadable file).
  int line = 0;
  int column = 0;
  // Key path, e.g. "queues[1].offer_timeout"; "" for the whole document.
  std::string path;
  // What is wrong, quoting the offending value.
  std::string message;

  // "file:line:col: path: message". The path part is left out when empty, and
  // ":line:col" when line is 0 ("file: message").
  std::string ToString() const;
};

struct ParseOutcome {
  std::optional<Config> config;   // set only when problems is empty
  std::vector<Problem> problems;  // every problem found, sorted by line then column
  bool ok() const { return problems.empty(); }
};

struct ParseOptions {
  // Relative paths in the file (auth.tokens_file, server.tls.*) are resolved
  // against this directory; "" leaves them relative to the working directory.
  std::string base_dir;
  // Read auth.tokens_file and check that the server.tls files can be read.
  // Off, the file is checked on its own (a fuzzer reads no other file).
  bool read_files = false;
};

// Parses and validates `yaml_text`; `file_name` is only used in problems and
// Config::file.
ParseOutcome ParseConfig(std::string_view yaml_text, std::string_view file_name,
                         const ParseOptions& options = {});

// Reads `path` and parses it with read_files on and base_dir its directory.
// An unreadable file gives one problem (line 0) naming the path and the
// system's reason.
ParseOutcome LoadConfigFile(const std::string& path);

// The directory part of `path` ("" for a bare file name), for ParseOptions.
std::string DirectoryOf(std::string_view path);

// OkStatus when `problems` is empty; otherwise INVALID_ARGUMENT with the message
// "config has N problem(s):\n" followed by one Problem::ToString() per line.
absl::Status ProblemsToStatus(const std::vector<Problem>& problems);

// SHA-256 of `data` as 64 lowercase hex digits (the config hash stored with each
// applied config version).
std::string Sha256Hex(std::string_view data);

}  // namespace acd::config

#endif  // ACD_SERVER_CONFIG_CONFIG_H_

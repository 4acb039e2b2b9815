#include "server/app/exposure.h"

#include <arpa/inet.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace acd::app {

bool IsLoopback(absl::string_view listen) {
  absl::string_view host = listen.substr(0, listen.rfind(':'));
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

absl::Status CheckExposure(const config::Config& config, bool insecure) {
  const config::ServerConfig& server = config.server;
  const bool authenticated = config.auth.enabled() || !server.tls.client_ca.empty();
  // Client certificates guard gRPC only: the HTTP front takes tokens.
  if (!server.http.empty() && !insecure && !config.auth.enabled() && !IsLoopback(server.http)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to serve HTTP on ", server.http,
        " (server.http) without auth tokens: /metrics shows every queue's name and traffic. "
        "Configure auth tokens (auth.tokens or auth.tokens_file; /metrics then takes a "
        "supervisor or admin token), serve it on a loopback address such as 127.0.0.1, or start "
        "acdd with --insecure to accept the risk"));
  }
  if (insecure || authenticated || IsLoopback(server.listen)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to listen on ", server.listen,
      " without auth: anyone who can reach it could enqueue calls, act as any agent and reload "
      "the config. Configure auth tokens (auth.tokens or auth.tokens_file) or TLS client "
      "certificates (server.tls.client_ca), listen on a loopback address such as 127.0.0.1, or "
      "start acdd with --insecure to accept the risk"));
}

}  // namespace acd::app

// HttpServer: acdd's HTTP front (server.http), on civetweb: plain GET routes
// matched by exact path (/metrics, /healthz, /readyz), each answered by a
// handler that returns the whole response.
//
// - Requests run on civetweb's worker threads (`Options::threads` at once;
//   more wait for a free one). A handler may block briefly (a scrape waits
//   for the engine's snapshot), never on a client.
// - Access: a route marked `needs_auth` is answered only when `authorize`
//   accepts the request's Authorization header (401 without a valid token,
//   403 for a token whose role may not, 503 for any other refusal, e.g. not
//   started yet), so the HTTP front follows the gRPC server's token rules;
//   probes (/healthz, /readyz) stay open.
// - IPv4 only: Debian's civetweb is built without IPv6 (the config refuses
//   an IPv6 server.http); a host name is resolved to its IPv4 address.
// - Anything but GET or HEAD is 405; an unknown path 404.
//
// Ownership and thread safety: routes are fixed at Start(). Handlers run
// concurrently on worker threads and must be thread-safe. The destructor
// stops the listener and waits for requests in flight.
#ifndef ACD_SERVER_HTTP_HTTP_SERVER_H_
#define ACD_SERVER_HTTP_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct mg_context;
struct mg_connection;

namespace acd::http {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse()>;

struct HttpRoute {
  HttpHandler handler;
  bool needs_auth = false;
};

// OK, UNAUTHENTICATED, PERMISSION_DENIED or another refusal (UNAVAILABLE)
// for an Authorization header (nullopt when absent).
using HttpAuthorizer = std::function<absl::Status(std::optional<absl::string_view> authorization)>;

class HttpServer {
 public:
  struct Options {
    std::string listen;  // host:port or [v6]:port; port 0 picks a free one
    int threads = 4;
    HttpAuthorizer authorize = nullptr;  // null: every route is open
  };

  // Listens on options.listen and serves `routes` (path -> route).
  // UNAVAILABLE naming the address and the reason when it cannot listen.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(Options options,
                                                           std::map<std::string, HttpRoute> routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The port bound (useful with port 0).
  int port() const { return port_; }

 private:
  HttpServer(Options options, std::map<std::string, HttpRoute> routes);
  static int HandleRequest(mg_connection* conn, void* self);
  static int LogMessage(const mg_connection* conn, const char* message);
  HttpResponse Respond(mg_connection* conn);
  // Opens and drops a connection to the listening port.
  void PokeListener() const;

  const Options options_;
  const std::map<std::string, HttpRoute> routes_;
  mg_context* context_ = nullptr;
  int port_ = 0;
  std::string start_error_;  // civetweb's last word while starting
};

}  // namespace acd::http

#endif  // ACD_SERVER_HTTP_HTTP_SERVER_H_

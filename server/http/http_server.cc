#include "server/http/http_server.h"

#include <civetweb.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace acd::http {
namespace {

// civetweb reports why it cannot start through the log callback, on the
// thread calling mg_start, before there is a context to find the server by.
thread_local std::string* start_error = nullptr;

HttpResponse Text(int status, absl::string_view text) {
  return HttpResponse{.status = status, .body = absl::StrCat(text, "\n")};
}

}  // namespace

HttpServer::HttpServer(Options options, std::map<std::string, HttpRoute> routes)
    : options_(std::move(options)), routes_(std::move(routes)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    Options options, std::map<std::string, HttpRoute> routes) {
  static std::once_flag init;
  std::call_once(init, [] { mg_init_library(MG_FEATURES_DEFAULT); });

  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options), std::move(routes)));
  const std::string threads = absl::StrCat(server->options_.threads);
  // No keep-alive: civetweb holds a worker thread for each open connection,
  // and a scraper that reconnects every 15 s costs nothing worth a thread.
  // No document_root: nothing but the routes is served.
  const char* civet_options[] = {"listening_ports",
                                 server->options_.listen.c_str(),
                                 "num_threads",
                                 threads.c_str(),
                                 "enable_keep_alive",
                                 "no",
                                 "request_timeout_ms",
                                 "10000",
                                 nullptr};
  mg_callbacks callbacks{};
  callbacks.log_message = &HttpServer::LogMessage;
  start_error = &server->start_error_;
  server->context_ = mg_start(&callbacks, server.get(), civet_options);
  start_error = nullptr;
  if (server->context_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve HTTP on ", server->options_.listen, " (server.http): ",
                     server->start_error_.empty() ? "address in use, or not a valid host:port?"
                                                  : server->start_error_));
  }
  mg_set_request_handler(server->context_, "/", &HttpServer::HandleRequest, server.get());
  std::vector<mg_server_port> ports(4);
  int n = mg_get_server_ports(server->context_, static_cast<int>(ports.size()), ports.data());
  if (n > 0) server->port_ = ports[0].port;
  return server;
}

HttpServer::~HttpServer() {
  if (context_ == nullptr) return;
  // civetweb's listening thread polls in 2 s slices and sees mg_stop's flag
  // only between them: connecting to it ends the slice, so a stop (acdd's
  // shutdown) takes milliseconds rather than up to 2 s.
  std::atomic<bool> stopped{false};
  std::thread stopper([this, &stopped] {
    mg_stop(context_);
    stopped = true;
  });
  while (!stopped) {
    PokeListener();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stopper.join();
}

void HttpServer::PokeListener() const {
  // The listening address, a wildcard reached through loopback.
  std::string host(options_.listen.substr(0, options_.listen.rfind(':')));
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port_).c_str(), &hints, &found) != 0) return;
  const int fd = socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    connect(fd, found->ai_addr, found->ai_addrlen);  // in progress is enough to wake the poll
    close(fd);
  }
  freeaddrinfo(found);
}

int HttpServer::LogMessage(const mg_connection* conn, const char* message) {
  if (start_error != nullptr) {
    *start_error = message;
  } else {
    spdlog::warn("http: {}", message);
  }
  return 1;  // handled: civetweb writes nothing to stderr
}

int HttpServer::HandleRequest(mg_connection* conn, void* self) {
  const mg_request_info* info = mg_get_request_info(conn);
  const bool head = std::strcmp(info->request_method, "HEAD") == 0;
  HttpResponse response = static_cast<HttpServer*>(self)->Respond(conn);
  mg_response_header_start(conn, response.status);
  mg_response_header_add(conn, "Content-Type", response.content_type.c_str(), -1);
  const std::string length = absl::StrCat(response.body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  mg_response_header_add(conn, "Cache-Control", "no-store", -1);
  mg_response_header_add(conn, "X-Content-Type-Options", "nosniff", -1);
  if (response.status == 401) mg_response_header_add(conn, "WWW-Authenticate", "Bearer", -1);
  if (response.status == 405) mg_response_header_add(conn, "Allow", "GET, HEAD", -1);
  mg_response_header_send(conn);
  if (!head) mg_write(conn, response.body.data(), response.body.size());
  return response.status;
}

HttpResponse HttpServer::Respond(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  const absl::string_view method = info->request_method;
  if (method != "GET" && method != "HEAD") {
    return Text(405, absl::StrCat("method ", method, " not allowed: use GET"));
  }
  auto route = routes_.find(info->local_uri != nullptr ? info->local_uri : "");
  if (route == routes_.end()) {
    std::vector<std::string> paths;
    for (const auto& [path, unused] : routes_) paths.push_back(path);
    return Text(404, absl::StrCat("no such page; acdd serves ", absl::StrJoin(paths, ", ")));
  }
  if (route->second.needs_auth && options_.authorize) {
    const char* header = mg_get_header(conn, "Authorization");
    absl::Status allowed = options_.authorize(
        header == nullptr ? std::nullopt : std::optional<absl::string_view>(header));
    if (absl::IsUnauthenticated(allowed)) return Text(401, allowed.message());
    if (absl::IsPermissionDenied(allowed)) return Text(403, allowed.message());
    if (!allowed.ok()) return Text(503, allowed.message());
  }
  return route->second.handler();
}

}  // namespace acd::http

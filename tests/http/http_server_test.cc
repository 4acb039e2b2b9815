// The HTTP front's server on a real loopback port: routes, methods, access.
#include "server/http/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>

#include "absl/strings/str_cat.h"
#include "tests/support/http_client.h"

namespace acd::http {
namespace {

using ::acd::testing::HttpGet;
using ::acd::testing::HttpResult;
using ::testing::HasSubstr;

class HttpServerTest : public ::testing::Test {
 protected:
  void Start(HttpServer::Options options = {}) {
    if (options.listen.empty()) options.listen = "127.0.0.1:0";
    std::map<std::string, HttpRoute> routes;
    routes["/open"] = {.handler = [this] {
      calls_++;
      return HttpResponse{.body = "open\n"};
    }};
    routes["/secret"] = {.handler =
                             [] {
                               return HttpResponse{.content_type = "text/plain; version=0.0.4",
                                                   .body = "secret\n"};
                             },
                         .needs_auth = true};
    routes["/down"] = {.handler = [] { return HttpResponse{.status = 503, .body = "no\n"}; }};
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(std::move(options), std::move(routes));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_GT(server_->port(), 0);
  }
  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", server_->port(), path);
  }

  std::atomic<int> calls_{0};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesItsRoutesAndNamesThemOtherwise) {
  Start();
  HttpResult open = HttpGet(Url("/open"));
  EXPECT_EQ(open.status, 200) << open.error;
  EXPECT_EQ(open.body, "open\n");
  EXPECT_EQ(open.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(HttpGet(Url("/down")).status, 503);
  HttpResult secret = HttpGet(Url("/secret"));  // no authorizer: open
  EXPECT_EQ(secret.status, 200);
  EXPECT_EQ(secret.content_type, "text/plain; version=0.0.4");

  HttpResult missing = HttpGet(Url("/nope"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("/down, /open, /secret"));
  EXPECT_EQ(HttpGet(Url("/open/more")).status, 404);
  HttpResult post = HttpGet(Url("/open"), {}, "POST");
  EXPECT_EQ(post.status, 405);
  EXPECT_THAT(post.body, HasSubstr("method POST not allowed"));
  EXPECT_EQ(calls_.load(), 1);
  HttpResult head = HttpGet(Url("/open"), {}, "HEAD");
  EXPECT_EQ(head.status, 200);
}

TEST_F(HttpServerTest, GuardedRoutesTakeWhatTheAuthorizerAccepts) {
  HttpServer::Options options;
  options.authorize = [](std::optional<absl::string_view> header) -> absl::Status {
    if (!header) return absl::UnauthenticatedError("send a token");
    if (*header == "Bearer good") return absl::OkStatus();
    return absl::PermissionDeniedError(absl::StrCat("not with ", *header));
  };
  Start(options);
  HttpResult none = HttpGet(Url("/secret"));
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.body, "send a token\n");
  HttpResult wrong = HttpGet(Url("/secret"), {"Authorization: Bearer bad"});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(wrong.body, "not with Bearer bad\n");
  EXPECT_EQ(HttpGet(Url("/secret"), {"Authorization: Bearer good"}).status, 200);
  // Open routes ignore tokens.
  EXPECT_EQ(HttpGet(Url("/open")).status, 200);
}

TEST_F(HttpServerTest, AnAddressInUseIsRefusedNamingIt) {
  Start();
  const std::string taken = absl::StrCat("127.0.0.1:", server_->port());
  absl::StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Start({.listen = taken}, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrCat("cannot serve HTTP on ", taken)));
}

TEST_F(HttpServerTest, AHostNameIsResolved) {
  Start({.listen = "localhost:0"});
  EXPECT_EQ(HttpGet(Url("/open")).status, 200);
}

}  // namespace
}  // namespace acd::http

// TLS and mTLS against an in-process Daemon, with a CA, server and client
// certs made by the openssl CLI at test time; and the rule that keeps an
// unauthenticated daemon off non-loopback addresses.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/common/rpc.h"
#include "server/app/daemon.h"
#include "server/app/exposure.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::Ctx;
using ::testing::HasSubstr;

// Runs `script` with sh in `dir`; true when it exits 0.
bool Shell(const std::string& dir, const std::string& script) {
  std::string command = absl::StrCat("cd '", dir, "' && (", script, ") >openssl.log 2>&1");
  return std::system(command.c_str()) == 0;
}

// A CA, a server cert for 127.0.0.1 and localhost, and a client cert, both
// signed by the CA; plus a second CA that signed nothing of ours.
bool MakeCerts(const std::string& dir) {
  const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  return Shell(
      dir, absl::StrCat(
               "openssl req -x509 ", key, " -keyout ca.key -out ca.pem -days 2 -subj /CN=acd-ca",
               " && openssl req -x509 ", key,
               " -keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=other-ca",
               " && printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext",
               " && openssl req ", key, " -keyout server.key -out server.csr -subj /CN=localhost",
               " && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial",
               " -out server.pem -days 2 -extfile server.ext", " && openssl req ", key,
               " -keyout client.key -out client.csr -subj /CN=desk-1",
               " && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial",
               " -out client.pem -days 2"));
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(MakeCerts(dir_.path()))
        << "openssl failed (is the openssl CLI installed? deploy/install-deps.sh installs it); "
        << "see " << dir_.File("openssl.log");
  }

  void Start(const std::string& tls) {
    std::string config =
        absl::StrCat("server:\n  tls: ", tls, "\n",
                     std::string(testing::kTestConfig).substr(std::string("server:\n").size()));
    absl::StatusOr<std::unique_ptr<app::Daemon>> d = app::Daemon::Start(
        {.config_path = dir_.Write("acd.yaml", config), .database = dir_.File("acd.db")});
    ASSERT_TRUE(d.ok()) << d.status();
    daemon_ = std::move(*d);
  }

  grpc::Status ListQueues(const ctl::Credentials& credentials) {
    auto stub = v1::AdminService::NewStub(ctl::NewChannel(daemon_->address(), credentials));
    v1::ListQueuesResponse resp;
    return stub->ListQueues(Ctx().get(), {}, &resp);
  }

  testing::TempDir dir_;
  std::unique_ptr<app::Daemon> daemon_;
};

TEST_F(TlsTest, TlsClientsConnectAndPlaintextOnesDoNot) {
  Start("{cert: server.pem, key: server.key}");
  grpc::Status status = ListQueues({.tls_ca = dir_.File("ca.pem")});
  EXPECT_TRUE(status.ok()) << status.error_message();
  // The name in the cert, when the address has another.
  status = ListQueues({.tls_ca = dir_.File("ca.pem"), .server_name = "localhost"});
  EXPECT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(ListQueues({}).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A server cert the client's CA did not sign.
  EXPECT_EQ(ListQueues({.tls_ca = dir_.File("other-ca.pem")}).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, WithClientCaAClientNeedsACertTheCaSigned) {
  Start("{cert: server.pem, key: server.key, client_ca: ca.pem}");
  grpc::Status status = ListQueues({.tls_ca = dir_.File("ca.pem"),
                                    .tls_cert = dir_.File("client.pem"),
                                    .tls_key = dir_.File("client.key")});
  EXPECT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(ListQueues({.tls_ca = dir_.File("ca.pem")}).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A client cert signed by a CA the server does not trust.
  ASSERT_TRUE(Shell(dir_.path(),
                    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                    "-keyout rogue.key -out rogue.csr -subj /CN=rogue && openssl x509 -req -in "
                    "rogue.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial -out rogue.pem "
                    "-days 2"));
  EXPECT_EQ(ListQueues({.tls_ca = dir_.File("ca.pem"),
                        .tls_cert = dir_.File("rogue.pem"),
                        .tls_key = dir_.File("rogue.key")})
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, AnUnreadableCertStopsTheStart) {
  std::string config = absl::StrCat("server:\n  tls: {cert: missing.pem, key: server.key}\n",
                                    std::string(testing::kTestConfig).substr(8));
  absl::StatusOr<std::unique_ptr<app::Daemon>> d = app::Daemon::Start(
      {.config_path = dir_.Write("acd.yaml", config), .database = dir_.File("acd.db")});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(d.status().message(), HasSubstr("acd.yaml:2:15: server.tls.cert: cannot read"));
}

// ---------------------------------------------------------------------------
// Exposure

TEST(ExposureTest, LoopbackAddresses) {
  for (const char* listen : {"127.0.0.1:7070", "127.1.2.3:0", "localhost:7070", "[::1]:7070",
                             "[::ffff:127.0.0.1]:7070", "LOCALHOST:1"}) {
    EXPECT_TRUE(app::IsLoopback(listen)) << listen;
  }
  for (const char* listen : {"0.0.0.0:7070", "[::]:7070", "10.0.0.5:7070", "acd.example.com:7070",
                             "[fe80::1]:7070", "128.0.0.1:7070", "localhost.evil.com:1"}) {
    EXPECT_FALSE(app::IsLoopback(listen)) << listen;
  }
}

TEST(ExposureTest, NonLoopbackNeedsAuthOrInsecure) {
  config::Config config;
  config.server.listen = "0.0.0.0:7070";
  absl::Status refused = app::CheckExposure(config, /*insecure=*/false);
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.message(), HasSubstr("refusing to listen on 0.0.0.0:7070 without auth"));
  EXPECT_THAT(refused.message(), HasSubstr("--insecure"));
  EXPECT_TRUE(app::CheckExposure(config, /*insecure=*/true).ok());

  config::Config with_tokens = config;
  with_tokens.auth.tokens.push_back({.name = "a", .role = config::Role::kAdmin, .sha256 = "00"});
  EXPECT_TRUE(app::CheckExposure(with_tokens, false).ok());

  config::Config tls_only = config;
  tls_only.server.tls = {.cert = "c", .key = "k"};
  EXPECT_FALSE(app::CheckExposure(tls_only, false).ok());  // TLS alone names no one
  tls_only.server.tls.client_ca = "ca";
  EXPECT_TRUE(app::CheckExposure(tls_only, false).ok());

  config.server.listen = "127.0.0.1:7070";
  EXPECT_TRUE(app::CheckExposure(config, false).ok());
}

TEST(ExposureTest, TheDaemonRefusesToStartExposedWithoutAuth) {
  testing::TempDir dir;
  std::string config = dir.Write("acd.yaml", testing::kTestConfig);
  absl::StatusOr<std::unique_ptr<app::Daemon>> d = app::Daemon::Start(
      {.config_path = config, .listen = "0.0.0.0:0", .database = dir.File("acd.db")});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("--insecure"));

  d = app::Daemon::Start({.config_path = config,
                          .listen = "0.0.0.0:0",
                          .database = dir.File("acd.db"),
                          .insecure = true});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_GT((*d)->port(), 0);
}

}  // namespace
}  // namespace acd

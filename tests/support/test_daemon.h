// Test support: a real acdd Daemon on 127.0.0.1 port 0 with its config and
// SQLite file in a fresh temp dir, plus gRPC stubs and small helpers.
#ifndef ACD_TESTS_SUPPORT_TEST_DAEMON_H_
#define ACD_TESTS_SUPPORT_TEST_DAEMON_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "acd/v1/admin_service.grpc.pb.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "acd/v1/call_service.grpc.pb.h"

namespace acd::testing {

// A fresh directory under the test temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "acd-XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(File(name)) << text;
    return File(name);
  }

 private:
  std::string path_;
};

// Two queues and three agents; short timeouts so real-time tests stay fast.
inline constexpr char kTestConfig[] = R"(server:
  listen: 127.0.0.1:0
skills: [english, spanish]
queues:
  - name: support
    offer_timeout: 2s
    wrap_up_time: 30s
  - name: sales
    offer_timeout: 2s
    wrap_up_time: 0s
agents:
  - id: alice
    name: Alice
    skills: {english: 5, spanish: 3}
    queues: [support]
  - id: bob
    name: Bob
    skills: {english: 4}
    queues: [support]
  - id: carol
    skills: {english: 2}
    queues: [support, sales]
)";

// Clients for a daemon at `address`.
struct Stubs {
  explicit Stubs(const std::string& address)
      : channel(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        calls(v1::CallService::NewStub(channel)),
        agents(v1::AgentService::NewStub(channel)),
        admin(v1::AdminService::NewStub(channel)) {}
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::CallService::Stub> calls;
  std::unique_ptr<v1::AgentService::Stub> agents;
  std::unique_ptr<v1::AdminService::Stub> admin;
};

// A context with a deadline, so a broken server fails a test instead of hanging it.
inline std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 10) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

// Rows of a query against a SQLite file, each column as text ("" for NULL).
inline std::vector<std::vector<std::string>> Query(const std::string& db_path,
                                                   const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* text = sqlite3_column_text(stmt, i);
      row.push_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_TEST_DAEMON_H_

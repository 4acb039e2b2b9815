// Test support for tests of a real acdd (in process or a child process): the
// config most of them run (kTestConfig) and SQL over its SQLite file (Query).
// It brings the temp dir (temp_dir.h) and the gRPC client (client.h) along,
// as every such test needs both.
#ifndef ACD_TESTS_SUPPORT_TEST_DAEMON_H_
#define ACD_TESTS_SUPPORT_TEST_DAEMON_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "tests/support/client.h"
#include "tests/support/temp_dir.h"

namespace acd::testing {

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

// What a restart pays to read back the calls that had finished
// (store::LoadLiveState's finished calls, then Engine::Restore), per number of
// finished calls in a real SQLite file. The file is written once per size, by
// the real EventStore from a real engine's events, in a temporary directory.
//
// Each finished call costs the decode of its latest event's payload (JSON), so
// the time grows with the calls read back, not with the log: this is what
// sets store::LiveStateLimits::finished_calls.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/core/engine.h"
#include "server/store/event_store.h"
#include "server/store/live_state.h"
#include "tests/support/test_time.h"

namespace acd {
namespace {

using ::acd::testing::kT0;

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "restore_bench: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

core::RoutingConfig Config() {
  core::QueueConfig q;
  q.name = "q";
  core::RoutingConfig config;
  config.queues = {q};
  return config;
}

// A temporary directory, removed at exit.
const std::string& TempDir() {
  static const std::string* dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "restore_bench.XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("restore_bench: mkdtemp");
      std::abort();
    }
    auto* path = new std::string(pattern);
    std::atexit([] { std::filesystem::remove_all(*dir); });
    return path;
  }();
  return *dir;
}

// A database holding `n` finished calls (each enqueued with two attributes and
// abandoned), written once per `n`.
std::string DatabaseWith(int n) {
  static auto* made = new std::map<int, std::string>();
  if (auto it = made->find(n); it != made->end()) return it->second;
  std::string path = absl::StrCat(TempDir(), "/finished-", n, ".db");
  absl::StatusOr<std::unique_ptr<store::EventStore>> store =
      store::EventStore::Open(path, store::StoreOptions{.synchronous_full = false});
  Check(store.status(), "EventStore::Open");
  core::Engine engine;
  Check(engine.ApplyConfig(Config(), kT0), "ApplyConfig");
  std::vector<core::Event> batch = engine.TakeEvents();
  for (int i = 0; i < n; ++i) {
    std::string id = absl::StrCat("call-", i);
    Check(engine
              .EnqueueCall({.call_id = id,
                            .queue = "q",
                            .attributes = {{"caller", "+15551234567"}, {"channel", "voice"}}},
                           kT0)
              .status(),
          "EnqueueCall");
    Check(engine.AbandonCall(id, "hung up", kT0).status(), "AbandonCall");
    for (core::Event& e : engine.TakeEvents()) batch.push_back(std::move(e));
    if (batch.size() >= 4096) {
      Check((*store)->Append(batch, {}), "Append");
      batch.clear();
    }
  }
  Check((*store)->Append(batch, {}), "Append");
  return (*made)[n] = path;
}

void BM_RestoreFinishedCalls(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::string path = DatabaseWith(n);
  double seconds = 0;
  for (auto _ : state) {
    absl::StatusOr<store::sqlite::Database> db =
        store::OpenReadConnection(path, absl::Seconds(5), "restore_bench");
    Check(db.status(), "OpenReadConnection");
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<core::RestoredState> restored =
        store::LoadLiveState(*db, {"q"}, {.finished_calls = static_cast<size_t>(n)});
    Check(restored.status(), "LoadLiveState");
    core::Engine engine;
    Check(engine.ApplyConfig(Config(), kT0), "ApplyConfig");
    Check(engine.Restore(*restored, kT0), "Restore");
    auto elapsed = std::chrono::steady_clock::now() - start;
    seconds += std::chrono::duration<double>(elapsed).count();
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
    if (restored->finished.size() != static_cast<size_t>(n)) {
      state.SkipWithError("not every finished call was read back");
      return;
    }
  }
  state.counters["us_per_call"] = seconds * 1e6 / (static_cast<double>(n) * state.iterations());
}
BENCHMARK(BM_RestoreFinishedCalls)
    ->ArgName("finished")
    ->Arg(1000)
    ->Arg(10000)
    ->UseManualTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace acd

BENCHMARK_MAIN();

// What the store writer pays per committed event under acd-sim --max-rate's
// load: 16 agents, each with its own queue, run full lifecycles (enqueue,
// offer, accept, end, wrap-up, complete) on a real engine, and their events
// are appended by the real EventStore to a SQLite file in the temp dir, in
// batches of 6 events (what acdd's group commit makes at W = 16).
//
//   BM_Append/<sync>: synchronous full (fsync per commit) and normal.
//   Counters: us_per_event (wall time of Append per event), kb_per_commit
//   (bytes written by the process, /proc/self/io wchar: the WAL frames and
//   SQLite's checkpoints into the database file) and events_per_commit.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/core/engine.h"
#include "server/store/event_store.h"
#include "tests/support/test_time.h"

namespace acd {
namespace {

using ::acd::testing::kT0;
constexpr int kAgents = 16;
constexpr int kEventsPerCommit = 6;

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "store_bench: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

std::string TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "store_bench.XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("store_bench: mkdtemp");
    std::abort();
  }
  return pattern;
}

// Bytes this process has written so far (/proc/self/io wchar).
int64_t BytesWritten() {
  std::FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return 0;
  char key[32];
  long long value = 0, wchar = 0;
  while (std::fscanf(f, "%31s %lld", key, &value) == 2) {
    if (std::string(key) == "wchar:") wchar = value;
  }
  std::fclose(f);
  return wchar;
}

// The max-rate world: agent a<i> alone serves queue a<i>.
class World {
 public:
  World() {
    core::RoutingConfig config;
    for (int i = 0; i < kAgents; ++i) {
      core::QueueConfig q;
      q.name = absl::StrCat("a", i);
      q.wrap_up_time = absl::Minutes(10);
      config.queues.push_back(q);
      core::AgentConfig a;
      a.agent_id = q.name;
      a.queues = {q.name};
      config.agents.push_back(a);
    }
    Check(engine_.ApplyConfig(config, now_), "ApplyConfig");
    for (int i = 0; i < kAgents; ++i) {
      Check(engine_.Login(absl::StrCat("a", i), /*ready=*/true, now_).status(), "Login");
    }
  }

  // The events of the next `n` lifecycles, one step of each agent in turn,
  // as 16 workers interleave them.
  std::vector<core::Event> Lifecycles(int n) {
    std::vector<core::Event> events = engine_.TakeEvents();
    for (int done = 0; done < n;) {
      for (int i = 0; i < kAgents && done < n; ++i, ++done) {
        const std::string agent = absl::StrCat("a", i);
        const std::string call = absl::StrCat("call-", next_call_++);
        now_ += absl::Milliseconds(1);
        Check(engine_
                  .EnqueueCall({.call_id = call,
                                .queue = agent,
                                .attributes = {{"caller", "+15551234567"}, {"channel", "voice"}}},
                               now_)
                  .status(),
              "EnqueueCall");
        Check(engine_.AcceptOffer(agent, call, now_).status(), "AcceptOffer");
        Check(engine_.EndCall(call, now_).status(), "EndCall");
        Check(engine_.CompleteCall(agent, call, "max-rate", "", now_).status(), "CompleteCall");
        for (core::Event& e : engine_.TakeEvents()) events.push_back(std::move(e));
      }
    }
    return events;
  }

 private:
  core::Engine engine_;
  absl::Time now_ = kT0;
  int64_t next_call_ = 0;
};

void BM_Append(benchmark::State& state) {
  const bool full = state.range(0) == 1;
  const std::string dir = TempDir();
  const std::string path = dir + "/acd.db";
  absl::StatusOr<std::unique_ptr<store::EventStore>> store =
      store::EventStore::Open(path, store::StoreOptions{.synchronous_full = full});
  Check(store.status(), "EventStore::Open");
  World world;
  // Warm: the tables hold some history, as in a running centre.
  std::vector<core::Event> warm = world.Lifecycles(20000);
  for (size_t i = 0; i < warm.size(); i += 500) {
    const size_t end = std::min(warm.size(), i + 500);
    Check((*store)->Append({warm.data() + i, end - i}, {}), "Append");
  }
  const std::vector<core::Event> events = world.Lifecycles(4000);
  const int64_t written_before = BytesWritten();
  size_t next = 0;
  int64_t commits = 0, appended = 0;
  const auto started = std::chrono::steady_clock::now();
  for (auto _ : state) {
    if (next >= events.size()) {
      state.SkipWithError("out of prepared events");
      break;
    }
    const size_t n = std::min(events.size() - next, static_cast<size_t>(kEventsPerCommit));
    Check((*store)->Append({events.data() + next, n}, {}), "Append");
    next += n;
    appended += static_cast<int64_t>(n);
    ++commits;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const double written = static_cast<double>(BytesWritten() - written_before);
  state.counters["events_per_commit"] =
      static_cast<double>(appended) / std::max<int64_t>(commits, 1);
  state.counters["us_per_event"] = seconds * 1e6 / std::max<int64_t>(appended, 1);
  state.counters["kb_per_commit"] = written / 1024.0 / std::max<int64_t>(commits, 1);
  store->reset();
  std::filesystem::remove_all(dir);
}

BENCHMARK(BM_Append)->ArgName("sync_full")->Arg(1)->Arg(0)->Iterations(2000)->UseRealTime();

}  // namespace
}  // namespace acd

BENCHMARK_MAIN();

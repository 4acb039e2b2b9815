// What the engine thread pays to hand one committed event to the open
// streams, with N idle agent desktops connected (issue "a large centre").
//
//   BM_Fanout/<filter_all|indexed>/<streams>: 16 busy agents' events are
//   handed to 16 busy desktops and N idle ones. filter_all: every sink is
//   offered every event and filters by agent, as Runtime::Publish did before
//   runtime::SinkIndex; indexed: SinkIndex hands it to the interested sinks
//   only. Each sink that takes an event locks a mutex, as StreamReactor does.
//   Time is per event.
//   BM_MutexLock/<detect|ignore>: one absl::Mutex lock and unlock, with
//   abseil's deadlock detection on (Debian's default: its abseil is built
//   without NDEBUG) and off (acdd's release builds, server/app/process_tuning.h),
//   after 10,000 other mutexes were locked once (one per stream).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/runtime/runtime.h"
#include "server/runtime/sink_index.h"

namespace acd::runtime {
namespace {

constexpr int kBusy = 16;

class DesktopSink : public EventSink {
 public:
  explicit DesktopSink(std::string agent) : agent_(std::move(agent)) {}
  bool OnEvent(const core::Event& event) override {
    if (event.agent_id != agent_) return true;  // the desktop's own filter
    absl::MutexLock lock(&mu_);
    ++taken_;
    return true;
  }
  void OnClose(const absl::Status&) override {}

 private:
  const std::string agent_;
  absl::Mutex mu_;
  int64_t taken_ = 0;
};

std::vector<core::Event> BusyEvents() {
  std::vector<core::Event> events;
  for (int i = 0; i < kBusy; ++i) {
    core::Event e;
    e.call_id = absl::StrCat("call-", i);
    e.agent_id = absl::StrCat("busy-", i);
    e.queue = e.agent_id;
    events.push_back(e);
  }
  return events;
}

std::vector<std::shared_ptr<DesktopSink>> Desktops(int idle) {
  std::vector<std::shared_ptr<DesktopSink>> sinks;
  for (int i = 0; i < kBusy; ++i)
    sinks.push_back(std::make_shared<DesktopSink>(absl::StrCat("busy-", i)));
  for (int i = 0; i < idle; ++i)
    sinks.push_back(std::make_shared<DesktopSink>(absl::StrCat("idle-", i)));
  return sinks;
}

void BM_FanoutFilterAll(benchmark::State& state) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::map<uint64_t, std::shared_ptr<EventSink>> sinks;
  uint64_t id = 0;
  for (auto& sink : Desktops(static_cast<int>(state.range(0)))) sinks.emplace(++id, sink);
  const std::vector<core::Event> events = BusyEvents();
  size_t next = 0;
  for (auto _ : state) {
    const core::Event& event = events[next++ % events.size()];
    for (auto& [sink_id, sink] : sinks) benchmark::DoNotOptimize(sink->OnEvent(event));
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_FanoutIndexed(benchmark::State& state) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  SinkIndex index;
  uint64_t id = 0;
  std::vector<std::shared_ptr<DesktopSink>> desktops = Desktops(static_cast<int>(state.range(0)));
  for (int i = 0; i < static_cast<int>(desktops.size()); ++i) {
    index.Add(
        ++id,
        Interest::Agent(i < kBusy ? absl::StrCat("busy-", i) : absl::StrCat("idle-", i - kBusy)),
        desktops[i]);
  }
  const std::vector<core::Event> events = BusyEvents();
  size_t next = 0;
  for (auto _ : state) {
    const core::Event& event = events[next++ % events.size()];
    index.Deliver(
        event, [&event](EventSink& sink) { return sink.OnEvent(event); }, [](uint64_t) {});
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_MutexLock(benchmark::State& state, absl::OnDeadlockCycle mode) {
  absl::SetMutexDeadlockDetectionMode(mode);
  // Other mutexes locked once each, as every stream's is.
  std::vector<std::unique_ptr<absl::Mutex>> others;
  for (int i = 0; i < 10000; ++i) {
    others.push_back(std::make_unique<absl::Mutex>());
    absl::MutexLock lock(others.back().get());
  }
  absl::Mutex mu;
  int64_t counter = 0;
  for (auto _ : state) {
    absl::MutexLock lock(&mu);
    benchmark::DoNotOptimize(++counter);
  }
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

BENCHMARK(BM_FanoutFilterAll)->Name("BM_Fanout/filter_all")->Arg(0)->Arg(2000)->Arg(10000);
BENCHMARK(BM_FanoutIndexed)->Name("BM_Fanout/indexed")->Arg(0)->Arg(2000)->Arg(10000);
BENCHMARK_CAPTURE(BM_MutexLock, detect, absl::OnDeadlockCycle::kAbort);
BENCHMARK_CAPTURE(BM_MutexLock, ignore, absl::OnDeadlockCycle::kIgnore);

}  // namespace
}  // namespace acd::runtime

BENCHMARK_MAIN();

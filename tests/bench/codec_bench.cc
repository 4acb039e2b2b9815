// What the store thread pays to turn one event into its `payload` JSON, and a
// restart to turn it back (server/store/event_codec.h), for an event as the
// daemon writes them: a call offered to an agent, with both snapshots.
//
// The store writer encodes every event it commits (and a call's attributes
// and skills again for its `calls` row), so the encode time bounds how many
// events one store thread can commit per second, whatever the disk.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/time/time.h"
#include "server/core/types.h"
#include "server/store/event_codec.h"
#include "tests/support/test_time.h"

namespace acd::store {
namespace {

using ::acd::testing::kT0;

// call_offered as EnqueueCall's decision writes it: two attributes, one
// required skill; the agent in two queues with three skills.
core::Event OfferedEvent() {
  core::Event event;
  event.seq = 1'234'567;
  event.time = kT0 + absl::Microseconds(987'654);
  event.type = core::EventType::kCallOffered;
  event.call_id = "call-000123";
  event.agent_id = "agent-0042";
  event.queue = "support";
  core::Call& call = event.call.emplace();
  call.call_id = event.call_id;
  call.queue = event.queue;
  call.priority = 2;
  call.required_skills = {{"english", 3}};
  call.attributes = {{"caller", "+15551234567"}, {"channel", "voice"}};
  call.state = core::CallState::kOffered;
  call.agent_id = event.agent_id;
  call.enqueued_at = kT0;
  call.offered_at = event.time;
  call.offer_expires_at = event.time + absl::Seconds(20);
  call.arrival_order = 123'456;
  core::Agent& agent = event.agent.emplace();
  agent.agent_id = event.agent_id;
  agent.name = "Agent 42";
  agent.skills = {{"english", 5}, {"spanish", 3}, {"billing", 2}};
  agent.queues = {"support", "sales"};
  agent.state = core::AgentState::kReserved;
  agent.state_since = event.time;
  agent.idle_since = kT0 - absl::Minutes(3);
  agent.call_id = event.call_id;
  agent.calls_handled = 17;
  agent.talk_time = absl::Minutes(42);
  return event;
}

void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "codec_bench: %s failed\n", what);
  std::abort();
}

void BM_EncodeEventPayload(benchmark::State& state) {
  const core::Event event = OfferedEvent();
  size_t bytes = 0;
  for (auto _ : state) {
    std::string json = EncodeEventPayload(event);
    bytes = json.size();
    benchmark::DoNotOptimize(json);
  }
  state.counters["payload_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_EncodeEventPayload);

void BM_DecodeEventPayload(benchmark::State& state) {
  const std::string json = EncodeEventPayload(OfferedEvent());
  for (auto _ : state) {
    absl::StatusOr<core::Event> event = DecodeEventPayload(json);
    Check(event.ok(), "DecodeEventPayload");
    benchmark::DoNotOptimize(event);
  }
}
BENCHMARK(BM_DecodeEventPayload);

// The `calls` row's two maps, written with every event that carries a call.
void BM_EncodeCallMaps(benchmark::State& state) {
  const core::Event event = OfferedEvent();
  for (auto _ : state) {
    std::string attributes = EncodeAttributes(event.call->attributes);
    std::string skills = EncodeSkillLevels(event.call->required_skills);
    benchmark::DoNotOptimize(attributes);
    benchmark::DoNotOptimize(skills);
  }
}
BENCHMARK(BM_EncodeCallMaps);

}  // namespace
}  // namespace acd::store

BENCHMARK_MAIN();

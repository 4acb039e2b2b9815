// A manual-clock fixture for routing tests: an engine, a config to apply, and
// helpers that say who is offered what. TearDown checks the engine's
// invariants after every test.
#ifndef ACD_TESTS_CORE_ROUTING_FIXTURE_H_
#define ACD_TESTS_CORE_ROUTING_FIXTURE_H_

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/core/engine.h"
#include "tests/support/test_time.h"

namespace acd::core {

// Every engine test starts at the shared instant (tests/support/test_time.h).
using ::acd::testing::kT0;

inline QueueConfig MakeQueue(const std::string& name) {
  QueueConfig q;
  q.name = name;
  q.offer_timeout = absl::Seconds(20);
  q.wrap_up_time = absl::ZeroDuration();
  q.max_missed_offers = 0;
  return q;
}

inline AgentConfig MakeAgent(const std::string& id, std::vector<std::string> queues,
                             SkillLevels skills = {}) {
  AgentConfig a;
  a.agent_id = id;
  a.queues = std::move(queues);
  a.skills = std::move(skills);
  return a;
}

class RoutingTest : public ::testing::Test {
 protected:
  void Apply() {
    absl::Status s = engine_.ApplyConfig(config_, now_);
    ASSERT_TRUE(s.ok()) << s;
  }
  void Advance(absl::Duration d) {
    now_ += d;
    engine_.AdvanceTo(now_);
  }
  void TearDown() override {
    absl::Status s = engine_.CheckInvariants();
    EXPECT_TRUE(s.ok()) << s;
  }
  absl::Status Enqueue(const std::string& id, const std::string& queue, int priority = 0,
                       SkillLevels skills = {}, Attributes attributes = {}) {
    return engine_
        .EnqueueCall({.call_id = id,
                      .queue = queue,
                      .priority = priority,
                      .required_skills = std::move(skills),
                      .attributes = std::move(attributes)},
                     now_)
        .status();
  }
  void Ready(const std::string& agent) {
    absl::StatusOr<Agent> a = engine_.Login(agent, true, now_);
    ASSERT_TRUE(a.ok()) << a.status();
  }
  std::string OfferOf(const std::string& agent) {
    std::optional<Call> c = engine_.OutstandingOffer(agent);
    return c ? c->call_id : "";
  }
  // Takes whatever `agent` is offered and finishes it at once (no wrap-up).
  std::string Take(const std::string& agent) {
    std::string call = OfferOf(agent);
    if (call.empty()) return "";
    EXPECT_TRUE(engine_.AcceptOffer(agent, call, now_).ok());
    EXPECT_TRUE(engine_.EndCall(call, now_).ok());
    return call;
  }
  Call Get(const std::string& id) {
    absl::StatusOr<Call> c = engine_.GetCall(id);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : Call{};
  }
  std::vector<Event> EventsOf(EventType type) {
    std::vector<Event> out;
    for (Event& e : engine_.TakeEvents()) {
      if (e.type == type) out.push_back(std::move(e));
    }
    return out;
  }

  RoutingConfig config_;
  absl::Time now_ = kT0;
  Engine engine_;
};

}  // namespace acd::core

#endif  // ACD_TESTS_CORE_ROUTING_FIXTURE_H_

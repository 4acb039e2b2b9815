// The property test's reloads: a changed (sometimes broken) config, predicted and checked.
#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/types.h"
#include "tests/core/property/checks.h"
#include "tests/core/property/generator.h"
#include "tests/core/property/runner.h"
#include "tests/core/property/text.h"

namespace acd::core::property {

// --- Reloads ---

std::string Runner::NewName(std::vector<std::string>& retired, int& next, absl::string_view prefix,
                            Rng& rng) {
  // Reusing a removed name checks that nothing of the old one lingers.
  if (!retired.empty() && rng.Chance(0.5)) {
    int i = rng.Uniform(0, static_cast<int>(retired.size()) - 1);
    std::string name = retired[i];
    retired.erase(retired.begin() + i);
    return name;
  }
  return absl::StrCat(prefix, next++);
}

RoutingConfig Runner::Mutate(Rng& rng) {
  RoutingConfig c = config_;
  int changes = rng.Uniform(1, 3);
  for (int i = 0; i < changes; ++i) {
    switch (rng.Uniform(0, 7)) {
      case 0:  // new settings for a queue
        RandomizeQueue(c, rng.Uniform(0, static_cast<int>(c.queues.size()) - 1), rng);
        break;
      case 1:  // a new queue, with some agents
        if (c.queues.size() < kMaxQueues) {
          c.queues.emplace_back();
          c.queues.back().name = NewName(retired_queues_, next_queue_, "q", rng);
          RandomizeQueue(c, c.queues.size() - 1, rng);
          for (AgentConfig& a : c.agents) {
            if (rng.Chance(0.3)) a.queues.push_back(c.queues.back().name);
          }
        }
        break;
      case 2:  // a queue removed
        if (c.queues.size() > 1) {
          int k = rng.Uniform(0, static_cast<int>(c.queues.size()) - 1);
          std::string name = c.queues[k].name;
          c.queues.erase(c.queues.begin() + k);
          ScrubQueue(c, name, rng);
        }
        break;
      case 3:  // a new agent
        if (c.agents.size() < kMaxAgents) {
          c.agents.push_back(RandomAgent(NewName(retired_agents_, next_agent_, "a", rng), c, rng));
        }
        break;
      case 4:  // an agent removed
        if (c.agents.size() > 1) {
          c.agents.erase(c.agents.begin() + rng.Uniform(0, static_cast<int>(c.agents.size()) - 1));
        }
        break;
      case 5: {  // new skills and memberships for an agent
        AgentConfig& a = c.agents[rng.Uniform(0, static_cast<int>(c.agents.size()) - 1)];
        a = RandomAgent(a.agent_id, c, rng);
        break;
      }
      case 6:
        c.rules = RandomRules(c, rng);
        break;
      default: {  // new hours
        c.schedules.clear();
        int n = rng.Uniform(0, 2);
        for (int s = 0; s < n; ++s)
          c.schedules.push_back(RandomSchedule(absl::StrCat("s", s), rng));
        ScrubSchedules(c);
        break;
      }
    }
  }
  return c;
}

// Points something at a queue or schedule that does not exist.
void Runner::Break(RoutingConfig& c, Rng& rng) {
  QueueConfig& q = c.queues[rng.Uniform(0, static_cast<int>(c.queues.size()) - 1)];
  switch (rng.Uniform(0, 4)) {
    case 0:
      c.agents[rng.Uniform(0, static_cast<int>(c.agents.size()) - 1)].queues.push_back("ghost");
      break;
    case 1: {
      RoutingRule rule;
      rule.name = "ghost";
      rule.queue = "ghost";
      c.rules.push_back(std::move(rule));
      break;
    }
    case 2:
      q.on_timeout = Overflow("ghost");
      break;
    case 3: {
      EscalationStep step;
      step.after = absl::Hours(1);
      step.add_queues = {"ghost"};
      q.escalation.push_back(std::move(step));
      break;
    }
    default:
      q.schedule = "ghost";
  }
}

// Everything a reload could change, as text.
std::vector<std::string> Runner::Snapshot() {
  std::vector<std::string> lines;
  for (const QueueConfig& q : engine_.Queues()) {
    lines.push_back(Text(q));
    absl::StatusOr<QueueStats> stats = engine_.GetQueueStats(q.name, engine_now_);
    lines.push_back(stats.ok() ? Text(*stats) : stats.status().ToString());
  }
  std::vector<CallState> all(std::begin(kAllCallStates), std::end(kAllCallStates));
  absl::StatusOr<std::vector<Call>> calls = engine_.ListCalls("", all, kNoLimit);
  if (calls.ok()) {
    for (const Call& c : *calls) lines.push_back(Text(c));
  }
  absl::StatusOr<std::vector<Agent>> agents = engine_.ListAgents("");
  if (agents.ok()) {
    for (const Agent& a : *agents) lines.push_back(Text(a));
  }
  lines.push_back(absl::StrCat("next deadline ", Rel(engine_.NextDeadline())));
  return lines;
}

void Runner::Reload(Rng& rng, absl::Time t) {
  RoutingConfig next = Mutate(rng);
  bool broken = rng.Chance(0.05);
  if (broken) Break(next, rng);
  // Predict: a dangling name is INVALID_ARGUMENT; removing a queue with live
  // calls, or an agent on a call, is FAILED_PRECONDITION.
  absl::StatusCode want = broken ? absl::StatusCode::kInvalidArgument : absl::StatusCode::kOk;
  std::vector<std::string> removed_queues, removed_agents;
  for (const QueueConfig& q : config_.queues) {
    if (std::none_of(next.queues.begin(), next.queues.end(),
                     [&](const QueueConfig& n) { return n.name == q.name; })) {
      removed_queues.push_back(q.name);
      absl::StatusOr<QueueStats> s = engine_.GetQueueStats(q.name, t);
      int scheduled = 0;  // callbacks waiting for a retry
      for (const auto& [id, m] : calls_) {
        scheduled += m.queue == q.name && m.state == CallState::kCallbackScheduled;
      }
      int fallbacks = 0;  // transfers to an agent that fall back to it
      for (const auto& [id, m] : calls_) {
        fallbacks += !IsFinal(m.state) && m.transfer_fallback == q.name;
      }
      if (s.ok() &&
          s->queued + s->offered + s->connected + s->wrap_up + scheduled + fallbacks > 0 &&
          !broken) {
        want = absl::StatusCode::kFailedPrecondition;
      }
    }
  }
  for (const AgentConfig& a : config_.agents) {
    if (std::none_of(next.agents.begin(), next.agents.end(),
                     [&](const AgentConfig& n) { return n.agent_id == a.agent_id; })) {
      removed_agents.push_back(a.agent_id);
      AgentState s = ModelAgent(a.agent_id).state;
      if ((s == AgentState::kBusy || s == AgentState::kWrapUp) && !broken) {
        want = absl::StatusCode::kFailedPrecondition;
      }
    }
  }
  std::string what =
      absl::StrCat("reload -queues{", absl::StrJoin(removed_queues, ","), "} -agents{",
                   absl::StrJoin(removed_agents, ","), "}", broken ? " (broken)" : "");
  Note(what);
  if (verbose_) Note(absl::StrCat("\n", Text(next)));

  std::vector<std::string> before = Snapshot();
  absl::Status s = engine_.ApplyConfig(next, t);
  reloading_ = true;
  Finish(s, what);
  reloading_ = false;
  Expect(s, want, what);
  if (!s.ok()) {
    // A refused reload changes nothing at all.
    std::vector<std::string> after = Snapshot();
    if (fault_ == Fault::kReloadChange && !after.empty()) after.back() += "!";
    for (size_t i = 0; i < std::max(before.size(), after.size()); ++i) {
      std::string b = i < before.size() ? before[i] : "(none)";
      std::string a = i < after.size() ? after[i] : "(none)";
      if (a != b) return Fail("reload", what, " was refused yet changed\n  ", b, "\nto\n  ", a);
    }
    return;
  }
  int applied = 0;
  for (const Event& e : events_) applied += e.type == EventType::kConfigApplied;
  if (applied != 1) Fail("outcome", what, " emitted ", applied, " config_applied events");
  config_ = std::move(next);
  for (const std::string& q : removed_queues) {
    retired_queues_.push_back(q);
    last_stats_.erase(q);
  }
  for (const std::string& a : removed_agents) {
    retired_agents_.push_back(a);
    agents_.erase(a);
  }
  std::vector<std::string> want_agents, have_agents;
  for (const AgentConfig& a : config_.agents) want_agents.push_back(a.agent_id);
  std::sort(want_agents.begin(), want_agents.end());
  absl::StatusOr<std::vector<Agent>> agents = engine_.ListAgents("");
  if (agents.ok()) {
    for (const Agent& a : *agents) have_agents.push_back(a.agent_id);
  }
  if (want_agents != have_agents) {
    Fail("outcome", what, " left agents ", absl::StrJoin(have_agents, ","), "; expected ",
         absl::StrJoin(want_agents, ","));
  }
}

}  // namespace acd::core::property

// The property test's generator: random configs, operations and the scenarios they make.
#include "tests/core/property/generator.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/core/expr.h"
#include "server/core/schedule.h"
#include "server/core/types.h"

namespace acd::core::property {

namespace {

struct OpWeight {
  OpKind kind;
  int weight;
};
constexpr OpWeight kOpWeights[] = {
    {OpKind::kEnqueue, 22},
    {OpKind::kLogin, 9},
    {OpKind::kLogout, 3},
    {OpKind::kReady, 8},
    {OpKind::kAway, 3},
    {OpKind::kAccept, 12},
    {OpKind::kReject, 4},
    {OpKind::kAbandon, 8},
    {OpKind::kEnd, 8},
    {OpKind::kComplete, 6},
    {OpKind::kAdvance, 17},
    {OpKind::kReload, 1},
    {OpKind::kTransferToQueue, 3},
    {OpKind::kTransferToAgent, 3},
    {OpKind::kMoveCall, 2},
    {OpKind::kRequestCallback, 5},
    {OpKind::kCallbackFailed, 6},
};

}  // namespace

std::pair<absl::Duration, bool> DrawAdvance(Rng& rng) {
  int r = rng.Uniform(0, 99);
  absl::Duration d = r < 20   ? absl::ZeroDuration()
                     : r < 23 ? absl::Minutes(rng.Uniform(60, 480))
                              : absl::Seconds(rng.Uniform(1, 120));
  return {d, rng.Chance(0.5)};
}

std::pair<absl::Duration, bool> AdvanceOf(const Op& op) {
  if (op.advance) return {*op.advance, op.settle};
  Rng rng(op.seed);
  return DrawAdvance(rng);
}

LimitAction Overflow(const std::string& queue) { return {LimitAction::Kind::kOverflow, queue}; }

ExprPtr RandomCondition(Rng& rng, int depth) {
  int choice = rng.Uniform(0, depth < 2 ? 7 : 4);
  switch (choice) {
    case 0:
      return Expr::Compare("tier", Expr::Op::kEq, Literal::String(std::string(rng.Pick(kTiers))))
          .value();
    case 1: {
      std::string a(rng.Pick(kLanguages));
      std::string b(rng.Pick(kLanguages));
      return Expr::In("language", {Literal::String(a), Literal::String(b)}).value();
    }
    case 2: {
      Expr::Op op = rng.Chance(0.5) ? Expr::Op::kGe : Expr::Op::kLt;
      return Expr::Compare("age", op, Literal::Number(65)).value();
    }
    case 3:
      return Expr::Compare("language", Expr::Op::kNe, Literal::String("en")).value();
    case 4:
      return Expr::In("age", {Literal::Number(30), Literal::Number(70)}).value();
    case 5: {
      ExprPtr a = RandomCondition(rng, depth + 1);
      ExprPtr b = RandomCondition(rng, depth + 1);
      return Expr::And({a, b});
    }
    case 6: {
      ExprPtr a = RandomCondition(rng, depth + 1);
      ExprPtr b = RandomCondition(rng, depth + 1);
      return Expr::Or({a, b});
    }
    default:
      return Expr::Not(RandomCondition(rng, depth + 1));
  }
}

std::vector<RoutingRule> RandomRules(const RoutingConfig& config, Rng& rng) {
  std::vector<RoutingRule> rules;
  if (!rng.Chance(0.4)) return rules;
  int n = rng.Uniform(1, 3);
  for (int i = 0; i < n; ++i) {
    RoutingRule r;
    r.name = absl::StrCat("r", i);
    r.when = RandomCondition(rng, 0);
    r.queue = rng.Pick(config.queues).name;
    if (rng.Chance(0.5)) r.priority = rng.Uniform(0, 10);
    if (rng.Chance(0.3)) r.skills[std::string(rng.Pick(kSkillNames))] = rng.Uniform(1, 5);
    rules.push_back(std::move(r));
  }
  // Mostly a catch-all, so that unmatched calls are the exception.
  if (rng.Chance(0.9)) {
    RoutingRule r;
    r.name = "default";
    r.queue = rng.Pick(config.queues).name;
    rules.push_back(std::move(r));
  }
  return rules;
}

Schedule RandomSchedule(const std::string& name, Rng& rng) {
  Schedule s;
  s.name = name;
  s.zone = absl::UTCTimeZone();
  for (int d = 0; d < 7; ++d) {
    int cursor = rng.Uniform(4, 10) * 60;
    int intervals = rng.Uniform(0, 3);
    for (int i = 0; i < intervals; ++i) {
      int start = cursor + 15 * rng.Uniform(0, 12);
      int end = start + 15 * rng.Uniform(2, 16);
      if (end > kMinutesPerDay) break;
      s.weekly[d].push_back({start, end});
      cursor = end;
    }
  }
  if (rng.Chance(0.15)) s.holidays.push_back(absl::CivilDay(2027, 1, 15 + rng.Uniform(0, 2)));
  return s;
}

void RandomizeQueue(RoutingConfig& config, size_t i, Rng& rng) {
  std::vector<std::string> later, others;
  for (size_t j = 0; j < config.queues.size(); ++j) {
    if (j > i) later.push_back(config.queues[j].name);
    if (j != i) others.push_back(config.queues[j].name);
  }
  QueueConfig q;
  q.name = config.queues[i].name;
  q.strategy = rng.Pick(kStrategies);
  q.weight = rng.Uniform(1, 5);
  q.aging_per_minute = rng.Chance(0.5) ? 0.0 : 0.5 * rng.Uniform(1, 6);
  q.offer_timeout = absl::Seconds(rng.Uniform(5, 30));
  q.wrap_up_time = rng.Chance(0.3) ? absl::ZeroDuration() : absl::Seconds(rng.Uniform(1, 60));
  q.max_missed_offers = rng.Uniform(0, 3);
  q.random_seed = rng.Next();
  if (rng.Chance(0.3)) {
    q.max_size = rng.Uniform(1, 8);
    if (!later.empty() && rng.Chance(0.5)) q.on_full = Overflow(rng.Pick(later));
  }
  if (!others.empty() && rng.Chance(0.4)) {
    q.max_wait = absl::Seconds(rng.Uniform(30, 300));
    if (rng.Chance(0.5)) q.on_timeout = Overflow(rng.Pick(others));
  }
  if (!others.empty() && rng.Chance(0.25)) {
    q.max_wait_no_agent = absl::Seconds(rng.Uniform(20, 300));
    if (rng.Chance(0.5)) q.on_no_agent = Overflow(rng.Pick(others));
  }
  if (rng.Chance(0.4)) {
    absl::Duration after = absl::ZeroDuration();
    int steps = rng.Uniform(1, 3);
    for (int s = 0; s < steps; ++s) {
      EscalationStep step;
      after += absl::Seconds(rng.Uniform(10, 120));
      step.after = after;
      if (rng.Chance(0.5)) step.relax[std::string(rng.Pick(kSkillNames))] = rng.Uniform(1, 3);
      if (rng.Chance(0.3)) step.drop.push_back(std::string(rng.Pick(kSkillNames)));
      if (!others.empty() && rng.Chance(0.3)) step.add_queues.push_back(rng.Pick(others));
      q.escalation.push_back(std::move(step));
    }
  }
  if (!config.schedules.empty() && rng.Chance(0.35)) {
    q.schedule = rng.Pick(config.schedules).name;
    if (!later.empty() && rng.Chance(0.5)) q.on_closed = Overflow(rng.Pick(later));
    int waiting = rng.Uniform(0, 2);
    if (waiting == 1 && !others.empty()) q.closed_waiting = Overflow(rng.Pick(others));
    if (waiting == 2) q.closed_waiting = {LimitAction::Kind::kDisconnect, ""};
  }
  // Windows and retries of minutes, so that callbacks are retried and
  // withdrawn within a run.
  if (rng.Chance(0.5)) {
    q.callback.enabled = true;
    q.callback.offer_over =
        rng.Chance(0.5) ? absl::ZeroDuration() : absl::Seconds(rng.Uniform(10, 300));
    q.callback.window = absl::Seconds(rng.Uniform(60, 1200));
    q.callback.retry_interval = absl::Seconds(rng.Uniform(5, 240));
    q.callback.max_attempts = rng.Uniform(1, 4);
    q.callback.max_pending = rng.Chance(0.4) ? rng.Uniform(1, 3) : 0;
    q.expected_handle_time = absl::Seconds(rng.Uniform(30, 300));
  }
  config.queues[i] = std::move(q);
}

AgentConfig RandomAgent(const std::string& id, const RoutingConfig& config, Rng& rng) {
  AgentConfig a;
  a.agent_id = id;
  if (rng.Chance(0.5)) a.name = absl::StrCat("Agent ", id);
  for (absl::string_view skill : kSkillNames) {
    if (rng.Chance(0.7)) a.skills[std::string(skill)] = rng.Uniform(1, 10);
  }
  std::vector<std::string> queues;
  for (const QueueConfig& q : config.queues) queues.push_back(q.name);
  int n = std::min<int>(rng.Uniform(1, 3), queues.size());
  for (int i = 0; i < n; ++i) {
    int j = rng.Uniform(i, static_cast<int>(queues.size()) - 1);
    std::swap(queues[i], queues[j]);
    a.queues.push_back(queues[i]);
    if (rng.Chance(0.5)) a.penalties[queues[i]] = rng.Uniform(0, 2);
  }
  return a;
}

void ScrubQueue(RoutingConfig& config, const std::string& name, Rng& rng) {
  auto gone = [&](const LimitAction& a) {
    return a.kind == LimitAction::Kind::kOverflow && a.queue == name;
  };
  for (QueueConfig& q : config.queues) {
    if (gone(q.on_full)) q.on_full = {};
    if (gone(q.on_closed)) q.on_closed = {};
    if (gone(q.on_timeout)) q.on_timeout = {LimitAction::Kind::kDisconnect, ""};
    if (gone(q.on_no_agent)) q.on_no_agent = {LimitAction::Kind::kDisconnect, ""};
    if (gone(q.closed_waiting)) q.closed_waiting = {LimitAction::Kind::kKeep, ""};
    for (EscalationStep& s : q.escalation) std::erase(s.add_queues, name);
  }
  for (AgentConfig& a : config.agents) {
    std::erase(a.queues, name);
    a.penalties.erase(name);
    if (a.queues.empty()) a.queues.push_back(rng.Pick(config.queues).name);
  }
  for (RoutingRule& r : config.rules) {
    if (r.queue == name) r.queue = rng.Pick(config.queues).name;
  }
}

void ScrubSchedules(RoutingConfig& config) {
  for (QueueConfig& q : config.queues) {
    bool known = std::any_of(config.schedules.begin(), config.schedules.end(),
                             [&](const Schedule& s) { return s.name == q.schedule; });
    if (!q.schedule.empty() && !known) {
      q.schedule.clear();
      q.on_closed = {};
      q.closed_waiting = {LimitAction::Kind::kKeep, ""};
    }
  }
}

Scenario MakeScenario(uint64_t seed, int steps) {
  Rng rng(seed);
  Scenario s;
  s.seed = seed;
  int queues = rng.Uniform(2, kMaxQueues);
  for (int i = 0; i < queues; ++i) {
    s.config.queues.emplace_back();
    s.config.queues.back().name = absl::StrCat("q", i);
  }
  if (rng.Chance(0.4)) {
    int n = rng.Uniform(1, 2);
    for (int i = 0; i < n; ++i)
      s.config.schedules.push_back(RandomSchedule(absl::StrCat("s", i), rng));
  }
  for (int i = 0; i < queues; ++i) RandomizeQueue(s.config, i, rng);
  int agents = rng.Uniform(3, kMaxAgents);
  for (int i = 0; i < agents; ++i) {
    s.config.agents.push_back(RandomAgent(absl::StrCat("a", i), s.config, rng));
  }
  s.config.rules = RandomRules(s.config, rng);
  // Small memories make the engine forget finished calls within a run, so
  // that ids get reused.
  constexpr size_t kMemories[] = {1, 3, 20, 200, 100000};
  s.options.max_finished_calls = rng.Pick(kMemories);
  s.first_seq = rng.Chance(0.5) ? 1 : 1 + rng.Uniform(0, 1'000'000);
  int total = 0;
  for (const OpWeight& w : kOpWeights) total += w.weight;
  for (int i = 0; i < steps; ++i) {
    int r = rng.Uniform(0, total - 1);
    OpKind kind = kOpWeights[0].kind;
    for (const OpWeight& w : kOpWeights) {
      if (r < w.weight) {
        kind = w.kind;
        break;
      }
      r -= w.weight;
    }
    Op op;
    op.kind = kind;
    op.seed = rng.Next();
    s.ops.push_back(op);
  }
  return s;
}

}  // namespace acd::core::property

// The property test's checks on the state after every step, and on a restart from snapshots.
#include "tests/core/property/checks.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/schedule.h"
#include "server/core/types.h"
#include "tests/core/property/runner.h"
#include "tests/core/property/text.h"

namespace acd::core::property {

// --- The checks after every step ---

void Runner::CheckState() {
  if (absl::Status s = engine_.CheckInvariants(); !s.ok()) {
    return Fail("invariants", s.ToString());
  }
  absl::StatusOr<std::vector<Agent>> agents = engine_.ListAgents("");
  absl::StatusOr<std::vector<Call>> live = engine_.ListCalls("", {}, kNoLimit);
  if (!agents.ok() || !live.ok()) {
    return Fail("reads", "ListAgents: ", agents.status().ToString(),
                " ListCalls: ", live.status().ToString());
  }
  if (fault_ == Fault::kDoubleHold) {
    for (const Agent& a : *agents) {
      if (a.state != AgentState::kReserved) continue;
      for (Agent& b : *agents) {
        if (b.state == AgentState::kAvailable) {
          b.state = AgentState::kReserved;
          b.call_id = a.call_id;
          break;
        }
      }
      break;
    }
  }
  CheckPairs(*agents, *live);
  if (ok()) CheckModel(*agents, *live);
  if (ok()) CheckQueues(*agents, *live);
  if (ok()) CheckMemory();
}

// A call is held by at most one agent and an agent holds at most one call,
// each naming the other.
void Runner::CheckPairs(const std::vector<Agent>& agents, const std::vector<Call>& live) {
  absl::flat_hash_map<std::string, const Call*> by_id;
  for (const Call& c : live) {
    if (IsFinal(c.state)) return Fail("pairing", "ListCalls lists finished ", Text(c));
    by_id[c.call_id] = &c;
    if ((c.state == CallState::kQueued) != (c.position > 0)) {
      return Fail("pairing", Text(c), " has the wrong position");
    }
  }
  absl::flat_hash_map<std::string, const Agent*> holder;
  for (const Agent& a : agents) {
    bool holds = a.state == AgentState::kReserved || a.state == AgentState::kBusy ||
                 a.state == AgentState::kWrapUp;
    if (holds != !a.call_id.empty()) return Fail("pairing", Text(a), ": state and call disagree");
    if (!holds) continue;
    auto [it, fresh] = holder.emplace(a.call_id, &a);
    if (!fresh) {
      return Fail("pairing", "call ", a.call_id, " is held by both ", it->second->agent_id, " and ",
                  a.agent_id);
    }
    auto call = by_id.find(a.call_id);
    if (call == by_id.end()) return Fail("pairing", Text(a), " holds a call that is not live");
    CallState want = a.state == AgentState::kReserved ? CallState::kOffered
                     : a.state == AgentState::kBusy   ? CallState::kConnected
                                                      : CallState::kWrapUp;
    if (call->second->state != want || call->second->agent_id != a.agent_id) {
      return Fail("pairing", Text(a), " holds ", Text(*call->second));
    }
    std::optional<Call> offer = engine_.OutstandingOffer(a.agent_id);
    if ((a.state == AgentState::kReserved) != offer.has_value() ||
        (offer && offer->call_id != a.call_id)) {
      return Fail("pairing", Text(a), " has outstanding offer ", offer ? offer->call_id : "(none)");
    }
  }
  for (const Call& c : live) {
    bool held = c.state != CallState::kQueued && c.state != CallState::kCallbackScheduled;
    if (held && !holder.contains(c.call_id)) {
      return Fail("pairing", Text(c), " is held by no agent");
    }
    if (!held && holder.contains(c.call_id)) {
      return Fail("pairing", Text(c), " is waiting yet held by ", holder[c.call_id]->agent_id);
    }
  }
}

// Replaying the events gives the live state of every call and agent.
void Runner::CheckModel(const std::vector<Agent>& agents, const std::vector<Call>& live) {
  for (const Call& c : live) {
    auto it = calls_.find(c.call_id);
    if (it == calls_.end()) return Fail("model", Text(c), " is live but no event queued it");
    const ModelCall& m = it->second;
    if (m.state != c.state || m.queue != c.queue || m.agent_id != c.agent_id ||
        m.priority != c.priority || m.missed_offers != c.missed_offers ||
        m.transfers != c.transfers || m.transfer_fallback != c.transfer_fallback ||
        m.callback_number != c.callback_number || m.callback_attempts != c.callback_attempts) {
      return Fail("model", Text(c), " but its events say ", CallStateName(m.state), " in ", m.queue,
                  " with '", m.agent_id, "' p=", m.priority, " missed=", m.missed_offers,
                  " transfers=", m.transfers, " fallback=", m.transfer_fallback,
                  " cb=", m.callback_number, "/", m.callback_attempts);
    }
  }
  if (model_live_ != live.size()) {
    for (const auto& [id, m] : calls_) {
      if (IsFinal(m.state)) continue;
      const std::string& call_id = id;  // clang 14 cannot capture a structured binding
      if (std::none_of(live.begin(), live.end(),
                       [&](const Call& c) { return c.call_id == call_id; })) {
        return Fail("model", "events say ", id, " is ", CallStateName(m.state),
                    " but ListCalls does not list it");
      }
    }
  }
  for (const Agent& a : agents) {
    auto it = agents_.find(a.agent_id);
    if (it == agents_.end()) {
      if (a.state != AgentState::kLoggedOut || a.calls_handled != 0) {
        return Fail("model", Text(a), " but no event reported it");
      }
      continue;
    }
    const Agent& m = it->second;
    if (m.state != a.state || m.call_id != a.call_id || m.away_reason != a.away_reason ||
        m.pending_away_reason != a.pending_away_reason || m.calls_handled != a.calls_handled ||
        m.talk_time != a.talk_time || m.consecutive_missed_offers != a.consecutive_missed_offers ||
        m.wrap_up_until != a.wrap_up_until || m.state_since != a.state_since ||
        (a.state == AgentState::kAvailable && m.idle_since != a.idle_since)) {
      return Fail("model", Text(a), "\n  but its events say ", Text(m));
    }
  }
}

// GetQueueStats agrees with ListCalls and ListAgents; no available member
// could take a call waiting in its queue; `open` follows the schedule.
void Runner::CheckQueues(const std::vector<Agent>& all_agents, const std::vector<Call>& live) {
  std::vector<QueueConfig> queues = engine_.Queues();
  std::vector<std::string> have, want;
  for (const QueueConfig& q : queues) have.push_back(q.name);
  for (const QueueConfig& q : config_.queues) want.push_back(q.name);
  std::sort(want.begin(), want.end());
  if (have != want) {
    return Fail("stats", "Queues() lists ", absl::StrJoin(have, ","), "; the config has ",
                absl::StrJoin(want, ","));
  }
  std::optional<absl::Time> next = engine_.NextDeadline();
  bool settled = !next || *next > engine_now_;
  // Pending callbacks by queue, as the events say; none outlives its window
  // (of its queue when asked).
  absl::flat_hash_map<std::string, int> callbacks;
  for (const auto& [id, m] : calls_) {
    if (!m.callback_pending || IsFinal(m.state)) continue;
    callbacks[m.queue]++;
    if (settled && m.state == CallState::kQueued &&
        engine_now_ >= m.callback_requested + m.callback_window) {
      return Fail("callback", "callback ", id, " asked at ", Rel(m.callback_requested),
                  " still waits in ", m.queue, " at ", Rel(engine_now_), " after its window of ",
                  absl::FormatDuration(m.callback_window));
    }
  }
  absl::flat_hash_map<std::pair<std::string, int>, int> listed;  // (queue, live state) -> calls
  for (const Call& c : live) {
    int i = std::find(std::begin(kLiveStates), std::end(kLiveStates), c.state) -
            std::begin(kLiveStates);
    listed[{c.queue, i}]++;
  }
  // Members by the config (each ListAgents copies every agent, so one
  // queue a step is also read with ListAgents(queue) and compared).
  absl::flat_hash_map<std::string, const Agent*> by_id;
  for (const Agent& a : all_agents) by_id[a.agent_id] = &a;
  absl::flat_hash_map<std::string, std::vector<const Agent*>> members;
  for (const AgentConfig& a : config_.agents) {
    auto it = by_id.find(a.agent_id);
    if (it == by_id.end()) return Fail("stats", "ListAgents misses agent ", a.agent_id);
    for (const std::string& q : a.queues) members[q].push_back(it->second);
  }
  const std::string& sampled = config_.queues[step_ % config_.queues.size()].name;
  if (absl::StatusOr<std::vector<Agent>> agents = engine_.ListAgents(sampled); agents.ok()) {
    auto brief = [](const Agent& a) {
      return absl::StrCat(a.agent_id, " ", AgentStateName(a.state), " ", a.call_id);
    };
    std::vector<std::string> have, want;
    for (const Agent& a : *agents) have.push_back(brief(a));
    for (const Agent* a : members[sampled]) want.push_back(brief(*a));
    std::sort(want.begin(), want.end());
    if (have != want) {
      return Fail("stats", "ListAgents(", sampled, ") lists\n  ", absl::StrJoin(have, "\n  "),
                  "\nbut its members are\n  ", absl::StrJoin(want, "\n  "));
    }
  } else {
    return Fail("stats", "ListAgents(", sampled, "): ", agents.status().ToString());
  }
  for (const QueueConfig& q : config_.queues) {
    absl::StatusOr<QueueStats> stats = engine_.GetQueueStats(q.name, engine_now_);
    if (!stats.ok()) return Fail("stats", q.name, ": ", stats.status().ToString());
    if (fault_ == Fault::kStatsCount) stats->queued++;
    if (fault_ == Fault::kAgentStats) stats->agents_available++;
    if (fault_ == Fault::kCallbackCount) stats->callbacks_pending++;
    if (stats->callbacks_pending != callbacks[q.name]) {
      return Fail("callback-stats", Text(*stats), " counts ", stats->callbacks_pending,
                  " pending callbacks; the events say ", callbacks[q.name]);
    }
    const int counted[] = {stats->queued, stats->offered, stats->connected, stats->wrap_up};
    for (int i = 0; i < 4; ++i) {
      if (listed[{q.name, i}] != counted[i]) {
        return Fail("stats", Text(*stats), ": ListCalls lists ", listed[{q.name, i}], " ",
                    CallStateName(kLiveStates[i]));
      }
      // ListCalls(queue, {state}) too, one (queue, state) a step: each
      // scans every call the engine remembers.
      if (++rotation_ % (4 * config_.queues.size()) != 0) continue;
      absl::StatusOr<std::vector<Call>> only =
          engine_.ListCalls(q.name, {kLiveStates[i]}, kNoLimit);
      if (!only.ok() || static_cast<int>(only->size()) != counted[i]) {
        return Fail("stats", Text(*stats), ": ListCalls(", q.name, ", ",
                    CallStateName(kLiveStates[i]), ") lists ",
                    only.ok() ? absl::StrCat(only->size()) : only.status().ToString());
      }
    }
    int by_state[6] = {};
    for (const Agent* a : members[q.name]) by_state[static_cast<int>(a->state)]++;
    const int agent_counts[] = {stats->agents_logged_out, stats->agents_available,
                                stats->agents_reserved,   stats->agents_busy,
                                stats->agents_wrap_up,    stats->agents_away};
    for (int i = 0; i < 6; ++i) {
      if (by_state[i] != agent_counts[i]) {
        return Fail("agent-stats", Text(*stats), ": ListAgents has ", by_state[i], " ",
                    AgentStateName(static_cast<AgentState>(i)));
      }
    }
    // Counts of finished calls only grow.
    auto [last, fresh] = last_stats_.emplace(q.name, *stats);
    if (!fresh) {
      if (stats->completed < last->second.completed || stats->abandoned < last->second.abandoned ||
          stats->timed_out < last->second.timed_out ||
          stats->overflowed < last->second.overflowed) {
        return Fail("stats", Text(*stats), " went down from ", Text(last->second));
      }
      last->second = *stats;
    }
    if (settled) {
      bool open = true;
      for (const Schedule& s : config_.schedules) {
        if (s.name == q.schedule) open = IsOpen(s, engine_now_);
      }
      if (fault_ == Fault::kOpen && !q.schedule.empty()) open = !open;
      if (stats->open != open) {
        return Fail("open", Text(*stats), " at ", Rel(engine_now_), "; its schedule says ",
                    open ? "open" : "closed");
      }
    }
    if (stats->longest_wait < absl::ZeroDuration()) return Fail("stats", Text(*stats));
  }
  for (const Call& c : live) {
    if (c.state != CallState::kQueued) continue;
    SkillLevels need = fault_ == Fault::kEligible ? SkillLevels{} : c.effective_skills;
    for (const Agent* a : members[c.queue]) {
      if (a->state != AgentState::kAvailable) continue;
      bool covers = std::all_of(need.begin(), need.end(), [&](const auto& skill) {
        auto it = a->skills.find(skill.first);
        return it != a->skills.end() && it->second >= skill.second;
      });
      if (covers) return Fail("eligible", Text(c), " waits while ", Text(*a), " is available");
    }
  }
}

// A restart from the events' latest snapshots (what the store keeps) at
// this instant takes back the same live state. Offers out are withdrawn
// and routed again, so an offered or waiting call may be offered to
// someone else, and an offered call past its max_wait (which an offer
// defers) meets its limit.
void Runner::CheckRestore() {
  if (fault_ != Fault::kNone) return;  // the fault tests look for their own checks
  Engine after;
  if (absl::Status s = after.ApplyConfig(config_, engine_now_); !s.ok()) {
    return Fail("restore", "the config was refused: ", s.ToString());
  }
  if (absl::Status s = after.Restore(fold_.State(), engine_now_); !s.ok()) {
    return Fail("restore", s.ToString());
  }
  if (absl::Status s = after.CheckInvariants(); !s.ok()) {
    return Fail("restore", "after the restore: ", s.ToString());
  }
  std::vector<Event> restore_events = after.TakeEvents();
  auto told = [&](const std::string& call_id) {
    std::vector<std::string> out;
    for (const Event& e : restore_events) {
      if (e.call_id == call_id)
        out.push_back(absl::StrCat(EventTypeName(e.type), "(", e.reason, ")"));
    }
    return absl::StrCat(" [restore events: ", absl::StrJoin(out, " "), "]");
  };
  absl::StatusOr<std::vector<Call>> live = engine_.ListCalls("", {}, kNoLimit);
  absl::StatusOr<std::vector<Call>> back = after.ListCalls("", {}, kNoLimit);
  if (!live.ok() || !back.ok()) return Fail("restore", "ListCalls failed");
  absl::flat_hash_map<std::string, const Call*> restored;
  for (const Call& c : *back) restored[c.call_id] = &c;
  auto waiting = [](CallState s) { return s == CallState::kQueued || s == CallState::kOffered; };
  // Per queue, the calls waiting in both, by their place before.
  absl::btree_map<std::string, std::vector<std::pair<int, int>>> places;
  for (const Call& c : *live) {
    auto it = restored.find(c.call_id);
    if (it == restored.end()) {
      absl::StatusOr<Call> gone = after.GetCall(c.call_id);
      bool met_limit = c.state == CallState::kOffered && gone.ok() && IsFinal(gone->state);
      if (!met_limit) {
        return Fail("restore", Text(c), " is not live after the restore: ",
                    gone.ok() ? Text(*gone) : gone.status().ToString(), told(c.call_id));
      }
      continue;
    }
    const Call& r = *it->second;
    restored.erase(it);
    bool same = r.state == c.state && r.queue == c.queue && r.agent_id == c.agent_id;
    if (c.state == CallState::kQueued) same = waiting(r.state) && r.queue == c.queue;
    if (c.state == CallState::kOffered) same = waiting(r.state);
    if (!same) return Fail("restore", Text(c), " came back as ", Text(r), told(c.call_id));
    if (c.state == CallState::kQueued && r.state == CallState::kQueued) {
      places[c.queue].push_back({c.position, r.position});
    }
  }
  if (!restored.empty()) {
    return Fail("restore", Text(*restored.begin()->second), " appeared from nowhere");
  }
  for (auto& [queue, pairs] : places) {
    std::sort(pairs.begin(), pairs.end());
    for (size_t i = 1; i < pairs.size(); ++i) {
      if (pairs[i].second < pairs[i - 1].second) {
        return Fail("restore", "queue ", queue, ": places ", pairs[i - 1].first, " and ",
                    pairs[i].first, " came back as ", pairs[i - 1].second, " and ",
                    pairs[i].second);
      }
    }
  }
  absl::StatusOr<std::vector<Agent>> agents = engine_.ListAgents("");
  absl::StatusOr<std::vector<Agent>> agents_back = after.ListAgents("");
  if (!agents.ok() || !agents_back.ok() || agents->size() != agents_back->size()) {
    return Fail("restore", "ListAgents differs");
  }
  auto idle = [](AgentState s) {
    return s == AgentState::kAvailable || s == AgentState::kReserved;
  };
  for (size_t i = 0; i < agents->size(); ++i) {
    const Agent& a = (*agents)[i];
    const Agent& b = (*agents_back)[i];
    bool same = a.agent_id == b.agent_id &&
                (a.state == b.state || (idle(a.state) && idle(b.state))) &&
                a.away_reason == b.away_reason &&
                (a.state == AgentState::kReserved || idle(a.state) || a.call_id == b.call_id);
    if (!same) return Fail("restore", Text(a), " came back as ", Text(b));
  }
}

// The engine remembers the newest max_finished_calls finished calls.
void Runner::CheckMemory() {
  if (!finished_.empty()) {
    for (const std::string& id : {finished_.front(), finished_.back()}) {
      absl::StatusOr<Call> c = engine_.GetCall(id);
      if (!c.ok() || !IsFinal(c->state)) {
        return Fail("memory", "finished call ", id, " reads as ",
                    c.ok() ? Text(*c) : c.status().ToString());
      }
    }
  }
  if (!forgotten_.empty() && !calls_.contains(forgotten_)) {
    absl::StatusOr<Call> c = engine_.GetCall(forgotten_);
    if (c.status().code() != absl::StatusCode::kNotFound) {
      return Fail("memory", "forgotten call ", forgotten_, " reads as ",
                  c.ok() ? Text(*c) : c.status().ToString());
    }
  }
}

}  // namespace acd::core::property

// SnapshotFold: folds engine events into what the store's tables hold (the
// latest snapshot of each call and agent, each call's request) and hands it
// back as a core::RestoredState, as server/store/live_state.cc reads it from
// SQLite. Lets engine tests restart an engine from its own events.
#ifndef ACD_TESTS_CORE_SNAPSHOT_FOLD_H_
#define ACD_TESTS_CORE_SNAPSHOT_FOLD_H_

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "server/core/engine.h"

namespace acd::core {

class SnapshotFold {
 public:
  void Add(const Event& e) {
    if (e.call) {
      auto& [call, last_seq] = calls_[e.call->call_id];
      call.call = *e.call;
      last_seq = e.seq;
      // A reused id gets the new call's request with its creation event.
      if (e.request) call.request = *e.request;
    }
    if (e.agent) agents_[e.agent->agent_id] = *e.agent;
  }
  void Add(const std::vector<Event>& events) {
    for (const Event& e : events) Add(e);
  }

  // The live calls, the latest `max_finished` finished ones (oldest first)
  // and every agent, as a restart reads them.
  RestoredState State(size_t max_finished = EngineOptions{}.max_finished_calls) const {
    RestoredState state;
    std::vector<std::pair<int64_t, const RestoredCall*>> finished;
    for (const auto& [id, row] : calls_) {
      const auto& [call, last_seq] = row;
      if (IsFinal(call.call.state)) {
        finished.emplace_back(last_seq, &call);
      } else {
        state.calls.push_back(call);
      }
    }
    std::sort(finished.begin(), finished.end());
    size_t skip = finished.size() > max_finished ? finished.size() - max_finished : 0;
    for (size_t i = skip; i < finished.size(); ++i) state.finished.push_back(*finished[i].second);
    for (const auto& [id, agent] : agents_) state.agents.push_back(agent);
    return state;
  }

 private:
  // Each call's latest snapshot and the seq of the event that carried it.
  absl::btree_map<std::string, std::pair<RestoredCall, int64_t>> calls_;
  absl::btree_map<std::string, Agent> agents_;
};

}  // namespace acd::core

#endif  // ACD_TESTS_CORE_SNAPSHOT_FOLD_H_

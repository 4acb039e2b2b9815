// SnapshotFold: folds engine events into what the store's tables hold (the
// latest snapshot of each call and agent, each call's request) and hands it
// back as a core::RestoredState, as server/store/live_state.cc reads it from
// SQLite. Lets engine tests restart an engine from its own events.
#ifndef ACD_TESTS_CORE_SNAPSHOT_FOLD_H_
#define ACD_TESTS_CORE_SNAPSHOT_FOLD_H_

#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "server/core/engine.h"

namespace acd::core {

class SnapshotFold {
 public:
  void Add(const Event& e) {
    if (e.call) {
      RestoredCall& call = calls_[e.call->call_id];
      call.call = *e.call;
      // A reused id gets the new call's request with its creation event.
      if (e.request) call.request = *e.request;
    }
    if (e.agent) agents_[e.agent->agent_id] = *e.agent;
  }
  void Add(const std::vector<Event>& events) {
    for (const Event& e : events) Add(e);
  }

  // The live calls and every agent, as a restart reads them.
  RestoredState State() const {
    RestoredState state;
    for (const auto& [id, call] : calls_) {
      if (!IsFinal(call.call.state)) state.calls.push_back(call);
    }
    for (const auto& [id, agent] : agents_) state.agents.push_back(agent);
    return state;
  }

 private:
  absl::btree_map<std::string, RestoredCall> calls_;
  absl::btree_map<std::string, Agent> agents_;
};

}  // namespace acd::core

#endif  // ACD_TESTS_CORE_SNAPSHOT_FOLD_H_

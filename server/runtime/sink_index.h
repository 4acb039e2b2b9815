// SinkIndex: the runtime's subscribers, indexed by what they want, so that a
// committed event costs work only for the sinks interested in it.
//
// A sink states its Interest when it subscribes: a call, an agent and a queue
// (each empty for any; the ones set must all match, like WatchEvents'
// filter), or no events at all (a stats watcher, fed by ticks only). A sink
// is kept under one key, the most selective it names (call, then agent, then
// queue); sinks that name none are kept apart and see every event. An event
// is therefore looked up at most three times, whatever the number of sinks:
// 10,000 agent desktops cost one hash lookup per event, not 10,000 filters.
//
// Thread safety: none; the runtime keeps it on the engine thread.
#ifndef ACD_SERVER_RUNTIME_SINK_INDEX_H_
#define ACD_SERVER_RUNTIME_SINK_INDEX_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "server/core/types.h"

namespace acd::runtime {

class EventSink;

// Which committed events a subscriber is handed.
struct Interest {
  // False: none (the sink is fed by ticks only); the fields below are unused.
  bool events = true;
  // Empty matches any value; the ones set must all match.
  std::string call_id;
  std::string agent_id;
  std::string queue;

  static Interest None() { return Interest{.events = false}; }
  static Interest Agent(std::string agent_id) { return Interest{.agent_id = std::move(agent_id)}; }
  bool Matches(const core::Event& event) const;
};

class SinkIndex {
 public:
  // Adds `sink` under `id` (unique among those present).
  void Add(uint64_t id, const Interest& interest, std::shared_ptr<EventSink> sink);
  // Removes the sink `id`, if present.
  void Remove(uint64_t id);
  // The sink `id`, or null.
  EventSink* Find(uint64_t id) const;
  size_t size() const { return entries_.size(); }

  // Calls `deliver` once for each sink interested in `event`, in no set
  // order. A sink for which it returns false is removed (after the pass) and
  // its id passed to `dropped`.
  void Deliver(const core::Event& event, absl::FunctionRef<bool(EventSink&)> deliver,
               absl::FunctionRef<void(uint64_t id)> dropped);

  // Removes every sink, handing each to `fn` first.
  void Clear(absl::FunctionRef<void(EventSink&)> fn);

 private:
  using Bucket = std::vector<uint64_t>;
  struct Entry {
    Interest interest;
    std::shared_ptr<EventSink> sink;
  };
  // The bucket `interest` is kept in; null for a sink that takes no events.
  Bucket* BucketFor(const Interest& interest);
  void Visit(const Bucket& bucket, const core::Event& event,
             absl::FunctionRef<bool(EventSink&)> deliver);

  absl::flat_hash_map<uint64_t, Entry> entries_;
  absl::flat_hash_map<std::string, Bucket> by_call_;
  absl::flat_hash_map<std::string, Bucket> by_agent_;
  absl::flat_hash_map<std::string, Bucket> by_queue_;
  Bucket everything_;
  std::vector<uint64_t> dropped_;  // during Deliver
};

}  // namespace acd::runtime

#endif  // ACD_SERVER_RUNTIME_SINK_INDEX_H_

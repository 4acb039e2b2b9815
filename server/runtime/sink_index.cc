#include "server/runtime/sink_index.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "server/runtime/runtime.h"  // EventSink

namespace acd::runtime {

bool Interest::Matches(const core::Event& event) const {
  return events && (call_id.empty() || event.call_id == call_id) &&
         (agent_id.empty() || event.agent_id == agent_id) &&
         (queue.empty() || event.queue == queue);
}

SinkIndex::Bucket* SinkIndex::BucketFor(const Interest& interest) {
  if (!interest.events) return nullptr;
  if (!interest.call_id.empty()) return &by_call_[interest.call_id];
  if (!interest.agent_id.empty()) return &by_agent_[interest.agent_id];
  if (!interest.queue.empty()) return &by_queue_[interest.queue];
  return &everything_;
}

void SinkIndex::Add(uint64_t id, const Interest& interest, std::shared_ptr<EventSink> sink) {
  auto [it, added] = entries_.try_emplace(id, Entry{interest, std::move(sink)});
  assert(added && "a sink id subscribed twice");
  (void)added;
  if (Bucket* bucket = BucketFor(interest)) bucket->push_back(id);
}

void SinkIndex::Remove(uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const Interest& interest = it->second.interest;
  if (Bucket* bucket = BucketFor(interest)) {
    std::erase(*bucket, id);
    // Emptied keys go, so a day of calls does not leave a key per call.
    if (bucket->empty() && bucket != &everything_) {
      if (!interest.call_id.empty()) {
        by_call_.erase(interest.call_id);
      } else if (!interest.agent_id.empty()) {
        by_agent_.erase(interest.agent_id);
      } else {
        by_queue_.erase(interest.queue);
      }
    }
  }
  entries_.erase(it);
}

EventSink* SinkIndex::Find(uint64_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second.sink.get();
}

void SinkIndex::Visit(const Bucket& bucket, const core::Event& event,
                      absl::FunctionRef<bool(EventSink&)> deliver) {
  for (uint64_t id : bucket) {
    const Entry& entry = entries_.at(id);
    if (entry.interest.Matches(event) && !deliver(*entry.sink)) dropped_.push_back(id);
  }
}

void SinkIndex::Deliver(const core::Event& event, absl::FunctionRef<bool(EventSink&)> deliver,
                        absl::FunctionRef<void(uint64_t id)> dropped) {
  dropped_.clear();
  auto visit_key = [&](const absl::flat_hash_map<std::string, Bucket>& map,
                       const std::string& key) {
    if (key.empty() || map.empty()) return;
    if (auto it = map.find(key); it != map.end()) Visit(it->second, event, deliver);
  };
  visit_key(by_call_, event.call_id);
  visit_key(by_agent_, event.agent_id);
  visit_key(by_queue_, event.queue);
  Visit(everything_, event, deliver);
  // Removed after the pass: the buckets are not changed while walked.
  for (uint64_t id : dropped_) {
    Remove(id);
    dropped(id);
  }
}

void SinkIndex::Clear(absl::FunctionRef<void(EventSink&)> fn) {
  for (auto& [id, entry] : entries_) fn(*entry.sink);
  entries_.clear();
  by_call_.clear();
  by_agent_.clear();
  by_queue_.clear();
  everything_.clear();
}

}  // namespace acd::runtime

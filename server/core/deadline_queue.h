// DeadlineQueue: the engine's pending deadlines (offer timeouts, wrap-up
// ends, wait limits, escalation steps, schedule edges, callback retries and
// windows), earliest first.
//
// A deadline is never taken out when it stops applying (the offer was
// answered, the call moved on). Its owner bumps a generation instead, and the
// deadline is dropped when it reaches the front and the owner calls it stale
// (lazy deletion): Next() asks about the front only, so a command costs no
// search of the queue.
//
// Deadlines at the same time come out in the order they were pushed, so the
// same commands give the same events anywhere.
//
// Thread safety: none; owned by the engine thread like the engine.
#ifndef ACD_SERVER_CORE_DEADLINE_QUEUE_H_
#define ACD_SERVER_CORE_DEADLINE_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace acd::core {

enum class DeadlineKind {
  kOfferTimeout,    // id: call
  kWrapUpEnd,       // id: agent
  kMaxWait,         // id: call
  kNoAgent,         // id: call
  kEscalation,      // id: call
  kScheduleEdge,    // id: queue
  kCallbackRetry,   // id: call
  kCallbackWindow,  // id: call
};

struct Deadline {
  absl::Time at;
  uint64_t order;  // FIFO among equal times, for determinism
  DeadlineKind kind;
  std::string id;
  uint64_t generation;
  bool operator>(const Deadline& o) const {
    if (at != o.at) return at > o.at;
    return order > o.order;
  }
};

class DeadlineQueue {
 public:
  // Adds a deadline; among equal times, after those pushed before it.
  void Push(absl::Time at, DeadlineKind kind, std::string id, uint64_t generation);

  // The time of the earliest deadline that is not stale, if any. Drops the
  // stale ones before it first: `is_stale(const Deadline&)` is asked about
  // the front only, until it answers false or the queue is empty.
  template <typename IsStale>
  std::optional<absl::Time> Next(IsStale&& is_stale) {
    while (!heap_.empty() && is_stale(heap_.top())) heap_.pop();
    if (heap_.empty()) return std::nullopt;
    return heap_.top().at;
  }

  // Takes out the earliest deadline, stale or not (Next() drops the stale
  // ones first). The queue must not be empty.
  Deadline Pop();

  bool empty() const { return heap_.empty(); }
  // Pending deadlines, stale ones not yet dropped included.
  size_t size() const { return heap_.size(); }

 private:
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> heap_;
  uint64_t next_order_ = 1;
};

}  // namespace acd::core

#endif  // ACD_SERVER_CORE_DEADLINE_QUEUE_H_

// DeadlineQueue: pushing and popping the engine's deadline heap.
#include "server/core/deadline_queue.h"

#include <cassert>
#include <utility>

namespace acd::core {

void DeadlineQueue::Push(absl::Time at, DeadlineKind kind, std::string id, uint64_t generation) {
  heap_.push(Deadline{at, next_order_++, kind, std::move(id), generation});
}

Deadline DeadlineQueue::Pop() {
  assert(!heap_.empty());
  Deadline d = heap_.top();
  heap_.pop();
  return d;
}

}  // namespace acd::core

#include "server/store/config_journal.h"

#include <utility>

namespace acd::store {

void ConfigJournal::Add(int64_t from_seq, ConfigVersion version) {
  MutexLock lock(&mu_);
  pending_[from_seq] = std::move(version);
}

std::optional<std::pair<int64_t, ConfigVersion>> ConfigJournal::ForEvent(int64_t seq) const {
  MutexLock lock(&mu_);
  auto it = pending_.upper_bound(seq);
  if (it == pending_.begin()) return std::nullopt;
  --it;
  return std::make_pair(it->first, it->second);
}

void ConfigJournal::Committed(const std::vector<int64_t>& keys) {
  MutexLock lock(&mu_);
  for (int64_t key : keys) pending_.erase(key);
}

size_t ConfigJournal::pending() const {
  MutexLock lock(&mu_);
  return pending_.size();
}

}  // namespace acd::store

// ConfigJournal: applied configs waiting to be written to `config_versions`
// in the same transaction as their `config_applied` event.
//
// Why: the store thread owns the SQLite connection, and a config version must
// be exactly as durable as the event that says it was applied (never a row for
// a config the log does not show applied, nor the reverse after a crash). So
// whoever applies a config on the engine thread adds it here, keyed by the
// first seq that apply may emit; EventStore::Append, on the store thread,
// writes each pending version with the first `config_applied` event at or
// after its key, in that event's transaction, and forgets it once committed.
//
// Add() must happen before the events of the apply are handed to the store
// writer (the engine thread does both, in that order).
//
// Thread safety: every method may be called from any thread.
#ifndef ACD_SERVER_STORE_CONFIG_JOURNAL_H_
#define ACD_SERVER_STORE_CONFIG_JOURNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "server/base/mutex.h"

namespace acd::store {

// One row of `config_versions`.
struct ConfigVersion {
  std::string hash;  // SHA-256 of `text`, hex
  std::string text;  // the exact config text
  absl::Time applied_at;
};

class ConfigJournal {
 public:
  // `from_seq`: the engine's next seq before the apply; its config_applied
  // event has this seq or a later one. One version per apply.
  void Add(int64_t from_seq, ConfigVersion version);

  // The version a config_applied event with `seq` records: the pending one
  // with the highest key at or below `seq`, with that key. Not removed.
  std::optional<std::pair<int64_t, ConfigVersion>> ForEvent(int64_t seq) const;

  // Forgets the versions with these keys (their rows are committed).
  void Committed(const std::vector<int64_t>& keys);

  size_t pending() const;

 private:
  mutable Mutex mu_;
  std::map<int64_t, ConfigVersion> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace acd::store

#endif  // ACD_SERVER_STORE_CONFIG_JOURNAL_H_

// Config diff: what applying one config over another would change, for the
// ValidateConfig dry run. Queues, agents, rules, schedules, auth tokens and
// the server section are compared by name; a changed one lists each key that
// differs, with the old and new value in the file's terms (never a token's
// secret or its hash: only that it changed), e.g.
//   queue support: offer_timeout 20s -> 30s, callback added
//   token desk-alice: role agent -> supervisor, secret changed
//
// Thread safety: pure functions over values; call them from any thread.
#ifndef ACD_SERVER_CONFIG_CONFIG_DIFF_H_
#define ACD_SERVER_CONFIG_CONFIG_DIFF_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "server/config/config.h"

namespace acd::config {

enum class ChangeKind { kAdded, kRemoved, kChanged };
// What changed: "queue", "agent", "rule", "schedule", "token" or "server".
enum class ChangeSection { kServer, kQueue, kAgent, kRule, kSchedule, kToken };

absl::string_view ChangeKindName(ChangeKind kind);           // "added" ...
absl::string_view ChangeSectionName(ChangeSection section);  // "queue" ...

struct ConfigChange {
  ChangeSection section = ChangeSection::kQueue;
  ChangeKind kind = ChangeKind::kChanged;
  std::string name;  // queue name, agent id, rule, schedule or token name; "server"
  // For kChanged: one entry per key, "offer_timeout 20s -> 30s",
  // "callback added", "skills {english: 4} -> {english: 5}". Empty otherwise.
  std::vector<std::string> what;

  // "queue support: offer_timeout 20s -> 30s, callback added",
  // "agent dave added", "rule vip removed".
  std::string ToString() const;
  bool operator==(const ConfigChange&) const = default;
};

// The changes from `running` to `candidate`: server first, then schedules,
// queues, agents, rules and tokens; within each, changed and added ones in the
// candidate's order, then removed ones in the running order. Empty when they
// configure the same thing (comments and key order do not count).
std::vector<ConfigChange> DiffConfigs(const Config& running, const Config& candidate);

}  // namespace acd::config

#endif  // ACD_SERVER_CONFIG_CONFIG_DIFF_H_

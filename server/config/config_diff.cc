#include "server/config/config_diff.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "server/core/expr.h"

namespace acd::config {
namespace {

// One key of a queue, agent, rule, schedule or the server section, as the
// file would say it. A key absent from one side was added or removed; a
// `terse` key is reported as "changed" without values (too long to quote).
struct Field {
  std::string key;
  std::string value;
  bool terse = false;
};
using Fields = std::vector<Field>;

std::string Dur(absl::Duration d) { return absl::FormatDuration(d); }

std::string Action(const core::LimitAction& a) {
  switch (a.kind) {
    case core::LimitAction::Kind::kReject:
      return "reject";
    case core::LimitAction::Kind::kOverflow:
      return absl::StrCat("{overflow: ", a.queue, "}");
    case core::LimitAction::Kind::kDisconnect:
      return "disconnect";
    case core::LimitAction::Kind::kKeep:
      return "keep";
  }
  return "?";
}

std::string Levels(const core::SkillLevels& levels) {
  return absl::StrCat("{", absl::StrJoin(levels, ", ", absl::PairFormatter(": ")), "}");
}

std::string List(const std::vector<std::string>& items) {
  return absl::StrCat("[", absl::StrJoin(items, ", "), "]");
}

std::string Minute(int m) { return absl::StrFormat("%02d:%02d", m / 60, m % 60); }

Fields QueueFields(const core::QueueConfig& q) {
  Fields f = {
      {"offer_timeout", Dur(q.offer_timeout)},
      {"wrap_up_time", Dur(q.wrap_up_time)},
      {"max_missed_offers", absl::StrCat(q.max_missed_offers)},
      {"weight", absl::StrCat(q.weight)},
      {"strategy", std::string(core::StrategyName(q.strategy))},
      {"random_seed", absl::StrCat(q.random_seed)},
      {"aging_per_minute", absl::StrCat(q.aging_per_minute)},
      {"max_size", absl::StrCat(q.max_size)},
      {"on_full", Action(q.on_full)},
      {"max_wait", Dur(q.max_wait)},
      {"on_timeout", Action(q.on_timeout)},
      {"max_wait_no_agent", Dur(q.max_wait_no_agent)},
      {"on_no_agent", Action(q.on_no_agent)},
      {"service_level_threshold", Dur(q.service_level_threshold)},
      {"short_abandon", Dur(q.short_abandon)},
      {"schedule", q.schedule.empty() ? "none" : q.schedule},
      {"on_closed", Action(q.on_closed)},
      {"closed_waiting", Action(q.closed_waiting)},
      {"expected_handle_time", Dur(q.expected_handle_time)},
  };
  if (!q.escalation.empty()) {
    std::vector<std::string> steps;
    for (const core::EscalationStep& s : q.escalation) {
      steps.push_back(absl::StrCat("after ", Dur(s.after), " relax ", Levels(s.relax), " drop ",
                                   List(s.drop), " add_queues ", List(s.add_queues)));
    }
    f.push_back({"escalation", absl::StrJoin(steps, "; "), /*terse=*/true});
  }
  if (q.callback.enabled) {
    const core::CallbackPolicy& c = q.callback;
    f.push_back({"callback", "on"});
    f.push_back({"callback.offer_over", Dur(c.offer_over)});
    f.push_back({"callback.window", Dur(c.window)});
    f.push_back({"callback.retry_interval", Dur(c.retry_interval)});
    f.push_back({"callback.max_attempts", absl::StrCat(c.max_attempts)});
    f.push_back({"callback.max_pending", absl::StrCat(c.max_pending)});
  }
  return f;
}

Fields AgentFields(const core::AgentConfig& a) {
  std::vector<std::string> queues;
  for (const std::string& q : a.queues) {
    auto penalty = a.penalties.find(q);
    queues.push_back(penalty == a.penalties.end() || penalty->second == 0
                         ? q
                         : absl::StrCat(q, " (penalty ", penalty->second, ")"));
  }
  return {{"name", a.name}, {"skills", Levels(a.skills)}, {"queues", List(queues)}};
}

Fields RuleFields(const core::RoutingRule& r, size_t position) {
  return {{"position", absl::StrCat(position + 1)},
          {"when", r.when == nullptr ? "always" : r.when->ToString()},
          {"queue", r.queue},
          {"priority", r.priority.has_value() ? absl::StrCat(*r.priority) : "the request's"},
          {"skills", Levels(r.skills)}};
}

Fields ScheduleFields(const core::Schedule& s) {
  static constexpr const char* kDays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  Fields f = {{"timezone", s.zone.name()}};
  for (size_t d = 0; d < s.weekly.size(); ++d) {
    std::vector<std::string> spans;
    for (const core::OpenInterval& i : s.weekly[d]) {
      spans.push_back(absl::StrCat(Minute(i.start_minute), "-", Minute(i.end_minute)));
    }
    f.push_back({absl::StrCat("hours.", kDays[d]), spans.empty() ? "closed" : List(spans)});
  }
  std::vector<std::string> holidays;
  for (const absl::CivilDay& day : s.holidays) holidays.push_back(absl::FormatCivilTime(day));
  f.push_back({"holidays", List(holidays)});
  return f;
}

Fields ServerFields(const ServerConfig& s) {
  Fields f = {{"listen", s.listen + " (on restart)"},
              {"database", s.database + " (on restart)"},
              {"ack", std::string(AckModeName(s.ack))},
              {"synchronous", std::string(SyncModeName(s.synchronous))},
              {"log_level", s.log_level},
              {"log_format", s.log_format},
              {"stats_window", Dur(s.stats_window)},
              {"timezone", s.timezone.name()},
              {"shutdown_grace", Dur(s.shutdown_grace)},
              {"max_message_bytes", absl::StrCat(s.max_message_bytes, " (on restart)")},
              {"max_streams", absl::StrCat(s.max_streams, " (on restart)")},
              {"stream_buffer", absl::StrCat(s.stream_buffer, " (on restart)")},
              {"http", (s.http.empty() ? "off" : s.http) + " (on restart)"}};
  if (s.tls.enabled()) {
    f.push_back({"tls", "on (on restart)"});
    f.push_back({"tls.cert", s.tls.cert + " (on restart)"});
    f.push_back({"tls.key", s.tls.key + " (on restart)"});
    f.push_back(
        {"tls.client_ca", (s.tls.client_ca.empty() ? "none" : s.tls.client_ca) + " (on restart)"});
  }
  return f;
}

// A token's secret is compared by its hash and reported only as changed.
Fields TokenFields(const Token& t) {
  Fields f = {{"role", std::string(RoleName(t.role))}};
  if (t.role == Role::kAgent) f.push_back({"agent_id", t.agent_id});
  f.push_back({"secret", t.sha256, /*terse=*/true});
  return f;
}

// "key old -> new" for keys on both sides that differ, "key added" /
// "key removed" for the others (a removed group such as `callback` hides its
// sub-keys `callback.*`).
std::vector<std::string> DiffFields(const Fields& before, const Fields& after) {
  absl::flat_hash_map<std::string, const Field*> old_by_key, new_by_key;
  for (const Field& f : before) old_by_key[f.key] = &f;
  for (const Field& f : after) new_by_key[f.key] = &f;
  auto in_group_of = [](const std::string& key, const auto& missing) {
    size_t dot = key.find('.');
    return dot != std::string::npos && missing(key.substr(0, dot));
  };
  std::vector<std::string> what;
  for (const Field& f : after) {
    auto old = old_by_key.find(f.key);
    if (old == old_by_key.end()) {
      if (!in_group_of(f.key, [&](const std::string& g) { return !old_by_key.contains(g); })) {
        what.push_back(absl::StrCat(f.key, " added"));
      }
    } else if (old->second->value != f.value) {
      what.push_back(f.terse ? absl::StrCat(f.key, " changed")
                             : absl::StrCat(f.key, " ", old->second->value, " -> ", f.value));
    }
  }
  for (const Field& f : before) {
    if (new_by_key.contains(f.key)) continue;
    if (in_group_of(f.key, [&](const std::string& g) { return !new_by_key.contains(g); })) {
      continue;
    }
    what.push_back(absl::StrCat(f.key, " removed"));
  }
  return what;
}

// Compares two named lists: `fields(item, index)` describes one item.
template <typename T, typename NameFn, typename FieldsFn>
void DiffLists(ChangeSection section, const std::vector<T>& before, const std::vector<T>& after,
               NameFn name_of, FieldsFn fields, std::vector<ConfigChange>* out) {
  absl::flat_hash_map<std::string, size_t> old_index;
  for (size_t i = 0; i < before.size(); ++i) old_index[name_of(before[i])] = i;
  absl::flat_hash_set<std::string> kept;
  for (size_t i = 0; i < after.size(); ++i) {
    std::string name = name_of(after[i]);
    kept.insert(name);
    auto old = old_index.find(name);
    if (old == old_index.end()) {
      out->push_back({section, ChangeKind::kAdded, name, {}});
      continue;
    }
    std::vector<std::string> what =
        DiffFields(fields(before[old->second], old->second), fields(after[i], i));
    if (!what.empty()) out->push_back({section, ChangeKind::kChanged, name, std::move(what)});
  }
  for (const T& item : before) {
    if (!kept.contains(name_of(item))) {
      out->push_back({section, ChangeKind::kRemoved, name_of(item), {}});
    }
  }
}

}  // namespace

absl::string_view ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAdded:
      return "added";
    case ChangeKind::kRemoved:
      return "removed";
    case ChangeKind::kChanged:
      return "changed";
  }
  return "?";
}

absl::string_view ChangeSectionName(ChangeSection section) {
  switch (section) {
    case ChangeSection::kServer:
      return "server";
    case ChangeSection::kQueue:
      return "queue";
    case ChangeSection::kAgent:
      return "agent";
    case ChangeSection::kRule:
      return "rule";
    case ChangeSection::kSchedule:
      return "schedule";
    case ChangeSection::kToken:
      return "token";
  }
  return "?";
}

std::string ConfigChange::ToString() const {
  if (section == ChangeSection::kServer) return absl::StrCat("server: ", absl::StrJoin(what, ", "));
  std::string head = absl::StrCat(ChangeSectionName(section), " ", name);
  if (kind != ChangeKind::kChanged) return absl::StrCat(head, " ", ChangeKindName(kind));
  return absl::StrCat(head, ": ", absl::StrJoin(what, ", "));
}

std::vector<ConfigChange> DiffConfigs(const Config& running, const Config& candidate) {
  std::vector<ConfigChange> out;
  std::vector<std::string> server =
      DiffFields(ServerFields(running.server), ServerFields(candidate.server));
  if (!server.empty()) {
    out.push_back({ChangeSection::kServer, ChangeKind::kChanged, "server", std::move(server)});
  }
  const core::RoutingConfig& a = running.routing;
  const core::RoutingConfig& b = candidate.routing;
  DiffLists(
      ChangeSection::kSchedule, a.schedules, b.schedules,
      [](const core::Schedule& s) { return s.name; },
      [](const core::Schedule& s, size_t) { return ScheduleFields(s); }, &out);
  DiffLists(
      ChangeSection::kQueue, a.queues, b.queues, [](const core::QueueConfig& q) { return q.name; },
      [](const core::QueueConfig& q, size_t) { return QueueFields(q); }, &out);
  DiffLists(
      ChangeSection::kAgent, a.agents, b.agents,
      [](const core::AgentConfig& x) { return x.agent_id; },
      [](const core::AgentConfig& x, size_t) { return AgentFields(x); }, &out);
  DiffLists(
      ChangeSection::kRule, a.rules, b.rules, [](const core::RoutingRule& r) { return r.name; },
      [](const core::RoutingRule& r, size_t i) { return RuleFields(r, i); }, &out);
  // A dry run of request text does not read its tokens_file: then only the
  // inline tokens of both sides compare.
  const bool file_tokens = candidate.auth.tokens_file.empty() || candidate.auth.tokens_file_read;
  auto comparable = [file_tokens](const AuthConfig& auth) {
    std::vector<Token> tokens;
    for (const Token& t : auth.tokens) {
      if (file_tokens || !t.from_file) tokens.push_back(t);
    }
    return tokens;
  };
  DiffLists(
      ChangeSection::kToken, comparable(running.auth), comparable(candidate.auth),
      [](const Token& t) { return t.name; }, [](const Token& t, size_t) { return TokenFields(t); },
      &out);
  return out;
}

}  // namespace acd::config

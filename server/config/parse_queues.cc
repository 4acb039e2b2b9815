// ConfigParser's queues section, then its cross-checks: queue references, overflow cycles.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "server/config/config_parser.h"

namespace acd::config::internal {
namespace {

// clang-format off
constexpr absl::string_view kQueueKeys[] = {
    "name",      "offer_timeout",  "wrap_up_time",      "max_missed_offers", "weight",
    "strategy",  "random_seed",    "aging_per_minute",  "max_size",          "on_full",
    "max_wait",  "on_timeout",     "max_wait_no_agent", "on_no_agent",       "schedule",
    "on_closed", "closed_waiting", "escalation",        "service_level_threshold",
    "short_abandon", "expected_handle_time", "callback"};
// clang-format on
constexpr absl::string_view kCallbackKeys[] = {"offer_over", "window", "retry_interval",
                                               "max_attempts", "max_pending"};
constexpr absl::string_view kEscalationKeys[] = {"after", "relax", "drop", "add_queues"};
constexpr absl::string_view kOverflowKeys[] = {"overflow"};

// In the order the README lists them; the YAML names are core::StrategyName's.
constexpr core::Strategy kStrategies[] = {
    core::Strategy::kLongestIdle, core::Strategy::kLeastCalls, core::Strategy::kLeastTalkTime,
    core::Strategy::kRoundRobin,  core::Strategy::kBestSkill,  core::Strategy::kRandom,
};

constexpr absl::Duration kMaxOfferTimeout = absl::Minutes(10);
constexpr absl::Duration kMaxWrapUpTime = absl::Hours(1);
// No caller waits a day: a longer limit or escalation step is a typo (24m?).
constexpr absl::Duration kMaxWaitLimit = absl::Hours(24);
constexpr int kMinWeight = 1;
constexpr int kMaxWeight = 100;
constexpr double kMaxAgingPerMinute = 100;

}  // namespace

void ConfigParser::ParseQueues(const Value& value) {
  if (value.node.IsNull() || (value.node.IsSequence() && value.node.size() == 0)) {
    checker_.Report(value.place, "queues",
                    absl::StrCat("at least one queue is required, got ",
                                 value.node.IsNull() ? "nothing" : "an empty list"));
    return;
  }
  std::optional<std::vector<Value>> items = checker_.Sequence(value, "queues", "a list of queues");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) ParseQueue((*items)[i], Index("queues", i));
}

void ConfigParser::ParseQueue(const Value& value, const std::string& path) {
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "a queue (a mapping with at least \"name\")", kQueueKeys);
  if (!fields) return;
  core::QueueConfig queue;
  if (const Field* f = fields->Get("name")) {
    std::string name_path = Child(path, "name");
    if (auto name = ReadName(f->value, name_path, "queue name")) {
      if (Remember(queues_seen_, *name, f->value.place, name_path, "queue name", "defined")) {
        queue_names_.push_back(*name);
      }
      queue.name = *name;
    } else if (f->value.node.IsScalar()) {
      // A badly formed name is still known, so agents that list it don't add
      // "unknown queue" noise to the one real problem.
      queues_seen_.try_emplace(f->value.node.Scalar(), f->value.place);
    }
  } else {
    checker_.Report(value.place, path, "missing required key \"name\"");
  }
  if (const Field* f = fields->Get("offer_timeout")) {
    if (auto d = ReadDuration(f->value, Child(path, "offer_timeout"), "offer_timeout",
                              /*allow_zero=*/false, kMaxOfferTimeout)) {
      queue.offer_timeout = *d;
    }
  }
  if (const Field* f = fields->Get("wrap_up_time")) {
    if (auto d = ReadDuration(f->value, Child(path, "wrap_up_time"), "wrap_up_time",
                              /*allow_zero=*/true, kMaxWrapUpTime)) {
      queue.wrap_up_time = *d;
    }
  }
  if (const Field* f = fields->Get("max_missed_offers")) {
    if (auto n = ReadInteger(f->value, Child(path, "max_missed_offers"), "max_missed_offers", 0,
                             INT32_MAX, ">= 0")) {
      queue.max_missed_offers = static_cast<int>(*n);
    }
  }
  ParseQueueRouting(*fields, path, queue);
  config_.routing.queues.push_back(std::move(queue));
}

void ConfigParser::ParseQueueRouting(const Fields& fields, const std::string& path,
                                     core::QueueConfig& queue) {
  static constexpr absl::string_view kReject[] = {"reject"};
  static constexpr absl::string_view kDisconnect[] = {"disconnect"};
  static constexpr absl::string_view kKeepOrDisconnect[] = {"keep", "disconnect"};
  if (const Field* f = fields.Get("weight")) {
    if (auto n = ReadInteger(f->value, Child(path, "weight"), "weight", kMinWeight, kMaxWeight,
                             absl::StrCat(kMinWeight, "..", kMaxWeight))) {
      queue.weight = static_cast<int>(*n);
    }
  }
  if (const Field* f = fields.Get("strategy")) {
    std::vector<absl::string_view> names;
    for (core::Strategy strategy : kStrategies) names.push_back(core::StrategyName(strategy));
    if (auto name = ReadEnum(f->value, Child(path, "strategy"), "strategy", names)) {
      for (core::Strategy strategy : kStrategies) {
        if (core::StrategyName(strategy) == *name) queue.strategy = strategy;
      }
    }
  }
  if (const Field* f = fields.Get("random_seed")) {
    if (auto n = ReadInteger(f->value, Child(path, "random_seed"), "random_seed", 0, INT64_MAX,
                             ">= 0")) {
      queue.random_seed = static_cast<uint64_t>(*n);
    }
  }
  if (const Field* f = fields.Get("aging_per_minute")) {
    if (auto x = ReadDecimal(f->value, Child(path, "aging_per_minute"), "aging_per_minute", 0,
                             kMaxAgingPerMinute, "0..100")) {
      queue.aging_per_minute = *x;
    }
  }
  if (const Field* f = fields.Get("max_size")) {
    if (auto n = ReadInteger(f->value, Child(path, "max_size"), "max_size", 0, INT32_MAX, ">= 0")) {
      queue.max_size = static_cast<int>(*n);
    }
  }
  if (const Field* f = fields.Get("max_wait")) {
    if (auto d = ReadDuration(f->value, Child(path, "max_wait"), "max_wait",
                              /*allow_zero=*/true, kMaxWaitLimit)) {
      queue.max_wait = *d;
    }
  }
  if (const Field* f = fields.Get("max_wait_no_agent")) {
    if (auto d = ReadDuration(f->value, Child(path, "max_wait_no_agent"), "max_wait_no_agent",
                              /*allow_zero=*/true, kMaxWaitLimit)) {
      queue.max_wait_no_agent = *d;
    }
  }
  if (const Field* f = fields.Get("service_level_threshold")) {
    if (auto d = ReadDuration(f->value, Child(path, "service_level_threshold"),
                              "service_level_threshold", /*allow_zero=*/false, absl::Hours(1))) {
      queue.service_level_threshold = *d;
    }
  }
  if (const Field* f = fields.Get("short_abandon")) {
    if (auto d = ReadDuration(f->value, Child(path, "short_abandon"), "short_abandon",
                              /*allow_zero=*/true, absl::Hours(1))) {
      queue.short_abandon = *d;
    }
  }
  if (const Field* f = fields.Get("schedule")) {
    std::string schedule_path = Child(path, "schedule");
    if (auto name = ReadName(f->value, schedule_path, "schedule name")) {
      if (schedules_seen_.contains(*name)) {
        queue.schedule = *name;
      } else {
        std::vector<absl::string_view> defined(schedule_names_.begin(), schedule_names_.end());
        checker_.Report(f->value.place, schedule_path,
                        absl::StrCat("unknown schedule ", Quote(*name),
                                     defined.empty() ? " (no schedules are defined)"
                                                     : DidYouMean(*name, defined)));
      }
    }
  }
  // Limit actions, each with the words it allows besides {overflow: QUEUE}.
  struct ActionKey {
    absl::string_view key;
    std::span<const absl::string_view> words;
    core::LimitAction* action;
    bool followed_at_enqueue;  // on_full and on_closed chain at EnqueueCall
  };
  for (const ActionKey& a :
       {ActionKey{"on_full", kReject, &queue.on_full, true},
        ActionKey{"on_timeout", kDisconnect, &queue.on_timeout, false},
        ActionKey{"on_no_agent", kDisconnect, &queue.on_no_agent, false},
        ActionKey{"on_closed", kReject, &queue.on_closed, true},
        ActionKey{"closed_waiting", kKeepOrDisconnect, &queue.closed_waiting, false}}) {
    const Field* f = fields.Get(a.key);
    if (f == nullptr) continue;
    std::string action_path = Child(path, a.key);
    Place target_place;
    std::optional<core::LimitAction> action =
        ReadLimitAction(f->value, action_path, a.key, a.words, queue.name, &target_place);
    if (!action) continue;
    *a.action = *action;
    if (a.followed_at_enqueue && action->kind == core::LimitAction::Kind::kOverflow &&
        !queue.name.empty()) {
      overflow_edges_.push_back(
          {queue.name, action->queue, target_place, Child(action_path, "overflow")});
    }
  }
  if (const Field* f = fields.Get("escalation"); f != nullptr && !f->value.node.IsNull()) {
    ParseEscalation(f->value, Child(path, "escalation"), queue);
  }
  if (const Field* f = fields.Get("expected_handle_time")) {
    if (auto d = ReadDuration(f->value, Child(path, "expected_handle_time"), "expected_handle_time",
                              /*allow_zero=*/false, absl::Hours(4))) {
      queue.expected_handle_time = *d;
    }
  }
  if (const Field* f = fields.Get("callback")) {
    ParseCallback(f->value, Child(path, "callback"), queue.callback);
  }
}

void ConfigParser::ParseCallback(const Value& value, const std::string& path,
                                 core::CallbackPolicy& policy) {
  // A `callback:` section, even an empty one, turns callbacks on.
  policy.enabled = true;
  if (value.node.IsNull()) return;
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "a mapping of callback settings", kCallbackKeys);
  if (!fields) return;
  if (const Field* f = fields->Get("offer_over")) {
    if (auto d = ReadDuration(f->value, Child(path, "offer_over"), "offer_over",
                              /*allow_zero=*/true, kMaxWaitLimit)) {
      policy.offer_over = *d;
    }
  }
  if (const Field* f = fields->Get("window")) {
    if (auto d = ReadDuration(f->value, Child(path, "window"), "window", /*allow_zero=*/false,
                              absl::Hours(72))) {
      policy.window = *d;
    }
  }
  if (const Field* f = fields->Get("retry_interval")) {
    if (auto d = ReadDuration(f->value, Child(path, "retry_interval"), "retry_interval",
                              /*allow_zero=*/false, absl::Hours(24))) {
      policy.retry_interval = *d;
    }
  }
  if (const Field* f = fields->Get("max_attempts")) {
    if (auto n =
            ReadInteger(f->value, Child(path, "max_attempts"), "max_attempts", 1, 20, "1 to 20")) {
      policy.max_attempts = static_cast<int>(*n);
    }
  }
  if (const Field* f = fields->Get("max_pending")) {
    if (auto n = ReadInteger(f->value, Child(path, "max_pending"), "max_pending", 0, INT32_MAX,
                             ">= 0")) {
      policy.max_pending = static_cast<int>(*n);
    }
  }
}

void ConfigParser::ParseEscalation(const Value& value, const std::string& path,
                                   core::QueueConfig& queue) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, path, "a list of escalation steps");
  if (!items) return;
  // The latest valid `after` so far and how it was written.
  std::optional<absl::Duration> latest;
  std::string latest_text;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string step_path = Index(path, i);
    std::optional<Fields> fields = checker_.Mapping(
        item, step_path, "an escalation step (a mapping with \"after\")", kEscalationKeys);
    if (!fields) continue;
    core::EscalationStep step;
    if (const Field* f = fields->Get("after")) {
      std::string after_path = Child(step_path, "after");
      if (auto after =
              ReadDuration(f->value, after_path, "after", /*allow_zero=*/false, kMaxWaitLimit)) {
        if (latest && *after <= *latest) {
          checker_.Report(f->value.place, after_path,
                          absl::StrCat("after ", Quote(f->value.node.Scalar()),
                                       " must be later than the step before it (",
                                       Quote(latest_text), "): steps are listed in time order"));
        } else {
          latest = *after;
          latest_text = f->value.node.Scalar();
        }
        step.after = *after;
      }
    } else {
      checker_.Report(item.place, step_path, "missing required key \"after\"");
    }
    bool acts = false;
    if (const Field* f = fields->Get("relax"); f != nullptr && !f->value.node.IsNull()) {
      acts = true;
      ParseSkillLevels(f->value, Child(step_path, "relax"), step.relax);
    }
    if (const Field* f = fields->Get("drop"); f != nullptr && !f->value.node.IsNull()) {
      acts = true;
      std::string drop_path = Child(step_path, "drop");
      if (auto skills = checker_.Sequence(f->value, drop_path, "a list of skill names")) {
        absl::flat_hash_map<std::string, Place> listed;
        for (size_t j = 0; j < skills->size(); ++j) {
          const Value& skill = (*skills)[j];
          std::string skill_path = Index(drop_path, j);
          std::optional<std::string> name = ReadName(skill, skill_path, "skill name");
          if (!name) continue;
          CheckSkillDeclared(*name, skill.place, skill_path);
          if (Remember(listed, *name, skill.place, skill_path, "skill", "listed")) {
            step.drop.push_back(*name);
          }
        }
      }
    }
    if (const Field* f = fields->Get("add_queues"); f != nullptr && !f->value.node.IsNull()) {
      acts = true;
      step.add_queues = ReadQueueList(f->value, Child(step_path, "add_queues"), queue.name);
    }
    if (!acts) {
      checker_.Report(item.place, step_path,
                      "escalation step does nothing (give relax, drop or add_queues)");
    }
    queue.escalation.push_back(std::move(step));
  }
}

std::vector<std::string> ConfigParser::ReadQueueList(const Value& value, const std::string& path,
                                                     const std::string& self) {
  std::vector<std::string> queues;
  std::optional<std::vector<Value>> items = checker_.Sequence(value, path, "a list of queue names");
  if (!items) return queues;
  absl::flat_hash_map<std::string, Place> listed;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string item_path = Index(path, i);
    std::optional<std::string> name = ReadName(item, item_path, "queue name");
    if (!name) continue;
    if (*name == self) {
      checker_.Report(item.place, item_path,
                      absl::StrCat("queue ", Quote(self),
                                   " cannot add itself (its own agents serve it already)"));
      continue;
    }
    if (!Remember(listed, *name, item.place, item_path, "queue", "listed")) continue;
    queue_references_.push_back({*name, item.place, item_path});
    queues.push_back(*name);
  }
  return queues;
}

std::optional<core::LimitAction> ConfigParser::ReadLimitAction(
    const Value& value, const std::string& path, absl::string_view key,
    std::span<const absl::string_view> words, const std::string& self, Place* target_place) {
  std::vector<absl::string_view> choices(words.begin(), words.end());
  choices.push_back("{overflow: QUEUE}");
  std::string usage = JoinOr(choices);
  if (value.node.IsMap()) {
    std::optional<Fields> fields =
        checker_.Mapping(value, path, absl::StrCat("one of ", usage), kOverflowKeys);
    if (!fields) return std::nullopt;
    const Field* f = fields->Get("overflow");
    if (f == nullptr) {
      // An unknown key in its place has been reported already.
      if (value.node.size() == 0) {
        checker_.Report(value.place, path,
                        "missing required key \"overflow\" (use {overflow: QUEUE})");
      }
      return std::nullopt;
    }
    std::string target_path = Child(path, "overflow");
    std::optional<std::string> target = ReadName(f->value, target_path, "queue name");
    if (!target) return std::nullopt;
    if (*target == self) {
      checker_.Report(f->value.place, target_path,
                      absl::StrCat("queue ", Quote(self), " cannot overflow to itself"));
      return std::nullopt;
    }
    queue_references_.push_back({*target, f->value.place, target_path});
    *target_place = f->value.place;
    return core::LimitAction{core::LimitAction::Kind::kOverflow, *target};
  }
  std::optional<std::string> text = checker_.Scalar(value, path, absl::StrCat("one of ", usage));
  if (!text) return std::nullopt;
  for (absl::string_view word : words) {
    if (*text != word) continue;
    using Kind = core::LimitAction::Kind;
    Kind kind = word == "reject" ? Kind::kReject : word == "keep" ? Kind::kKeep : Kind::kDisconnect;
    return core::LimitAction{kind, ""};
  }
  std::string hint;
  if (*text == "overflow") {
    hint = "; name the queue: {overflow: QUEUE}";
  } else if (std::optional<absl::string_view> close = internal::ClosestMatch(*text, words)) {
    hint = absl::StrCat("; did you mean \"", *close, "\"?");
  }
  checker_.Report(value.place, path,
                  absl::StrCat("invalid ", key, " ", Quote(*text), " (use ", usage, hint, ")"));
  return std::nullopt;
}

void ConfigParser::CheckQueueReferences() {
  for (const QueueReference& ref : queue_references_) {
    if (!queues_seen_.contains(ref.name)) {
      checker_.Report(ref.place, ref.path,
                      absl::StrCat("unknown queue ", Quote(ref.name), QueueHint(ref.name)));
    }
  }
}

// EnqueueCall follows on_full and on_closed overflows from queue to queue; a
// chain that leads back to a queue already tried would bounce a call around
// until the engine's hop limit refuses it. Depth-first in file order, so each
// cycle is reported once, at the overflow that closes it.
void ConfigParser::CheckOverflowCycles() {
  absl::flat_hash_map<std::string, std::vector<const OverflowEdge*>> out;
  for (const OverflowEdge& edge : overflow_edges_) {
    if (queues_seen_.contains(edge.to)) out[edge.from].push_back(&edge);
  }
  enum class Mark { kNew, kOnPath, kDone };
  absl::flat_hash_map<std::string, Mark> marks;
  // Iterative: a long chain of queues must not exhaust the stack.
  struct Frame {
    std::string queue;
    size_t next_edge = 0;
  };
  for (const std::string& start : queue_names_) {
    if (marks[start] != Mark::kNew) continue;
    std::vector<Frame> path = {{start}};
    marks[start] = Mark::kOnPath;
    while (!path.empty()) {
      Frame& frame = path.back();
      const std::vector<const OverflowEdge*>& edges = out[frame.queue];
      if (frame.next_edge == edges.size()) {
        marks[frame.queue] = Mark::kDone;
        path.pop_back();
        continue;
      }
      const OverflowEdge& edge = *edges[frame.next_edge++];
      Mark& mark = marks[edge.to];
      if (mark == Mark::kNew) {
        mark = Mark::kOnPath;
        path.push_back({edge.to});
      } else if (mark == Mark::kOnPath) {
        std::vector<std::string> cycle;
        bool in_cycle = false;
        for (const Frame& f : path) {
          in_cycle = in_cycle || f.queue == edge.to;
          if (in_cycle) cycle.push_back(f.queue);
        }
        cycle.push_back(edge.to);
        checker_.Report(edge.place, edge.path,
                        absl::StrCat("overflow cycle ", absl::StrJoin(cycle, " -> "),
                                     ": on_full and on_closed overflows must not lead back to a "
                                     "queue the call was already refused by"));
      }
    }
  }
}

std::string ConfigParser::QueueHint(const std::string& name) const {
  std::vector<absl::string_view> defined(queue_names_.begin(), queue_names_.end());
  return DidYouMean(name, defined);
}

}  // namespace acd::config::internal

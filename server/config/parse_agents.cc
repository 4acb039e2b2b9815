// ConfigParser's skills and agents sections, and skill -> level maps (agents, escalation, rules).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/config/config_parser.h"

namespace acd::config::internal {
namespace {

constexpr absl::string_view kAgentKeys[] = {"id", "name", "skills", "queues"};
constexpr absl::string_view kMembershipKeys[] = {"name", "penalty"};
constexpr int kMaxPenalty = 100;

}  // namespace

void ConfigParser::ParseSkills(const Value& value) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, "skills", "a list of skill names");
  if (!items) return;
  skills_declared_ = true;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string path = Index("skills", i);
    std::optional<std::string> name = ReadName(item, path, "skill name");
    if (!name || !Remember(skills_seen_, *name, item.place, path, "skill", "declared")) continue;
    config_.skills.push_back(*name);
  }
}

void ConfigParser::ParseAgents(const Value& value) {
  std::optional<std::vector<Value>> items = checker_.Sequence(value, "agents", "a list of agents");
  if (!items) return;
  for (size_t i = 0; i < items->size(); ++i) ParseAgent((*items)[i], Index("agents", i));
}

void ConfigParser::ParseAgent(const Value& value, const std::string& path) {
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "an agent (a mapping with at least \"id\")", kAgentKeys);
  if (!fields) return;
  core::AgentConfig agent;
  if (const Field* f = fields->Get("id")) {
    std::string id_path = Child(path, "id");
    if (auto id = ReadName(f->value, id_path, "agent id")) {
      Remember(agents_seen_, *id, f->value.place, id_path, "agent id", "defined");
      agent.agent_id = *id;
    }
  } else {
    checker_.Report(value.place, path, "missing required key \"id\"");
  }
  if (const Field* f = fields->Get("name")) {
    std::string name_path = Child(path, "name");
    if (auto name = checker_.Scalar(f->value, name_path, "a display name")) {
      if (name->empty()) {
        checker_.Report(f->value.place, name_path, "invalid agent name \"\" (must not be empty)");
      }
      agent.name = *name;
    }
  } else {
    agent.name = agent.agent_id;
  }
  if (const Field* f = fields->Get("skills"); f != nullptr && !f->value.node.IsNull()) {
    ParseSkillLevels(f->value, Child(path, "skills"), agent.skills);
  }
  if (const Field* f = fields->Get("queues"); f != nullptr && !f->value.node.IsNull()) {
    ParseAgentQueues(f->value, Child(path, "queues"), agent);
  }
  config_.routing.agents.push_back(std::move(agent));
}

void ConfigParser::ParseAgentQueues(const Value& value, const std::string& path,
                                    core::AgentConfig& agent) {
  static constexpr absl::string_view kWhat = "a queue name or {name: QUEUE, penalty: N}";
  std::optional<std::vector<Value>> items = checker_.Sequence(value, path, "a list of queue names");
  if (!items) return;
  absl::flat_hash_map<std::string, Place> listed;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string item_path = Index(path, i);
    // The queue's name, where it is written and its path.
    std::optional<std::string> name;
    Value name_value = item;
    std::string name_path = item_path;
    std::optional<int> penalty;
    if (item.node.IsMap()) {
      std::optional<Fields> fields = checker_.Mapping(item, item_path, kWhat, kMembershipKeys);
      if (!fields) continue;
      if (const Field* f = fields->Get("penalty")) {
        if (auto n = ReadInteger(f->value, Child(item_path, "penalty"), "penalty", 0, kMaxPenalty,
                                 absl::StrCat("0..", kMaxPenalty))) {
          penalty = static_cast<int>(*n);
        }
      }
      const Field* f = fields->Get("name");
      if (f == nullptr) {
        checker_.Report(item.place, item_path, "missing required key \"name\"");
        continue;
      }
      name_value = f->value;
      name_path = Child(item_path, "name");
      name = checker_.Scalar(name_value, name_path, "a queue name");
    } else {
      name = checker_.Scalar(item, item_path, kWhat);
    }
    if (!name) continue;
    if (!queues_seen_.contains(*name)) {
      checker_.Report(name_value.place, name_path,
                      absl::StrCat("unknown queue ", Quote(*name), QueueHint(*name)));
      continue;
    }
    if (!Remember(listed, *name, name_value.place, name_path, "queue", "listed")) continue;
    agent.queues.push_back(*name);
    if (penalty) agent.penalties[*name] = *penalty;
  }
}

void ConfigParser::ParseSkillLevels(const Value& value, const std::string& path,
                                    core::SkillLevels& skills) {
  std::optional<Fields> fields =
      checker_.Mapping(value, path, "a mapping of skill -> level, e.g. {english: 5}");
  if (!fields) return;
  core::SkillLevels::map_type levels = skills.map();
  for (const Field& f : fields->all()) {
    std::string skill_path = Child(path, f.key);
    if (!IsValidName(f.key)) {
      checker_.Report(f.key_place, skill_path,
                      absl::StrCat("invalid skill name ", Quote(f.key), " (", kNameRule, ")"));
    } else {
      CheckSkillDeclared(f.key, f.key_place, skill_path);
    }
    if (auto level = ReadInteger(f.value, skill_path, "skill level", core::kMinSkillLevel,
                                 core::kMaxSkillLevel,
                                 absl::StrCat(core::kMinSkillLevel, "..", core::kMaxSkillLevel))) {
      levels[f.key] = static_cast<int>(*level);
    }
  }
  skills = std::move(levels);
}

void ConfigParser::CheckSkillDeclared(const std::string& skill, Place place,
                                      const std::string& path) {
  if (!skills_declared_ || skills_seen_.contains(skill)) return;
  std::vector<absl::string_view> declared(config_.skills.begin(), config_.skills.end());
  std::string hint = DidYouMean(skill, declared);
  if (hint.empty()) {
    hint = declared.empty() ? " (the skills list is empty)"
                            : absl::StrCat(" (declared: ", absl::StrJoin(declared, ", "), ")");
  }
  checker_.Report(place, path,
                  absl::StrCat("skill ", Quote(skill), " is not declared in skills", hint));
}

}  // namespace acd::config::internal

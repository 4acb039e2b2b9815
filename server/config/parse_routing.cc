// ConfigParser's routing section: the ordered rules and their `when` expressions.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/config/config_parser.h"
#include "server/config/expr_parser.h"

namespace acd::config::internal {
namespace {

constexpr absl::string_view kRuleKeys[] = {"name", "when", "queue", "priority", "skills"};
// As the engine accepts on EnqueueCall.
constexpr int kMinPriority = 0;
constexpr int kMaxPriority = 100;

}  // namespace

void ConfigParser::ParseRouting(const Value& value) {
  std::optional<std::vector<Value>> items =
      checker_.Sequence(value, "routing", "a list of routing rules");
  if (!items) return;
  // The first rule without `when`: it takes every call, so later rules never run.
  std::optional<std::string> catch_all;
  int catch_all_line = 0;
  for (size_t i = 0; i < items->size(); ++i) {
    const Value& item = (*items)[i];
    std::string path = Index("routing", i);
    std::optional<Fields> fields = checker_.Mapping(
        item, path, "a routing rule (a mapping with at least \"name\" and \"queue\")", kRuleKeys);
    if (!fields) continue;
    core::RoutingRule rule;
    std::string label = path;  // how messages name this rule
    if (const Field* f = fields->Get("name")) {
      std::string name_path = Child(path, "name");
      if (auto name = ReadName(f->value, name_path, "rule name")) {
        Remember(rules_seen_, *name, f->value.place, name_path, "rule name", "defined");
        rule.name = *name;
        label = absl::StrCat("rule ", Quote(*name));
      }
    } else {
      checker_.Report(item.place, path, "missing required key \"name\"");
    }
    if (catch_all) {
      checker_.Report(item.place, path,
                      absl::StrCat(label, " is never used: ", *catch_all, " (line ", catch_all_line,
                                   ") has no \"when\" and takes every call"));
    }
    const Field* when = fields->Get("when");
    if (when != nullptr) {
      rule.when = ReadExpression(when->value, Child(path, "when"));
    } else if (!catch_all) {
      catch_all = label;
      catch_all_line = item.place.line;
    }
    if (const Field* f = fields->Get("queue")) {
      std::string queue_path = Child(path, "queue");
      if (auto queue = ReadName(f->value, queue_path, "queue name")) {
        if (queues_seen_.contains(*queue)) {
          rule.queue = *queue;
        } else {
          checker_.Report(f->value.place, queue_path,
                          absl::StrCat("unknown queue ", Quote(*queue), QueueHint(*queue)));
        }
      }
    } else {
      checker_.Report(item.place, path, "missing required key \"queue\"");
    }
    if (const Field* f = fields->Get("priority")) {
      if (auto n = ReadInteger(f->value, Child(path, "priority"), "priority", kMinPriority,
                               kMaxPriority, absl::StrCat(kMinPriority, "..", kMaxPriority))) {
        rule.priority = static_cast<int>(*n);
      }
    }
    if (const Field* f = fields->Get("skills"); f != nullptr && !f->value.node.IsNull()) {
      ParseSkillLevels(f->value, Child(path, "skills"), rule.skills);
    }
    config_.routing.rules.push_back(std::move(rule));
  }
}

std::shared_ptr<const core::Expr> ConfigParser::ReadExpression(const Value& value,
                                                               const std::string& path) {
  std::optional<std::string> text =
      checker_.Scalar(value, path, "an expression such as 'tier == \"gold\"'");
  if (!text) return nullptr;
  auto parsed = ParseExpr(*text);
  if (auto* errors = std::get_if<std::vector<ExprError>>(&parsed)) {
    for (const ExprError& error : *errors) {
      checker_.Report(checker_.PlaceInScalar(value.node, error.line, error.column), path,
                      absl::StrCat("invalid expression: ", error.message));
    }
    return nullptr;
  }
  return std::get<std::shared_ptr<const core::Expr>>(std::move(parsed));
}

}  // namespace acd::config::internal

// Text of engine values (calls, agents, configs, events) for the property test's messages.
#ifndef ACD_TESTS_CORE_PROPERTY_TEXT_H_
#define ACD_TESTS_CORE_PROPERTY_TEXT_H_

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "server/core/engine.h"
#include "server/core/types.h"

namespace acd::core::property {

// Text, for failure messages and the step log. Rel gives a time
// relative to kT0.

std::string Rel(absl::Time t);
std::string Rel(const std::optional<absl::Time>& t);

std::string Text(const SkillLevels& skills);
std::string Text(const Attributes& attributes);
std::string Text(const LimitAction& a);
std::string Text(const Call& c);
std::string Text(const Agent& a);
std::string Text(const QueueStats& s);
std::string Text(const QueueConfig& q);
std::string Text(const RoutingConfig& c);
std::string Text(const Event& e);

}  // namespace acd::core::property

#endif  // ACD_TESTS_CORE_PROPERTY_TEXT_H_

#include "server/rpc/auth.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "spdlog/spdlog.h"

namespace acd::rpc {
namespace {

constexpr Access N = Access::kNone;
constexpr Access A = Access::kAny;
constexpr Access O = Access::kOwnAgent;
constexpr Access H = Access::kHeldCall;

// Admin may call everything: an admin can reload a config that grants any
// token any role, so refusing it an RPC would add friction, not safety.
// clang-format off
constexpr AccessRule kAccessTable[] = {
    //  method                                   integrator agent supervisor admin
    {"/acd.v1.CallService/EnqueueCall",          A,         N,    N,         A},
    {"/acd.v1.CallService/GetCall",              A,         H,    A,         A},
    {"/acd.v1.CallService/AbandonCall",          A,         N,    N,         A},
    {"/acd.v1.CallService/EndCall",              A,         N,    N,         A},
    {"/acd.v1.CallService/TransferCall",         A,         H,    A,         A},
    {"/acd.v1.CallService/RequestCallback",      A,         N,    N,         A},
    {"/acd.v1.CallService/CallbackFailed",       A,         N,    N,         A},
    {"/acd.v1.CallService/WatchEvents",          A,         N,    A,         A},
    {"/acd.v1.AgentService/Login",               N,         O,    N,         A},
    {"/acd.v1.AgentService/Logout",              N,         O,    A,         A},
    {"/acd.v1.AgentService/SetState",            N,         O,    A,         A},
    {"/acd.v1.AgentService/StreamOffers",        N,         O,    N,         A},
    {"/acd.v1.AgentService/AcceptOffer",         N,         O,    N,         A},
    {"/acd.v1.AgentService/RejectOffer",         N,         O,    N,         A},
    {"/acd.v1.AgentService/CompleteCall",        N,         O,    N,         A},
    {"/acd.v1.AdminService/ListQueues",          N,         N,    A,         A},
    {"/acd.v1.AdminService/GetQueueStats",       N,         N,    A,         A},
    {"/acd.v1.AdminService/WatchStats",          N,         N,    A,         A},
    {"/acd.v1.AdminService/ListAgents",          N,         N,    A,         A},
    {"/acd.v1.AdminService/ListCalls",           N,         N,    A,         A},
    {"/acd.v1.AdminService/MoveCall",            N,         N,    A,         A},
    {"/acd.v1.AdminService/Staffing",            N,         N,    A,         A},
    {"/acd.v1.AdminService/GetReport",           N,         N,    A,         A},
    {"/acd.v1.AdminService/ValidateConfig",      N,         N,    A,         A},
    {"/acd.v1.AdminService/ReloadConfig",        N,         N,    N,         A},
};
// clang-format on

constexpr config::Role kRoles[] = {config::Role::kIntegrator, config::Role::kAgent,
                                   config::Role::kSupervisor, config::Role::kAdmin};

const AccessRule* FindRule(absl::string_view method) {
  static const auto* const kByMethod = [] {
    auto* map = new absl::flat_hash_map<absl::string_view, const AccessRule*>();
    for (const AccessRule& rule : kAccessTable) (*map)[rule.method] = &rule;
    return map;
  }();
  auto it = kByMethod->find(method);
  return it == kByMethod->end() ? nullptr : it->second;
}

absl::string_view NameOf(config::Role role) {
  std::string_view name = config::RoleName(role);
  return absl::string_view(name.data(), name.size());
}

// "acd.v1.AgentService/Login", as a message names an RPC.
absl::string_view Named(absl::string_view method) {
  absl::ConsumePrefix(&method, "/");
  return method;
}

std::string AllowedRoles(const AccessRule& rule) {
  std::vector<absl::string_view> names;
  for (config::Role role : kRoles) {
    if (rule.For(role) != Access::kNone) names.push_back(NameOf(role));
  }
  return absl::StrJoin(names, ", ");
}

}  // namespace

Access AccessRule::For(config::Role role) const {
  switch (role) {
    case config::Role::kIntegrator:
      return integrator;
    case config::Role::kAgent:
      return agent;
    case config::Role::kSupervisor:
      return supervisor;
    case config::Role::kAdmin:
      return admin;
  }
  return Access::kNone;
}

std::span<const AccessRule> AccessTable() { return kAccessTable; }

Authorizer::Authorizer(const std::vector<config::Token>& tokens) { SetTokens(tokens); }

void Authorizer::SetTokens(const std::vector<config::Token>& tokens) {
  auto table = std::make_shared<Table>();
  for (const config::Token& token : tokens) (*table)[token.sha256] = token;
  MutexLock lock(&mu_);
  table_ = std::move(table);
}

std::shared_ptr<const Authorizer::Table> Authorizer::table() const {
  MutexLock lock(&mu_);
  return table_;
}

bool Authorizer::enabled() const { return !table()->empty(); }

absl::StatusOr<Caller> Authorizer::Authorize(std::optional<absl::string_view> authorization,
                                             absl::string_view method,
                                             absl::string_view agent_id) const {
  std::shared_ptr<const Table> tokens = table();
  if (tokens->empty()) return Caller{};
  if (!authorization) {
    return absl::UnauthenticatedError(absl::StrCat(
        "no token: ", Named(method), " needs the metadata \"authorization: Bearer <token>\""));
  }
  // RFC 6750: the scheme is case-insensitive.
  absl::string_view value = absl::StripAsciiWhitespace(*authorization);
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) {
    return absl::UnauthenticatedError(
        "the authorization metadata is not of the form \"Bearer <token>\"");
  }
  absl::string_view secret = absl::StripLeadingAsciiWhitespace(value.substr(7));
  auto found = tokens->find(config::Sha256Hex(std::string_view(secret.data(), secret.size())));
  if (found == tokens->end()) return absl::UnauthenticatedError("unknown token");
  const config::Token& token = found->second;

  const AccessRule* rule = FindRule(method);
  if (rule == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat("no role may call ", Named(method), " (it has no access rule)"));
  }
  Caller caller{.name = token.name, .role = token.role, .held_by = ""};
  switch (rule->For(token.role)) {
    case Access::kNone:
      return absl::PermissionDeniedError(
          absl::StrCat("role ", NameOf(token.role), " (token \"", token.name, "\") may not call ",
                       Named(method), "; roles that may: ", AllowedRoles(*rule)));
    case Access::kAny:
      return caller;
    case Access::kOwnAgent:
      if (agent_id != token.agent_id) {
        return absl::PermissionDeniedError(
            absl::StrCat("token \"", token.name, "\" acts as agent \"", token.agent_id,
                         "\" only, not as agent \"", agent_id, "\""));
      }
      return caller;
    case Access::kHeldCall:
      caller.held_by = token.agent_id;
      return caller;
  }
  return absl::PermissionDeniedError(absl::StrCat("no role may call ", Named(method)));
}

absl::StatusOr<Caller> Authorizer::Authorize(grpc::CallbackServerContext* ctx,
                                             absl::string_view method,
                                             absl::string_view agent_id) const {
  std::optional<absl::string_view> authorization;
  const auto& metadata = ctx->client_metadata();
  if (auto it = metadata.find("authorization"); it != metadata.end()) {
    authorization = absl::string_view(it->second.data(), it->second.size());
  }
  absl::StatusOr<Caller> caller = Authorize(authorization, method, agent_id);
  if (!caller.ok()) {
    spdlog::warn("auth: {} from {} refused: {}", std::string(Named(method)), ctx->peer(),
                 std::string(caller.status().message()));
  }
  return caller;
}

absl::Status CheckHeldCall(const Caller& caller, absl::string_view call_id,
                           absl::string_view call_agent) {
  if (caller.held_by.empty() || call_agent == caller.held_by) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("token \"", caller.name, "\" acts as agent \"",
                                                  caller.held_by, "\", which does not hold call \"",
                                                  call_id, "\""));
}

absl::Status CheckHeldCall(const Caller& caller, absl::string_view call_id,
                           const absl::StatusOr<core::Call>& call) {
  if (!call.ok() && !(absl::IsNotFound(call.status()) && !caller.held_by.empty())) {
    return call.status();
  }
  return CheckHeldCall(caller, call_id, call.ok() ? absl::string_view(call->agent_id) : "");
}

}  // namespace acd::rpc

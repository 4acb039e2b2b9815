#include "client/acd-sim/sim_rpc.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "client/common/rpc.h"

namespace acd::sim {

std::shared_ptr<grpc::Channel> NewOwnChannel(const std::string& target,
                                             const ctl::Credentials& credentials) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return ctl::NewChannel(target, credentials, args);
}

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

std::string RpcError(absl::string_view what, const grpc::Status& status) {
  return absl::StrCat(what, ": ", ctl::CodeName(status.error_code()), ": ", status.error_message());
}

absl::Status LoginReady(v1::AgentService::Stub& agents, const std::string& agent_id) {
  v1::LoginRequest login;
  login.set_agent_id(agent_id);
  login.set_ready(true);
  v1::Agent agent;
  grpc::ClientContext login_context;
  SetDeadline(login_context);
  grpc::Status status = agents.Login(&login_context, login, &agent);
  if (!status.ok()) return absl::UnavailableError(RpcError("Login " + agent_id, status));
  if (agent.state() == v1::AGENT_STATE_AVAILABLE) return absl::OkStatus();
  if (agent.state() != v1::AGENT_STATE_AWAY) {
    return absl::FailedPreconditionError(absl::StrCat("agent \"", agent_id, "\" is ",
                                                      v1::AgentState_Name(agent.state()),
                                                      "; a simulated desktop needs an idle agent"));
  }
  v1::SetStateRequest ready;
  ready.set_agent_id(agent_id);
  ready.set_state(v1::AGENT_STATE_AVAILABLE);
  grpc::ClientContext ready_context;
  SetDeadline(ready_context);
  status = agents.SetState(&ready_context, ready, &agent);
  if (!status.ok()) return absl::UnavailableError(RpcError("SetState " + agent_id, status));
  return absl::OkStatus();
}

}  // namespace acd::sim

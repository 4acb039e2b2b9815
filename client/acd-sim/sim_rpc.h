// What the simulated desktops and callers share: their own connection to the
// server, deadlines, logging in ready, and error text.
//
// Thread safety: free functions; a channel may be used from any thread.
#ifndef ACD_CLIENT_ACD_SIM_SIM_RPC_H_
#define ACD_CLIENT_ACD_SIM_SIM_RPC_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "client/common/rpc.h"

namespace acd::sim {

// Deadline of each unary RPC: generous, because a stuck RPC is a failure of
// the run, not a latency sample.
inline constexpr absl::Duration kRpcTimeout = absl::Seconds(10);

// A channel with a TCP connection of its own (a local subchannel pool), as each
// real desktop or integrator has; `target` is host:port.
std::shared_ptr<grpc::Channel> NewOwnChannel(const std::string& target,
                                             const ctl::Credentials& credentials);

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout = kRpcTimeout);

// "<what>: <CODE>: <message>".
std::string RpcError(absl::string_view what, const grpc::Status& status);

// Logs `agent_id` in ready; an agent already logged in (perhaps away) is made
// available. FAILED_PRECONDITION naming the agent when it is busy.
absl::Status LoginReady(v1::AgentService::Stub& agents, const std::string& agent_id);

}  // namespace acd::sim

#endif  // ACD_CLIENT_ACD_SIM_SIM_RPC_H_

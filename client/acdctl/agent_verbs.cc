// Verbs of acd.v1.AgentService: agent login|logout|ready|away|offers|accept|
// reject|complete.
#include <iostream>

#include "absl/strings/str_cat.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "client/acdctl/output.h"
#include "client/acdctl/stream_canceller.h"
#include "client/acdctl/verbs.h"
#include "client/acdctl/views.h"

namespace acd::ctl {
namespace {

using Stub = acd::v1::AgentService::Stub;

int PrintAgent(const Invocation& inv, const grpc::Status& status, const acd::v1::Agent& agent) {
  if (!status.ok()) return ReportRpcError(inv, status);
  PrintRecord(std::cout, inv.json(), agent, AgentFields(agent, Clock::Local()));
  return kExitOk;
}

int SetState(const Invocation& inv, const std::string& agent_id, acd::v1::AgentState state,
             const std::string& reason) {
  acd::v1::SetStateRequest request;
  request.set_agent_id(agent_id);
  request.set_state(state);
  request.set_reason(reason);
  acd::v1::Agent agent;
  return PrintAgent(inv, CallUnary(*inv.global, &Stub::SetState, request, &agent), agent);
}

// Accepts an offer seen on the stream and says how that went, on the same
// output as the offers. A failed accept (say, the caller hung up meanwhile)
// is reported and the stream goes on.
void AcceptFromStream(const Invocation& inv, const std::shared_ptr<grpc::Channel>& channel,
                      const std::string& agent_id, const std::string& call_id, StreamTable& table) {
  acd::v1::AcceptOfferRequest request;
  request.set_agent_id(agent_id);
  request.set_call_id(call_id);
  acd::v1::Call call;
  const grpc::Status status = CallUnary(*inv.global, channel, &Stub::AcceptOffer, request, &call);
  if (!status.ok()) {
    ReportRpcError(inv, absl::StrCat("accept ", call_id), status);
    return;
  }
  if (inv.json()) {
    // Shaped like an OfferUpdate, so each line is one object keyed by kind.
    std::cout << "{\"accepted\":" << ToJson(call, /*pretty=*/false) << "}" << std::endl;
  } else {
    table.PrintRow(std::cout, AcceptedRow(call, Clock::Local()));
  }
}

}  // namespace

int RunAgentLogin(const Invocation& inv, const AgentArgs& args) {
  acd::v1::LoginRequest request;
  request.set_agent_id(args.agent_id);
  request.set_ready(args.ready);
  acd::v1::Agent agent;
  return PrintAgent(inv, CallUnary(*inv.global, &Stub::Login, request, &agent), agent);
}

int RunAgentLogout(const Invocation& inv, const AgentArgs& args) {
  acd::v1::LogoutRequest request;
  request.set_agent_id(args.agent_id);
  acd::v1::Agent agent;
  return PrintAgent(inv, CallUnary(*inv.global, &Stub::Logout, request, &agent), agent);
}

int RunAgentReady(const Invocation& inv, const AgentArgs& args) {
  return SetState(inv, args.agent_id, acd::v1::AGENT_STATE_AVAILABLE, "");
}

int RunAgentAway(const Invocation& inv, const AgentArgs& args) {
  return SetState(inv, args.agent_id, acd::v1::AGENT_STATE_AWAY, args.reason);
}

int RunAgentOffers(const Invocation& inv, const AgentOffersArgs& args) {
  acd::v1::StreamOffersRequest request;
  request.set_agent_id(args.agent_id);

  const std::shared_ptr<grpc::Channel> channel = Connect(*inv.global);
  Stub stub(channel);
  grpc::ClientContext context;  // No deadline: offers come while the desk is staffed.
  StreamCanceller canceller(&context, absl::InfiniteDuration());
  auto reader = stub.StreamOffers(&context, request);
  StreamTable table = OfferStreamTable();
  int offers = 0;
  acd::v1::OfferUpdate update;
  while (reader->Read(&update)) {
    if (inv.json()) {
      PrintJson(std::cout, update, /*pretty=*/false);
    } else {
      table.PrintRow(std::cout, OfferRow(update, Clock::Local()));
    }
    if (!update.has_offer()) continue;
    if (args.accept) {
      AcceptFromStream(inv, channel, args.agent_id, update.offer().call().call_id(), table);
    }
    if (args.count > 0 && ++offers >= args.count) {
      canceller.Cancel();
      break;
    }
  }
  const grpc::Status status = reader->Finish();
  if (status.ok() || canceller.EndedStream(status)) return kExitOk;
  return ReportRpcError(inv, status);
}

int RunAgentAccept(const Invocation& inv, const AgentCallArgs& args) {
  acd::v1::AcceptOfferRequest request;
  request.set_agent_id(args.agent_id);
  request.set_call_id(args.call_id);
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::AcceptOffer, request, &call), call);
}

int RunAgentReject(const Invocation& inv, const AgentCallArgs& args) {
  acd::v1::RejectOfferRequest request;
  request.set_agent_id(args.agent_id);
  request.set_call_id(args.call_id);
  request.set_reason(args.reason);
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::RejectOffer, request, &call), call);
}

int RunAgentComplete(const Invocation& inv, const AgentCallArgs& args) {
  acd::v1::CompleteCallRequest request;
  request.set_agent_id(args.agent_id);
  request.set_call_id(args.call_id);
  request.set_disposition(args.disposition);
  request.set_notes(args.notes);
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::CompleteCall, request, &call), call);
}

}  // namespace acd::ctl

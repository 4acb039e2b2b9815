// Verbs of acd.v1.CallService: call enqueue|get|abandon|end|transfer|callback, events.
#include <iostream>

#include "acd/v1/admin_service.grpc.pb.h"
#include "acd/v1/call_service.grpc.pb.h"
#include "client/acdctl/args.h"
#include "client/acdctl/output.h"
#include "client/acdctl/stream_canceller.h"
#include "client/acdctl/verbs.h"
#include "client/acdctl/views.h"

namespace acd::ctl {
namespace {

using Stub = acd::v1::CallService::Stub;

}  // namespace

int PrintCallReply(const Invocation& inv, const grpc::Status& status, const acd::v1::Call& call) {
  if (!status.ok()) return ReportRpcError(inv, status);
  PrintRecord(std::cout, inv.json(), call, CallFields(call, Clock::Local()));
  return kExitOk;
}

int RunCallEnqueue(const Invocation& inv, const CallEnqueueArgs& args) {
  // CLI11 checked each value; this catches what it cannot: repeated names.
  const auto skills = ParseSkills(args.skills);
  if (!skills.ok()) return ReportUsageError(inv, skills.status().message());
  const auto attributes = ParseAttributes(args.attributes);
  if (!attributes.ok()) return ReportUsageError(inv, attributes.status().message());

  acd::v1::EnqueueCallRequest request;
  request.set_call_id(args.call_id);
  request.set_queue(args.queue);
  request.set_priority(args.priority);
  request.mutable_required_skills()->insert(skills->begin(), skills->end());
  request.mutable_attributes()->insert(attributes->begin(), attributes->end());
  acd::v1::EnqueueCallResponse response;
  const grpc::Status status = CallUnary(*inv.global, &Stub::EnqueueCall, request, &response);
  if (!status.ok()) return ReportRpcError(inv, status);

  Fields fields = {{"created", response.created() ? "yes" : "no (the call already existed)"}};
  if (response.callback_offered()) {
    fields.emplace_back("callback offered", "yes (the wait is long: offer the caller a callback)");
  }
  const Fields call = CallFields(response.call(), Clock::Local());
  fields.insert(fields.end(), call.begin(), call.end());
  PrintRecord(std::cout, inv.json(), response, fields);
  return kExitOk;
}

int RunCallGet(const Invocation& inv, const CallArgs& args) {
  acd::v1::GetCallRequest request;
  request.set_call_id(args.call_id);
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::GetCall, request, &call), call);
}

int RunCallAbandon(const Invocation& inv, const CallArgs& args) {
  acd::v1::AbandonCallRequest request;
  request.set_call_id(args.call_id);
  request.set_reason(args.reason);
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::AbandonCall, request, &call), call);
}

int RunCallEnd(const Invocation& inv, const CallArgs& args) {
  acd::v1::EndCallRequest request;
  request.set_call_id(args.call_id);
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::EndCall, request, &call), call);
}

int RunCallCallback(const Invocation& inv, const CallCallbackArgs& args) {
  acd::v1::RequestCallbackRequest request;
  request.set_call_id(args.call_id);
  request.set_number(args.number);
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::RequestCallback, request, &call), call);
}

int RunCallCallbackFailed(const Invocation& inv, const CallCallbackArgs& args) {
  acd::v1::CallbackFailedRequest request;
  request.set_call_id(args.call_id);
  request.set_reason(args.reason);
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::CallbackFailed, request, &call), call);
}

int RunCallTransfer(const Invocation& inv, const CallTransferArgs& args) {
  if (args.queue.empty() == args.agent_id.empty()) {
    return ReportUsageError(inv, "give exactly one of --queue and --agent");
  }
  if (!args.queue.empty() && !args.fallback.empty()) {
    return ReportUsageError(inv, "--fallback goes with --agent, not --queue");
  }
  if (!args.agent_id.empty() && args.priority) {
    return ReportUsageError(inv, "--priority goes with --queue, not --agent");
  }
  acd::v1::TransferCallRequest request;
  request.set_call_id(args.call_id);
  if (!args.queue.empty()) {
    request.set_queue(args.queue);
    if (args.priority) request.set_priority(*args.priority);
  } else {
    request.set_agent_id(args.agent_id);
    request.set_fallback_queue(args.fallback);
  }
  acd::v1::Call call;
  return PrintCallReply(inv, CallUnary(*inv.global, &Stub::TransferCall, request, &call), call);
}

int RunCallMove(const Invocation& inv, const CallMoveArgs& args) {
  acd::v1::MoveCallRequest request;
  request.set_call_id(args.call_id);
  request.set_queue(args.queue);
  acd::v1::Call call;
  return PrintCallReply(
      inv, CallUnary(*inv.global, &acd::v1::AdminService::Stub::MoveCall, request, &call), call);
}

int RunEvents(const Invocation& inv, const EventsArgs& args) {
  acd::v1::WatchEventsRequest request;
  request.set_call_id(args.call_id);
  request.set_agent_id(args.agent_id);
  request.set_queue(args.queue);
  request.set_after_seq(args.after_seq);

  Stub stub(Connect(*inv.global));
  grpc::ClientContext context;  // No deadline: the stream is live.
  StreamCanceller canceller(
      &context, args.follow ? absl::InfiniteDuration() : absl::Seconds(args.idle_seconds));
  auto reader = stub.WatchEvents(&context, request);
  StreamTable table = EventStreamTable();
  acd::v1::Event event;
  while (reader->Read(&event)) {
    canceller.Touch();
    if (inv.json()) {
      PrintJson(std::cout, event, /*pretty=*/false);
    } else {
      table.PrintRow(std::cout, EventRow(event, Clock::Local()));
    }
  }
  const grpc::Status status = reader->Finish();
  if (status.ok() || canceller.EndedStream(status)) return kExitOk;
  return ReportRpcError(inv, status);
}

}  // namespace acd::ctl

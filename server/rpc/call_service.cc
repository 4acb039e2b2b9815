#include "server/rpc/services.h"
#include "server/rpc/stream_reactor.h"
#include "server/rpc/unary.h"

namespace acd::rpc {

using core::Call;
using core::Engine;

grpc::ServerUnaryReactor* CallServiceImpl::EnqueueCall(grpc::CallbackServerContext* ctx,
                                                       const v1::EnqueueCallRequest* req,
                                                       v1::EnqueueCallResponse* resp) {
  core::EnqueueRequest request;
  request.call_id = req->call_id();
  request.queue = req->queue();
  request.priority = req->priority();
  for (const auto& [k, v] : req->required_skills()) request.required_skills[k] = v;
  for (const auto& [k, v] : req->attributes()) request.attributes[k] = v;
  return Run<core::EnqueueResult>(
      ctx, runtime_,
      [request = std::move(request)](Engine& engine, absl::Time now) {
        return engine.EnqueueCall(request, now);
      },
      [resp](const core::EnqueueResult& r) {
        ToProto(r.call, resp->mutable_call());
        resp->set_created(r.created);
        resp->set_callback_offered(r.callback_offered);
      });
}

grpc::ServerUnaryReactor* CallServiceImpl::GetCall(grpc::CallbackServerContext* ctx,
                                                   const v1::GetCallRequest* req, v1::Call* resp) {
  return Run<Call>(
      ctx, runtime_,
      [id = req->call_id()](Engine& engine, absl::Time) { return engine.GetCall(id); },
      [resp](const Call& call) { ToProto(call, resp); });
}

grpc::ServerUnaryReactor* CallServiceImpl::AbandonCall(grpc::CallbackServerContext* ctx,
                                                       const v1::AbandonCallRequest* req,
                                                       v1::Call* resp) {
  return Run<Call>(
      ctx, runtime_,
      [id = req->call_id(), reason = req->reason()](Engine& engine, absl::Time now) {
        return engine.AbandonCall(id, reason, now);
      },
      [resp](const Call& call) { ToProto(call, resp); });
}

grpc::ServerUnaryReactor* CallServiceImpl::EndCall(grpc::CallbackServerContext* ctx,
                                                   const v1::EndCallRequest* req, v1::Call* resp) {
  return Run<Call>(
      ctx, runtime_,
      [id = req->call_id()](Engine& engine, absl::Time now) { return engine.EndCall(id, now); },
      [resp](const Call& call) { ToProto(call, resp); });
}

grpc::ServerUnaryReactor* CallServiceImpl::TransferCall(grpc::CallbackServerContext* ctx,
                                                        const v1::TransferCallRequest* req,
                                                        v1::Call* resp) {
  auto fill = [resp](const Call& call) { ToProto(call, resp); };
  switch (req->target_case()) {
    case v1::TransferCallRequest::kQueue: {
      std::optional<int> priority;
      if (req->has_priority()) priority = req->priority();
      return Run<Call>(
          ctx, runtime_,
          [id = req->call_id(), queue = req->queue(), priority](Engine& engine, absl::Time now) {
            return engine.TransferToQueue(id, queue, priority, now);
          },
          fill);
    }
    case v1::TransferCallRequest::kAgentId:
      return Run<Call>(
          ctx, runtime_,
          [id = req->call_id(), agent = req->agent_id(), fallback = req->fallback_queue()](
              Engine& engine, absl::Time now) {
            return engine.TransferToAgent(id, agent, fallback, now);
          },
          fill);
    default:
      return Refuse(ctx,
                    absl::InvalidArgumentError("a transfer needs a target: set queue or agent_id"));
  }
}

grpc::ServerUnaryReactor* CallServiceImpl::RequestCallback(grpc::CallbackServerContext* ctx,
                                                           const v1::RequestCallbackRequest* req,
                                                           v1::Call* resp) {
  return Run<Call>(
      ctx, runtime_,
      [id = req->call_id(), number = req->number()](Engine& engine, absl::Time now) {
        return engine.RequestCallback(id, number, now);
      },
      [resp](const Call& call) { ToProto(call, resp); });
}

grpc::ServerUnaryReactor* CallServiceImpl::CallbackFailed(grpc::CallbackServerContext* ctx,
                                                          const v1::CallbackFailedRequest* req,
                                                          v1::Call* resp) {
  return Run<Call>(
      ctx, runtime_,
      [id = req->call_id(), reason = req->reason()](Engine& engine, absl::Time now) {
        return engine.CallbackFailed(id, reason, now);
      },
      [resp](const Call& call) { ToProto(call, resp); });
}

grpc::ServerWriteReactor<v1::Event>* CallServiceImpl::WatchEvents(
    grpc::CallbackServerContext* ctx, const v1::WatchEventsRequest* req) {
  auto filter = *req;
  return StreamReactor<v1::Event>::Start(
      runtime_, [filter](const core::Event& e) -> std::optional<v1::Event> {
        if (!filter.call_id().empty() && e.call_id != filter.call_id()) return std::nullopt;
        if (!filter.agent_id().empty() && e.agent_id != filter.agent_id()) return std::nullopt;
        if (!filter.queue().empty() && e.queue != filter.queue()) return std::nullopt;
        v1::Event out;
        ToProto(e, &out);
        return out;
      });
}

}  // namespace acd::rpc

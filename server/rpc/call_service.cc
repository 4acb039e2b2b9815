#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/rpc/services.h"
#include "server/rpc/stream_reactor.h"
#include "server/rpc/unary.h"
#include "server/rpc/validate.h"

namespace acd::rpc {

using core::Call;
using core::Engine;

grpc::ServerUnaryReactor* CallServiceImpl::EnqueueCall(grpc::CallbackServerContext* ctx,
                                                       const v1::EnqueueCallRequest* req,
                                                       v1::EnqueueCallResponse* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.CallService/EnqueueCall");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  core::EnqueueRequest request;
  request.call_id = req->call_id();
  request.queue = req->queue();
  request.priority = req->priority();
  request.required_skills = {req->required_skills().begin(), req->required_skills().end()};
  request.attributes = {req->attributes().begin(), req->attributes().end()};
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
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.CallService/GetCall");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return RunRead<Call>(
      ctx, runtime_,
      [id = req->call_id(), caller = *std::move(caller)](const Engine& engine,
                                                         absl::Time) -> absl::StatusOr<Call> {
        absl::StatusOr<Call> call = engine.GetCall(id);
        if (absl::Status s = CheckHeldCall(caller, id, call); !s.ok()) return s;
        return call;
      },
      [resp](const Call& call) { ToProto(call, resp); });
}

grpc::ServerUnaryReactor* CallServiceImpl::AbandonCall(grpc::CallbackServerContext* ctx,
                                                       const v1::AbandonCallRequest* req,
                                                       v1::Call* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.CallService/AbandonCall");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return Run<Call>(
      ctx, runtime_,
      [id = req->call_id(), reason = req->reason()](Engine& engine, absl::Time now) {
        return engine.AbandonCall(id, reason, now);
      },
      [resp](const Call& call) { ToProto(call, resp); });
}

grpc::ServerUnaryReactor* CallServiceImpl::EndCall(grpc::CallbackServerContext* ctx,
                                                   const v1::EndCallRequest* req, v1::Call* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.CallService/EndCall");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return Run<Call>(
      ctx, runtime_,
      [id = req->call_id()](Engine& engine, absl::Time now) { return engine.EndCall(id, now); },
      [resp](const Call& call) { ToProto(call, resp); });
}

grpc::ServerUnaryReactor* CallServiceImpl::TransferCall(grpc::CallbackServerContext* ctx,
                                                        const v1::TransferCallRequest* req,
                                                        v1::Call* resp) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.CallService/TransferCall");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  auto fill = [resp](const Call& call) { ToProto(call, resp); };
  // An agent token may transfer only a call its agent holds.
  auto held = [caller = *std::move(caller)](Engine& engine, const std::string& id) {
    if (caller.held_by.empty()) return absl::OkStatus();
    return CheckHeldCall(caller, id, engine.GetCall(id));
  };
  switch (req->target_case()) {
    case v1::TransferCallRequest::kQueue: {
      std::optional<int> priority;
      if (req->has_priority()) priority = req->priority();
      return Run<Call>(
          ctx, runtime_,
          [held, id = req->call_id(), queue = req->queue(), priority](
              Engine& engine, absl::Time now) -> absl::StatusOr<Call> {
            if (absl::Status s = held(engine, id); !s.ok()) return s;
            return engine.TransferToQueue(id, queue, priority, now);
          },
          fill);
    }
    case v1::TransferCallRequest::kAgentId:
      return Run<Call>(
          ctx, runtime_,
          [held, id = req->call_id(), agent = req->agent_id(), fallback = req->fallback_queue()](
              Engine& engine, absl::Time now) -> absl::StatusOr<Call> {
            if (absl::Status s = held(engine, id); !s.ok()) return s;
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
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.CallService/RequestCallback");
  if (!caller.ok()) return Refuse(ctx, caller.status());
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
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.CallService/CallbackFailed");
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return Run<Call>(
      ctx, runtime_,
      [id = req->call_id(), reason = req->reason()](Engine& engine, absl::Time now) {
        return engine.CallbackFailed(id, reason, now);
      },
      [resp](const Call& call) { ToProto(call, resp); });
}

namespace {

// Stored events a resumed WatchEvents reads per page: bounds what one stream
// holds in memory and how long one read takes.
constexpr int kBacklogPage = 256;

// The stored events of a resumed WatchEvents: the matching ones after the
// client's after_seq, up to the last seq committed when the stream subscribed.
// Live delivery starts right after that seq, so the two meet exactly.
class EventBacklog final : public Backlog<v1::Event> {
 public:
  EventBacklog(store::EventReader* reader, store::EventQuery query)
      : reader_(reader), query_(std::move(query)) {}

  absl::StatusOr<std::vector<v1::Event>> NextPage() override {
    std::vector<v1::Event> page;
    if (query_.after_seq >= query_.up_to_seq) return page;
    absl::StatusOr<std::vector<core::Event>> events = reader_->Read(query_);
    if (!events.ok()) return events.status();
    // A short page is the last one; no need to ask again.
    query_.after_seq =
        static_cast<int>(events->size()) < query_.limit ? query_.up_to_seq : events->back().seq;
    page.resize(events->size());
    for (size_t i = 0; i < events->size(); ++i) ToProto((*events)[i], &page[i]);
    return page;
  }

  bool Sent(const v1::Event& live) const override { return live.seq() <= query_.up_to_seq; }

 private:
  store::EventReader* reader_;
  store::EventQuery query_;
};

}  // namespace

grpc::ServerWriteReactor<v1::Event>* CallServiceImpl::WatchEvents(
    grpc::CallbackServerContext* ctx, const v1::WatchEventsRequest* req) {
  absl::StatusOr<Caller> caller = auth_->Authorize(ctx, "/acd.v1.CallService/WatchEvents");
  if (!caller.ok()) return new RefusedStream<v1::Event>(caller.status());
  if (absl::Status s = Validate(*req); !s.ok()) return new RefusedStream<v1::Event>(s);
  auto filter = *req;
  // The runtime hands the stream only the events its filter matches.
  runtime::Interest interest{
      .call_id = filter.call_id(), .agent_id = filter.agent_id(), .queue = filter.queue()};
  auto transform = [](const core::Event& e) -> std::optional<v1::Event> {
    v1::Event out;
    ToProto(e, &out);
    return out;
  };
  StreamReactor<v1::Event>::LeaseOr lease = AcquireStream(streams_, StreamKind::kEvents);
  if (filter.after_seq() == 0) {
    return StreamReactor<v1::Event>::Start(runtime_, std::move(lease), std::move(interest),
                                           transform);
  }
  // Engine thread, at subscription: the sink gets every event committed after
  // committed_seq() read here, so the backlog ends at it.
  store::EventReader* reader = events_;
  runtime::Runtime* runtime = runtime_;
  return StreamReactor<v1::Event>::StartResumed(
      runtime_, std::move(lease), std::move(interest), transform,
      [filter, reader, runtime](
          const Engine&) -> absl::StatusOr<std::unique_ptr<Backlog<v1::Event>>> {
        const int64_t after = filter.after_seq();
        const int64_t committed = runtime->committed_seq();
        if (after > committed) {
          return absl::OutOfRangeError(absl::StrCat(
              "after_seq ", after, " is past the last committed event seq ", committed));
        }
        if (after == committed) return nullptr;
        if (reader == nullptr) {
          return absl::UnavailableError(
              absl::StrCat("resuming from after_seq ", after,
                           " needs the daemon's database in a file; this daemon runs on :memory:"));
        }
        store::EventQuery query{.after_seq = after,
                                .up_to_seq = committed,
                                .call_id = filter.call_id(),
                                .agent_id = filter.agent_id(),
                                .queue = filter.queue(),
                                .limit = kBacklogPage};
        return std::make_unique<EventBacklog>(reader, std::move(query));
      });
}

}  // namespace acd::rpc

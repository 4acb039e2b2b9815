#include "absl/strings/str_cat.h"
#include "server/rpc/services.h"
#include "server/rpc/stream_reactor.h"
#include "server/rpc/unary.h"

namespace acd::rpc {

using core::Agent;
using core::Call;
using core::Engine;

namespace {

void FillAgent(v1::Agent* resp, const Agent& agent) { ToProto(agent, resp); }

v1::OfferUpdate MakeOffer(const Call& call) {
  v1::OfferUpdate update;
  ToProto(call, update.mutable_offer()->mutable_call());
  return update;
}

}  // namespace

grpc::ServerUnaryReactor* AgentServiceImpl::Login(grpc::CallbackServerContext* ctx,
                                                  const v1::LoginRequest* req, v1::Agent* resp) {
  absl::StatusOr<Caller> caller =
      auth_->Authorize(ctx, "/acd.v1.AgentService/Login", req->agent_id());
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return Run<Agent>(
      ctx, runtime_,
      [id = req->agent_id(), ready = req->ready()](Engine& engine, absl::Time now) {
        return engine.Login(id, ready, now);
      },
      [resp](const Agent& a) { FillAgent(resp, a); });
}

grpc::ServerUnaryReactor* AgentServiceImpl::Logout(grpc::CallbackServerContext* ctx,
                                                   const v1::LogoutRequest* req, v1::Agent* resp) {
  absl::StatusOr<Caller> caller =
      auth_->Authorize(ctx, "/acd.v1.AgentService/Logout", req->agent_id());
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return Run<Agent>(
      ctx, runtime_,
      [id = req->agent_id()](Engine& engine, absl::Time now) { return engine.Logout(id, now); },
      [resp](const Agent& a) { FillAgent(resp, a); });
}

grpc::ServerUnaryReactor* AgentServiceImpl::SetState(grpc::CallbackServerContext* ctx,
                                                     const v1::SetStateRequest* req,
                                                     v1::Agent* resp) {
  absl::StatusOr<Caller> caller =
      auth_->Authorize(ctx, "/acd.v1.AgentService/SetState", req->agent_id());
  if (!caller.ok()) return Refuse(ctx, caller.status());
  switch (req->state()) {
    case v1::AGENT_STATE_AVAILABLE:
      return Run<Agent>(
          ctx, runtime_,
          [id = req->agent_id()](Engine& engine, absl::Time now) {
            return engine.SetAvailable(id, now);
          },
          [resp](const Agent& a) { FillAgent(resp, a); });
    case v1::AGENT_STATE_AWAY:
      return Run<Agent>(
          ctx, runtime_,
          [id = req->agent_id(), reason = req->reason()](Engine& engine, absl::Time now) {
            return engine.SetAway(id, reason, now);
          },
          [resp](const Agent& a) { FillAgent(resp, a); });
    default:
      return Refuse(ctx, absl::InvalidArgumentError(absl::StrCat(
                             "state ", v1::AgentState_Name(req->state()),
                             " cannot be set; use AGENT_STATE_AVAILABLE or AGENT_STATE_AWAY "
                             "(Login and Logout change the others)")));
  }
}

grpc::ServerWriteReactor<v1::OfferUpdate>* AgentServiceImpl::StreamOffers(
    grpc::CallbackServerContext* ctx, const v1::StreamOffersRequest* req) {
  absl::StatusOr<Caller> caller =
      auth_->Authorize(ctx, "/acd.v1.AgentService/StreamOffers", req->agent_id());
  if (!caller.ok()) return new RefusedStream<v1::OfferUpdate>(caller.status());
  const std::string agent_id = req->agent_id();
  // The offer last sent, so one sent at subscription is not sent again when
  // its event is committed. Engine thread only.
  auto last_offer = std::make_shared<std::pair<std::string, absl::Time>>();
  return StreamReactor<v1::OfferUpdate>::Start(
      runtime_, AcquireOfferStream(streams_, agent_id), runtime::Interest::Agent(agent_id),
      [agent_id, last_offer](const core::Event& e) -> std::optional<v1::OfferUpdate> {
        if (e.agent_id != agent_id || !e.call) return std::nullopt;
        switch (e.type) {
          case core::EventType::kCallOffered: {
            std::pair<std::string, absl::Time> key{e.call_id, *e.call->offered_at};
            if (*last_offer == key) return std::nullopt;
            *last_offer = key;
            return MakeOffer(*e.call);
          }
          case core::EventType::kOfferRejected:
          case core::EventType::kOfferTimedOut:
          case core::EventType::kOfferWithdrawn: {
            v1::OfferUpdate update;
            update.mutable_withdrawn()->set_call_id(e.call_id);
            update.mutable_withdrawn()->set_reason(e.reason);
            return update;
          }
          default:
            return std::nullopt;
        }
      },
      [agent_id, last_offer](
          const Engine& engine) -> absl::StatusOr<std::vector<v1::OfferUpdate>> {
        if (absl::StatusOr<Agent> agent = engine.GetAgent(agent_id); !agent.ok()) {
          return agent.status();
        }
        std::vector<v1::OfferUpdate> first;
        if (std::optional<Call> offer = engine.OutstandingOffer(agent_id)) {
          *last_offer = {offer->call_id, *offer->offered_at};
          first.push_back(MakeOffer(*offer));
        }
        return first;
      });
}

grpc::ServerUnaryReactor* AgentServiceImpl::AcceptOffer(grpc::CallbackServerContext* ctx,
                                                        const v1::AcceptOfferRequest* req,
                                                        v1::Call* resp) {
  absl::StatusOr<Caller> caller =
      auth_->Authorize(ctx, "/acd.v1.AgentService/AcceptOffer", req->agent_id());
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return Run<Call>(
      ctx, runtime_,
      [agent = req->agent_id(), call = req->call_id()](Engine& engine, absl::Time now) {
        return engine.AcceptOffer(agent, call, now);
      },
      [resp](const Call& c) { ToProto(c, resp); });
}

grpc::ServerUnaryReactor* AgentServiceImpl::RejectOffer(grpc::CallbackServerContext* ctx,
                                                        const v1::RejectOfferRequest* req,
                                                        v1::Call* resp) {
  absl::StatusOr<Caller> caller =
      auth_->Authorize(ctx, "/acd.v1.AgentService/RejectOffer", req->agent_id());
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return Run<Call>(
      ctx, runtime_,
      [agent = req->agent_id(), call = req->call_id(), reason = req->reason()](
          Engine& engine, absl::Time now) { return engine.RejectOffer(agent, call, reason, now); },
      [resp](const Call& c) { ToProto(c, resp); });
}

grpc::ServerUnaryReactor* AgentServiceImpl::CompleteCall(grpc::CallbackServerContext* ctx,
                                                         const v1::CompleteCallRequest* req,
                                                         v1::Call* resp) {
  absl::StatusOr<Caller> caller =
      auth_->Authorize(ctx, "/acd.v1.AgentService/CompleteCall", req->agent_id());
  if (!caller.ok()) return Refuse(ctx, caller.status());
  return Run<Call>(
      ctx, runtime_,
      [agent = req->agent_id(), call = req->call_id(), disposition = req->disposition(),
       notes = req->notes()](Engine& engine, absl::Time now) {
        return engine.CompleteCall(agent, call, disposition, notes, now);
      },
      [resp](const Call& c) { ToProto(c, resp); });
}

}  // namespace acd::rpc

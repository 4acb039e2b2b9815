// The gRPC services of acd.v1 (callback API). A handler checks the shape of
// its request, posts a command to the runtime and finishes its reactor from
// the command's completion; it never blocks and never touches engine state.
//
// Every handler first asks the Authorizer whether the caller's token may make
// the call (auth.h), and refuses it before doing anything else if not.
//
// Limits: the engine checks the values it keeps (core/limits.h), validate.h
// the wire-only shapes; streams take a place from the StreamLimiter (null:
// unlimited), which must outlive the services.
//
// Thread safety: gRPC calls the handlers from its own threads; the services
// keep no mutable state of their own.
#ifndef ACD_SERVER_RPC_SERVICES_H_
#define ACD_SERVER_RPC_SERVICES_H_

#include "acd/v1/admin_service.grpc.pb.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "acd/v1/call_service.grpc.pb.h"
#include "server/rpc/auth.h"
#include "server/rpc/stream_limiter.h"
#include "server/runtime/config_manager.h"
#include "server/runtime/runtime.h"
#include "server/store/event_reader.h"
#include "server/store/report_reader.h"

namespace acd::rpc {

class CallServiceImpl final : public v1::CallService::CallbackService {
 public:
  // `events` reads the backlog of a resumed WatchEvents (after_seq); it may be
  // null (an in-memory database), and resuming is then UNAVAILABLE.
  CallServiceImpl(runtime::Runtime* runtime, const Authorizer* auth,
                  store::EventReader* events = nullptr, StreamLimiter* streams = nullptr)
      : runtime_(runtime), auth_(auth), events_(events), streams_(streams) {}

  grpc::ServerUnaryReactor* EnqueueCall(grpc::CallbackServerContext* ctx,
                                        const v1::EnqueueCallRequest* req,
                                        v1::EnqueueCallResponse* resp) override;
  grpc::ServerUnaryReactor* GetCall(grpc::CallbackServerContext* ctx, const v1::GetCallRequest* req,
                                    v1::Call* resp) override;
  grpc::ServerUnaryReactor* AbandonCall(grpc::CallbackServerContext* ctx,
                                        const v1::AbandonCallRequest* req, v1::Call* resp) override;
  grpc::ServerUnaryReactor* EndCall(grpc::CallbackServerContext* ctx, const v1::EndCallRequest* req,
                                    v1::Call* resp) override;
  grpc::ServerUnaryReactor* TransferCall(grpc::CallbackServerContext* ctx,
                                         const v1::TransferCallRequest* req,
                                         v1::Call* resp) override;
  grpc::ServerUnaryReactor* RequestCallback(grpc::CallbackServerContext* ctx,
                                            const v1::RequestCallbackRequest* req,
                                            v1::Call* resp) override;
  grpc::ServerUnaryReactor* CallbackFailed(grpc::CallbackServerContext* ctx,
                                           const v1::CallbackFailedRequest* req,
                                           v1::Call* resp) override;
  grpc::ServerWriteReactor<v1::Event>* WatchEvents(grpc::CallbackServerContext* ctx,
                                                   const v1::WatchEventsRequest* req) override;

 private:
  runtime::Runtime* runtime_;
  const Authorizer* auth_;
  store::EventReader* events_;
  StreamLimiter* streams_;
};

class AgentServiceImpl final : public v1::AgentService::CallbackService {
 public:
  AgentServiceImpl(runtime::Runtime* runtime, const Authorizer* auth,
                   StreamLimiter* streams = nullptr)
      : runtime_(runtime), auth_(auth), streams_(streams) {}

  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* ctx, const v1::LoginRequest* req,
                                  v1::Agent* resp) override;
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* ctx, const v1::LogoutRequest* req,
                                   v1::Agent* resp) override;
  grpc::ServerUnaryReactor* SetState(grpc::CallbackServerContext* ctx,
                                     const v1::SetStateRequest* req, v1::Agent* resp) override;
  grpc::ServerWriteReactor<v1::OfferUpdate>* StreamOffers(
      grpc::CallbackServerContext* ctx, const v1::StreamOffersRequest* req) override;
  grpc::ServerUnaryReactor* AcceptOffer(grpc::CallbackServerContext* ctx,
                                        const v1::AcceptOfferRequest* req, v1::Call* resp) override;
  grpc::ServerUnaryReactor* RejectOffer(grpc::CallbackServerContext* ctx,
                                        const v1::RejectOfferRequest* req, v1::Call* resp) override;
  grpc::ServerUnaryReactor* CompleteCall(grpc::CallbackServerContext* ctx,
                                         const v1::CompleteCallRequest* req,
                                         v1::Call* resp) override;

 private:
  runtime::Runtime* runtime_;
  const Authorizer* auth_;
  StreamLimiter* streams_;
};

class AdminServiceImpl final : public v1::AdminService::CallbackService {
 public:
  // `reports` may be null (a database SQLite cannot share, e.g. ":memory:"):
  // GetReport is then UNAVAILABLE.
  AdminServiceImpl(runtime::Runtime* runtime, const Authorizer* auth,
                   runtime::ConfigManager* config, store::ReportReader* reports,
                   StreamLimiter* streams = nullptr)
      : runtime_(runtime), auth_(auth), config_(config), reports_(reports), streams_(streams) {}

  grpc::ServerUnaryReactor* ListQueues(grpc::CallbackServerContext* ctx,
                                       const v1::ListQueuesRequest* req,
                                       v1::ListQueuesResponse* resp) override;
  grpc::ServerUnaryReactor* GetQueueStats(grpc::CallbackServerContext* ctx,
                                          const v1::GetQueueStatsRequest* req,
                                          v1::QueueStats* resp) override;
  grpc::ServerUnaryReactor* ListAgents(grpc::CallbackServerContext* ctx,
                                       const v1::ListAgentsRequest* req,
                                       v1::ListAgentsResponse* resp) override;
  grpc::ServerUnaryReactor* ListCalls(grpc::CallbackServerContext* ctx,
                                      const v1::ListCallsRequest* req,
                                      v1::ListCallsResponse* resp) override;
  grpc::ServerUnaryReactor* MoveCall(grpc::CallbackServerContext* ctx,
                                     const v1::MoveCallRequest* req, v1::Call* resp) override;
  grpc::ServerUnaryReactor* Staffing(grpc::CallbackServerContext* ctx,
                                     const v1::StaffingRequest* req,
                                     v1::StaffingResponse* resp) override;
  grpc::ServerUnaryReactor* GetReport(grpc::CallbackServerContext* ctx,
                                      const v1::GetReportRequest* req,
                                      v1::GetReportResponse* resp) override;
  grpc::ServerUnaryReactor* ValidateConfig(grpc::CallbackServerContext* ctx,
                                           const v1::ValidateConfigRequest* req,
                                           v1::ValidateConfigResponse* resp) override;
  grpc::ServerUnaryReactor* ReloadConfig(grpc::CallbackServerContext* ctx,
                                         const v1::ReloadConfigRequest* req,
                                         v1::ReloadConfigResponse* resp) override;
  grpc::ServerWriteReactor<v1::StatsSnapshot>* WatchStats(
      grpc::CallbackServerContext* ctx, const v1::WatchStatsRequest* req) override;

 private:
  runtime::Runtime* runtime_;
  const Authorizer* auth_;
  runtime::ConfigManager* config_;
  store::ReportReader* reports_;
  StreamLimiter* streams_;
};

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_SERVICES_H_

// Client: the gRPC calls tests make of acdd, one line each.
//
// Stubs are the three generated service stubs on one channel. A Client sends
// the RPCs tests repeat (log in, enqueue, accept, end, complete ...) over
// Stubs it borrows or owns, each with a deadline (10 s unless the Client was
// made with another), and returns a Reply: the status and the response
// together, so one helper serves both the test that expects success and the
// one that expects an error.
//
//   client.Login("bob");                           // and that worked
//   EXPECT_EQ(client.GetCall("c1")->state(), v1::CALL_STATE_OFFERED);
//   EXPECT_EQ(client.Enqueue("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
//
// The rule that keeps the first line honest: a Reply whose RPC failed fails
// the test, at the test's own line, unless the test looked at its status
// (ok(), status(), error_code(), error_message()). Reading the response
// (*reply, reply->field()) of a failed RPC fails the test the same way, and
// gives the empty message. The response lives in the Reply: a loop over a
// field of it needs the Reply in a variable, not a temporary.
//
// OfferStream (an agent's StreamOffers) and EventWatch (WatchEvents) are live
// once constructed: they wait for the stream's initial metadata, which acdd
// sends once the subscription is in place, so everything that happens after
// the constructor returns reaches them. Each carries a deadline (20 s unless
// told) over the whole stream, so a broken server fails a test instead of
// hanging it; going out of scope cancels the stream.
//
// Thread safety: a Client may be used from several threads at once (gRPC
// stubs are thread-safe and a Client holds no other state); a Reply, an
// OfferStream or an EventWatch belongs to one thread at a time.
#ifndef ACD_TESTS_SUPPORT_CLIENT_H_
#define ACD_TESTS_SUPPORT_CLIENT_H_

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "acd/v1/admin_service.grpc.pb.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "acd/v1/call_service.grpc.pb.h"

namespace acd::testing {

// Clients for a daemon at `address`.
struct Stubs {
  explicit Stubs(const std::string& address)
      : channel(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        calls(v1::CallService::NewStub(channel)),
        agents(v1::AgentService::NewStub(channel)),
        admin(v1::AdminService::NewStub(channel)) {}
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::CallService::Stub> calls;
  std::unique_ptr<v1::AgentService::Stub> agents;
  std::unique_ptr<v1::AdminService::Stub> admin;
};

// A context with a deadline, so a broken server fails a test instead of hanging it.
inline std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 10) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

// How long a unary RPC may take, and a stream stay open, unless told.
inline constexpr std::chrono::seconds kRpcDeadline{10};
inline constexpr std::chrono::seconds kStreamDeadline{20};

// Where a test called a helper, taken as a defaulted last argument, so a
// failure points at the test's line and not at this file.
struct CallSite {
  const char* file = __builtin_FILE();
  int line = __builtin_LINE();
};

// The outcome of one unary RPC (see the top of this file for the rule about
// failed replies nobody looked at).
template <typename Response>
class Reply {
 public:
  Reply(std::string what, grpc::Status status, Response response, CallSite where)
      : what_(std::move(what)),
        status_(std::move(status)),
        response_(std::move(response)),
        where_(where) {}
  Reply(Reply&& other) noexcept
      : what_(std::move(other.what_)),
        status_(std::move(other.status_)),
        response_(std::move(other.response_)),
        where_(other.where_),
        checked_(other.checked_) {
    other.checked_ = true;  // the moved-to reply reports, once
  }
  Reply& operator=(Reply&&) = delete;
  ~Reply() {
    if (!checked_ && !status_.ok()) Fail();
  }

  // Looking at the status makes the test responsible for it.
  bool ok() const { return status().ok(); }
  const grpc::Status& status() const {
    checked_ = true;
    return status_;
  }
  grpc::StatusCode error_code() const { return status().error_code(); }
  std::string error_message() const { return status().error_message(); }

  // The response of an RPC the test expects to have worked.
  const Response& operator*() const {
    ExpectOk();
    return response_;
  }
  const Response* operator->() const {
    ExpectOk();
    return &response_;
  }

 private:
  void ExpectOk() const {
    if (checked_) return;
    checked_ = true;
    if (!status_.ok()) Fail();
  }
  void Fail() const {
    ADD_FAILURE_AT(where_.file, where_.line)
        << what_ << " failed: "
        << absl::StatusCodeToString(static_cast<absl::StatusCode>(status_.error_code())) << ": "
        << status_.error_message();
  }

  std::string what_;  // the RPC and its arguments, for the failure message
  grpc::Status status_;
  Response response_;
  CallSite where_;
  mutable bool checked_ = false;
};

// A call as EnqueueCall takes it, beyond its id.
struct CallSpec {
  std::string queue;  // empty: the routing rules pick the queue
  int priority = 0;
  std::map<std::string, std::string> attributes;
  std::map<std::string, int> skills;  // required skill -> minimum level
};

class Client {
 public:
  // Over `stubs`, which must outlive the Client.
  explicit Client(Stubs& stubs, std::chrono::seconds deadline = kRpcDeadline)
      : stubs_(&stubs), deadline_(deadline) {}
  // Over stubs of its own, on a new channel to `address`.
  explicit Client(const std::string& address, std::chrono::seconds deadline = kRpcDeadline)
      : owned_(std::make_unique<Stubs>(address)), stubs_(owned_.get()), deadline_(deadline) {}
  // Over `stubs`, which it keeps (say, stubs on a channel that sends a token).
  explicit Client(std::unique_ptr<Stubs> stubs, std::chrono::seconds deadline = kRpcDeadline)
      : owned_(std::move(stubs)), stubs_(owned_.get()), deadline_(deadline) {}

  Stubs& stubs() const { return *stubs_; }

  // --- AgentService

  Reply<v1::Agent> Login(const std::string& agent, bool ready = true, CallSite where = {}) const {
    v1::LoginRequest req;
    req.set_agent_id(agent);
    req.set_ready(ready);
    return Unary(&v1::AgentService::Stub::Login, *stubs_->agents, req,
                 absl::StrCat("Login(\"", agent, "\")"), where);
  }
  Reply<v1::Agent> Logout(const std::string& agent, CallSite where = {}) const {
    v1::LogoutRequest req;
    req.set_agent_id(agent);
    return Unary(&v1::AgentService::Stub::Logout, *stubs_->agents, req,
                 absl::StrCat("Logout(\"", agent, "\")"), where);
  }
  Reply<v1::Agent> SetState(const std::string& agent, v1::AgentState state,
                            const std::string& reason = "", CallSite where = {}) const {
    v1::SetStateRequest req;
    req.set_agent_id(agent);
    req.set_state(state);
    req.set_reason(reason);
    return Unary(&v1::AgentService::Stub::SetState, *stubs_->agents, req,
                 absl::StrCat("SetState(\"", agent, "\", ", v1::AgentState_Name(state), ")"),
                 where);
  }
  Reply<v1::Call> Accept(const std::string& agent, const std::string& call,
                         CallSite where = {}) const {
    v1::AcceptOfferRequest req;
    req.set_agent_id(agent);
    req.set_call_id(call);
    return Unary(&v1::AgentService::Stub::AcceptOffer, *stubs_->agents, req,
                 absl::StrCat("AcceptOffer(\"", agent, "\", \"", call, "\")"), where);
  }
  Reply<v1::Call> Reject(const std::string& agent, const std::string& call,
                         const std::string& reason = "", CallSite where = {}) const {
    v1::RejectOfferRequest req;
    req.set_agent_id(agent);
    req.set_call_id(call);
    req.set_reason(reason);
    return Unary(&v1::AgentService::Stub::RejectOffer, *stubs_->agents, req,
                 absl::StrCat("RejectOffer(\"", agent, "\", \"", call, "\")"), where);
  }
  Reply<v1::Call> Complete(const std::string& agent, const std::string& call,
                           const std::string& disposition = "", const std::string& notes = "",
                           CallSite where = {}) const {
    v1::CompleteCallRequest req;
    req.set_agent_id(agent);
    req.set_call_id(call);
    req.set_disposition(disposition);
    req.set_notes(notes);
    return Unary(&v1::AgentService::Stub::CompleteCall, *stubs_->agents, req,
                 absl::StrCat("CompleteCall(\"", agent, "\", \"", call, "\")"), where);
  }

  // --- CallService

  // A plain call to `queue` ("support": kTestConfig's first queue).
  Reply<v1::EnqueueCallResponse> Enqueue(const std::string& call_id,
                                         const std::string& queue = "support",
                                         CallSite where = {}) const {
    return Enqueue(call_id, CallSpec{.queue = queue}, where);
  }
  Reply<v1::EnqueueCallResponse> Enqueue(const std::string& call_id, const CallSpec& spec,
                                         CallSite where = {}) const {
    v1::EnqueueCallRequest req;
    req.set_call_id(call_id);
    req.set_queue(spec.queue);
    req.set_priority(spec.priority);
    for (const auto& [k, v] : spec.attributes) (*req.mutable_attributes())[k] = v;
    for (const auto& [k, v] : spec.skills) (*req.mutable_required_skills())[k] = v;
    return Enqueue(req, where);
  }
  Reply<v1::EnqueueCallResponse> Enqueue(const v1::EnqueueCallRequest& req,
                                         CallSite where = {}) const {
    return Unary(&v1::CallService::Stub::EnqueueCall, *stubs_->calls, req,
                 absl::StrCat("EnqueueCall(\"", req.call_id(), "\", \"", req.queue(), "\")"),
                 where);
  }
  Reply<v1::Call> GetCall(const std::string& call, CallSite where = {}) const {
    v1::GetCallRequest req;
    req.set_call_id(call);
    return Unary(&v1::CallService::Stub::GetCall, *stubs_->calls, req,
                 absl::StrCat("GetCall(\"", call, "\")"), where);
  }
  Reply<v1::Call> Abandon(const std::string& call, CallSite where = {}) const {
    v1::AbandonCallRequest req;
    req.set_call_id(call);
    return Unary(&v1::CallService::Stub::AbandonCall, *stubs_->calls, req,
                 absl::StrCat("AbandonCall(\"", call, "\")"), where);
  }
  Reply<v1::Call> End(const std::string& call, CallSite where = {}) const {
    v1::EndCallRequest req;
    req.set_call_id(call);
    return Unary(&v1::CallService::Stub::EndCall, *stubs_->calls, req,
                 absl::StrCat("EndCall(\"", call, "\")"), where);
  }
  Reply<v1::Call> Transfer(const v1::TransferCallRequest& req, CallSite where = {}) const {
    return Unary(&v1::CallService::Stub::TransferCall, *stubs_->calls, req,
                 absl::StrCat("TransferCall(\"", req.call_id(), "\")"), where);
  }
  Reply<v1::Call> RequestCallback(const std::string& call, const std::string& number,
                                  CallSite where = {}) const {
    v1::RequestCallbackRequest req;
    req.set_call_id(call);
    req.set_number(number);
    return Unary(&v1::CallService::Stub::RequestCallback, *stubs_->calls, req,
                 absl::StrCat("RequestCallback(\"", call, "\", \"", number, "\")"), where);
  }
  Reply<v1::Call> CallbackFailed(const std::string& call, CallSite where = {}) const {
    v1::CallbackFailedRequest req;
    req.set_call_id(call);
    return Unary(&v1::CallService::Stub::CallbackFailed, *stubs_->calls, req,
                 absl::StrCat("CallbackFailed(\"", call, "\")"), where);
  }

  // --- AdminService

  Reply<v1::QueueStats> QueueStats(const std::string& queue, CallSite where = {}) const {
    v1::GetQueueStatsRequest req;
    req.set_queue(queue);
    return Unary(&v1::AdminService::Stub::GetQueueStats, *stubs_->admin, req,
                 absl::StrCat("GetQueueStats(\"", queue, "\")"), where);
  }
  Reply<v1::ListQueuesResponse> ListQueues(CallSite where = {}) const {
    return Unary(&v1::AdminService::Stub::ListQueues, *stubs_->admin, v1::ListQueuesRequest(),
                 "ListQueues()", where);
  }
  Reply<v1::ListAgentsResponse> ListAgents(CallSite where = {}) const {
    return Unary(&v1::AdminService::Stub::ListAgents, *stubs_->admin, v1::ListAgentsRequest(),
                 "ListAgents()", where);
  }
  Reply<v1::ListCallsResponse> ListCalls(const v1::ListCallsRequest& req = {},
                                         CallSite where = {}) const {
    return Unary(&v1::AdminService::Stub::ListCalls, *stubs_->admin, req, "ListCalls()", where);
  }
  Reply<v1::Call> Move(const std::string& call, const std::string& queue,
                       CallSite where = {}) const {
    v1::MoveCallRequest req;
    req.set_call_id(call);
    req.set_queue(queue);
    return Unary(&v1::AdminService::Stub::MoveCall, *stubs_->admin, req,
                 absl::StrCat("MoveCall(\"", call, "\", \"", queue, "\")"), where);
  }
  // Reloads the daemon's config file as it is now.
  Reply<v1::ReloadConfigResponse> Reload(CallSite where = {}) const {
    return Unary(&v1::AdminService::Stub::ReloadConfig, *stubs_->admin, v1::ReloadConfigRequest(),
                 "ReloadConfig()", where);
  }
  // The dry run of `yaml` ("": of the running file).
  Reply<v1::ValidateConfigResponse> Validate(const std::string& yaml,
                                             const std::string& file_name = "",
                                             CallSite where = {}) const {
    v1::ValidateConfigRequest req;
    req.set_config_yaml(yaml);
    req.set_file_name(file_name);
    return Unary(&v1::AdminService::Stub::ValidateConfig, *stubs_->admin, req, "ValidateConfig()",
                 where);
  }

 private:
  template <typename Stub, typename Request, typename Response>
  Reply<Response> Unary(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        Stub& stub, const Request& req, std::string what, CallSite where) const {
    Response resp;
    grpc::Status status = (stub.*method)(Ctx(deadline_.count()).get(), req, &resp);
    return Reply<Response>(std::move(what), std::move(status), std::move(resp), where);
  }

  std::unique_ptr<Stubs> owned_;  // null when borrowed
  Stubs* stubs_;
  std::chrono::seconds deadline_;  // of each RPC
};

// A server stream read on the test's thread, cancelled when it goes out of
// scope. The base of OfferStream and EventWatch.
template <typename Message>
class Stream {
 public:
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() { Cancel(); }

  // The next message; false once the stream has ended (see Finish).
  bool Read(Message* out) { return !finished_ && reader_->Read(out); }
  // The next message, which the test expects: a stream that ends first fails
  // the test (at its line) and gives the empty message.
  Message Next(CallSite where = {}) {
    Message m;
    if (!Read(&m)) ADD_FAILURE_AT(where.file, where.line) << what_ << " ended";
    return m;
  }
  // The status the stream ended with, after reading (and dropping) what is
  // left. Only the first call reads it; later ones return it again.
  grpc::Status Finish() {
    if (!finished_) {
      Message ignored;
      while (reader_->Read(&ignored)) {
      }
      status_ = reader_->Finish();
      finished_ = true;
    }
    return status_;
  }
  // The client goes away (a disconnect); the stream then ends CANCELLED.
  void Cancel() {
    if (finished_) return;
    ctx_.TryCancel();
    Finish();
  }
  // Asks the server to end the stream without waiting for it to (Finish
  // tells how it ended), say from another thread than the reader's.
  void TryCancel() { ctx_.TryCancel(); }

 protected:
  // The RPC, for failure messages.
  const std::string& what() const { return what_; }

  template <typename Open>
  Stream(std::string what, std::chrono::seconds deadline, Open open) : what_(std::move(what)) {
    ctx_.set_deadline(std::chrono::system_clock::now() + deadline);
    reader_ = open(&ctx_);
    reader_->WaitForInitialMetadata();
  }

 private:
  std::string what_;
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<Message>> reader_;
  bool finished_ = false;
  grpc::Status status_;
};

// An agent's StreamOffers: offers and withdrawals, live once constructed.
class OfferStream : public Stream<v1::OfferUpdate> {
 public:
  OfferStream(const Client& client, const std::string& agent,
              std::chrono::seconds deadline = kStreamDeadline)
      : Stream(absl::StrCat("StreamOffers(\"", agent, "\")"), deadline,
               [&](grpc::ClientContext* ctx) {
                 v1::StreamOffersRequest req;
                 req.set_agent_id(agent);
                 return client.stubs().agents->StreamOffers(ctx, req);
               }) {}

  // The call of the next update, which the test expects to be an offer.
  v1::Call NextOffer(CallSite where = {}) {
    v1::OfferUpdate update;
    if (!Read(&update)) {
      ADD_FAILURE_AT(where.file, where.line) << what() << " ended";
    } else if (!update.has_offer()) {
      ADD_FAILURE_AT(where.file, where.line)
          << what() << ": expected an offer, got " << update.ShortDebugString();
    }
    return update.offer().call();
  }
};

// What a WatchEvents stream carries: the events of one call, agent or queue
// (all when empty), and with after_seq > 0 the stored ones after it first.
struct EventFilter {
  std::string call_id;
  std::string agent_id;
  std::string queue;
  int64_t after_seq = 0;
};

// A WatchEvents stream, live (or resuming) once constructed.
class EventWatch : public Stream<v1::Event> {
 public:
  explicit EventWatch(const Client& client, const EventFilter& filter = {},
                      std::chrono::seconds deadline = kStreamDeadline)
      : Stream("WatchEvents", deadline, [&](grpc::ClientContext* ctx) {
          v1::WatchEventsRequest req;
          req.set_call_id(filter.call_id);
          req.set_agent_id(filter.agent_id);
          req.set_queue(filter.queue);
          req.set_after_seq(filter.after_seq);
          return client.stubs().calls->WatchEvents(ctx, req);
        }) {}

  // Reads until an event of `type` and returns it; nullopt if the stream
  // ends first (the test asserts on that).
  std::optional<v1::Event> WaitFor(v1::EventType type) {
    v1::Event event;
    while (Read(&event)) {
      if (event.type() == type) return event;
    }
    return std::nullopt;
  }
};

}  // namespace acd::testing

#endif  // ACD_TESTS_SUPPORT_CLIENT_H_

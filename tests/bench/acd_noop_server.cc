// acd-noop-server: CallService and AgentService with handlers that answer at
// once, keeping no state but the open offer streams. It is the baseline for
// `acd-sim --max-rate`: the same client against it measures what gRPC, the
// network stack and the client cost, so the ratio to acdd is what the daemon
// itself (engine, commit gate, SQLite) costs.
//
// What it does, so that acd-sim's client path is the same as against acdd:
//  - EnqueueCall(call_id, queue): answers the call OFFERED to the agent whose
//    id equals the queue name, and writes an offer of it on that agent's
//    StreamOffers stream, if one is open (acd-sim pairs each caller with the
//    agent named like its queue, as its generated acdd config does).
//  - Login / SetState: the agent, AVAILABLE. Logout: LOGGED_OUT.
//  - AcceptOffer: CONNECTED. EndCall: WRAP_UP (so the client sends
//    CompleteCall, as with acdd's wrap-up). CompleteCall: COMPLETED.
//    AbandonCall: ABANDONED. RejectOffer: QUEUED. GetCall: QUEUED.
//  - Everything else: UNIMPLEMENTED. No validation, no persistence.
//
// Usage: acd-noop-server [--listen 127.0.0.1:0] [--port-file FILE]; SIGINT or
// SIGTERM stops it.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "acd/v1/agent_service.grpc.pb.h"
#include "acd/v1/call_service.grpc.pb.h"

namespace acd::noop {
namespace {

class OfferStream;

// Open offer streams by agent id.
class Streams {
 public:
  void Add(const std::string& agent, OfferStream* stream) {
    std::lock_guard<std::mutex> lock(mu_);
    by_agent_[agent] = stream;
  }
  void Remove(const std::string& agent, OfferStream* stream) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_agent_.find(agent);
    if (it != by_agent_.end() && it->second == stream) by_agent_.erase(it);
  }
  // Writes `call` as an offer on `agent`'s stream, if open.
  void Offer(const std::string& agent, const v1::Call& call);

 private:
  std::mutex mu_;
  std::map<std::string, OfferStream*> by_agent_;
};

// One StreamOffers call: queues updates and writes them one at a time.
class OfferStream : public grpc::ServerWriteReactor<v1::OfferUpdate> {
 public:
  OfferStream(Streams* streams, std::string agent) : streams_(streams), agent_(std::move(agent)) {
    streams_->Add(agent_, this);
    StartSendInitialMetadata();
  }

  // Called with the Streams lock held, so the stream is alive.
  void Push(v1::OfferUpdate update) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    pending_.push_back(std::move(update));
    if (!writing_) WriteNext();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    pending_.pop_front();
    if (!ok) {
      FinishOnce(grpc::Status(grpc::StatusCode::UNAVAILABLE, "write failed"));
      return;
    }
    if (!pending_.empty()) WriteNext();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    FinishOnce(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    streams_->Remove(agent_, this);
    delete this;
  }

 private:
  void WriteNext() {
    writing_ = true;
    StartWrite(&pending_.front());
  }
  void FinishOnce(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  Streams* const streams_;
  const std::string agent_;
  std::mutex mu_;
  std::deque<v1::OfferUpdate> pending_;  // front is being written while writing_
  bool writing_ = false;
  bool finished_ = false;
};

void Streams::Offer(const std::string& agent, const v1::Call& call) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_agent_.find(agent);
  if (it == by_agent_.end()) return;
  v1::OfferUpdate update;
  *update.mutable_offer()->mutable_call() = call;
  it->second->Push(std::move(update));
}

// Finishes a unary callback at once.
grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

v1::Call CallIn(const std::string& call_id, v1::CallState state) {
  v1::Call call;
  call.set_call_id(call_id);
  call.set_state(state);
  return call;
}

class CallService final : public v1::CallService::CallbackService {
 public:
  explicit CallService(Streams* streams) : streams_(streams) {}

  grpc::ServerUnaryReactor* EnqueueCall(grpc::CallbackServerContext* context,
                                        const v1::EnqueueCallRequest* request,
                                        v1::EnqueueCallResponse* response) override {
    v1::Call* call = response->mutable_call();
    call->set_call_id(request->call_id());
    call->set_queue(request->queue());
    call->set_state(v1::CALL_STATE_OFFERED);
    call->set_agent_id(request->queue());
    response->set_created(true);
    streams_->Offer(request->queue(), *call);
    return Done(context);
  }
  grpc::ServerUnaryReactor* GetCall(grpc::CallbackServerContext* context,
                                    const v1::GetCallRequest* request, v1::Call* call) override {
    *call = CallIn(request->call_id(), v1::CALL_STATE_QUEUED);
    return Done(context);
  }
  grpc::ServerUnaryReactor* AbandonCall(grpc::CallbackServerContext* context,
                                        const v1::AbandonCallRequest* request,
                                        v1::Call* call) override {
    *call = CallIn(request->call_id(), v1::CALL_STATE_ABANDONED);
    return Done(context);
  }
  grpc::ServerUnaryReactor* EndCall(grpc::CallbackServerContext* context,
                                    const v1::EndCallRequest* request, v1::Call* call) override {
    *call = CallIn(request->call_id(), v1::CALL_STATE_WRAP_UP);
    return Done(context);
  }

 private:
  Streams* const streams_;
};

v1::Agent AgentIn(const std::string& agent_id, v1::AgentState state) {
  v1::Agent agent;
  agent.set_agent_id(agent_id);
  agent.set_state(state);
  return agent;
}

class AgentService final : public v1::AgentService::CallbackService {
 public:
  explicit AgentService(Streams* streams) : streams_(streams) {}

  grpc::ServerUnaryReactor* Login(grpc::CallbackServerContext* context,
                                  const v1::LoginRequest* request, v1::Agent* agent) override {
    *agent = AgentIn(request->agent_id(), v1::AGENT_STATE_AVAILABLE);
    return Done(context);
  }
  grpc::ServerUnaryReactor* Logout(grpc::CallbackServerContext* context,
                                   const v1::LogoutRequest* request, v1::Agent* agent) override {
    *agent = AgentIn(request->agent_id(), v1::AGENT_STATE_LOGGED_OUT);
    return Done(context);
  }
  grpc::ServerUnaryReactor* SetState(grpc::CallbackServerContext* context,
                                     const v1::SetStateRequest* request,
                                     v1::Agent* agent) override {
    *agent = AgentIn(request->agent_id(), v1::AGENT_STATE_AVAILABLE);
    return Done(context);
  }
  grpc::ServerWriteReactor<v1::OfferUpdate>* StreamOffers(
      grpc::CallbackServerContext* context, const v1::StreamOffersRequest* request) override {
    return new OfferStream(streams_, request->agent_id());
  }
  grpc::ServerUnaryReactor* AcceptOffer(grpc::CallbackServerContext* context,
                                        const v1::AcceptOfferRequest* request,
                                        v1::Call* call) override {
    *call = CallIn(request->call_id(), v1::CALL_STATE_CONNECTED);
    call->set_agent_id(request->agent_id());
    return Done(context);
  }
  grpc::ServerUnaryReactor* RejectOffer(grpc::CallbackServerContext* context,
                                        const v1::RejectOfferRequest* request,
                                        v1::Call* call) override {
    *call = CallIn(request->call_id(), v1::CALL_STATE_QUEUED);
    return Done(context);
  }
  grpc::ServerUnaryReactor* CompleteCall(grpc::CallbackServerContext* context,
                                         const v1::CompleteCallRequest* request,
                                         v1::Call* call) override {
    *call = CallIn(request->call_id(), v1::CALL_STATE_COMPLETED);
    call->set_agent_id(request->agent_id());
    return Done(context);
  }

 private:
  Streams* const streams_;
};

}  // namespace
}  // namespace acd::noop

int main(int argc, char** argv) {
  CLI::App app{
      "acd-noop-server: CallService and AgentService whose handlers answer at once (the\n"
      "baseline of acd-sim --max-rate). EnqueueCall offers the call on the StreamOffers\n"
      "stream of the agent named like the queue. SIGINT/SIGTERM stop it."};
  std::string listen = "127.0.0.1:0";
  std::string port_file;
  app.add_option("--listen", listen, "host:port (port 0 picks a free one)")->capture_default_str();
  app.add_option("--port-file", port_file, "Write the bound port here once serving");
  CLI11_PARSE(app, argc, argv);

  // Only the waiter below takes the stop signals.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  acd::noop::Streams streams;
  acd::noop::CallService calls(&streams);
  acd::noop::AgentService agents(&streams);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&calls);
  builder.RegisterService(&agents);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::cerr << "acd-noop-server: cannot listen on " << listen << std::endl;
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file + ".tmp") << port << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  int signo = 0;
  sigwait(&stop, &signo);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

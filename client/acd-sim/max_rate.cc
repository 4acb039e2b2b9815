#include "client/acd-sim/max_rate.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "acd/v1/call_service.grpc.pb.h"
#include "client/acd-sim/sim_rpc.h"

namespace acd::sim {
namespace {

using SteadyClock = std::chrono::steady_clock;

// The timed steps of a lifecycle, in order.
enum Step { kEnqueue, kOffer, kAccept, kEnd, kComplete, kLifecycle, kSteps };
constexpr const char* kStepNames[kSteps] = {"EnqueueCall", "offer (stream)", "AcceptOffer",
                                            "EndCall",     "CompleteCall",   "lifecycle"};

double Millis(SteadyClock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Worker {
  std::string agent_id;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::CallService::Stub> calls;
  std::unique_ptr<v1::AgentService::Stub> agents;
  grpc::ClientContext stream_context;
  std::unique_ptr<grpc::ClientReader<v1::OfferUpdate>> offers;
  std::vector<double> ms[kSteps];
  std::string error;
  std::thread thread;
};

class LoadRun {
 public:
  explicit LoadRun(const MaxRateOptions& options) : o_(options) {}
  absl::StatusOr<MaxRateResult> Run();

 private:
  absl::Status Open(Worker& worker);
  void Loop(Worker& worker, int index);
  // One lifecycle; false (and worker.error) when a step failed.
  bool Lifecycle(Worker& worker, const std::string& call_id);

  const MaxRateOptions o_;
  std::vector<std::unique_ptr<Worker>> workers_;
  absl::Notification go_;
  SteadyClock::time_point end_;
  std::atomic<int64_t> started_{0};
  std::atomic<int64_t> done_{0};
};

absl::Status LoadRun::Open(Worker& worker) {
  worker.channel = NewOwnChannel(o_.target, o_.credentials);
  worker.calls = v1::CallService::NewStub(worker.channel);
  worker.agents = v1::AgentService::NewStub(worker.channel);
  if (absl::Status s = LoginReady(*worker.agents, worker.agent_id); !s.ok()) return s;
  // Bounded, so that a server that never offers cannot hang the run.
  SetDeadline(worker.stream_context, o_.duration + absl::Seconds(60));
  v1::StreamOffersRequest request;
  request.set_agent_id(worker.agent_id);
  worker.offers = worker.agents->StreamOffers(&worker.stream_context, request);
  worker.offers->WaitForInitialMetadata();
  return absl::OkStatus();
}

bool LoadRun::Lifecycle(Worker& worker, const std::string& call_id) {
  auto fail = [&](absl::string_view what, const grpc::Status& status) {
    worker.error = RpcError(absl::StrCat(what, " ", call_id), status);
    return false;
  };
  const auto t0 = SteadyClock::now();
  v1::EnqueueCallRequest enqueue;
  enqueue.set_call_id(call_id);
  enqueue.set_queue(worker.agent_id);
  v1::EnqueueCallResponse enqueued;
  {
    grpc::ClientContext context;
    SetDeadline(context);
    if (grpc::Status s = worker.calls->EnqueueCall(&context, enqueue, &enqueued); !s.ok()) {
      return fail("EnqueueCall", s);
    }
  }
  const auto t1 = SteadyClock::now();
  v1::OfferUpdate update;
  while (true) {
    if (!worker.offers->Read(&update)) {
      worker.error = absl::StrCat("the offer stream of ", worker.agent_id, " ended before ",
                                  call_id, " was offered");
      return false;
    }
    if (update.has_offer() && update.offer().call().call_id() == call_id) break;
  }
  const auto t2 = SteadyClock::now();
  v1::AcceptOfferRequest accept;
  accept.set_agent_id(worker.agent_id);
  accept.set_call_id(call_id);
  v1::Call call;
  {
    grpc::ClientContext context;
    SetDeadline(context);
    if (grpc::Status s = worker.agents->AcceptOffer(&context, accept, &call); !s.ok()) {
      return fail("AcceptOffer", s);
    }
  }
  const auto t3 = SteadyClock::now();
  v1::EndCallRequest end;
  end.set_call_id(call_id);
  {
    grpc::ClientContext context;
    SetDeadline(context);
    if (grpc::Status s = worker.calls->EndCall(&context, end, &call); !s.ok()) {
      return fail("EndCall", s);
    }
  }
  const auto t4 = SteadyClock::now();
  auto t5 = t4;
  if (call.state() == v1::CALL_STATE_WRAP_UP) {
    v1::CompleteCallRequest complete;
    complete.set_agent_id(worker.agent_id);
    complete.set_call_id(call_id);
    complete.set_disposition("max-rate");
    grpc::ClientContext context;
    SetDeadline(context);
    if (grpc::Status s = worker.agents->CompleteCall(&context, complete, &call); !s.ok()) {
      return fail("CompleteCall", s);
    }
    t5 = SteadyClock::now();
    worker.ms[kComplete].push_back(Millis(t5 - t4));
  }
  worker.ms[kEnqueue].push_back(Millis(t1 - t0));
  worker.ms[kOffer].push_back(Millis(t2 - t1));
  worker.ms[kAccept].push_back(Millis(t3 - t2));
  worker.ms[kEnd].push_back(Millis(t4 - t3));
  worker.ms[kLifecycle].push_back(Millis(t5 - t0));
  return true;
}

void LoadRun::Loop(Worker& worker, int index) {
  go_.WaitForNotification();
  for (int64_t n = 0;; ++n) {
    if (SteadyClock::now() >= end_) break;
    if (o_.lifecycles > 0 && started_.fetch_add(1) >= o_.lifecycles) break;
    if (!Lifecycle(worker, absl::StrCat(o_.call_prefix, "-", index, "-", n))) break;
    done_.fetch_add(1);
  }
}

absl::StatusOr<MaxRateResult> LoadRun::Run() {
  absl::Status opened = absl::OkStatus();
  for (const std::string& agent_id : o_.agents) {
    auto worker = std::make_unique<Worker>();
    worker->agent_id = agent_id;
    opened = Open(*worker);
    workers_.push_back(std::move(worker));
    if (!opened.ok()) break;
  }
  if (!opened.ok()) {
    for (auto& worker : workers_) {
      worker->stream_context.TryCancel();
      if (worker->offers) worker->offers->Finish();
    }
    return opened;
  }
  for (size_t i = 0; i < workers_.size(); ++i) {
    workers_[i]->thread = std::thread([this, i] { Loop(*workers_[i], static_cast<int>(i)); });
  }
  const auto start = SteadyClock::now();
  end_ = start + absl::ToChronoNanoseconds(o_.duration);
  go_.Notify();
  // Progress while the workers run (their threads end by end_ plus one lifecycle).
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (o_.progress == nullptr) continue;
      const double s = std::chrono::duration<double>(SteadyClock::now() - start).count();
      o_.progress->Set(0, absl::StrFormat("%s %.0f s, %d lifecycles, %.0f/s", o_.progress_label, s,
                                          done_.load(), done_.load() / std::max(s, 1e-3)));
    }
  });
  for (auto& worker : workers_) worker->thread.join();
  const auto stop = SteadyClock::now();
  finished = true;
  watcher.join();
  if (o_.progress != nullptr) o_.progress->Set(0, "");

  MaxRateResult result;
  result.workers = static_cast<int>(workers_.size());
  result.lifecycles = done_.load();
  result.seconds = std::chrono::duration<double>(stop - start).count();
  result.per_second = result.seconds > 0 ? result.lifecycles / result.seconds : 0;
  for (int step = 0; step < kSteps; ++step) {
    StepLatency latency{kStepNames[step], {}};
    for (auto& worker : workers_) {
      latency.ms.insert(latency.ms.end(), worker->ms[step].begin(), worker->ms[step].end());
    }
    std::sort(latency.ms.begin(), latency.ms.end());
    result.steps.push_back(std::move(latency));
  }
  for (auto& worker : workers_) {
    if (!worker->error.empty() && result.errors++ == 0) result.first_error = worker->error;
    worker->stream_context.TryCancel();
    v1::OfferUpdate rest;
    while (worker->offers->Read(&rest)) {
    }
    worker->offers->Finish();
  }
  return result;
}

}  // namespace

absl::StatusOr<MaxRateResult> RunMaxRate(const MaxRateOptions& options) {
  LoadRun run(options);
  return run.Run();
}

}  // namespace acd::sim

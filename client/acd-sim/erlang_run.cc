#include "client/acd-sim/erlang_run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <queue>
#include <random>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "acd/v1/call_service.grpc.pb.h"
#include "client/acd-sim/sim_rpc.h"
#include "client/acd-sim/stats.h"

namespace acd::sim {
namespace {

using SteadyClock = std::chrono::steady_clock;
using TimePoint = SteadyClock::time_point;

constexpr int kBatches = 10;

enum class Outcome { kPending, kAnswered, kAbandoned, kFailed };

struct CallRecord {
  double arrival = 0;   // simulated seconds after the start
  double patience = 0;  // simulated seconds; 0 without patience
  bool measured = false;
  TimePoint sent{};
  TimePoint offered{};  // offer read by the agent
  bool offer_seen = false;
  bool enqueue_answered = false;
  bool abandon_due = false;  // patience ran out before EnqueueCall was answered
  bool abandon_sent = false;
  bool queued_at_enqueue = false;  // EnqueueCall answered QUEUED
  Outcome outcome = Outcome::kPending;
  double busy_real = 0;  // seconds, offer read -> EndCall answered
};

// One agent desktop: its connection and offer stream.
struct Desktop {
  std::string agent_id;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::AgentService::Stub> agents;
  std::unique_ptr<v1::CallService::Stub> calls;  // EndCall, as the integrator
  grpc::ClientContext stream_context;
  std::unique_ptr<grpc::ClientReader<v1::OfferUpdate>> offers;
  std::vector<std::pair<TimePoint, TimePoint>> busy;  // its own thread only
  std::thread thread;
};

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

class Simulation {
 public:
  explicit Simulation(const ErlangRunOptions& options) : o_(options) {
    std::mt19937_64 rng(o_.seed);
    const double mean_gap = absl::ToDoubleSeconds(o_.aht) / o_.erlangs;
    std::exponential_distribution<double> gap(1.0 / mean_gap);
    std::optional<std::exponential_distribution<double>> patience;
    if (o_.patience) patience.emplace(1.0 / absl::ToDoubleSeconds(*o_.patience));
    const double warmup = absl::ToDoubleSeconds(o_.warmup);
    double t = 0;
    int measured = 0;
    while (measured < o_.calls) {
      t += gap(rng);
      CallRecord call;
      call.arrival = t;
      call.patience = patience ? (*patience)(rng) : 0;
      call.measured = t >= warmup;
      measured += call.measured;
      calls_.push_back(call);
    }
  }

  absl::StatusOr<ErlangMeasurement> Run();

 private:
  TimePoint RealTime(double simulated) const {
    return start_ + std::chrono::duration_cast<SteadyClock::duration>(
                        std::chrono::duration<double>(simulated / o_.scale));
  }
  std::string CallId(int index) const { return absl::StrCat(o_.call_prefix, "-", index); }
  std::optional<int> IndexOf(const std::string& call_id) const;
  void Error(std::string text) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Settle(int index, Outcome outcome) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool AllSettled() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return settled_ >= static_cast<int>(calls_.size());
  }
  bool NothingInFlight() const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; }

  absl::Status OpenDesktops();
  void AgentLoop(Desktop& desktop, uint64_t seed);
  void Serve(Desktop& desktop, const v1::Call& call, std::exponential_distribution<double>& talk,
             std::mt19937_64& rng);
  void Arrivals();
  void PatienceLoop();
  void Abandon(int index);
  std::string ProgressText();
  ErlangMeasurement Measure(double wall_seconds);

  const ErlangRunOptions o_;
  std::vector<std::unique_ptr<Desktop>> desktops_;
  std::unique_ptr<v1::CallService::Stub> caller_;
  TimePoint start_;

  absl::Mutex mu_;
  // Sized once, before any thread starts; elements guarded by mu_.
  std::vector<CallRecord> calls_;
  int settled_ ABSL_GUARDED_BY(mu_) = 0;
  int sent_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // async RPCs not yet called back
  int errors_ ABSL_GUARDED_BY(mu_) = 0;
  int missed_offers_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_error_ ABSL_GUARDED_BY(mu_);

  // Patience deadlines (real time, call index), earliest first.
  absl::Mutex timers_mu_;
  absl::CondVar timers_cv_;
  std::priority_queue<std::pair<TimePoint, int>, std::vector<std::pair<TimePoint, int>>,
                      std::greater<>>
      timers_ ABSL_GUARDED_BY(timers_mu_);
  bool timers_stop_ ABSL_GUARDED_BY(timers_mu_) = false;
};

std::optional<int> Simulation::IndexOf(const std::string& call_id) const {
  const std::string prefix = o_.call_prefix + "-";
  int index = 0;
  if (call_id.rfind(prefix, 0) != 0 || !absl::SimpleAtoi(call_id.substr(prefix.size()), &index) ||
      index < 0 || index >= static_cast<int>(calls_.size())) {
    return std::nullopt;
  }
  return index;
}

void Simulation::Error(std::string text) {
  if (errors_++ == 0) first_error_ = std::move(text);
}

void Simulation::Settle(int index, Outcome outcome) {
  CallRecord& call = calls_[index];
  if (call.outcome != Outcome::kPending) return;
  call.outcome = outcome;
  ++settled_;
}

absl::Status Simulation::OpenDesktops() {
  caller_ = v1::CallService::NewStub(NewOwnChannel(o_.target, o_.credentials));
  for (const std::string& agent_id : o_.agents) {
    auto desktop = std::make_unique<Desktop>();
    desktop->agent_id = agent_id;
    desktop->channel = NewOwnChannel(o_.target, o_.credentials);
    desktop->agents = v1::AgentService::NewStub(desktop->channel);
    desktop->calls = v1::CallService::NewStub(desktop->channel);
    if (absl::Status s = LoginReady(*desktop->agents, agent_id); !s.ok()) return s;
    v1::StreamOffersRequest request;
    request.set_agent_id(agent_id);
    desktop->offers = desktop->agents->StreamOffers(&desktop->stream_context, request);
    // The daemon sends the headers once the stream is subscribed: every offer
    // after this point reaches it.
    desktop->offers->WaitForInitialMetadata();
    desktops_.push_back(std::move(desktop));
  }
  return absl::OkStatus();
}

void Simulation::AgentLoop(Desktop& desktop, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> talk(1.0 / absl::ToDoubleSeconds(o_.aht));
  v1::OfferUpdate update;
  while (desktop.offers->Read(&update)) {
    if (update.has_offer()) Serve(desktop, update.offer().call(), talk, rng);
  }
}

void Simulation::Serve(Desktop& desktop, const v1::Call& call,
                       std::exponential_distribution<double>& talk, std::mt19937_64& rng) {
  const TimePoint offered = SteadyClock::now();
  const std::optional<int> index = IndexOf(call.call_id());
  if (!index) {
    // Not one of ours (a live daemon): hand it back at once.
    v1::RejectOfferRequest reject;
    reject.set_agent_id(desktop.agent_id);
    reject.set_call_id(call.call_id());
    reject.set_reason("acd-sim desktop: not a simulated call");
    v1::Call ignored;
    grpc::ClientContext context;
    SetDeadline(context);
    desktop.agents->RejectOffer(&context, reject, &ignored);
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    CallRecord& record = calls_[*index];
    if (!record.offer_seen) {
      record.offer_seen = true;
      record.offered = offered;
    }
  }
  v1::AcceptOfferRequest accept;
  accept.set_agent_id(desktop.agent_id);
  accept.set_call_id(call.call_id());
  v1::Call connected;
  grpc::ClientContext accept_context;
  SetDeadline(accept_context);
  grpc::Status status = desktop.agents->AcceptOffer(&accept_context, accept, &connected);
  if (!status.ok()) {
    absl::MutexLock lock(&mu_);
    CallRecord& record = calls_[*index];
    // Losing the race to the caller's AbandonCall is normal, and so is an
    // offer withdrawn before the desktop answered; anything else is not.
    if (record.abandon_sent) return;
    if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
        absl::StrContains(status.error_message(), "is not offered to agent")) {
      ++missed_offers_;
      if (record.outcome == Outcome::kPending) record.offer_seen = false;
      return;
    }
    Error(RpcError("AcceptOffer " + call.call_id(), status));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    Settle(*index, Outcome::kAnswered);
  }
  std::this_thread::sleep_until(offered + std::chrono::duration_cast<SteadyClock::duration>(
                                              std::chrono::duration<double>(talk(rng) / o_.scale)));

  v1::EndCallRequest end;
  end.set_call_id(call.call_id());
  v1::Call ended;
  grpc::ClientContext end_context;
  SetDeadline(end_context);
  status = desktop.calls->EndCall(&end_context, end, &ended);
  const TimePoint free = SteadyClock::now();
  std::string error;
  if (!status.ok()) {
    error = RpcError("EndCall " + call.call_id(), status);
  } else if (ended.state() == v1::CALL_STATE_WRAP_UP) {
    v1::CompleteCallRequest complete;
    complete.set_agent_id(desktop.agent_id);
    complete.set_call_id(call.call_id());
    complete.set_disposition("simulated");
    v1::Call completed;
    grpc::ClientContext complete_context;
    SetDeadline(complete_context);
    status = desktop.agents->CompleteCall(&complete_context, complete, &completed);
    if (!status.ok()) error = RpcError("CompleteCall " + call.call_id(), status);
  }
  desktop.busy.emplace_back(offered, free);
  absl::MutexLock lock(&mu_);
  calls_[*index].busy_real = Seconds(free - offered);
  if (!error.empty()) Error(std::move(error));
}

void Simulation::Arrivals() {
  for (int index = 0; index < static_cast<int>(calls_.size()); ++index) {
    double arrival = 0;
    {
      absl::MutexLock lock(&mu_);
      arrival = calls_[index].arrival;
    }
    std::this_thread::sleep_until(RealTime(arrival));
    auto rpc = std::make_shared<
        std::tuple<grpc::ClientContext, v1::EnqueueCallRequest, v1::EnqueueCallResponse>>();
    auto& [context, request, response] = *rpc;
    SetDeadline(context);
    request.set_call_id(CallId(index));
    request.set_queue(o_.queue);
    const TimePoint sent = SteadyClock::now();
    {
      absl::MutexLock lock(&mu_);
      CallRecord& call = calls_[index];
      call.sent = sent;
      ++sent_;
      ++in_flight_;
    }
    caller_->async()->EnqueueCall(
        &context, &request, &response, [this, rpc, index](grpc::Status status) {
          absl::MutexLock lock(&mu_);
          --in_flight_;
          if (!status.ok()) {
            Error(RpcError("EnqueueCall " + CallId(index), status));
            Settle(index, Outcome::kFailed);
            return;
          }
          CallRecord& call = calls_[index];
          call.enqueue_answered = true;
          call.queued_at_enqueue = std::get<2>(*rpc).call().state() == v1::CALL_STATE_QUEUED;
          if (call.abandon_due) {
            // The caller hung up while the integrator was still registering
            // the call: it hangs up now, unless an agent has it already.
            absl::MutexLock timers(&timers_mu_);
            timers_.emplace(SteadyClock::now(), index);
            timers_cv_.Signal();
          }
        });
    if (o_.patience) {
      double patience = 0;
      {
        absl::MutexLock lock(&mu_);
        patience = calls_[index].patience;
      }
      absl::MutexLock lock(&timers_mu_);
      timers_.emplace(sent + std::chrono::duration_cast<SteadyClock::duration>(
                                 std::chrono::duration<double>(patience / o_.scale)),
                      index);
      timers_cv_.Signal();
    }
  }
}

void Simulation::PatienceLoop() {
  absl::MutexLock lock(&timers_mu_);
  while (!timers_stop_) {
    if (timers_.empty()) {
      timers_cv_.Wait(&timers_mu_);
      continue;
    }
    const auto [deadline, index] = timers_.top();
    if (const auto now = SteadyClock::now(); now < deadline) {
      timers_cv_.WaitWithTimeout(&timers_mu_, absl::FromChrono(deadline - now));
      continue;
    }
    timers_.pop();
    timers_mu_.Unlock();
    Abandon(index);
    timers_mu_.Lock();
  }
}

void Simulation::Abandon(int index) {
  {
    absl::MutexLock lock(&mu_);
    CallRecord& call = calls_[index];
    if (call.offer_seen || call.outcome != Outcome::kPending) return;
    if (!call.enqueue_answered) {
      // An integrator cannot hang up a call the daemon has not taken yet.
      call.abandon_due = true;
      return;
    }
    call.abandon_sent = true;
    ++in_flight_;
  }
  auto rpc = std::make_shared<std::tuple<grpc::ClientContext, v1::AbandonCallRequest, v1::Call>>();
  auto& [context, request, response] = *rpc;
  SetDeadline(context);
  request.set_call_id(CallId(index));
  caller_->async()->AbandonCall(
      &context, &request, &response, [this, rpc, index](grpc::Status status) {
        absl::MutexLock lock(&mu_);
        --in_flight_;
        if (status.ok()) {
          Settle(index, Outcome::kAbandoned);
        } else if (status.error_code() != grpc::StatusCode::FAILED_PRECONDITION) {
          // FAILED_PRECONDITION: an agent accepted it first.
          Error(RpcError("AbandonCall " + CallId(index), status));
        }
      });
}

std::string Simulation::ProgressText() {
  const double simulated = Seconds(SteadyClock::now() - start_) * o_.scale;
  const double threshold = absl::ToDoubleSeconds(o_.threshold);
  int measured = 0, within = 0, total = 0;
  absl::MutexLock lock(&mu_);
  for (const CallRecord& call : calls_) {
    if (call.outcome == Outcome::kPending || !call.measured) continue;
    ++measured;
    within += call.outcome == Outcome::kAnswered && call.offer_seen &&
              Seconds(call.offered - call.sent) * o_.scale <= threshold;
  }
  total = static_cast<int>(calls_.size());
  return absl::StrFormat("%s sim %d:%02d calls %d/%d SL %s", o_.progress_label,
                         static_cast<int>(simulated / 3600), static_cast<int>(simulated / 60) % 60,
                         settled_, total,
                         measured > 0 ? absl::StrFormat("%.3f", 1.0 * within / measured) : "-");
}

ErlangMeasurement Simulation::Measure(double wall_seconds) {
  absl::MutexLock lock(&mu_);
  ErlangMeasurement m;
  m.agents = static_cast<int>(o_.agents.size());
  m.wall_seconds = wall_seconds;
  m.errors = errors_;
  m.missed_offers = missed_offers_;
  m.first_error = first_error_;
  const double threshold = absl::ToDoubleSeconds(o_.threshold);
  double wait_sum = 0, busy_sum = 0;
  std::vector<double> floor_ms;
  std::vector<int> measured;
  for (int i = 0; i < static_cast<int>(calls_.size()); ++i) {
    if (calls_[i].measured) measured.push_back(i);
  }
  m.calls = static_cast<int>(measured.size());
  std::vector<double> batch_sl, batch_wait;
  for (int b = 0; b < kBatches; ++b) {
    const size_t from = measured.size() * b / kBatches, to = measured.size() * (b + 1) / kBatches;
    int within = 0, waited = 0;
    for (size_t k = from; k < to; ++k) {
      const CallRecord& call = calls_[measured[k]];
      waited += call.queued_at_enqueue;
      switch (call.outcome) {
        case Outcome::kAnswered: {
          const double wait = Seconds(call.offered - call.sent);
          ++m.answered;
          wait_sum += wait * o_.scale;
          busy_sum += call.busy_real * o_.scale;
          within += wait * o_.scale <= threshold;
          if (!call.queued_at_enqueue) floor_ms.push_back(wait * 1000);
          break;
        }
        case Outcome::kAbandoned:
          ++m.abandoned;
          break;
        case Outcome::kPending:
          ++m.unfinished;
          break;
        case Outcome::kFailed:
          break;
      }
    }
    m.within_threshold += within;
    m.waited += waited;
    if (to > from) {
      batch_sl.push_back(1.0 * within / (to - from));
      batch_wait.push_back(1.0 * waited / (to - from));
    }
  }
  if (m.calls > 0) {
    m.p_wait = 1.0 * m.waited / m.calls;
    m.service_level = 1.0 * m.within_threshold / m.calls;
    m.abandonment = 1.0 * m.abandoned / m.calls;
  }
  m.p_wait_se = StandardError(batch_wait);
  m.service_level_se = StandardError(batch_sl);
  if (m.answered > 0) {
    m.asa_seconds = wait_sum / m.answered;
    m.aht_seconds = busy_sum / m.answered;
  }
  std::sort(floor_ms.begin(), floor_ms.end());
  m.floor_p50_ms = Percentile(floor_ms, 0.50);
  m.floor_p99_ms = Percentile(floor_ms, 0.99);

  // Occupancy over [first measured arrival, last arrival].
  if (!measured.empty()) {
    const TimePoint from = RealTime(calls_[measured.front()].arrival);
    const TimePoint to = RealTime(calls_.back().arrival);
    double busy = 0;
    for (const auto& desktop : desktops_) {
      for (const auto& [begin, end] : desktop->busy) {
        const TimePoint b = std::max(begin, from), e = std::min(end, to);
        if (e > b) busy += Seconds(e - b);
      }
    }
    const double span = Seconds(to - from);
    if (span > 0) m.occupancy = busy / (span * desktops_.size());
    m.simulated_hours = span * o_.scale / 3600;
  }
  return m;
}

absl::StatusOr<ErlangMeasurement> Simulation::Run() {
  const TimePoint began = SteadyClock::now();
  absl::Status opened = OpenDesktops();
  auto close_streams = [&] {
    for (auto& desktop : desktops_) desktop->stream_context.TryCancel();
  };
  if (!opened.ok()) {
    close_streams();
    for (auto& desktop : desktops_) desktop->offers->Finish();
    return opened;
  }
  start_ = SteadyClock::now() + std::chrono::milliseconds(50);
  for (size_t i = 0; i < desktops_.size(); ++i) {
    Desktop& desktop = *desktops_[i];
    desktop.thread =
        std::thread([this, &desktop, i] { AgentLoop(desktop, o_.seed * 7919 + i + 1); });
  }
  std::thread patience([this] { PatienceLoop(); });
  std::thread arrivals([this] { Arrivals(); });

  // Progress until every call is settled, or the drain time after the last
  // arrival runs out.
  const TimePoint last_arrival = RealTime(calls_.back().arrival);
  const absl::Duration drain = o_.drain_timeout;
  while (true) {
    bool all_settled = false;
    {
      absl::MutexLock lock(&mu_);
      all_settled =
          mu_.AwaitWithTimeout(absl::Condition(this, &Simulation::AllSettled), absl::Seconds(1));
    }
    if (o_.progress != nullptr) o_.progress->Set(o_.progress_slot, ProgressText());
    if (all_settled) break;
    if (SteadyClock::now() > last_arrival + absl::ToChronoNanoseconds(drain)) break;
  }
  arrivals.join();
  {
    absl::MutexLock lock(&timers_mu_);
    timers_stop_ = true;
    timers_cv_.Signal();
  }
  patience.join();
  close_streams();
  for (auto& desktop : desktops_) {
    desktop->thread.join();
    desktop->offers->Finish();
  }
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &Simulation::NothingInFlight), absl::Seconds(15));
  }
  for (auto& desktop : desktops_) {
    v1::LogoutRequest logout;
    logout.set_agent_id(desktop->agent_id);
    v1::Agent agent;
    grpc::ClientContext context;
    SetDeadline(context);
    desktop->agents->Logout(&context, logout, &agent);  // tidy only; the run is measured
  }
  if (o_.progress != nullptr) o_.progress->Set(o_.progress_slot, "");
  return Measure(Seconds(SteadyClock::now() - began));
}

}  // namespace

absl::StatusOr<ErlangMeasurement> RunErlang(const ErlangRunOptions& options) {
  Simulation simulation(options);
  return simulation.Run();
}

}  // namespace acd::sim

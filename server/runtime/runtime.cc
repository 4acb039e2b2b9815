#include "server/runtime/runtime.h"

#include <chrono>
#include <future>

#include "absl/strings/str_cat.h"
#include "server/base/log.h"
#include "server/runtime/event_loop.h"
#include "server/store/store_writer.h"
#include "spdlog/spdlog.h"

namespace acd::runtime {

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(RuntimeOptions options,
                                                         std::unique_ptr<store::EventLog> store,
                                                         TimeSystem* time) {
  absl::StatusOr<int64_t> last = store->LastSeq();
  if (!last.ok()) return last.status();
  std::unique_ptr<Runtime> runtime(new Runtime(options, time));
  runtime->engine_->set_next_seq(*last + 1);
  runtime->committed_seq_ = *last;
  runtime->appended_seq_ = *last;
  Runtime* self = runtime.get();
  runtime->writer_ = std::make_unique<store::StoreWriter>(
      std::move(store), options.store,
      [self](int64_t seq, const absl::Status& status) {
        // Writer thread: hop to the engine thread.
        self->Post([self, seq, status] { self->OnCommitted(seq, status); });
      },
      time);
  return runtime;
}

Runtime::Runtime(RuntimeOptions options, TimeSystem* time)
    : options_(options),
      time_(time),
      engine_(std::make_unique<core::Engine>(options.engine)),
      loop_(std::make_unique<EventLoop>()),
      dispatcher_(time->Decorate(*loop_)),
      timer_(dispatcher_->CreateTimer()),
      heartbeat_timer_(dispatcher_->CreateTimer()) {}

Runtime::~Runtime() { Stop().IgnoreError(); }

void Runtime::Start() {
  if (started_) return;
  started_ = true;
  writer_->Start();
  if (heartbeat_) Post([this] { Beat(); });
  loop_->Start();
}

void Runtime::SetHeartbeat(absl::Duration interval, std::function<void()> beat) {
  heartbeat_interval_ = interval;
  heartbeat_ = std::move(beat);
}

void Runtime::Beat() {
  heartbeat_();
  heartbeat_timer_->Arm(heartbeat_interval_, [this] { Beat(); });
}

void Runtime::CloseSubscribers(const absl::Status& status) {
  if (!started_ || stopped_) return;
  // Close the sinks on the engine thread, where they are kept.
  std::promise<void> closed;
  Post([this, &closed, status] {
    closing_ = true;
    close_status_ = status;
    sinks_.Clear([&status](EventSink& sink) { sink.OnClose(status); });
    tickers_.clear();
    closed.set_value();
  });
  closed.get_future().wait();
}

absl::Status Runtime::Stop(std::optional<absl::Time> give_up_at) {
  if (!started_ || stopped_) return stop_status_;
  CloseSubscribers();
  stopped_ = true;
  // The live KPIs as they stand, so that a restart after a clean stop has
  // no event to replay.
  std::promise<void> checkpointed;
  Post([this, &checkpointed] {
    timer_->Disarm();
    heartbeat_timer_->Disarm();
    if (appended_seq() > checkpoint_seq_) {
      writer_->AppendCheckpoint(appended_seq(), stats_.Checkpoint());
    }
    checkpointed.set_value();
  });
  checkpointed.get_future().wait();
  // Commit everything; the commit callbacks post releases of held replies.
  stop_status_ = writer_->Stop(give_up_at);
  // The engine thread runs what the commit callbacks posted, then ends.
  loop_->Stop();
  return stop_status_;
}

void Runtime::Post(std::function<void()> fn) { dispatcher_->Post(std::move(fn)); }

bool Runtime::Admit() {
  MutexLock lock(&admission_mu_);
  if (draining_) return false;
  ++in_flight_;
  return true;
}

void Runtime::Release() {
  MutexLock lock(&admission_mu_);
  --in_flight_;
}

void Runtime::Drain() {
  MutexLock lock(&admission_mu_);
  draining_ = true;
}

bool Runtime::WaitIdle(absl::Duration timeout) {
  MutexLock lock(&admission_mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(admission_mu_) { return in_flight_ == 0; };
  return time_->AwaitWithTimeout(admission_mu_, absl::Condition(&idle), timeout);
}

absl::Status Runtime::StoreRefusal() const {
  return absl::UnavailableError(
      absl::StrCat("store unavailable: ", store_error_.message(),
                   "; changes are refused until it recovers (reads are served): retry later"));
}

absl::Status Runtime::StoreFailure(const absl::Status& store_error) {
  return absl::UnavailableError(absl::StrCat(
      "store unavailable: ", store_error.message(),
      "; the change is kept in memory and will be committed when the store recovers: retry "
      "then (safe for the requests README \"Retries\" lists)"));
}

std::vector<store::ConfigVersion> Runtime::TakeConfigVersions(
    const std::vector<core::Event>& events) {
  std::vector<store::ConfigVersion> versions = std::move(config_versions_);
  config_versions_.clear();
  size_t paired = 0;
  for (const core::Event& e : events) {
    if (paired == versions.size()) break;
    if (e.type == core::EventType::kConfigApplied) versions[paired++].seq = e.seq;
  }
  for (size_t i = paired; i < versions.size(); ++i) {
    spdlog::error("config {} not recorded in config_versions: its command applied no config",
                  versions[i].hash);
  }
  versions.resize(paired);
  return versions;
}

void Runtime::Settle(std::function<void(const absl::Status& not_committed)> reply) {
  std::vector<core::Event> events = engine_->TakeEvents();
  std::vector<store::ConfigVersion> configs = TakeConfigVersions(events);
  absl::Status appended;
  if (!events.empty()) {
    for (const core::Event& e : events) stats_.OnEvent(e);
    appended_seq_.store(events.back().seq, std::memory_order_relaxed);
    for (const core::Event& e : events) uncommitted_.push_back(e);
    // Fails only once the writer is stopping (a command that outlived the
    // shutdown grace): those events are lost, and say so.
    const int64_t last = events.back().seq;
    appended = writer_->Append(std::move(events), std::move(configs));
    if (!appended.ok()) spdlog::error("store: {}", std::string(appended.message()));
    if (const absl::Time now = time_->Now(); appended.ok() && now >= next_checkpoint_) {
      writer_->AppendCheckpoint(last, stats_.Checkpoint());
      checkpoint_seq_ = last;
      next_checkpoint_ = now + options_.kpi_checkpoint_every;
    }
  }
  ArmTimer();
  if (!appended.ok()) {
    reply(absl::UnavailableError(absl::StrCat("acdd is shutting down: ", appended.message())));
  } else if (!store_healthy_.load()) {
    reply(StoreFailure(store_error_));
  } else if (!options_.ack_committed || appended_seq() <= committed_seq_.load()) {
    reply(absl::OkStatus());
  } else {
    held_.push_back({appended_seq(), std::move(reply)});
  }
}

void Runtime::OnCommitted(int64_t seq, const absl::Status& status) {
  if (!status.ok()) {
    store_error_ = status;
    if (store_healthy_.exchange(false)) {
      spdlog::error(
          "store: commit failed after seq {}; refusing changes until it recovers, {} events kept "
          "in memory: {}",
          seq, appended_seq() - seq, status.ToString());
      if (health_listener_) health_listener_(false, status);
    }
    // Every held reply waits on events that are not committed: none may
    // claim success now. The writer keeps retrying them in order.
    std::deque<HeldReply> held = std::move(held_);
    held_.clear();
    for (HeldReply& h : held) h.reply(StoreFailure(status));
    return;
  }
  // Progress first, so whoever hears of the recovery sees it.
  committed_seq_ = std::max(committed_seq_.load(), seq);
  if (!store_healthy_.exchange(true)) {
    store_error_ = absl::OkStatus();
    spdlog::info("store: commits resumed at seq {}", seq);
    if (health_listener_) health_listener_(true, absl::OkStatus());
  }
  const bool trace = spdlog::should_log(spdlog::level::debug);
  while (!uncommitted_.empty() && uncommitted_.front().seq <= seq) {
    if (trace) LogCommitted(uncommitted_.front());
    Publish(uncommitted_.front());
    uncommitted_.pop_front();
  }
  while (!held_.empty() && held_.front().seq <= seq) {
    std::function<void(const absl::Status&)> reply = std::move(held_.front().reply);
    held_.pop_front();
    reply(absl::OkStatus());
  }
}

void Runtime::LogCommitted(const core::Event& e) {
  std::string text = absl::StrCat("event ", e.seq, " ", core::EventTypeName(e.type));
  if (!e.call_id.empty()) absl::StrAppend(&text, " call ", e.call_id);
  if (!e.agent_id.empty()) absl::StrAppend(&text, " agent ", e.agent_id);
  if (!e.queue.empty()) absl::StrAppend(&text, " queue ", e.queue);
  if (!e.reason.empty()) absl::StrAppend(&text, ": ", e.reason);
  LogAbout(spdlog::level::debug, {.call_id = e.call_id, .agent_id = e.agent_id, .queue = e.queue},
           "{}", text);
}

void Runtime::Publish(const core::Event& event) {
  sinks_.Deliver(
      event, [&event](EventSink& sink) { return sink.OnEvent(event); },
      [this](uint64_t id) { tickers_.erase(id); });
}

uint64_t Runtime::Subscribe(std::shared_ptr<EventSink> sink, Interest interest,
                            std::function<void(const core::Engine&)> init, absl::Duration tick) {
  // The id is taken here so the caller can unsubscribe before the post runs.
  static std::atomic<uint64_t> next_id{1};
  uint64_t id = next_id++;
  Post([this, id, sink = std::move(sink), interest = std::move(interest), init = std::move(init),
        tick] {
    if (closing_) {
      sink->OnClose(close_status_);
      return;
    }
    if (init) init(std::as_const(*engine_));
    sinks_.Add(id, interest, sink);
    if (tick > absl::ZeroDuration()) {
      tickers_.emplace(id, Ticker{tick, dispatcher_->CreateTimer()});
      ArmTick(id);
    }
  });
  return id;
}

void Runtime::Unsubscribe(uint64_t id) {
  Post([this, id] { DropSink(id); });
}

void Runtime::DropSink(uint64_t id) {
  sinks_.Remove(id);
  tickers_.erase(id);  // its timer's destructor disarms it
}

void Runtime::ArmTick(uint64_t id) {
  auto it = tickers_.find(id);
  if (it == tickers_.end()) return;
  it->second.timer->Arm(it->second.interval, [this, id] { OnTick(id); });
}

void Runtime::OnTick(uint64_t id) {
  // The ticker may have gone between the timer firing and this handler.
  EventSink* sink = sinks_.Find(id);
  if (sink == nullptr || !tickers_.contains(id)) return;
  if (!sink->OnTick(std::as_const(*engine_), time_->Now())) {
    DropSink(id);
    return;
  }
  ArmTick(id);
}

void Runtime::ConfigureStats(core::RoutingConfig routing, core::LiveStatsOptions options) {
  Post([this, routing = std::move(routing), options] {
    stats_.Configure(routing, options, time_->Now());
  });
}

std::future<void> Runtime::ReplayStats(std::vector<core::Event> events) {
  auto fed = std::make_shared<std::promise<void>>();
  std::future<void> done = fed->get_future();
  auto batch = std::make_shared<std::vector<core::Event>>(std::move(events));
  Post([this, fed, batch] {
    for (const core::Event& e : *batch) stats_.OnEvent(e, core::LiveStats::Feed::kReplayed);
    fed->set_value();
  });
  return done;
}

void Runtime::ResumeStats(core::LiveStatsCheckpoint checkpoint) {
  auto shared = std::make_shared<core::LiveStatsCheckpoint>(std::move(checkpoint));
  Post([this, shared] { stats_.Resume(*shared); });
}

void Runtime::ArmTimer() {
  std::optional<absl::Time> next = engine_->NextDeadline();
  if (next == timer_at_) return;
  timer_at_ = next;
  if (!next) {
    timer_->Disarm();
    return;
  }
  timer_->Arm(*next - time_->Now(), [this] { OnTimer(); });
}

void Runtime::OnTimer() {
  timer_at_.reset();
  engine_->AdvanceTo(time_->Now());
  Settle([](const absl::Status&) {});
}

}  // namespace acd::runtime

#include "server/runtime/runtime.h"

#include <chrono>
#include <future>

#include "spdlog/spdlog.h"

namespace acd::runtime {

absl::StatusOr<std::unique_ptr<Runtime>> Runtime::Create(RuntimeOptions options,
                                                         std::unique_ptr<store::EventStore> store,
                                                         Clock* clock) {
  absl::StatusOr<int64_t> last = store->LastSeq();
  if (!last.ok()) return last.status();
  std::unique_ptr<Runtime> runtime(new Runtime(options, clock));
  runtime->engine_->set_next_seq(*last + 1);
  runtime->last_seq_ = *last;
  runtime->committed_seq_ = *last;
  Runtime* self = runtime.get();
  runtime->writer_ = std::make_unique<store::StoreWriter>(
      std::move(store), options.store, [self](int64_t seq, const absl::Status& status) {
        // Writer thread: hop to the engine thread.
        asio::post(self->io_, [self, seq, status] { self->OnCommitted(seq, status); });
      });
  return runtime;
}

Runtime::Runtime(RuntimeOptions options, Clock* clock)
    : options_(options),
      clock_(clock),
      engine_(std::make_unique<core::Engine>(options.engine)),
      work_(asio::make_work_guard(io_)),
      timer_(io_) {}

Runtime::~Runtime() { Stop(); }

void Runtime::Start() {
  if (started_) return;
  started_ = true;
  writer_->Start();
  thread_ = std::thread([this] { io_.run(); });
}

void Runtime::CloseSubscribers(const absl::Status& status) {
  if (!started_ || stopped_) return;
  // Close the sinks on the engine thread, where they are kept.
  std::promise<void> closed;
  asio::post(io_, [this, &closed, status] {
    closing_ = true;
    close_status_ = status;
    for (auto& [id, sink] : sinks_) sink->OnClose(status);
    sinks_.clear();
    tickers_.clear();
    closed.set_value();
  });
  closed.get_future().wait();
}

void Runtime::Stop(const absl::Status& status) {
  if (!started_ || stopped_) return;
  CloseSubscribers(status);
  stopped_ = true;
  asio::post(io_, [this] { timer_.cancel(); });
  // Commit everything; the commit callbacks post releases of held replies.
  writer_->Stop();
  std::promise<void> drained;
  asio::post(io_, [&drained] { drained.set_value(); });
  drained.get_future().wait();
  work_.reset();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void Runtime::Post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

bool Runtime::Admit() {
  absl::MutexLock lock(&admission_mu_);
  if (draining_) return false;
  ++in_flight_;
  return true;
}

void Runtime::Release() {
  absl::MutexLock lock(&admission_mu_);
  --in_flight_;
}

void Runtime::Drain() {
  absl::MutexLock lock(&admission_mu_);
  draining_ = true;
}

bool Runtime::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&admission_mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(admission_mu_) { return in_flight_ == 0; };
  return admission_mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

void Runtime::Settle(std::function<void()> reply) {
  std::vector<core::Event> events = engine_->TakeEvents();
  if (!events.empty()) {
    for (const core::Event& e : events) stats_.OnEvent(e);
    last_seq_ = events.back().seq;
    for (const core::Event& e : events) uncommitted_.push_back(e);
    writer_->Append(std::move(events));
  }
  ArmTimer();
  if (!options_.ack_committed || last_seq_ <= committed_seq_.load()) {
    reply();
  } else {
    held_.push_back({last_seq_, std::move(reply)});
  }
}

void Runtime::OnCommitted(int64_t seq, const absl::Status& status) {
  if (!status.ok()) {
    if (store_healthy_.exchange(false)) {
      spdlog::error("store: commit failed, holding replies until it recovers: {}",
                    status.ToString());
    }
    return;
  }
  if (!store_healthy_.exchange(true)) spdlog::info("store: commits resumed at seq {}", seq);
  committed_seq_ = std::max(committed_seq_.load(), seq);
  while (!uncommitted_.empty() && uncommitted_.front().seq <= seq) {
    Publish(uncommitted_.front());
    uncommitted_.pop_front();
  }
  while (!held_.empty() && held_.front().seq <= seq) {
    std::function<void()> reply = std::move(held_.front().reply);
    held_.pop_front();
    reply();
  }
}

void Runtime::Publish(const core::Event& event) {
  for (auto it = sinks_.begin(); it != sinks_.end();) {
    if (it->second->OnEvent(event)) {
      ++it;
    } else {
      tickers_.erase(it->first);
      it = sinks_.erase(it);
    }
  }
}

uint64_t Runtime::Subscribe(std::shared_ptr<EventSink> sink,
                            std::function<void(core::Engine&)> init, absl::Duration tick) {
  // The id is taken here so the caller can unsubscribe before the post runs.
  static std::atomic<uint64_t> next_id{1};
  uint64_t id = next_id++;
  Post([this, id, sink = std::move(sink), init = std::move(init), tick] {
    if (closing_) {
      sink->OnClose(close_status_);
      return;
    }
    if (init) init(*engine_);
    sinks_.emplace(id, sink);
    if (tick > absl::ZeroDuration()) {
      tickers_.emplace(id, Ticker{tick, std::make_unique<asio::steady_timer>(io_)});
      ArmTick(id);
    }
  });
  return id;
}

void Runtime::Unsubscribe(uint64_t id) {
  Post([this, id] { DropSink(id); });
}

void Runtime::DropSink(uint64_t id) {
  sinks_.erase(id);
  tickers_.erase(id);  // its timer's destructor cancels a pending wait
}

void Runtime::ArmTick(uint64_t id) {
  auto it = tickers_.find(id);
  if (it == tickers_.end()) return;
  it->second.timer->expires_after(absl::ToChronoNanoseconds(it->second.interval));
  it->second.timer->async_wait([this, id](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    OnTick(id);
  });
}

void Runtime::OnTick(uint64_t id) {
  // The ticker may have gone between the timer firing and this handler.
  auto sink = sinks_.find(id);
  if (sink == sinks_.end() || !tickers_.contains(id)) return;
  if (!sink->second->OnTick(*engine_, clock_->Now())) {
    DropSink(id);
    return;
  }
  ArmTick(id);
}

void Runtime::ConfigureStats(core::RoutingConfig routing, core::LiveStatsOptions options) {
  Post([this, routing = std::move(routing), options] {
    stats_.Configure(routing, options, clock_->Now());
  });
}

void Runtime::ReplayStats(std::vector<core::Event> events) {
  std::promise<void> fed;
  Post([this, &fed, &events] {
    for (const core::Event& e : events) stats_.OnEvent(e);
    fed.set_value();
  });
  fed.get_future().wait();
}

void Runtime::ArmTimer() {
  std::optional<absl::Time> next = engine_->NextDeadline();
  if (next == timer_at_) return;
  timer_at_ = next;
  if (!next) {
    timer_.cancel();
    return;
  }
  absl::Duration delay = std::max(*next - clock_->Now(), absl::ZeroDuration());
  timer_.expires_after(absl::ToChronoNanoseconds(delay));
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    OnTimer();
  });
}

void Runtime::OnTimer() {
  timer_at_.reset();
  engine_->AdvanceTo(clock_->Now());
  Settle([] {});
}

}  // namespace acd::runtime

// Runtime: runs the engine on its own thread and connects it to the store and
// to subscribers.
//
// - Engine thread: one event loop (an Asio io_context, private to the
//   runtime) owns the core::Engine. Every command is posted to it; the engine
//   needs no lock. One timer is armed for the engine's NextDeadline().
// - Time: the given TimeSystem's. Commands get its Now(), and the loop's
//   timers (deadlines, ticks, heartbeat) follow it, so a test on simulated
//   time fires them by advancing it.
// - Commit gate: the events of a command go to the StoreWriter (group commit),
//   with the config version of the config_applied event a command emits when
//   the command asked for it (RecordConfigVersion), so that both are written
//   in one transaction.
//   With AckMode::kCommitted the command's reply is held until the store
//   reports its last event committed; with kApplied it is sent at once.
// - Store faults: when a commit fails, the store is unhealthy until a commit
//   succeeds again (the writer retries the same events, in order, meanwhile).
//   While unhealthy, held replies of commands that succeeded are answered
//   UNAVAILABLE at once (their change stays in memory and is committed on
//   recovery; never a false success), and mutating commands (Execute) are
//   refused UNAVAILABLE on the engine thread before they run, so the engine
//   never takes a change the store has not seen yet. Reads (Read) are served.
//   A listener hears every change of health (the daemon's health service).
// - Subscribers see only committed events, in seq order, so a live stream never
//   shows a change that a crash could take back. Each states its Interest (a
//   call, an agent, a queue, or no events) and is handed only the events that
//   match (SinkIndex): an event costs work for the streams that want it, not
//   for every open one. A subscriber may also ask for a tick at a fixed
//   interval (stats watchers).
// - Live KPIs: a core::LiveStats is fed every event at emission, on the engine
//   thread, before the store commits it. Live KPIs describe what the engine
//   is doing now, like the live counts of GetQueueStats (which include
//   uncommitted changes too); holding them back for the commit would make the
//   two disagree and freeze the wallboard while the store is down. They live
//   in memory only, so nothing a crash takes back is ever persisted from them.
//
// Thread safety: Execute(), Subscribe() and Unsubscribe() may be called from any
// thread; RecordConfigVersion() only from a command, on the engine thread.
// Completions and sink callbacks run on the engine thread and must not block.
// Start() and Stop() are called once each, by the owner.
#ifndef ACD_SERVER_RUNTIME_RUNTIME_H_
#define ACD_SERVER_RUNTIME_RUNTIME_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/base/mutex.h"
#include "server/base/time_system.h"
#include "server/core/engine.h"
#include "server/core/live_stats.h"
#include "server/runtime/sink_index.h"
#include "server/store/event_log.h"
#include "server/store/store_options.h"

namespace acd::store {
class StoreWriter;
}  // namespace acd::store

namespace acd::runtime {

class EventLoop;

// Receives committed events on the engine thread. Must not block.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Returns false when the sink wants no more events (closed or overflowing);
  // the runtime then drops it.
  virtual bool OnEvent(const core::Event& event) = 0;
  // The runtime is stopping; `status` says why.
  virtual void OnClose(const absl::Status& status) = 0;
  // Every tick of a subscription made with a tick interval, at `now`.
  // Returns false to be dropped, like OnEvent.
  virtual bool OnTick(const core::Engine& engine, absl::Time now) { return true; }
};

struct RuntimeOptions {
  // Hold replies until their events are committed (true), or answer once the
  // engine applied the command (false).
  bool ack_committed = true;
  core::EngineOptions engine;
  store::StoreOptions store;
  // How often the live KPIs' checkpoint goes to the store (with the events
  // it follows), so a restart replays at most about this much of the log.
  // Taking one costs the engine thread O(queues + agents + live calls).
  absl::Duration kpi_checkpoint_every = absl::Minutes(1);
};

class Runtime {
 public:
  // Takes the opened store. The engine's seq continues after the store's last.
  // `time` must outlive the runtime.
  static absl::StatusOr<std::unique_ptr<Runtime>> Create(RuntimeOptions options,
                                                         std::unique_ptr<store::EventLog> store,
                                                         TimeSystem* time);
  ~Runtime();

  // Called on the engine thread when the store turns unhealthy (a commit
  // failed: `healthy` false, `status` the error) or healthy again (a commit
  // succeeded). Set before Start(); must not block.
  using StoreHealthListener = std::function<void(bool healthy, const absl::Status& status)>;
  void set_store_health_listener(StoreHealthListener listener) {
    health_listener_ = std::move(listener);
  }

  void Start();
  // Closes every sink with `status`; later subscriptions are closed at once.
  // Commands still run (for a graceful shutdown of in-flight calls).
  void CloseSubscribers(
      const absl::Status& status = absl::UnavailableError("acdd is shutting down"));
  // Closes every sink, commits what is pending and stops the engine thread.
  // Replies still held are released once committed. A failing commit is
  // retried until `give_up_at` (default: StoreOptions::stop_timeout from now).
  // Returns OK when every event was committed, else the error saying which
  // were not. Idempotent: later calls return the same.
  absl::Status Stop(std::optional<absl::Time> give_up_at = std::nullopt);

  // Runs `command`, which may change the engine, on the engine thread at the
  // clock's now, then calls `done` (on the engine thread) with its result once
  // the events it made are acknowledged (see the commit gate).
  // While draining, `done` gets UNAVAILABLE at once and nothing runs; while
  // the store is unhealthy, likewise, from the engine thread.
  template <typename T>
  void Execute(std::function<absl::StatusOr<T>(core::Engine&, absl::Time)> command,
               std::function<void(absl::StatusOr<T>)> done) {
    if (!Admit()) {
      done(absl::UnavailableError("acdd is shutting down"));
      return;
    }
    Post([this, command = std::move(command), done = std::move(done)]() mutable {
      if (!store_healthy_.load()) {
        done(StoreRefusal());
        Release();
        return;
      }
      absl::StatusOr<T> result = command(*engine_, time_->Now());
      Settle([this, done = std::move(done),
              result = std::move(result)](const absl::Status& not_committed) mutable {
        // A failed command reports its own error; a success is one only once
        // committed.
        if (!not_committed.ok() && result.ok()) {
          done(not_committed);
        } else {
          done(std::move(result));
        }
        Release();
      });
    });
  }

  // From inside an Execute command (engine thread): the config the command
  // applies is written to the store's config_versions with the config_applied
  // event the command emits, in the same transaction; `version.seq` is set
  // to that event's. Versions pair with the command's config_applied events
  // in order; one without such an event is not recorded.
  void RecordConfigVersion(store::ConfigVersion version) {
    config_versions_.push_back(std::move(version));
  }

  // Runs the read-only `query` like Execute, and while the store is unhealthy
  // too. Its reply waits, like any, for the events before it to be committed,
  // except while the store is unhealthy: then it shows the engine's state,
  // changes kept in memory included.
  template <typename T>
  void Read(std::function<absl::StatusOr<T>(const core::Engine&, absl::Time)> query,
            std::function<void(absl::StatusOr<T>)> done) {
    if (!Admit()) {
      done(absl::UnavailableError("acdd is shutting down"));
      return;
    }
    Post([this, query = std::move(query), done = std::move(done)]() mutable {
      absl::StatusOr<T> result = query(std::as_const(*engine_), time_->Now());
      Settle(
          [this, done = std::move(done), result = std::move(result)](const absl::Status&) mutable {
            done(std::move(result));
            Release();
          });
    });
  }

  // Stops admitting commands; those admitted still complete.
  void Drain();
  // Waits until every admitted command has completed, or `timeout` passes.
  // Returns whether all completed.
  bool WaitIdle(absl::Duration timeout);

  // Adds a sink. `init` runs first on the engine thread (to send what the
  // subscriber must know now, e.g. an outstanding offer); then the sink gets
  // every event committed after that point that `interest` matches: exactly
  // those with a seq above committed_seq() as read in `init` (a resumed
  // stream reads the ones up to it from the store). Returns an id for
  // Unsubscribe().
  // With a positive `tick`, the sink's OnTick runs every `tick` too (the
  // first one `tick` after `init`).
  uint64_t Subscribe(std::shared_ptr<EventSink> sink, Interest interest,
                     std::function<void(const core::Engine&)> init = {},
                     absl::Duration tick = absl::ZeroDuration());
  void Unsubscribe(uint64_t id);

  // The runtime's time (the `now` commands get).
  absl::Time Now() const { return time_->Now(); }

  // Live KPIs. Engine thread only: from a command, an `init` or a sink.
  const core::LiveStats& live_stats() const { return stats_; }
  // Sets the thresholds, zones, memberships and window of the live KPIs
  // (posted to the engine thread). Call it after each applied config.
  void ConfigureStats(core::RoutingConfig routing, core::LiveStatsOptions options);

  // Feeds stored events (in seq order, older than any the engine makes now)
  // to the live KPIs, so a restart keeps the wallboard's figures. After
  // Start(), before the first command. Returns at once; the future is ready
  // once they are fed, so the caller may decode the next events meanwhile.
  std::future<void> ReplayStats(std::vector<core::Event> events);
  // Resumes the live KPIs from a stored checkpoint (posted to the engine
  // thread): after ConfigureStats, before ReplayStats of the events after it.
  void ResumeStats(core::LiveStatsCheckpoint checkpoint);

  // Runs `beat` on the engine thread at Start() and then every `interval`
  // until Stop(): a heartbeat that stops when the engine thread is stuck (the
  // systemd watchdog). Set before Start().
  void SetHeartbeat(absl::Duration interval, std::function<void()> beat);

  // Thread-safe snapshot of progress. store_healthy: false from a failed
  // commit until the next one succeeds. appended_seq: the last event handed
  // to the store (committed or not).
  int64_t committed_seq() const { return committed_seq_.load(); }
  int64_t appended_seq() const { return appended_seq_.load(std::memory_order_relaxed); }
  bool store_healthy() const { return store_healthy_.load(); }

 private:
  Runtime(RuntimeOptions options, TimeSystem* time);

  void Post(std::function<void()> fn);
  bool Admit();
  void Release();
  // The versions asked for since the last Settle, each given the seq of its
  // config_applied event among `events` (in order); those left without one
  // are dropped, with an error logged.
  std::vector<store::ConfigVersion> TakeConfigVersions(const std::vector<core::Event>& events);
  // After a command: hands its events (and their config versions) to the
  // store and holds or sends `reply`: with OK once its events and those
  // before are committed, or with UNAVAILABLE saying why they are not when a
  // commit fails (or has failed) first.
  void Settle(std::function<void(const absl::Status& not_committed)> reply);
  // UNAVAILABLE for a mutating command refused while the store is unhealthy
  // (engine thread).
  absl::Status StoreRefusal() const;
  // UNAVAILABLE for a command whose change the store has not committed.
  static absl::Status StoreFailure(const absl::Status& store_error);
  void OnCommitted(int64_t seq, const absl::Status& status);  // engine thread
  void ArmTimer();
  void OnTimer();
  void Publish(const core::Event& event);
  // At debug level, each committed event is logged, about its call, agent
  // and queue.
  static void LogCommitted(const core::Event& event);
  void ArmTick(uint64_t id);
  void Beat();
  void OnTick(uint64_t id);
  void DropSink(uint64_t id);

  RuntimeOptions options_;
  TimeSystem* time_;
  std::unique_ptr<core::Engine> engine_;
  std::unique_ptr<store::StoreWriter> writer_;

  // The engine thread, and its timers on the time system's time.
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Timer> timer_;
  std::optional<absl::Time> timer_at_;
  std::unique_ptr<Timer> heartbeat_timer_;
  absl::Duration heartbeat_interval_ = absl::ZeroDuration();
  std::function<void()> heartbeat_;
  bool started_ = false;
  bool stopped_ = false;
  absl::Status stop_status_;
  StoreHealthListener health_listener_;
  bool closing_ = false;  // engine thread: sinks are closed
  absl::Status close_status_;

  // Engine-thread state.
  struct HeldReply {
    int64_t seq;
    std::function<void(const absl::Status& not_committed)> reply;
  };
  absl::Status store_error_;             // the last failed commit's, while unhealthy
  std::deque<HeldReply> held_;           // seq ascending
  std::deque<core::Event> uncommitted_;  // seq ascending
  // Asked for by the running command (RecordConfigVersion); taken by Settle.
  std::vector<store::ConfigVersion> config_versions_;
  SinkIndex sinks_;
  struct Ticker {
    absl::Duration interval;
    std::unique_ptr<Timer> timer;
  };
  std::map<uint64_t, Ticker> tickers_;  // by sink id
  core::LiveStats stats_;
  absl::Time next_checkpoint_ = absl::InfinitePast();
  int64_t checkpoint_seq_ = 0;  // of the last checkpoint handed to the writer

  Mutex admission_mu_;
  bool draining_ ABSL_GUARDED_BY(admission_mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(admission_mu_) = 0;

  std::atomic<int64_t> committed_seq_{0};
  // Written on the engine thread only (the last event handed to the store);
  // read anywhere.
  std::atomic<int64_t> appended_seq_{0};
  // Written on the engine thread only, so commands there see it in order
  // with the commit reports.
  std::atomic<bool> store_healthy_{true};
};

}  // namespace acd::runtime

#endif  // ACD_SERVER_RUNTIME_RUNTIME_H_

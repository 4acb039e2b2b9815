// The property test's Runner: its run and step log, and how a step dispatches its operation.
#include "tests/core/property/runner.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tests/core/property/crash_report.h"
#include "tests/core/property/text.h"

namespace acd::core::property {

std::string TagOf(const std::string& failure) {
  if (failure.empty() || failure[0] != '[') return "";
  return failure.substr(1, failure.find(']') - 1);
}

Runner::Runner(const Scenario& scenario, bool verbose, Fault fault)
    : engine_(scenario.options),
      config_(scenario.config),
      next_seq_(scenario.first_seq),
      max_finished_(std::max<size_t>(scenario.options.max_finished_calls, 1)),
      verbose_(verbose),
      fault_(fault) {
  for (const QueueConfig& q : config_.queues) {
    next_queue_ = std::max(next_queue_, NumberOf(q.name) + 1);
  }
  for (const AgentConfig& a : config_.agents) {
    next_agent_ = std::max(next_agent_, NumberOf(a.agent_id) + 1);
  }
}

RunResult Runner::Run(const std::vector<Op>& ops) {
  engine_.set_next_seq(next_seq_);
  absl::Status s = engine_.ApplyConfig(config_, now_);
  if (!s.ok()) Fail("outcome", "the initial config was refused: ", s.ToString());
  TakeEvents();
  if (ok()) CheckState();
  int step = 0;
  for (; step < static_cast<int>(ops.size()) && ok(); ++step) {
    g_step.store(step);
    g_progress.fetch_add(1);
    if (g_shared_step != nullptr) *g_shared_step = step;
    step_ = step;
    line_.clear();
    if (verbose_) {
      // Said first, so that a crash or hang shows the step it happened in.
      fprintf(stdout, "[%d] ...\n", step);
      fflush(stdout);
    }
    Execute(ops[step]);
    if (ok()) CheckState();
    // A restart is compared at an instant with no deadline due (one a
    // reload armed in the past fires at the next command; a restore
    // processes it at once).
    restore_due_ |= step % 100 == 99 || step + 1 == static_cast<int>(ops.size());
    std::optional<absl::Time> due = engine_.NextDeadline();
    if (ok() && restore_due_ && (!due || *due > engine_now_)) {
      restore_due_ = false;
      CheckRestore();
    }
    Log(absl::StrCat("[", step, "] ", Rel(now_), " ", line_));
  }
  g_step.store(-1);
  RunResult result;
  result.failure = failure_;
  result.step = failure_.empty() ? -1 : step - 1;
  result.recent = absl::StrJoin(log_, "\n");
  result.digest = digest_;
  return result;
}

// --- Failures and the step log ---

void Runner::Log(std::string line) {
  if (verbose_) {
    fprintf(stdout, "%s\n", line.c_str());
    fflush(stdout);
  }
  log_.push_back(std::move(line));
  if (log_.size() > 25) log_.pop_front();
}

int Runner::NumberOf(const std::string& name) {
  int n = 0;
  return absl::SimpleAtoi(absl::string_view(name).substr(1), &n) ? n : 0;
}

// --- Operations ---

void Runner::Execute(const Op& op) {
  Rng rng(op.seed);
  if (op.kind == OpKind::kAdvance) return Advance(op);
  absl::Time t = now_;
  // Now and then a command carries an out-of-date time: the engine must
  // treat it as the latest time it has seen.
  if (op.kind != OpKind::kReload && rng.Chance(0.05)) t -= absl::Seconds(rng.Uniform(1, 30));
  absl::Time effective = std::max(t, engine_now_);
  // A command first runs the deadlines due by its time. Mostly run them
  // beforehand, so that the command's own outcome and events can be
  // predicted; otherwise let the command run them (and predict less).
  strict_ = true;
  std::optional<absl::Time> next = engine_.NextDeadline();
  if (next && *next <= effective) {
    if (op.kind == OpKind::kReload || rng.Chance(0.7)) {
      Settle(effective);
    } else {
      strict_ = false;
      Note("(deadlines due) ");
    }
  }
  engine_now_ = effective;
  if (t < now_) Note(absl::StrCat("(at ", Rel(t), ") "));
  switch (op.kind) {
    case OpKind::kEnqueue:
      return Enqueue(rng, t);
    case OpKind::kLogin:
      return Login(rng, t);
    case OpKind::kLogout:
      return Logout(rng, t);
    case OpKind::kReady:
      return Ready(rng, t);
    case OpKind::kAway:
      return Away(rng, t);
    case OpKind::kAccept:
      return Accept(rng, t);
    case OpKind::kReject:
      return Reject(rng, t);
    case OpKind::kAbandon:
      return Abandon(rng, t);
    case OpKind::kEnd:
      return End(rng, t);
    case OpKind::kComplete:
      return Complete(rng, t);
    case OpKind::kReload:
      return Reload(rng, t);
    case OpKind::kTransferToQueue:
      return TransferToQueue(rng, t);
    case OpKind::kTransferToAgent:
      return TransferToAgent(rng, t);
    case OpKind::kMoveCall:
      return MoveCall(rng, t);
    case OpKind::kRequestCallback:
      return RequestCallback(rng, t);
    case OpKind::kCallbackFailed:
      return CallbackFailed(rng, t);
    case OpKind::kAdvance:
      return;
  }
}

// Runs the deadlines due by `t` on their own.
void Runner::Settle(absl::Time t) {
  engine_.AdvanceTo(t);
  engine_now_ = std::max(engine_now_, t);
  TakeEvents();
  if (!events_.empty()) Note(absl::StrCat("(", events_.size(), " deadline events) "));
  CheckSettled(t);
}

// After AdvanceTo(t) nothing due by t is left.
void Runner::CheckSettled(absl::Time t) {
  if (fault_ == Fault::kDeadlines) t += absl::Hours(1);
  std::optional<absl::Time> next = engine_.NextDeadline();
  if (next && *next <= t) {
    Fail("deadlines", "after AdvanceTo(", Rel(t), ") a deadline at ", Rel(*next), " is left");
  }
}

void Runner::Advance(const Op& op) {
  auto [d, settle] = AdvanceOf(op);
  now_ += d;
  Note(absl::StrCat("advance ", absl::FormatDuration(d)));
  if (settle) {
    Note(" + AdvanceTo");
    strict_ = true;
    Settle(now_);
  }
}

RunResult RunScenario(const Scenario& s, bool verbose, Fault fault) {
  g_seed.store(s.seed);
  Runner runner(s, verbose, fault);
  return runner.Run(s.ops);
}

}  // namespace acd::core::property

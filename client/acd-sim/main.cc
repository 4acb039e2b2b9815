// acd-sim: simulator and load generator for acdd. Compares measured service
// with Erlang C / Erlang A (the default mode), or drives as many call
// lifecycles as the server takes (--max-rate). See --help.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "acd/v1/admin_service.grpc.pb.h"
#include "client/acd-sim/background_load.h"
#include "client/acd-sim/child_server.h"
#include "client/acd-sim/erlang_run.h"
#include "client/acd-sim/max_rate.h"
#include "client/acd-sim/progress.h"
#include "client/acd-sim/sim_config.h"
#include "client/acd-sim/sim_rpc.h"
#include "client/acd-sim/stats.h"
#include "server/core/erlang.h"

namespace acd::sim {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr absl::Duration kStartTimeout = absl::Seconds(20);

constexpr char kDescription[] =
    R"(acd-sim: simulated agent desktops and callers against acdd over gRPC.

Erlang mode (the default) checks the daemon against queueing theory. Calls
arrive as a Poisson process at --erlangs / --aht into one queue served by N
simulated desktops, each on its own StreamOffers stream: it accepts every offer
at once, talks for an exponential time (mean --aht), then the call is ended
(EndCall, and CompleteCall if the queue has wrap-up). With --patience a caller
not offered within an exponential time (that mean) hangs up (AbandonCall) and
the prediction is Erlang A instead of Erlang C. Time runs --scale times faster
than simulated time, so an hour of traffic at --scale 60 takes a minute. For
each N it prints measured P(wait), service level, ASA, abandonment and
occupancy beside the prediction of server/core/erlang.h:
  P(wait)    calls EnqueueCall answered QUEUED (no agent free) / calls
  SL         calls answered within --threshold / calls (abandons count against)
  ASA        mean wait of answered calls
  wait       (offer read on the agent's stream - EnqueueCall sent) x scale
  occupancy  agents' busy time (offer -> EndCall answered) / staffed time
  floor      real ms from EnqueueCall to the offer for calls offered at once:
             the jitter the scale multiplies; "floor s" is its p99 x scale, the
             simulated wait every call gets on top (keep it << threshold)
  missed     offers the desktop could not accept because the daemon had
             withdrawn them (a stall longer than the offer timeout), as a real
             desktop misses one; the call is offered again
  +- se      standard error from 10 batch means of consecutive calls
Calls arriving during --warmup (simulated) are run but not counted; then
--calls more are. A row is done when every call was answered or abandoned.

With --acdd PATH, acd-sim starts a daemon per N on 127.0.0.1 (free port) with a
temp config and database (on tmpfs, /dev/shm, so the disk's latency does not
become minutes of simulated wait; --db-dir DIR to put them elsewhere): one queue "sim", agents sim-1..N, wrap_up_time 0s,
offer_timeout 20s/scale (at least 1s), max_missed_offers 0, the queue's
service_level_threshold and short_abandon divided by the scale, and the
--ack/--synchronous durability; it stops it with SIGTERM after the run.
With --target HOST:PORT it uses a running daemon: agents <prefix>1..N (give one
N), who must serve --queue, be idle, and take no other calls; configure that
queue's durations divided by --scale yourself.

--max-rate drives full lifecycles (EnqueueCall -> offer on the stream ->
AcceptOffer -> EndCall -> CompleteCall) back to back from --workers paired
callers and desktops: worker i enqueues into the queue named like its agent
<prefix>i, which only that agent serves (with --acdd such a config is written,
wrap_up_time 10m so CompleteCall ends wrap-up). It prints lifecycles/s and
p50/p99/p999 latency per RPC. With --noop-server PATH (acd-noop-server) it then
runs the same client against that server, whose handlers answer at once, and
prints the ratio. Beside the workers, each run can hold background load that
they never touch: --idle-desktops N agents idle-1..N, logged in and available
on queue "idle" with an open StreamOffers stream each (what a connected but
quiet contact centre costs), and --preload-calls N calls waiting in queue
"preload", which no agent serves (enqueued before the run). With --acdd the
generated config has them; with --target the daemon's config must.

Examples:
  acd-sim --acdd build/server/app/acdd --erlangs 10 --aht 180s --agents 11-14 \
          --calls 3000 --scale 300
  acd-sim --target 127.0.0.1:7070 --queue support --agents 12 --agent-prefix sim-
  acd-sim --max-rate --acdd build/server/app/acdd --workers 16 --duration 10s \
          --noop-server build/tests/bench/acd-noop-server
  acd-sim --max-rate --acdd build/server/app/acdd --workers 16 --idle-desktops 8000
  acd-sim --restart-time --acdd build/server/app/acdd --preload-calls 100000

Exit status: 0 done; 1 an RPC failed, a call was left unfinished, or a server
did not start or stop cleanly; 2 bad command line.)";

struct Options {
  std::string acdd;
  std::string target;
  std::string noop_server;
  ctl::Credentials credentials;  // for --target
  // Erlang.
  double erlangs = 10;
  std::string aht = "180s";
  std::string agents = "11-14";
  int calls = 3000;
  std::string warmup = "1h";
  double scale = 300;
  std::string threshold = "20s";
  std::string patience;
  uint64_t seed = 1;
  int jobs = 1;
  std::string queue = "sim";
  std::string agent_prefix = "sim-";
  // Max rate.
  bool max_rate = false;
  bool restart_time = false;
  int workers = 8;
  std::string duration = "10s";
  int64_t lifecycles = 0;
  BackgroundLoad background;
  // Daemon and output.
  DurabilitySettings durability;
  std::vector<std::string> acdd_args;  // more arguments for each acdd started
  bool keep = false;
  std::string db_dir;  // where started daemons keep their files; "" = the mode's default
  std::string format = "table";
  bool quiet = false;
};

int Usage(absl::string_view message) {
  std::cerr << "acd-sim: " << message << "\nRun 'acd-sim --help' for usage." << std::endl;
  return kExitUsage;
}

int Failure(absl::string_view message) {
  std::cerr << "acd-sim: " << message << std::endl;
  return kExitFailure;
}

// The arguments of an acdd that acd-sim starts (it adds --port-file, --config
// and --db).
// Erlang mode measures routing, not the disk: its daemons keep their files on
// tmpfs unless --db-dir says otherwise.
std::string ErlangDbDir(const Options& o) {
  if (!o.db_dir.empty()) return o.db_dir;
  return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "";
}

std::vector<std::string> AcddArgs(const Options& o) {
  std::vector<std::string> args = {"--listen", "127.0.0.1:0"};
  args.insert(args.end(), o.acdd_args.begin(), o.acdd_args.end());
  return args;
}

std::optional<absl::Duration> ParsePositiveDuration(const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration() || d == absl::InfiniteDuration())
    return std::nullopt;
  return d;
}

// "12", "11-14" or "11,13".
std::optional<std::vector<int>> ParseAgentCounts(const std::string& text) {
  std::vector<int> counts;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    std::pair<std::string, std::string> range = absl::StrSplit(part, absl::MaxSplits('-', 1));
    int from = 0, to = 0;
    if (!absl::SimpleAtoi(range.first, &from)) return std::nullopt;
    to = from;
    if (!range.second.empty() && !absl::SimpleAtoi(range.second, &to)) return std::nullopt;
    if (from < 1 || to < from || to > core::kMaxAgents) return std::nullopt;
    for (int n = from; n <= to; ++n) counts.push_back(n);
  }
  if (counts.empty()) return std::nullopt;
  return counts;
}

std::vector<std::string> AgentIds(const std::string& prefix, int n) {
  std::vector<std::string> ids;
  for (int i = 1; i <= n; ++i) ids.push_back(absl::StrCat(prefix, i));
  return ids;
}

// Unique per run, so repeated runs against one daemon never reuse a call id.
std::string RunPrefix() {
  return absl::StrCat("sim", absl::ToUnixMillis(absl::Now()) % 100'000'000);
}

struct Row {
  int agents = 0;
  absl::StatusOr<ErlangMeasurement> measured = absl::UnknownError("not run");
  absl::StatusOr<core::StaffingPrediction> predicted = absl::UnknownError("not run");
};

std::string Seconds(double s) { return absl::StrFormat("%.1f", s); }
std::string Seconds(absl::Duration d) {
  return d == absl::InfiniteDuration() ? "inf" : Seconds(absl::ToDoubleSeconds(d));
}

void PrintErlangTable(const Options& o, bool erlang_a, absl::Duration aht, absl::Duration threshold,
                      absl::Duration warmup, const std::vector<Row>& rows) {
  const bool csv = o.format == "csv";
  if (csv) {
    std::cout << "agents,calls,sim_hours,p_wait,p_wait_se,p_wait_pred,service_level,"
                 "service_level_se,service_level_pred,asa_s,asa_pred_s,abandonment,"
                 "abandonment_pred,occupancy,occupancy_pred,aht_s,floor_p50_ms,floor_p99_ms,"
                 "floor_p99_sim_s,missed_offers,wall_s,errors,unfinished\n";
  } else {
    std::cout << absl::StrFormat(
        "%.2f Erlangs (%.1f calls/h, AHT %s), threshold %s, %s; scale %gx; %d calls per row "
        "after a %s warm-up\n\n",
        o.erlangs, o.erlangs * 3600 / absl::ToDoubleSeconds(aht), absl::FormatDuration(aht),
        absl::FormatDuration(threshold),
        erlang_a ? absl::StrCat("Erlang A (patience ", o.patience, ")") : "Erlang C", o.scale,
        o.calls, absl::FormatDuration(warmup));
    if (!o.acdd.empty()) {
      const std::string dir = ErlangDbDir(o);
      std::cout << "daemon files in " << (dir.empty() ? "the temp dir" : dir) << "\n\n";
    }
    std::cout << absl::StrFormat("%3s %6s %6s  %-14s %6s  %-14s %6s %7s  %6s %6s  ", "N", "calls",
                                 "sim h", "P(wait) +- se", "pred", "SL +- se", "pred", "floor s",
                                 "ASA s", "pred");
    if (erlang_a) std::cout << absl::StrFormat("%6s %6s  ", "aband", "pred");
    std::cout << absl::StrFormat("%6s %6s  %6s  %-13s %6s %6s\n", "occ", "pred", "AHT s",
                                 "floor p50/p99", "missed", "wall s");
  }
  for (const Row& row : rows) {
    if (!row.measured.ok() || !row.predicted.ok()) continue;
    const ErlangMeasurement& m = *row.measured;
    const core::StaffingPrediction& p = *row.predicted;
    const double abandon_pred = p.abandonment.value_or(0);
    if (csv) {
      std::cout << absl::StrFormat(
          "%d,%d,%.2f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f,%s,%.4f,%.4f,%.4f,%.4f,%.2f,%.2f,%.2f,"
          "%.2f,%d,%.1f,%d,%d\n",
          m.agents, m.calls, m.simulated_hours, m.p_wait, m.p_wait_se, p.p_wait, m.service_level,
          m.service_level_se, p.service_level, m.asa_seconds, Seconds(p.asa), m.abandonment,
          abandon_pred, m.occupancy, p.occupancy, m.aht_seconds, m.floor_p50_ms, m.floor_p99_ms,
          m.floor_p99_ms / 1000 * o.scale, m.missed_offers, m.wall_seconds, m.errors, m.unfinished);
      continue;
    }
    std::cout << absl::StrFormat(
        "%3d %6d %6.1f  %.3f +- %.3f  %6.3f  %.3f +- %.3f  %6.3f %7.1f  %6.1f %6s  ", m.agents,
        m.calls, m.simulated_hours, m.p_wait, m.p_wait_se, p.p_wait, m.service_level,
        m.service_level_se, p.service_level, m.floor_p99_ms / 1000 * o.scale, m.asa_seconds,
        Seconds(p.asa));
    if (erlang_a) std::cout << absl::StrFormat("%6.3f %6.3f  ", m.abandonment, abandon_pred);
    std::cout << absl::StrFormat("%6.3f %6.3f  %6.1f  %5.1f/%-7.1f %6d %6.0f\n", m.occupancy,
                                 p.occupancy, m.aht_seconds, m.floor_p50_ms, m.floor_p99_ms,
                                 m.missed_offers, m.wall_seconds);
  }
}

int RunErlangMode(const Options& o) {
  const std::optional<absl::Duration> aht = ParsePositiveDuration(o.aht);
  if (!aht) return Usage(absl::StrCat("--aht: \"", o.aht, "\" is not a positive duration"));
  const std::optional<absl::Duration> threshold = ParsePositiveDuration(o.threshold);
  if (!threshold) {
    return Usage(absl::StrCat("--threshold: \"", o.threshold, "\" is not a positive duration"));
  }
  absl::Duration warmup;
  if (!absl::ParseDuration(o.warmup, &warmup) || warmup < absl::ZeroDuration()) {
    return Usage(absl::StrCat("--warmup: \"", o.warmup, "\" is not a duration of 0s or more"));
  }
  std::optional<absl::Duration> patience;
  if (!o.patience.empty()) {
    patience = ParsePositiveDuration(o.patience);
    if (!patience) {
      return Usage(absl::StrCat("--patience: \"", o.patience, "\" is not a positive duration"));
    }
  }
  const std::optional<std::vector<int>> counts = ParseAgentCounts(o.agents);
  if (!counts) {
    return Usage(absl::StrCat("--agents: \"", o.agents,
                              "\" is not a count, range or list of counts like 12, 11-14, 11,13"));
  }
  if (!o.target.empty() && counts->size() != 1) {
    return Usage(absl::StrCat("--agents: give one count with --target, not \"", o.agents, "\""));
  }
  if (!(o.erlangs > 0 && o.erlangs <= core::kMaxTrafficErlangs)) {
    return Usage(
        absl::StrCat("--erlangs: ", o.erlangs, " is not in (0, ", core::kMaxTrafficErlangs, "]"));
  }

  // Check the predictions first: a bad combination fails before any run.
  std::vector<Row> rows(counts->size());
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].agents = (*counts)[i];
    rows[i].predicted = core::Predict(o.erlangs, rows[i].agents, *aht, *threshold, patience);
    if (!rows[i].predicted.ok()) return Usage(rows[i].predicted.status().message());
  }

  ProgressBoard progress(!o.quiet && isatty(STDERR_FILENO));
  const std::string prefix = RunPrefix();
  auto run_row = [&](size_t i) {
    Row& row = rows[i];
    ErlangRunOptions run;
    run.queue = o.queue;
    run.agents = AgentIds(o.agent_prefix, row.agents);
    run.erlangs = o.erlangs;
    run.aht = *aht;
    run.threshold = *threshold;
    run.patience = patience;
    run.calls = o.calls;
    run.warmup = warmup;
    run.scale = o.scale;
    run.seed = o.seed;
    run.call_prefix = absl::StrCat(prefix, "n", row.agents);
    run.progress = &progress;
    run.progress_slot = static_cast<int>(i);
    run.progress_label = absl::StrCat("N=", row.agents);
    std::unique_ptr<ChildServer> daemon;
    if (!o.acdd.empty()) {
      absl::StatusOr<std::unique_ptr<ChildServer>> started = ChildServer::Start(
          o.acdd, AcddArgs(o),
          ErlangConfigYaml(o.queue, run.agents, o.scale, *threshold, o.durability), kStartTimeout,
          ErlangDbDir(o));
      if (!started.ok()) {
        row.measured = started.status();
        return;
      }
      daemon = std::move(*started);
      if (o.keep) {
        daemon->keep_dir();
        std::cerr << "acd-sim: N=" << row.agents << ": daemon files in " << daemon->dir()
                  << std::endl;
      }
      run.target = daemon->address();
    } else {
      run.target = o.target;
      run.credentials = o.credentials;
    }
    row.measured = RunErlang(run);
    if (daemon) {
      absl::Status stopped = daemon->Stop();
      if (!stopped.ok() && row.measured.ok()) row.measured = stopped;
    }
  };
  const size_t jobs = static_cast<size_t>(std::max(1, o.jobs));
  for (size_t first = 0; first < rows.size(); first += jobs) {
    std::vector<std::thread> threads;
    for (size_t i = first; i < std::min(rows.size(), first + jobs); ++i) {
      threads.emplace_back(run_row, i);
    }
    for (std::thread& t : threads) t.join();
  }

  progress.Clear();
  PrintErlangTable(o, patience.has_value(), *aht, *threshold, warmup, rows);
  int exit = kExitOk;
  for (const Row& row : rows) {
    const std::string label = absl::StrCat("N=", row.agents, ": ");
    if (!row.measured.ok()) {
      exit = Failure(label + std::string(row.measured.status().message()));
      continue;
    }
    if (row.measured->errors > 0) {
      exit = Failure(absl::StrCat(label, row.measured->errors,
                                  " RPCs failed; the first: ", row.measured->first_error));
    }
    if (row.measured->unfinished > 0) {
      exit = Failure(absl::StrCat(label, row.measured->unfinished,
                                  " calls were neither answered nor abandoned"));
    }
  }
  return exit;
}

void PrintMaxRate(const Options& o, const std::string& server, const MaxRateResult& r) {
  if (o.format == "csv") {
    std::cout << absl::StrFormat("%s,throughput,%d,%.1f,,,\n", server, r.lifecycles, r.per_second);
    for (const StepLatency& step : r.steps) {
      std::cout << absl::StrFormat("%s,%s,%d,,%.3f,%.3f,%.3f\n", server, step.name, step.ms.size(),
                                   Percentile(step.ms, 0.5), Percentile(step.ms, 0.99),
                                   Percentile(step.ms, 0.999));
    }
    return;
  }
  std::cout << absl::StrFormat("%s: %d workers, %d lifecycles in %.1f s = %.1f lifecycles/s\n",
                               server, r.workers, r.lifecycles, r.seconds, r.per_second);
  std::cout << absl::StrFormat("  %-16s %9s %9s %9s %9s\n", "step", "count", "p50 ms", "p99 ms",
                               "p999 ms");
  for (const StepLatency& step : r.steps) {
    std::cout << absl::StrFormat("  %-16s %9d %9.3f %9.3f %9.3f\n", step.name, step.ms.size(),
                                 Percentile(step.ms, 0.5), Percentile(step.ms, 0.99),
                                 Percentile(step.ms, 0.999));
  }
}

int RunMaxRateMode(const Options& o) {
  const std::optional<absl::Duration> duration = ParsePositiveDuration(o.duration);
  if (!duration) {
    return Usage(absl::StrCat("--duration: \"", o.duration, "\" is not a positive duration"));
  }
  if (o.workers < 1 || o.workers > core::kMaxAgents) {
    return Usage(absl::StrCat("--workers: ", o.workers, " is not in [1, ", core::kMaxAgents, "]"));
  }
  if (o.lifecycles < 0) return Usage(absl::StrCat("--lifecycles: ", o.lifecycles, " is negative"));
  ProgressBoard progress(!o.quiet && isatty(STDERR_FILENO));
  MaxRateOptions run;
  run.agents = AgentIds(o.agent_prefix, o.workers);
  run.duration = *duration;
  run.lifecycles = o.lifecycles;
  run.call_prefix = RunPrefix();
  run.progress = &progress;
  if (o.format == "csv") std::cout << "server,step,count,per_s,p50_ms,p99_ms,p999_ms\n";

  // Runs the load against `binary` (started with `config`) or o.target.
  auto run_against = [&](const std::string& name, const std::string& binary,
                         const std::string& config) -> absl::StatusOr<MaxRateResult> {
    std::unique_ptr<ChildServer> child;
    if (!binary.empty()) {
      // The no-op server takes none of acdd's flags.
      std::vector<std::string> args =
          binary == o.acdd ? AcddArgs(o) : std::vector<std::string>{"--listen", "127.0.0.1:0"};
      absl::StatusOr<std::unique_ptr<ChildServer>> started =
          ChildServer::Start(binary, std::move(args), config, kStartTimeout, o.db_dir);
      if (!started.ok()) return started.status();
      child = std::move(*started);
      if (o.keep) child->keep_dir();
    }
    MaxRateOptions options = run;
    options.target = child ? child->address() : o.target;
    if (!child) options.credentials = o.credentials;
    options.progress_label = name;
    absl::Status background = absl::OkStatus();
    if (o.background.preload_calls > 0) {
      background = PreloadCalls(options.target, options.credentials, kPreloadQueue,
                                o.background.preload_calls,
                                absl::StrCat(run.call_prefix, "-preload"), &progress);
    }
    std::unique_ptr<IdleDesktops> idle;
    if (background.ok() && o.background.idle_desktops > 0) {
      absl::StatusOr<std::unique_ptr<IdleDesktops>> opened = IdleDesktops::Open(
          options.target, options.credentials, IdleAgentIds(o.background.idle_desktops), &progress);
      if (opened.ok()) {
        idle = *std::move(opened);
      } else {
        background = opened.status();
      }
    }
    absl::StatusOr<MaxRateResult> result =
        background.ok() ? RunMaxRate(options) : absl::StatusOr<MaxRateResult>(background);
    if (idle != nullptr && idle->ended_early() > 0 && result.ok()) {
      result = absl::InternalError(absl::StrCat(idle->ended_early(),
                                                " idle desktop streams ended during the run; the "
                                                "first: ",
                                                idle->first_end()));
    }
    idle.reset();
    if (child) {
      absl::Status stopped = child->Stop();
      if (!stopped.ok() && result.ok()) return stopped;
    }
    if (result.ok()) {
      progress.Clear();
      PrintMaxRate(o, name, *result);
      if (result->errors > 0) {
        return absl::InternalError(
            absl::StrCat(name, ": ", result->errors,
                         " workers stopped on an error; the first: ", result->first_error));
      }
    }
    return result;
  };

  const std::string server_name =
      o.acdd.empty() ? o.target
                     : absl::StrCat("acdd (ack=", o.durability.ack,
                                    " synchronous=", o.durability.synchronous, ")");
  absl::StatusOr<MaxRateResult> server =
      run_against(server_name, o.acdd, PairedConfigYaml(run.agents, o.durability, o.background));
  if (!server.ok()) return Failure(server.status().message());
  if (o.noop_server.empty()) return kExitOk;

  if (o.format != "csv") std::cout << "\n";
  absl::StatusOr<MaxRateResult> noop = run_against("no-op server", o.noop_server, "");
  if (!noop.ok()) return Failure(noop.status().message());
  if (o.format == "csv") return kExitOk;
  std::cout << absl::StrFormat("\nratio %s / no-op: throughput %.3f\n", server_name,
                               noop->per_second > 0 ? server->per_second / noop->per_second : 0);
  std::cout << absl::StrFormat("  %-16s %9s %9s %9s\n", "latency x", "p50", "p99", "p999");
  for (size_t i = 0; i < server->steps.size(); ++i) {
    const auto& a = server->steps[i].ms;
    const auto& b = noop->steps[i].ms;
    auto ratio = [&](double q) {
      const double d = Percentile(b, q);
      return d > 0 ? Percentile(a, q) / d : 0;
    };
    std::cout << absl::StrFormat("  %-16s %9.1f %9.1f %9.1f\n", server->steps[i].name, ratio(0.5),
                                 ratio(0.99), ratio(0.999));
  }
  return kExitOk;
}

// Starts acdd, preloads --preload-calls waiting calls, runs --lifecycles
// max-rate lifecycles (finished history), restarts it on the same files and
// prints how long the restart took to serve, and its memory.
int RunRestartMode(const Options& o) {
  if (o.acdd.empty()) return Usage("--restart-time needs --acdd");
  if (o.lifecycles < 0) return Usage(absl::StrCat("--lifecycles: ", o.lifecycles, " is negative"));
  ProgressBoard progress(!o.quiet && isatty(STDERR_FILENO));
  const std::vector<std::string> workers =
      o.lifecycles > 0 ? AgentIds(o.agent_prefix, o.workers) : std::vector<std::string>{};
  absl::StatusOr<std::unique_ptr<ChildServer>> daemon =
      ChildServer::Start(o.acdd, AcddArgs(o), PairedConfigYaml(workers, o.durability, o.background),
                         kStartTimeout, o.db_dir);
  if (!daemon.ok()) return Failure(daemon.status().message());
  if (o.keep) (*daemon)->keep_dir();
  const std::string prefix = RunPrefix();
  if (o.background.preload_calls > 0) {
    absl::Status preloaded = PreloadCalls((*daemon)->address(), {}, kPreloadQueue,
                                          o.background.preload_calls, prefix, &progress);
    if (!preloaded.ok()) return Failure(preloaded.message());
  }
  if (o.lifecycles > 0) {
    MaxRateOptions history;
    history.target = (*daemon)->address();
    history.agents = workers;
    history.lifecycles = o.lifecycles;
    history.duration = absl::Hours(24);
    history.call_prefix = absl::StrCat(prefix, "-history");
    history.progress = &progress;
    history.progress_label = "history:";
    absl::StatusOr<MaxRateResult> ran = RunMaxRate(history);
    if (!ran.ok()) return Failure(ran.status().message());
    if (ran->errors > 0) return Failure(ran->first_error);
  }
  progress.Set(0, "restarting acdd");
  // Restoring 100,000 calls took 14 s once; allow for far slower.
  absl::StatusOr<absl::Duration> took = (*daemon)->Restart(absl::Minutes(5));
  progress.Clear();
  if (!took.ok()) return Failure(took.status().message());
  // What came back, and what it cost.
  auto admin = v1::AdminService::NewStub(NewOwnChannel((*daemon)->address(), {}));
  v1::GetQueueStatsRequest request;
  request.set_queue(kPreloadQueue);
  v1::QueueStats stats;
  grpc::ClientContext context;
  SetDeadline(context);
  if (grpc::Status s = admin->GetQueueStats(&context, request, &stats); !s.ok()) {
    return Failure(RpcError("GetQueueStats", s));
  }
  const int64_t peak_kb = (*daemon)->PeakRssKb();
  std::cout << absl::StrFormat(
      "acdd restarted with %d waiting calls and %d finished lifecycles in %.3f s (start to "
      "serving); peak RSS %.0f MB\n",
      stats.queued(), o.lifecycles, absl::ToDoubleSeconds(*took), peak_kb / 1024.0);
  absl::Status stopped = (*daemon)->Stop();
  if (!stopped.ok()) return Failure(stopped.message());
  if (stats.queued() != o.background.preload_calls) {
    return Failure(absl::StrCat("expected ", o.background.preload_calls,
                                " waiting calls after the restart, found ", stats.queued()));
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  CLI::App app(kDescription, "acd-sim");
  Options o;
  app.get_formatter()->column_width(34);
  auto* server = app.add_option_group("Server (one of)");
  server->add_option("--acdd", o.acdd, "Start this acdd binary for each run")
      ->check(CLI::ExistingFile);
  server->add_option("--target", o.target, "Use the acdd already running at HOST:PORT");
  server->require_option(1);
  // With --target: a daemon with auth needs a token allowed to enqueue calls
  // and act as the agents (an admin token).
  ctl::AddCredentialFlags(app, o.credentials);
  auto* where = app.add_option_group("Daemon and agents");
  where->add_option("--ack", o.durability.ack, "With --acdd: server.ack")
      ->check(CLI::IsMember({"committed", "applied"}))
      ->capture_default_str();
  where->add_option("--synchronous", o.durability.synchronous, "With --acdd: server.synchronous")
      ->check(CLI::IsMember({"full", "normal"}))
      ->capture_default_str();
  where->add_option("--acdd-arg", o.acdd_args,
                    "With --acdd: one more argument for each acdd started (repeat it), e.g. "
                    "--acdd-arg=--http=127.0.0.1:0 to serve metrics too");
  where->add_flag("--keep", o.keep, "Keep the started servers' temp dirs (config, db, log)");
  where
      ->add_option("--db-dir", o.db_dir,
                   "Where started servers keep their temp dirs (default: Erlang mode /dev/shm, "
                   "max-rate $TMPDIR or /tmp)")
      ->check(CLI::ExistingDirectory);
  where->add_option("--queue", o.queue, "Queue the calls go to (Erlang mode)")
      ->capture_default_str();
  where->add_option("--agent-prefix", o.agent_prefix, "Agent ids are <prefix>1..N")
      ->capture_default_str();

  auto* erlang = app.add_option_group("Erlang mode");
  erlang->add_option("--erlangs", o.erlangs, "Offered traffic (Erlangs)")->capture_default_str();
  erlang->add_option("--aht", o.aht, "Mean handling (talk) time, simulated")->capture_default_str();
  erlang->add_option("--agents", o.agents, "Agent counts N: 12, 11-14 or 11,13 (one row each)")
      ->capture_default_str();
  erlang->add_option("--calls", o.calls, "Calls measured per row, after the warm-up")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  erlang->add_option("--warmup", o.warmup, "Simulated time run first and not measured")
      ->capture_default_str();
  erlang->add_option("--scale", o.scale, "Simulated seconds per real second")
      ->check(CLI::Range(0.001, 1e6))
      ->capture_default_str();
  erlang->add_option("--threshold", o.threshold, "Service-level threshold, simulated")
      ->capture_default_str();
  erlang->add_option("--patience", o.patience,
                     "Mean caller patience, simulated: callers abandon (Erlang A)");
  erlang->add_option("--seed", o.seed, "Random seed (arrivals, talk and patience times)")
      ->capture_default_str();
  erlang->add_option("--jobs", o.jobs, "With --acdd: rows run at once, each with its own acdd")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();

  auto* load = app.add_option_group("Max-rate mode");
  load->add_flag("--max-rate", o.max_rate, "Drive full call lifecycles as fast as possible");
  load->add_option("--workers", o.workers, "Concurrent caller+desktop pairs")
      ->capture_default_str();
  load->add_option("--duration", o.duration, "Real time to run")->capture_default_str();
  load->add_option("--lifecycles", o.lifecycles, "Stop after this many lifecycles (0: no limit)")
      ->capture_default_str();
  load->add_option("--idle-desktops", o.background.idle_desktops,
                   "Also hold N idle desktops (agents idle-1..N on queue \"idle\", logged in, "
                   "each with a StreamOffers stream) during each run")
      ->check(CLI::Range(0, 1000000));
  load->add_option("--preload-calls", o.background.preload_calls,
                   "Enqueue N calls into queue \"preload\", which no agent serves, before each run")
      ->check(CLI::Range(int64_t{0}, int64_t{100000000}));
  load->add_flag("--restart-time", o.restart_time,
                 "Restart mode: start --acdd, enqueue --preload-calls waiting calls, run "
                 "--lifecycles max-rate lifecycles from --workers (history), restart it on the "
                 "same files and print the time until it serves");
  load->add_option("--noop-server", o.noop_server,
                   "Then run the same against this acd-noop-server binary; print the ratio")
      ->check(CLI::ExistingFile);

  app.add_option("--format", o.format, "table or csv")
      ->check(CLI::IsMember({"table", "csv"}))
      ->capture_default_str();
  app.add_flag("-q,--quiet", o.quiet, "No progress line (none either when stderr is no terminal)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Usage(e.what());
  }
  if (!o.noop_server.empty() && !o.max_rate) return Usage("--noop-server needs --max-rate");
  if (o.restart_time && o.max_rate) return Usage("--restart-time and --max-rate are two modes");
  if (o.restart_time) return RunRestartMode(o);
  return o.max_rate ? RunMaxRateMode(o) : RunErlangMode(o);
}

}  // namespace
}  // namespace acd::sim

int main(int argc, char** argv) {
  try {
    return acd::sim::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "acd-sim: internal error: " << e.what() << std::endl;
  }
  return 1;
}

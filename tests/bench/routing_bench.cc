// Routing decision benchmarks (DESIGN §5, "No scans"): what one routing
// decision costs in a small and a large contact centre, measured per decision so
// the tail (p99, p99.9) is visible, not just the mean.
//
// The world. Agents have 1-5 skills (popular skills are common: Zipf weights)
// at levels 1-10 and serve 1-3 queues. Calls go to a uniformly drawn queue and
// require 0-3 skills (same Zipf weights) at levels 1-5; 10% have a priority of
// 1-5. Half of the agents ("servers") are available; the other half ("pool")
// are logged in but away. Calls are enqueued until the target number wait:
// calls a server can take are offered, accepted and ended at once (the servers
// stay available), the rest wait. So the waiting calls are the ones no
// available agent can take (the engine's invariant), many of which a pool agent
// can: both decisions have real work to do. Then every pool agent becomes
// available once, so the engine's caches are warm as in a running daemon.
//
// Steady state. Each measured operation is undone outside the timer, so the
// figures are of the stated sizes rather than of a draining world:
// - CallArrives: EnqueueCall of a fresh call. If it is offered, the agent
//   accepts and ends it (and is available again); if it waits, it is abandoned.
// - AgentFrees: SetAvailable of a pool agent, who is offered the best waiting
//   call it can take. The agent accepts, asks to go away after the call, and
//   ends it; a fresh call of the taken call's shape is enqueued in its place.
// - SizeRatio: either of the above at both sizes in one run, in turns, for
//   the target "large p99 under 2x the small size's" (see BM_SizeRatio).
//
// Times are of the whole engine command (validation, events, the decision),
// the cost the engine thread pays; draining events is left out (the runtime
// does that after the command). Fixed seeds: runs repeat.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/core/engine.h"
#include "tests/support/test_time.h"

namespace acd::core {
namespace {

struct WorldSpec {
  int waiting;  // calls waiting in steady state
  int agents;
  int skills;
  int queues;
  uint64_t seed;
};

// Small: 100 calls and ~20 agent memberships per queue. Large: 500 and ~100.
constexpr WorldSpec kSmall{1000, 100, 50, 10, 1};
constexpr WorldSpec kLarge{100000, 10000, 50, 200, 2};

using ::acd::testing::kT0;
// Simulated time per operation; aging is off, so it only orders idle agents.
constexpr absl::Duration kTick = absl::Milliseconds(10);

void Check(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "routing_bench: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

class Generator {
 public:
  // With `catalogue` > 0, agents' skills and calls' requirements are drawn
  // from that many fixed sets each (teams trained alike, IVR menus), rather
  // than made up one by one.
  Generator(const WorldSpec& spec, uint64_t seed, int catalogue) : spec_(spec), rng_(seed) {
    std::vector<double> weights;
    for (int k = 0; k < spec.skills; ++k) weights.push_back(1.0 / (k + 1));
    skill_ = std::discrete_distribution<int>(weights.begin(), weights.end());
    for (int i = 0; i < catalogue; ++i) {
      profiles_.push_back(NewProfile());
      signatures_.push_back(NewSignature());
    }
  }

  static std::string QueueName(int i) { return absl::StrCat("queue-", i); }
  static std::string AgentId(int i) { return absl::StrCat("agent-", i); }

  QueueConfig Queue(int i) {
    QueueConfig q;
    q.name = QueueName(i);
    // Long enough that no offer times out: the bench accepts at once.
    q.offer_timeout = absl::Hours(1);
    // Ending a call frees the agent at once, so no wrap-up timers pile up.
    q.wrap_up_time = absl::ZeroDuration();
    q.max_missed_offers = 0;
    return q;
  }

  AgentConfig Agent(int i) {
    AgentConfig a;
    a.agent_id = AgentId(i);
    a.skills = profiles_.empty() ? NewProfile() : profiles_[Uniform(0, profiles_.size() - 1)];
    size_t queues = Uniform(1, 3);
    while (a.queues.size() < queues) {
      std::string q = QueueName(Uniform(0, spec_.queues - 1));
      if (std::find(a.queues.begin(), a.queues.end(), q) == a.queues.end()) a.queues.push_back(q);
    }
    return a;
  }

  EnqueueRequest Call(std::string id) {
    EnqueueRequest r;
    r.call_id = std::move(id);
    r.queue = QueueName(Uniform(0, spec_.queues - 1));
    r.priority = Uniform(0, 9) == 0 ? Uniform(1, 5) : 0;
    r.required_skills =
        signatures_.empty() ? NewSignature() : signatures_[Uniform(0, signatures_.size() - 1)];
    // A couple of attributes, as an integrator would send, for realistic memory.
    r.attributes = {{"caller", absl::StrCat("+1555", Uniform(1000000, 9999999))},
                    {"channel", "voice"}};
    return r;
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  static std::string SkillName(int k) { return absl::StrCat("skill-", k); }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  SkillLevels NewProfile() {
    SkillLevels skills;
    size_t n = Uniform(1, 5);
    while (skills.size() < n) skills.emplace(SkillName(skill_(rng_)), Uniform(1, 10));
    return skills;
  }
  SkillLevels NewSignature() {
    SkillLevels skills;
    size_t n = Uniform(0, 3);
    while (skills.size() < n) skills.emplace(SkillName(skill_(rng_)), Uniform(1, 5));
    return skills;
  }

  WorldSpec spec_;
  std::mt19937_64 rng_;
  std::discrete_distribution<int> skill_;
  std::vector<SkillLevels> profiles_;
  std::vector<SkillLevels> signatures_;
};

// --catalogue=N (see Generator); 0 draws every set afresh.
int catalogue = 0;

RoutingConfig MakeConfig(const WorldSpec& spec, Generator& gen) {
  RoutingConfig config;
  for (int i = 0; i < spec.queues; ++i) config.queues.push_back(gen.Queue(i));
  for (int i = 0; i < spec.agents; ++i) config.agents.push_back(gen.Agent(i));
  return config;
}

EnqueueRequest SameShape(const Call& call, std::string id) {
  return EnqueueRequest{std::move(id), call.queue, call.priority, call.required_skills,
                        call.attributes};
}

using Clock = std::chrono::steady_clock;

// One timed engine command.
struct Sample {
  Clock::duration elapsed;
  // The thread was switched out meanwhile: another process ran on its core
  // (this machine is shared), so the sample measures the machine, not the
  // engine. The engine never blocks, so nothing else switches it out.
  bool preempted;
};

class Stopwatch {
 public:
  Stopwatch() : switches_(ContextSwitches()), start_(Clock::now()) {}
  Sample Stop() const {
    Clock::duration elapsed = Clock::now() - start_;
    return {elapsed, ContextSwitches() != switches_};
  }

 private:
  static long ContextSwitches() {
    struct rusage usage;
    getrusage(RUSAGE_THREAD, &usage);
    return usage.ru_nvcsw + usage.ru_nivcsw;
  }

  long switches_;
  Clock::time_point start_;
};

// True if `have` meets every level `need` requires (as the engine decides).
bool Covers(const SkillLevels& have, const SkillLevels& need) {
  for (const auto& [skill, level] : need) {
    auto it = have.find(skill);
    if (it == have.end() || it->second < level) return false;
  }
  return true;
}

// What one measured decision did.
struct Outcome {
  Sample sample;
  bool offered = false;
  // Group heads the decision looks at (0 when not counted): the engine's
  // call groups of the agent's queues its skills cover, or its agent groups
  // of the call's queue that cover the call. Counted on a shadow of the
  // engine's groups kept here, since the engine does not expose them.
  int heads = 0;
  // The call's (queue, signature) had no group yet: the engine makes one and
  // extends its eligibility caches.
  bool new_group = false;
};

// Heads are counted on every kHeadsEvery-th decision: counting walks the
// shadow, which is slower than the decision itself.
constexpr int kHeadsEvery = 8;

class World {
 public:
  explicit World(const WorldSpec& spec) : spec_(spec), gen_(spec, spec.seed, catalogue) {
    auto start = Clock::now();
    RoutingConfig config = MakeConfig(spec, gen_);
    Check(engine_.ApplyConfig(config, now_), "ApplyConfig");
    for (int i = 0; i < spec.agents; ++i) {
      AgentConfig& agent = config.agents[i];
      for (const std::string& q : agent.queues) {
        if (IsServer(i)) served_.insert(q);
        std::vector<SkillLevels>& profiles = profiles_[q];
        if (std::find(profiles.begin(), profiles.end(), agent.skills) == profiles.end()) {
          profiles.push_back(agent.skills);
        }
      }
      agents_[agent.agent_id] = std::move(agent);
    }
    for (int i = 0; i < spec.agents; ++i) {
      std::string id = Generator::AgentId(i);
      Check(engine_.Login(id, IsServer(i), now_).status(), "Login");
      if (!IsServer(i)) pool_.push_back(id);
    }
    std::shuffle(pool_.begin(), pool_.end(), gen_.rng());
    int64_t offered = 0, arrivals = 0;
    while (waiting_ < spec.waiting) {
      Tick();
      ++arrivals;
      if (Enqueue(gen_.Call(NextCallId()))) ++offered;
      engine_.TakeEvents();
    }
    // Every pool agent becomes available once, so that the engine's per-agent
    // caches are built and the measured decisions are the ones of a running
    // daemon, not of each agent's first log-in.
    auto warm = Clock::now();
    for (size_t i = 0; i < pool_.size(); ++i) FreeOnce();
    auto end = Clock::now();
    std::fprintf(stderr,
                 "world: %d waiting, %d agents (%zu away), %d skills, %d queues; built in %.1f s "
                 "from %lld arrivals (%.0f%% taken at once), pool warmed in %.1f s; %.0f call "
                 "groups per queue\n",
                 spec.waiting, spec.agents, pool_.size(), spec.skills, spec.queues,
                 std::chrono::duration<double>(warm - start).count(),
                 static_cast<long long>(arrivals), 100.0 * offered / arrivals,
                 std::chrono::duration<double>(end - warm).count(), groups_per_queue());
  }

  // The engine groups waiting calls by (queue, signature); these are the
  // groups holding a call. Without escalation a signature is the required
  // skills.
  double groups_per_queue() const {
    size_t groups = 0;
    for (const auto& [queue, signatures] : waiting_by_group_) groups += signatures.size();
    return static_cast<double>(groups) / spec_.queues;
  }
  int64_t decisions() const { return decisions_; }

  // One measured "call arrives": EnqueueCall of a fresh call. An offered call
  // is accepted and ended (the agent is available again); a waiting one is
  // abandoned. Returns the timing of EnqueueCall and whether it was offered.
  Outcome ArriveOnce() {
    EnqueueRequest request = gen_.Call(NextCallId());
    Outcome outcome;
    // The engine looks for an agent only in a queue with one available (a
    // server); every member has been available, so each profile has a group.
    if (++decisions_ % kHeadsEvery == 0 && served_.contains(request.queue)) {
      for (const SkillLevels& profile : profiles_[request.queue]) {
        outcome.heads += Covers(profile, request.required_skills);
      }
    }
    outcome.new_group = !waiting_by_group_[request.queue].contains(request.required_skills);
    Tick();
    Stopwatch stopwatch;
    absl::StatusOr<EnqueueResult> r = engine_.EnqueueCall(request, now_);
    outcome.sample = stopwatch.Stop();
    Check(r.status(), "EnqueueCall");
    outcome.offered = r->call.state == CallState::kOffered;
    if (outcome.offered) {
      Serve(r->call);
    } else {
      Check(engine_.AbandonCall(request.call_id, "bench", now_).status(), "AbandonCall");
    }
    engine_.TakeEvents();
    return outcome;
  }

  // One measured "agent becomes free": SetAvailable of the next pool agent.
  // If offered a call it accepts it, asks to go away after it and ends it; a
  // fresh call of the taken call's shape is enqueued in its place, so the
  // waiting calls keep their number and mix. Returns the time of SetAvailable
  // and whether it was offered a call.
  Outcome FreeOnce() {
    const std::string& agent = pool_[next_pool_++ % pool_.size()];
    Outcome outcome;
    if (++decisions_ % kHeadsEvery == 0) {
      const AgentConfig& config = agents_.at(agent);
      for (const std::string& q : config.queues) {
        for (const auto& [signature, calls] : waiting_by_group_[q]) {
          outcome.heads += Covers(config.skills, signature);
        }
      }
    }
    Tick();
    Stopwatch stopwatch;
    absl::StatusOr<Agent> r = engine_.SetAvailable(agent, now_);
    outcome.sample = stopwatch.Stop();
    Check(r.status(), "SetAvailable");
    std::optional<Call> call = engine_.OutstandingOffer(agent);
    outcome.offered = call.has_value();
    if (call) {
      Check(engine_.AcceptOffer(agent, call->call_id, now_).status(), "AcceptOffer");
      Unnote(*call);
      Check(engine_.SetAway(agent, "bench", now_).status(), "SetAway");  // after the call
      Check(engine_.EndCall(call->call_id, now_).status(), "EndCall");
      Enqueue(SameShape(*call, NextCallId()));
    } else {
      Check(engine_.SetAway(agent, "bench", now_).status(), "SetAway");
    }
    engine_.TakeEvents();
    return outcome;
  }

  // Calls queued according to the engine, to check the steady state.
  int64_t CountWaiting() const {
    int64_t n = 0;
    for (int i = 0; i < spec_.queues; ++i) {
      absl::StatusOr<QueueStats> stats = engine_.GetQueueStats(Generator::QueueName(i), now_);
      Check(stats.status(), "GetQueueStats");
      n += stats->queued;
    }
    return n;
  }

 private:
  // Enqueues at the current time. A call a server is offered is handled at
  // once: accepted and ended, the server is available again. Returns whether
  // it was offered; a call that waits is counted.
  bool Enqueue(const EnqueueRequest& request) {
    absl::StatusOr<EnqueueResult> r = engine_.EnqueueCall(request, now_);
    Check(r.status(), "EnqueueCall");
    if (r->call.state == CallState::kOffered) {
      Serve(r->call);
      return true;
    }
    ++waiting_by_group_[request.queue][request.required_skills];
    ++waiting_;
    return false;
  }
  static bool IsServer(int agent) { return agent % 2 == 0; }
  absl::Time Tick() { return now_ += kTick; }
  std::string NextCallId() { return absl::StrCat("call-", next_call_++); }
  // A waiting call was taken: out of the shadow of its group.
  void Unnote(const Call& call) {
    --waiting_;
    auto& signatures = waiting_by_group_[call.queue];
    auto it = signatures.find(call.required_skills);
    if (--it->second == 0) signatures.erase(it);
  }
  void Serve(const Call& call) {
    Check(engine_.AcceptOffer(call.agent_id, call.call_id, now_).status(), "AcceptOffer");
    Check(engine_.EndCall(call.call_id, now_).status(), "EndCall");
  }

  WorldSpec spec_;
  Generator gen_;
  Engine engine_;
  absl::Time now_ = kT0;
  std::vector<std::string> pool_;  // logged in, away
  size_t next_pool_ = 0;
  uint64_t next_call_ = 0;
  int64_t waiting_ = 0;
  int64_t decisions_ = 0;
  absl::flat_hash_map<std::string, AgentConfig> agents_;
  // Shadow of the engine's groups: distinct member profiles of each queue,
  // and its waiting calls by signature (a call group exists while it holds a
  // call).
  absl::flat_hash_map<std::string, std::vector<SkillLevels>> profiles_;
  absl::flat_hash_map<std::string, absl::flat_hash_map<SkillLevels, int>> waiting_by_group_;
  absl::flat_hash_set<std::string> served_;  // queues with a server
};

// With --reuse_world, one world per size serves every run, so the engine's
// history grows from run to run (to see how cost grows with it); by default
// each run builds a fresh world, so repetitions measure the same state.
bool reuse_world = false;

std::shared_ptr<World> GetWorld(const WorldSpec* spec) {
  if (!reuse_world) return std::make_shared<World>(*spec);
  static auto* worlds = new std::map<const WorldSpec*, std::shared_ptr<World>>();
  auto& world = (*worlds)[spec];
  if (!world) world = std::make_shared<World>(*spec);
  return world;
}

// Per-operation latencies of one run, reported as percentiles in µs. Preempted
// samples are counted but left out.
class Latencies {
 public:
  explicit Latencies(size_t expected) { ns_.reserve(expected); }
  void Add(const Sample& sample) {
    if (sample.preempted) {
      ++preempted_;
      return;
    }
    ns_.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(sample.elapsed).count());
    sorted_ = false;
  }
  // Counters named `prefix` + p50_us, p99_us, p999_us, ops_per_s and
  // preempted_pct.
  void Report(benchmark::State& state, const std::string& prefix = "") {
    state.counters[prefix + "preempted_pct"] = 100.0 * preempted_ / (preempted_ + ns_.size());
    if (ns_.empty()) return;
    double total_ns = 0;
    for (int64_t v : ns_) total_ns += v;
    state.counters[prefix + "p50_us"] = Percentile(0.50);
    state.counters[prefix + "p99_us"] = Percentile(0.99);
    state.counters[prefix + "p999_us"] = Percentile(0.999);
    state.counters[prefix + "ops_per_s"] = ns_.size() / (total_ns / 1e9);
  }
  // In µs; 0 without samples.
  double Percentile(double q) {
    if (ns_.empty()) return 0;
    if (!sorted_) std::sort(ns_.begin(), ns_.end());
    sorted_ = true;
    return ns_[std::min(ns_.size() - 1, static_cast<size_t>(q * ns_.size()))] / 1e3;
  }

 private:
  std::vector<int64_t> ns_;
  bool sorted_ = true;
  int64_t preempted_ = 0;
};

// Of the process's resident memory, the share in transparent huge pages
// (/proc/self/smaps_rollup): whether GLIBC_TUNABLES=glibc.malloc.hugetlb=1,
// as deploy/quickstart.sh starts acdd, took effect.
double HugePagePercent() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  double rss_kb = 0, huge_kb = 0;
  std::string line;
  while (std::getline(rollup, line)) {  // "Rss:    1724 kB"; the first line is a header
    double kb = 0;
    if (std::sscanf(line.c_str(), "Rss: %lf", &kb) == 1) rss_kb = kb;
    if (std::sscanf(line.c_str(), "AnonHugePages: %lf", &kb) == 1) huge_kb = kb;
  }
  return rss_kb > 0 ? 100.0 * huge_kb / rss_kb : 0;
}

void ReportWorld(benchmark::State& state, World& world) {
  state.counters["waiting"] = static_cast<double>(world.CountWaiting());
  state.counters["groups_per_queue"] = world.groups_per_queue();
  state.counters["huge_page_pct"] = HugePagePercent();
}

// `op` is World::ArriveOnce or World::FreeOnce.
template <auto op>
void BM_Decision(benchmark::State& state, const WorldSpec* spec) {
  std::shared_ptr<World> shared = GetWorld(spec);
  World& world = *shared;
  Latencies latencies(state.max_iterations);
  int64_t offered = 0, new_groups = 0, heads = 0, counted = 0;
  for (auto _ : state) {
    Outcome outcome = (world.*op)();
    state.SetIterationTime(std::chrono::duration<double>(outcome.sample.elapsed).count());
    latencies.Add(outcome.sample);
    offered += outcome.offered;
    new_groups += outcome.new_group;
    if (world.decisions() % kHeadsEvery == 0) {
      heads += outcome.heads;
      ++counted;
    }
  }
  latencies.Report(state);
  state.counters["offered_pct"] = 100.0 * offered / state.iterations();
  state.counters["new_group_pct"] = 100.0 * new_groups / state.iterations();
  if (counted > 0) state.counters["heads"] = static_cast<double>(heads) / counted;
  ReportWorld(state, world);
}

void BM_CallArrives(benchmark::State& state, const WorldSpec* spec) {
  BM_Decision<&World::ArriveOnce>(state, spec);
}
void BM_AgentFrees(benchmark::State& state, const WorldSpec* spec) {
  BM_Decision<&World::FreeOnce>(state, spec);
}

// The two sizes measured in turns, so that both see the same machine. On a
// shared virtual machine the speed of memory changes from minute to minute
// (the same binary's p50 moved by up to 1.8x between runs a minute apart), so
// a ratio of two runs taken at different times measures the machine as much as
// the engine. Here the run alternates between the worlds every kTurn timed
// decisions, each turn after kWarmUp untimed ones (the other world has just
// evicted this one's lines from the core's caches; a run of one size never
// pays that, so neither does this one).
template <auto op>
void BM_SizeRatio(benchmark::State& state) {
  constexpr int kTurn = 500;
  constexpr int kWarmUp = 200;
  World small(kSmall);
  World large(kLarge);
  Latencies small_latencies(state.max_iterations / 2 + 1);
  Latencies large_latencies(state.max_iterations / 2 + 1);
  int64_t done = 0;
  for (auto _ : state) {
    const bool is_small = (done / kTurn) % 2 == 0;
    World& world = is_small ? small : large;
    if (done % kTurn == 0) {
      for (int i = 0; i < kWarmUp; ++i) (world.*op)();
    }
    Outcome outcome = (world.*op)();
    state.SetIterationTime(std::chrono::duration<double>(outcome.sample.elapsed).count());
    (is_small ? small_latencies : large_latencies).Add(outcome.sample);
    ++done;
  }
  small_latencies.Report(state, "small_");
  large_latencies.Report(state, "large_");
  if (double small_p50 = small_latencies.Percentile(0.5); small_p50 > 0) {
    state.counters["p50_ratio"] = large_latencies.Percentile(0.5) / small_p50;
    state.counters["p99_ratio"] =
        large_latencies.Percentile(0.99) / small_latencies.Percentile(0.99);
  }
  state.counters["huge_page_pct"] = HugePagePercent();
}

// Process-wide resident set size, from /proc/self/statm (pages).
double RssBytes() {
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double HeapBytes() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

// Memory that `spec.waiting` waiting calls add to an engine whose agents are
// logged in but away (so every call waits). Events are drained as they come.
void BM_MemoryPerWaitingCall(benchmark::State& state, const WorldSpec* spec) {
  double heap_per_call = 0, rss_per_call = 0;
  for (auto _ : state) {
    Generator gen(*spec, spec->seed, catalogue);
    Engine engine;
    absl::Time now = kT0;
    Check(engine.ApplyConfig(MakeConfig(*spec, gen), now), "ApplyConfig");
    for (int i = 0; i < spec->agents; ++i) {
      Check(engine.Login(Generator::AgentId(i), false, now).status(), "Login");
    }
    engine.TakeEvents();
    double heap = HeapBytes(), rss = RssBytes();
    for (int i = 0; i < spec->waiting; ++i) {
      now += kTick;
      Check(engine.EnqueueCall(gen.Call(absl::StrCat("call-", i)), now).status(), "EnqueueCall");
      engine.TakeEvents();
    }
    heap_per_call = (HeapBytes() - heap) / spec->waiting;
    rss_per_call = (RssBytes() - rss) / spec->waiting;
  }
  state.counters["heap_bytes_per_call"] = heap_per_call;
  state.counters["rss_bytes_per_call"] = rss_per_call;
}

// Each decision benchmark runs a fixed number of decisions (--decisions=N),
// so runs are comparable (the skill interner still remembers every signature
// seen, and the calls map the recently finished calls).
void RegisterAll(int decisions) {
  for (const auto& [name, spec] : {std::pair{"Small", &kSmall}, std::pair{"Large", &kLarge}}) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_CallArrives/", name).c_str(), BM_CallArrives,
                                 spec)
        ->UseManualTime()
        ->Iterations(decisions)
        ->Unit(benchmark::kMicrosecond);
    benchmark::RegisterBenchmark(absl::StrCat("BM_AgentFrees/", name).c_str(), BM_AgentFrees, spec)
        ->UseManualTime()
        ->Iterations(decisions)
        ->Unit(benchmark::kMicrosecond);
  }
  // Both sizes in one run, `decisions` of each. Named apart from the above,
  // so that --benchmark_filter='Arrives|Frees' keeps running one size at a time.
  benchmark::RegisterBenchmark("BM_SizeRatio/Arrival", BM_SizeRatio<&World::ArriveOnce>)
      ->UseManualTime()
      ->Iterations(2 * static_cast<int64_t>(decisions))
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("BM_SizeRatio/FreeAgent", BM_SizeRatio<&World::FreeOnce>)
      ->UseManualTime()
      ->Iterations(2 * static_cast<int64_t>(decisions))
      ->Unit(benchmark::kMicrosecond);
  for (const auto& [name, spec] : {std::pair{"Small", &kSmall}, std::pair{"Large", &kLarge}}) {
    benchmark::RegisterBenchmark(absl::StrCat("BM_MemoryPerWaitingCall/", name).c_str(),
                                 BM_MemoryPerWaitingCall, spec)
        ->Iterations(1)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace acd::core

int main(int argc, char** argv) {
  // --decisions=N, --catalogue=N and --reuse_world are ours; the rest goes to
  // Google Benchmark.
  int decisions = 20000;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    constexpr char kDecisions[] = "--decisions=";
    constexpr char kCatalogue[] = "--catalogue=";
    if (std::strncmp(argv[i], kDecisions, sizeof(kDecisions) - 1) == 0) {
      if (!absl::SimpleAtoi(argv[i] + sizeof(kDecisions) - 1, &decisions) || decisions < 1) {
        std::fprintf(stderr, "%s: bad %s\n", argv[0], argv[i]);
        return 1;
      }
    } else if (std::strncmp(argv[i], kCatalogue, sizeof(kCatalogue) - 1) == 0) {
      if (!absl::SimpleAtoi(argv[i] + sizeof(kCatalogue) - 1, &acd::core::catalogue) ||
          acd::core::catalogue < 0) {
        std::fprintf(stderr, "%s: bad %s\n", argv[0], argv[i]);
        return 1;
      }
    } else if (std::strcmp(argv[i], "--reuse_world") == 0) {
      acd::core::reuse_world = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  int args_size = static_cast<int>(args.size());
  acd::core::RegisterAll(decisions);
  benchmark::Initialize(&args_size, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_size, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

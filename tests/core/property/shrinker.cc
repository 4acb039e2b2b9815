// The property test's shrinker: fewer operations and a simpler config, each try in a child.
#include "tests/core/property/shrinker.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/core/types.h"
#include "tests/core/property/crash_report.h"
#include "tests/core/property/runner.h"
#include "tests/core/property/text.h"

namespace acd::core::property {

namespace {

struct Outcome {
  std::string tag;  // empty: passed
  int step = -1;
};

Outcome RunIsolated(const Scenario& s, bool verbose) {
  int fds[2];
  if (pipe(fds) != 0) return {"pipe failed", -1};
  *g_shared_step = -1;
  fflush(stdout);  // else the child repeats what is buffered
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGALRM}) signal(sig, SIG_DFL);
    alarm(10);
    RunResult r = RunScenario(s, verbose);
    std::string out = r.failure.empty() ? "" : absl::StrCat(r.step, " ", TagOf(r.failure));
    if (verbose && !r.failure.empty()) fprintf(stdout, "FAILED: %s\n", r.failure.c_str());
    fflush(stdout);
    if (write(fds[1], out.data(), out.size()) < 0) _exit(3);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    return {sig == SIGALRM ? std::string("hang") : absl::StrCat("crash:", strsignal(sig)),
            static_cast<int>(*g_shared_step)};
  }
  if (out.empty()) return {};
  Outcome o;
  size_t space = out.find(' ');
  o.tag = out.substr(space + 1);
  if (!absl::SimpleAtoi(out.substr(0, space), &o.step)) o.step = -1;
  return o;
}

// Config simplifications to try, each a new config (or nothing to try).
std::vector<std::function<bool(Scenario&)>> Simplifications(const Scenario& s) {
  std::vector<std::function<bool(Scenario&)>> out;
  for (size_t i = 0; i < s.config.agents.size(); ++i) {
    out.push_back([i](Scenario& c) {
      if (c.config.agents.size() <= 1 || i >= c.config.agents.size()) return false;
      c.config.agents.erase(c.config.agents.begin() + i);
      return true;
    });
  }
  for (size_t i = 0; i < s.config.queues.size(); ++i) {
    out.push_back([i](Scenario& c) {
      if (c.config.queues.size() <= 1 || i >= c.config.queues.size()) return false;
      std::string name = c.config.queues[i].name;
      c.config.queues.erase(c.config.queues.begin() + i);
      Rng rng(c.seed);
      ScrubQueue(c.config, name, rng);
      return true;
    });
    auto queue_edit = [i](std::function<bool(QueueConfig&)> edit) {
      return
          [i, edit](Scenario& c) { return i < c.config.queues.size() && edit(c.config.queues[i]); };
    };
    out.push_back(queue_edit([](QueueConfig& q) {
      if (q.escalation.empty()) return false;
      q.escalation.clear();
      return true;
    }));
    out.push_back(queue_edit([](QueueConfig& q) {
      if (q.max_wait == absl::ZeroDuration()) return false;
      q.max_wait = absl::ZeroDuration();
      return true;
    }));
    out.push_back(queue_edit([](QueueConfig& q) {
      if (q.max_wait_no_agent == absl::ZeroDuration()) return false;
      q.max_wait_no_agent = absl::ZeroDuration();
      return true;
    }));
    out.push_back(queue_edit([](QueueConfig& q) {
      if (q.max_size == 0) return false;
      q.max_size = 0;
      return true;
    }));
    out.push_back(queue_edit([](QueueConfig& q) {
      if (q.schedule.empty()) return false;
      q.schedule.clear();
      q.on_closed = {};
      q.closed_waiting = {LimitAction::Kind::kKeep, ""};
      return true;
    }));
    out.push_back(queue_edit([](QueueConfig& q) {
      if (!q.callback.enabled) return false;
      q.callback = CallbackPolicy{};
      return true;
    }));
    out.push_back(queue_edit([](QueueConfig& q) {
      if (q.strategy == Strategy::kLongestIdle && q.aging_per_minute == 0 &&
          q.max_missed_offers == 0 && q.weight == 1) {
        return false;
      }
      q.strategy = Strategy::kLongestIdle;
      q.aging_per_minute = 0;
      q.max_missed_offers = 0;
      q.weight = 1;
      return true;
    }));
  }
  out.push_back([](Scenario& c) {
    if (c.config.rules.empty()) return false;
    c.config.rules.clear();
    return true;
  });
  out.push_back([](Scenario& c) {
    if (c.options.max_finished_calls == 100000) return false;
    c.options.max_finished_calls = 100000;
    return true;
  });
  return out;
}

}  // namespace

void Shrink(Scenario s) {
  g_shared_step = static_cast<int64_t*>(
      mmap(nullptr, sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  Outcome base = RunIsolated(s, false);
  if (base.tag.empty()) {
    printf("seed %llu passes: nothing to shrink\n", static_cast<unsigned long long>(s.seed));
    return;
  }
  const std::string tag = base.tag;
  printf("seed %llu fails [%s] at step %d; shrinking\n", static_cast<unsigned long long>(s.seed),
         tag.c_str(), base.step);
  if (base.step >= 0) s.ops.resize(base.step + 1);
  auto fails = [&](const Scenario& c) {
    Outcome o = RunIsolated(c, false);
    return o.tag == tag;
  };
  for (int round = 0; round < 4; ++round) {
    bool changed = false;
    // Delete chunks of operations, halving the chunk size.
    for (size_t chunk = std::max<size_t>(s.ops.size() / 2, 1);; chunk /= 2) {
      for (size_t i = 0; i < s.ops.size();) {
        Scenario c = s;
        c.ops.erase(c.ops.begin() + i, c.ops.begin() + std::min(i + chunk, c.ops.size()));
        if (fails(c)) {
          s = std::move(c);
          changed = true;
        } else {
          i += chunk;
        }
      }
      if (chunk == 1) break;
    }
    // Merge runs of advances into one.
    for (size_t i = 0; i + 1 < s.ops.size();) {
      if (s.ops[i].kind != OpKind::kAdvance || s.ops[i + 1].kind != OpKind::kAdvance) {
        ++i;
        continue;
      }
      Scenario c = s;
      absl::Duration first = AdvanceOf(c.ops[i]).first;
      auto [second, settle] = AdvanceOf(c.ops[i + 1]);
      c.ops[i].advance = first + second;
      c.ops[i].settle = settle;
      c.ops.erase(c.ops.begin() + i + 1);
      if (fails(c)) {
        s = std::move(c);
        changed = true;
      } else {
        ++i;
      }
    }
    for (auto& simplify : Simplifications(s)) {
      Scenario c = s;
      if (simplify(c) && fails(c)) {
        s = std::move(c);
        changed = true;
      }
    }
    if (!changed) break;
  }
  printf("shrunk to %zu operations; config:\n%s", s.ops.size(), Text(s.config).c_str());
  printf("max_finished_calls=%zu first_seq=%lld\nrun:\n", s.options.max_finished_calls,
         static_cast<long long>(s.first_seq));
  fflush(stdout);
  RunIsolated(s, true);
}

}  // namespace acd::core::property

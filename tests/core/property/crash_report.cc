// Crash and hang reports of the property test: where a signal handler and the watchdog write.
#include "tests/core/property/crash_report.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace acd::core::property {

std::atomic<uint64_t> g_seed{0};
std::atomic<int64_t> g_step{-1};
std::atomic<uint64_t> g_progress{0};
int64_t* g_shared_step = nullptr;

namespace {

void WriteAll(const char* s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= w;
  }
}

// Async-signal-safe: no allocation.
void WriteNumber(uint64_t n) {
  char buf[24];
  char* p = buf + sizeof(buf) - 1;
  *p = '\0';
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  WriteAll(p);
}

}  // namespace

void ReportWhere(const char* what) {
  WriteAll("\nengine_property_test: ");
  WriteAll(what);
  if (g_step.load() < 0) {
    WriteAll(" outside a random run\n");
    return;
  }
  WriteAll(" in seed ");
  WriteNumber(g_seed.load());
  WriteAll(" at step ");
  WriteNumber(static_cast<uint64_t>(g_step.load()));
  WriteAll("; rerun with ACD_PROPERTY_SEED=");
  WriteNumber(g_seed.load());
  WriteAll(" (add ACD_PROPERTY_SHRINK=1 to shrink it)\n");
}

namespace {

extern "C" void OnFatalSignal(int sig) {
  ReportWhere("crashed");
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

void InstallCrashReport() {
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) signal(sig, OnFatalSignal);
}

}  // namespace acd::core::property

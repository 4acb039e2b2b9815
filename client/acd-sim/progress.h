// ProgressBoard: one status line per running simulation, redrawn on stderr
// once a second (a single line, "\r"-rewritten), only when enabled (stderr is
// a terminal and --quiet was not given).
//
// Thread safety: Set() from any thread. Ownership: its printer thread, joined
// by the destructor, which ends the line.
#ifndef ACD_CLIENT_ACD_SIM_PROGRESS_H_
#define ACD_CLIENT_ACD_SIM_PROGRESS_H_

#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace acd::sim {

class ProgressBoard {
 public:
  explicit ProgressBoard(bool enabled);
  ~ProgressBoard();

  ProgressBoard(const ProgressBoard&) = delete;
  ProgressBoard& operator=(const ProgressBoard&) = delete;

  bool enabled() const { return enabled_; }
  // Replaces the text of `slot` (e.g. "N=12"); an empty text removes it.
  void Set(int slot, std::string text);
  // Removes every line and blanks the terminal line now, before results are
  // printed.
  void Clear();

 private:
  void Run();
  void Blank() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const bool enabled_;
  absl::Mutex mu_;
  std::map<int, std::string> lines_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  size_t last_width_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread printer_;
};

}  // namespace acd::sim

#endif  // ACD_CLIENT_ACD_SIM_PROGRESS_H_

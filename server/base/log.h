// What a log line is about, beside its text. acdd's JSON log writes a line
// about one call, agent or queue with `call_id`, `agent_id` and `queue`
// fields (server/app/logging.h), so an operator can filter by them without
// parsing messages; the text log writes the message only, which names them.
//
//   LogAbout(spdlog::level::warn, {.call_id = id, .queue = q}, "call {} ...", id);
//
// The fields travel in a thread-local pointer for the duration of the call:
// acdd's logger formats synchronously on the calling thread.
//
// Thread safety: each thread has its own current fields.
#ifndef ACD_SERVER_BASE_LOG_H_
#define ACD_SERVER_BASE_LOG_H_

#include <utility>

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace acd {

struct LogFields {
  absl::string_view call_id;
  absl::string_view agent_id;
  absl::string_view queue;
};

// Sets the fields of the lines this thread logs while it lives.
class ScopedLogFields {
 public:
  explicit ScopedLogFields(const LogFields& fields) : fields_(fields), previous_(current_) {
    current_ = &fields_;
  }
  ~ScopedLogFields() { current_ = previous_; }
  ScopedLogFields(const ScopedLogFields&) = delete;
  ScopedLogFields& operator=(const ScopedLogFields&) = delete;

  // The fields of the innermost scope on this thread; null outside any.
  static const LogFields* Current() { return current_; }

 private:
  static inline thread_local const LogFields* current_ = nullptr;
  const LogFields fields_;
  const LogFields* const previous_;
};

// Logs at `level` a line about `fields` (skipped cheaply below the level).
template <typename... Args>
void LogAbout(spdlog::level::level_enum level, const LogFields& fields,
              spdlog::format_string_t<Args...> format, Args&&... args) {
  if (!spdlog::should_log(level)) return;
  ScopedLogFields scope(fields);
  spdlog::log(level, format, std::forward<Args>(args)...);
}

}  // namespace acd

#endif  // ACD_SERVER_BASE_LOG_H_

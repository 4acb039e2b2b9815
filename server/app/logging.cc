#include "server/app/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>

#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/base/json_string.h"
#include "server/base/log.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"

namespace acd::app {
namespace {

constexpr char kLoggerName[] = "acdd";

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(msg.payload.size() + 96);
    line.append(R"({"ts":")");
    line.append(
        absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromChrono(msg.time), absl::UTCTimeZone()));
    line.append(R"(","level":")");
    const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line.append(R"(","msg":)");
    AppendJsonString(absl::string_view(msg.payload.data(), msg.payload.size()), &line);
    if (const LogFields* fields = ScopedLogFields::Current()) {
      AppendField("call_id", fields->call_id, &line);
      AppendField("agent_id", fields->agent_id, &line);
      AppendField("queue", fields->queue, &line);
    }
    line.append("}\n");
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }

 private:
  static void AppendField(absl::string_view key, absl::string_view value, std::string* line) {
    if (value.empty()) return;
    line->push_back(',');
    AppendJsonString(key, line);
    line->push_back(':');
    AppendJsonString(value, line);
  }
};

// gRPC logs errors only unless GRPC_VERBOSITY says otherwise.
void LogGrpcMessage(gpr_log_func_args* args) {
  spdlog::level::level_enum level = spdlog::level::err;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = spdlog::level::debug;
  if (args->severity == GPR_LOG_SEVERITY_INFO) level = spdlog::level::info;
  spdlog::log(level, "grpc: {} ({}:{})", args->message, args->file, args->line);
}

void LogProtobufMessage(google::protobuf::LogLevel severity, const char* file, int line,
                        const std::string& message) {
  spdlog::level::level_enum level = spdlog::level::err;
  if (severity == google::protobuf::LOGLEVEL_INFO) level = spdlog::level::info;
  if (severity == google::protobuf::LOGLEVEL_WARNING) level = spdlog::level::warn;
  spdlog::log(level, "protobuf: {} ({}:{})", message, file, line);
}

}  // namespace

std::unique_ptr<spdlog::formatter> MakeJsonFormatter() { return std::make_unique<JsonFormatter>(); }

void ConfigureLogging(absl::string_view format, spdlog::level::level_enum level) {
  std::shared_ptr<spdlog::logger> logger = spdlog::get(kLoggerName);
  if (logger == nullptr) {
    logger = spdlog::stderr_color_mt(kLoggerName);
    spdlog::set_default_logger(logger);
    gpr_set_log_function(LogGrpcMessage);
    google::protobuf::SetLogHandler(LogProtobufMessage);
  }
  logger->set_level(level);
  if (format == "json") {
    logger->set_formatter(MakeJsonFormatter());
  } else {
    logger->set_formatter(
        std::make_unique<spdlog::pattern_formatter>("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v"));
  }
}

}  // namespace acd::app

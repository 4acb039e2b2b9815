#include "client/acdctl/rpc.h"

#include <algorithm>
#include <chrono>
#include <iostream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace acd::ctl {

std::shared_ptr<grpc::ChannelCredentials> MakeChannelCredentials(const GlobalOptions& global) {
  return grpc::InsecureChannelCredentials();
}

std::shared_ptr<grpc::Channel> Connect(const GlobalOptions& global) {
  return grpc::CreateChannel(global.server, MakeChannelCredentials(global));
}

void SetDeadline(grpc::ClientContext& context, const GlobalOptions& global) {
  // Capped so that a silly --timeout cannot overflow the clock arithmetic.
  constexpr double kMaxSeconds = 365.0 * 24 * 3600;
  const std::chrono::duration<double> timeout(std::min(global.timeout_seconds, kMaxSeconds));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(timeout));
}

std::string CodeName(grpc::StatusCode code) {
  // gRPC and absl share the canonical code numbering; absl has the names.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

int ReportRpcError(const Invocation& inv, const grpc::Status& status) {
  std::cerr << "acdctl: " << inv.verb << ": " << CodeName(status.error_code()) << ": "
            << status.error_message() << std::endl;
  return kExitFailure;
}

int ReportRpcError(const Invocation& inv, absl::string_view what, const grpc::Status& status) {
  std::cerr << "acdctl: " << inv.verb << ": " << what << ": " << CodeName(status.error_code())
            << ": " << status.error_message() << std::endl;
  return kExitFailure;
}

int ReportUsageError(const Invocation& inv, absl::string_view message) {
  std::cerr << "acdctl: " << inv.verb << ": " << message << "\nRun 'acdctl " << inv.verb
            << " --help' for usage." << std::endl;
  return kExitUsage;
}

int ReportFailure(const Invocation& inv, absl::string_view message) {
  std::cerr << "acdctl: " << inv.verb << ": " << message << std::endl;
  return kExitFailure;
}

}  // namespace acd::ctl

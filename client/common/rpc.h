// What acd's clients (acdctl, acd-sim) share: the global flags, the channel
// to acdd, RPC deadlines and how failures are reported.
#ifndef ACD_CLIENT_COMMON_RPC_H_
#define ACD_CLIENT_COMMON_RPC_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace CLI {
class App;
}  // namespace CLI

namespace acd::ctl {

inline constexpr char kDefaultServer[] = "127.0.0.1:7070";
inline constexpr char kServerEnv[] = "ACD_SERVER";
inline constexpr char kTokenEnv[] = "ACD_TOKEN";

// How a client proves who it is to acdd: a bearer token (sent on every call
// as "authorization: Bearer <token>") and TLS settings. Shared by acdctl and
// acd-sim.
struct Credentials {
  std::string token{};
  bool tls = false;        // TLS with the system's root CAs (implied by the others)
  std::string tls_ca{};    // PEM file of the CA that signed the server's cert
  std::string tls_cert{};  // client cert (mTLS), with tls_key
  std::string tls_key{};
  std::string server_name{};  // name to check the server's cert against, if not the host

  bool UsesTls() const {
    return tls || !tls_ca.empty() || !tls_cert.empty() || !server_name.empty();
  }
};

// Adds --token (env ACD_TOKEN), --tls, --tls-ca, --tls-cert, --tls-key and
// --tls-server-name to `app`, in an option group "Security".
void AddCredentialFlags(CLI::App& app, Credentials& credentials);

// A channel to `target` (host:port) with `credentials`. A PEM file that cannot
// be read leaves that part empty, and the TLS handshake then fails.
std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, const Credentials& credentials,
                                          const grpc::ChannelArguments& args = {});

// Exit codes.
inline constexpr int kExitOk = 0;
// An RPC failed, or the answer was negative (invalid config, not serving).
inline constexpr int kExitFailure = 1;
// Bad command line.
inline constexpr int kExitUsage = 2;

enum class OutputFormat { kTable, kJson, kCsv };

struct GlobalOptions {
  std::string server = kDefaultServer;
  Credentials credentials;
  std::string output = "table";
  double timeout_seconds = 10;
  // The channel Connect() made, shared by the verb's calls. Kept so that a
  // failure can be told apart: acdd never reached, or acdd said no.
  mutable std::shared_ptr<grpc::Channel> channel{};

  OutputFormat format() const {
    if (output == "json") return OutputFormat::kJson;
    if (output == "csv") return OutputFormat::kCsv;
    return OutputFormat::kTable;
  }
};

// What a verb runs with: the global flags and its own name ("call enqueue"),
// which prefixes its error messages.
struct Invocation {
  const GlobalOptions* global;
  std::string verb;

  bool json() const { return global->format() == OutputFormat::kJson; }
  // Only verbs registered as printing CSV see this (see commands.cc).
  bool csv() const { return global->format() == OutputFormat::kCsv; }
};

// The channel to global.server, made on first use (not thread-safe: a verb
// connects before it starts threads).
std::shared_ptr<grpc::Channel> Connect(const GlobalOptions& global);

// Applies --timeout to a unary call. Streams run without a deadline.
void SetDeadline(grpc::ClientContext& context, const GlobalOptions& global);

// Makes one unary call with the --timeout deadline, e.g.
//   CallUnary(global, channel, &acd::v1::CallService::Stub::GetCall, request, &call);
template <typename Stub, typename Request, typename Response>
grpc::Status CallUnary(const GlobalOptions& global, const std::shared_ptr<grpc::Channel>& channel,
                       grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                    Response*),
                       const Request& request, Response* response) {
  Stub stub(channel);
  grpc::ClientContext context;
  SetDeadline(context, global);
  return (stub.*method)(&context, request, response);
}

// Same, on a channel of its own: for verbs that make a single call.
template <typename Stub, typename Request, typename Response>
grpc::Status CallUnary(const GlobalOptions& global,
                       grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                    Response*),
                       const Request& request, Response* response) {
  return CallUnary(global, Connect(global), method, request, response);
}

// "NOT_FOUND" for grpc::StatusCode::NOT_FOUND.
std::string CodeName(grpc::StatusCode code);

// Prints "acdctl: <verb>: <CODE>: <message>" to stderr; returns kExitFailure.
// A call that never reached acdd says so instead: "acdctl: <verb>: cannot
// reach acdd at <server>: connection refused; is it running? ...".
int ReportRpcError(const Invocation& inv, const grpc::Status& status);
// Same for a failure of a sub-step, e.g. "agent offers: accept c-1: ...".
int ReportRpcError(const Invocation& inv, absl::string_view what, const grpc::Status& status);
// Prints "acdctl: <verb>: <message>" to stderr; returns kExitUsage.
int ReportUsageError(const Invocation& inv, absl::string_view message);
// Prints "acdctl: <verb>: <message>" to stderr; returns kExitFailure.
int ReportFailure(const Invocation& inv, absl::string_view message);

}  // namespace acd::ctl

#endif  // ACD_CLIENT_COMMON_RPC_H_

#include "client/common/rpc.h"

#include <grpcpp/support/client_interceptor.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace acd::ctl {
namespace {

// Adds the bearer token to every call on the channel. Call credentials
// (grpc::AccessTokenCredentials) would be sent only over TLS; a token also
// has to reach a daemon on loopback without TLS.
class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(const std::string* header) : header_(header) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", *header_});
    }
    methods->Proceed();
  }

 private:
  const std::string* header_;
};

class BearerInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(const std::string& token) : header_("Bearer " + token) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerInterceptor(&header_);
  }

 private:
  std::string header_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Why a call never reached acdd, and what to check.
struct Unreachable {
  std::string reason;  // "connection refused"
  std::string hint;    // "is it running? ..."
};

// Why the call that failed with `status` never reached acdd; nullopt when
// acdd (or something past the connection) answered, e.g. UNAVAILABLE "store
// unavailable: ..." or "acdd is shutting down".
std::optional<Unreachable> WhyUnreachable(const grpc::Status& status, const GlobalOptions& global) {
  grpc::Channel* const channel = global.channel.get();
  const std::string& message = status.error_message();
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    // gRPC says only "Deadline Exceeded", whether the connection never came
    // up or acdd took too long: the channel's state tells which.
    const grpc_connectivity_state state =
        channel == nullptr ? GRPC_CHANNEL_READY : channel->GetState(/*try_to_connect=*/false);
    if (state != GRPC_CHANNEL_CONNECTING && state != GRPC_CHANNEL_TRANSIENT_FAILURE) {
      return std::nullopt;
    }
    return Unreachable{
        absl::StrCat("not connected within --timeout (", global.timeout_seconds, "s)"),
        "is it running? (deploy/quickstart.sh starts one)"};
  }
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE) return std::nullopt;
  // How gRPC's client words a connection that could not be made (1.51, and
  // the later wordings); acdd's own UNAVAILABLE messages start otherwise.
  const bool dns = absl::StartsWith(message, "DNS resolution failed") ||
                   absl::StartsWith(message, "Name resolution failure");
  if (!dns && !absl::StartsWith(message, "failed to connect to all addresses") &&
      !absl::StartsWith(message, "connections to all backends failing") &&
      !absl::StartsWith(message, "empty address list")) {
    return std::nullopt;
  }
  // The detail is the last ": " part, e.g. "...: Connection refused" or
  // "...OPENSSL_internal:CERTIFICATE_VERIFY_FAILED".
  const std::string lower = absl::AsciiStrToLower(message);
  const size_t colon = message.rfind(':');
  std::string detail(
      absl::StripAsciiWhitespace(colon == std::string::npos ? message : message.substr(colon + 1)));
  if (dns) return Unreachable{"name not resolved", "check --server or ACD_SERVER"};
  if (absl::StrContains(lower, "handshake") || absl::StrContains(lower, "ssl_error")) {
    return Unreachable{absl::StrCat("TLS handshake failed (", detail, ")"),
                       "check --tls-ca, --tls-server-name and that acdd serves TLS "
                       "(README.md#authentication)"};
  }
  std::string reason = "connection failed";
  if (absl::StrContains(lower, "connection refused")) {
    reason = "connection refused";
  } else if (absl::StrContains(lower, "timed out") || absl::StrContains(lower, "timeout")) {
    reason = "timed out";
  } else if (!detail.empty()) {
    reason = absl::AsciiStrToLower(detail);  // "no route to host", "socket closed"
  }
  return Unreachable{reason, "is it running? (deploy/quickstart.sh starts one)"};
}

// "CODE: message", or for a call that never reached acdd "cannot reach acdd
// at HOST:PORT: why; hint".
std::string DescribeRpcError(const Invocation& inv, const grpc::Status& status) {
  if (std::optional<Unreachable> why = WhyUnreachable(status, *inv.global)) {
    return absl::StrCat("cannot reach acdd at ", inv.global->server, ": ", why->reason, "; ",
                        why->hint);
  }
  return absl::StrCat(CodeName(status.error_code()), ": ", status.error_message());
}

}  // namespace

void AddCredentialFlags(CLI::App& app, Credentials& credentials) {
  // ExistingFile without its ":FILE" suffix on the type name.
  CLI::Validator existing = CLI::ExistingFile;
  existing.description("");
  CLI::Option_group* group = app.add_option_group(
      "Security", "How to authenticate to acdd (see README.md#authentication)");
  group->add_option("--token", credentials.token, "Bearer token sent with every call")
      ->type_name("TOKEN")
      ->envname(kTokenEnv);
  group->add_flag("--tls", credentials.tls,
                  "Connect with TLS, checking the server's cert against the system's CAs");
  group
      ->add_option("--tls-ca", credentials.tls_ca,
                   "Connect with TLS, checking the server's cert against this CA (PEM)")
      ->type_name("FILE")
      ->check(existing);
  CLI::Option* cert =
      group->add_option("--tls-cert", credentials.tls_cert, "Client cert for mTLS (PEM)")
          ->type_name("FILE")
          ->check(existing);
  CLI::Option* key =
      group->add_option("--tls-key", credentials.tls_key, "Private key of --tls-cert (PEM)")
          ->type_name("FILE")
          ->check(existing);
  cert->needs(key);
  key->needs(cert);
  group
      ->add_option("--tls-server-name", credentials.server_name,
                   "Name the server's cert must carry, when not the host in the address")
      ->type_name("NAME");
}

std::shared_ptr<grpc::Channel> NewChannel(const std::string& target, const Credentials& credentials,
                                          const grpc::ChannelArguments& args) {
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials =
      grpc::InsecureChannelCredentials();
  grpc::ChannelArguments arguments = args;
  if (credentials.UsesTls()) {
    grpc::SslCredentialsOptions options;
    if (!credentials.tls_ca.empty()) options.pem_root_certs = ReadFile(credentials.tls_ca);
    if (!credentials.tls_cert.empty()) {
      options.pem_cert_chain = ReadFile(credentials.tls_cert);
      options.pem_private_key = ReadFile(credentials.tls_key);
    }
    channel_credentials = grpc::SslCredentials(options);
    if (!credentials.server_name.empty()) {
      arguments.SetSslTargetNameOverride(credentials.server_name);
    }
  }
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!credentials.token.empty()) {
    interceptors.push_back(std::make_unique<BearerInterceptorFactory>(credentials.token));
  }
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, channel_credentials, arguments, std::move(interceptors));
}

std::shared_ptr<grpc::Channel> Connect(const GlobalOptions& global) {
  if (global.channel == nullptr) global.channel = NewChannel(global.server, global.credentials);
  return global.channel;
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
  std::cerr << "acdctl: " << inv.verb << ": " << DescribeRpcError(inv, status) << std::endl;
  return kExitFailure;
}

int ReportRpcError(const Invocation& inv, absl::string_view what, const grpc::Status& status) {
  std::cerr << "acdctl: " << inv.verb << ": " << what << ": " << DescribeRpcError(inv, status)
            << std::endl;
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

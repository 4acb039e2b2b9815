// Authorizer: who may call which RPC. A caller shows a bearer token in the
// `authorization: Bearer <token>` metadata; the token's role (config `auth`)
// decides what it may call, per kAccessTable below (the one place that says
// so; README.md#authentication has it as a table). With no tokens configured
// auth is off and every call is allowed.
//
// Tokens are found by the SHA-256 of what the caller sent: the secret itself
// is never compared, and a lookup's timing can only tell about a hash, which
// does not help guess a token. The final equality check is CRYPTO_memcmp.
//
// Thread safety: Authorize() may be called from any thread at any time;
// SetTokens() swaps the whole token table at once (a reload), so a call sees
// either the old tokens or the new ones.
#ifndef ACD_SERVER_RPC_AUTH_H_
#define ACD_SERVER_RPC_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/core/types.h"
#include "server/base/mutex.h"
#include "server/config/config.h"

namespace acd::rpc {

// How a role may use an RPC.
enum class Access {
  kNone,
  kAny,       // on anything
  kOwnAgent,  // agent token: only with the request's agent_id = its own
  kHeldCall,  // agent token: only on a call its agent holds (checked by the handler)
};

// The access of each role to one RPC, by its gRPC method name.
struct AccessRule {
  absl::string_view method;  // "/acd.v1.CallService/GetCall"
  Access integrator;
  Access agent;
  Access supervisor;
  Access admin;

  Access For(config::Role role) const;
};

// Every RPC of CallService, AgentService and AdminService. An RPC missing
// here is refused to every token (tests check that none is missing).
std::span<const AccessRule> AccessTable();

// Who is calling, once authorized.
struct Caller {
  std::string name;                  // token name; "" when auth is off
  std::optional<config::Role> role;  // nullopt when auth is off
  // Set when the caller may only act on calls this agent holds (kHeldCall):
  // the handler checks it on the engine thread.
  std::string held_by;
};

class Authorizer {
 public:
  explicit Authorizer(const std::vector<config::Token>& tokens = {});

  // Replaces every token (on reload).
  void SetTokens(const std::vector<config::Token>& tokens);
  bool enabled() const;

  // The caller of `method` when `authorization` (the metadata value, nullopt
  // when absent) carries a token allowed to call it, acting as `agent_id`
  // (the request's, for AgentService; "" otherwise). UNAUTHENTICATED for no
  // or an unknown token, PERMISSION_DENIED for a role not allowed (naming the
  // role and the RPC) or an agent token acting as another agent (naming both).
  absl::StatusOr<Caller> Authorize(std::optional<absl::string_view> authorization,
                                   absl::string_view method, absl::string_view agent_id) const;

  // The same, reading the metadata of `ctx`. Logs refusals with the token name.
  absl::StatusOr<Caller> Authorize(grpc::CallbackServerContext* ctx, absl::string_view method,
                                   absl::string_view agent_id = "") const;

 private:
  // Raw 32-byte SHA-256 -> token.
  using Table = absl::flat_hash_map<std::string, config::Token>;

  std::shared_ptr<const Table> table() const;

  mutable Mutex mu_;
  std::shared_ptr<const Table> table_ ABSL_GUARDED_BY(mu_);
};

// For handlers of kHeldCall RPCs: PERMISSION_DENIED unless `call_agent` (the
// agent the call is with, "" if none) is `caller.held_by`, or the caller is
// not limited to held calls.
absl::Status CheckHeldCall(const Caller& caller, absl::string_view call_id,
                           absl::string_view call_agent);
// The same for a call looked up (`call` as the engine answered): a caller
// limited to held calls gets the same refusal for an unknown call as for
// another agent's, so that it cannot learn which call ids exist.
absl::Status CheckHeldCall(const Caller& caller, absl::string_view call_id,
                           const absl::StatusOr<core::Call>& call);

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_AUTH_H_

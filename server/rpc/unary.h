// Run(): the shape of every unary handler. Posts `command` to the engine
// thread and, once its result is acknowledged, fills the response with `fill`
// and finishes the reactor with the canonical status. RunRead() is the same
// for a read-only query, which is served while the store is failing too
// (Runtime::Read).
#ifndef ACD_SERVER_RPC_UNARY_H_
#define ACD_SERVER_RPC_UNARY_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <utility>

#include "server/rpc/convert.h"
#include "server/runtime/runtime.h"

namespace acd::rpc {

// Finishes `reactor` with `result`, filling the response on success.
template <typename T>
std::function<void(absl::StatusOr<T>)> FinishWith(grpc::ServerUnaryReactor* reactor,
                                                  std::function<void(const T&)> fill) {
  return [reactor, fill = std::move(fill)](absl::StatusOr<T> result) {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    fill(*result);
    reactor->Finish(grpc::Status::OK);
  };
}

template <typename T>
grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, runtime::Runtime* runtime,
                              std::function<absl::StatusOr<T>(core::Engine&, absl::Time)> command,
                              std::function<void(const T&)> fill) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runtime->Execute<T>(std::move(command), FinishWith<T>(reactor, std::move(fill)));
  return reactor;
}

template <typename T>
grpc::ServerUnaryReactor* RunRead(
    grpc::CallbackServerContext* ctx, runtime::Runtime* runtime,
    std::function<absl::StatusOr<T>(const core::Engine&, absl::Time)> query,
    std::function<void(const T&)> fill) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runtime->Read<T>(std::move(query), FinishWith<T>(reactor, std::move(fill)));
  return reactor;
}

// Finishes at once with `status` (for requests refused before they reach the engine).
inline grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx,
                                        const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_UNARY_H_

// Run(): the shape of every unary handler. Posts `command` to the engine
// thread and, once its result is acknowledged, fills the response with `fill`
// and finishes the reactor with the canonical status.
#ifndef ACD_SERVER_RPC_UNARY_H_
#define ACD_SERVER_RPC_UNARY_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <utility>

#include "server/rpc/convert.h"
#include "server/runtime/runtime.h"

namespace acd::rpc {

template <typename T>
grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* ctx, runtime::Runtime* runtime,
                              std::function<absl::StatusOr<T>(core::Engine&, absl::Time)> command,
                              std::function<void(const T&)> fill) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runtime->Execute<T>(std::move(command),
                      [reactor, fill = std::move(fill)](absl::StatusOr<T> result) {
                        if (!result.ok()) {
                          reactor->Finish(ToGrpcStatus(result.status()));
                          return;
                        }
                        fill(*result);
                        reactor->Finish(grpc::Status::OK);
                      });
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

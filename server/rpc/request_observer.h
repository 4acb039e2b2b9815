// RequestObserver: what the end of every RPC tells acdd's operators and clients, as a gRPC
// server interceptor (so requests refused by auth, validation or gRPC itself
// count too):
//
// - Metrics, when given a registry: acd_grpc_requests_total{method,code} and,
//   for unary RPCs only (a stream's life is not a latency),
//   acd_grpc_request_seconds{method}. `method` is "acd.v1.CallService/EnqueueCall";
//   a method acdd does not serve is "other", so a client cannot grow the
//   label set.
// - The log: a request that failed is logged at debug level (at error level
//   for INTERNAL, UNKNOWN and DATA_LOSS, which are bugs), with its method,
//   code, message and peer, and the call_id, agent_id and queue its request
//   carried as the line's fields (server/base/log.h).
// - A request whose message does not parse (malformed protobuf, or a string
//   that is not valid UTF-8) is answered INVALID_ARGUMENT naming the message
//   type: gRPC's callback API drops the parse error and answers UNIMPLEMENTED
//   with no message, before any handler runs, so the interceptor rewrites that
//   status.
//
// Costs per RPC: one interceptor object, a clock read at start and end, and
// atomic counter updates; the request's fields are read only for a line
// that is logged.
//
// Thread safety: gRPC creates and runs interceptors on its threads; the
// observer must outlive the server.
#ifndef ACD_SERVER_RPC_REQUEST_OBSERVER_H_
#define ACD_SERVER_RPC_REQUEST_OBSERVER_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace prometheus {
class Counter;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace acd::rpc {

class RequestObserver {
 public:
  // `registry` (may be null: no metrics) must outlive the observer.
  explicit RequestObserver(prometheus::Registry* registry);
  ~RequestObserver();

  // For grpc::ServerBuilder::experimental().SetInterceptorCreators, which
  // takes ownership of the factory (not of the observer).
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

  // The metrics of one method (null when metrics are off).
  struct Method {
    std::string name;  // label value
    bool unary = false;
    std::string request_type;  // "acd.v1.GetCallRequest"; empty if client-streaming
    prometheus::Histogram* latency = nullptr;                     // unary methods only
    std::array<std::atomic<prometheus::Counter*>, 17> by_code{};  // by grpc::StatusCode
  };
  // Counts one request of `method` that ended with `code` after `took`.
  void Observe(Method* method, grpc::StatusCode code, absl::Duration took);
  // The entry of a method path ("/acd.v1.CallService/GetCall"), "other" if unknown.
  Method* Find(const char* path);

 private:
  prometheus::Family<prometheus::Counter>* requests_ = nullptr;
  prometheus::Family<prometheus::Histogram>* latency_ = nullptr;
  // Fixed at construction: read concurrently without a lock.
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> methods_;
  Method other_;
};

}  // namespace acd::rpc

#endif  // ACD_SERVER_RPC_REQUEST_OBSERVER_H_

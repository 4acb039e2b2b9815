#include "server/rpc/request_observer.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <chrono>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "acd/v1/admin_service.grpc.pb.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "acd/v1/call_service.grpc.pb.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "server/base/log.h"

namespace acd::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Served besides acd.v1: the standard health check and server reflection.
struct KnownMethod {
  std::string name;
  bool unary;
  std::string request_type;  // empty for a client-streaming method
};
const KnownMethod kStandardMethods[] = {
    {"grpc.health.v1.Health/Check", true, "grpc.health.v1.HealthCheckRequest"},
    {"grpc.health.v1.Health/Watch", false, "grpc.health.v1.HealthCheckRequest"},
    {"grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", false, ""}};

// A string field of `request` by name, "" when it has none.
std::string StringField(const google::protobuf::Message& request, const char* name) {
  const google::protobuf::FieldDescriptor* field = request.GetDescriptor()->FindFieldByName(name);
  if (field == nullptr || field->type() != google::protobuf::FieldDescriptor::TYPE_STRING ||
      field->is_repeated()) {
    return "";
  }
  return request.GetReflection()->GetString(request, field);
}

std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

class Interceptor final : public grpc::experimental::Interceptor {
 public:
  Interceptor(RequestObserver* observer, grpc::experimental::ServerRpcInfo* info)
      : observer_(observer),
        info_(info),
        method_(observer->Find(info->method())),
        started_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      // Every request of acd's services and the standard ones is a protobuf
      // message; only its pointer is kept, read if a line is logged.
      request_ = static_cast<const google::protobuf::Message*>(methods->GetRecvMessage());
      // gRPC passes no message on when the request's single message did not
      // parse, and then answers UNIMPLEMENTED without running the handler.
      unparsed_ = request_ == nullptr && !method_->request_type.empty();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (unparsed_ && status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
        status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              absl::StrCat("the request does not parse as ", method_->request_type,
                                           " (malformed protobuf, or a string field that is "
                                           "not valid UTF-8)"));
        methods->ModifySendStatus(status);
      }
      observer_->Observe(method_, status.error_code(),
                         absl::FromChrono(std::chrono::steady_clock::now() - started_));
      if (!status.ok()) Log(status);
    }
    methods->Proceed();
  }

 private:
  void Log(const grpc::Status& status) {
    const grpc::StatusCode code = status.error_code();
    const bool bug = code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
                     code == grpc::StatusCode::DATA_LOSS;
    const spdlog::level::level_enum level = bug ? spdlog::level::err : spdlog::level::debug;
    if (!spdlog::should_log(level)) return;
    std::string call_id, agent_id, queue;
    if (request_ != nullptr) {
      call_id = StringField(*request_, "call_id");
      agent_id = StringField(*request_, "agent_id");
      queue = StringField(*request_, "queue");
    }
    LogAbout(level, {.call_id = call_id, .agent_id = agent_id, .queue = queue},
             "{} from {}: {}: {}", info_->method(), info_->server_context()->peer(), CodeName(code),
             status.error_message());
  }

  RequestObserver* const observer_;
  grpc::experimental::ServerRpcInfo* const info_;
  RequestObserver::Method* const method_;
  const std::chrono::steady_clock::time_point started_;
  const google::protobuf::Message* request_ = nullptr;
  bool unparsed_ = false;
};

}  // namespace

RequestObserver::RequestObserver(prometheus::Registry* registry) {
  std::vector<KnownMethod> known(std::begin(kStandardMethods), std::end(kStandardMethods));
  for (const std::string_view service :
       {v1::CallService::service_full_name(), v1::AgentService::service_full_name(),
        v1::AdminService::service_full_name()}) {
    const google::protobuf::ServiceDescriptor* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(service));
    for (int i = 0; descriptor != nullptr && i < descriptor->method_count(); ++i) {
      const google::protobuf::MethodDescriptor* method = descriptor->method(i);
      known.push_back({absl::StrCat(std::string(service), "/", method->name()),
                       !method->client_streaming() && !method->server_streaming(),
                       method->client_streaming() ? "" : method->input_type()->full_name()});
    }
  }
  other_.name = "other";
  if (registry != nullptr) {
    requests_ = &prometheus::BuildCounter()
                     .Name("acd_grpc_requests_total")
                     .Help("gRPC requests served, by method and status code.")
                     .Register(*registry);
    latency_ = &prometheus::BuildHistogram()
                    .Name("acd_grpc_request_seconds")
                    .Help("Time to answer a unary gRPC request, committed store write included.")
                    .Register(*registry);
  }
  for (const KnownMethod& k : known) {
    auto method = std::make_unique<Method>();
    method->name = k.name;
    method->unary = k.unary;
    method->request_type = k.request_type;
    methods_.emplace(absl::StrCat("/", k.name), std::move(method));
  }
  if (registry == nullptr) return;
  // Each method's OK series exists from the start, so rate() sees its first
  // requests; other codes appear when they first happen.
  static const prometheus::Histogram::BucketBoundaries kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  auto prepare = [&](Method& m) {
    if (m.unary) m.latency = &latency_->Add({{"method", m.name}}, kBounds);
    m.by_code[0] = &requests_->Add({{"method", m.name}, {"code", "OK"}});
  };
  for (auto& [path, method] : methods_) prepare(*method);
  prepare(other_);
}

RequestObserver::~RequestObserver() = default;

RequestObserver::Method* RequestObserver::Find(const char* path) {
  auto it = methods_.find(absl::string_view(path == nullptr ? "" : path));
  return it == methods_.end() ? &other_ : it->second.get();
}

void RequestObserver::Observe(Method* method, grpc::StatusCode code, absl::Duration took) {
  if (requests_ == nullptr) return;
  size_t index = static_cast<size_t>(code);
  if (index >= method->by_code.size()) index = grpc::StatusCode::UNKNOWN;
  prometheus::Counter* counter = method->by_code[index].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same series to every thread that races here.
    counter = &requests_->Add(
        {{"method", method->name}, {"code", CodeName(static_cast<grpc::StatusCode>(index))}});
    method->by_code[index].store(counter, std::memory_order_release);
  }
  counter->Increment();
  if (method->latency != nullptr) method->latency->Observe(absl::ToDoubleSeconds(took));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RequestObserver::NewInterceptorFactory() {
  class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
   public:
    explicit Factory(RequestObserver* observer) : observer_(observer) {}
    grpc::experimental::Interceptor* CreateServerInterceptor(
        grpc::experimental::ServerRpcInfo* info) override {
      return new Interceptor(observer_, info);
    }

   private:
    RequestObserver* const observer_;
  };
  return std::make_unique<Factory>(this);
}

}  // namespace acd::rpc

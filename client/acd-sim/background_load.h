// Load held beside a max-rate run, to measure what it costs the workers:
// idle agent desktops with open offer streams (acd-sim --idle-desktops) and
// calls waiting in a queue nobody serves (--preload-calls). The config that
// makes room for them is sim_config.h's PairedConfigYaml.
//
// Thread safety: IdleDesktops has one owner; PreloadCalls blocks its caller
// and runs its own threads.
#ifndef ACD_CLIENT_ACD_SIM_BACKGROUND_LOAD_H_
#define ACD_CLIENT_ACD_SIM_BACKGROUND_LOAD_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "acd/v1/agent_service.grpc.pb.h"
#include "client/acd-sim/progress.h"
#include "client/common/rpc.h"

namespace acd::sim {

// Agent desktops that log in ready and hold a StreamOffers stream each,
// reading nothing but what comes (nothing, on a queue without calls). The
// streams run on a completion queue and one connection per 80 desktops (a
// real desktop has a connection of its own; acdd allows 100 streams on one),
// so holding 10,000 costs the client one thread and 125 connections.
class IdleDesktops {
 public:
  // Logs `agents` in (ready) and opens their streams; returns once every
  // stream is live (its initial metadata came), or UNAVAILABLE naming the
  // first that failed. `progress` may be null.
  static absl::StatusOr<std::unique_ptr<IdleDesktops>> Open(const std::string& target,
                                                            const ctl::Credentials& credentials,
                                                            std::vector<std::string> agents,
                                                            ProgressBoard* progress);
  // Cancels the streams and waits until each has ended.
  ~IdleDesktops();

  IdleDesktops(const IdleDesktops&) = delete;
  IdleDesktops& operator=(const IdleDesktops&) = delete;

  // Streams the server ended while they were held, and the first one's error.
  int ended_early() const;
  std::string first_end() const;

 private:
  struct Desktop;
  IdleDesktops() = default;
  void Pump();  // the completion queue's thread
  void Step(size_t index, int step, bool ok);

  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<std::unique_ptr<Desktop>> desktops_;
  grpc::CompletionQueue cq_;
  std::thread pump_;
  mutable absl::Mutex mu_;
  int live_ ABSL_GUARDED_BY(mu_) = 0;
  int finished_ ABSL_GUARDED_BY(mu_) = 0;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  int ended_early_ ABSL_GUARDED_BY(mu_) = 0;
  std::string first_end_ ABSL_GUARDED_BY(mu_);
};

// Enqueues `n` calls, ids <prefix>-1..n, into `queue` from 32 concurrent
// callers. The first failed EnqueueCall stops it, with its error.
absl::Status PreloadCalls(const std::string& target, const ctl::Credentials& credentials,
                          const std::string& queue, int64_t n, const std::string& prefix,
                          ProgressBoard* progress);

}  // namespace acd::sim

#endif  // ACD_CLIENT_ACD_SIM_BACKGROUND_LOAD_H_

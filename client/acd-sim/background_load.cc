#include "client/acd-sim/background_load.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "acd/v1/call_service.grpc.pb.h"
#include "client/acd-sim/sim_rpc.h"

namespace acd::sim {
namespace {

// Desktops per connection: under acdd's 100 streams per connection, so
// their logins and the closing cancels find a free one.
constexpr size_t kStreamsPerChannel = 80;
// Concurrent logins, and concurrent preloading callers.
constexpr int kCallers = 32;
// How long opening every stream may take.
constexpr absl::Duration kOpenTimeout = absl::Minutes(2);

// The steps of a stream on the completion queue; a tag is index * kSteps + step.
enum StreamStep { kStarted, kMetadata, kRead, kFinished, kSteps };

void* Tag(size_t index, int step) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(index * kSteps + step));
}

// Runs `fn(i)` for i in [0, n) on kCallers threads; stops handing out work
// at the first error, which it returns.
absl::Status ForEachConcurrently(int64_t n, const std::function<absl::Status(int64_t)>& fn,
                                 const std::function<void(int64_t done)>& on_progress) {
  std::atomic<int64_t> next{0}, done{0};
  absl::Mutex mu;
  absl::Status first = absl::OkStatus();
  std::vector<std::thread> threads;
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&] {
      for (int64_t i = next++; i < n; i = next++) {
        absl::Status s = fn(i);
        if (!s.ok()) {
          absl::MutexLock lock(&mu);
          if (first.ok()) first = s;
          next = n;  // stop the others
          return;
        }
        done++;
      }
    });
  }
  // Until the last item is handed out (or an error stops the rest).
  while (next.load() < n) {
    absl::SleepFor(absl::Milliseconds(200));
    on_progress(done.load());
  }
  for (auto& t : threads) t.join();
  on_progress(done.load());
  return first;
}

}  // namespace

struct IdleDesktops::Desktop {
  std::string agent_id;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientAsyncReader<v1::OfferUpdate>> reader;
  v1::OfferUpdate update;
  grpc::Status status;
};

absl::StatusOr<std::unique_ptr<IdleDesktops>> IdleDesktops::Open(
    const std::string& target, const ctl::Credentials& credentials, std::vector<std::string> agents,
    ProgressBoard* progress) {
  std::unique_ptr<IdleDesktops> d(new IdleDesktops());
  const size_t n = agents.size();
  for (size_t i = 0; i < (n + kStreamsPerChannel - 1) / kStreamsPerChannel; ++i) {
    d->channels_.push_back(NewOwnChannel(target, credentials));
  }
  for (size_t i = 0; i < n; ++i) {
    d->desktops_.push_back(std::make_unique<Desktop>());
    d->desktops_.back()->agent_id = std::move(agents[i]);
  }
  auto report = [&](absl::string_view what, int64_t done) {
    if (progress != nullptr) {
      progress->Set(0, absl::StrFormat("idle desktops: %s %d of %d", what, done, n));
    }
  };
  // Logged in ready first, as a desktop does before it streams.
  absl::Status logged_in = ForEachConcurrently(
      static_cast<int64_t>(n),
      [&](int64_t i) {
        auto stub = v1::AgentService::NewStub(d->channels_[i / kStreamsPerChannel]);
        return LoginReady(*stub, d->desktops_[i]->agent_id);
      },
      [&](int64_t done) { report("logged in", done); });
  if (!logged_in.ok()) return logged_in;

  d->pump_ = std::thread([raw = d.get()] { raw->Pump(); });
  for (size_t i = 0; i < n; ++i) {
    Desktop& desktop = *d->desktops_[i];
    v1::StreamOffersRequest request;
    request.set_agent_id(desktop.agent_id);
    auto stub = v1::AgentService::NewStub(d->channels_[i / kStreamsPerChannel]);
    // Prepared, then started: the start's completion may run on the pump
    // thread at once, and it uses the reader.
    desktop.reader = stub->PrepareAsyncStreamOffers(&desktop.context, request, &d->cq_);
    desktop.reader->StartCall(Tag(i, kStarted));
  }
  const absl::Time give_up = absl::Now() + kOpenTimeout;
  absl::MutexLock lock(&d->mu_);
  while (d->live_ + d->finished_ < static_cast<int>(n) && absl::Now() < give_up) {
    d->mu_.AwaitWithTimeout(absl::Condition(
                                +[](IdleDesktops* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
                                  return self->live_ + self->finished_ ==
                                         static_cast<int>(self->desktops_.size());
                                },
                                d.get()),
                            absl::Milliseconds(200));
    report("streams open", d->live_);
  }
  if (d->ended_early_ > 0) {
    return absl::UnavailableError(absl::StrCat(
        d->ended_early_, " of ", n, " idle desktop streams failed; the first: ", d->first_end_));
  }
  if (d->live_ < static_cast<int>(n)) {
    return absl::UnavailableError(absl::StrCat("only ", d->live_, " of ", n,
                                               " idle desktop streams opened within ",
                                               absl::FormatDuration(kOpenTimeout)));
  }
  return d;
}

IdleDesktops::~IdleDesktops() {
  if (!pump_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  for (auto& desktop : desktops_) desktop->context.TryCancel();
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](IdleDesktops* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
          return self->finished_ == static_cast<int>(self->desktops_.size());
        },
        this));
  }
  cq_.Shutdown();
  pump_.join();
}

int IdleDesktops::ended_early() const {
  absl::MutexLock lock(&mu_);
  return ended_early_;
}

std::string IdleDesktops::first_end() const {
  absl::MutexLock lock(&mu_);
  return first_end_;
}

void IdleDesktops::Pump() {
  void* tag;
  bool ok;
  while (cq_.Next(&tag, &ok)) {
    const auto value = reinterpret_cast<uintptr_t>(tag);
    Step(value / kSteps, static_cast<int>(value % kSteps), ok);
  }
}

void IdleDesktops::Step(size_t index, int step, bool ok) {
  Desktop& desktop = *desktops_[index];
  // A failed start or read ends the stream: its status comes with Finish.
  if (!ok && step != kFinished) {
    desktop.reader->Finish(&desktop.status, Tag(index, kFinished));
    return;
  }
  switch (step) {
    case kStarted:
      desktop.reader->ReadInitialMetadata(Tag(index, kMetadata));
      return;
    case kMetadata: {
      absl::MutexLock lock(&mu_);
      ++live_;
    }
      desktop.reader->Read(&desktop.update, Tag(index, kRead));
      return;
    case kRead:  // an update on an idle desktop: read on
      desktop.reader->Read(&desktop.update, Tag(index, kRead));
      return;
    case kFinished: {
      absl::MutexLock lock(&mu_);
      ++finished_;
      if (!closing_ && ended_early_++ == 0) {
        first_end_ = RpcError(absl::StrCat("StreamOffers ", desktop.agent_id), desktop.status);
      }
      return;
    }
  }
}

absl::Status PreloadCalls(const std::string& target, const ctl::Credentials& credentials,
                          const std::string& queue, int64_t n, const std::string& prefix,
                          ProgressBoard* progress) {
  std::vector<std::unique_ptr<v1::CallService::Stub>> stubs;
  for (int i = 0; i < 8; ++i) {
    stubs.push_back(v1::CallService::NewStub(NewOwnChannel(target, credentials)));
  }
  const absl::Time start = absl::Now();
  return ForEachConcurrently(
      n,
      [&](int64_t i) -> absl::Status {
        v1::EnqueueCallRequest request;
        request.set_call_id(absl::StrCat(prefix, "-", i + 1));
        request.set_queue(queue);
        v1::EnqueueCallResponse response;
        grpc::ClientContext context;
        SetDeadline(context);
        grpc::Status s = stubs[i % stubs.size()]->EnqueueCall(&context, request, &response);
        if (!s.ok()) return absl::UnavailableError(RpcError("EnqueueCall " + request.call_id(), s));
        return absl::OkStatus();
      },
      [&](int64_t done) {
        if (progress == nullptr) return;
        const double s = absl::ToDoubleSeconds(absl::Now() - start);
        progress->Set(0, absl::StrFormat("preloading calls: %d of %d, %.0f/s", done, n,
                                         done / std::max(s, 1e-3)));
      });
}

}  // namespace acd::sim

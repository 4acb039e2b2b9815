// Slow consumers with the real acdd binary: WatchEvents streams whose client
// never reads are cut off once they fall server.stream_buffer messages behind
// what gRPC could send, while the engine goes on answering, a reading stream
// gets every event, and what acdd holds for the stuck streams
// (acd_stream_buffered_bytes) stays within the bound README "Limits" states.
//
// The stuck clients keep gRPC's HTTP/2 window at 64 KiB (no bandwidth
// probing): a default gRPC C++ client grows it to megabytes, reading that far
// ahead of its application, and the test would have to push that much more.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tests/support/acdd_process.h"
#include "tests/support/client.h"
#include "tests/support/http_client.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::AcddProcess;
using ::acd::testing::Ctx;

constexpr int kStuckStreams = 8;
constexpr int kStreamBuffer = 500;
constexpr int kEvents = 3000;
constexpr int kCallers = 8;

// The value of the metric line starting with `series` ("name{labels}"), or -1.
double Metric(const std::string& text, absl::string_view series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, series) || !absl::ConsumePrefix(&line, " ")) continue;
    double value;
    if (absl::SimpleAtod(line, &value)) return value;
  }
  return -1;
}

// Waits (at most 10 s) until acdd buffers at most `bytes` for WatchEvents
// clients; says what it saw last when it does not.
::testing::AssertionResult BufferedUntil(const std::string& metrics_url, double bytes) {
  double last = -1;
  for (absl::Time give_up = absl::Now() + absl::Seconds(10); absl::Now() < give_up;
       absl::SleepFor(absl::Milliseconds(20))) {
    last = Metric(testing::HttpGet(metrics_url).body, "acd_stream_buffered_bytes{kind=\"events\"}");
    if (last >= 0 && last <= bytes) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "acd_stream_buffered_bytes{kind=\"events\"} is " << last << ", above " << bytes;
}

TEST(SlowConsumerTest, StuckStreamsAreCutOffAtTheBufferWhileTheEngineGoesOn) {
  testing::TempDir dir;
  const std::string config_path = dir.Write(
      "acd.yaml", absl::StrCat("server:\n  http: 127.0.0.1:0\n  stream_buffer: ", kStreamBuffer,
                               "\nqueues:\n  - name: q\n"));
  AcddProcess acdd(ACDD_PATH, config_path, dir.File("acd.db"), dir.File("port"),
                   {"--http-port-file", dir.File("http-port")});
  ASSERT_TRUE(acdd.started());
  std::string http_port;
  std::ifstream(dir.File("http-port")) >> http_port;
  const std::string metrics_url = absl::StrCat("http://127.0.0.1:", http_port, "/metrics");

  // The stuck clients: a stream each, never read until the end.
  grpc::ChannelArguments small_window;
  small_window.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  small_window.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 << 10);
  auto stuck_stub = v1::CallService::NewStub(
      grpc::CreateCustomChannel(acdd.address(), grpc::InsecureChannelCredentials(), small_window));
  std::vector<std::unique_ptr<grpc::ClientContext>> stuck_contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<v1::Event>>> stuck;
  for (int i = 0; i < kStuckStreams; ++i) {
    stuck_contexts.push_back(Ctx(60));
    stuck.push_back(stuck_stub->WatchEvents(stuck_contexts.back().get(), {}));
    stuck.back()->WaitForInitialMetadata();
  }
  // A client that reads, on a connection of its own.
  testing::Client reader_client(acdd.address());
  testing::EventWatch reader(reader_client, {}, std::chrono::seconds(60));
  std::atomic<int> read{0};
  std::thread reading([&] {
    v1::Event e;
    while (read.load() < kEvents && reader.Read(&e)) read++;
  });

  // What acdd holds for its stream clients, sampled while the calls come.
  std::atomic<bool> pushing{true};
  double peak_buffered = 0;
  std::thread sampler([&] {
    while (pushing.load()) {
      testing::HttpResult m = testing::HttpGet(metrics_url);
      peak_buffered =
          std::max(peak_buffered, Metric(m.body, "acd_stream_buffered_bytes{kind=\"events\"}"));
      absl::SleepFor(absl::Milliseconds(20));
    }
  });

  // kEvents calls (a call_queued event each), from kCallers at once.
  std::atomic<int> next{0}, failed{0};
  absl::Mutex mu;
  absl::Duration slowest;
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t) {
    callers.emplace_back([&] {
      testing::Client client(acdd.address());
      for (int i = next++; i < kEvents; i = next++) {
        const absl::Time sent = absl::Now();
        if (!client.Enqueue(absl::StrCat("call-", i), "q").ok()) failed++;
        absl::MutexLock lock(&mu);
        slowest = std::max(slowest, absl::Now() - sent);
      }
    });
  }
  for (std::thread& t : callers) t.join();
  pushing = false;
  sampler.join();

  // The engine went on: every call answered, none waited on the stuck streams.
  EXPECT_EQ(failed.load(), 0);
  EXPECT_LT(slowest, absl::Seconds(2));
  // The reading stream got every event.
  reading.join();
  EXPECT_EQ(read.load(), kEvents);
  reader.Cancel();

  // At most stream_buffer messages per stream (an event here is under 512
  // bytes), plus the reading stream's few.
  EXPECT_LE(peak_buffered, (kStuckStreams + 1) * kStreamBuffer * 512.0);
  // Every stuck stream was cut off, and its buffer freed but for the message
  // gRPC is writing (it waits for the client's window).
  EXPECT_EQ(Metric(testing::HttpGet(metrics_url).body, "acd_stream_cutoffs_total{kind=\"events\"}"),
            kStuckStreams);
  EXPECT_TRUE(BufferedUntil(metrics_url, kStuckStreams * 512.0));

  // A stuck client that reads now gets what its window held, then the cut-off.
  for (int i = 0; i < kStuckStreams; ++i) {
    v1::Event e;
    int got = 0;
    while (stuck[i]->Read(&e)) ++got;
    grpc::Status status = stuck[i]->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    EXPECT_TRUE(absl::StrContains(status.error_message(),
                                  absl::StrCat("fell more than ", kStreamBuffer, " messages")))
        << status.error_message();
    EXPECT_LT(got, kEvents - kStreamBuffer) << "stream " << i;
  }
  EXPECT_TRUE(BufferedUntil(metrics_url, 0));
}

}  // namespace
}  // namespace acd

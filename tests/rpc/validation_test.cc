// Hostile input over real gRPC, against an in-process Daemon on 127.0.0.1
// port 0: for every RPC of CallService, AgentService and AdminService, a bad
// value of each validated field gets the canonical code and a message naming
// the field (and the value, cut when long), and changes nothing: the calls,
// the agents and the event log are the same afterwards. Also: a request that
// does not parse, an oversize message, the stream cap, and one StreamOffers
// per agent.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "server/app/daemon.h"
#include "server/core/limits.h"
#include "tests/support/client.h"
#include "tests/support/daemon_fixture.h"
#include "tests/support/test_daemon.h"

namespace acd {
namespace {

using ::acd::testing::Ctx;
using ::acd::testing::OfferStream;
using ::acd::testing::Query;
using ::testing::HasSubstr;

// Long offer and wrap-up times: nothing changes by itself while a case runs.
constexpr char kConfig[] = R"(server:
  listen: 127.0.0.1:0
  max_streams: 4
skills: [english]
queues:
  - name: support
    offer_timeout: 10m
    wrap_up_time: 10m
  - name: sales
    offer_timeout: 10m
    wrap_up_time: 10m
agents:
  - id: alice
    skills: {english: 5}
    queues: [support]
  - id: bob
    skills: {english: 4}
    queues: [support]
  - id: carol
    skills: {english: 2}
    queues: [sales]
)";

const std::string kLongId(core::kMaxIdLength + 72, 'x');  // 200 bytes

struct Case {
  std::string name;
  std::function<grpc::Status()> call;
  grpc::StatusCode code;
  // Each must appear in the error message.
  std::vector<std::string> contains;
};

// The status a server stream ended with (reading and dropping its messages).
template <typename Msg>
grpc::Status StreamStatus(std::unique_ptr<grpc::ClientReader<Msg>> reader) {
  Msg msg;
  for (int i = 0; i < 100 && reader->Read(&msg); ++i) {
  }
  return reader->Finish();
}

class ValidationTest : public testing::DaemonFixture {
 protected:
  void SetUp() override { StartDaemon(kConfig); }

  // One call in each live state: c-wrap (alice, WRAP_UP), c-conn (bob,
  // CONNECTED), c-offer (carol, OFFERED), c-queued (QUEUED).
  void MakeCallsInEveryState() {
    client().Login("alice");
    ASSERT_EQ(client().Enqueue("c-wrap", "support")->call().state(), v1::CALL_STATE_OFFERED);
    client().Accept("alice", "c-wrap");
    ASSERT_TRUE(client().End("c-wrap").ok());
    client().Login("bob");
    ASSERT_EQ(client().Enqueue("c-conn", "support")->call().agent_id(), "bob");
    client().Accept("bob", "c-conn");
    client().Login("carol");
    ASSERT_EQ(client().Enqueue("c-offer", "sales")->call().agent_id(), "carol");
    ASSERT_EQ(client().Enqueue("c-queued", "support")->call().state(), v1::CALL_STATE_QUEUED);
  }

  // Calls (every state), agents and the number of stored events.
  std::string Fingerprint() {
    v1::ListCallsRequest calls_req;
    for (int s = v1::CALL_STATE_QUEUED; s <= v1::CALL_STATE_CALLBACK_SCHEDULED; ++s) {
      calls_req.add_states(static_cast<v1::CallState>(s));
    }
    v1::ListCallsResponse calls = *client().ListCalls(calls_req);
    v1::ListAgentsResponse agents = *client().ListAgents();
    std::string out;
    for (v1::Call& c : *calls.mutable_calls()) {
      c.clear_estimated_wait();
      absl::StrAppend(&out, c.ShortDebugString(), "\n");
    }
    for (const v1::Agent& a : agents.agents()) absl::StrAppend(&out, a.ShortDebugString(), "\n");
    absl::StrAppend(&out, "events ", Query(db_path_, "SELECT count(*) FROM events")[0][0]);
    return out;
  }

  void RunCases(const std::vector<Case>& cases) {
    for (const Case& c : cases) {
      SCOPED_TRACE(c.name);
      std::string before = Fingerprint();
      grpc::Status s = c.call();
      EXPECT_EQ(s.error_code(), c.code) << s.error_message();
      for (const std::string& part : c.contains) EXPECT_THAT(s.error_message(), HasSubstr(part));
      EXPECT_EQ(Fingerprint(), before);
    }
  }
};

constexpr auto kInvalid = grpc::StatusCode::INVALID_ARGUMENT;

TEST_F(ValidationTest, CallService) {
  ASSERT_NO_FATAL_FAILURE(MakeCallsInEveryState());
  v1::CallService::Stub& calls = *stubs_->calls;
  auto enqueue = [&](std::function<void(v1::EnqueueCallRequest&)> edit) {
    return [this, edit] {
      v1::EnqueueCallRequest req;
      req.set_call_id("c-new");
      req.set_queue("support");
      edit(req);
      return client().Enqueue(req).status();
    };
  };
  auto call_rpc = [](auto method) {
    return [method](auto req) {
      return [method, req] {
        v1::Call resp;
        return method(Ctx().get(), req, &resp);
      };
    };
  };
  auto get =
      call_rpc([&](auto* ctx, auto& req, auto* resp) { return calls.GetCall(ctx, req, resp); });
  auto abandon =
      call_rpc([&](auto* ctx, auto& req, auto* resp) { return calls.AbandonCall(ctx, req, resp); });
  auto end =
      call_rpc([&](auto* ctx, auto& req, auto* resp) { return calls.EndCall(ctx, req, resp); });
  auto transfer = call_rpc(
      [&](auto* ctx, auto& req, auto* resp) { return calls.TransferCall(ctx, req, resp); });
  auto callback = call_rpc(
      [&](auto* ctx, auto& req, auto* resp) { return calls.RequestCallback(ctx, req, resp); });
  auto failed = call_rpc(
      [&](auto* ctx, auto& req, auto* resp) { return calls.CallbackFailed(ctx, req, resp); });
  auto watch = [&](std::function<void(v1::WatchEventsRequest&)> edit) {
    return [&calls, edit] {
      v1::WatchEventsRequest req;
      edit(req);
      auto ctx = Ctx(2);
      return StreamStatus(calls.WatchEvents(ctx.get(), req));
    };
  };
  auto with = [](auto req, auto edit) {
    edit(req);
    return req;
  };

  const std::string long_attr(core::kMaxAttributeValueLength + 1, 'v');
  RunCases({
      {"EnqueueCall empty call_id",
       enqueue([](auto& r) { r.set_call_id(""); }),
       kInvalid,
       {"call_id is required"}},
      {"EnqueueCall long call_id",
       enqueue([](auto& r) { r.set_call_id(kLongId); }),
       kInvalid,
       {"call_id \"" + std::string(64, 'x') + "...\" (200 bytes)", "limit is 128"}},
      {"EnqueueCall call_id with a newline",
       enqueue([](auto& r) { r.set_call_id("c\nnew"); }),
       kInvalid,
       {"call_id \"c\\nnew\"", "control character"}},
      {"EnqueueCall long queue",
       enqueue([](auto& r) { r.set_queue(kLongId); }),
       kInvalid,
       {"queue \"xxx", "(200 bytes)"}},
      {"EnqueueCall priority",
       enqueue([](auto& r) { r.set_priority(101); }),
       kInvalid,
       {"priority 101"}},
      {"EnqueueCall too many attributes",
       enqueue([](auto& r) {
         for (int i = 0; i < 65; ++i) (*r.mutable_attributes())[absl::StrCat("k", i)] = "v";
       }),
       kInvalid,
       {"attributes has 65 entries", "limit is 64"}},
      {"EnqueueCall oversize attribute value",
       enqueue([&](auto& r) { (*r.mutable_attributes())["note"] = long_attr; }),
       kInvalid,
       {"attributes[\"note\"]", "(1025 bytes)"}},
      {"EnqueueCall long attribute key",
       enqueue([](auto& r) { (*r.mutable_attributes())[std::string(65, 'k')] = "v"; }),
       kInvalid,
       {"attributes key"}},
      {"EnqueueCall empty attribute key",
       enqueue([](auto& r) { (*r.mutable_attributes())[""] = "v"; }),
       kInvalid,
       {"attributes has an empty key"}},
      {"EnqueueCall too many skills",
       enqueue([](auto& r) {
         for (int i = 0; i < 33; ++i) (*r.mutable_required_skills())[absl::StrCat("s", i)] = 1;
       }),
       kInvalid,
       {"required_skills has 33 entries"}},
      {"EnqueueCall skill level",
       enqueue([](auto& r) { (*r.mutable_required_skills())["english"] = 11; }),
       kInvalid,
       {"required_skills[\"english\"] = 11"}},
      {"EnqueueCall long skill name",
       enqueue([](auto& r) { (*r.mutable_required_skills())[kLongId] = 1; }),
       kInvalid,
       {"required_skills key"}},
      {"GetCall empty", get(v1::GetCallRequest()), kInvalid, {"call_id is required"}},
      {"GetCall long",
       get(with(v1::GetCallRequest(), [](auto& r) { r.set_call_id(kLongId); })),
       kInvalid,
       {"call_id", "(200 bytes)"}},
      {"AbandonCall long reason",
       abandon(with(v1::AbandonCallRequest(),
                    [](auto& r) {
                      r.set_call_id("c-queued");
                      r.set_reason(std::string(300, 'r'));
                    })),
       kInvalid,
       {"reason \"rrr", "(300 bytes)", "limit is 256"}},
      {"AbandonCall reason with an escape",
       abandon(with(v1::AbandonCallRequest(),
                    [](auto& r) {
                      r.set_call_id("c-queued");
                      r.set_reason("hung\x1b[2Jup");
                    })),
       kInvalid,
       {"reason \"hung\\x1b[2Jup\"", "control character"}},
      {"AbandonCall long call_id",
       abandon(with(v1::AbandonCallRequest(), [](auto& r) { r.set_call_id(kLongId); })),
       kInvalid,
       {"call_id"}},
      {"EndCall empty", end(v1::EndCallRequest()), kInvalid, {"call_id is required"}},
      {"TransferCall no target",
       transfer(with(v1::TransferCallRequest(), [](auto& r) { r.set_call_id("c-conn"); })),
       kInvalid,
       {"target", "queue", "agent_id"}},
      {"TransferCall long queue",
       transfer(with(v1::TransferCallRequest(),
                     [](auto& r) {
                       r.set_call_id("c-conn");
                       r.set_queue(kLongId);
                     })),
       kInvalid,
       {"queue \"xxx", "(200 bytes)"}},
      {"TransferCall empty queue",
       transfer(with(v1::TransferCallRequest(),
                     [](auto& r) {
                       r.set_call_id("c-conn");
                       r.set_queue("");
                     })),
       kInvalid,
       {"queue is required"}},
      {"TransferCall long agent_id",
       transfer(with(v1::TransferCallRequest(),
                     [](auto& r) {
                       r.set_call_id("c-conn");
                       r.set_agent_id(kLongId);
                     })),
       kInvalid,
       {"agent_id", "(200 bytes)"}},
      {"TransferCall long fallback_queue",
       transfer(with(v1::TransferCallRequest(),
                     [](auto& r) {
                       r.set_call_id("c-conn");
                       r.set_agent_id("alice");
                       r.set_fallback_queue(kLongId);
                     })),
       kInvalid,
       {"fallback_queue", "(200 bytes)"}},
      {"TransferCall priority",
       transfer(with(v1::TransferCallRequest(),
                     [](auto& r) {
                       r.set_call_id("c-conn");
                       r.set_queue("sales");
                       r.set_priority(-1);
                     })),
       kInvalid,
       {"priority -1"}},
      {"RequestCallback bad number",
       callback(with(v1::RequestCallbackRequest(),
                     [](auto& r) {
                       r.set_call_id("c-queued");
                       r.set_number("555-CALL");
                     })),
       kInvalid,
       {"number \"555-CALL\""}},
      {"RequestCallback long number",
       callback(with(v1::RequestCallbackRequest(),
                     [](auto& r) {
                       r.set_call_id("c-queued");
                       r.set_number(std::string(33, '1'));
                     })),
       kInvalid,
       {"number", "1-32 characters"}},
      {"RequestCallback empty call_id",
       callback(with(v1::RequestCallbackRequest(), [](auto& r) { r.set_number("+15550100"); })),
       kInvalid,
       {"call_id is required"}},
      {"CallbackFailed long reason",
       failed(with(v1::CallbackFailedRequest(),
                   [](auto& r) {
                     r.set_call_id("c-conn");
                     r.set_reason(std::string(257, 'r'));
                   })),
       kInvalid,
       {"reason", "(257 bytes)"}},
      {"CallbackFailed empty call_id",
       failed(v1::CallbackFailedRequest()),
       kInvalid,
       {"call_id is required"}},
      {"WatchEvents long call_id filter",
       watch([](auto& r) { r.set_call_id(kLongId); }),
       kInvalid,
       {"call_id", "(200 bytes)"}},
      {"WatchEvents agent_id filter with a newline",
       watch([](auto& r) { r.set_agent_id("al\nice"); }),
       kInvalid,
       {"agent_id \"al\\nice\"", "control character"}},
      {"WatchEvents long queue filter",
       watch([](auto& r) { r.set_queue(kLongId); }),
       kInvalid,
       {"queue", "(200 bytes)"}},
      {"WatchEvents negative after_seq",
       watch([](auto& r) { r.set_after_seq(-5); }),
       kInvalid,
       {"after_seq -5"}},
  });
}

TEST_F(ValidationTest, AgentService) {
  ASSERT_NO_FATAL_FAILURE(MakeCallsInEveryState());
  v1::AgentService::Stub& agents = *stubs_->agents;
  auto login = [&](const std::string& id) {
    return [this, id] { return client().Login(id, /*ready=*/false).status(); };
  };
  auto logout = [&](const std::string& id) {
    return [this, id] { return client().Logout(id).status(); };
  };
  auto set_state = [&](const std::string& id, v1::AgentState state, const std::string& reason) {
    return [this, id, state, reason] { return client().SetState(id, state, reason).status(); };
  };
  auto offers = [&](const std::string& id) {
    return [&agents, id] {
      v1::StreamOffersRequest req;
      req.set_agent_id(id);
      auto ctx = Ctx(2);
      return StreamStatus(agents.StreamOffers(ctx.get(), req));
    };
  };
  auto accept = [&](const std::string& agent, const std::string& call) {
    return [this, agent, call] { return client().Accept(agent, call).status(); };
  };
  auto reject = [&](const std::string& agent, const std::string& call, const std::string& reason) {
    return [this, agent, call, reason] { return client().Reject(agent, call, reason).status(); };
  };
  auto complete = [&](const std::string& call, const std::string& disposition,
                      const std::string& notes) {
    return [this, call, disposition, notes] {
      return client().Complete("alice", call, disposition, notes).status();
    };
  };

  RunCases({
      {"Login empty", login(""), kInvalid, {"agent_id is required"}},
      {"Login long", login(kLongId), kInvalid, {"agent_id", "(200 bytes)"}},
      {"Login control", login("bob\r"), kInvalid, {"agent_id \"bob\\r\"", "control character"}},
      {"Logout long", logout(kLongId), kInvalid, {"agent_id", "(200 bytes)"}},
      {"SetState unspecified",
       set_state("carol", v1::AGENT_STATE_UNSPECIFIED, ""),
       kInvalid,
       {"state AGENT_STATE_UNSPECIFIED"}},
      {"SetState busy",
       set_state("carol", v1::AGENT_STATE_BUSY, ""),
       kInvalid,
       {"state AGENT_STATE_BUSY"}},
      {"SetState long reason",
       set_state("bob", v1::AGENT_STATE_AWAY, std::string(300, 'r')),
       kInvalid,
       {"reason \"rrr", "(300 bytes)"}},
      {"SetState reason with a newline",
       set_state("carol", v1::AGENT_STATE_AWAY, "lunch\nx"),
       kInvalid,
       {"reason \"lunch\\nx\"", "control character"}},
      {"SetState empty agent_id",
       set_state("", v1::AGENT_STATE_AVAILABLE, ""),
       kInvalid,
       {"agent_id is required"}},
      {"StreamOffers empty", offers(""), kInvalid, {"agent_id is required"}},
      {"StreamOffers long", offers(kLongId), kInvalid, {"agent_id", "(200 bytes)"}},
      {"AcceptOffer long call_id", accept("carol", kLongId), kInvalid, {"call_id", "(200 bytes)"}},
      {"AcceptOffer empty agent_id", accept("", "c-offer"), kInvalid, {"agent_id is required"}},
      {"RejectOffer long reason",
       reject("carol", "c-offer", std::string(300, 'r')),
       kInvalid,
       {"reason", "(300 bytes)"}},
      {"RejectOffer empty call_id", reject("carol", "", ""), kInvalid, {"call_id is required"}},
      {"CompleteCall long disposition",
       complete("c-wrap", std::string(257, 'd'), ""),
       kInvalid,
       {"disposition \"ddd", "(257 bytes)"}},
      {"CompleteCall disposition with a newline",
       complete("c-wrap", "sold\nrefund", ""),
       kInvalid,
       {"disposition \"sold\\nrefund\"", "control character"}},
      {"CompleteCall long notes",
       complete("c-wrap", "sold", std::string(4097, 'n')),
       kInvalid,
       {"notes \"nnn", "(4097 bytes)", "limit is 4096"}},
      {"CompleteCall notes with a NUL",
       complete("c-wrap", "sold", std::string("a\0b", 3)),
       kInvalid,
       {"notes \"a\\x00b\"", "control character"}},
      {"CompleteCall long call_id", complete(kLongId, "sold", ""), kInvalid, {"call_id"}},
  });

  // Notes may span lines.
  auto done = client().Complete("alice", "c-wrap", "", "line 1\nline 2");
  ASSERT_TRUE(done.ok()) << done.error_message();
  EXPECT_EQ(done->notes(), "line 1\nline 2");
}

TEST_F(ValidationTest, AdminService) {
  ASSERT_NO_FATAL_FAILURE(MakeCallsInEveryState());
  v1::AdminService::Stub& admin = *stubs_->admin;
  auto queue_stats = [&](const std::string& queue) {
    return [this, queue] { return client().QueueStats(queue).status(); };
  };
  auto list_agents = [&](const std::string& queue) {
    return [&admin, queue] {
      v1::ListAgentsRequest req;
      req.set_queue(queue);
      v1::ListAgentsResponse resp;
      return admin.ListAgents(Ctx().get(), req, &resp);
    };
  };
  auto list_calls = [&](std::function<void(v1::ListCallsRequest&)> edit) {
    return [this, edit] {
      v1::ListCallsRequest req;
      edit(req);
      return client().ListCalls(req).status();
    };
  };
  auto move = [&](const std::string& call, const std::string& queue) {
    return [this, call, queue] { return client().Move(call, queue).status(); };
  };
  auto staffing = [&](std::function<void(v1::StaffingRequest&)> edit) {
    return [&admin, edit] {
      v1::StaffingRequest req;
      req.set_calls_per_interval(100);
      req.mutable_aht()->set_seconds(180);
      req.set_service_level(0.8);
      edit(req);
      v1::StaffingResponse resp;
      return admin.Staffing(Ctx().get(), req, &resp);
    };
  };
  auto report = [&](std::function<void(v1::GetReportRequest&)> edit) {
    return [&admin, edit] {
      v1::GetReportRequest req;
      req.set_queue("support");
      req.mutable_from()->set_seconds(1767225600);  // 2026-01-01
      req.mutable_to()->set_seconds(1767225600 + 86400);
      edit(req);
      v1::GetReportResponse resp;
      return admin.GetReport(Ctx().get(), req, &resp);
    };
  };
  auto validate = [&](const std::string& file_name) {
    return [this, file_name] { return client().Validate(kConfig, file_name).status(); };
  };
  auto watch = [&](std::function<void(v1::WatchStatsRequest&)> edit) {
    return [&admin, edit] {
      v1::WatchStatsRequest req;
      edit(req);
      auto ctx = Ctx(2);
      return StreamStatus(admin.WatchStats(ctx.get(), req));
    };
  };

  RunCases({
      {"GetQueueStats empty", queue_stats(""), kInvalid, {"queue is required"}},
      {"GetQueueStats long", queue_stats(kLongId), kInvalid, {"queue \"xxx", "(200 bytes)"}},
      {"ListAgents long queue", list_agents(kLongId), kInvalid, {"queue", "(200 bytes)"}},
      {"ListCalls negative limit",
       list_calls([](auto& r) { r.set_limit(-1); }),
       kInvalid,
       {"limit -1"}},
      {"ListCalls huge limit",
       list_calls([](auto& r) { r.set_limit(100001); }),
       kInvalid,
       {"limit 100001"}},
      {"ListCalls unknown state",
       list_calls([](auto& r) { r.add_states(static_cast<v1::CallState>(99)); }),
       kInvalid,
       {"states", "99"}},
      {"ListCalls long queue",
       list_calls([](auto& r) { r.set_queue(kLongId); }),
       kInvalid,
       {"queue", "(200 bytes)"}},
      {"MoveCall long queue", move("c-queued", kLongId), kInvalid, {"queue", "(200 bytes)"}},
      {"MoveCall empty queue", move("c-queued", ""), kInvalid, {"queue is required"}},
      {"MoveCall empty call_id", move("", "sales"), kInvalid, {"call_id is required"}},
      {"Staffing negative calls",
       staffing([](auto& r) { r.set_calls_per_interval(-1); }),
       kInvalid,
       {"calls_per_interval", "-1"}},
      {"Staffing zero aht", staffing([](auto& r) { r.clear_aht(); }), kInvalid, {"aht"}},
      {"Staffing service level",
       staffing([](auto& r) { r.set_service_level(1.5); }),
       kInvalid,
       {"service_level", "1.5"}},
      {"Staffing agents", staffing([](auto& r) { r.set_agents(-3); }), kInvalid, {"agents", "-3"}},
      {"Staffing aht nanos beyond a second",
       staffing([](auto& r) { r.mutable_aht()->set_nanos(2'000'000'000); }),
       kInvalid,
       {"aht {seconds: 180, nanos: 2000000000}", "not a Duration"}},
      {"Staffing patience of mixed signs",
       staffing([](auto& r) {
         r.mutable_mean_patience()->set_seconds(5);
         r.mutable_mean_patience()->set_nanos(-1);
       }),
       kInvalid,
       {"mean_patience {seconds: 5, nanos: -1}", "of the seconds' sign"}},
      {"GetReport no subject",
       report([](auto& r) { r.clear_subject(); }),
       kInvalid,
       {"queue or agent_id is required"}},
      {"GetReport long queue",
       report([](auto& r) { r.set_queue(kLongId); }),
       kInvalid,
       {"queue \"xxx", "(200 bytes)"}},
      {"GetReport agent with a newline",
       report([](auto& r) { r.set_agent_id("a\nb"); }),
       kInvalid,
       {"agent_id \"a\\nb\"", "control character"}},
      {"GetReport no from",
       report([](auto& r) { r.clear_from(); }),
       kInvalid,
       {"from is required"}},
      {"GetReport negative nanos",
       report([](auto& r) { r.mutable_from()->set_nanos(-1); }),
       kInvalid,
       {"from {seconds: 1767225600, nanos: -1}", "not a Timestamp"}},
      {"GetReport past year 9999",
       report([](auto& r) { r.mutable_to()->set_seconds(253402300800); }),
       kInvalid,
       {"to {seconds: 253402300800, nanos: 0}", "years 1 to 9999"}},
      {"GetReport range over 31 days",
       report([](auto& r) { r.mutable_to()->set_seconds(1767225600 + 32 * 86400); }),
       kInvalid,
       {"at most 31 days"}},
      {"GetReport interval",
       report([](auto& r) { r.mutable_interval()->set_seconds(420); }),
       kInvalid,
       {"interval 7m"}},
      {"ValidateConfig file_name with a newline",
       validate("acd.yaml\nforged: line"),
       kInvalid,
       {"file_name \"acd.yaml\\nforged: line\"", "control character"}},
      {"ValidateConfig long file_name",
       validate(std::string(300, 'f')),
       kInvalid,
       {"file_name", "(300 bytes)"}},
      {"WatchStats interval",
       watch([](auto& r) { r.mutable_interval()->set_nanos(100000000); }),
       kInvalid,
       {"interval 100ms"}},
      {"WatchStats interval nanos beyond a second",
       watch([](auto& r) {
         r.mutable_interval()->set_seconds(1);
         r.mutable_interval()->set_nanos(2'000'000'000);
       }),
       kInvalid,
       {"interval {seconds: 1, nanos: 2000000000}", "not a Duration"}},
      {"WatchStats too many queues",
       watch([](auto& r) {
         for (int i = 0; i < 1001; ++i) r.add_queues("support");
       }),
       kInvalid,
       {"queues has 1001 entries", "limit is 1000"}},
      {"WatchStats long queue",
       watch([](auto& r) { r.add_queues(kLongId); }),
       kInvalid,
       {"queue", "(200 bytes)"}},
      {"WatchStats empty queue",
       watch([](auto& r) { r.add_queues(""); }),
       kInvalid,
       {"queue is required"}},
  });
}

// Sends `bytes` as the request of `method` ("/acd.v1.CallService/GetCall"),
// unary or server-streaming alike, and returns the status the call ended with.
grpc::Status RawCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                     const std::string& bytes) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  std::unique_ptr<grpc::ClientContext> ctx = Ctx();
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(ctx.get(), method, &cq);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(nullptr);
  cq.Next(&tag, &ok);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  call->WriteLast(request, grpc::WriteOptions(), nullptr);
  cq.Next(&tag, &ok);
  grpc::ByteBuffer reply;
  for (int i = 0; i < 100 && ok; ++i) {
    call->Read(&reply, nullptr);
    cq.Next(&tag, &ok);
  }
  grpc::Status status;
  call->Finish(&status, nullptr);
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

// A string field carrying bytes that are not UTF-8, as a request's wire form.
std::string InvalidUtf8Field(const google::protobuf::Descriptor* type, const char* field) {
  const int number = type->FindFieldByName(field)->number();
  return absl::StrCat(std::string(1, static_cast<char>(number << 3 | 2)), "\x03" "c-\xff");
}

TEST_F(ValidationTest, ARequestThatDoesNotParseIsInvalidArgument) {
  ASSERT_NO_FATAL_FAILURE(MakeCallsInEveryState());
  const std::string before = Fingerprint();
  struct Raw {
    std::string method;
    std::string bytes;
    std::string type;
  };
  const std::vector<Raw> cases = {
      {"/acd.v1.CallService/EnqueueCall",
       InvalidUtf8Field(v1::EnqueueCallRequest::descriptor(), "call_id"),
       "acd.v1.EnqueueCallRequest"},
      {"/acd.v1.AgentService/Login", InvalidUtf8Field(v1::LoginRequest::descriptor(), "agent_id"),
       "acd.v1.LoginRequest"},
      // A length running past the end of the message.
      {"/acd.v1.CallService/GetCall", "\x0a\x09" "c-1", "acd.v1.GetCallRequest"},
      {"/acd.v1.AdminService/ListCalls", "\xff\xff\xff", "acd.v1.ListCallsRequest"},
      // Server-streaming methods too.
      {"/acd.v1.CallService/WatchEvents", "\x08\x80", "acd.v1.WatchEventsRequest"},
      {"/acd.v1.AgentService/StreamOffers",
       InvalidUtf8Field(v1::StreamOffersRequest::descriptor(), "agent_id"),
       "acd.v1.StreamOffersRequest"},
  };
  for (const Raw& c : cases) {
    SCOPED_TRACE(c.method);
    grpc::Status s = RawCall(stubs_->channel, c.method, c.bytes);
    EXPECT_EQ(s.error_code(), kInvalid) << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr("does not parse as " + c.type));
  }
  // A method acdd does not serve stays UNIMPLEMENTED.
  EXPECT_EQ(RawCall(stubs_->channel, "/acd.v1.CallService/NoSuchMethod", "").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(Fingerprint(), before);
}

TEST_F(ValidationTest, OversizeMessageIsResourceExhausted) {
  ASSERT_NO_FATAL_FAILURE(MakeCallsInEveryState());
  std::string before = Fingerprint();
  // Over server.max_message_bytes (1 MiB by default): gRPC refuses it before
  // any handler runs.
  v1::EnqueueCallRequest enqueue;
  enqueue.set_call_id("c-big");
  enqueue.set_queue("support");
  (*enqueue.mutable_attributes())["blob"] = std::string((1 << 20) + 1, 'b');
  grpc::Status s = client().Enqueue(enqueue).status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();

  s = client().Validate(std::string(kConfig) + "#" + std::string(2 << 20, 'x') + "\n").status();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_EQ(Fingerprint(), before);

  // Just under the limit is served (and refused by the engine for what it is).
  (*enqueue.mutable_attributes())["blob"] = std::string(900 << 10, 'b');
  s = client().Enqueue(enqueue).status();
  EXPECT_EQ(s.error_code(), kInvalid) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("attributes[\"blob\"]"));
  EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("(", 900 << 10, " bytes)")));
  EXPECT_LT(s.error_message().size(), 300u);  // the value is not echoed
}

// Waits (bounded) until `done` holds. Real time: what it waits for is gRPC
// noticing a cancelled stream on its own threads, which no clock of the
// daemon's drives.
bool WaitFor(const std::function<bool()>& done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

TEST_F(ValidationTest, StreamsOverTheCapAreResourceExhausted) {
  // server.max_streams is 4 in this config: two WatchEvents, a WatchStats and
  // a StreamOffers fill it.
  struct Open {
    std::unique_ptr<grpc::ClientContext> ctx = Ctx(10);
    std::unique_ptr<grpc::ClientReaderInterface<v1::Event>> events;
    std::unique_ptr<grpc::ClientReaderInterface<v1::StatsSnapshot>> stats;
    std::unique_ptr<grpc::ClientReaderInterface<v1::OfferUpdate>> offers;
  };
  std::vector<Open> open(4);
  open[0].events = stubs_->calls->WatchEvents(open[0].ctx.get(), {});
  open[1].events = stubs_->calls->WatchEvents(open[1].ctx.get(), {});
  open[2].stats = stubs_->admin->WatchStats(open[2].ctx.get(), {});
  v1::StreamOffersRequest alice;
  alice.set_agent_id("alice");
  open[3].offers = stubs_->agents->StreamOffers(open[3].ctx.get(), alice);
  // Initial metadata is sent once a stream is live (it holds its place).
  open[0].events->WaitForInitialMetadata();
  open[1].events->WaitForInitialMetadata();
  open[2].stats->WaitForInitialMetadata();
  open[3].offers->WaitForInitialMetadata();

  auto over = [&](auto status, const std::string& rpc) {
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
    EXPECT_THAT(status.error_message(), HasSubstr(rpc + " refused"));
    EXPECT_THAT(status.error_message(), HasSubstr("server.max_streams) is 4"));
  };
  {
    auto ctx = Ctx(2);
    over(StreamStatus(stubs_->calls->WatchEvents(ctx.get(), {})), "WatchEvents");
  }
  {
    auto ctx = Ctx(2);
    over(StreamStatus(stubs_->admin->WatchStats(ctx.get(), {})), "WatchStats");
  }
  {
    v1::StreamOffersRequest bob;
    bob.set_agent_id("bob");
    auto ctx = Ctx(2);
    over(StreamStatus(stubs_->agents->StreamOffers(ctx.get(), bob)), "StreamOffers");
  }
  // Unary calls are not streams: still served.
  EXPECT_TRUE(client().ListAgents().ok());

  // A closed stream frees its place.
  open[0].ctx->TryCancel();
  EXPECT_EQ(open[0].events->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The server frees it once the stream is done, just after: a new stream is
  // refused at once until then, and is live (runs into its short deadline)
  // after.
  grpc::Status last;
  bool reopened = WaitFor([&] {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
    last = StreamStatus(stubs_->calls->WatchEvents(ctx.get(), {}));
    return last.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
  });
  EXPECT_TRUE(reopened) << last.error_message();
  open[1].ctx->TryCancel();
  open[2].ctx->TryCancel();
  open[3].ctx->TryCancel();
  open[1].events->Finish();
  open[2].stats->Finish();
  open[3].offers->Finish();
}

TEST_F(ValidationTest, ANewerStreamOffersReplacesTheOlder) {
  client().Login("alice");
  OfferStream old_stream(client(), "alice", std::chrono::seconds(10));
  OfferStream new_stream(client(), "alice", std::chrono::seconds(10));

  v1::OfferUpdate update;
  EXPECT_FALSE(old_stream.Read(&update));
  grpc::Status ended = old_stream.Finish();
  EXPECT_EQ(ended.error_code(), grpc::StatusCode::ABORTED) << ended.error_message();
  EXPECT_THAT(ended.error_message(), HasSubstr("replaced by a newer stream"));

  // The newer one gets the next offer.
  client().Enqueue("c-1", "support");
  ASSERT_TRUE(new_stream.Read(&update));
  EXPECT_EQ(update.offer().call().call_id(), "c-1");
  new_stream.TryCancel();
  EXPECT_EQ(new_stream.Finish().error_code(), grpc::StatusCode::CANCELLED);
}

}  // namespace
}  // namespace acd

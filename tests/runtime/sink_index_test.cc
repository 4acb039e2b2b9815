// SinkIndex: an event reaches exactly the sinks whose interest matches it,
// once each, whatever key a sink is kept under; dropped sinks get no more.
#include "server/runtime/sink_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/runtime/runtime.h"

namespace acd::runtime {
namespace {

class RecordingSink : public EventSink {
 public:
  bool OnEvent(const core::Event& event) override {
    seqs.push_back(event.seq);
    return keep;
  }
  void OnClose(const absl::Status&) override { closed = true; }

  std::vector<int64_t> seqs;
  bool keep = true;
  bool closed = false;
};

core::Event MakeEvent(int64_t seq, std::string call, std::string agent, std::string queue) {
  core::Event e;
  e.seq = seq;
  e.call_id = std::move(call);
  e.agent_id = std::move(agent);
  e.queue = std::move(queue);
  return e;
}

void Deliver(SinkIndex& index, const core::Event& event, std::vector<uint64_t>* dropped = nullptr) {
  index.Deliver(
      event, [&event](EventSink& sink) { return sink.OnEvent(event); },
      [dropped](uint64_t id) {
        if (dropped != nullptr) dropped->push_back(id);
      });
}

TEST(SinkIndexTest, EachKindOfInterestGetsWhatItNames) {
  SinkIndex index;
  auto everything = std::make_shared<RecordingSink>();
  auto agent = std::make_shared<RecordingSink>();
  auto call = std::make_shared<RecordingSink>();
  auto queue = std::make_shared<RecordingSink>();
  auto agent_in_queue = std::make_shared<RecordingSink>();
  auto none = std::make_shared<RecordingSink>();
  index.Add(1, Interest{}, everything);
  index.Add(2, Interest::Agent("a1"), agent);
  index.Add(3, Interest{.call_id = "c1"}, call);
  index.Add(4, Interest{.queue = "sales"}, queue);
  index.Add(5, Interest{.agent_id = "a1", .queue = "support"}, agent_in_queue);
  index.Add(6, Interest::None(), none);

  Deliver(index, MakeEvent(1, "c1", "", "sales"));      // queued
  Deliver(index, MakeEvent(2, "c1", "a1", "sales"));    // offered to a1
  Deliver(index, MakeEvent(3, "c2", "a1", "support"));  // a1's other call
  Deliver(index, MakeEvent(4, "", "a2", ""));           // an agent event
  Deliver(index, MakeEvent(5, "c3", "a2", "support"));  // someone else's

  EXPECT_EQ(everything->seqs, (std::vector<int64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(agent->seqs, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(call->seqs, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(queue->seqs, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(agent_in_queue->seqs, (std::vector<int64_t>{3}));
  EXPECT_TRUE(none->seqs.empty());
  EXPECT_EQ(index.size(), 6u);
  EXPECT_EQ(index.Find(6), none.get());
}

TEST(SinkIndexTest, MatchesABruteForceFilterOverRandomInterestsAndEvents) {
  std::mt19937 rng(20);
  auto pick = [&rng](const char* prefix, int n) -> std::string {
    int k = std::uniform_int_distribution<int>(0, n)(rng);
    return k == 0 ? "" : absl::StrCat(prefix, k);
  };
  SinkIndex index;
  std::map<uint64_t, std::pair<Interest, std::shared_ptr<RecordingSink>>> sinks;
  for (uint64_t id = 1; id <= 300; ++id) {
    Interest interest{.call_id = pick("c", 6), .agent_id = pick("a", 4), .queue = pick("q", 3)};
    if (id % 50 == 0) interest = Interest::None();
    auto sink = std::make_shared<RecordingSink>();
    index.Add(id, interest, sink);
    sinks.emplace(id, std::make_pair(interest, sink));
  }
  std::map<uint64_t, std::vector<int64_t>> expected;
  for (int64_t seq = 1; seq <= 2000; ++seq) {
    core::Event event = MakeEvent(seq, pick("c", 6), pick("a", 4), pick("q", 3));
    Deliver(index, event);
    for (auto& [id, entry] : sinks) {
      if (entry.first.Matches(event)) expected[id].push_back(seq);
    }
  }
  for (auto& [id, entry] : sinks) {
    EXPECT_EQ(entry.second->seqs, expected[id]) << "sink " << id;
  }
}

TEST(SinkIndexTest, ASinkThatRefusesIsDroppedAfterThePassAndGetsNoMore) {
  SinkIndex index;
  auto first = std::make_shared<RecordingSink>();
  auto second = std::make_shared<RecordingSink>();
  first->keep = false;
  index.Add(1, Interest::Agent("a1"), first);
  index.Add(2, Interest::Agent("a1"), second);
  std::vector<uint64_t> dropped;
  Deliver(index, MakeEvent(1, "c1", "a1", "q"), &dropped);
  EXPECT_EQ(dropped, (std::vector<uint64_t>{1}));
  Deliver(index, MakeEvent(2, "c1", "a1", "q"), &dropped);
  EXPECT_EQ(first->seqs, (std::vector<int64_t>{1}));
  EXPECT_EQ(second->seqs, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(index.Find(1), nullptr);
  EXPECT_EQ(index.size(), 1u);
}

TEST(SinkIndexTest, RemoveAndClearLeaveNothingBehind) {
  SinkIndex index;
  auto a = std::make_shared<RecordingSink>();
  auto b = std::make_shared<RecordingSink>();
  index.Add(1, Interest{.call_id = "c1"}, a);
  index.Add(2, Interest{}, b);
  index.Remove(1);
  index.Remove(1);  // twice is harmless
  Deliver(index, MakeEvent(1, "c1", "", "q"));
  EXPECT_TRUE(a->seqs.empty());
  EXPECT_EQ(b->seqs, (std::vector<int64_t>{1}));
  index.Add(1, Interest{.call_id = "c1"}, a);  // the key can come back
  Deliver(index, MakeEvent(2, "c1", "", "q"));
  EXPECT_EQ(a->seqs, (std::vector<int64_t>{2}));

  int closed = 0;
  index.Clear([&closed](EventSink& sink) {
    sink.OnClose(absl::CancelledError());
    ++closed;
  });
  EXPECT_EQ(closed, 2);
  EXPECT_TRUE(a->closed && b->closed);
  EXPECT_EQ(index.size(), 0u);
  Deliver(index, MakeEvent(3, "c1", "", "q"));
  EXPECT_EQ(b->seqs.size(), 2u);  // nothing after the clear
}

}  // namespace
}  // namespace acd::runtime

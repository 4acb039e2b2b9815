#include "server/core/erlang.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acd::core {
namespace {

using ::testing::HasSubstr;

constexpr double kTight = 1e-12;
const absl::Duration kAht = absl::Seconds(180);
const absl::Duration kThreshold = absl::Seconds(20);

double Secs(absl::Duration d) { return absl::ToDoubleSeconds(d); }

StaffingPrediction MustPredict(double traffic, int agents, absl::Duration aht,
                               absl::Duration threshold, std::optional<absl::Duration> patience) {
  absl::StatusOr<StaffingPrediction> p = Predict(traffic, agents, aht, threshold, patience);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : StaffingPrediction{};
}

// 200 calls an hour at 180 s AHT: 10 Erlangs.
StaffingInput TenErlangs() {
  StaffingInput in;
  in.calls_per_interval = 200;
  in.interval = absl::Hours(1);
  in.aht = kAht;
  in.threshold = kThreshold;
  return in;
}

// Reference values below were computed independently at 40 digits (mpmath):
// Erlang B/C from factorial sums, Erlang A from the stationary distribution of
// the truncated birth-death chain plus a matrix exponential of the waiting
// caller's absorbing chain (small cases) or quadrature of the virtual-wait
// density (large ones).

TEST(ErlangBTest, KnownValues) {
  EXPECT_NEAR(ErlangB(10, 10), 0.21458234310734734, kTight);
  EXPECT_NEAR(ErlangB(2, 5), 0.036697247706422018, kTight);
  EXPECT_NEAR(ErlangB(50, 60), 0.021668473057806245, kTight);
  EXPECT_NEAR(ErlangB(100, 100), 0.075700452710860970, kTight);
  EXPECT_EQ(ErlangB(7.5, 0), 1.0);  // no agents: every call is lost
  EXPECT_EQ(ErlangB(0, 3), 0.0);
}

TEST(ErlangCTest, TableForTenErlangs) {
  const double expected[] = {0.682118204689332, 0.449388224298271, 0.285270453036493,
                             0.174131933595050, 0.102042367007988};
  for (int n = 11; n <= 15; ++n) {
    EXPECT_NEAR(ErlangC(10, n), expected[n - 11], kTight) << "N=" << n;
  }
  EXPECT_NEAR(ErlangC(100, 110), 0.237007500285053, kTight);
}

TEST(ErlangCTest, TextbookServiceLevel) {
  // 10 Erlangs, AHT 180 s, 20 s threshold: the classic worked example.
  const double sl12 = ServiceLevel(10, 12, kAht, kThreshold);
  const double sl14 = ServiceLevel(10, 14, kAht, kThreshold);
  EXPECT_NEAR(sl12, 0.640, 5e-4);
  EXPECT_NEAR(sl14, 0.888, 5e-4);
  EXPECT_NEAR(sl12, 0.640158040374007, kTight);
  EXPECT_NEAR(sl14, 0.888350019179467, kTight);
  EXPECT_NEAR(ServiceLevel(10, 13, kAht, kThreshold), 0.795594788417783, kTight);
  // Threshold 0: answered at once, 1 - P(wait).
  EXPECT_NEAR(ServiceLevel(10, 12, kAht, absl::ZeroDuration()), 1 - ErlangC(10, 12), kTight);
}

TEST(ErlangCTest, AverageSpeedOfAnswer) {
  EXPECT_NEAR(Secs(AverageSpeedOfAnswer(10, 11, kAht)), 122.78127684408, 1e-8);
  EXPECT_NEAR(Secs(AverageSpeedOfAnswer(10, 12, kAht)), 40.4449401868444, 1e-8);
  EXPECT_NEAR(Secs(AverageSpeedOfAnswer(10, 14, kAht)), 7.83593701177724, 1e-8);
  EXPECT_NEAR(Secs(AverageSpeedOfAnswer(10, 15, kAht)), 3.67352521228757, 1e-8);
}

TEST(ErlangCTest, UnstableAndEmptyQueues) {
  EXPECT_EQ(ErlangC(10, 10), 1.0);
  EXPECT_EQ(ErlangC(10.5, 10), 1.0);
  EXPECT_EQ(ServiceLevel(10, 10, kAht, kThreshold), 0.0);
  EXPECT_EQ(AverageSpeedOfAnswer(10, 9, kAht), absl::InfiniteDuration());
  EXPECT_LT(ErlangC(10, 11), 1.0);  // one more agent than traffic is stable
  EXPECT_EQ(ErlangC(0, 1), 0.0);
  EXPECT_EQ(ServiceLevel(0, 1, kAht, kThreshold), 1.0);
  EXPECT_EQ(AverageSpeedOfAnswer(0, 1, kAht), absl::ZeroDuration());
}

TEST(ErlangCTest, BadInputsGiveNaN) {
  EXPECT_TRUE(std::isnan(ErlangB(-1, 3)));
  EXPECT_TRUE(std::isnan(ErlangB(std::nan(""), 3)));
  EXPECT_TRUE(std::isnan(ErlangB(INFINITY, 3)));
  EXPECT_TRUE(std::isnan(ErlangB(1, -1)));
  EXPECT_TRUE(std::isnan(ErlangC(-1, 3)));
  EXPECT_TRUE(std::isnan(ServiceLevel(10, 12, absl::ZeroDuration(), kThreshold)));
  EXPECT_TRUE(std::isnan(ServiceLevel(10, 12, kAht, absl::Seconds(-1))));
  EXPECT_TRUE(std::isnan(ServiceLevel(10, 12, kAht, absl::InfiniteDuration())));
  EXPECT_EQ(AverageSpeedOfAnswer(-1, 12, kAht), -absl::InfiniteDuration());
  EXPECT_EQ(AverageSpeedOfAnswer(10, 12, absl::Seconds(-5)), -absl::InfiniteDuration());
}

TEST(ErlangCTest, MonotoneInAgents) {
  for (double a : {1.5, 10.0, 100.0, 1000.0}) {
    StaffingPrediction prev = MustPredict(a, static_cast<int>(a) + 1, kAht, kThreshold, {});
    for (int n = static_cast<int>(a) + 2; n <= a + 4 * std::sqrt(a) + 10; ++n) {
      StaffingPrediction p = MustPredict(a, n, kAht, kThreshold, {});
      EXPECT_LT(p.p_wait, prev.p_wait) << "A=" << a << " N=" << n;
      EXPECT_GT(p.service_level, prev.service_level) << "A=" << a << " N=" << n;
      EXPECT_LT(p.asa, prev.asa) << "A=" << a << " N=" << n;
      EXPECT_LT(p.occupancy, prev.occupancy) << "A=" << a << " N=" << n;
      prev = p;
    }
  }
}

TEST(PredictTest, ErlangCMatchesPrimitives) {
  StaffingPrediction p = MustPredict(10, 12, kAht, kThreshold, {});
  EXPECT_EQ(p.agents, 12);
  EXPECT_EQ(p.traffic_erlangs, 10);
  EXPECT_NEAR(p.p_wait, 0.449388224298271, kTight);
  EXPECT_NEAR(p.service_level, 0.640158040374007, kTight);
  EXPECT_NEAR(Secs(p.asa), 40.4449401868444, 1e-8);
  EXPECT_NEAR(p.occupancy, 10.0 / 12, kTight);
  EXPECT_FALSE(p.abandonment.has_value());

  StaffingPrediction unstable = MustPredict(10, 9, kAht, kThreshold, {});
  EXPECT_EQ(unstable.p_wait, 1.0);
  EXPECT_EQ(unstable.service_level, 0.0);
  EXPECT_EQ(unstable.asa, absl::InfiniteDuration());
  EXPECT_EQ(unstable.occupancy, 1.0);
}

struct ErlangACase {
  double traffic;
  int agents;
  double aht_s, patience_s, threshold_s;
  double p_wait, abandonment, service_level, asa_s, occupancy;
};

TEST(ErlangATest, MatchesIndependentSolution) {
  const ErlangACase cases[] = {
      {10, 10, 180, 60, 20, 0.423417674947904, 0.157526871490834, 0.718010188121656,
       7.49446974078059, 0.842473128509166},
      {10, 12, 180, 180, 20, 0.303223853696893, 0.0530916253707425, 0.802303867284436,
       8.52870882858114, 0.789090312191048},
      {10, 8, 180, 120, 30, 0.722626463338783, 0.257982381287758, 0.462159524239296,
       29.2679871647223, 0.927522023390302},
      {3.5, 4, 300, 90, 15, 0.371851614515645, 0.199463213258431, 0.668194764470812,
       11.0191289141985, 0.700469688398873},
      // Overloaded with patient callers: hundreds of queue states matter, so
      // these go through the asymptotic (Stirling, digamma) sums.
      {100, 90, 180, 3600, 600, 0.99999824367027761, 0.100000094814673381, 0.895688594061902822,
       378.298350295501185, 0.999999894650362909},
      {100, 50, 180, 3600, 3000, 1.0, 0.5, 0.499996651609429309, 2493.53015001577311, 1.0},
      {100, 90, 180, 3600, 20, 0.999998243670278, 0.100000094814673, 7.17772104443363e-6,
       378.298350295501, 0.999999894650363},
  };
  for (const ErlangACase& c : cases) {
    SCOPED_TRACE(testing::Message() << "A=" << c.traffic << " N=" << c.agents
                                    << " patience=" << c.patience_s << " t=" << c.threshold_s);
    StaffingPrediction p = MustPredict(c.traffic, c.agents, absl::Seconds(c.aht_s),
                                       absl::Seconds(c.threshold_s), absl::Seconds(c.patience_s));
    EXPECT_NEAR(p.p_wait, c.p_wait, 1e-13);
    ASSERT_TRUE(p.abandonment.has_value());
    EXPECT_NEAR(*p.abandonment, c.abandonment, 1e-13);
    EXPECT_NEAR(p.service_level, c.service_level, 1e-13);
    EXPECT_NEAR(Secs(p.asa), c.asa_s, 1e-9 + 1e-12 * c.asa_s);
    EXPECT_NEAR(p.occupancy, c.occupancy, 1e-13);
  }
}

TEST(ErlangATest, ReducesToErlangCForPatientCallers) {
  const StaffingPrediction c = MustPredict(10, 12, kAht, kThreshold, {});
  double prev_gap = 1;
  for (double hours : {1.0, 10.0, 100.0, 1000.0, 50000.0}) {
    const StaffingPrediction a = MustPredict(10, 12, kAht, kThreshold, absl::Hours(hours));
    const double gap = std::abs(a.service_level - c.service_level) + std::abs(a.p_wait - c.p_wait) +
                       std::abs(*a.abandonment);
    EXPECT_LT(gap, prev_gap) << hours << " h";
    prev_gap = gap;
  }
  // Patience 1e6 x AHT (the largest allowed): indistinguishable from Erlang C.
  const StaffingPrediction a = MustPredict(10, 12, kAht, kThreshold, kAht * kMaxPatiencePerAht);
  EXPECT_NEAR(a.p_wait, c.p_wait, 1e-6);
  EXPECT_NEAR(a.service_level, c.service_level, 1e-6);
  EXPECT_NEAR(Secs(a.asa), Secs(c.asa), 1e-3);
  EXPECT_NEAR(a.occupancy, c.occupancy, 1e-6);
  EXPECT_LT(*a.abandonment, 1e-6);
}

TEST(ErlangATest, AbandonmentRisesAsPatienceFalls) {
  for (int n : {8, 10, 12}) {  // under, at and over the offered 10 Erlangs
    double prev = -1;
    for (double patience_s : {3600.0, 600.0, 180.0, 60.0, 20.0, 5.0, 1.0}) {
      const StaffingPrediction p = MustPredict(10, n, kAht, kThreshold, absl::Seconds(patience_s));
      ASSERT_TRUE(p.abandonment.has_value());
      const double ab = *p.abandonment;
      SCOPED_TRACE(testing::Message() << "N=" << n << " patience=" << patience_s);
      EXPECT_GT(ab, prev);
      EXPECT_GT(ab, 0);
      EXPECT_LT(ab, p.p_wait);  // only callers who wait can hang up
      // N agents answer at most N / AHT calls a second: answered <= N / A.
      EXPECT_GE(ab, 1 - n / 10.0 - 1e-12);
      EXPECT_LE(p.occupancy, 1.0);
      EXPECT_NEAR(p.occupancy, 10 * (1 - ab) / n, kTight);
      prev = ab;
    }
  }
}

TEST(ErlangATest, AbandonmentKeepsUnderstaffedQueuesStable) {
  // Erlang C says 9 agents for 10 Erlangs never catch up; with callers who
  // hang up after a minute on average, the queue settles.
  const StaffingPrediction p = MustPredict(10, 9, kAht, kThreshold, absl::Seconds(60));
  EXPECT_GT(p.service_level, 0.3);
  EXPECT_LT(p.asa, absl::Seconds(60));
  EXPECT_LT(p.occupancy, 1.0);
  EXPECT_GT(*p.abandonment, 0.1);
  // At the same staffing, abandonment shortens the others' waits.
  const StaffingPrediction c = MustPredict(10, 12, kAht, kThreshold, {});
  const StaffingPrediction a = MustPredict(10, 12, kAht, kThreshold, absl::Seconds(120));
  EXPECT_LT(a.asa, c.asa);
  EXPECT_LT(a.p_wait, c.p_wait);
}

TEST(ErlangATest, ServiceLevelAcrossThresholds) {
  const absl::Duration patience = absl::Seconds(90);
  const StaffingPrediction at0 = MustPredict(10, 11, kAht, absl::ZeroDuration(), patience);
  EXPECT_NEAR(at0.service_level, 1 - at0.p_wait, kTight);
  double prev = at0.service_level;
  for (int t : {1, 5, 20, 60, 300, 3600}) {
    const StaffingPrediction p = MustPredict(10, 11, kAht, absl::Seconds(t), patience);
    EXPECT_GT(p.service_level, prev) << t << " s";
    prev = p.service_level;
  }
  // With an endless threshold, everyone answered counts.
  const StaffingPrediction all = MustPredict(10, 11, kAht, absl::Hours(100), patience);
  EXPECT_NEAR(all.service_level, 1 - *all.abandonment, kTight);
}

TEST(ErlangATest, MonotoneInAgents) {
  // AgentsNeeded's binary search relies on this.
  for (double a : {2.0, 10.0, 100.0, 500.0}) {
    for (double patience_s : {5.0, 60.0, 600.0, 36000.0}) {
      const absl::Duration patience = absl::Seconds(patience_s);
      StaffingPrediction prev = MustPredict(a, 1, kAht, kThreshold, patience);
      for (int n = 2; n <= a + 5 * std::sqrt(a) + 10; ++n) {
        const StaffingPrediction p = MustPredict(a, n, kAht, kThreshold, patience);
        SCOPED_TRACE(testing::Message() << "A=" << a << " patience=" << patience_s << " N=" << n);
        // Up to rounding (a few 1e-15).
        EXPECT_GE(p.service_level, prev.service_level - 1e-13);
        EXPECT_LE(p.asa, prev.asa + absl::Nanoseconds(1));
        EXPECT_LE(*p.abandonment, *prev.abandonment + 1e-13);
        EXPECT_LE(p.occupancy, prev.occupancy + 1e-13);
        EXPECT_LE(p.p_wait, prev.p_wait + 1e-13);
        prev = p;
      }
    }
  }
}

TEST(AgentsNeededTest, SmallestForServiceLevel) {
  StaffingInput in = TenErlangs();
  in.service_level = 0.80;
  absl::StatusOr<StaffingPrediction> p = AgentsNeeded(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->agents, 14);  // 13 gives 0.7956
  EXPECT_NEAR(p->traffic_erlangs, 10, kTight);
  EXPECT_NEAR(p->service_level, 0.888350019179467, kTight);
  EXPECT_NEAR(p->p_wait, 0.174131933595050, kTight);

  in.service_level = 0.79;
  p = AgentsNeeded(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->agents, 13);
}

TEST(AgentsNeededTest, SmallestForAsa) {
  StaffingInput in = TenErlangs();
  in.max_asa = absl::Seconds(20);
  absl::StatusOr<StaffingPrediction> p = AgentsNeeded(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->agents, 13);  // ASA 17.1 s; 12 gives 40.4 s
  in.max_asa = absl::Seconds(17);
  p = AgentsNeeded(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->agents, 14);
}

TEST(AgentsNeededTest, EveryTargetMustHold) {
  StaffingInput in = TenErlangs();
  in.service_level = 0.80;
  in.max_occupancy = 0.70;  // 10/14 = 0.714 is too busy
  absl::StatusOr<StaffingPrediction> p = AgentsNeeded(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->agents, 15);

  in.max_occupancy = 1;
  in.max_asa = absl::Seconds(5);  // 14 gives 7.8 s
  p = AgentsNeeded(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->agents, 15);
}

TEST(AgentsNeededTest, AbandonmentTarget) {
  StaffingInput in = TenErlangs();
  in.max_asa = absl::Minutes(10);  // lax, so abandonment decides
  in.mean_patience = absl::Seconds(60);
  in.max_abandonment = 0.02;
  absl::StatusOr<StaffingPrediction> p = AgentsNeeded(in);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->abandonment.has_value());
  EXPECT_LE(*p->abandonment, 0.02);
  const StaffingPrediction fewer =
      MustPredict(10, p->agents - 1, kAht, kThreshold, in.mean_patience);
  EXPECT_GT(*fewer.abandonment, 0.02);
}

TEST(AgentsNeededTest, MatchesLinearScan) {
  struct Case {
    double calls;
    std::optional<double> sl;
    std::optional<absl::Duration> asa, patience;
    double occupancy;
  };
  const std::vector<Case> cases = {
      {50, 0.8, {}, {}, 1},
      {50, 0.95, {}, absl::Seconds(30), 1},
      {400, {}, absl::Seconds(15), {}, 1},
      {400, {}, absl::Seconds(15), absl::Seconds(45), 1},
      {400, 0.7, absl::Seconds(30), absl::Seconds(300), 0.9},
      {1000, 0.9, {}, absl::Seconds(120), 0.85},
      {7, 0.5, {}, absl::Seconds(10), 1},
  };
  for (const Case& c : cases) {
    StaffingInput in;
    in.calls_per_interval = c.calls;
    in.interval = absl::Minutes(30);
    in.aht = absl::Seconds(240);
    in.service_level = c.sl;
    in.max_asa = c.asa;
    in.mean_patience = c.patience;
    in.max_occupancy = c.occupancy;
    const double traffic = c.calls * 240 / 1800;
    int scan = 0;
    for (int n = 1; n <= kMaxAgents && scan == 0; ++n) {
      const StaffingPrediction p = MustPredict(traffic, n, in.aht, in.threshold, c.patience);
      if ((!c.sl || p.service_level >= *c.sl) && (!c.asa || p.asa <= *c.asa) &&
          p.occupancy <= c.occupancy) {
        scan = n;
      }
    }
    absl::StatusOr<StaffingPrediction> p = AgentsNeeded(in);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->agents, scan) << "calls=" << c.calls;
  }
}

TEST(AgentsNeededTest, ZeroCallsNeedNoAgents) {
  StaffingInput in = TenErlangs();
  in.calls_per_interval = 0;
  in.service_level = 0.8;
  absl::StatusOr<StaffingPrediction> p = AgentsNeeded(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->agents, 0);
  EXPECT_EQ(p->service_level, 1.0);
  EXPECT_EQ(p->p_wait, 0.0);
}

TEST(AgentsNeededTest, UnreachableTargetIsRejected) {
  StaffingInput in;
  in.calls_per_interval = 50'000;  // 5000 Erlangs
  in.interval = absl::Minutes(30);
  in.aht = absl::Seconds(180);
  in.service_level = 0.8;
  in.max_occupancy = 0.1;  // would need 50,000 agents
  absl::StatusOr<StaffingPrediction> p = AgentsNeeded(in);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(p.status().message(), HasSubstr("10000 agents"));
}

TEST(LargeTest, TwoThousandErlangsIsFiniteAndFast) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NEAR(ErlangC(2000, 2050), 0.183354738702138, 1e-11);

  StaffingInput in;
  in.calls_per_interval = 20'000;  // 2000 Erlangs
  in.interval = absl::Minutes(30);
  in.aht = kAht;
  in.service_level = 0.8;
  absl::StatusOr<StaffingPrediction> c = AgentsNeeded(in);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_GT(c->agents, 2000);
  EXPECT_LT(c->agents, 2100);
  EXPECT_GE(c->service_level, 0.8);
  EXPECT_LT(ServiceLevel(2000, c->agents - 1, kAht, kThreshold), 0.8);

  // With a 2 min mean patience a big centre meets 80/20 understaffed: the
  // queue sheds 12% of callers and answers the rest within ~15 s. (That is
  // why max_abandonment exists.) Reference: the 30-digit chain solution.
  in.mean_patience = absl::Seconds(120);
  absl::StatusOr<StaffingPrediction> a = AgentsNeeded(in);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->agents, 1760);
  EXPECT_NEAR(a->service_level, 0.800872023293709, 1e-10);  // 1759: 0.79758
  EXPECT_NEAR(*a->abandonment, 0.120000014630035, 1e-10);
  EXPECT_NEAR(Secs(a->asa), 15.2888778042544, 1e-8);
  in.max_abandonment = 0.05;
  a = AgentsNeeded(in);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_LE(*a->abandonment, 0.05);
  EXPECT_GT(a->agents, 1900);
  EXPECT_LE(a->agents, c->agents);  // hang-ups still relieve the queue

  // The extremes: the widest sums, far from and near balance.
  for (int n : {1, 2500, 4999, 5001, 10000}) {
    const StaffingPrediction p = MustPredict(5000, n, kAht, kThreshold, kAht * kMaxPatiencePerAht);
    SCOPED_TRACE(testing::Message() << "N=" << n);
    for (double v : {p.p_wait, p.service_level, *p.abandonment, p.occupancy}) {
      EXPECT_TRUE(v >= 0 && v <= 1) << v;
    }
    EXPECT_GE(p.asa, absl::ZeroDuration());
    EXPECT_NEAR(1 - *p.abandonment, std::min(1.0, n / 5000.0), 1e-3);
  }
  EXPECT_TRUE(std::isfinite(ErlangB(5000, 10000)));
  EXPECT_GT(ErlangC(5000, 5001), 0.9);
  EXPECT_LE(ErlangC(5000, 5001), 1.0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(BadInputTest, AgentsNeededNamesTheValue) {
  struct Case {
    const char* name;
    void (*mutate)(StaffingInput&);
    const char* message;
  };
  const Case cases[] = {
      {"negative calls", [](StaffingInput& in) { in.calls_per_interval = -1; },
       "calls_per_interval"},
      {"NaN calls", [](StaffingInput& in) { in.calls_per_interval = std::nan(""); },
       "calls_per_interval"},
      {"zero interval", [](StaffingInput& in) { in.interval = absl::ZeroDuration(); }, "interval"},
      {"zero aht", [](StaffingInput& in) { in.aht = absl::ZeroDuration(); }, "aht"},
      {"infinite aht", [](StaffingInput& in) { in.aht = absl::InfiniteDuration(); }, "aht"},
      {"no target", [](StaffingInput& in) { in.service_level.reset(); }, "no target"},
      {"service level 0", [](StaffingInput& in) { in.service_level = 0; }, "service_level"},
      {"service level 1", [](StaffingInput& in) { in.service_level = 1; }, "service_level"},
      {"service level 80", [](StaffingInput& in) { in.service_level = 80; }, "service_level"},
      {"negative threshold", [](StaffingInput& in) { in.threshold = absl::Seconds(-1); },
       "threshold"},
      {"zero asa", [](StaffingInput& in) { in.max_asa = absl::ZeroDuration(); }, "max_asa"},
      {"zero patience", [](StaffingInput& in) { in.mean_patience = absl::ZeroDuration(); },
       "mean_patience"},
      {"endless patience", [](StaffingInput& in) { in.mean_patience = absl::Hours(1e6); },
       "mean_patience"},
      {"occupancy 0", [](StaffingInput& in) { in.max_occupancy = 0; }, "max_occupancy"},
      {"occupancy 1.5", [](StaffingInput& in) { in.max_occupancy = 1.5; }, "max_occupancy"},
      {"abandonment without patience", [](StaffingInput& in) { in.max_abandonment = 0.05; },
       "needs mean_patience"},
      {"abandonment 2",
       [](StaffingInput& in) {
         in.mean_patience = absl::Seconds(60);
         in.max_abandonment = 2;
       },
       "max_abandonment"},
      {"too much traffic", [](StaffingInput& in) { in.calls_per_interval = 1e6; }, "traffic"},
  };
  for (const Case& c : cases) {
    StaffingInput in = TenErlangs();
    in.service_level = 0.8;
    c.mutate(in);
    absl::StatusOr<StaffingPrediction> p = AgentsNeeded(in);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(p.status().message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(BadInputTest, PredictNamesTheValue) {
  auto message = [](absl::StatusOr<StaffingPrediction> p) {
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(p.status().message());
  };
  EXPECT_THAT(message(Predict(-1, 10, kAht, kThreshold, {})), HasSubstr("traffic"));
  EXPECT_THAT(message(Predict(6000, 10, kAht, kThreshold, {})), HasSubstr("6000"));
  EXPECT_THAT(message(Predict(10, 0, kAht, kThreshold, {})), HasSubstr("agents"));
  EXPECT_THAT(message(Predict(10, kMaxAgents + 1, kAht, kThreshold, {})), HasSubstr("10001"));
  EXPECT_THAT(message(Predict(10, 12, absl::Seconds(-3), kThreshold, {})), HasSubstr("-3s"));
  EXPECT_THAT(message(Predict(10, 12, kAht, absl::Seconds(-1), {})), HasSubstr("threshold"));
  EXPECT_THAT(message(Predict(10, 12, kAht, kThreshold, absl::Seconds(-1))),
              HasSubstr("mean_patience"));
}

}  // namespace
}  // namespace acd::core

#include "server/core/erlang.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace acd::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A series stops when its geometric tail bound is below this part of its sum:
// smaller than double rounding, so truncation never shows.
constexpr double kTailEpsilon = 1e-17;
// Up to this many terms, sums are done term by term; beyond, with asymptotic
// expansions (which are accurate to rounding from argument 32 on).
constexpr int64_t kDirectTerms = 256;
constexpr double kAsymptoticFrom = 32.0;

bool IsFinite(absl::Duration d) {
  return d != absl::InfiniteDuration() && d != -absl::InfiniteDuration();
}

// sum_{i=1..m} 1 / (c + i) = digamma(c + m + 1) - digamma(c + 1), c >= 0.
double HarmonicSum(double c, int64_t m) {
  double acc = 0;
  if (m <= kDirectTerms) {
    for (int64_t i = 1; i <= m; ++i) acc += 1.0 / (c + static_cast<double>(i));
    return acc;
  }
  while (c + 1 < kAsymptoticFrom && m > 0) {  // shift into the asymptotic range
    acc += 1.0 / (c + 1);
    c += 1;
    --m;
  }
  // digamma(y) = ln y + g(y) + O(y^-10) (Abramowitz & Stegun 6.3.18); the log
  // difference goes through log1p so a small m/y keeps its precision.
  auto g = [](double y) {
    const double y2 = 1.0 / (y * y);
    return -0.5 / y - y2 * (1.0 / 12 - y2 * (1.0 / 120 - y2 * (1.0 / 252 - y2 / 240)));
  };
  const double y1 = c + 1;
  const double y2 = c + static_cast<double>(m) + 1;
  return acc + std::log1p(static_cast<double>(m) / y1) + (g(y2) - g(y1));
}

// log r_p(z) = sum_{i=1..p} ln(z / (c + i)), z > 0, c >= 0.
double LogTerm(double z, double c, int64_t p) {
  double acc = 0;
  if (p <= kDirectTerms) {
    for (int64_t i = 1; i <= p; ++i) acc += std::log(z / (c + static_cast<double>(i)));
    return acc;
  }
  while (c + 1 < kAsymptoticFrom && p > 0) {
    acc += std::log(z / (c + 1));
    c += 1;
    --p;
  }
  // sum ln(c + i) = lnGamma(x + k) - lnGamma(x) with x = c + 1, k = p, by the
  // Stirling series (A&S 6.1.41) written as differences, so that nothing of
  // size x ln x is formed and cancelled.
  auto phi = [](double y) {
    const double y2 = 1.0 / (y * y);
    return (1.0 / 12 - y2 * (1.0 / 360 - y2 * (1.0 / 1260 - y2 / 1680))) / y;
  };
  const double x = c + 1;
  const double k = static_cast<double>(p);
  return acc + k * std::log(z / (x + k)) - (x - 0.5) * std::log1p(k / x) + k -
         (phi(x + k) - phi(x));
}

// Sums over the Erlang A queue states, all relative to the largest term
// r_peak, so nothing overflows: log R = LogTerm(z, c, peak) + log(sum).
struct QueueSums {
  int64_t peak = 0;
  double sum = 0;            // sum_k r_k
  double answered = 0;       // sum_k r_k P(answered | k ahead)
  double abandoned = 0;      // sum_k r_k P(abandon | k ahead)
  double wait_answered = 0;  // sum_k r_k E[V_k; answered], seconds
};

// Sums r_k(z) for k >= first over the window of terms that matter. With
// weighted, also the per-state answer, abandonment and wait terms for a
// caller who finds k ahead (n_mu = N mu, theta per second, c = n_mu / theta).
QueueSums SumQueue(double z, double c, int64_t first, bool weighted, double n_mu, double theta) {
  QueueSums s;
  if (!(z > 0)) {
    s.peak = first;
    if (first == 0) {  // r_0 = 1, every other term 0
      s.sum = 1;
      s.answered = n_mu / (n_mu + theta);
      s.abandoned = theta / (n_mu + theta);
      s.wait_answered = s.answered / (n_mu + theta);
    }
    return s;
  }
  // Terms rise while z > c + k + 1, so the largest is at floor(z - c).
  const int64_t peak = std::max(first, static_cast<int64_t>(std::floor(std::max(0.0, z - c))));
  s.peak = peak;

  // Walk left to where the terms stop mattering. Going left the ratios
  // (c + k) / z shrink, so the rest is below a geometric series.
  int64_t k = peak;
  double w = 1;
  double left = 0;
  while (k > first) {
    const double ratio = (c + static_cast<double>(k)) / z;
    w *= ratio;
    --k;
    left += w;
    const double next = (c + static_cast<double>(k)) / z;
    if (w == 0 || (next < 1 && w * next / (1 - next) < kTailEpsilon * (1 + left))) break;
  }

  // Sweep right from there; past the peak the ratios z / (c + k + 1) shrink.
  double wait_sum = 0;  // sum_{i=1..k+1} 1 / (n_mu + i theta)
  if (weighted) {
    wait_sum = HarmonicSum(c, k + 1) / theta;  // 1 / (n_mu + i theta) = (1 / (c + i)) / theta
  }
  for (;;) {
    s.sum += w;
    if (weighted) {
      const double rate = n_mu + static_cast<double>(k + 1) * theta;
      const double answer = n_mu / rate;
      s.answered += w * answer;
      s.abandoned += w * (static_cast<double>(k + 1) * theta / rate);
      s.wait_answered += w * answer * wait_sum;
    }
    const double ratio = z / (c + static_cast<double>(k + 1));
    if (k >= peak && (w == 0 || (ratio < 1 && w * ratio / (1 - ratio) < kTailEpsilon * s.sum))) {
      break;
    }
    w *= ratio;
    ++k;
    if (weighted) wait_sum += 1.0 / (n_mu + static_cast<double>(k + 1) * theta);
  }
  return s;
}

absl::Duration SecondsOrInfinite(double s) {
  return std::isfinite(s) ? absl::Seconds(s) : absl::InfiniteDuration();
}

StaffingPrediction PredictErlangC(double a, int n, double aht_s, double t_s) {
  StaffingPrediction p;
  p.agents = n;
  p.traffic_erlangs = a;
  p.p_wait = ErlangC(a, n);
  if (n <= a) {
    p.service_level = 0;
    p.asa = absl::InfiniteDuration();
    p.occupancy = 1;
    return p;
  }
  const double spare = static_cast<double>(n) - a;
  p.service_level = 1 - p.p_wait * std::exp(-spare * t_s / aht_s);
  p.asa = absl::Seconds(p.p_wait * aht_s / spare);
  p.occupancy = a / n;
  return p;
}

StaffingPrediction PredictErlangA(double a, int n, double aht_s, double t_s, double patience_s) {
  const double mu = 1 / aht_s;
  const double theta = 1 / patience_s;
  const double n_mu = n * mu;
  const double b = a * patience_s / aht_s;  // lambda / theta
  const double c = n * patience_s / aht_s;  // N mu / theta

  const double erlang_b = ErlangB(a, n);
  const QueueSums queue = SumQueue(b, c, 0, /*weighted=*/true, n_mu, theta);
  const double log_r = LogTerm(b, c, queue.peak) + std::log(queue.sum);

  // P(wait) = B R / (1 - B + B R) = 1 / (1 + q), q = (1 - B) / (B R), in logs
  // because R may be astronomically large and B vanishingly small.
  const double q = std::exp(std::log1p(-erlang_b) - std::log(erlang_b) - log_r);
  const double p_wait = std::isinf(q) ? 0 : 1 / (1 + q);
  const double p_no_wait = std::isinf(q) ? 1 : q / (1 + q);

  const double answered_if_wait = queue.answered / queue.sum;
  double sl_if_wait = 0;  // P(answered within t | wait)
  if (t_s > 0) {
    const double z = b * std::exp(-theta * t_s);
    const QueueSums late = SumQueue(z, c, 1, /*weighted=*/false, n_mu, theta);
    // (N / A) u^c e^{b (1 - u)} R_1(b u) / R(b): those still waiting at t who
    // will be answered. Both peak terms are large; their ratio is formed
    // directly, r_p2(b u) / r_p1(b) = u^p2 r_p2(b) / r_p1(b), a product over
    // the few indices between the peaks, so no large logs are subtracted.
    const int64_t p1 = queue.peak;
    const int64_t p2 = late.peak;
    const double between = p2 >= p1 ? LogTerm(b, c + static_cast<double>(p1), p2 - p1)
                                    : -LogTerm(b, c + static_cast<double>(p2), p1 - p2);
    const double log_late = -(n_mu + static_cast<double>(p2) * theta) * t_s -
                            b * std::expm1(-theta * t_s) + between + std::log(late.sum) -
                            std::log(queue.sum);
    sl_if_wait = std::max(0.0, answered_if_wait - (n / a) * std::exp(log_late));
  }

  StaffingPrediction p;
  p.agents = n;
  p.traffic_erlangs = a;
  p.p_wait = p_wait;
  const double answered = p_no_wait + p_wait * answered_if_wait;
  p.service_level = std::clamp(p_no_wait + p_wait * sl_if_wait, 0.0, 1.0);
  p.abandonment = p_wait * (queue.abandoned / queue.sum);
  p.asa = answered > 0 ? SecondsOrInfinite(p_wait * (queue.wait_answered / queue.sum) / answered)
                       : absl::InfiniteDuration();
  p.occupancy = std::min(1.0, a * answered / n);
  return p;
}

StaffingPrediction NoTraffic(int agents, bool with_patience) {
  StaffingPrediction p;
  p.agents = agents;
  p.service_level = 1;
  p.asa = absl::ZeroDuration();
  if (with_patience) p.abandonment = 0;
  return p;
}

absl::Status CheckDuration(absl::string_view name, absl::Duration d, bool zero_ok) {
  if (!IsFinite(d) || d < absl::ZeroDuration() || (!zero_ok && d == absl::ZeroDuration())) {
    return absl::InvalidArgumentError(absl::StrCat(name, " must be ",
                                                   zero_ok ? "non-negative" : "positive",
                                                   " and finite, got ", absl::FormatDuration(d)));
  }
  return absl::OkStatus();
}

absl::Status CheckModel(double traffic, absl::Duration aht, absl::Duration threshold,
                        std::optional<absl::Duration> patience) {
  if (!(traffic >= 0 && traffic <= kMaxTrafficErlangs)) {
    return absl::InvalidArgumentError(
        absl::StrCat("traffic must be in [0, ", kMaxTrafficErlangs, "] Erlangs, got ", traffic));
  }
  if (absl::Status s = CheckDuration("aht", aht, false); !s.ok()) return s;
  if (absl::Status s = CheckDuration("threshold", threshold, true); !s.ok()) return s;
  if (patience.has_value()) {
    if (absl::Status s = CheckDuration("mean_patience", *patience, false); !s.ok()) return s;
    if (absl::FDivDuration(*patience, aht) > kMaxPatiencePerAht) {
      return absl::InvalidArgumentError(
          absl::StrCat("mean_patience ", absl::FormatDuration(*patience), " exceeds ",
                       kMaxPatiencePerAht, " x aht ", absl::FormatDuration(aht),
                       "; omit it to use Erlang C (callers never hang up)"));
    }
  }
  return absl::OkStatus();
}

StaffingPrediction PredictChecked(double traffic, int agents, absl::Duration aht,
                                  absl::Duration threshold,
                                  std::optional<absl::Duration> patience) {
  if (traffic == 0) return NoTraffic(agents, patience.has_value());
  const double aht_s = absl::ToDoubleSeconds(aht);
  const double t_s = absl::ToDoubleSeconds(threshold);
  if (patience.has_value()) {
    return PredictErlangA(traffic, agents, aht_s, t_s, absl::ToDoubleSeconds(*patience));
  }
  return PredictErlangC(traffic, agents, aht_s, t_s);
}

bool InOpenUnit(double x) { return x > 0 && x < 1; }

}  // namespace

double ErlangB(double traffic, int agents) {
  if (!(traffic >= 0) || !std::isfinite(traffic) || agents < 0) return kNaN;
  // B(n) = A B(n-1) / (n + A B(n-1)): every step is in [0, 1], no factorials.
  double b = 1;
  for (int n = 1; n <= agents; ++n) b = traffic * b / (n + traffic * b);
  return b;
}

double ErlangC(double traffic, int agents) {
  const double b = ErlangB(traffic, agents);
  if (std::isnan(b)) return kNaN;
  if (traffic == 0) return agents > 0 ? 0 : 1;
  if (agents <= traffic) return 1;
  return agents * b / (agents - traffic * (1 - b));
}

double ServiceLevel(double traffic, int agents, absl::Duration aht, absl::Duration threshold) {
  if (!IsFinite(aht) || aht <= absl::ZeroDuration() || !IsFinite(threshold) ||
      threshold < absl::ZeroDuration()) {
    return kNaN;
  }
  const double c = ErlangC(traffic, agents);
  if (std::isnan(c)) return kNaN;
  if (traffic == 0) return 1;
  if (agents <= traffic) return 0;
  return 1 - c * std::exp(-(agents - traffic) * absl::FDivDuration(threshold, aht));
}

absl::Duration AverageSpeedOfAnswer(double traffic, int agents, absl::Duration aht) {
  const double c = ErlangC(traffic, agents);
  if (std::isnan(c) || !IsFinite(aht) || aht <= absl::ZeroDuration()) {
    return -absl::InfiniteDuration();
  }
  if (traffic == 0) return absl::ZeroDuration();
  if (agents <= traffic) return absl::InfiniteDuration();
  return absl::Seconds(c * absl::ToDoubleSeconds(aht) / (agents - traffic));
}

absl::StatusOr<StaffingPrediction> Predict(double traffic, int agents, absl::Duration aht,
                                           absl::Duration threshold,
                                           std::optional<absl::Duration> patience) {
  if (absl::Status s = CheckModel(traffic, aht, threshold, patience); !s.ok()) return s;
  if (agents < 1 || agents > kMaxAgents) {
    return absl::InvalidArgumentError(
        absl::StrCat("agents must be in [1, ", kMaxAgents, "], got ", agents));
  }
  return PredictChecked(traffic, agents, aht, threshold, patience);
}

absl::StatusOr<StaffingPrediction> AgentsNeeded(const StaffingInput& in) {
  if (!(in.calls_per_interval >= 0) || !std::isfinite(in.calls_per_interval)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "calls_per_interval must be non-negative and finite, got ", in.calls_per_interval));
  }
  if (absl::Status s = CheckDuration("interval", in.interval, false); !s.ok()) return s;
  if (absl::Status s = CheckDuration("aht", in.aht, false); !s.ok()) return s;
  if (!in.service_level.has_value() && !in.max_asa.has_value()) {
    return absl::InvalidArgumentError("no target: set service_level (with threshold) or max_asa");
  }
  if (in.service_level.has_value() && !InOpenUnit(*in.service_level)) {
    return absl::InvalidArgumentError(
        absl::StrCat("service_level must be in (0, 1), got ", *in.service_level));
  }
  if (in.max_asa.has_value()) {
    if (absl::Status s = CheckDuration("max_asa", *in.max_asa, false); !s.ok()) return s;
  }
  if (in.max_abandonment.has_value()) {
    if (!InOpenUnit(*in.max_abandonment)) {
      return absl::InvalidArgumentError(
          absl::StrCat("max_abandonment must be in (0, 1), got ", *in.max_abandonment));
    }
    if (!in.mean_patience.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("max_abandonment ", *in.max_abandonment, " needs mean_patience (Erlang A)"));
    }
  }
  if (!(in.max_occupancy > 0 && in.max_occupancy <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_occupancy must be in (0, 1], got ", in.max_occupancy));
  }
  const double traffic = in.calls_per_interval * absl::FDivDuration(in.aht, in.interval);
  if (!(traffic <= kMaxTrafficErlangs)) {
    return absl::InvalidArgumentError(
        absl::StrCat("traffic ", traffic, " Erlangs (calls_per_interval ", in.calls_per_interval,
                     " x aht ", absl::FormatDuration(in.aht), " / interval ",
                     absl::FormatDuration(in.interval), ") exceeds ", kMaxTrafficErlangs));
  }
  if (absl::Status s = CheckModel(traffic, in.aht, in.threshold, in.mean_patience); !s.ok()) {
    return s;
  }
  if (traffic == 0) return NoTraffic(0, in.mean_patience.has_value());

  auto predict = [&](int n) {
    return PredictChecked(traffic, n, in.aht, in.threshold, in.mean_patience);
  };
  auto meets = [&](const StaffingPrediction& p) {
    return (!in.service_level.has_value() || p.service_level >= *in.service_level) &&
           (!in.max_asa.has_value() || p.asa <= *in.max_asa) &&
           (!in.max_abandonment.has_value() || *p.abandonment <= *in.max_abandonment) &&
           p.occupancy <= in.max_occupancy;
  };
  StaffingPrediction best = predict(kMaxAgents);
  if (!meets(best)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no staffing up to ", kMaxAgents, " agents meets the targets for ", traffic,
                     " Erlangs (at ", kMaxAgents, ": service level ", best.service_level, ", asa ",
                     absl::FormatDuration(best.asa), ", occupancy ", best.occupancy, ")"));
  }
  // Invariant: lo fails (0 agents serve nobody), hi meets.
  int lo = 0;
  int hi = kMaxAgents;
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    StaffingPrediction p = predict(mid);
    if (meets(p)) {
      hi = mid;
      best = p;
    } else {
      lo = mid;
    }
  }
  return best;
}

}  // namespace acd::core

// Text of engine values, for the property test's failure messages and step log.
#include "tests/core/property/text.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "server/core/expr.h"
#include "server/core/schedule.h"
#include "server/core/types.h"
#include "tests/core/property/generator.h"

namespace acd::core::property {

std::string Rel(absl::Time t) {
  if (t == absl::InfinitePast()) return "-inf";
  if (t == absl::InfiniteFuture()) return "+inf";
  return absl::StrCat("+", absl::FormatDuration(t - kT0));
}
std::string Rel(const std::optional<absl::Time>& t) { return t ? Rel(*t) : "-"; }

std::string Text(const SkillLevels& skills) {
  return absl::StrCat("{", absl::StrJoin(skills, ",", absl::PairFormatter(":")), "}");
}
std::string Text(const Attributes& attributes) {
  return absl::StrCat("{", absl::StrJoin(attributes, ",", absl::PairFormatter("=")), "}");
}
std::string Text(const LimitAction& a) {
  switch (a.kind) {
    case LimitAction::Kind::kReject:
      return "reject";
    case LimitAction::Kind::kOverflow:
      return absl::StrCat("overflow:", a.queue);
    case LimitAction::Kind::kDisconnect:
      return "disconnect";
    case LimitAction::Kind::kKeep:
      return "keep";
  }
  return "?";
}

std::string Text(const Call& c) {
  return absl::StrCat(
      c.call_id, " ", CallStateName(c.state), " q=", c.queue, " agent=", c.agent_id,
      " p=", c.priority, " req=", Text(c.required_skills), " eff=", Text(c.effective_skills),
      " attrs=", Text(c.attributes), " enq=", Rel(c.enqueued_at), " off=", Rel(c.offered_at),
      " conn=", Rel(c.connected_at), " end=", Rel(c.ended_at), " done=", Rel(c.completed_at),
      " exp=", Rel(c.offer_expires_at), " disp=", c.disposition.str(), " notes=", c.notes.str(),
      " why=", c.end_reason.str(), " missed=", c.missed_offers, " transfers=", c.transfers,
      " fallback=", c.transfer_fallback.str(), " cb=", c.callback_number.str(), "/",
      c.callback_attempts, "@", Rel(c.callback_requested_at), " pos=", c.position,
      " order=", c.arrival_order);
}

std::string Text(const Agent& a) {
  return absl::StrCat(a.agent_id, " ", AgentStateName(a.state), " name=", a.name,
                      " skills=", Text(a.skills), " queues=", absl::StrJoin(a.queues, ","),
                      " since=", Rel(a.state_since), " idle=", Rel(a.idle_since),
                      " away=", a.away_reason, " call=", a.call_id, " wrap=", Rel(a.wrap_up_until),
                      " handled=", a.calls_handled, " talk=", absl::FormatDuration(a.talk_time),
                      " missed=", a.consecutive_missed_offers, " pending=", a.pending_away_reason);
}

std::string Text(const QueueStats& s) {
  return absl::StrCat(
      s.queue, " q/o/c/w=", s.queued, "/", s.offered, "/", s.connected, "/", s.wrap_up,
      " done/aband/tout/ovf=", s.completed, "/", s.abandoned, "/", s.timed_out, "/", s.overflowed,
      s.open ? " open" : " closed", " agents out/avail/res/busy/wrap/away=", s.agents_logged_out,
      "/", s.agents_available, "/", s.agents_reserved, "/", s.agents_busy, "/", s.agents_wrap_up,
      "/", s.agents_away, " longest=", absl::FormatDuration(s.longest_wait));
}

std::string Text(const QueueConfig& q) {
  std::string out =
      absl::StrCat(q.name, " ", StrategyName(q.strategy), " w=", q.weight,
                   " aging=", q.aging_per_minute, " offer=", absl::FormatDuration(q.offer_timeout),
                   " wrap=", absl::FormatDuration(q.wrap_up_time), " miss=", q.max_missed_offers);
  if (q.max_size > 0) absl::StrAppend(&out, " max_size=", q.max_size, " full->", Text(q.on_full));
  if (q.max_wait > absl::ZeroDuration()) {
    absl::StrAppend(&out, " max_wait=", absl::FormatDuration(q.max_wait), "->", Text(q.on_timeout));
  }
  if (q.max_wait_no_agent > absl::ZeroDuration()) {
    absl::StrAppend(&out, " no_agent=", absl::FormatDuration(q.max_wait_no_agent), "->",
                    Text(q.on_no_agent));
  }
  for (const EscalationStep& s : q.escalation) {
    absl::StrAppend(&out, " esc@", absl::FormatDuration(s.after), "[relax=", Text(s.relax),
                    " drop=", absl::StrJoin(s.drop, ","), " add=", absl::StrJoin(s.add_queues, ","),
                    "]");
  }
  if (!q.schedule.empty()) {
    absl::StrAppend(&out, " schedule=", q.schedule, " closed->", Text(q.on_closed), " waiting->",
                    Text(q.closed_waiting));
  }
  if (q.callback.enabled) {
    const CallbackPolicy& cb = q.callback;
    absl::StrAppend(&out, " callback[offer_over=", absl::FormatDuration(cb.offer_over),
                    " window=", absl::FormatDuration(cb.window),
                    " retry=", absl::FormatDuration(cb.retry_interval),
                    " attempts=", cb.max_attempts, " max_pending=", cb.max_pending, "]");
  }
  return out;
}

std::string Text(const RoutingConfig& c) {
  std::string out;
  for (const QueueConfig& q : c.queues) absl::StrAppend(&out, "  queue ", Text(q), "\n");
  for (const AgentConfig& a : c.agents) {
    absl::StrAppend(&out, "  agent ", a.agent_id, " skills=", Text(a.skills),
                    " queues=", absl::StrJoin(a.queues, ","),
                    " penalties=", absl::StrJoin(a.penalties, ",", absl::PairFormatter(":")), "\n");
  }
  for (const RoutingRule& r : c.rules) {
    absl::StrAppend(&out, "  rule ", r.name, " when ", r.when ? r.when->ToString() : "(always)",
                    " -> ", r.queue, " p=", r.priority ? absl::StrCat(*r.priority) : "-",
                    " skills=", Text(r.skills), "\n");
  }
  for (const Schedule& s : c.schedules) {
    absl::StrAppend(&out, "  schedule ", s.name, ":");
    for (int d = 0; d < 7; ++d) {
      absl::StrAppend(&out, " ", WeekdayName(d).substr(0, 3), "=",
                      absl::StrJoin(s.weekly[d], "+", [](std::string* o, const OpenInterval& i) {
                        absl::StrAppend(o, FormatInterval(i));
                      }));
    }
    for (const absl::CivilDay& h : s.holidays)
      absl::StrAppend(&out, " holiday ", absl::FormatCivilTime(h));
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string Text(const Event& e) {
  return absl::StrCat("#", e.seq, " ", Rel(e.time), " ", EventTypeName(e.type), " call=", e.call_id,
                      " agent=", e.agent_id, " q=", e.queue, " why=", e.reason);
}

}  // namespace acd::core::property

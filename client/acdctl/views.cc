#include "client/acdctl/views.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"

namespace acd::ctl {
namespace {

// Proto maps iterate in no particular order; print them sorted.
template <typename Value>
std::string FormatMap(const google::protobuf::Map<std::string, Value>& map) {
  if (map.empty()) return "-";
  std::vector<std::pair<std::string, Value>> entries(map.begin(), map.end());
  std::sort(entries.begin(), entries.end());
  return absl::StrJoin(entries, ",", absl::PairFormatter("="));
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& values) {
  return values.empty() ? "-" : absl::StrJoin(values, ",");
}

void AddTime(Fields& fields, const char* key, const google::protobuf::Timestamp& ts,
             const Clock& clock) {
  if (IsSet(ts)) fields.emplace_back(key, FormatClockTime(ts, clock));
}

void AddText(Fields& fields, const char* key, const std::string& value) {
  if (!value.empty()) fields.emplace_back(key, value);
}

using Kpis = acd::v1::QueueStats::Kpis;

// "window / today" of one figure, each "-" when absent (nothing to rate).
template <typename Get>
std::string Pair(const Kpis& window, const Kpis& today, Get get) {
  return absl::StrCat(get(window), "/", get(today));
}
std::string SlText(const Kpis& k) {
  return k.has_service_level() ? FormatPercent(k.service_level()) : "-";
}
std::string AbandonText(const Kpis& k) {
  return k.has_abandonment_rate() ? FormatPercent(k.abandonment_rate()) : "-";
}
std::string OccupancyText(const Kpis& k) {
  return k.has_occupancy() ? FormatPercent(k.occupancy()) : "-";
}
std::string AsaText(const Kpis& k) { return k.has_asa() ? FormatShortDuration(k.asa()) : "-"; }
std::string AhtText(const Kpis& k) { return k.has_aht() ? FormatShortDuration(k.aht()) : "-"; }

bool IsAgentReport(const acd::v1::GetReportResponse& report) { return !report.agent_id().empty(); }

std::string Percent(bool has, double fraction) { return has ? FormatPercent(fraction) : "-"; }

std::string Fraction(bool has, double fraction) {
  return has ? absl::StrFormat("%.4f", fraction) : "";
}

std::string ShortDuration(bool has, const google::protobuf::Duration& d) {
  return has ? FormatShortDuration(d) : "-";
}

std::string Seconds(bool has, const google::protobuf::Duration& d) {
  return has ? absl::StrFormat("%.3f", absl::ToDoubleSeconds(ToDuration(d))) : "";
}

std::string Rfc3339(const google::protobuf::Timestamp& ts, const Clock& clock) {
  return absl::FormatTime(absl::RFC3339_sec, ToTime(ts), clock.zone);
}

// "09:00-10:00", with the date when the report spans more than one day.
std::string IntervalLabel(const acd::v1::ReportRow& row, bool with_date, const Clock& clock) {
  return absl::StrCat(
      absl::FormatTime(with_date ? "%Y-%m-%d %H:%M" : "%H:%M", ToTime(row.start()), clock.zone),
      "-", absl::FormatTime("%H:%M", ToTime(row.end()), clock.zone));
}

}  // namespace

std::string ReportHeading(const acd::v1::GetReportResponse& report, const Clock& clock) {
  const acd::v1::ReportRow& total = report.total();
  std::string heading = IsAgentReport(report) ? absl::StrCat("agent ", report.agent_id())
                                              : absl::StrCat("queue ", report.queue());
  absl::StrAppend(&heading, ", ",
                  absl::FormatTime("%Y-%m-%d %H:%M", ToTime(total.start()), clock.zone), " to ",
                  absl::FormatTime("%Y-%m-%d %H:%M", ToTime(total.end()), clock.zone), " ",
                  absl::FormatTime("%Z", ToTime(total.start()), clock.zone), ", ",
                  absl::ToInt64Minutes(ToDuration(report.interval())), "-minute intervals");
  if (report.has_service_level_threshold()) {
    absl::StrAppend(&heading, ", service level within ",
                    FormatShortDuration(report.service_level_threshold()),
                    ", short abandons under ", FormatShortDuration(report.short_abandon()));
  }
  return heading;
}

Table ReportTable(const acd::v1::GetReportResponse& report, const Clock& clock) {
  const acd::v1::ReportRow& total = report.total();
  const bool with_date = absl::ToCivilDay(ToTime(total.start()), clock.zone) !=
                         absl::ToCivilDay(ToTime(total.end()) - absl::Nanoseconds(1), clock.zone);
  if (IsAgentReport(report)) {
    Table table({"INTERVAL", "ANSWERED", "HANDLED", "ASA", "AHT", "TRANSFERS", "CALLBACKS"});
    auto add = [&](const acd::v1::ReportRow& r, std::string label) {
      table.AddRow({std::move(label), absl::StrCat(r.answered()), absl::StrCat(r.handled()),
                    ShortDuration(r.has_asa(), r.asa()), ShortDuration(r.has_aht(), r.aht()),
                    absl::StrCat(r.transfers()), absl::StrCat(r.callbacks())});
    };
    for (const auto& row : report.intervals()) add(row, IntervalLabel(row, with_date, clock));
    add(total, "total");
    return table;
  }
  Table table({"INTERVAL", "OFFERED", "ANSWERED", "ABANDONED", "SHORT", "TIMED-OUT", "SL",
               "ABANDON%", "ASA", "AHT", "TRANSFERS", "CALLBACKS"});
  auto add = [&](const acd::v1::ReportRow& r, std::string label) {
    table.AddRow({std::move(label), absl::StrCat(r.offered()), absl::StrCat(r.answered()),
                  absl::StrCat(r.abandoned()), absl::StrCat(r.short_abandoned()),
                  absl::StrCat(r.timed_out()), Percent(r.has_service_level(), r.service_level()),
                  Percent(r.has_abandonment_rate(), r.abandonment_rate()),
                  ShortDuration(r.has_asa(), r.asa()), ShortDuration(r.has_aht(), r.aht()),
                  absl::StrCat(r.transfers()), absl::StrCat(r.callbacks())});
  };
  for (const auto& row : report.intervals()) add(row, IntervalLabel(row, with_date, clock));
  add(total, "total");
  return table;
}

Table ReportCsv(const acd::v1::GetReportResponse& report, const Clock& clock) {
  if (IsAgentReport(report)) {
    Table table({"row", "start", "end", "answered", "answered_in_threshold", "handled", "transfers",
                 "callbacks", "asa_seconds", "aht_seconds"});
    auto add = [&](const acd::v1::ReportRow& r, const char* kind) {
      table.AddRow({kind, Rfc3339(r.start(), clock), Rfc3339(r.end(), clock),
                    absl::StrCat(r.answered()), absl::StrCat(r.answered_in_threshold()),
                    absl::StrCat(r.handled()), absl::StrCat(r.transfers()),
                    absl::StrCat(r.callbacks()), Seconds(r.has_asa(), r.asa()),
                    Seconds(r.has_aht(), r.aht())});
    };
    for (const auto& row : report.intervals()) add(row, "interval");
    add(report.total(), "total");
    return table;
  }
  Table table({"row", "start", "end", "offered", "answered", "answered_in_threshold", "abandoned",
               "short_abandoned", "timed_out", "handled", "transfers", "callbacks", "service_level",
               "abandonment_rate", "asa_seconds", "aht_seconds"});
  auto add = [&](const acd::v1::ReportRow& r, const char* kind) {
    table.AddRow({kind, Rfc3339(r.start(), clock), Rfc3339(r.end(), clock),
                  absl::StrCat(r.offered()), absl::StrCat(r.answered()),
                  absl::StrCat(r.answered_in_threshold()), absl::StrCat(r.abandoned()),
                  absl::StrCat(r.short_abandoned()), absl::StrCat(r.timed_out()),
                  absl::StrCat(r.handled()), absl::StrCat(r.transfers()),
                  absl::StrCat(r.callbacks()), Fraction(r.has_service_level(), r.service_level()),
                  Fraction(r.has_abandonment_rate(), r.abandonment_rate()),
                  Seconds(r.has_asa(), r.asa()), Seconds(r.has_aht(), r.aht())});
  };
  for (const auto& row : report.intervals()) add(row, "interval");
  add(report.total(), "total");
  return table;
}

std::string FormatPercent(double fraction) { return absl::StrFormat("%.1f%%", 100 * fraction); }

std::string FormatSkills(const google::protobuf::Map<std::string, int32_t>& skills) {
  return FormatMap(skills);
}

std::string FormatAttributes(const google::protobuf::Map<std::string, std::string>& attributes) {
  return FormatMap(attributes);
}

std::string AgentStateText(const acd::v1::Agent& agent) {
  std::string text = Label(agent.state());
  if (agent.state() == acd::v1::AGENT_STATE_AWAY && !agent.away_reason().empty()) {
    absl::StrAppend(&text, " (", agent.away_reason(), ")");
  }
  if (!agent.pending_away_reason().empty()) {
    absl::StrAppend(&text, ", then away (", agent.pending_away_reason(), ")");
  }
  return text;
}

std::string CallWait(const acd::v1::Call& call, const Clock& clock) {
  if (!IsSet(call.enqueued_at())) return "-";
  absl::Time end = clock.now;
  if (IsSet(call.connected_at())) {
    end = ToTime(call.connected_at());
  } else if (IsSet(call.ended_at())) {
    end = ToTime(call.ended_at());
  } else if (IsSet(call.completed_at())) {
    end = ToTime(call.completed_at());
  }
  return FormatShortDuration(std::max(absl::ZeroDuration(), end - ToTime(call.enqueued_at())));
}

Fields CallFields(const acd::v1::Call& call, const Clock& clock) {
  Fields fields = {
      {"call", call.call_id()},
      {"queue", OrDash(call.queue())},
      {"state", Label(call.state())},
  };
  if (call.position() > 0) fields.emplace_back("position", absl::StrCat(call.position()));
  if (call.has_estimated_wait()) {
    fields.emplace_back("estimated wait", FormatShortDuration(call.estimated_wait()));
  }
  fields.emplace_back("priority", absl::StrCat(call.priority()));
  fields.emplace_back("skills", FormatSkills(call.required_skills()));
  if (std::map<std::string, int>(call.effective_skills().begin(), call.effective_skills().end()) !=
      std::map<std::string, int>(call.required_skills().begin(), call.required_skills().end())) {
    fields.emplace_back("skills now", FormatSkills(call.effective_skills()));
  }
  fields.emplace_back("attributes", FormatAttributes(call.attributes()));
  fields.emplace_back("agent", OrDash(call.agent_id()));
  fields.emplace_back("enqueued", FormatClockTime(call.enqueued_at(), clock));
  fields.emplace_back("waited", CallWait(call, clock));
  AddTime(fields, "offered", call.offered_at(), clock);
  if (call.state() == acd::v1::CALL_STATE_OFFERED) {
    AddTime(fields, "offer expires", call.offer_expires_at(), clock);
  }
  AddTime(fields, "connected", call.connected_at(), clock);
  AddTime(fields, "ended", call.ended_at(), clock);
  AddTime(fields, "completed", call.completed_at(), clock);
  AddText(fields, "disposition", call.disposition());
  AddText(fields, "notes", call.notes());
  AddText(fields, "end reason", call.end_reason());
  if (call.missed_offers() > 0) {
    fields.emplace_back("missed offers", absl::StrCat(call.missed_offers()));
  }
  if (call.transfers() > 0) fields.emplace_back("transfers", absl::StrCat(call.transfers()));
  if (!call.callback_number().empty()) {
    fields.emplace_back("callback", call.callback_number());
    AddTime(fields, "callback asked", call.callback_requested_at(), clock);
    fields.emplace_back("failed dials", absl::StrCat(call.callback_attempts()));
  }
  return fields;
}

Fields AgentFields(const acd::v1::Agent& agent, const Clock& clock) {
  Fields fields = {
      {"agent", agent.agent_id()},
      {"name", OrDash(agent.name())},
      {"state", AgentStateText(agent)},
  };
  if (IsSet(agent.state_since())) {
    fields.emplace_back(
        "since",
        absl::StrCat(FormatClockTime(agent.state_since(), clock), " (",
                     FormatShortDuration(clock.now - ToTime(agent.state_since())), " ago)"));
  }
  fields.emplace_back("call", OrDash(agent.call_id()));
  AddTime(fields, "wrap-up until", agent.wrap_up_until(), clock);
  fields.emplace_back("queues", Join(agent.queues()));
  fields.emplace_back("skills", FormatSkills(agent.skills()));
  fields.emplace_back("calls handled", absl::StrCat(agent.calls_handled()));
  fields.emplace_back("talk time", FormatShortDuration(agent.talk_time()));
  fields.emplace_back("missed offers", absl::StrCat(agent.consecutive_missed_offers()));
  return fields;
}

Fields QueueStatsFields(const acd::v1::QueueStats& s) {
  return {
      {"queue", s.queue()},
      {"open", s.open() ? "yes" : "no (closed by its schedule)"},
      {"queued", absl::StrCat(s.queued())},
      {"offered", absl::StrCat(s.offered())},
      {"connected", absl::StrCat(s.connected())},
      {"wrap-up", absl::StrCat(s.wrap_up())},
      {"completed", absl::StrCat(s.completed())},
      {"abandoned", absl::StrCat(s.abandoned())},
      {"timed out", absl::StrCat(s.timed_out())},
      {"overflowed", absl::StrCat(s.overflowed())},
      {"longest wait", FormatShortDuration(s.longest_wait())},
      {"agents available", absl::StrCat(s.agents_available())},
      {"agents reserved", absl::StrCat(s.agents_reserved())},
      {"agents busy", absl::StrCat(s.agents_busy())},
      {"agents wrap-up", absl::StrCat(s.agents_wrap_up())},
      {"agents away", absl::StrCat(s.agents_away())},
      {"agents logged out", absl::StrCat(s.agents_logged_out())},
      // The live KPIs (config/README.md#kpis).
      {"offered (window/today)",
       Pair(s.window(), s.today(), [](const Kpis& k) { return k.offered(); })},
      {"answered (window/today)",
       Pair(s.window(), s.today(), [](const Kpis& k) { return k.answered(); })},
      {"abandoned, short (window/today)",
       Pair(s.window(), s.today(),
            [](const Kpis& k) { return absl::StrCat(k.abandoned(), ",", k.short_abandoned()); })},
      {"service level (window/today)", Pair(s.window(), s.today(), SlText)},
      {"ASA (window/today)", Pair(s.window(), s.today(), AsaText)},
      {"abandonment (window/today)", Pair(s.window(), s.today(), AbandonText)},
      {"AHT (window/today)", Pair(s.window(), s.today(), AhtText)},
      {"occupancy (window/today)", Pair(s.window(), s.today(), OccupancyText)},
  };
}

std::string WallboardTitle(const acd::v1::StatsSnapshot& snapshot, const Clock& clock) {
  return absl::StrCat("acd wallboard  ", FormatClockTime(snapshot.time(), clock), "  window ",
                      FormatShortDuration(snapshot.window()), "/today");
}

Table WallboardTable(const acd::v1::StatsSnapshot& snapshot) {
  Table table({"QUEUE", "WAITING", "LONGEST", "AVAIL", "BUSY", "WRAP", "AWAY", "SL", "ASA",
               "ABANDON", "AHT", "OCCUPANCY"});
  for (const acd::v1::QueueStats& s : snapshot.queues()) {
    const Kpis& w = s.window();
    const Kpis& d = s.today();
    table.AddRow({s.open() ? s.queue() : absl::StrCat(s.queue(), " (closed)"),
                  absl::StrCat(s.queued() + s.offered()), FormatShortDuration(s.longest_wait()),
                  absl::StrCat(s.agents_available()),
                  absl::StrCat(s.agents_reserved() + s.agents_busy()),
                  absl::StrCat(s.agents_wrap_up()), absl::StrCat(s.agents_away()),
                  Pair(w, d, SlText), Pair(w, d, AsaText), Pair(w, d, AbandonText),
                  Pair(w, d, AhtText), Pair(w, d, OccupancyText)});
  }
  return table;
}

Table WallboardAgentsTable(const acd::v1::StatsSnapshot& snapshot, const Clock& clock) {
  Table table({"AGENT", "STATE", "FOR", "HANDLED", "AHT", "OCCUPANCY", "AVAIL-TODAY", "BUSY-TODAY",
               "WRAP-TODAY", "AWAY-TODAY"});
  for (const acd::v1::AgentStats& a : snapshot.agents()) {
    const Kpis& w = a.window();
    const Kpis& d = a.today();
    absl::Duration held = IsSet(a.state_since()) ? ToTime(snapshot.time()) - ToTime(a.state_since())
                                                 : absl::ZeroDuration();
    table.AddRow({a.agent_id(), Label(a.state()), FormatShortDuration(held),
                  Pair(w, d, [](const Kpis& k) { return k.handled(); }), Pair(w, d, AhtText),
                  Pair(w, d, OccupancyText), FormatShortDuration(d.available_time()),
                  FormatShortDuration(ToDuration(d.reserved_time()) + ToDuration(d.busy_time())),
                  FormatShortDuration(d.wrap_up_time()), FormatShortDuration(d.away_time())});
  }
  return table;
}

Table QueuesTable(const acd::v1::ListQueuesResponse& response) {
  Table table({"QUEUE", "OPEN", "QUEUED", "OFFERED", "CONNECTED", "WRAP-UP", "AVAILABLE", "BUSY",
               "AWAY", "LONGEST-WAIT", "STRATEGY"});
  for (const auto& queue : response.queues()) {
    const auto& s = queue.stats();
    table.AddRow({queue.name(), s.open() ? "yes" : "closed", absl::StrCat(s.queued()),
                  absl::StrCat(s.offered()), absl::StrCat(s.connected()), absl::StrCat(s.wrap_up()),
                  absl::StrCat(s.agents_available()), absl::StrCat(s.agents_busy()),
                  absl::StrCat(s.agents_away()), FormatShortDuration(s.longest_wait()),
                  OrDash(queue.strategy())});
  }
  return table;
}

Table AgentsTable(const acd::v1::ListAgentsResponse& response, const Clock& clock) {
  Table table(
      {"AGENT", "NAME", "STATE", "SINCE", "CALL", "HANDLED", "TALK", "MISSED", "QUEUES", "SKILLS"});
  for (const auto& agent : response.agents()) {
    table.AddRow({agent.agent_id(), OrDash(agent.name()), AgentStateText(agent),
                  FormatClockTime(agent.state_since(), clock), OrDash(agent.call_id()),
                  absl::StrCat(agent.calls_handled()), FormatShortDuration(agent.talk_time()),
                  absl::StrCat(agent.consecutive_missed_offers()), Join(agent.queues()),
                  FormatSkills(agent.skills())});
  }
  return table;
}

Table CallsTable(const acd::v1::ListCallsResponse& response, const Clock& clock) {
  Table table({"CALL", "QUEUE", "STATE", "PRIO", "POS", "AGENT", "ENQUEUED", "WAIT", "SKILLS"});
  for (const auto& call : response.calls()) {
    table.AddRow({call.call_id(), OrDash(call.queue()), Label(call.state()),
                  absl::StrCat(call.priority()),
                  call.position() > 0 ? absl::StrCat(call.position()) : "-",
                  OrDash(call.agent_id()), FormatClockTime(call.enqueued_at(), clock),
                  CallWait(call, clock), FormatSkills(call.required_skills())});
  }
  return table;
}

StreamTable EventStreamTable() {
  return StreamTable({{"SEQ", 6},
                      {"TIME", 8},
                      {"TYPE", 19},
                      {"CALL", 12},
                      {"AGENT", 10},
                      {"QUEUE", 10},
                      {"REASON", 0}});
}

std::vector<std::string> EventRow(const acd::v1::Event& event, const Clock& clock) {
  return {absl::StrCat(event.seq()), FormatClockTime(event.time(), clock),
          Label(event.type()),       OrDash(event.call_id()),
          OrDash(event.agent_id()),  OrDash(event.queue()),
          OrDash(event.reason())};
}

StreamTable OfferStreamTable() {
  return StreamTable(
      {{"TIME", 8}, {"UPDATE", 9}, {"CALL", 12}, {"QUEUE", 10}, {"PRIO", 4}, {"DETAIL", 0}});
}

std::vector<std::string> OfferRow(const acd::v1::OfferUpdate& update, const Clock& clock) {
  const std::string now = FormatClockTime(clock.now, clock);
  if (update.has_withdrawn()) {
    return {now, "withdrawn", update.withdrawn().call_id(),
            "-", "-",         absl::StrCat("reason ", OrDash(update.withdrawn().reason()))};
  }
  const acd::v1::Call& call = update.offer().call();
  std::string detail = absl::StrCat("expires ", FormatClockTime(call.offer_expires_at(), clock),
                                    ", waited ", CallWait(call, clock));
  if (!call.required_skills().empty()) {
    absl::StrAppend(&detail, ", skills ", FormatSkills(call.required_skills()));
  }
  if (!call.attributes().empty()) {
    absl::StrAppend(&detail, ", attrs ", FormatAttributes(call.attributes()));
  }
  return {now,   "offer", call.call_id(), OrDash(call.queue()), absl::StrCat(call.priority()),
          detail};
}

std::vector<std::string> AcceptedRow(const acd::v1::Call& call, const Clock& clock) {
  return {FormatClockTime(clock.now, clock),
          "accepted",
          call.call_id(),
          OrDash(call.queue()),
          absl::StrCat(call.priority()),
          absl::StrCat("now ", Label(call.state()))};
}

}  // namespace acd::ctl

#include "client/acdctl/commands.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/acdctl/args.h"
#include "client/acdctl/verbs.h"

namespace acd::ctl {
namespace {

using Action = std::function<int()>;
using Run = std::function<int(const Invocation&)>;

constexpr char kGlobalFlagsNote[] =
    "Global flags (--server, -o/--output, --timeout) go before or after the verb; "
    "see 'acdctl --help'.";

// "call enqueue" for the enqueue subcommand of call; "" for the top level.
std::string VerbName(const CLI::App* app) {
  std::vector<std::string> names;
  for (; app != nullptr && app->get_parent() != nullptr; app = app->get_parent()) {
    names.push_back(app->get_name());
  }
  std::reverse(names.begin(), names.end());
  return absl::StrJoin(names, " ");
}

// The subcommand the parse got furthest into, for naming it in errors.
const CLI::App* DeepestParsed(const CLI::App* app) {
  while (!app->get_subcommands().empty()) app = app->get_subcommands().front();
  return app;
}

std::string FailureMessage(const CLI::App* app, const CLI::Error& error) {
  const CLI::App* at = DeepestParsed(app);
  const std::string verb = VerbName(at);
  const std::string where = verb.empty() ? "" : absl::StrCat(verb, ": ");
  const std::string help = verb.empty() ? "--help" : absl::StrCat(verb, " --help");
  std::string message = error.what();
  // CLI11 says "A subcommand is required" both for `acdctl call` and for
  // `acdctl call bogus`; say which, and what the choices are.
  const std::string no_verb = CLI::RequiredError::Subcommand(1).what();
  if (message == no_verb && at->get_subcommands().empty()) {
    // Option groups ("Security") are nameless subcommands to CLI11: not verbs.
    std::vector<std::string> verbs;
    for (const CLI::App* sub :
         at->get_subcommands([](const CLI::App* sub) { return !sub->get_name().empty(); })) {
      verbs.push_back(sub->get_name());
    }
    // With fallthrough the stray word lands on the top-level app.
    const std::vector<std::string> extra = app->remaining(/*recurse=*/true);
    message = absl::StrCat(
        extra.empty() ? "missing verb" : absl::StrCat("unknown verb '", extra.front(), "'"),
        "; want one of ", absl::StrJoin(verbs, ", "));
  }
  return absl::StrCat("acdctl: ", where, message, "\nRun 'acdctl ", help, "' for usage.\n");
}

// Adds subcommands and makes the chosen one the action.
class Registrar {
 public:
  Registrar(const GlobalOptions* global, Action* action) : global_(global), action_(action) {}

  // A noun that only groups verbs ("call", "agent"): one of them is required.
  CLI::App* Group(CLI::App* parent, const std::string& name, const std::string& description) {
    CLI::App* group = parent->add_subcommand(name, description);
    group->require_subcommand(1);
    group->footer(absl::StrCat("Run 'acdctl ", VerbName(group), " VERB --help' for a verb.\n",
                               kGlobalFlagsNote));
    return group;
  }

  // A verb. `run` is called with the verb's Invocation if the parse picks it.
  // Only verbs that say so print CSV; the others refuse -o csv.
  CLI::App* Verb(CLI::App* parent, const std::string& name, const std::string& description,
                 const std::string& example, Run run, bool csv = false) {
    CLI::App* verb = parent->add_subcommand(name, description);
    verb->footer(absl::StrCat("Example:\n  ", example, "\n\n", kGlobalFlagsNote));
    const Invocation inv{global_, VerbName(verb)};
    Action* action = action_;
    verb->callback([action, inv, run, csv] {
      *action = [inv, run, csv] {
        if (inv.csv() && !csv)
          return ReportUsageError(inv, "-o csv is for reports; use table or json");
        return run(inv);
      };
    });
    return verb;
  }

 private:
  const GlobalOptions* global_;
  Action* action_;
};

void AddGlobalFlags(CLI::App& app, GlobalOptions& global) {
  app.add_option("--server", global.server, "acdd address")
      ->type_name("HOST:PORT")
      ->envname(kServerEnv)
      ->capture_default_str();
  app.add_option("-o,--output", global.output, "Output format (csv: report only)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->capture_default_str();
  app.add_option("--timeout", global.timeout_seconds, "Deadline of each RPC, in seconds")
      ->type_name("SECONDS")
      ->check(PositiveValidator())
      ->capture_default_str();
  AddCredentialFlags(app, global.credentials);
}

void AddCallVerbs(Registrar& r, CLI::App& app) {
  CLI::App* call = r.Group(&app, "call", "Calls, as a telephony integrator drives them");

  auto enqueue = std::make_shared<CallEnqueueArgs>();
  CLI::App* v = r.Verb(call, "enqueue", "Put a call in a queue (idempotent on CALL_ID)",
                       "acdctl call enqueue c-1001 --queue sales --priority 5 --skill spanish=5 "
                       "--attr caller=+15551234",
                       [enqueue](const Invocation& inv) { return RunCallEnqueue(inv, *enqueue); });
  v->add_option("CALL_ID", enqueue->call_id, "The integrator's id of the call")->required();
  v->add_option("--queue", enqueue->queue, "Queue to put the call in")->required();
  v->add_option("--priority", enqueue->priority, "Priority; higher goes first")
      ->capture_default_str();
  v->add_option("--skill", enqueue->skills, "Required skill and minimum level; repeatable")
      ->type_name("NAME=LEVEL")
      ->allow_extra_args(false)
      ->check(SkillValidator());
  v->add_option("--attr", enqueue->attributes, "Call attribute; repeatable")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false)
      ->check(AttributeValidator());

  auto get = std::make_shared<CallArgs>();
  v = r.Verb(call, "get", "Show a call", "acdctl call get c-1001",
             [get](const Invocation& inv) { return RunCallGet(inv, *get); });
  v->add_option("CALL_ID", get->call_id, "The call")->required();

  auto abandon = std::make_shared<CallArgs>();
  v = r.Verb(call, "abandon", "The caller hung up while queued or offered",
             "acdctl call abandon c-1001 --reason caller_hangup",
             [abandon](const Invocation& inv) { return RunCallAbandon(inv, *abandon); });
  v->add_option("CALL_ID", abandon->call_id, "The call")->required();
  v->add_option("--reason", abandon->reason, "Why; the server defaults to caller_hangup");

  auto end = std::make_shared<CallArgs>();
  v = r.Verb(call, "end", "The conversation ended; the agent goes to wrap-up",
             "acdctl call end c-1001",
             [end](const Invocation& inv) { return RunCallEnd(inv, *end); });
  v->add_option("CALL_ID", end->call_id, "The call")->required();

  auto callback = std::make_shared<CallCallbackArgs>();
  v = r.Verb(call, "callback",
             "The caller hangs up and is called back, keeping their place in the queue",
             "acdctl call callback c-1001 --number +15551234567",
             [callback](const Invocation& inv) { return RunCallCallback(inv, *callback); });
  v->add_option("CALL_ID", callback->call_id, "The call (queued)")->required();
  v->add_option("--number", callback->number, "Number to dial: digits, a leading +, * or #")
      ->required();

  auto callback_failed = std::make_shared<CallCallbackArgs>();
  v = r.Verb(call, "callback-failed",
             "The dial of an accepted callback failed: retry later or give up",
             "acdctl call callback-failed c-1001 --reason no_answer",
             [callback_failed](const Invocation& inv) {
               return RunCallCallbackFailed(inv, *callback_failed);
             });
  v->add_option("CALL_ID", callback_failed->call_id, "The callback (connected)")->required();
  v->add_option("--reason", callback_failed->reason, "Why; the server defaults to no_answer");

  auto transfer = std::make_shared<CallTransferArgs>();
  v = r.Verb(call, "transfer", "Send a connected call to a queue or to one agent",
             "acdctl call transfer c-1001 --queue billing --priority 7\n"
             "  acdctl call transfer c-1001 --agent bob --fallback billing",
             [transfer](const Invocation& inv) { return RunCallTransfer(inv, *transfer); });
  v->add_option("CALL_ID", transfer->call_id, "The call")->required();
  v->add_option("--queue", transfer->queue, "Queue to send the call to");
  v->add_option("--agent", transfer->agent_id, "Agent to offer the call to (must be available)");
  v->add_option("--priority", transfer->priority, "With --queue: raise the priority to this");
  v->add_option("--fallback", transfer->fallback,
                "With --agent: queue for the call if the agent does not take it");

  auto move = std::make_shared<CallMoveArgs>();
  v = r.Verb(call, "move", "Move a waiting call to another queue (supervisor)",
             "acdctl call move c-1001 --queue billing",
             [move](const Invocation& inv) { return RunCallMove(inv, *move); });
  v->add_option("CALL_ID", move->call_id, "The call")->required();
  v->add_option("--queue", move->queue, "Queue to move it to")->required();
}

void AddAgentVerbs(Registrar& r, CLI::App& app) {
  CLI::App* agent = r.Group(&app, "agent", "Agent state and offers, as an agent desktop does");

  auto login = std::make_shared<AgentArgs>();
  CLI::App* v = r.Verb(agent, "login", "Log an agent in (away, unless --ready)",
                       "acdctl agent login alice --ready",
                       [login](const Invocation& inv) { return RunAgentLogin(inv, *login); });
  v->add_option("AGENT_ID", login->agent_id, "The agent, as configured")->required();
  v->add_flag("--ready", login->ready, "Be available for calls at once");

  auto logout = std::make_shared<AgentArgs>();
  v = r.Verb(agent, "logout", "Log an agent out", "acdctl agent logout alice",
             [logout](const Invocation& inv) { return RunAgentLogout(inv, *logout); });
  v->add_option("AGENT_ID", logout->agent_id, "The agent")->required();

  auto ready = std::make_shared<AgentArgs>();
  v = r.Verb(agent, "ready", "Make an agent available for calls", "acdctl agent ready alice",
             [ready](const Invocation& inv) { return RunAgentReady(inv, *ready); });
  v->add_option("AGENT_ID", ready->agent_id, "The agent")->required();

  auto away = std::make_shared<AgentArgs>();
  v = r.Verb(agent, "away", "Take an agent off calls (after the current one)",
             "acdctl agent away alice --reason lunch",
             [away](const Invocation& inv) { return RunAgentAway(inv, *away); });
  v->add_option("AGENT_ID", away->agent_id, "The agent")->required();
  v->add_option("--reason", away->reason, "Why, e.g. break or lunch; the server defaults to away");

  auto offers = std::make_shared<AgentOffersArgs>();
  v = r.Verb(agent, "offers",
             "Print offers and withdrawals for an agent as they come, until Ctrl-C",
             "acdctl agent offers alice --accept --count 1",
             [offers](const Invocation& inv) { return RunAgentOffers(inv, *offers); });
  v->add_option("AGENT_ID", offers->agent_id, "The agent")->required();
  v->add_flag("--accept", offers->accept, "Accept each offer as it arrives");
  v->add_option("--count", offers->count, "Exit after N offers")
      ->type_name("N")
      ->check(PositiveValidator());

  auto accept = std::make_shared<AgentCallArgs>();
  v = r.Verb(agent, "accept", "Accept the call offered to an agent",
             "acdctl agent accept alice c-1001",
             [accept](const Invocation& inv) { return RunAgentAccept(inv, *accept); });
  v->add_option("AGENT_ID", accept->agent_id, "The agent")->required();
  v->add_option("CALL_ID", accept->call_id, "The offered call")->required();

  auto reject = std::make_shared<AgentCallArgs>();
  v = r.Verb(agent, "reject", "Reject an offer; the call goes back to its place in the queue",
             "acdctl agent reject alice c-1001 --reason busy",
             [reject](const Invocation& inv) { return RunAgentReject(inv, *reject); });
  v->add_option("AGENT_ID", reject->agent_id, "The agent")->required();
  v->add_option("CALL_ID", reject->call_id, "The offered call")->required();
  v->add_option("--reason", reject->reason, "Why");

  auto complete = std::make_shared<AgentCallArgs>();
  v = r.Verb(agent, "complete", "End wrap-up of a call with a disposition and notes",
             "acdctl agent complete alice c-1001 --disposition sale --notes 'renewal, 2 years'",
             [complete](const Invocation& inv) { return RunAgentComplete(inv, *complete); });
  v->add_option("AGENT_ID", complete->agent_id, "The agent")->required();
  v->add_option("CALL_ID", complete->call_id, "The call in wrap-up")->required();
  v->add_option("--disposition", complete->disposition, "Outcome code, e.g. sale");
  v->add_option("--notes", complete->notes, "Free text kept with the call");
}

void AddAdminVerbs(Registrar& r, CLI::App& app) {
  r.Verb(&app, "queues", "List queues with live call and agent counts", "acdctl queues",
         [](const Invocation& inv) { return RunQueues(inv); });

  CLI::App* queue = r.Group(&app, "queue", "One queue");
  auto stats = std::make_shared<QueueArgs>();
  CLI::App* v = r.Verb(queue, "stats", "Show a queue's statistics", "acdctl queue stats sales",
                       [stats](const Invocation& inv) { return RunQueueStats(inv, *stats); });
  v->add_option("QUEUE", stats->queue, "The queue")->required();

  auto watch = std::make_shared<WatchArgs>();
  v = r.Verb(&app, "watch",
             "Live wallboard: per queue waiting, longest wait, agents available/busy/wrap/away "
             "(busy includes being offered a call) and SL, ASA, abandon %, AHT, occupancy as "
             "window/today; redrawn until Ctrl-C",
             "acdctl watch --queue sales --queue support --interval 2s",
             [watch](const Invocation& inv) { return RunWatch(inv, *watch); });
  v->add_option("--queue", watch->queues, "Only this queue (repeat for more); default: all")
      ->type_name("QUEUE");
  v->add_option("--interval", watch->interval, "Between redraws, from 200ms to 60s")
      ->capture_default_str();
  v->add_flag("--once", watch->once, "Print one snapshot and exit (for scripts)");
  v->add_flag("--agents", watch->agents,
              "Also one row per agent of those queues: calls handled, AHT, occupancy, time in "
              "each state today");

  auto agents = std::make_shared<QueueArgs>();
  v = r.Verb(&app, "agents", "List agents and their states", "acdctl agents --queue sales",
             [agents](const Invocation& inv) { return RunAgents(inv, *agents); });
  v->add_option("--queue", agents->queue, "Only members of this queue");

  auto calls = std::make_shared<CallsArgs>();
  v = r.Verb(&app, "calls", "List live calls, oldest first",
             "acdctl calls --queue sales --state queued,offered --limit 20",
             [calls](const Invocation& inv) { return RunCalls(inv, *calls); });
  v->add_option("--queue", calls->queue, "Only calls of this queue");
  v->add_option("--state", calls->states,
                "Only calls in these states (queued, offered, connected, wrap_up, ...); "
                "default: every live state")
      ->type_name("STATE")
      ->delimiter(',')
      ->check(CallStateValidator());
  v->add_option("--limit", calls->limit, "At most N calls; the server defaults to 1000")
      ->type_name("N")
      ->check(NonNegativeValidator());

  auto staffing = std::make_shared<StaffingArgs>();
  v = r.Verb(&app, "staffing", "Agents a forecast needs (Erlang C; Erlang A with --patience)",
             "acdctl staffing --calls 100 --interval 30m --aht 3m --sl 0.8 --threshold 20s",
             [staffing](const Invocation& inv) { return RunStaffing(inv, *staffing); });
  v->add_option("--calls", staffing->calls, "Calls expected per interval")->required();
  v->add_option("--interval", staffing->interval, "Length of the interval")->capture_default_str();
  v->add_option("--aht", staffing->aht, "Average handle time (talk + wrap-up), e.g. 3m")
      ->required();
  v->add_option("--sl", staffing->service_level,
                "Target service level: this share answered within --threshold, e.g. 0.8");
  v->add_option("--threshold", staffing->threshold, "Service level threshold")
      ->capture_default_str();
  v->add_option("--asa", staffing->max_asa, "Target: average speed of answer at most this");
  v->add_option("--patience", staffing->patience,
                "Callers' mean patience: predicts abandonment (Erlang A)");
  v->add_option("--max-abandon", staffing->max_abandonment,
                "Target: at most this share abandons (needs --patience)");
  v->add_option("--max-occupancy", staffing->max_occupancy, "Cap on agent occupancy, e.g. 0.85");
  v->add_option("--agents", staffing->agents, "Also predict with this many agents");

  auto report = std::make_shared<ReportArgs>();
  v = r.Verb(
      &app, "report",
      "Report on a queue or an agent per interval: offered, answered, abandoned, service level, "
      "ASA, AHT",
      "acdctl report --queue sales --from 2024-03-04 --to 2024-03-05 --interval 30m -o csv",
      [report](const Invocation& inv) { return RunReport(inv, *report); }, /*csv=*/true);
  CLI::Option* queue_opt =
      v->add_option("--queue", report->queue, "Report on this queue")->type_name("QUEUE");
  v->add_option("--agent", report->agent, "Report on this agent: the calls the agent answered")
      ->type_name("AGENT_ID")
      ->excludes(queue_opt);
  v->add_option("--from", report->from,
                "Start (inclusive): RFC 3339 time or a date (its local midnight); "
                "default: start of today")
      ->type_name("TIME")
      ->check(TimeValidator());
  v->add_option("--to", report->to, "End (exclusive), same forms; default: now")
      ->type_name("TIME")
      ->check(TimeValidator());
  v->add_option("--interval", report->interval, "Interval length: 15m, 30m or 60m")
      ->type_name("DURATION")
      ->check(ReportIntervalValidator())
      ->capture_default_str();
  v->footer(absl::StrCat(
      "Intervals are aligned to UTC boundaries; the first and last are cut to --from/--to. "
      "A call counts in the interval it arrived in and in the queue it finished in. "
      "At most 31 days per report. -o csv prints one row per interval and a total row.\n\n",
      v->get_footer()));

  auto events = std::make_shared<EventsArgs>();
  v = r.Verb(&app, "events", "Print events as they happen, until --idle quiet or (--follow) Ctrl-C",
             "acdctl events --follow --queue sales",
             [events](const Invocation& inv) { return RunEvents(inv, *events); });
  CLI::Option* follow = v->add_flag("-f,--follow", events->follow, "Keep printing until Ctrl-C");
  v->add_option("--idle", events->idle_seconds, "Without --follow: exit after this long quiet")
      ->type_name("SECONDS")
      ->check(PositiveValidator())
      ->capture_default_str()
      ->excludes(follow);
  v->add_option("--call", events->call_id, "Only events of this call");
  v->add_option("--agent", events->agent_id, "Only events of this agent");
  v->add_option("--queue", events->queue, "Only events of this queue");
  v->add_option("--after-seq", events->after_seq,
                "First replay the stored events after this seq (the last one you saw), then go "
                "on live with none missed or repeated; 0: live only")
      ->type_name("SEQ")
      ->check(NonNegativeValidator())
      ->capture_default_str();

  CLI::App* config = r.Group(&app, "config", "The daemon's routing config");
  auto validate = std::make_shared<ConfigValidateArgs>();
  v = r.Verb(config, "validate",
             "Check a config file without applying it (default: the daemon's own file) and "
             "show what a reload would change",
             "acdctl config validate config/acd.yaml",
             [validate](const Invocation& inv) { return RunConfigValidate(inv, *validate); });
  v->add_option("FILE", validate->file, "YAML config to check")->check(CLI::ExistingFile);
  r.Verb(config, "reload", "Re-read the daemon's config file and apply it", "acdctl config reload",
         [](const Invocation& inv) { return RunConfigReload(inv); });

  auto health = std::make_shared<HealthArgs>();
  v = r.Verb(&app, "health", "Ask the daemon whether it is serving (exit 0 only if so)",
             "acdctl health", [health](const Invocation& inv) { return RunHealth(inv, *health); });
  v->add_option("--service", health->service,
                "A service name, e.g. acd.v1.CallService; default: the whole server");
}

}  // namespace

void RegisterCommands(CLI::App& app, GlobalOptions& global, std::function<int()>& action) {
  app.description("Command-line client of acdd, the acd call distribution daemon.");
  app.footer(
      absl::StrCat("Examples:\n"
                   "  acdctl queues\n"
                   "  acdctl -o json call get c-1001\n"
                   "  ACD_SERVER=acd.example:7070 acdctl events --follow\n"
                   "  ACD_TOKEN=$(cat ~/.acd/token) acdctl --tls-ca ca.pem queues\n\n"
                   "Run 'acdctl VERB --help' for a verb. Exit status: ",
                   kExitOk, " ok, ", kExitFailure, " RPC error or negative answer, ", kExitUsage,
                   " usage error."));
  app.require_subcommand(1);
  // Global flags are accepted after the verb too: `acdctl queues -o json`.
  app.fallthrough();
  app.failure_message(FailureMessage);
  AddGlobalFlags(app, global);

  Registrar registrar(&global, &action);
  AddCallVerbs(registrar, app);
  AddAgentVerbs(registrar, app);
  AddAdminVerbs(registrar, app);
}

int HandleParseError(const CLI::App& app, const CLI::ParseError& error) {
  return app.exit(error) == 0 ? kExitOk : kExitUsage;
}

}  // namespace acd::ctl

// The acdctl verbs: one function per verb, taking the global flags and the
// verb's own arguments, returning the process exit code. commands.cc binds
// them to the command line.
#ifndef ACD_CLIENT_ACDCTL_VERBS_H_
#define ACD_CLIENT_ACDCTL_VERBS_H_

#include <optional>
#include <string>
#include <vector>

#include "acd/v1/types.pb.h"
#include "client/common/rpc.h"

namespace acd::ctl {

// --- CallService (call_verbs.cc) ---

// The end of every verb whose RPC answers with a call: the error, or the call.
int PrintCallReply(const Invocation& inv, const grpc::Status& status, const acd::v1::Call& call);

struct CallEnqueueArgs {
  std::string call_id;
  std::string queue;
  int priority = 0;
  std::vector<std::string> skills;      // name=level
  std::vector<std::string> attributes;  // key=value
};
int RunCallEnqueue(const Invocation& inv, const CallEnqueueArgs& args);

struct CallArgs {
  std::string call_id;
  std::string reason;  // abandon only.
};
int RunCallGet(const Invocation& inv, const CallArgs& args);
int RunCallAbandon(const Invocation& inv, const CallArgs& args);
int RunCallEnd(const Invocation& inv, const CallArgs& args);

struct CallCallbackArgs {
  std::string call_id;
  std::string number;  // callback only
  std::string reason;  // callback-failed only
};
int RunCallCallback(const Invocation& inv, const CallCallbackArgs& args);
int RunCallCallbackFailed(const Invocation& inv, const CallCallbackArgs& args);

struct CallTransferArgs {
  std::string call_id;
  std::string queue;     // to a queue, or
  std::string agent_id;  // to an agent
  std::optional<int> priority;
  std::string fallback;
};
int RunCallTransfer(const Invocation& inv, const CallTransferArgs& args);

struct CallMoveArgs {
  std::string call_id;
  std::string queue;
};
int RunCallMove(const Invocation& inv, const CallMoveArgs& args);

struct EventsArgs {
  bool follow = false;
  double idle_seconds = 2;
  std::string call_id;
  std::string agent_id;
  std::string queue;
  int64_t after_seq = 0;  // 0: live only.
};
int RunEvents(const Invocation& inv, const EventsArgs& args);

// --- AgentService (agent_verbs.cc) ---

struct AgentArgs {
  std::string agent_id;
  bool ready = false;  // login only.
  std::string reason;  // away only.
};
int RunAgentLogin(const Invocation& inv, const AgentArgs& args);
int RunAgentLogout(const Invocation& inv, const AgentArgs& args);
int RunAgentReady(const Invocation& inv, const AgentArgs& args);
int RunAgentAway(const Invocation& inv, const AgentArgs& args);

struct AgentOffersArgs {
  std::string agent_id;
  bool accept = false;
  int count = 0;  // 0: until Ctrl-C.
};
int RunAgentOffers(const Invocation& inv, const AgentOffersArgs& args);

struct AgentCallArgs {
  std::string agent_id;
  std::string call_id;
  std::string reason;       // reject only.
  std::string disposition;  // complete only.
  std::string notes;        // complete only.
};
int RunAgentAccept(const Invocation& inv, const AgentCallArgs& args);
int RunAgentReject(const Invocation& inv, const AgentCallArgs& args);
int RunAgentComplete(const Invocation& inv, const AgentCallArgs& args);

// --- AdminService and health (admin_verbs.cc) ---

int RunQueues(const Invocation& inv);

struct QueueArgs {
  std::string queue;
};
int RunQueueStats(const Invocation& inv, const QueueArgs& args);

struct WatchArgs {
  std::vector<std::string> queues;  // empty: all
  std::string interval = "1s";
  bool once = false;
  bool agents = false;
};
int RunWatch(const Invocation& inv, const WatchArgs& args);
int RunAgents(const Invocation& inv, const QueueArgs& args);

struct CallsArgs {
  std::string queue;
  std::vector<std::string> states;
  int limit = 0;
};
int RunCalls(const Invocation& inv, const CallsArgs& args);

struct StaffingArgs {
  double calls = 0;
  std::string interval = "30m";
  std::string aht;
  std::optional<double> service_level;
  std::string threshold = "20s";
  std::string max_asa;
  std::string patience;
  std::optional<double> max_abandonment;
  std::optional<double> max_occupancy;
  int agents = 0;
};
int RunStaffing(const Invocation& inv, const StaffingArgs& args);

struct ReportArgs {
  std::string queue;  // one of queue
  std::string agent;  // and agent
  std::string from;   // empty: start of today, local time
  std::string to;     // empty: now
  std::string interval = "60m";
};
int RunReport(const Invocation& inv, const ReportArgs& args);

struct ConfigValidateArgs {
  std::string file;  // Empty: the daemon's own config file.
};
int RunConfigValidate(const Invocation& inv, const ConfigValidateArgs& args);
int RunConfigReload(const Invocation& inv);

struct HealthArgs {
  std::string service;  // Empty: the server as a whole.
};
int RunHealth(const Invocation& inv, const HealthArgs& args);

}  // namespace acd::ctl

#endif  // ACD_CLIENT_ACDCTL_VERBS_H_

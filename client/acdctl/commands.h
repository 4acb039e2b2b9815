// The acdctl command line: global flags, the verb tree and each verb's flags,
// all wired in one place (commands.cc). The verbs themselves are in verbs.h.
#ifndef ACD_CLIENT_ACDCTL_COMMANDS_H_
#define ACD_CLIENT_ACDCTL_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>

#include "client/common/rpc.h"

namespace acd::ctl {

// Registers everything on `app`. Once app.parse() succeeds, `action` runs the
// chosen verb and returns the exit code. `global` and `action` must outlive
// the parse and the action.
void RegisterCommands(CLI::App& app, GlobalOptions& global, std::function<int()>& action);

// Prints a CLI11 parse error (or the help that was asked for) and returns the
// exit code: kExitOk for --help, kExitUsage otherwise.
int HandleParseError(const CLI::App& app, const CLI::ParseError& error);

}  // namespace acd::ctl

#endif  // ACD_CLIENT_ACDCTL_COMMANDS_H_

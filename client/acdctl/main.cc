// acdctl: command-line client of acdd. See commands.h for the verbs.
#include <CLI/CLI.hpp>
#include <exception>
#include <functional>
#include <iostream>

#include "client/acdctl/commands.h"
#include "client/common/rpc.h"

int main(int argc, char** argv) {
  // Nothing may escape: a stray exception would abort with a core dump.
  try {
    CLI::App app;
    app.name("acdctl");
    acd::ctl::GlobalOptions global;
    std::function<int()> action;
    acd::ctl::RegisterCommands(app, global, action);
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
      return acd::ctl::HandleParseError(app, error);
    }
    return action ? action() : acd::ctl::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "acdctl: internal error: " << e.what() << std::endl;
  } catch (...) {
    std::cerr << "acdctl: internal error" << std::endl;
  }
  return acd::ctl::kExitFailure;
}

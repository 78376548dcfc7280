/// @brief How subcommands plug into main: each registers itself and sets the action to run.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace flowlab::app {

/// What main runs after a successful parse; returns the exit code (0 ok, 1 differences found).
using Action = std::function<int()>;

void add_decode_command(CLI::App& root, Action& action);
void add_replay_command(CLI::App& root, Action& action);
void add_scenarios_command(CLI::App& root, Action& action);
void add_gen_command(CLI::App& root, Action& action);
void add_check_command(CLI::App& root, Action& action);
void add_verify_command(CLI::App& root, Action& action);
void add_conformance_command(CLI::App& root, Action& action);
void add_report_command(CLI::App& root, Action& action);
void add_merge_command(CLI::App& root, Action& action);

/// Where canned scenarios are looked up by name: $FLOWLAB_SCENARIOS (colon-separated), then
/// core::data_dirs(scenarios): the install prefix first.
std::vector<std::string> scenario_search_dirs();

}  // namespace flowlab::app

/// @brief The options that shape a gen run (--start, --duration, --scale, --memory-limit), shared
/// by `gen` and `scenarios validate` so that validate checks exactly the run gen would start.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "flowlab/gen/run_check.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/traffic_source.hpp"

namespace flowlab::app {

struct RunOptions {
    std::string start;
    std::string duration;
    double scale = 1.0;
    std::string memory_limit;  ///< "" = gen::default_memory_limit()

    /// Registers the four options on `cmd`.
    void add_to(CLI::App* cmd);
    /// The overrides as gen takes them (seed left unset).
    gen::SourceOptions source() const;
    std::uint64_t memory_limit_bytes() const;
    /// check_run with these overrides and the memory limit; throws ScenarioErrors.
    gen::RunEstimate check(const gen::Scenario& s) const;
};

/// "up to 1.2e6 conversations, about 2.1 GiB at the peak (limit 15.6 GiB)".
std::string describe_estimate(const gen::RunEstimate& e, std::uint64_t memory_limit);

}  // namespace flowlab::app

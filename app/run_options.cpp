/// @brief gen's run options, shared with `scenarios validate` (run_options.hpp).
#include "run_options.hpp"

#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "cli_units.hpp"
#include "flowlab/core/units.hpp"

namespace flowlab::app {

void RunOptions::add_to(CLI::App* cmd) {
    cmd->add_option("--start", start,
                    "start time: ISO 8601 with a zone (2026-03-02T00:00:00Z), a date, `now` or Unix seconds\n"
                    "(default: the scenario's)")
        ->check(units::time());
    cmd->add_option("--duration", duration, "span to generate, with a unit: 90m, 36h, 1h30m, 2w (default: the scenario's)")
        ->check(units::duration());
    cmd->add_option("--scale", scale, "multiply every arrival rate (load tests)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    cmd->add_option("--memory-limit", memory_limit,
                    "refuse, before starting, a run whose estimated peak memory exceeds this: 2GiB, 512MB\n"
                    "(default: half of this machine's memory, or of its cgroup's limit)")
        ->check(units::size());
}

gen::SourceOptions RunOptions::source() const {
    gen::SourceOptions o;
    if (!start.empty()) o.start_us = core::parse_time_arg(start);
    if (!duration.empty()) o.duration_us = core::parse_duration(duration);
    o.scale = scale;
    return o;
}

std::uint64_t RunOptions::memory_limit_bytes() const {
    if (memory_limit.empty()) return gen::default_memory_limit();
    return static_cast<std::uint64_t>(std::llround(core::parse_bytes(memory_limit)));
}

gen::RunEstimate RunOptions::check(const gen::Scenario& s) const {
    return gen::check_run(s, gen::RunSpan::of(s, source()), memory_limit_bytes());
}

std::string describe_estimate(const gen::RunEstimate& e, std::uint64_t memory_limit) {
    return fmt::format("up to {:.3g} conversations, about {} of memory at the peak (limit {})",
                       e.conversations, core::format_bytes(e.peak_memory_bytes),
                       core::format_bytes(static_cast<double>(memory_limit)));
}

}  // namespace flowlab::app

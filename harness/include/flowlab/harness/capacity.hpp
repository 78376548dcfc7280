/// @brief `check --find-capacity`: the highest rate a collector takes with loss at most a
/// threshold, found by doubling from a start rate until a rate fails, then bisecting between
/// the last pass and the first fail. A rate passes when its loss is within the threshold,
/// nothing else differs, and the sender achieved it (within 1%): a rate the sender could not
/// reach bounds the search as surely as loss does, and the result says which of the two did.
///
/// The search is a pure function of the probe it is given (tests drive it with a simulated
/// collector; `check` with CheckSession::run_at). Errors: whatever the probe throws.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flowlab/harness/check.hpp"

namespace flowlab::harness {

/// What one probe at one rate found.
enum class ProbeOutcome : std::uint8_t {
    pass,       ///< loss within the threshold, achieved within the tolerance
    loss,       ///< the collector lost more than the threshold
    short_rate, ///< the sender did not achieve the rate
    different,  ///< records altered, duplicated or unexpected, or datagrams not sent
};
std::string_view outcome_name(ProbeOutcome o) noexcept;

struct Probe {
    double requested_pps = 0;
    double achieved_pps = 0;
    double loss = 0;  ///< fraction of the records sent that were lost
    ProbeOutcome outcome = ProbeOutcome::pass;
};

struct SearchOptions {
    double start_pps = 10'000;
    /// Bisection stops once (first fail - last pass) <= resolution * last pass.
    double resolution = 0.05;
    std::size_t max_steps = 16;
    /// Doubling stops here (0: no limit); reaching it with a pass leaves no upper bound.
    double max_pps = 0;
};

/// Why the capacity is not higher.
enum class UpperBound : std::uint8_t {
    collector_loss,  ///< the first failing rate lost more than the threshold
    sender_short,    ///< the sender could not achieve the first failing rate
    different,       ///< the collector altered/duplicated records (or sending failed)
    max_rate,        ///< every rate up to max_pps passed
    steps,           ///< max_steps ran out while doubling
};
std::string_view upper_bound_name(UpperBound b) noexcept;

struct SearchResult {
    std::vector<Probe> steps;           ///< in the order probed
    std::optional<Probe> last_pass;     ///< the highest passing rate (the capacity)
    std::optional<Probe> first_fail;    ///< the lowest failing rate above it
    UpperBound bound = UpperBound::steps;
    /// (first fail - last pass) / last pass; nullopt without both.
    std::optional<double> bracket() const;
};

/// Rounds a rate to three significant digits (bisection midpoints get readable labels).
double round_rate(double pps);

/// Doubling from options.start_pps while rates pass, halving while they fail (until one
/// passes or 1 pps), then bisection between the last pass and the first fail. Each rate is
/// probed once: a collector whose result at one rate varies from run to run (a busy machine)
/// is measured as it came out, which the bracket does not account for.
SearchResult find_capacity(const SearchOptions& options, const std::function<Probe(double pps)>& probe);

/// The capacity line(s): the rate, its bracket and number of steps, and what bounds it.
std::string format_search(const SearchResult& r, double loss_threshold);

/// A run's outcome for the search (WITHIN counts as pass).
ProbeOutcome probe_outcome(const RateRun& run, const CheckOptions& o) noexcept;

struct CapacityResult {
    CheckResult check;  ///< every run, in the order probed
    SearchResult search;
};

/// generate(), then find_capacity() with one fresh collector run per probe (CheckSession::run_at
/// at a pps pace, options.step as given). Throws what run_check throws.
CapacityResult run_capacity_search(const gen::Scenario& scenario, const CheckOptions& options, const SearchOptions& search,
                                   const RunHooks& hooks = {});

}  // namespace flowlab::harness

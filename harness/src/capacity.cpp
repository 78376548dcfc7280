/// @brief The capacity search: doubling, halving, bisection over a probe, and its report line.
#include "flowlab/harness/capacity.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "flowlab/harness/check.hpp"

namespace flowlab::harness {

std::string_view outcome_name(ProbeOutcome o) noexcept {
    switch (o) {
        case ProbeOutcome::pass: return "pass";
        case ProbeOutcome::loss: return "loss";
        case ProbeOutcome::short_rate: return "short";
        case ProbeOutcome::different: return "different";
    }
    return "?";
}

std::string_view upper_bound_name(UpperBound b) noexcept {
    switch (b) {
        case UpperBound::collector_loss: return "collector loss";
        case UpperBound::sender_short: return "sender could not achieve the rate";
        case UpperBound::different: return "collector altered records or sending failed";
        case UpperBound::max_rate: return "the highest rate allowed (--max-rate) passed";
        case UpperBound::steps: return "the step limit ran out before a rate failed";
    }
    return "?";
}

std::optional<double> SearchResult::bracket() const {
    if (!last_pass || !first_fail || last_pass->requested_pps <= 0) return std::nullopt;
    return (first_fail->requested_pps - last_pass->requested_pps) / last_pass->requested_pps;
}

double round_rate(double pps) {
    if (pps <= 1) return 1;
    const double unit = std::pow(10.0, std::floor(std::log10(pps)) - 2);
    return std::max(1.0, std::round(pps / unit) * unit);
}

SearchResult find_capacity(const SearchOptions& o, const std::function<Probe(double)>& probe) {
    SearchResult r;
    auto run = [&](double pps) {
        Probe p = probe(pps);
        p.requested_pps = pps;
        r.steps.push_back(p);
        if (p.outcome == ProbeOutcome::pass) {
            if (!r.last_pass || pps > r.last_pass->requested_pps) r.last_pass = p;
        } else if (!r.first_fail || pps < r.first_fail->requested_pps) {
            r.first_fail = p;
        }
        return p;
    };
    const double cap = o.max_pps > 0 ? o.max_pps : 0;
    double rate = round_rate(cap > 0 ? std::min(o.start_pps, cap) : o.start_pps);
    // Bracket: double while passing, halve while failing.
    bool at_cap = false;
    while (r.steps.size() < o.max_steps) {
        const Probe p = run(rate);
        if (p.outcome == ProbeOutcome::pass) {
            if (r.first_fail) break;
            if (cap > 0 && rate >= cap) {
                at_cap = true;
                break;
            }
            rate = cap > 0 ? std::min(rate * 2, cap) : rate * 2;
        } else {
            if (r.last_pass || rate <= 1) break;
            rate = round_rate(rate / 2);
        }
    }
    // Bisection.
    while (r.last_pass && r.first_fail && r.steps.size() < o.max_steps) {
        const double lo = r.last_pass->requested_pps, hi = r.first_fail->requested_pps;
        if (hi <= lo || hi - lo <= o.resolution * lo) break;
        const double mid = round_rate((lo + hi) / 2);
        if (mid <= lo || mid >= hi) break;
        run(mid);
    }
    if (r.first_fail && (!r.last_pass || r.first_fail->requested_pps > r.last_pass->requested_pps)) {
        switch (r.first_fail->outcome) {
            case ProbeOutcome::loss: r.bound = UpperBound::collector_loss; break;
            case ProbeOutcome::short_rate: r.bound = UpperBound::sender_short; break;
            default: r.bound = UpperBound::different; break;
        }
    } else {
        r.bound = at_cap ? UpperBound::max_rate : UpperBound::steps;
    }
    return r;
}

namespace {
std::string probe_text(const Probe& p) {
    return fmt::format("{} pps (achieved {:.0f}, loss {:.2f}%, {})", rate_label(p.requested_pps), p.achieved_pps, p.loss * 100,
                       outcome_name(p.outcome));
}
}  // namespace

std::string format_search(const SearchResult& r, double loss_threshold) {
    std::string out;
    const std::string rule = fmt::format("loss <= {:g}% and the rate achieved within 1%", loss_threshold * 100);
    if (!r.last_pass) {
        out += fmt::format("capacity: no rate passed ({}) in {} steps; lowest tried: {}; upper bound: {}\n", rule,
                           r.steps.size(), r.first_fail ? probe_text(*r.first_fail) : std::string("none"),
                           upper_bound_name(r.bound));
        return out;
    }
    out += fmt::format("capacity: {} pps ({}), achieved {:.0f} pps with {:.2f}% loss\n", rate_label(r.last_pass->requested_pps),
                       rule, r.last_pass->achieved_pps, r.last_pass->loss * 100);
    if (r.first_fail) {
        out += fmt::format("confidence: between {} pps (last pass) and {} pps (first fail), a bracket of {:.1f}%, after {} steps\n",
                           rate_label(r.last_pass->requested_pps), rate_label(r.first_fail->requested_pps),
                           *r.bracket() * 100, r.steps.size());
        out += fmt::format("upper bound: {}: {}\n", upper_bound_name(r.bound), probe_text(*r.first_fail));
    } else {
        out += fmt::format("confidence: a lower bound only, after {} steps; {}\n", r.steps.size(), upper_bound_name(r.bound));
    }
    return out;
}

ProbeOutcome probe_outcome(const RateRun& run, const CheckOptions& o) noexcept {
    switch (run.status(o)) {
        case RunStatus::match:
        case RunStatus::within: return ProbeOutcome::pass;
        case RunStatus::short_rate: return ProbeOutcome::short_rate;
        case RunStatus::loss: return ProbeOutcome::loss;
        case RunStatus::send_errors:
        case RunStatus::different: return ProbeOutcome::different;
    }
    return ProbeOutcome::different;
}

CapacityResult run_capacity_search(const gen::Scenario& scenario, const CheckOptions& options, const SearchOptions& search,
                                   const RunHooks& hooks) {
    CheckSession session(scenario, options, hooks);
    CapacityResult out;
    out.check.allow_send_errors = options.allow_send_errors;
    out.check.options = options;
    out.check.gen = session.generate();
    out.search = find_capacity(search, [&](double pps) {
        RateRun run = session.run_at(Pace::pps(pps), fmt::format("collector-step{}-{}", out.check.runs.size() + 1, rate_label(pps)));
        Probe p;
        p.achieved_pps = run.achieved_pps();
        p.loss = run.loss_fraction();
        p.outcome = probe_outcome(run, options);
        hooks.tell(fmt::format("step {}: {} pps achieved {:.0f}, loss {:.2f}%: {}", out.check.runs.size() + 1, rate_label(pps),
                               p.achieved_pps, p.loss * 100, outcome_name(p.outcome)));
        out.check.runs.push_back(std::move(run));
        return p;
    });
    session.succeeded();
    out.check.workdir = session.workdir();
    out.check.workdir_kept = session.keeps_workdir();
    return out;
}

}  // namespace flowlab::harness

/// @brief What the scenario section parsers share: name lookups (with the names of elements that
/// failed, so that references to them are not reported again), the helpers of several sections,
/// the activity parser, and the whole-model check (stage 2 of validation).
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "flowlab/gen/scenario.hpp"
#include "json_node.hpp"

namespace flowlab::gen::detail {

/// Name → index of every named section, filled as elements are parsed: lookups in constant time
/// (a scenario with 100k networks and pools parses in linear time).
class Names {
public:
    enum Kind : std::size_t { site, network, pool, profile, activity, kKinds };

    explicit Names(const Scenario& s) : s_(s) {}
    /// Registers element `index` of kind k (after it parsed).
    void add(Kind k, const std::string& name, std::size_t index) { index_[k].emplace(name, index); }
    /// Records that element `name` of kind k failed to parse (empty: the whole section failed).
    void failed(Kind k, const std::string& name) {
        if (name.empty()) whole_failed_[k] = true;
        failed_[k].insert(name);
    }
    bool has(Kind k, const std::string& name) const { return index_[k].count(name) != 0; }
    /// The index of the name `n` holds; fails at n listing the defined names, or throws
    /// DependsOnFailed for the name of an element that failed.
    std::size_t lookup(Kind k, const Node& n) const;
    std::size_t find(Kind k, const std::string& name) const {
        const auto it = index_[k].find(name);
        return it == index_[k].end() ? kNone : it->second;
    }
    /// "; defined: a, b, c" (or " (none is defined)") for messages.
    std::string known(Kind k) const;

private:
    const Scenario& s_;
    std::array<std::unordered_map<std::string, std::size_t>, kKinds> index_;
    std::array<std::unordered_set<std::string>, kKinds> failed_;
    std::array<bool, kKinds> whole_failed_{};
};

/// "mon".."sun" or "monday".."sunday" → 0..6; -1 otherwise.
int day_index(std::string_view s);

// Helpers of several sections (docs/scenario-format.md says the forms).
std::vector<std::size_t> parse_pool_list(const Node& n, const Names& names);
std::vector<std::uint16_t> parse_port_list(const Node& n);
std::vector<std::uint16_t> parse_port_ranges(const Node& n);
DaySet parse_days(const Node& n);
Window parse_window(const Node& n, const Names& names, std::size_t default_site);
Noise parse_noise(const Node& n);
std::vector<AddressRange> parse_ranges(const Node& n, const Scenario& s, const Names& names);
std::uint8_t parse_proto(const Node& n, std::initializer_list<std::string_view> allowed);
/// Checks a distribution's smallest possible value (fails at n with "expected " + what).
void require_at_least(const Node& n, const Distribution& d, double lo, const std::string& what);

/// One element of "activities" (activity_parse.cpp).
Activity parse_activity(const Node& n, const Scenario& s, const Names& names);

/// Stage 2: cross-section checks on a fully parsed model (profile coverage of every day type,
/// address families, schedules against the span, exporter limits). Every problem found goes
/// to `diag`, each naming the JSON pointer of the culprit.
void check_model(const Scenario& s, Diagnostics& diag);

/// One element of the scenario's `faults` list (faults.cpp); needs the exporters parsed.
Fault parse_fault(const Node& n, const Scenario& s);

}  // namespace flowlab::gen::detail

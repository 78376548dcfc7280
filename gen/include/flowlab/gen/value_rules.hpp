/// @brief Per-record values of elements the flow model does not carry (URLs, user names, ids):
/// drawn from a scenario's list for each conversation, the same for every record of it.
///
/// The draw is a pure function of (seed, conversation id, element): a conversation split into
/// several records by timeouts gets one value, every exporter that observes it the same one,
/// and the order in which records expire plays no part.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::gen {

struct ValueRule {
    std::uint32_t enterprise = 0;
    std::uint16_t id = 0;
    /// "choose": candidate values in wire form; `cumulative` holds the running sum of their
    /// weights (empty: all equally likely).
    std::vector<std::vector<std::uint8_t>> choices;
    std::vector<std::uint64_t> cumulative;
    /// "range": a number in [lo, hi] written big-endian in `length` bytes (when choices is empty).
    std::uint64_t lo = 0, hi = 0;
    std::uint16_t length = 0;
    /// "when": only conversations of this protocol and/or with either port in `ports`; others
    /// get `otherwise`.
    std::optional<std::uint8_t> protocol;
    std::vector<std::uint16_t> ports;
    std::vector<std::uint8_t> otherwise;

    bool matches(const core::FlowRecord& r) const noexcept;
    /// The value conversation `conversation` gets under `seed` (before the "when" test).
    std::vector<std::uint8_t> draw(std::uint64_t seed, std::uint64_t conversation) const;
};

/// Puts every rule's value for record `r` of conversation `conversation` into r.extra
/// (replacing an earlier value of the same element).
void apply_value_rules(const std::vector<ValueRule>& rules, std::uint64_t seed, std::uint64_t conversation,
                       core::FlowRecord& r);

}  // namespace flowlab::gen

/// @brief Per-record element values drawn per conversation (value_rules.hpp).
#include "flowlab/gen/value_rules.hpp"

#include <algorithm>

namespace flowlab::gen {
namespace {

/// SplitMix64's finalizer (Steele, Lea, Flood 2014): spreads each input bit over the output.
std::uint64_t mix(std::uint64_t z) noexcept {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

}  // namespace

bool ValueRule::matches(const core::FlowRecord& r) const noexcept {
    if (protocol && r.proto != *protocol) return false;
    if (ports.empty()) return true;
    return std::find(ports.begin(), ports.end(), r.sport) != ports.end() ||
           std::find(ports.begin(), ports.end(), r.dport) != ports.end();
}

std::vector<std::uint8_t> ValueRule::draw(std::uint64_t seed, std::uint64_t conversation) const {
    const std::uint64_t element = (std::uint64_t{enterprise} << 16) | id;
    const std::uint64_t h = mix(mix(mix(seed) ^ conversation) ^ element);
    if (!choices.empty()) {
        std::size_t i = 0;
        if (cumulative.empty()) {
            i = static_cast<std::size_t>(h % choices.size());
        } else {
            const std::uint64_t x = h % cumulative.back();
            i = static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), x) - cumulative.begin());
        }
        return choices[i];
    }
    const std::uint64_t span = hi - lo + 1;  // 0 when the range is every 64-bit value
    const std::uint64_t n = span == 0 ? h : lo + h % span;
    std::vector<std::uint8_t> out(length, 0);
    for (std::size_t i = 0; i < length && i < 8; ++i) out[length - 1 - i] = static_cast<std::uint8_t>(n >> (8 * i));
    return out;
}

void apply_value_rules(const std::vector<ValueRule>& rules, std::uint64_t seed, std::uint64_t conversation,
                       core::FlowRecord& r) {
    for (const ValueRule& rule : rules) {
        std::vector<std::uint8_t> v = rule.matches(r) ? rule.draw(seed, conversation) : rule.otherwise;
        auto old = std::find_if(r.extra.begin(), r.extra.end(),
                                [&](const core::ExtraField& x) { return x.id == rule.id && x.enterprise == rule.enterprise; });
        if (old != r.extra.end()) old->value = std::move(v);
        else r.extra.push_back(core::ExtraField{rule.enterprise, rule.id, std::move(v)});
    }
}

}  // namespace flowlab::gen

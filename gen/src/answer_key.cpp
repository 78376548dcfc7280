/// @brief Answer keys computed from the conversations gen generates (see answer_key.hpp).
#include "flowlab/gen/answer_key.hpp"

#include <algorithm>

#include "flowlab/gen/units.hpp"

namespace flowlab::gen {
namespace {

/// The address seen most often; ties go to the lowest address so the key is deterministic.
core::IpAddress top(const std::unordered_map<core::IpAddress, std::uint64_t>& counts) {
    core::IpAddress best;
    std::uint64_t n = 0;
    for (const auto& [a, c] : counts)
        if (c > n || (c == n && a < best)) best = a, n = c;
    return best;
}

/// Whole seconds are what a student can read off flow records; ms keep the key exact.
std::string iso(std::int64_t us) { return format_time(us / 1000 * 1000); }

}  // namespace

AnswerKeyBuilder::AnswerKeyBuilder(const Scenario& s, std::int64_t span_start_us) : s_(s), span_start_us_(span_start_us) {
    if (s.lesson && s.lesson->from_truth) f_ = &*s.lesson->from_truth;
    if (f_ && f_->totals == AnswerFromTruth::TotalsBy::customer) {
        for (const Network& n : s.networks)
            if (!n.customer.empty()) {
                customer_blocks_.emplace_back(n.cidr, n.customer);
                totals_[n.customer] = 0;  // a customer without traffic still gets a (zero) bill
            }
    }
}

void AnswerKeyBuilder::observe(const Conversation& c) {
    if (!f_) return;
    if (f_->totals == AnswerFromTruth::TotalsBy::family) {
        totals_[c.key.src.is_v6() ? "ipv6" : "ipv4"] += c.bytes();
    } else if (f_->totals == AnswerFromTruth::TotalsBy::customer) {
        // Each customer pays once for a conversation, even between two of its own blocks.
        const std::string* src = nullptr;
        const std::string* dst = nullptr;
        for (const auto& [block, customer] : customer_blocks_) {
            if (!src && block.contains(c.key.src)) src = &customer;
            if (!dst && block.contains(c.key.dst)) dst = &customer;
        }
        if (src) totals_[*src] += c.bytes();
        if (dst && (!src || *dst != *src)) totals_[*dst] += c.bytes();
    }
    if (c.activity != f_->activity || c.bursts.empty()) return;
    if (!seen_) {
        seen_ = true;
        first_source_ = c.key.src;
        first_us_ = c.start_us();
    }
    if (f_->host == AnswerFromTruth::HostRule::top_source) ++by_source_[c.key.src];
    if (f_->host == AnswerFromTruth::HostRule::top_destination) ++by_destination_[c.key.dst];
    if (f_->windows_gap_us > 0) {
        if (windows_.empty() || c.start_us() > windows_.back().end_us + f_->windows_gap_us)
            windows_.push_back({c.start_us(), c.end_us()});
        else
            windows_.back().end_us = std::max(windows_.back().end_us, c.end_us());
    }
    if (f_->peak_bin_us > 0) {
        const std::int64_t d = c.start_us() - span_start_us_;
        const std::int64_t bin = d >= 0 ? d / f_->peak_bin_us : -((-d + f_->peak_bin_us - 1) / f_->peak_bin_us);
        ++per_bin_[bin];
    }
}

Json AnswerKeyBuilder::answer() const {
    if (!s_.lesson || s_.lesson->answer.is_null()) return nullptr;
    Json a = s_.lesson->answer;
    if (!f_) return a;
    auto none = [&] {
        return "no conversation of activity \"" + s_.activities[f_->activity].name + "\" in the span";
    };
    switch (f_->host) {
        case AnswerFromTruth::HostRule::none: break;
        case AnswerFromTruth::HostRule::first_source: a["host"] = seen_ ? Json(address_text(first_source_)) : Json(none()); break;
        case AnswerFromTruth::HostRule::top_source: a["host"] = seen_ ? Json(address_text(top(by_source_))) : Json(none()); break;
        case AnswerFromTruth::HostRule::top_destination:
            a["host"] = seen_ ? Json(address_text(top(by_destination_))) : Json(none());
            break;
    }
    if (f_->start) a["start"] = seen_ ? Json(iso(first_us_)) : Json(none());
    if (f_->windows_gap_us > 0) {
        Json w = Json::array();
        for (const Window& x : windows_) w.push_back({{"start", iso(x.start_us)}, {"end", iso(x.end_us + 999)}});
        a["windows"] = w;
    }
    if (f_->peak_bin_us > 0) {
        std::int64_t at = 0;
        std::uint64_t most = 0;
        for (const auto& [bin, n] : per_bin_)
            if (n > most) most = n, at = bin;
        const double secs = static_cast<double>(f_->peak_bin_us) / 1e6;
        a["peak_rate"] = {{"per_s", static_cast<double>(most) / secs},
                          {"bin", format_duration(f_->peak_bin_us)},
                          {"at", iso(span_start_us_ + at * f_->peak_bin_us)},
                          {"conversations", most}};
    }
    if (f_->totals != AnswerFromTruth::TotalsBy::none) {
        Json t = Json::object();
        for (const auto& [k, v] : totals_) t[k] = v;
        a["totals"] = t;
    }
    return a;
}

}  // namespace flowlab::gen

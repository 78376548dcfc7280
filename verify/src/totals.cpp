/// @brief Totals per key (see totals.hpp).
#include "totals.hpp"

#include <algorithm>
#include <cmath>

#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;
using core::FlowRecord;

namespace {

/// The record field a key dimension needs (host/port: both endpoints).
Field field_of(TotalsKey k) {
    switch (k) {
        case TotalsKey::exporter: return Field::exporter;
        case TotalsKey::domain: return Field::domain;
        case TotalsKey::version: return Field::version;
        case TotalsKey::src:
        case TotalsKey::host: return Field::src;
        case TotalsKey::dst: return Field::dst;
        case TotalsKey::sport:
        case TotalsKey::port: return Field::sport;
        case TotalsKey::dport: return Field::dport;
        case TotalsKey::proto: return Field::proto;
    }
    return Field::src;
}

void append_number(std::string& s, std::uint64_t v) { s += std::to_string(v); }

/// Collectors that show ICMP type and code as their own fields (nfdump's icmp_type/icmp_code,
/// IE 32) leave the ports out.
bool is_icmp_with_type(const FlowRecord& r) {
    return r.is_icmp() && (r.has(Field::icmp_type) || r.has(Field::icmp_code));
}

}  // namespace

Totals::Totals(std::vector<TotalsKey> by, std::int64_t bin_ms, std::vector<Metric> metrics, double tolerance,
               std::uint32_t scale_truth, std::size_t examples)
    : by_(std::move(by)), bin_ms_(bin_ms), metrics_(std::move(metrics)), tolerance_(tolerance),
      scale_truth_(scale_truth), examples_(examples) {}

void Totals::keys_of(const FlowRecord& r, std::vector<std::string>& out, bool truth) {
    // host and port make one key per endpoint: (src, sport) and (dst, dport).
    const bool per_endpoint = std::any_of(by_.begin(), by_.end(), [](TotalsKey k) { return k == TotalsKey::host || k == TotalsKey::port; });
    const int ends = per_endpoint && !(r.src == r.dst && r.sport == r.dport) ? 2 : 1;
    out.clear();
    auto& missing = truth ? truth_missing_ : collected_missing_;
    for (int end = 0; end < ends; ++end) {
        std::string key;
        for (std::size_t i = 0; i < by_.size(); ++i) {
            const TotalsKey k = by_[i];
            if (!key.empty()) key += ' ';
            key += totals_key_name(k);
            key += '=';
            Field f = field_of(k);
            if (end == 1 && k == TotalsKey::host) f = Field::dst;
            if (end == 1 && k == TotalsKey::port) f = Field::dport;
            if (!r.has(f) && (f == Field::sport || f == Field::dport) && is_icmp_with_type(r)) {
                // ICMP as the truth keys it (and v5 carries it): sport 0, dport type << 8 | code.
                append_number(key, f == Field::sport ? 0 : (std::uint64_t{r.icmp_type} << 8 | r.icmp_code));
                continue;
            }
            if (!r.has(f)) {
                key += '-';
                ++missing[i];
                continue;
            }
            if (core::is_address_field(f)) key += r.address(f)->to_string();
            else append_number(key, r.number(f));
        }
        if (bin_ms_ > 0) {
            key += key.empty() ? "bin=" : " bin=";
            if (r.has(Field::first_ms)) {
                std::int64_t b = r.first_ms / bin_ms_ * bin_ms_;
                if (r.first_ms < 0 && b != r.first_ms) b -= bin_ms_;
                key += format_time_ms(b);
            } else {
                key += '-';
                ++missing[by_.size()];
            }
        }
        out.push_back(std::move(key));
    }
}

void Totals::add(std::unordered_map<std::string, Sums>& map, const FlowRecord& r, std::uint64_t scale, bool truth) {
    keys_of(r, keys_, truth);
    for (const auto& k : keys_) {
        Sums& s = map[k];
        s[static_cast<std::size_t>(Metric::bytes)] += r.bytes * scale;
        s[static_cast<std::size_t>(Metric::packets)] += r.packets * scale;
        s[static_cast<std::size_t>(Metric::flows)] += 1;
    }
}

void Totals::add_truth(const FlowRecord& r) {
    ++truth_rows_;
    std::uint64_t scale = 1;
    if (r.has(Field::version) && r.version < 32 && ((scale_truth_ >> r.version) & 1u) && r.has(Field::sampling_interval) &&
        r.sampling_interval > 1)
        scale = r.sampling_interval;
    add(truth_, r, scale, true);
}

void Totals::add_collected(const FlowRecord& r) {
    ++collected_rows_;
    if (r.has(Field::exporter) && collected_exporters_.size() < 8 &&
        std::find(collected_exporters_.begin(), collected_exporters_.end(), r.exporter) == collected_exporters_.end())
        collected_exporters_.push_back(r.exporter);
    add(collected_, r, 1, false);
}

TotalsResult Totals::finish(TotalsTruth against) {
    TotalsResult res;
    res.metrics = metrics_;
    res.by = by_;
    res.bin_ms = bin_ms_;
    res.tolerance = tolerance_;
    res.against = against;
    res.truth_rows = truth_rows_;
    res.collected_rows = collected_rows_;
    for (std::size_t i = 0; i <= by_.size() && i < collected_missing_.size(); ++i) {
        if (collected_missing_[i] == 0) continue;
        const std::string dim = i < by_.size() ? std::string(totals_key_name(by_[i])) : std::string("bin (flow start)");
        res.notes.push_back(std::to_string(collected_missing_[i]) + " collected records have no " + dim +
                            ": they are totalled under '" + dim + "=-'");
    }
    for (std::size_t i = 0; i <= by_.size() && i < truth_missing_.size(); ++i) {
        if (truth_missing_[i] == 0) continue;
        const std::string dim = i < by_.size() ? std::string(totals_key_name(by_[i])) : std::string("bin (flow start)");
        res.notes.push_back(std::to_string(truth_missing_[i]) + " truth rows have no " + dim + ": they are totalled under '" +
                            dim + "=-'");
    }
    if (against == TotalsTruth::conversations && collected_exporters_.size() > 1)
        res.notes.push_back("the collected records come from " + std::to_string(collected_exporters_.size()) +
                            (collected_exporters_.size() == 8 ? " or more" : "") +
                            " exporters: traffic that crosses several of them is counted once per exporter, but once "
                            "in the conversations (compare one exporter's records, or against the records)");
    std::vector<std::pair<double, TotalsRow>> outside;
    auto check = [&](const std::string& key, const Sums& t, const Sums& c) {
        TotalsRow row;
        row.key = key;
        row.truth = t;
        row.collected = c;
        bool ok = true;
        double worst = 0;
        for (Metric m : metrics_) {
            const auto i = static_cast<std::size_t>(m);
            const double tv = static_cast<double>(t[i]), cv = static_cast<double>(c[i]);
            const double diff = std::fabs(cv - tv);
            const bool within = diff <= tolerance_ * tv + 1e-9;
            row.within[i] = within;
            ok = ok && within;
            worst = std::max(worst, tv > 0 ? diff / tv : (diff > 0 ? 1e300 : 0));
        }
        for (std::size_t i = 0; i < kMetricCount; ++i) {
            res.truth_sum[i] += t[i];
            res.collected_sum[i] += c[i];
        }
        ++res.keys;
        if (!ok) {
            ++res.keys_outside;
            outside.emplace_back(worst, std::move(row));
        }
    };
    const Sums zero{};
    for (const auto& [k, t] : truth_) {
        const auto it = collected_.find(k);
        if (it == collected_.end()) ++res.keys_only_truth;
        check(k, t, it == collected_.end() ? zero : it->second);
    }
    for (const auto& [k, c] : collected_) {
        if (truth_.count(k)) continue;
        ++res.keys_only_collected;
        check(k, zero, c);
    }
    std::sort(outside.begin(), outside.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second.key < b.second.key;
    });
    for (std::size_t i = 0; i < outside.size() && i < examples_; ++i) res.outside.push_back(std::move(outside[i].second));
    return res;
}

}  // namespace flowlab::verify::detail

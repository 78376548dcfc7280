/// @brief The validation every run passes before any work starts, and its estimate of what the
/// run will take (run_check.hpp).
#include "flowlab/gen/run_check.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

#include "flowlab/core/excerpt.hpp"
#include "flowlab/gen/conversation_pump.hpp"
#include "flowlab/gen/simulation.hpp"
#include "run_check_internal.hpp"

namespace flowlab::gen {

RunSpan RunSpan::of(const Scenario& s, const SourceOptions& o) {
    RunSpan r;
    r.start_us = o.start_us.value_or(s.start_us);
    r.duration_us = o.duration_us.value_or(s.duration_us);
    r.scale = o.scale;
    r.start_given = o.start_us.has_value();
    r.duration_given = o.duration_us.has_value();
    r.scale_given = o.scale != 1.0;
    return r;
}

namespace detail {
namespace {

/// What one activity puts into a run: how fast sessions arrive at the busiest moment, how many
/// over the span, and what each leaves in memory while it is in flight.
struct Load {
    double peak_rate = 0;            ///< arrivals per second at the peak
    double arrivals = 0;             ///< over the span, at most
    double conversations_per_arrival = 2;
    double lifetime_us = 0;          ///< how long a conversation stays in memory (from first to last packet)
    double bursts = 0;               ///< packet trains per conversation (one direction)
    double in_flight_floor = 0;      ///< conversations in flight at once regardless of rate (scheduled runs)
};

double mean(const Distribution& d) {
    const double m = d.mean();
    return std::isfinite(m) && m > 0 ? std::min(m, d.upper()) : std::max(0.0, std::min(d.upper(), d.lower()));
}

/// Product of the activity's profiles at their highest: the peak of the rate curve (noise has
/// mean 1 and is left out).
double peak_level(const Scenario& s, const ArrivalSpec& a) {
    double level = 1.0;
    for (const std::size_t p : a.profiles) {
        double top = 0;
        for (const auto& shape : s.profiles[p].shapes) top = std::max(top, shape.max_level());
        level *= top;
    }
    return level;
}

double seconds(double us) { return us / 1e6; }

struct LoadOf {
    const Scenario& s;
    const Activity& a;
    const RunSpan& span;

    double duration_s() const { return seconds(static_cast<double>(span.duration_us)); }
    /// Poisson arrivals: rate × profiles at their peak × scale, for the whole span.
    Load poisson() const {
        Load l;
        l.peak_rate = a.arrival.rate_per_s * peak_level(s, a.arrival) * span.scale;
        l.arrivals = l.peak_rate * duration_s();
        return l;
    }
    static void exchange(Load& l, const ExchangeSpec& x) {
        const double requests = std::max(1.0, mean(x.requests));
        const double transfer_us = mean(x.response) * 8 / x.bandwidth_bps * 1e6;
        l.lifetime_us = requests * (mean(x.rtt) + mean(x.server_time) + transfer_us) + (requests - 1) * mean(x.think);
        l.bursts = 3 + 2 * requests;
    }

    Load operator()(const InteractiveSpec& x) const {
        Load l = poisson();
        l.lifetime_us = std::min(mean(x.session), static_cast<double>(span.duration_us));
        const double command_us = mean(x.think) + std::max(1.0, mean(x.keys)) * mean(x.key_interval) + mean(x.rtt) + 40e3;
        const double commands = l.lifetime_us / std::max(1.0, command_us);
        l.bursts = 2 + 1.5 * commands + x.updates_per_s * seconds(l.lifetime_us);
        return l;
    }
    Load operator()(const WebSpec& x) const {
        Load l = poisson();
        exchange(l, x.exchange);
        return l;
    }
    Load operator()(const DnsSpec& x) const {
        Load l = poisson();
        l.lifetime_us = mean(x.rtt);
        l.bursts = 1;
        return l;
    }
    Load operator()(const BulkSpec& x) const {
        Load l;
        if (x.schedule) {
            std::uint64_t clients = 0;
            for (const std::size_t p : a.clients) clients += s.pools[p].count;
            const double hosts = static_cast<double>(x.schedule->hosts ? std::min(*x.schedule->hosts, clients) : clients);
            const double runs = static_cast<double>(x.schedule->at.size()) * std::ceil(duration_s() / 86400 + 1);
            l.arrivals = hosts * runs * std::max(1.0, span.scale);
            l.in_flight_floor = 2 * hosts;
        } else {
            l = poisson();
        }
        const double transfer_us = x.size ? mean(*x.size) * 8 / x.bandwidth_bps * 1e6 : mean(*x.duration);
        l.lifetime_us = std::min(transfer_us, static_cast<double>(span.duration_us));
        const double chunks = x.variation > 0 ? seconds(l.lifetime_us) / 60 + 1 : 1;
        l.bursts = 3 + 1.5 * chunks;
        return l;
    }
    Load operator()(const BurstSpec& x) const {
        Load l;
        l.peak_rate = x.rate_per_s * span.scale;
        const double days = std::ceil(duration_s() / 86400 + 1);
        l.arrivals = l.peak_rate * seconds(mean(x.length)) * std::max(1.0, mean(x.episodes)) * days;
        exchange(l, x.exchange);
        return l;
    }
    Load operator()(const ScanSpec& x) const {
        Load l = poisson();
        if (x.duration_us) l.arrivals = std::min(l.arrivals, l.peak_rate * seconds(static_cast<double>(*x.duration_us)));
        l.lifetime_us = 20e3;
        l.bursts = 1;
        return l;
    }
    Load operator()(const DdosSpec& x) const {
        Load l;
        l.peak_rate = a.arrival.rate_per_s * span.scale;
        l.arrivals = l.peak_rate * seconds(static_cast<double>(x.ramp_up_us) / 2 + static_cast<double>(x.peak_us) +
                                           static_cast<double>(x.ramp_down_us) / 2);
        l.conversations_per_arrival = 1 + x.replies;
        l.lifetime_us = mean(x.flow_duration);
        l.bursts = 1;
        return l;
    }
    Load operator()(const WormSpec& x) const {
        std::uint64_t vulnerable = 0;
        for (const std::size_t p : x.vulnerable) vulnerable += s.pools[p].count;
        double infected = static_cast<double>(vulnerable) * x.susceptible + 1;
        if (x.max_infected) infected = std::min(infected, static_cast<double>(*x.max_infected));
        Load l;
        l.peak_rate = a.arrival.rate_per_s * span.scale * infected;
        l.arrivals = l.peak_rate * duration_s();
        l.lifetime_us = 50e3;
        l.bursts = 3;
        return l;
    }
};

// Memory per conversation in flight and per flow-cache entry, and gen's fixed part (the binary,
// its libraries, output buffers and threads: 15-22 MB measured with the canned scenarios), with
// some headroom; tests/gen/run_check_test.cpp holds estimates against gen's measured peak RSS.
constexpr double kFixedBytes = 32.0 * 1024 * 1024;
constexpr double kConversationBytes = 512;
constexpr double kBurstBytes = 1.6 * sizeof(Burst);  // a vector's spare capacity included
constexpr double kCacheEntryBytes = 320;
// Records per (conversation, exporter) pair, with headroom (active timeouts split long
// sessions), and a record's share of a message waiting for the merge (its truth and bytes).
constexpr double kPairRecords = 2;
constexpr double kMessageRecordBytes = 400;

RunEstimate estimate(const Scenario& s, const RunSpan& span, std::vector<Load>& loads) {
    RunEstimate e;
    double bytes = 0;
    for (std::size_t i = 0; i < s.activities.size(); ++i) {
        const Load& l = loads[i];
        e.conversations += l.arrivals * l.conversations_per_arrival;
        const double flight = std::max(l.in_flight_floor, l.peak_rate * seconds(l.lifetime_us) * l.conversations_per_arrival);
        const double in_flight = std::min(flight, l.arrivals * l.conversations_per_arrival);
        e.in_flight += in_flight;
        bytes += in_flight * (kConversationBytes + l.bursts * kBurstBytes);
    }
    for (const Exporter& x : s.exporters) bytes += std::min(static_cast<double>(x.cache_size), e.in_flight) * kCacheEntryBytes;
    // gen -j 2 and more: the conversations the traffic source has made ahead, in the pump's
    // batches: a slice of the stream, so with the bursts of an average conversation at the peak.
    double rate = 0, bursts = 0;
    for (const Load& l : loads) {
        rate += l.peak_rate * l.conversations_per_arrival;
        bursts += l.peak_rate * l.conversations_per_arrival * l.bursts;
    }
    if (rate > 0) bursts /= rate;
    bytes += static_cast<double>(kPumpConversations) * (kConversationBytes + bursts * kBurstBytes);
    // And with more than one exporter the exporters' threads: their batches' records and
    // messages not yet merged, bounded per (conversation, exporter) pair.
    if (s.exporters.size() > 1)
        bytes += static_cast<double>((kParallelDepth + 1) * kParallelPairs) * kPairRecords * kMessageRecordBytes;
    (void)span;
    e.peak_memory_bytes = kFixedBytes + bytes;
    return e;
}

std::string option_note(bool given, const char* option) { return given ? std::string(" (") + option + ")" : ""; }

}  // namespace

RunEstimate check_run(const Scenario& s, const RunSpan& span, Diagnostics& diag) {
    const auto fail = [&](const std::string& pointer, const std::string& msg) {
        diag.add(ConfigError(s.file, pointer, msg));
    };
    const std::string start_note = option_note(span.start_given, "--start");
    const std::string duration_note = option_note(span.duration_given, "--duration");
    bool span_ok = true;
    if (!(span.scale > 0) || !std::isfinite(span.scale)) {
        fail("", "--scale must be a positive number, got " + std::to_string(span.scale));
        span_ok = false;
    }
    if (span.duration_us <= 0 || span.duration_us > kMaxSpanUs) {
        fail("/time/duration", "expected a duration greater than zero and at most " + format_duration(kMaxSpanUs) +
                                   ", got " + format_duration(span.duration_us) + duration_note);
        span_ok = false;
    }
    if (span.start_us < 0) {
        fail("/time/start", "expected a start from 1970 on, got " + format_time(span.start_us) + start_note);
        span_ok = false;
    }
    if (!span_ok) return {};

    // Records leave an exporter up to its timeouts and export delay after the last packet.
    std::int64_t tail_us = kUsPerHour;
    for (const Exporter& e : s.exporters)
        tail_us = std::max(tail_us, e.active_timeout_us + e.inactive_timeout_us + e.export_delay_us + kUsPerHour);
    const std::int64_t last_export_us = kLastExportSecond * kUsPerSecond;
    if (span.start_us > last_export_us - tail_us || span.duration_us > last_export_us - tail_us - span.start_us) {
        fail("/time/start", "the exports would carry times up to " + format_time(span.end_us()) + " and beyond, after " +
                                format_time(last_export_us) +
                                ", the last second NetFlow/IPFIX export headers (32-bit seconds) and pcap files can hold; "
                                "start earlier or shorten the span" +
                                (span.start_given || span.duration_given ? " (--start/--duration)" : ""));
    }

    constexpr std::int64_t kWrapUs = (std::int64_t{1} << 32) * 1000;
    for (std::size_t i = 0; i < s.exporters.size(); ++i) {
        const Exporter& e = s.exporters[i];
        if (!e.uses_uptime() || e.boot_us + span.duration_us < kWrapUs) continue;
        fail("/exporters/" + std::to_string(i) + "/boot",
             "sysUptime would pass 2^32 ms (49d 17h) before the end: booted " + format_duration(e.boot_us) +
                 " before a span of " + format_duration(span.duration_us) + duration_note +
                 "; use a shorter boot or span" + (e.protocol == ExportProtocol::ipfix ? ", or an absolute time_style" : ""));
    }

    std::vector<Load> loads;
    for (std::size_t i = 0; i < s.activities.size(); ++i) {
        const Activity& a = s.activities[i];
        const std::string base = "/activities/" + std::to_string(i);
        // In the file's own span an event that cannot happen is a mistake; a span given on the
        // command line may cut events off on purpose (a load test of the first hours).
        const auto inside = [&](const TimeRef& t, const char* key, const char* what) {
            const std::int64_t at = t.resolve(span.start_us);
            if ((at < span.start_us || at >= span.end_us()) && !span.start_given && !span.duration_given)
                fail(base + "/" + key, std::string(what) + " " + format_time(at) + ", outside the scenario's span (" +
                                           format_time(span.start_us) + " to " + format_time(span.end_us()) + ")");
        };
        if (const auto* x = std::get_if<ScanSpec>(&a.spec)) inside(x->start, "start", "the scan starts at");
        if (const auto* x = std::get_if<DdosSpec>(&a.spec)) inside(x->start, "start", "the attack starts at");
        if (const auto* x = std::get_if<WormSpec>(&a.spec)) inside(x->at, "at", "the worm enters at");

        loads.push_back(std::visit(LoadOf{s, a, span}, a.spec));
        if (loads.back().peak_rate > kMaxArrivalRate) {
            fail(base + "/rate",
                 fmt::format("arrivals would peak at {:.4g}/s", loads.back().peak_rate) +
                     (span.scale != 1.0 ? " (--scale " + std::to_string(span.scale) + " included)" : "") +
                     "; at most " + std::to_string(static_cast<long long>(kMaxArrivalRate)) +
                     "/s per activity (profiles at their highest)");
        }
    }
    const RunEstimate e = estimate(s, span, loads);
    if (e.conversations > kMaxConversations) {
        fail("/activities",
             fmt::format("the run could generate up to {:.3g} conversations over ", e.conversations) +
                 format_duration(span.duration_us) + duration_note +
                 "; at most 1e10 per run (shorten the span, lower the rates or --scale)");
    }
    return e;
}

}  // namespace detail

RunEstimate check_run(const Scenario& s, const RunSpan& span, std::uint64_t memory_limit) {
    detail::Diagnostics diag;
    const RunEstimate e = detail::check_run(s, span, diag);
    if (diag.empty() && memory_limit > 0 && e.peak_memory_bytes > static_cast<double>(memory_limit)) {
        diag.add(ConfigError(
            s.file, "",
            "gen would need about " + core::format_bytes(e.peak_memory_bytes) + " at its peak (" +
                fmt::format("{:.3g}", e.in_flight) +
                " conversations in flight at once), more than the memory limit of " +
                core::format_bytes(static_cast<double>(memory_limit)) +
                " (--memory-limit); shorten sessions, lower the rates or --scale, or raise the limit"));
    }
    if (!diag.empty()) throw ScenarioErrors(std::move(diag.errors()), diag.unlisted());
    return e;
}

std::uint64_t default_memory_limit() {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long page = ::sysconf(_SC_PAGESIZE);
    std::uint64_t total = pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page)
                                                : std::uint64_t{4} << 30;
    // A container's limit (cgroup v2, then v1) when lower than the machine's.
    for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
        std::ifstream in(path);
        std::uint64_t v = 0;
        if (in >> v && v > 0 && v < total) total = v;
    }
    return total / 2;
}

std::uint64_t peak_resident_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) {
            std::istringstream fields(line.substr(6));
            std::uint64_t kib = 0;
            return fields >> kib ? kib * 1024 : 0;
        }
    return 0;
}

}  // namespace flowlab::gen

/// @brief Stage 2 of scenario validation: checks that involve several sections at once.
#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "flowlab/core/error.hpp"
#include "json_node.hpp"
#include "scenario_internal.hpp"

namespace flowlab::gen::detail {
namespace {

const char* const kDayLong[7] = {"Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"};
const char* const kDayShort[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string ptr(std::string_view section, std::string_view name) {
    return "/" + std::string(section) + "/" + escape_pointer_token(name);
}
std::string ptr(std::string_view section, std::size_t i) { return "/" + std::string(section) + "/" + std::to_string(i); }

/// Address families a pool list offers: bit 0 IPv4, bit 1 IPv6 (all pools must offer it).
unsigned families(const Scenario& s, const std::vector<std::size_t>& pools) {
    unsigned f = 3;
    for (std::size_t p : pools) {
        unsigned pf = 0;
        for (std::size_t n : s.pools[p].networks) pf |= s.networks[n].cidr.is_v4() ? 1u : 2u;
        f &= pf;
    }
    return f;
}

std::uint64_t host_total(const Scenario& s, const std::vector<std::size_t>& pools) {
    std::uint64_t n = 0;
    for (std::size_t p : pools) n += s.pools[p].count;
    return n;
}

void check_profiles(const Scenario& s) {
    for (const Profile& p : s.profiles) {
        const Site& site = s.sites[p.site];
        for (int d = 0; d < 7; ++d) {
            const bool weekend = (site.weekend_mask >> d & 1) != 0;
            if (p.shape_for[static_cast<std::size_t>(d * 2)] < 0) {
                throw ConfigError(s.file, ptr("profiles", p.name),
                                  std::string("no shape for ") + kDayLong[d] + " (" + (weekend ? "weekend" : "working") +
                                      " days at site \"" + site.name + "\"): add \"" + kDayShort[d] + "\", \"" +
                                      (weekend ? "weekend" : "weekday") + "\" or \"all\"");
            }
            if (!site.holidays.empty() && p.shape_for[static_cast<std::size_t>(d * 2 + 1)] < 0) {
                throw ConfigError(s.file, ptr("profiles", p.name),
                                  "no shape for holidays (site \"" + site.name +
                                      "\" has holidays): add \"holiday\", \"weekend\" or \"all\"");
            }
        }
    }
}

void check_time(const Scenario& s, const std::string& where, const TimeRef& t, std::string_view what) {
    const std::int64_t at = t.resolve(s.start_us);
    if (at < s.start_us || at >= s.end_us()) {
        throw ConfigError(s.file, where,
                          std::string(what) + " " + format_time(at) + ", outside the scenario's span (" +
                              format_time(s.start_us) + " to " + format_time(s.end_us()) + ")");
    }
}

void check_activity(const Scenario& s, std::size_t i) {
    const Activity& a = s.activities[i];
    const std::string base = ptr("activities", i);
    const auto fail = [&](std::string_view key, const std::string& msg) {
        throw ConfigError(s.file, key.empty() ? base : base + "/" + std::string(key), msg);
    };
    const auto need_index = [&](std::string_view key, std::optional<std::uint64_t> host, std::size_t pool) {
        if (host && *host >= s.pools[pool].count)
            fail(key, "host " + std::to_string(*host) + " does not exist: pool \"" + s.pools[pool].name + "\" has " +
                          std::to_string(s.pools[pool].count) + " hosts (0.." +
                          std::to_string(s.pools[pool].count - 1) + ")");
    };
    const auto range_family = [&](const std::vector<AddressRange>& r) { return r.front().block.is_v4() ? 1u : 2u; };
    switch (a.kind) {
        case ActivityKind::interactive:
        case ActivityKind::web:
        case ActivityKind::dns:
        case ActivityKind::bulk:
        case ActivityKind::burst:
            if ((families(s, a.clients) & families(s, a.servers)) == 0)
                fail("servers", "clients and servers share no address family (one side is IPv4 only, the other IPv6 only)");
            break;
        default:
            break;
    }
    if (const auto* b = std::get_if<BulkSpec>(&a.spec); b && b->schedule && b->schedule->hosts) {
        if (*b->schedule->hosts > host_total(s, a.clients))
            fail("schedule/hosts", "more hosts per run (" + std::to_string(*b->schedule->hosts) +
                                       ") than the client pools hold (" + std::to_string(host_total(s, a.clients)) + ")");
    }
    if (const auto* b = std::get_if<BurstSpec>(&a.spec)) {
        if (b->length.lower() > static_cast<double>(b->window.length_us()))
            fail("length", "episodes last at least " + format_duration(std::llround(b->length.lower())) +
                               ", longer than the window (" + format_duration(b->window.length_us()) + ")");
    }
    if (const auto* x = std::get_if<ScanSpec>(&a.spec)) {
        need_index("host", x->host, a.clients.front());
        if ((families(s, a.clients) & range_family(x->targets)) == 0)
            fail("targets", "the scanner has no address of the targets' family");
        check_time(s, base + "/start", x->start, "the scan starts at");
    }
    if (const auto* x = std::get_if<DdosSpec>(&a.spec)) {
        need_index("host", x->host, a.servers.front());
        if ((families(s, a.servers) & range_family(x->sources)) == 0)
            fail("sources", "the victim has no address of the sources' family");
        std::uint64_t addresses = 0;
        for (const auto& r : x->sources) addresses += r.count;
        if (x->source_count && *x->source_count > addresses)
            fail("source_count", std::to_string(*x->source_count) + " distinct sources, but the source ranges hold only " +
                                      std::to_string(addresses) + " addresses");
        check_time(s, base + "/start", x->start, "the attack starts at");
    }
    if (const auto* x = std::get_if<WormSpec>(&a.spec)) {
        need_index("host", x->host, a.clients.front());
        const unsigned f = range_family(x->targets);
        if ((families(s, a.clients) & f) == 0) fail("targets", "patient zero has no address of the targets' family");
        for (std::size_t k = 0; k < x->vulnerable.size(); ++k) {
            if ((families(s, {x->vulnerable[k]}) & f) == 0)
                fail("vulnerable", "pool \"" + s.pools[x->vulnerable[k]].name + "\" has no address of the targets' family");
        }
        check_time(s, base + "/at", x->at, "the worm enters at");
    }
}

void check_exporters(const Scenario& s) {
    std::set<std::tuple<std::array<std::uint8_t, 16>, std::uint16_t, std::uint32_t>> seen;
    for (std::size_t i = 0; i < s.exporters.size(); ++i) {
        const Exporter& e = s.exporters[i];
        const std::string base = ptr("exporters", i);
        const auto fail = [&](std::string_view key, const std::string& msg) {
            throw ConfigError(s.file, key.empty() ? base : base + "/" + std::string(key), msg);
        };
        if (e.address.is_v4() != s.collector.address.is_v4())
            fail("address", "the exporter's address family differs from the collector's (" +
                                address_text(s.collector.address) + "); exports go from one to the other");
        if (e.mtu < (e.address.is_v4() ? 576u : 1280u))
            fail("mtu", std::string("expected an MTU of at least ") + (e.address.is_v4() ? "576" : "1280 for IPv6"));
        if (e.protocol == ExportProtocol::v5) {
            if (e.time_style != TimeStyle::uptime)
                fail("time_style", "NetFlow v5 records carry times as sysUptime only; use \"uptime\" or leave it out");
            if (e.domain > 0xFFFF) fail("domain", "v5 has engine_type and engine_id (8 bits each): at most 65535");
            if (e.default_if > 0xFFFF) fail("default_if", "v5 carries 16-bit interface indexes: at most 65535");
            for (std::size_t k = 0; k < e.observes.size(); ++k) {
                if (e.observes[k].if_index > 0xFFFF)
                    fail("observes", "v5 carries 16-bit interface indexes: at most 65535");
            }
            if (e.sampling_rate > 0x3FFF) fail("sampling/rate", "v5 carries a 14-bit sampling interval: at most 16383");
        } else if (e.template_refresh_packets == 0 && e.template_refresh_interval_us == 0) {
            fail("template_refresh", "templates would never be sent again; give packets or interval (or both) above 0");
        }
        if (!seen.insert({e.address.bytes(), e.port, e.domain}).second)
            fail("domain", "another exporter has the same address, port and domain; a collector could not tell them apart");
    }
    check_span(s, s.start_us, s.end_us());
}

}  // namespace

void check_model(const Scenario& s) {
    check_profiles(s);
    for (std::size_t i = 0; i < s.activities.size(); ++i) check_activity(s, i);
    check_exporters(s);
}

}  // namespace flowlab::gen::detail

namespace flowlab::gen {

void check_span(const Scenario& s, std::int64_t start_us, std::int64_t end_us) {
    constexpr std::int64_t kWrapUs = (std::int64_t{1} << 32) * 1000;
    for (std::size_t i = 0; i < s.exporters.size(); ++i) {
        const Exporter& e = s.exporters[i];
        if (!e.uses_uptime()) continue;
        const std::int64_t at_end = e.boot_us + (end_us - start_us);
        if (at_end >= kWrapUs) {
            throw ConfigError(s.file, "/exporters/" + std::to_string(i) + "/boot",
                              "sysUptime would pass 2^32 ms (49d 17h) before the end: booted " +
                                  format_duration(e.boot_us) + " before a span of " +
                                  format_duration(end_us - start_us) + "; use a shorter boot or span" +
                                  (e.protocol == ExportProtocol::ipfix ? ", or an absolute time_style" : ""));
        }
    }
}

}  // namespace flowlab::gen

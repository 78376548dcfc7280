/// @brief Stage 2 of scenario validation: checks that involve several sections at once.
#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "flowlab/core/error.hpp"
#include "flowlab/core/excerpt.hpp"
#include "run_check_internal.hpp"
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

void check_profile(const Scenario& s, const Profile& p) {
    const Site& site = s.sites[p.site];
    for (int d = 0; d < 7; ++d) {
        const bool weekend = (site.weekend_mask >> d & 1) != 0;
        if (p.shape_for[static_cast<std::size_t>(d * 2)] < 0) {
            throw ConfigError(s.file, ptr("profiles", p.name),
                              std::string("no shape for ") + kDayLong[d] + " (" + (weekend ? "weekend" : "working") +
                                  " days at site " + core::quote(site.name) + "): add \"" + kDayShort[d] + "\", \"" +
                                  (weekend ? "weekend" : "weekday") + "\" or \"all\"");
        }
        if (!site.holidays.empty() && p.shape_for[static_cast<std::size_t>(d * 2 + 1)] < 0) {
            throw ConfigError(s.file, ptr("profiles", p.name),
                              "no shape for holidays (site " + core::quote(site.name) +
                                  " has holidays): add \"holiday\", \"weekend\" or \"all\"");
        }
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
            fail(key, "host " + std::to_string(*host) + " does not exist: pool " + core::quote(s.pools[pool].name) + " has " +
                          std::to_string(s.pools[pool].count) + " hosts (0.." +
                          std::to_string(s.pools[pool].count - 1) + ")");
    };
    const auto range_family = [&](const std::vector<AddressRange>& r) { return r.front().block.is_v4() ? 1u : 2u; };
    const bool clients_meet_servers = std::visit([](const auto& x) { return requires { x.kDefaultPort; }; }, a.spec);
    if (clients_meet_servers && (families(s, a.clients) & families(s, a.servers)) == 0)
        fail("servers", "clients and servers share no address family (one side is IPv4 only, the other IPv6 only)");
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
    }
    if (const auto* x = std::get_if<WormSpec>(&a.spec)) {
        need_index("host", x->host, a.clients.front());
        const unsigned f = range_family(x->targets);
        if ((families(s, a.clients) & f) == 0) fail("targets", "patient zero has no address of the targets' family");
        for (std::size_t k = 0; k < x->vulnerable.size(); ++k) {
            if ((families(s, {x->vulnerable[k]}) & f) == 0)
                fail("vulnerable", "pool " + core::quote(s.pools[x->vulnerable[k]].name) + " has no address of the targets' family");
        }
    }
}

void check_exporters(const Scenario& s, Diagnostics& diag) {
    std::set<std::tuple<std::array<std::uint8_t, 16>, std::uint16_t, std::uint32_t>> seen;
    for (std::size_t i = 0; i < s.exporters.size(); ++i) diag.attempt([&] {
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
            for (const Observation& o : e.observes) {
                const std::string at = "observes/" + std::to_string(o.entry);
                if (o.if_index > 0xFFFF) fail(at + "/if", "v5 carries 16-bit interface indexes: at most 65535");
                if (o.vrf_given)
                    fail(at + "/vrf", "NetFlow v5 records have no VRF field; leave \"vrf\" out, or export v9 or IPFIX "
                                      "(ingressVRFID/egressVRFID)");
            }
            if (e.sampling_rate > 0x3FFF) fail("sampling/rate", "v5 carries a 14-bit sampling interval: at most 16383");
        } else if (e.template_refresh_packets == 0 && e.template_refresh_interval_us == 0) {
            fail("template_refresh", "templates would never be sent again; give packets or interval (or both) above 0");
        }
        if (!seen.insert({e.address.bytes(), e.port, e.domain}).second)
            fail("domain", "another exporter has the same address, port and domain; a collector could not tell them apart");
    });
}

}  // namespace

void check_model(const Scenario& s, Diagnostics& diag) {
    for (const Profile& p : s.profiles) diag.attempt([&] { check_profile(s, p); });
    for (std::size_t i = 0; i < s.activities.size(); ++i) diag.attempt([&] { check_activity(s, i); });
    check_exporters(s, diag);
    diag.attempt([&] { check_faults(s); });
    // What depends on the span, for the file's own span: the same check every run passes.
    check_run(s, RunSpan::of(s, {}), diag);
}

}  // namespace flowlab::gen::detail


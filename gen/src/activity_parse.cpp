/// @brief The "activities" section: the keys every activity has, then one small parser per kind
/// (docs/scenario-format.md, "Activity kinds"). Defaults live in the spec structs
/// (scenario.hpp); the kinds are the alternatives of ActivitySpec, dispatched on by name.
#include <algorithm>
#include <limits>

#include "flowlab/core/excerpt.hpp"
#include "flowlab/gen/rate_curve.hpp"
#include "scenario_internal.hpp"

namespace flowlab::gen::detail {
namespace {

using Q = Node::Quantity;
using Keys = std::vector<std::string_view>;

const Keys kCommon{"name", "kind", "note", "tos"};
const Keys kEnds{"clients", "servers", "zipf", "port", "v6_share"};
const Keys kArrival{"rate", "profiles", "noise", "days", "window", "site"};
const Keys kExchange{"request", "response", "requests", "think", "rtt", "server_time", "bandwidth"};

Keys keys(std::initializer_list<Keys> parts) {
    Keys out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::string kind_list() {
    std::string s;
    for (const auto k : kActivityKinds) s += (s.empty() ? "" : ", ") + std::string(k);
    return s;
}

constexpr auto kMaxIndex = std::numeric_limits<std::uint32_t>::max();

/// One activity being parsed: its node, the model so far, and the steps several kinds share.
struct ActivityParser {
    const Node& n;
    const Scenario& s;
    const Names& names;
    Activity& a;

    /// The site an activity's calendar and windows default to: that of its first pool's network.
    std::size_t site_of(const std::vector<std::size_t>& pools) const {
        if (pools.empty()) return 0;
        return s.networks[s.pools[pools.front()].networks.front()].site;
    }

    /// clients, servers, zipf, port, v6_share.
    void ends(std::uint16_t default_port) {
        a.clients = parse_pool_list(n.at("clients"), names);
        a.servers = parse_pool_list(n.at("servers"), names);
        if (auto v = n.get("zipf")) a.zipf = v->number(0, 10);
        a.ports = n.has("port") ? parse_port_list(n.at("port")) : std::vector<std::uint16_t>{default_port};
        if (auto v = n.get("v6_share")) a.v6_share = v->probability();
        a.arrival.site = site_of(a.clients);
    }

    /// A positive rate of events at key `key`.
    double rate(std::string_view key) const {
        const auto r = n.at(key, "a rate of arrivals, e.g. \"30/min\"");
        const double v = r.per_time();
        if (!(v > 0)) r.fail("expected a rate greater than zero");
        return v;
    }

    /// rate (required), profiles, noise, days, window, site: Poisson arrivals.
    void arrival() {
        ArrivalSpec& r = a.arrival;
        if (auto v = n.get("site")) r.site = names.lookup(Names::site, *v);
        r.rate_per_s = rate("rate");
        if (auto v = n.get("profiles")) {
            if (v->is_string()) {
                r.profiles.push_back(names.lookup(Names::profile, *v));
            } else {
                const auto list = v->elements();
                if (list.size() > RateCurve::kMaxProfiles)
                    v->fail("at most " + std::to_string(RateCurve::kMaxProfiles) + " profiles per activity");
                for (const auto& e : list) r.profiles.push_back(names.lookup(Names::profile, e));
            }
        }
        if (auto v = n.get("noise")) r.noise = parse_noise(*v);
        if (auto v = n.get("days")) r.days = parse_days(*v);
        if (auto v = n.get("window")) r.window = parse_window(*v, names, r.site);
    }

    /// The exchange keys over `x` (the kind's defaults).
    void exchange(ExchangeSpec& x) const {
        if (auto v = n.get("request")) x.request = v->distribution(Q::bytes);
        if (auto v = n.get("response")) x.response = v->distribution(Q::bytes);
        if (auto v = n.get("requests")) {
            x.requests = v->distribution(Q::count);
            require_at_least(*v, x.requests, 0.5, "at least one request per connection");
        }
        if (auto v = n.get("think")) x.think = v->distribution(Q::duration);
        if (auto v = n.get("rtt")) x.rtt = v->distribution(Q::duration);
        if (auto v = n.get("server_time")) x.server_time = v->distribution(Q::duration);
        if (auto v = n.get("bandwidth")) x.bandwidth_bps = v->bitrate();
    }

    /// An optional distribution at `key`.
    void take(std::string_view key, Distribution& d, Q q) const {
        if (auto v = n.get(key)) d = v->distribution(q);
    }
    /// An optional pool index (a host of a pool) at `key`.
    void take_host(std::string_view key, std::optional<std::uint64_t>& h) const {
        if (auto v = n.get(key)) h = v->integer(0, kMaxIndex);
    }
};

void parse_kind(ActivityParser& p, InteractiveSpec& x) {
    p.n.expect_object(keys({kCommon, kEnds, kArrival,
                            {"session", "think", "keys", "key_size", "key_interval", "screen", "rtt", "updates",
                             "update_size"}}),
                      {"clients", "servers", "rate"});
    p.ends(InteractiveSpec::kDefaultPort);
    p.arrival();
    p.take("session", x.session, Q::duration);
    p.take("think", x.think, Q::duration);
    if (auto v = p.n.get("keys")) {
        x.keys = v->distribution(Q::count);
        require_at_least(*v, x.keys, 0.5, "at least one keystroke per command");
    }
    p.take("key_size", x.key_size, Q::bytes);
    p.take("key_interval", x.key_interval, Q::duration);
    p.take("screen", x.screen, Q::bytes);
    p.take("rtt", x.rtt, Q::duration);
    if (auto v = p.n.get("updates")) x.updates_per_s = v->per_time();
    p.take("update_size", x.update_size, Q::bytes);
}

void parse_kind(ActivityParser& p, WebSpec& x) {
    p.n.expect_object(keys({kCommon, kEnds, kArrival, kExchange}), {"clients", "servers", "rate"});
    p.ends(WebSpec::kDefaultPort);
    p.arrival();
    p.exchange(x.exchange);
}

void parse_kind(ActivityParser& p, DnsSpec& x) {
    p.n.expect_object(keys({kCommon, kEnds, kArrival, {"query", "response", "rtt", "unanswered"}}),
                      {"clients", "servers", "rate"});
    p.ends(DnsSpec::kDefaultPort);
    p.arrival();
    p.take("query", x.query, Q::bytes);
    p.take("response", x.response, Q::bytes);
    p.take("rtt", x.rtt, Q::duration);
    if (auto v = p.n.get("unanswered")) x.unanswered = v->probability();
}

BulkSchedule parse_schedule(const ActivityParser& p, const Node& sn) {
    for (auto k : kArrival) {
        if (k != "site" && p.n.has(k))
            p.n.fail_at(k, "a scheduled bulk activity takes no \"" + std::string(k) +
                               "\"; give either \"schedule\" or a Poisson \"rate\"");
    }
    sn.expect_object({"site", "at", "days", "jitter", "hosts", "stagger"}, {"at"});
    BulkSchedule b;
    b.site = sn.has("site")    ? p.names.lookup(Names::site, sn.at("site"))
             : p.n.has("site") ? p.names.lookup(Names::site, p.n.at("site"))
                               : p.a.arrival.site;
    const auto at = sn.at("at");
    if (at.is_string()) {
        b.at.push_back(at.time_of_day());
    } else {
        for (const auto& e : at.elements(1)) b.at.push_back(e.time_of_day());
    }
    for (auto& t : b.at) {
        if (t == kUsPerDay) t = 0;
    }
    std::sort(b.at.begin(), b.at.end());
    if (std::adjacent_find(b.at.begin(), b.at.end()) != b.at.end()) at.fail("lists the same time twice");
    if (auto v = sn.get("days")) b.days = parse_days(*v);
    if (auto v = sn.get("jitter")) b.jitter = v->distribution(Q::duration);
    if (auto v = sn.get("hosts")) {
        if (v->is_string()) {
            if (v->string() != "all") v->fail("expected \"all\" or a number of hosts");
        } else {
            b.hosts = v->integer(1, kMaxIndex);
        }
    }
    if (auto v = sn.get("stagger")) b.stagger_us = v->duration();
    return b;
}

void parse_kind(ActivityParser& p, BulkSpec& x) {
    const Node& n = p.n;
    n.expect_object(keys({kCommon, kEnds, kArrival,
                          {"direction", "bandwidth", "size", "duration", "variation", "rtt", "schedule"}}),
                    {"clients", "servers", "bandwidth"});
    p.ends(BulkSpec::kDefaultPort);
    if (auto v = n.get("direction")) {
        const std::string d = v->string();
        if (d == "upload") {
            x.upload = true;
        } else if (d == "download") {
            x.upload = false;
        } else {
            v->fail("expected \"upload\" (client sends the data) or \"download\", got " + core::quote(d));
        }
    }
    x.bandwidth_bps = n.at("bandwidth").bitrate();
    if (n.has("size") == n.has("duration"))
        n.fail("expected exactly one of \"size\" (bytes per transfer) and \"duration\" (time per transfer)");
    if (auto v = n.get("size")) {
        x.size = v->distribution(Q::bytes);
    } else {
        const auto dn = n.at("duration");
        x.duration = dn.distribution(Q::duration);
        require_at_least(dn, *x.duration, 1.0, "a transfer duration greater than zero");
    }
    if (auto v = n.get("variation")) x.variation = v->probability();
    p.take("rtt", x.rtt, Q::duration);
    if (auto sn = n.get("schedule")) {
        x.schedule = parse_schedule(p, *sn);
    } else {
        p.arrival();
    }
}

void parse_kind(ActivityParser& p, BurstSpec& x) {
    const Node& n = p.n;
    n.expect_object(keys({kCommon, kEnds, kExchange, {"days", "per_week", "window", "episodes", "length", "rate"}}),
                    {"clients", "servers", "window", "rate"});
    p.ends(BurstSpec::kDefaultPort);
    p.exchange(x.exchange);
    if (n.has("days") == n.has("per_week"))
        n.fail("expected exactly one of \"days\" (e.g. [\"tue\", \"thu\"]) and \"per_week\" (random working days per week)");
    if (auto v = n.get("days")) x.days = parse_days(*v);
    if (auto v = n.get("per_week")) x.per_week = static_cast<std::uint32_t>(v->integer(1, 7));
    x.window = parse_window(n.at("window"), p.names, p.a.arrival.site);
    if (auto v = n.get("episodes")) {
        x.episodes = v->distribution(Q::count);
        require_at_least(*v, x.episodes, 0, "a non-negative number of episodes");
    }
    if (auto v = n.get("length")) {
        x.length = v->distribution(Q::duration);
        require_at_least(*v, x.length, 1.0, "an episode length greater than zero");
    }
    x.rate_per_s = p.rate("rate");
}

void parse_kind(ActivityParser& p, ScanSpec& x) {
    const Node& n = p.n;
    n.expect_object(keys({kCommon, {"scanner", "host", "targets", "ports", "order", "shuffle", "proto", "start",
                                    "duration", "rate", "profiles", "open", "closed", "payload"}}),
                    {"scanner", "targets", "ports", "rate"});
    p.a.clients = {p.names.lookup(Names::pool, n.at("scanner"))};
    p.a.arrival.site = p.site_of(p.a.clients);
    p.take_host("host", x.host);
    x.targets = parse_ranges(n.at("targets"), p.s, p.names);
    x.ports = parse_port_ranges(n.at("ports"));
    if (auto v = n.get("order")) {
        const std::string o = v->string();
        if (o == "horizontal") {
            x.vertical = false;
        } else if (o == "vertical") {
            x.vertical = true;
        } else {
            v->fail("expected \"horizontal\" (each port across all addresses) or \"vertical\" (all ports of one address "
                    "at a time), got " +
                    core::quote(o));
        }
    }
    if (auto v = n.get("shuffle")) x.shuffle = v->boolean();
    if (auto v = n.get("proto")) p.a.proto = parse_proto(*v, {"tcp", "udp"});
    if (auto v = n.get("start")) x.start = v->time_ref();
    if (auto v = n.get("duration")) {
        x.duration_us = v->duration();
        if (*x.duration_us <= 0) v->fail("expected a duration greater than zero");
    }
    p.arrival();
    if (auto v = n.get("open")) x.open = v->probability();
    if (auto v = n.get("closed")) x.closed = v->probability();
    if (x.open + x.closed > 1.0 + 1e-12) n.fail_at("closed", "open + closed must not exceed 100%");
    p.take("payload", x.payload, Q::bytes);
}

void parse_kind(ActivityParser& p, DdosSpec& x) {
    const Node& n = p.n;
    Activity& a = p.a;
    n.expect_object(keys({kCommon, {"sources", "source_count", "victim", "host", "proto", "port", "start", "ramp_up",
                                    "peak", "ramp_down", "rate", "packets", "size", "flow_duration", "replies"}}),
                    {"sources", "victim", "start", "peak", "rate"});
    x.sources = parse_ranges(n.at("sources"), p.s, p.names);
    if (auto v = n.get("source_count")) x.source_count = v->integer(1, kMaxIndex);
    a.servers = {p.names.lookup(Names::pool, n.at("victim"))};
    a.arrival.site = p.site_of(a.servers);
    if (auto v = n.get("host")) x.host = v->integer(0, kMaxIndex);
    if (auto v = n.get("proto")) a.proto = parse_proto(*v, {"udp", "tcp", "icmp"});
    a.ports = n.has("port") ? parse_port_list(n.at("port")) : std::vector<std::uint16_t>{DdosSpec::default_port(a.proto)};
    x.start = n.at("start").time_ref();
    if (auto v = n.get("ramp_up")) x.ramp_up_us = v->duration();
    x.peak_us = n.at("peak").duration();
    if (auto v = n.get("ramp_down")) x.ramp_down_us = v->duration();
    if (x.ramp_up_us + x.peak_us + x.ramp_down_us <= 0) n.fail_at("peak", "the attack lasts no time at all");
    a.arrival.rate_per_s = p.rate("rate");
    if (auto v = n.get("packets")) {
        x.packets = v->distribution(Q::count);
        require_at_least(*v, x.packets, 0.5, "at least one packet per flow");
    }
    x.size = DdosSpec::default_size(a.proto);
    p.take("size", x.size, Q::bytes);
    p.take("flow_duration", x.flow_duration, Q::duration);
    if (auto v = n.get("replies")) x.replies = v->probability();
}

void parse_kind(ActivityParser& p, WormSpec& x) {
    const Node& n = p.n;
    Activity& a = p.a;
    n.expect_object(keys({kCommon, {"patient_zero", "host", "at", "targets", "local", "vulnerable", "susceptible",
                                    "proto", "port", "rate", "delay", "exploit", "closed", "max_infected"}}),
                    {"patient_zero", "at", "targets", "vulnerable", "port", "rate"});
    a.clients = {p.names.lookup(Names::pool, n.at("patient_zero"))};
    a.arrival.site = p.site_of(a.clients);
    p.take_host("host", x.host);
    x.at = n.at("at").time_ref();
    x.targets = parse_ranges(n.at("targets"), p.s, p.names);
    if (auto v = n.get("local")) x.local = v->probability();
    a.servers = parse_pool_list(n.at("vulnerable"), p.names);
    x.vulnerable = a.servers;
    if (auto v = n.get("susceptible")) x.susceptible = v->probability();
    if (auto v = n.get("proto")) a.proto = parse_proto(*v, {"tcp", "udp"});
    a.ports = parse_port_list(n.at("port"));
    if (a.ports.size() != 1) n.fail_at("port", "a worm attacks one port");
    a.arrival.rate_per_s = p.rate("rate");
    p.take("delay", x.delay, Q::duration);
    x.exploit = WormSpec::default_exploit(a.proto);
    p.take("exploit", x.exploit, Q::bytes);
    if (auto v = n.get("closed")) x.closed = v->probability();
    if (auto v = n.get("max_infected")) x.max_infected = v->integer(1, kMaxIndex);
}

/// Parses the activity as the ActivitySpec alternative named `kind`; false if none is.
template <std::size_t I = 0>
bool parse_as(std::string_view kind, ActivityParser& p) {
    if constexpr (I < std::variant_size_v<ActivitySpec>) {
        using Spec = std::variant_alternative_t<I, ActivitySpec>;
        if (kind != Spec::kKind) return parse_as<I + 1>(kind, p);
        if constexpr (requires { Spec::kDefaultProto; }) p.a.proto = Spec::kDefaultProto;
        Spec x;
        parse_kind(p, x);
        p.a.spec = std::move(x);
        return true;
    } else {
        return false;
    }
}

}  // namespace

Activity parse_activity(const Node& n, const Scenario& s, const Names& names) {
    Activity a;
    if (!n.is_object()) n.fail("expected an activity object with keys name, kind, ...");
    a.name = n.at("name").name();
    const auto kind_node = n.at("kind", "one of " + kind_list());
    const std::string kind = kind_node.string();
    if (auto v = n.get("note")) a.note = v->string(true);
    if (auto v = n.get("tos")) a.tos = static_cast<std::uint8_t>(v->integer(0, 255));
    ActivityParser p{n, s, names, a};
    if (!parse_as(kind, p)) kind_node.fail("unknown activity kind " + core::quote(kind) + "; expected one of " + kind_list());
    return a;
}

}  // namespace flowlab::gen::detail

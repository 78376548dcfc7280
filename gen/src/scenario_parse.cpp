/// @brief Stage 1 of scenario validation: each section parsed into its structs with keys, types,
/// ranges and units checked and names resolved (docs/scenario-format.md is the reference).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "flowlab/gen/rate_curve.hpp"
#include "flowlab/gen/scenario.hpp"
#include "json_node.hpp"
#include "scenario_internal.hpp"

namespace flowlab::gen {

using detail::Node;
using Q = detail::Node::Quantity;

namespace {

const std::vector<std::string_view> kDayNames{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
const std::vector<std::string_view> kLongDayNames{"monday", "tuesday",  "wednesday", "thursday",
                                                  "friday", "saturday", "sunday"};

int day_index(std::string_view s) {
    for (std::size_t i = 0; i < 7; ++i)
        if (s == kDayNames[i] || s == kLongDayNames[i]) return static_cast<int>(i);
    return -1;
}

/// Name → index tables of the sections parsed so far.
struct Names {
    const Scenario& s;
    std::size_t site(const Node& n) const {
        const std::string v = n.string();
        const std::size_t i = s.find_site(v);
        if (i == kNone) n.fail("unknown site \"" + v + "\"" + known(site_names()));
        return i;
    }
    std::size_t network(const Node& n) const {
        const std::string v = n.string();
        const std::size_t i = s.find_network(v);
        if (i == kNone) n.fail("unknown network \"" + v + "\"" + known(network_names()));
        return i;
    }
    std::size_t pool(const Node& n) const {
        const std::string v = n.string();
        const std::size_t i = s.find_pool(v);
        if (i == kNone) n.fail("unknown host pool \"" + v + "\"" + known(pool_names()));
        return i;
    }
    std::size_t profile(const Node& n) const {
        const std::string v = n.string();
        const std::size_t i = s.find_profile(v);
        if (i == kNone) n.fail("unknown profile \"" + v + "\"" + known(profile_names()));
        return i;
    }
    std::vector<std::string> site_names() const {
        std::vector<std::string> v;
        for (const auto& x : s.sites) v.push_back(x.name);
        return v;
    }
    std::vector<std::string> network_names() const {
        std::vector<std::string> v;
        for (const auto& x : s.networks) v.push_back(x.name);
        return v;
    }
    std::vector<std::string> pool_names() const {
        std::vector<std::string> v;
        for (const auto& x : s.pools) v.push_back(x.name);
        return v;
    }
    std::vector<std::string> profile_names() const {
        std::vector<std::string> v;
        for (const auto& x : s.profiles) v.push_back(x.name);
        return v;
    }
    static std::string known(const std::vector<std::string>& v) {
        if (v.empty()) return " (none is defined)";
        std::string s = "; defined: ";
        for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
        return s;
    }
};

/// Pools: a name, or a list of names.
std::vector<std::size_t> parse_pool_list(const Node& n, const Names& names) {
    std::vector<std::size_t> out;
    if (n.is_string()) {
        out.push_back(names.pool(n));
    } else {
        for (const auto& e : n.elements(1)) out.push_back(names.pool(e));
    }
    return out;
}

std::vector<std::uint16_t> parse_port_list(const Node& n) {
    std::vector<std::uint16_t> out;
    if (n.is_number()) {
        out.push_back(static_cast<std::uint16_t>(n.integer(0, 65535)));
    } else {
        for (const auto& e : n.elements(1)) out.push_back(static_cast<std::uint16_t>(e.integer(0, 65535)));
    }
    return out;
}

/// Scan ports: 22, [22, 80], "1-1024", [22, "8000-8100"].
std::vector<std::uint16_t> parse_port_ranges(const Node& n) {
    std::vector<std::uint16_t> out;
    auto one = [&](const Node& e) {
        if (e.is_number()) {
            out.push_back(static_cast<std::uint16_t>(e.integer(0, 65535)));
            return;
        }
        const std::string s = e.string();
        const auto dash = s.find('-');
        unsigned lo = 0, hi = 0;
        bool ok = dash != std::string::npos;
        try {
            std::size_t used = 0;
            if (ok) {
                lo = static_cast<unsigned>(std::stoul(s.substr(0, dash), &used));
                ok = used == dash;
                hi = static_cast<unsigned>(std::stoul(s.substr(dash + 1), &used));
                ok = ok && used == s.size() - dash - 1;
            }
        } catch (const std::exception&) {
            ok = false;
        }
        if (!ok || lo > hi || hi > 65535) e.fail("expected a port or a port range \"LOW-HIGH\" within 0-65535, got \"" + s + "\"");
        for (unsigned p = lo; p <= hi; ++p) out.push_back(static_cast<std::uint16_t>(p));
    };
    if (n.is_array()) {
        for (const auto& e : n.elements(1)) one(e);
    } else {
        one(n);
    }
    if (out.size() > 65536) n.fail("at most 65536 ports");
    return out;
}

DaySet parse_days(const Node& n) {
    DaySet d;
    const auto one = [&](const Node& e) {
        const std::string s = e.string();
        const int idx = day_index(s);
        if (idx >= 0) {
            d.names = static_cast<std::uint8_t>(d.names | (1u << idx));
        } else if (s == "weekday" || s == "weekdays") {
            d.weekday = true;
        } else if (s == "weekend" || s == "weekends") {
            d.weekend = true;
        } else if (s == "holiday" || s == "holidays") {
            d.holiday = true;
        } else if (s == "all" || s == "daily") {
            d.names = 0x7F;
        } else {
            e.fail("unknown day \"" + s + "\"; expected mon, tue, wed, thu, fri, sat, sun, weekday, weekend, holiday or all");
        }
    };
    if (n.is_string()) {
        one(n);
    } else {
        for (const auto& e : n.elements(1)) one(e);
    }
    return d;
}

Window parse_window(const Node& n, const Names& names, std::size_t default_site) {
    n.expect_object({"site", "from", "to"}, {"from", "to"});
    Window w;
    w.site = n.has("site") ? names.site(n.at("site")) : default_site;
    w.from_us = n.at("from").time_of_day();
    w.to_us = n.at("to").time_of_day();
    if (w.from_us == kUsPerDay) n.at("from").fail("a window cannot start at 24:00; use 00:00");
    if (w.to_us == kUsPerDay) w.to_us = 0;  // 24:00 is the next midnight
    if (w.to_us == w.from_us) n.at("to").fail("the window is empty: from and to are the same time of day");
    return w;
}

Noise parse_noise(const Node& n) {
    n.expect_object({"dist", "cv", "bin"}, {"cv"});
    Noise z;
    if (auto d = n.get("dist")) {
        const std::string k = d->string();
        if (k == "gamma") {
            z.kind = Noise::Kind::gamma;
        } else if (k == "lognormal") {
            z.kind = Noise::Kind::lognormal;
        } else {
            d->fail("expected \"gamma\" or \"lognormal\", got \"" + k + "\"");
        }
    }
    const auto cv = n.at("cv");
    if (cv.is_string()) {
        const std::string s = cv.string();
        if (s.empty() || s.back() != '%') cv.fail("expected a coefficient of variation: a number (0.2) or a percentage (\"20%\")");
        double pct = -1;
        const auto r = std::from_chars(s.data(), s.data() + s.size() - 1, pct);
        if (r.ec != std::errc{} || r.ptr != s.data() + s.size() - 1 || !(pct >= 0))
            cv.fail("expected a coefficient of variation: a number (0.2) or a percentage (\"20%\"), got \"" + s + "\"");
        z.cv = pct / 100.0;
    } else {
        z.cv = cv.number(0, 5);
    }
    if (z.cv > 5) cv.fail("expected a coefficient of variation of at most 5 (500%)");
    if (auto b = n.get("bin")) {
        z.bin_us = b->duration();
        if (z.bin_us < kUsPerSecond || z.bin_us > kUsPerDay) b->fail("expected a bin from 1s to 1d");
    }
    return z;
}

/// A target/source list: network names, pool names or literal CIDR blocks.
std::vector<AddressRange> parse_ranges(const Node& n, const Scenario& s) {
    std::vector<AddressRange> out;
    const auto one = [&](const Node& e) {
        const std::string v = e.string();
        const std::size_t net = s.find_network(v);
        const std::size_t pool = s.find_pool(v);
        if (net != kNone && pool != kNone)
            e.fail("\"" + v + "\" is both a network and a host pool; rename one of them");
        AddressRange r;
        r.label = v;
        if (pool != kNone) {
            const HostPool& p = s.pools[pool];
            r.block = s.networks[p.networks[0]].cidr;
            r.first = p.offset;
            r.count = p.count;
        } else if (net != kNone) {
            r.block = s.networks[net].cidr;
            r.first = r.block.first_host_offset();
            r.count = r.block.host_capacity();
        } else if (v.find('/') != std::string::npos) {
            try {
                r.block = parse_cidr(v);
            } catch (const UnitError& ex) {
                e.fail(ex.what());
            }
            r.first = r.block.first_host_offset();
            r.count = r.block.host_capacity();
        } else {
            e.fail("\"" + v + "\" is neither a network, nor a host pool, nor a CIDR block" +
                   Names::known(Names{s}.network_names()));
        }
        if (r.count == 0) e.fail("\"" + v + "\" holds no host address");
        out.push_back(std::move(r));
    };
    if (n.is_string()) {
        one(n);
    } else {
        for (const auto& e : n.elements(1)) one(e);
    }
    const bool v4 = out.front().block.is_v4();
    for (std::size_t i = 1; i < out.size(); ++i) {
        if (out[i].block.is_v4() != v4) n.fail("mixes IPv4 and IPv6 ranges; use one address family per list");
    }
    return out;
}

std::uint8_t parse_proto(const Node& n, std::initializer_list<std::string_view> allowed) {
    const std::string v = n.string();
    std::string list;
    for (auto a : allowed) {
        if (v == a) return v == "tcp" ? 6 : v == "udp" ? 17 : 1;
        list += (list.empty() ? "" : ", ") + std::string(a);
    }
    n.fail("expected one of " + list + ", got \"" + v + "\"");
}

/// Checks a distribution's smallest possible value. Lognormal, Pareto and exponential draws are
/// positive; where a quantity needs at least 1 the generator rounds them up, so only the laws
/// with a stated lower end (fixed, uniform, empirical, or an explicit min) are checked.
void require_at_least(const Node& n, const Distribution& d, double lo, const std::string& what) {
    using K = Distribution::Kind;
    const bool stated = d.kind == K::fixed || d.kind == K::uniform || d.kind == K::empirical;
    if (stated ? d.lower() < lo : (std::isfinite(d.min) && d.min < 0)) n.fail("expected " + what);
}

ExchangeSpec parse_exchange(const Node& n, const ExchangeSpec& defaults) {
    ExchangeSpec x = defaults;
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
    return x;
}

Distribution lognormal_median(double median, double sigma, double max = INFINITY) {
    Distribution d;
    d.kind = Distribution::Kind::lognormal;
    d.a = std::log(median);
    d.b = sigma;
    d.max = max;
    return d;
}
Distribution exponential_mean(double mean) {
    Distribution d;
    d.kind = Distribution::Kind::exponential;
    d.a = mean;
    return d;
}
Distribution uniform_range(double lo, double hi) {
    Distribution d;
    d.kind = Distribution::Kind::uniform;
    d.a = lo;
    d.b = hi;
    return d;
}

ExchangeSpec default_exchange() {
    ExchangeSpec x;
    x.request = lognormal_median(400, 0.6, 64e3);
    x.response = lognormal_median(12e3, 1.4, 200e6);
    x.requests = Distribution::constant(1);
    x.think = exponential_mean(1e6);
    x.rtt = Distribution::constant(20e3);
    x.server_time = exponential_mean(5e3);
    x.bandwidth_bps = 100e6;
    return x;
}

const std::vector<std::string_view> kArrivalKeys{"rate", "profiles", "noise", "days", "window", "site"};

std::vector<std::string_view> keys(std::initializer_list<std::vector<std::string_view>> parts) {
    std::vector<std::string_view> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

void parse_arrival(const Node& n, const Names& names, Activity& a, bool rate_required) {
    ArrivalSpec& r = a.arrival;
    if (auto v = n.get("site")) r.site = names.site(*v);
    if (auto v = n.get("rate")) {
        r.rate_per_s = v->per_time();
        if (!(r.rate_per_s > 0)) v->fail("expected a rate greater than zero");
    } else if (rate_required) {
        n.fail_at("rate", "required key is missing: a rate of arrivals, e.g. \"30/min\"");
    }
    if (auto v = n.get("profiles")) {
        if (v->is_string()) {
            r.profiles.push_back(names.profile(*v));
        } else {
            for (const auto& e : v->elements()) r.profiles.push_back(names.profile(e));
            if (r.profiles.size() > RateCurve::kMaxProfiles)
                v->fail("at most " + std::to_string(RateCurve::kMaxProfiles) + " profiles per activity");
        }
    }
    if (auto v = n.get("noise")) r.noise = parse_noise(*v);
    if (auto v = n.get("days")) r.days = parse_days(*v);
    if (auto v = n.get("window")) r.window = parse_window(*v, names, r.site);
}

/// The site an activity's calendar and windows default to: that of its first pool's network.
std::size_t default_site(const Scenario& s, const std::vector<std::size_t>& pools) {
    if (pools.empty()) return 0;
    return s.networks[s.pools[pools.front()].networks.front()].site;
}

Activity parse_activity(const Node& n, const Scenario& s) {
    const Names names{s};
    Activity a;
    if (!n.is_object()) n.fail("expected an activity object with keys name, kind, ...");
    a.name = n.at("name").name();
    const auto kind_node = n.at("kind", "one of interactive, web, dns, bulk, burst, scan, ddos, worm");
    const std::string kind = kind_node.string();
    const std::vector<std::string_view> common{"name", "kind", "note", "tos"};
    const std::vector<std::string_view> ends{"clients", "servers", "zipf", "port", "v6_share"};
    const std::vector<std::string_view> exchange{"request", "response", "requests", "think", "rtt", "server_time", "bandwidth"};
    if (auto v = n.get("note")) a.note = v->string(true);
    if (auto v = n.get("tos")) a.tos = static_cast<std::uint8_t>(v->integer(0, 255));

    const auto parse_ends = [&](std::uint16_t default_port) {
        a.clients = parse_pool_list(n.at("clients"), names);
        a.servers = parse_pool_list(n.at("servers"), names);
        if (auto v = n.get("zipf")) a.zipf = v->number(0, 10);
        a.ports = n.has("port") ? parse_port_list(n.at("port")) : std::vector<std::uint16_t>{default_port};
        if (auto v = n.get("v6_share")) a.v6_share = v->probability();
        a.arrival.site = default_site(s, a.clients);
    };

    if (kind == "interactive") {
        a.kind = ActivityKind::interactive;
        n.expect_object(keys({common, ends, kArrivalKeys,
                              {"session", "think", "keys", "key_size", "key_interval", "screen", "rtt", "updates",
                               "update_size"}}),
                        {"clients", "servers", "rate"});
        parse_ends(23);
        parse_arrival(n, names, a, true);
        InteractiveSpec x;
        x.session = lognormal_median(2.0 * 3600e6, 0.7, 12 * 3600e6);
        x.think = exponential_mean(30e6);
        x.keys = uniform_range(1, 12);
        x.key_size = uniform_range(1, 20);
        x.key_interval = lognormal_median(160e3, 0.4, 2e6);
        x.screen = lognormal_median(400, 0.6, 4000);
        x.rtt = Distribution::constant(2e3);
        x.update_size = lognormal_median(200, 0.5, 1400);
        if (auto v = n.get("session")) x.session = v->distribution(Q::duration);
        if (auto v = n.get("think")) x.think = v->distribution(Q::duration);
        if (auto v = n.get("keys")) {
            x.keys = v->distribution(Q::count);
            require_at_least(*v, x.keys, 0.5, "at least one keystroke per command");
        }
        if (auto v = n.get("key_size")) x.key_size = v->distribution(Q::bytes);
        if (auto v = n.get("key_interval")) x.key_interval = v->distribution(Q::duration);
        if (auto v = n.get("screen")) x.screen = v->distribution(Q::bytes);
        if (auto v = n.get("rtt")) x.rtt = v->distribution(Q::duration);
        if (auto v = n.get("updates")) x.updates_per_s = v->per_time();
        if (auto v = n.get("update_size")) x.update_size = v->distribution(Q::bytes);
        a.spec = std::move(x);
    } else if (kind == "web") {
        a.kind = ActivityKind::web;
        n.expect_object(keys({common, ends, kArrivalKeys, exchange}), {"clients", "servers", "rate"});
        parse_ends(443);
        parse_arrival(n, names, a, true);
        a.spec = WebSpec{parse_exchange(n, default_exchange())};
    } else if (kind == "dns") {
        a.kind = ActivityKind::dns;
        a.proto = 17;
        n.expect_object(keys({common, ends, kArrivalKeys, {"query", "response", "rtt", "unanswered"}}),
                        {"clients", "servers", "rate"});
        parse_ends(53);
        parse_arrival(n, names, a, true);
        DnsSpec x;
        x.query = uniform_range(20, 60);
        x.response = uniform_range(40, 300);
        x.rtt = lognormal_median(5e3, 0.5, 2e6);
        if (auto v = n.get("query")) x.query = v->distribution(Q::bytes);
        if (auto v = n.get("response")) x.response = v->distribution(Q::bytes);
        if (auto v = n.get("rtt")) x.rtt = v->distribution(Q::duration);
        if (auto v = n.get("unanswered")) x.unanswered = v->probability();
        a.spec = std::move(x);
    } else if (kind == "bulk") {
        a.kind = ActivityKind::bulk;
        n.expect_object(keys({common, ends, kArrivalKeys,
                              {"direction", "bandwidth", "size", "duration", "variation", "rtt", "schedule"}}),
                        {"clients", "servers", "bandwidth"});
        parse_ends(22);
        BulkSpec x;
        x.rtt = Distribution::constant(1e3);
        if (auto v = n.get("direction")) {
            const std::string d = v->string();
            if (d == "upload") {
                x.upload = true;
            } else if (d == "download") {
                x.upload = false;
            } else {
                v->fail("expected \"upload\" (client sends the data) or \"download\", got \"" + d + "\"");
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
        if (auto v = n.get("rtt")) x.rtt = v->distribution(Q::duration);
        if (auto sn = n.get("schedule")) {
            for (auto k : kArrivalKeys) {
                if (k != "site" && n.has(k))
                    n.fail_at(k, "a scheduled bulk activity takes no \"" + std::string(k) +
                                     "\"; give either \"schedule\" or a Poisson \"rate\"");
            }
            sn->expect_object({"site", "at", "days", "jitter", "hosts", "stagger"}, {"at"});
            BulkSchedule b;
            b.site = sn->has("site") ? names.site(sn->at("site")) : (n.has("site") ? names.site(n.at("site")) : a.arrival.site);
            const auto at = sn->at("at");
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
            if (auto v = sn->get("days")) b.days = parse_days(*v);
            if (auto v = sn->get("jitter")) b.jitter = v->distribution(Q::duration);
            if (auto v = sn->get("hosts")) {
                if (v->is_string()) {
                    if (v->string() != "all") v->fail("expected \"all\" or a number of hosts");
                } else {
                    b.hosts = v->integer(1, std::numeric_limits<std::uint32_t>::max());
                }
            }
            if (auto v = sn->get("stagger")) b.stagger_us = v->duration();
            x.schedule = std::move(b);
        } else {
            parse_arrival(n, names, a, true);
        }
        a.spec = std::move(x);
    } else if (kind == "burst") {
        a.kind = ActivityKind::burst;
        n.expect_object(keys({common, ends, exchange, {"days", "per_week", "window", "episodes", "length", "rate"}}),
                        {"clients", "servers", "window", "rate"});
        parse_ends(443);
        BurstSpec x;
        x.exchange = default_exchange();
        x.exchange.request = lognormal_median(300, 0.5, 16e3);
        x.exchange.response = lognormal_median(4e3, 1.0, 1e6);
        x.exchange.rtt = Distribution::constant(1e3);
        x.exchange = parse_exchange(n, x.exchange);
        if (n.has("days") == n.has("per_week"))
            n.fail("expected exactly one of \"days\" (e.g. [\"tue\", \"thu\"]) and \"per_week\" (random working days per week)");
        if (auto v = n.get("days")) x.days = parse_days(*v);
        if (auto v = n.get("per_week")) x.per_week = static_cast<std::uint32_t>(v->integer(1, 7));
        x.window = parse_window(n.at("window"), names, a.arrival.site);
        if (auto v = n.get("episodes")) {
            x.episodes = v->distribution(Q::count);
            require_at_least(*v, x.episodes, 0, "a non-negative number of episodes");
        }
        x.length = Distribution::constant(4 * 60e6);
        if (auto v = n.get("length")) {
            x.length = v->distribution(Q::duration);
            require_at_least(*v, x.length, 1.0, "an episode length greater than zero");
        }
        const auto r = n.at("rate");
        x.rate_per_s = r.per_time();
        if (!(x.rate_per_s > 0)) r.fail("expected a rate greater than zero");
        a.spec = std::move(x);
    } else if (kind == "scan") {
        a.kind = ActivityKind::scan;
        n.expect_object(keys({common, {"scanner", "host", "targets", "ports", "order", "shuffle", "proto", "start",
                                       "duration", "rate", "profiles", "open", "closed", "payload"}}),
                        {"scanner", "targets", "ports", "rate"});
        a.clients = {names.pool(n.at("scanner"))};
        a.arrival.site = default_site(s, a.clients);
        ScanSpec x;
        x.open = 0.02;
        x.closed = 0.9;
        if (auto v = n.get("host")) x.host = v->integer(0, std::numeric_limits<std::uint32_t>::max());
        x.targets = parse_ranges(n.at("targets"), s);
        x.ports = parse_port_ranges(n.at("ports"));
        if (auto v = n.get("order")) {
            const std::string o = v->string();
            if (o == "horizontal") {
                x.vertical = false;
            } else if (o == "vertical") {
                x.vertical = true;
            } else {
                v->fail("expected \"horizontal\" (each port across all addresses) or \"vertical\" (all ports of one address at a time), got \"" + o + "\"");
            }
        }
        if (auto v = n.get("shuffle")) x.shuffle = v->boolean();
        if (auto v = n.get("proto")) a.proto = parse_proto(*v, {"tcp", "udp"});
        if (auto v = n.get("start")) x.start = v->time_ref();
        if (auto v = n.get("duration")) {
            x.duration_us = v->duration();
            if (*x.duration_us <= 0) v->fail("expected a duration greater than zero");
        }
        parse_arrival(n, names, a, true);
        if (auto v = n.get("open")) x.open = v->probability();
        if (auto v = n.get("closed")) x.closed = v->probability();
        if (x.open + x.closed > 1.0 + 1e-12) n.fail_at("closed", "open + closed must not exceed 100%");
        if (auto v = n.get("payload")) x.payload = v->distribution(Q::bytes);
        a.spec = std::move(x);
    } else if (kind == "ddos") {
        a.kind = ActivityKind::ddos;
        a.proto = 17;
        n.expect_object(keys({common, {"sources", "source_count", "victim", "host", "proto", "port", "start", "ramp_up",
                                       "peak", "ramp_down", "rate", "packets", "size", "flow_duration", "replies"}}),
                        {"sources", "victim", "start", "peak", "rate"});
        DdosSpec x;
        x.sources = parse_ranges(n.at("sources"), s);
        if (auto v = n.get("source_count")) x.source_count = v->integer(1, std::numeric_limits<std::uint32_t>::max());
        a.servers = {names.pool(n.at("victim"))};
        a.arrival.site = default_site(s, a.servers);
        if (auto v = n.get("host")) x.host = v->integer(0, std::numeric_limits<std::uint32_t>::max());
        if (auto v = n.get("proto")) a.proto = parse_proto(*v, {"udp", "tcp", "icmp"});
        a.ports = n.has("port") ? parse_port_list(n.at("port"))
                                : std::vector<std::uint16_t>{static_cast<std::uint16_t>(a.proto == 6 ? 80 : a.proto == 17 ? 53 : 0)};
        x.start = n.at("start").time_ref();
        if (auto v = n.get("ramp_up")) x.ramp_up_us = v->duration();
        x.peak_us = n.at("peak").duration();
        if (auto v = n.get("ramp_down")) x.ramp_down_us = v->duration();
        if (x.ramp_up_us + x.peak_us + x.ramp_down_us <= 0) n.fail_at("peak", "the attack lasts no time at all");
        const auto r = n.at("rate");
        a.arrival.rate_per_s = r.per_time();
        if (!(a.arrival.rate_per_s > 0)) r.fail("expected a rate greater than zero");
        if (auto v = n.get("packets")) {
            x.packets = v->distribution(Q::count);
            require_at_least(*v, x.packets, 0.5, "at least one packet per flow");
        }
        x.size = a.proto == 6 ? Distribution::constant(0) : Distribution::constant(a.proto == 17 ? 512 : 56);
        if (auto v = n.get("size")) x.size = v->distribution(Q::bytes);
        if (auto v = n.get("flow_duration")) x.flow_duration = v->distribution(Q::duration);
        if (auto v = n.get("replies")) x.replies = v->probability();
        a.spec = std::move(x);
    } else if (kind == "worm") {
        a.kind = ActivityKind::worm;
        n.expect_object(keys({common, {"patient_zero", "host", "at", "targets", "local", "vulnerable", "susceptible",
                                       "proto", "port", "rate", "delay", "exploit", "closed", "max_infected"}}),
                        {"patient_zero", "at", "targets", "vulnerable", "port", "rate"});
        a.clients = {names.pool(n.at("patient_zero"))};
        a.arrival.site = default_site(s, a.clients);
        WormSpec x;
        if (auto v = n.get("host")) x.host = v->integer(0, std::numeric_limits<std::uint32_t>::max());
        x.at = n.at("at").time_ref();
        x.targets = parse_ranges(n.at("targets"), s);
        if (auto v = n.get("local")) x.local = v->probability();
        a.servers = parse_pool_list(n.at("vulnerable"), names);
        x.vulnerable = a.servers;
        if (auto v = n.get("susceptible")) x.susceptible = v->probability();
        if (auto v = n.get("proto")) a.proto = parse_proto(*v, {"tcp", "udp"});
        a.ports = parse_port_list(n.at("port"));
        if (a.ports.size() != 1) n.fail_at("port", "a worm attacks one port");
        const auto r = n.at("rate");
        a.arrival.rate_per_s = r.per_time();
        if (!(a.arrival.rate_per_s > 0)) r.fail("expected a rate greater than zero");
        x.delay = exponential_mean(60e6);
        if (auto v = n.get("delay")) x.delay = v->distribution(Q::duration);
        x.exploit = Distribution::constant(a.proto == 17 ? 376 : 4000);
        if (auto v = n.get("exploit")) x.exploit = v->distribution(Q::bytes);
        if (auto v = n.get("closed")) x.closed = v->probability();
        if (auto v = n.get("max_infected")) x.max_infected = v->integer(1, std::numeric_limits<std::uint32_t>::max());
        a.spec = std::move(x);
    } else {
        kind_node.fail("unknown activity kind \"" + kind +
                       "\"; expected one of interactive, web, dns, bulk, burst, scan, ddos, worm");
    }
    return a;
}

void parse_sites_and_calendar(const Node& root, Scenario& s) {
    if (auto sites = root.get("sites")) {
        const auto members = sites->members();
        if (members.empty()) sites->fail("expected at least one site (or leave \"sites\" out for one UTC site)");
        for (const auto& [name, n] : members) {
            n.expect_object({"utc_offset", "note"}, {"utc_offset"});
            Site site;
            site.name = name;
            site.utc_offset_s = n.at("utc_offset").utc_offset();
            s.sites.push_back(std::move(site));
        }
    } else {
        s.sites.push_back(Site{"utc", 0, 0x60, {}});
    }
    const Names names{s};
    const auto weekend_mask = [](const Node& n) {
        std::uint8_t m = 0;
        for (const auto& e : n.elements()) {
            const int d = day_index(e.string());
            if (d < 0) e.fail("expected a day name mon, tue, wed, thu, fri, sat or sun, got \"" + e.string() + "\"");
            m = static_cast<std::uint8_t>(m | (1u << d));
        }
        return m;
    };
    const auto holidays = [](const Node& n) {
        std::vector<std::int64_t> v;
        for (const auto& e : n.elements()) v.push_back(e.date());
        return v;
    };
    if (auto cal = root.get("calendar")) {
        cal->expect_object({"weekend", "holidays", "sites"});
        std::uint8_t mask = 0x60;
        std::vector<std::int64_t> global;
        if (auto w = cal->get("weekend")) mask = weekend_mask(*w);
        if (auto h = cal->get("holidays")) global = holidays(*h);
        for (auto& site : s.sites) {
            site.weekend_mask = mask;
            site.holidays = global;
        }
        if (auto ps = cal->get("sites")) {
            for (const auto& [name, n] : ps->members()) {
                const std::size_t i = s.find_site(name);
                if (i == kNone) n.fail("unknown site \"" + name + "\"" + Names::known(names.site_names()));
                n.expect_object({"weekend", "holidays"});
                if (auto w = n.get("weekend")) s.sites[i].weekend_mask = weekend_mask(*w);
                if (auto h = n.get("holidays")) {
                    const auto more = holidays(*h);
                    s.sites[i].holidays.insert(s.sites[i].holidays.end(), more.begin(), more.end());
                }
            }
        }
        for (auto& site : s.sites) {
            std::sort(site.holidays.begin(), site.holidays.end());
            site.holidays.erase(std::unique(site.holidays.begin(), site.holidays.end()), site.holidays.end());
        }
    }
}

std::size_t site_or_only(const Node& n, std::string_view key, const Scenario& s) {
    if (auto v = n.get(key)) return Names{s}.site(*v);
    if (s.sites.size() == 1) return 0;
    n.fail_at(key, "required key is missing: with several sites, say which one this belongs to");
}

void parse_networks(const Node& root, Scenario& s) {
    const auto nets = root.at("networks", "an object of named networks {\"lan\": {\"cidr\": \"10.1.0.0/24\"}}");
    const auto members = nets.members();
    if (members.empty()) nets.fail("expected at least one network");
    for (const auto& [name, n] : members) {
        n.expect_object({"cidr", "site", "customer", "asn", "note"}, {"cidr"});
        Network net;
        net.name = name;
        net.cidr = n.at("cidr").cidr();
        net.site = site_or_only(n, "site", s);
        if (auto v = n.get("customer")) net.customer = v->string();
        if (auto v = n.get("asn")) net.asn = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
        s.networks.push_back(std::move(net));
    }
    for (std::size_t i = 0; i < s.networks.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const Cidr& a = s.networks[i].cidr;
            const Cidr& b = s.networks[j].cidr;
            if (a.contains(b.network) || b.contains(a.network))
                members[i].second.at("cidr").fail(a.to_string() + " overlaps network \"" + s.networks[j].name + "\" (" +
                                                  b.to_string() + "); networks must be disjoint");
        }
    }
}

/// Pools, with addresses allocated in file order: an explicit `offset`, else right after the
/// previous pool on the same network(s).
void parse_hosts(const Node& root, Scenario& s) {
    const Names names{s};
    const auto hosts = root.at("hosts", "an object of named host pools {\"pcs\": {\"network\": \"lan\", \"count\": 50}}");
    const auto members = hosts.members();
    if (members.empty()) hosts.fail("expected at least one host pool");
    std::vector<std::uint64_t> next_free(s.networks.size());
    for (std::size_t i = 0; i < s.networks.size(); ++i) next_free[i] = s.networks[i].cidr.first_host_offset();
    struct Used {
        std::size_t pool;
        std::uint64_t lo, hi;  // [lo, hi)
    };
    std::vector<std::vector<Used>> used(s.networks.size());
    for (const auto& [name, n] : members) {
        n.expect_object({"network", "networks", "count", "role", "offset", "note"}, {"count"});
        if (s.find_pool(name) != kNone) n.fail("duplicate host pool name");
        HostPool p;
        p.name = name;
        if (n.has("network") == n.has("networks"))
            n.fail("expected exactly one of \"network\" (a name) and \"networks\" (names, for dual-stack hosts)");
        if (auto v = n.get("network")) {
            p.networks.push_back(names.network(*v));
        } else {
            const auto list = n.at("networks");
            bool v4 = false, v6 = false;
            for (const auto& e : list.elements(1)) {
                const std::size_t k = names.network(e);
                const bool is4 = s.networks[k].cidr.is_v4();
                if ((is4 && v4) || (!is4 && v6))
                    e.fail("a pool has at most one IPv4 and one IPv6 network (a host has one address per family)");
                (is4 ? v4 : v6) = true;
                p.networks.push_back(k);
            }
        }
        const auto count_node = n.at("count");
        p.count = count_node.integer(1, std::uint64_t{1} << 32);
        p.role = n.has("role") ? n.at("role").string() : "host";
        std::optional<std::uint64_t> explicit_offset;
        if (auto v = n.get("offset")) explicit_offset = v->integer(0, std::numeric_limits<std::uint64_t>::max() / 2);
        if (explicit_offset) {
            p.offset = *explicit_offset;
        } else {
            p.offset = 0;
            for (std::size_t k : p.networks) p.offset = std::max(p.offset, next_free[k]);
        }
        const std::size_t pool_index = s.pools.size();
        for (std::size_t k : p.networks) {
            const Cidr& c = s.networks[k].cidr;
            const std::uint64_t lo = c.first_host_offset();
            const std::uint64_t cap = c.host_capacity();
            const std::uint64_t end = p.offset + p.count;  // exclusive
            if (p.offset < lo) {
                n.at("offset").fail("offset " + std::to_string(p.offset) + " is the network address of " +
                                    c.to_string() + "; the first host offset is " + std::to_string(lo));
            }
            if (end < p.offset || end - lo > cap) {
                const std::uint64_t room = cap > p.offset - lo ? cap - (p.offset - lo) : 0;
                count_node.fail("network \"" + s.networks[k].name + "\" (" + c.to_string() + ") is too small: " +
                                std::to_string(p.count) + " hosts from offset " + std::to_string(p.offset) +
                                " need addresses up to offset " + std::to_string(end - 1) + ", but there is room for " +
                                std::to_string(room) + (c.is_v4() && c.prefix < 31 ? " (network and broadcast excluded)" : ""));
            }
            for (const Used& u : used[k]) {
                if (p.offset < u.hi && u.lo < end)
                    n.fail("addresses " + std::to_string(p.offset) + ".." + std::to_string(end - 1) + " of network \"" +
                           s.networks[k].name + "\" overlap host pool \"" + s.pools[u.pool].name +
                           "\"; give an \"offset\" past " + std::to_string(u.hi - 1));
            }
            used[k].push_back({pool_index, p.offset, end});
            next_free[k] = std::max(next_free[k], end);
        }
        s.pools.push_back(std::move(p));
    }
}

ProfileShape parse_shape(const Node& n) {
    ProfileShape sh;
    if (n.is_number()) {
        sh.tod_us.push_back(0);
        sh.level.push_back(n.number(0, 1e9));
        return sh;
    }
    for (const auto& e : n.elements(1)) {
        const auto pt = e.elements(2);
        if (pt.size() != 2) e.fail("expected a point [\"HH:MM\", level]");
        const std::int64_t t = pt[0].time_of_day();
        if (t == kUsPerDay) pt[0].fail("a point at 24:00 is the next day's 00:00; shapes wrap at midnight");
        if (!sh.tod_us.empty() && t <= sh.tod_us.back())
            pt[0].fail("points must be in increasing time order within the day");
        sh.tod_us.push_back(t);
        sh.level.push_back(pt[1].number(0, 1e9));
    }
    return sh;
}

void parse_profiles(const Node& root, Scenario& s) {
    const auto ps = root.get("profiles");
    if (!ps) return;
    std::vector<std::string_view> allowed{"site", "note", "all", "weekday", "weekend", "holiday"};
    allowed.insert(allowed.end(), kDayNames.begin(), kDayNames.end());
    for (const auto& [name, n] : ps->members()) {
        n.expect_object(allowed);
        Profile p;
        p.name = name;
        p.site = site_or_only(n, "site", s);
        // shape slots: 0..6 day names, 7 weekday, 8 weekend, 9 holiday, 10 all
        std::array<std::int16_t, 11> slot;
        slot.fill(-1);
        const Node& node = n;  // structured bindings cannot be captured before C++20 compilers catch up
        const auto take = [&](std::string_view key, std::size_t i) {
            if (auto v = node.get(key)) {
                slot[i] = static_cast<std::int16_t>(p.shapes.size());
                p.shapes.push_back(parse_shape(*v));
            }
        };
        for (std::size_t d = 0; d < 7; ++d) take(kDayNames[d], d);
        take("weekday", 7);
        take("weekend", 8);
        take("holiday", 9);
        take("all", 10);
        if (p.shapes.empty()) n.fail("expected at least one shape: all, weekday, weekend, holiday or a day name (mon..sun)");
        // Resolution (documented): a holiday uses holiday, else weekend, else all; other days use
        // their day name, else weekday/weekend by the site's calendar, else all. Unresolvable
        // combinations keep -1 and are reported by check_model when the calendar can produce them.
        const Site& site = s.sites[p.site];
        for (int d = 0; d < 7; ++d) {
            const bool weekend = (site.weekend_mask >> d & 1) != 0;
            std::int16_t normal = slot[static_cast<std::size_t>(d)];
            if (normal < 0) normal = weekend ? slot[8] : slot[7];
            if (normal < 0) normal = slot[10];
            std::int16_t hol = slot[9];
            if (hol < 0) hol = slot[8];
            if (hol < 0) hol = slot[10];
            p.shape_for[static_cast<std::size_t>(d * 2)] = normal;
            p.shape_for[static_cast<std::size_t>(d * 2 + 1)] = hol;
        }
        if (s.find_profile(name) != kNone) n.fail("duplicate profile name");
        s.profiles.push_back(std::move(p));
    }
}

Exporter parse_exporter(const Node& n, const Scenario& s) {
    const Names names{s};
    n.expect_object({"name", "note", "protocol", "address", "port", "domain", "observes", "default_if", "active_timeout",
                     "inactive_timeout", "cache_size", "sampling", "mtu", "template_refresh", "time_style", "boot",
                     "export_delay", "next_hop"},
                    {"name", "protocol", "address", "observes"});
    Exporter e;
    e.name = n.at("name").name();
    const auto proto = n.at("protocol");
    const std::string p = proto.string();
    if (p == "v5") {
        e.protocol = ExportProtocol::v5;
        e.time_style = TimeStyle::uptime;
    } else if (p == "v9") {
        e.protocol = ExportProtocol::v9;
        e.time_style = TimeStyle::uptime;
    } else if (p == "ipfix") {
        e.protocol = ExportProtocol::ipfix;
        e.time_style = TimeStyle::milliseconds;
    } else {
        proto.fail("expected \"v5\", \"v9\" or \"ipfix\", got \"" + p + "\"");
    }
    e.address = n.at("address").address();
    if (auto v = n.get("port")) e.port = static_cast<std::uint16_t>(v->integer(1, 65535));
    if (auto v = n.get("domain")) e.domain = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
    const auto obs = n.at("observes");
    const auto list = obs.elements();
    if (list.empty())
        obs.fail("the exporter observes no network; list at least one {\"network\": NAME, \"if\": N} it sees");
    for (const auto& o : list) {
        o.expect_object({"network", "if"}, {"network"});
        Observation ob;
        ob.network = names.network(o.at("network"));
        ob.block = s.networks[ob.network].cidr;
        if (auto v = o.get("if")) ob.if_index = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
        for (const auto& prev : e.observes) {
            if (prev.network == ob.network) o.at("network").fail("network listed twice");
        }
        e.observes.push_back(ob);
    }
    std::stable_sort(e.observes.begin(), e.observes.end(),
                     [](const Observation& a, const Observation& b) { return a.block.prefix > b.block.prefix; });
    if (auto v = n.get("default_if")) e.default_if = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
    if (auto v = n.get("active_timeout")) {
        e.active_timeout_us = v->duration();
        if (e.active_timeout_us < kUsPerSecond) v->fail("expected an active timeout of at least 1s");
    }
    if (auto v = n.get("inactive_timeout")) {
        e.inactive_timeout_us = v->duration();
        if (e.inactive_timeout_us < kUsPerSecond) v->fail("expected an inactive timeout of at least 1s");
    }
    if (auto v = n.get("cache_size")) e.cache_size = v->integer(1, std::uint64_t{1} << 32);
    if (auto v = n.get("sampling")) {
        v->expect_object({"mode", "rate"}, {"mode"});
        const auto m = v->at("mode");
        const std::string mode = m.string();
        if (mode == "none") {
            e.sampling = SamplingMode::none;
            if (v->has("rate") && v->at("rate").integer(1, 1) != 1) v->fail_at("rate", "mode none samples 1 in 1");
        } else if (mode == "deterministic" || mode == "random") {
            e.sampling = mode == "random" ? SamplingMode::random : SamplingMode::deterministic;
            e.sampling_rate = static_cast<std::uint32_t>(
                v->at("rate", "N for 1-in-N packet sampling").integer(1, 1u << 30));
        } else {
            m.fail("expected \"none\", \"deterministic\" (every Nth packet) or \"random\" (1 in N at random), got \"" +
                   mode + "\"");
        }
    }
    if (auto v = n.get("mtu")) e.mtu = static_cast<std::uint32_t>(v->integer(576, 65535));
    if (auto v = n.get("template_refresh")) {
        v->expect_object({"packets", "interval"});
        if (auto k = v->get("packets")) e.template_refresh_packets = static_cast<std::uint32_t>(k->integer(0, 1u << 30));
        if (auto k = v->get("interval")) e.template_refresh_interval_us = k->duration();
    }
    if (auto v = n.get("time_style")) {
        const std::string t = v->string();
        if (t == "uptime") {
            e.time_style = TimeStyle::uptime;
        } else if (t == "seconds") {
            e.time_style = TimeStyle::seconds;
        } else if (t == "milliseconds") {
            e.time_style = TimeStyle::milliseconds;
        } else if (t == "microseconds") {
            e.time_style = TimeStyle::microseconds;
        } else if (t == "nanoseconds") {
            e.time_style = TimeStyle::nanoseconds;
        } else {
            v->fail("expected uptime, seconds, milliseconds, microseconds or nanoseconds, got \"" + t + "\"");
        }
    }
    if (auto v = n.get("boot")) e.boot_us = v->duration();
    if (auto v = n.get("export_delay")) e.export_delay_us = v->duration();
    if (auto v = n.get("next_hop")) e.next_hop = v->address();
    return e;
}

/// `lesson.answer.from_truth`: computed keys may not also be given verbatim (which would win?).
std::optional<AnswerFromTruth> parse_from_truth(const Node& answer, const Scenario& s) {
    const auto n = answer.get("from_truth");
    if (!n) return std::nullopt;
    n->expect_object({"activity", "host", "windows", "start", "peak_rate", "totals"});
    AnswerFromTruth f;
    const bool about_activity = n->has("host") || n->has("windows") || n->has("start") || n->has("peak_rate");
    if (about_activity && !n->has("activity")) n->fail_at("activity", "required key is missing: the activity that host, windows, start and peak_rate describe");
    if (auto v = n->get("activity")) {
        const std::string name = v->name();
        f.activity = s.find_activity(name);
        if (f.activity == kNone) v->fail("no activity named \"" + name + "\"");
    }
    if (auto v = n->get("host")) {
        const std::string rule = v->string();
        if (rule == "first_source") f.host = AnswerFromTruth::HostRule::first_source;
        else if (rule == "top_source") f.host = AnswerFromTruth::HostRule::top_source;
        else if (rule == "top_destination") f.host = AnswerFromTruth::HostRule::top_destination;
        else v->fail("expected \"first_source\", \"top_source\" or \"top_destination\", got \"" + rule + "\"");
    }
    if (auto v = n->get("windows")) {
        v->expect_object({"gap"}, {"gap"});
        f.windows_gap_us = v->at("gap").duration();
        if (f.windows_gap_us <= 0) v->at("gap").fail("expected a duration greater than zero");
    }
    if (auto v = n->get("start")) f.start = v->boolean();
    if (auto v = n->get("peak_rate")) {
        v->expect_object({"bin"}, {"bin"});
        f.peak_bin_us = v->at("bin").duration();
        if (f.peak_bin_us < kUsPerSecond) v->at("bin").fail("expected a bin of at least 1s");
    }
    if (auto v = n->get("totals")) {
        v->expect_object({"by"}, {"by"});
        const std::string by = v->at("by").string();
        if (by == "customer") {
            f.totals = AnswerFromTruth::TotalsBy::customer;
            const bool any = std::any_of(s.networks.begin(), s.networks.end(), [](const Network& x) { return !x.customer.empty(); });
            if (!any) v->at("by").fail("totals by customer need networks with a \"customer\" label; none has one");
        } else if (by == "family") {
            f.totals = AnswerFromTruth::TotalsBy::family;
        } else {
            v->at("by").fail("expected \"customer\" or \"family\", got \"" + by + "\"");
        }
    }
    for (const char* key : {"host", "windows", "start", "peak_rate", "totals"})
        if (n->has(key) && answer.has(key))
            answer.fail_at(key, std::string("\"") + key + "\" is computed (from_truth asks for it); remove one of the two");
    return f;
}

}  // namespace

Scenario parse_scenario(const Json& document, const std::string& file) {
    Scenario s;
    s.file = file;
    s.document = document;
    const Node root(s.document, "", s.file);
    root.expect_object({"$schema", "name", "summary", "lesson", "seed", "time", "sites", "calendar", "networks", "hosts",
                        "profiles", "activities", "exporters", "collector"},
                       {"name", "summary", "time", "networks", "hosts", "activities", "exporters"});
    if (auto v = root.get("$schema")) v->string();
    s.name = root.at("name").name();
    s.summary = root.at("summary").string();
    if (s.summary.find('\n') != std::string::npos) root.at("summary").fail("expected one line (no newline)");
    if (auto v = root.get("lesson")) {
        v->expect_object({"story", "question", "answer"}, {"story", "question"});
        Lesson l;
        l.story = v->at("story").string();
        l.question = v->at("question").string();
        if (auto a = v->get("answer")) {
            if (!a->is_object()) a->fail("expected an answer key object");
            l.answer = a->json();
        }
        s.lesson = std::move(l);
    }
    if (auto v = root.get("seed")) s.seed = v->integer(0, std::numeric_limits<std::uint64_t>::max());
    {
        const auto t = root.at("time");
        t.expect_object({"start", "duration"}, {"start", "duration"});
        s.start_us = t.at("start").time();
        s.duration_us = t.at("duration").duration();
        if (s.duration_us <= 0) t.at("duration").fail("expected a duration greater than zero");
        if (s.duration_us > 3660 * kUsPerDay) t.at("duration").fail("expected a duration of at most 3660d");
        if (s.start_us < 0 || s.start_us > days_from_civil(9000, 1, 1) * kUsPerDay)
            t.at("start").fail("expected a start between 1970 and 9000");
    }
    parse_sites_and_calendar(root, s);
    parse_networks(root, s);
    parse_hosts(root, s);
    parse_profiles(root, s);
    {
        const auto acts = root.at("activities");
        std::set<std::string> seen;
        for (const auto& n : acts.elements(1)) {
            s.activities.push_back(parse_activity(n, s));
            if (!seen.insert(s.activities.back().name).second)
                n.at("name").fail("duplicate activity name \"" + s.activities.back().name + "\"");
        }
    }
    {
        const auto exps = root.at("exporters");
        std::set<std::string> seen;
        for (const auto& n : exps.elements(1)) {
            s.exporters.push_back(parse_exporter(n, s));
            if (!seen.insert(s.exporters.back().name).second)
                n.at("name").fail("duplicate exporter name \"" + s.exporters.back().name + "\"");
        }
    }
    if (s.lesson && !s.lesson->answer.is_null()) s.lesson->from_truth = parse_from_truth(root.at("lesson").at("answer"), s);
    if (auto c = root.get("collector")) {
        c->expect_object({"address", "port"});
        if (auto v = c->get("address")) s.collector.address = v->address();
        if (auto v = c->get("port")) s.collector.port = static_cast<std::uint16_t>(v->integer(1, 65535));
    }
    detail::check_model(s);
    return s;
}

}  // namespace flowlab::gen

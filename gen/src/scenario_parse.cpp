/// @brief Stage 1 of scenario validation: each section parsed into its structs with keys, types,
/// ranges and units checked and names resolved (docs/scenario-format.md is the reference).
/// An error in one section or element is recorded and parsing goes on, so that a file's every
/// mistake is reported at once; elements that refer to a failed one are skipped silently.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "flowlab/core/excerpt.hpp"
#include "flowlab/gen/rate_curve.hpp"
#include "flowlab/gen/scenario.hpp"
#include "dialect_internal.hpp"
#include "json_node.hpp"
#include "scenario_internal.hpp"

namespace flowlab::gen {
namespace detail {

namespace {

const std::vector<std::string_view> kDayNames{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
const std::vector<std::string_view> kLongDayNames{"monday", "tuesday",  "wednesday", "thursday",
                                                  "friday", "saturday", "sunday"};
constexpr std::array<const char*, Names::kKinds> kNouns{"site", "network", "host pool", "profile", "activity"};

}  // namespace

int day_index(std::string_view s) {
    for (std::size_t i = 0; i < 7; ++i)
        if (s == kDayNames[i] || s == kLongDayNames[i]) return static_cast<int>(i);
    return -1;
}

std::size_t Names::lookup(Kind k, const Node& n) const {
    const std::string v = n.string();
    if (const std::size_t i = find(k, v); i != kNone) return i;
    if (whole_failed_[k] || failed_[k].count(v) != 0) throw DependsOnFailed{};
    n.fail("unknown " + std::string(kNouns[k]) + " " + core::quote(v) + known(k));
}

std::string Names::known(Kind k) const {
    std::vector<const std::string*> v;
    const auto collect = [&](const auto& list) {
        for (const auto& x : list) v.push_back(&x.name);
    };
    switch (k) {
        case site: collect(s_.sites); break;
        case network: collect(s_.networks); break;
        case pool: collect(s_.pools); break;
        case profile: collect(s_.profiles); break;
        case activity: collect(s_.activities); break;
        case kKinds: break;
    }
    if (v.empty()) return " (none is defined)";
    constexpr std::size_t kListed = 20;
    std::string s = "; defined: ";
    for (std::size_t i = 0; i < v.size() && i < kListed; ++i) s += (i ? ", " : "") + *v[i];
    if (v.size() > kListed) s += " and " + std::to_string(v.size() - kListed) + " more";
    return s;
}

/// Pools: a name, or a list of names.
std::vector<std::size_t> parse_pool_list(const Node& n, const Names& names) {
    std::vector<std::size_t> out;
    if (n.is_string()) {
        out.push_back(names.lookup(Names::pool, n));
    } else {
        for (const auto& e : n.elements(1)) out.push_back(names.lookup(Names::pool, e));
    }
    return out;
}

std::vector<std::uint16_t> parse_port_list(const Node& n) {
    std::vector<std::uint16_t> out;
    if (n.is_number()) {
        out.push_back(static_cast<std::uint16_t>(n.integer(0, 65535)));
    } else {
        const auto list = n.elements(1);
        if (list.size() > 65536) n.fail("at most 65536 ports");
        for (const auto& e : list) out.push_back(static_cast<std::uint16_t>(e.integer(0, 65535)));
    }
    return out;
}

/// Scan ports: 22, [22, 80], "1-1024", [22, "8000-8100"]; at most 65536 in all, checked before
/// a range is expanded.
std::vector<std::uint16_t> parse_port_ranges(const Node& n) {
    std::vector<std::uint16_t> out;
    const auto add = [&](unsigned lo, unsigned hi) {
        if (out.size() + (hi - lo + 1) > 65536) n.fail("at most 65536 ports");
        for (unsigned p = lo; p <= hi; ++p) out.push_back(static_cast<std::uint16_t>(p));
    };
    const auto one = [&](const Node& e) {
        if (e.is_number()) {
            const auto p = static_cast<unsigned>(e.integer(0, 65535));
            add(p, p);
            return;
        }
        const std::string s = e.string();
        const auto dash = s.find('-');
        unsigned lo = 0, hi = 0;
        bool ok = dash != std::string::npos;
        if (ok) {
            const char* b = s.data();
            const auto r1 = std::from_chars(b, b + dash, lo);
            const auto r2 = std::from_chars(b + dash + 1, b + s.size(), hi);
            ok = r1.ec == std::errc{} && r1.ptr == b + dash && r2.ec == std::errc{} && r2.ptr == b + s.size();
        }
        if (!ok || lo > hi || hi > 65535)
            e.fail("expected a port or a port range \"LOW-HIGH\" within 0-65535, got " + core::quote(s));
        add(lo, hi);
    };
    if (n.is_array()) {
        for (const auto& e : n.elements(1)) one(e);
    } else {
        one(n);
    }
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
            e.fail("unknown day " + core::quote(s) +
                   "; expected mon, tue, wed, thu, fri, sat, sun, weekday, weekend, holiday or all");
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
    w.site = n.has("site") ? names.lookup(Names::site, n.at("site")) : default_site;
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
            d->fail("expected \"gamma\" or \"lognormal\", got " + core::quote(k));
        }
    }
    const auto cv = n.at("cv");
    if (cv.is_string()) {
        try {
            z.cv = core::parse_fraction(cv.string());
        } catch (const UnitError&) {
            cv.fail("expected a coefficient of variation: a number (0.2) or a percentage (\"20%\"), got " + cv.shown());
        }
        if (cv.string().back() != '%')
            cv.fail("expected a coefficient of variation: a number (0.2) or a percentage (\"20%\")");
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
std::vector<AddressRange> parse_ranges(const Node& n, const Scenario& s, const Names& names) {
    std::vector<AddressRange> out;
    const auto one = [&](const Node& e) {
        const std::string v = e.string();
        const std::size_t net = names.find(Names::network, v);
        const std::size_t pool = names.find(Names::pool, v);
        if (net != kNone && pool != kNone)
            e.fail(core::quote(v) + " is both a network and a host pool; rename one of them");
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
            // A name of a network or pool that failed: already reported.
            try {
                (void)names.lookup(Names::network, e);
            } catch (const ConfigError&) {
                (void)names.lookup(Names::pool, e);
                e.fail(core::quote(v) + " is neither a network, nor a host pool, nor a CIDR block" +
                       names.known(Names::network));
            }
        }
        if (r.count == 0) e.fail(core::quote(v) + " holds no host address");
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
    n.fail("expected one of " + list + ", got " + core::quote(v));
}

/// Lognormal, Pareto and exponential draws are positive; where a quantity needs at least 1 the
/// generator rounds them up, so only the laws with a stated lower end (fixed, uniform,
/// empirical, or an explicit min) are checked.
void require_at_least(const Node& n, const Distribution& d, double lo, const std::string& what) {
    using K = Distribution::Kind;
    const bool stated = d.kind == K::fixed || d.kind == K::uniform || d.kind == K::empirical;
    if (stated ? d.lower() < lo : (std::isfinite(d.min) && d.min < 0)) n.fail("expected " + what);
}

namespace {

/// The sections in file order, each element on its own: an error is recorded and the next
/// element is parsed; a failed element's name is remembered so that references to it are
/// skipped instead of reported again.
class ScenarioParser {
public:
    ScenarioParser(Scenario& s, const Node& root, Diagnostics& diag) : s_(s), root_(root), diag_(diag), names_(s) {}

    void run() {
        const bool object = diag_.attempt([&] {
            root_.expect_object({"$schema", "name", "summary", "lesson", "seed", "time", "sites", "calendar", "networks",
                                 "hosts", "profiles", "activities", "exporters", "collector", "faults"});
        });
        if (!object) return;
        diag_.attempt([&] {
            if (auto v = root_.get("$schema")) v->string();
        });
        diag_.attempt([&] { s_.name = root_.at("name").name(); });
        diag_.attempt([&] {
            s_.summary = root_.at("summary").string();
            if (s_.summary.find('\n') != std::string::npos) root_.at("summary").fail("expected one line (no newline)");
        });
        diag_.attempt([&] { lesson(); });
        diag_.attempt([&] {
            if (auto v = root_.get("seed")) s_.seed = v->integer(0, std::numeric_limits<std::uint64_t>::max());
        });
        diag_.attempt([&] { time(); });
        if (!diag_.attempt([&] { sites(); })) names_.failed(Names::site, "");
        diag_.attempt([&] { calendar(); });
        named_members("networks", "an object of named networks {\"lan\": {\"cidr\": \"10.1.0.0/24\"}}", Names::network,
                      [&](const std::string& name, const Node& n) { network(name, n); });
        diag_.attempt([&] { networks_disjoint(); });
        next_free_.resize(s_.networks.size());
        for (std::size_t i = 0; i < s_.networks.size(); ++i) next_free_[i] = s_.networks[i].cidr.first_host_offset();
        used_.resize(s_.networks.size());
        named_members("hosts", "an object of named host pools {\"pcs\": {\"network\": \"lan\", \"count\": 50}}",
                      Names::pool, [&](const std::string& name, const Node& n) { pool(name, n); });
        if (root_.has("profiles"))
            named_members("profiles", "", Names::profile,
                          [&](const std::string& name, const Node& n) { profile(name, n); }, 0);
        activities();
        exporters();
        diag_.attempt([&] {
            if (s_.lesson && !s_.lesson->answer.is_null())
                s_.lesson->from_truth = from_truth(root_.at("lesson").at("answer"));
        });
        diag_.attempt([&] { collector(); });
        if (auto list = root_.get("faults")) {
            std::vector<Node> items;
            if (diag_.attempt([&] { items = list->elements(); }))
                for (const auto& n : items) diag_.attempt([&] { s_.faults.push_back(parse_fault(n, s_)); });
        }
    }

private:
    /// An object section of named elements (at least `min_members`).
    template <class F>
    void named_members(std::string_view key, std::string_view hint, Names::Kind kind, F&& parse_one,
                       std::size_t min_members = 1) {
        std::vector<std::pair<std::string, Node>> members;
        const bool ok = diag_.attempt([&] {
            const auto sec = root_.at(key, hint);
            members = sec.members();
            if (members.size() < min_members) sec.fail("expected at least one " + std::string(kNoun(kind)));
        });
        if (!ok) names_.failed(kind, "");
        for (const auto& [name, n] : members) {
            if (!diag_.attempt([&, &name = name, &n = n] { parse_one(name, n); })) names_.failed(kind, name);
        }
    }
    static const char* kNoun(Names::Kind k) { return k == Names::pool ? "host pool" : k == Names::network ? "network" : "profile"; }

    void lesson() {
        const auto v = root_.get("lesson");
        if (!v) return;
        v->expect_object({"story", "question", "answer"}, {"story", "question"});
        Lesson l;
        l.story = v->at("story").string();
        l.question = v->at("question").string();
        if (auto a = v->get("answer")) {
            if (!a->is_object()) a->fail("expected an answer key object");
            l.answer = a->json();
        }
        s_.lesson = std::move(l);
    }

    void time() {
        const auto t = root_.at("time");
        t.expect_object({"start", "duration"}, {"start", "duration"});
        s_.start_us = t.at("start").time();
        s_.duration_us = t.at("duration").duration();
        // The span's own limits (positive, at most kMaxSpanUs, exports within 1970..2106) are
        // those of any run: check_run() applies them to the file's span and to --start/--duration.
    }

    void sites() {
        if (auto sites = root_.get("sites")) {
            const auto members = sites->members();
            if (members.empty()) sites->fail("expected at least one site (or leave \"sites\" out for one UTC site)");
            for (const auto& [name, n] : members) {
                n.expect_object({"utc_offset", "note"}, {"utc_offset"});
                Site site;
                site.name = name;
                site.utc_offset_s = n.at("utc_offset").utc_offset();
                names_.add(Names::site, name, s_.sites.size());
                s_.sites.push_back(std::move(site));
            }
        } else {
            names_.add(Names::site, "utc", 0);
            s_.sites.push_back(Site{"utc", 0, 0x60, {}});
        }
    }

    void calendar() {
        const auto cal = root_.get("calendar");
        if (!cal) return;
        const auto weekend_mask = [](const Node& n) {
            std::uint8_t m = 0;
            for (const auto& e : n.elements()) {
                const int d = day_index(e.string());
                if (d < 0) e.fail("expected a day name mon, tue, wed, thu, fri, sat or sun, got " + e.shown());
                m = static_cast<std::uint8_t>(m | (1u << d));
            }
            return m;
        };
        const auto holidays = [](const Node& n) {
            std::vector<std::int64_t> v;
            for (const auto& e : n.elements()) v.push_back(e.date());
            return v;
        };
        cal->expect_object({"weekend", "holidays", "sites"});
        std::uint8_t mask = 0x60;
        std::vector<std::int64_t> global;
        if (auto w = cal->get("weekend")) mask = weekend_mask(*w);
        if (auto h = cal->get("holidays")) global = holidays(*h);
        for (auto& site : s_.sites) {
            site.weekend_mask = mask;
            site.holidays = global;
        }
        if (auto ps = cal->get("sites")) {
            for (const auto& [name, n] : ps->members()) {
                const std::size_t i = names_.find(Names::site, name);
                if (i == kNone) n.fail("unknown site " + core::quote(name) + names_.known(Names::site));
                n.expect_object({"weekend", "holidays"});
                if (auto w = n.get("weekend")) s_.sites[i].weekend_mask = weekend_mask(*w);
                if (auto h = n.get("holidays")) {
                    const auto more = holidays(*h);
                    s_.sites[i].holidays.insert(s_.sites[i].holidays.end(), more.begin(), more.end());
                }
            }
        }
        for (auto& site : s_.sites) {
            std::sort(site.holidays.begin(), site.holidays.end());
            site.holidays.erase(std::unique(site.holidays.begin(), site.holidays.end()), site.holidays.end());
        }
    }

    std::size_t site_or_only(const Node& n, std::string_view key) const {
        if (auto v = n.get(key)) return names_.lookup(Names::site, *v);
        if (s_.sites.size() == 1) return 0;
        n.fail_at(key, "required key is missing: with several sites, say which one this belongs to");
    }

    void network(const std::string& name, const Node& n) {
        n.expect_object({"cidr", "site", "customer", "asn", "note"}, {"cidr"});
        Network net;
        net.name = name;
        net.cidr = n.at("cidr").cidr();
        net.site = site_or_only(n, "site");
        if (auto v = n.get("customer")) net.customer = v->string();
        if (auto v = n.get("asn")) net.asn = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
        names_.add(Names::network, name, s_.networks.size());
        network_nodes_.push_back(n);
        s_.networks.push_back(std::move(net));
    }

    /// Networks must be disjoint. CIDR blocks are nested or disjoint, so sorted by address (then
    /// shorter prefix first) every block inside another comes after it while that one still
    /// covers the position: n log n, not the n^2 of comparing every pair.
    void networks_disjoint() {
        std::vector<std::size_t> order(s_.networks.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        const auto& nets = s_.networks;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            const Cidr& x = nets[a].cidr;
            const Cidr& y = nets[b].cidr;
            if (x.is_v4() != y.is_v4()) return x.is_v4();
            if (x.network != y.network) return x.network < y.network;
            return std::tie(x.prefix, a) < std::tie(y.prefix, b);
        });
        // The block that covers the position reached (nested blocks sort after their container).
        std::size_t cover = kNone;
        for (const std::size_t cur : order) {
            if (cover != kNone && nets[cover].cidr.contains(nets[cur].cidr.network)) {
                const std::size_t later = std::max(cover, cur), earlier = std::min(cover, cur);
                diag_.attempt([&] {
                    network_nodes_[later].at("cidr").fail(nets[later].cidr.to_string() + " overlaps network " +
                                                          core::quote(nets[earlier].name) + " (" +
                                                          nets[earlier].cidr.to_string() + "); networks must be disjoint");
                });
            } else {
                cover = cur;
            }
        }
    }

    /// Pools, with addresses allocated in file order: an explicit `offset`, else right after the
    /// previous pool on the same network(s).
    void pool(const std::string& name, const Node& n) {
        n.expect_object({"network", "networks", "count", "role", "offset", "note"}, {"count"});
        HostPool p;
        p.name = name;
        if (n.has("network") == n.has("networks"))
            n.fail("expected exactly one of \"network\" (a name) and \"networks\" (names, for dual-stack hosts)");
        if (auto v = n.get("network")) {
            p.networks.push_back(names_.lookup(Names::network, *v));
        } else {
            const auto list = n.at("networks");
            bool v4 = false, v6 = false;
            for (const auto& e : list.elements(1)) {
                const std::size_t k = names_.lookup(Names::network, e);
                const bool is4 = s_.networks[k].cidr.is_v4();
                if ((is4 && v4) || (!is4 && v6))
                    e.fail("a pool has at most one IPv4 and one IPv6 network (a host has one address per family)");
                (is4 ? v4 : v6) = true;
                p.networks.push_back(k);
            }
        }
        const auto count_node = n.at("count");
        p.count = count_node.integer(1, std::uint64_t{1} << 32);
        p.role = n.has("role") ? n.at("role").string() : "host";
        if (auto v = n.get("offset")) {
            p.offset = v->integer(0, std::numeric_limits<std::uint64_t>::max() / 2);
        } else {
            p.offset = 0;
            for (std::size_t k : p.networks) p.offset = std::max(p.offset, next_free_[k]);
        }
        const std::size_t pool_index = s_.pools.size();
        const std::uint64_t end = p.offset + p.count;  // exclusive
        for (std::size_t k : p.networks) {
            const Cidr& c = s_.networks[k].cidr;
            const std::uint64_t lo = c.first_host_offset();
            const std::uint64_t cap = c.host_capacity();
            if (p.offset < lo) {
                n.at("offset").fail("offset " + std::to_string(p.offset) + " is the network address of " +
                                    c.to_string() + "; the first host offset is " + std::to_string(lo));
            }
            if (end < p.offset || end - lo > cap) {
                const std::uint64_t room = cap > p.offset - lo ? cap - (p.offset - lo) : 0;
                count_node.fail("network " + core::quote(s_.networks[k].name) + " (" + c.to_string() + ") is too small: " +
                                std::to_string(p.count) + " hosts from offset " + std::to_string(p.offset) +
                                " need addresses up to offset " + std::to_string(end - 1) + ", but there is room for " +
                                std::to_string(room) + (c.is_v4() && c.prefix < 31 ? " (network and broadcast excluded)" : ""));
            }
            // Pools used on this network, by first offset: an overlap shows with a neighbour.
            const auto& used = used_[k];
            auto it = used.lower_bound(p.offset);
            const auto clash = [&](const std::pair<const std::uint64_t, Used>& u) {
                n.fail("addresses " + std::to_string(p.offset) + ".." + std::to_string(end - 1) + " of network " +
                       core::quote(s_.networks[k].name) + " overlap host pool " + core::quote(s_.pools[u.second.pool].name) +
                       "; give an \"offset\" past " + std::to_string(u.second.hi - 1));
            };
            if (it != used.end() && it->first < end) clash(*it);
            if (it != used.begin() && std::prev(it)->second.hi > p.offset) clash(*std::prev(it));
        }
        for (std::size_t k : p.networks) {
            used_[k].emplace(p.offset, Used{pool_index, end});
            next_free_[k] = std::max(next_free_[k], end);
        }
        names_.add(Names::pool, name, pool_index);
        s_.pools.push_back(std::move(p));
    }

    static ProfileShape shape(const Node& n) {
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

    void profile(const std::string& name, const Node& n) {
        std::vector<std::string_view> allowed{"site", "note", "all", "weekday", "weekend", "holiday"};
        allowed.insert(allowed.end(), kDayNames.begin(), kDayNames.end());
        n.expect_object(allowed);
        Profile p;
        p.name = name;
        p.site = site_or_only(n, "site");
        // shape slots: 0..6 day names, 7 weekday, 8 weekend, 9 holiday, 10 all
        std::array<std::int16_t, 11> slot;
        slot.fill(-1);
        const auto take = [&](std::string_view key, std::size_t i) {
            if (auto v = n.get(key)) {
                slot[i] = static_cast<std::int16_t>(p.shapes.size());
                p.shapes.push_back(shape(*v));
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
        const Site& site = s_.sites[p.site];
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
        names_.add(Names::profile, name, s_.profiles.size());
        s_.profiles.push_back(std::move(p));
    }

    void activities() {
        std::vector<Node> list;
        if (!diag_.attempt([&] { list = root_.at("activities").elements(1); })) names_.failed(Names::activity, "");
        for (const auto& n : list) {
            const bool ok = diag_.attempt([&] {
                Activity a = parse_activity(n, s_, names_);
                if (names_.has(Names::activity, a.name))
                    n.at("name").fail("duplicate activity name " + core::quote(a.name));
                names_.add(Names::activity, a.name, s_.activities.size());
                s_.activities.push_back(std::move(a));
            });
            if (!ok) names_.failed(Names::activity, name_of(n));
        }
    }

    /// The "name" of an array element that failed, if it has a readable one.
    static std::string name_of(const Node& n) {
        if (n.is_object() && n.json().contains("name") && n.json()["name"].is_string())
            return n.json()["name"].get<std::string>();
        return {};
    }

    Exporter exporter(const Node& n) const {
        n.expect_object({"name", "note", "protocol", "address", "port", "domain", "observes", "default_if",
                         "active_timeout", "inactive_timeout", "cache_size", "sampling", "mtu", "template_refresh",
                         "time_style", "boot", "export_delay", "next_hop", "dialect", "templates", "options", "values",
                         "pad_sets", "max_message", "template_messages", "data_sets", "v9_count", "sequence",
                         "interface_names", "vrf_names"},
                        {"name", "address", "observes"});
        Exporter e;
        e.name = n.at("name").name();
        // Wire layout: the dialect's keys first, then the exporter's own, which override them.
        detail::WireState wire;
        if (auto d = n.get("dialect")) detail::apply_dialect(*d, e, wire);
        detail::parse_wire_keys(n, e, wire);
        detail::finish_wire(n, e, wire);
        e.address = n.at("address").address();
        if (auto v = n.get("port")) e.port = static_cast<std::uint16_t>(v->integer(1, 65535));
        const auto obs = n.at("observes");
        const auto list = obs.elements();
        if (list.empty())
            obs.fail("the exporter observes no network; list at least one {\"network\": NAME, \"if\": N} it sees "
                     "(\"vrf\": ID optional, the VRF of that interface)");
        std::set<std::size_t> seen;
        for (const auto& o : list) {
            o.expect_object({"network", "if", "vrf"}, {"network"});
            Observation ob;
            ob.entry = e.observes.size();
            ob.network = names_.lookup(Names::network, o.at("network"));
            ob.block = s_.networks[ob.network].cidr;
            if (auto v = o.get("if")) ob.if_index = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
            if (auto v = o.get("vrf")) {
                ob.vrf = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
                ob.vrf_given = true;
            }
            if (!seen.insert(ob.network).second) o.at("network").fail("network listed twice");
            e.observes.push_back(ob);
        }
        std::stable_sort(e.observes.begin(), e.observes.end(),
                         [](const Observation& a, const Observation& b) { return a.block.prefix > b.block.prefix; });
        if (auto v = n.get("default_if")) e.default_if = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
        if (auto v = n.get("interface_names")) {
            e.interface_names = detail::parse_table_names(*v, true);
            if (e.interface_names.by_index.contains(0))
                v->fail_at("0", "ifIndex 0 says \"no interface\" (SNMP ifIndex values start at 1)");
        }
        if (auto v = n.get("vrf_names")) e.vrf_names = detail::parse_table_names(*v, true);
        check_tables(n, e);
        if (auto v = n.get("active_timeout")) {
            e.active_timeout_us = v->duration();
            if (e.active_timeout_us < kUsPerSecond) v->fail("expected an active timeout of at least 1s");
        }
        if (auto v = n.get("inactive_timeout")) {
            e.inactive_timeout_us = v->duration();
            if (e.inactive_timeout_us < kUsPerSecond) v->fail("expected an inactive timeout of at least 1s");
        }
        if (auto v = n.get("cache_size")) e.cache_size = v->integer(1, std::uint64_t{1} << 32);
        if (auto v = n.get("sampling")) sampling(*v, e);
        if (auto v = n.get("mtu")) e.mtu = static_cast<std::uint32_t>(v->integer(576, 65535));
        if (auto v = n.get("boot")) e.boot_us = v->duration();
        if (auto v = n.get("export_delay")) e.export_delay_us = v->duration();
        if (auto v = n.get("next_hop")) e.next_hop = v->address();
        return e;
    }

    /// Every row of the exporter's interface and VRF tables fits its template's fields.
    static void check_tables(const Node& n, const Exporter& e) {
        for (std::size_t k = 0; e.options && k < e.options->size(); ++k) {
            const core::OptionsSpec& spec = (*e.options)[k];
            if (spec.table == core::OptionsTable::none) continue;
            const core::OptionsTableFields tf = core::options_table_fields(spec.tmpl, spec.table);
            const std::size_t key_len = spec.tmpl.fields[tf.key].length, name_len = spec.tmpl.fields[tf.name].length;
            const char* what = spec.table == core::OptionsTable::interfaces ? "interface" : "VRF";
            for (const auto& r : detail::table_rows(e, k)) {
                std::string why;
                if (key_len < 4 && r.row.index >> (8 * key_len))
                    why = std::string(what) + " " + std::to_string(r.row.index) + " does not fit the " + std::to_string(key_len) +
                          "-byte key field of options template " + std::to_string(spec.tmpl.id);
                else if (r.row.name.size() > name_len)
                    why = "the name \"" + r.row.name + "\" of " + what + " " + std::to_string(r.row.index) + " is " +
                          std::to_string(r.row.name.size()) + " bytes, longer than the " + std::to_string(name_len) +
                          "-byte name field of options template " + std::to_string(spec.tmpl.id);
                if (why.empty()) continue;
                if (!r.file.empty()) throw ConfigError(r.file, r.pointer, why);
                n.fail(why);
            }
        }
    }

    static void sampling(const Node& v, Exporter& e) {
        v.expect_object({"mode", "rate"}, {"mode"});
        const auto m = v.at("mode");
        const std::string mode = m.string();
        if (mode == "none") {
            e.sampling = SamplingMode::none;
            if (v.has("rate") && v.at("rate").integer(1, 1) != 1) v.fail_at("rate", "mode none samples 1 in 1");
        } else if (mode == "deterministic" || mode == "random") {
            e.sampling = mode == "random" ? SamplingMode::random : SamplingMode::deterministic;
            e.sampling_rate = static_cast<std::uint32_t>(v.at("rate", "N for 1-in-N packet sampling").integer(1, 1u << 30));
        } else {
            m.fail("expected \"none\", \"deterministic\" (every Nth packet) or \"random\" (1 in N at random), got " +
                   core::quote(mode));
        }
    }

    void exporters() {
        std::vector<Node> list;
        diag_.attempt([&] { list = root_.at("exporters").elements(1); });
        std::set<std::string> seen;
        for (const auto& n : list) {
            diag_.attempt([&] {
                Exporter e = exporter(n);
                if (!seen.insert(e.name).second) n.at("name").fail("duplicate exporter name " + core::quote(e.name));
                s_.exporters.push_back(std::move(e));
            });
        }
    }

    /// `lesson.answer.from_truth`: computed keys may not also be given verbatim (which would win?).
    std::optional<AnswerFromTruth> from_truth(const Node& answer) const {
        const auto n = answer.get("from_truth");
        if (!n) return std::nullopt;
        n->expect_object({"activity", "host", "windows", "start", "peak_rate", "totals"});
        AnswerFromTruth f;
        const bool about_activity = n->has("host") || n->has("windows") || n->has("start") || n->has("peak_rate");
        if (about_activity && !n->has("activity"))
            n->fail_at("activity", "required key is missing: the activity that host, windows, start and peak_rate describe");
        if (auto v = n->get("activity")) {
            const std::string name = v->name();
            f.activity = names_.lookup(Names::activity, *v);
        }
        if (auto v = n->get("host")) {
            const std::string rule = v->string();
            if (rule == "first_source") f.host = AnswerFromTruth::HostRule::first_source;
            else if (rule == "top_source") f.host = AnswerFromTruth::HostRule::top_source;
            else if (rule == "top_destination") f.host = AnswerFromTruth::HostRule::top_destination;
            else v->fail("expected \"first_source\", \"top_source\" or \"top_destination\", got " + core::quote(rule));
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
                const bool any = std::any_of(s_.networks.begin(), s_.networks.end(),
                                             [](const Network& x) { return !x.customer.empty(); });
                if (!any) v->at("by").fail("totals by customer need networks with a \"customer\" label; none has one");
            } else if (by == "family") {
                f.totals = AnswerFromTruth::TotalsBy::family;
            } else {
                v->at("by").fail("expected \"customer\" or \"family\", got " + core::quote(by));
            }
        }
        for (const char* key : {"host", "windows", "start", "peak_rate", "totals"})
            if (n->has(key) && answer.has(key))
                answer.fail_at(key, std::string("\"") + key + "\" is computed (from_truth asks for it); remove one of the two");
        return f;
    }

    void collector() {
        const auto c = root_.get("collector");
        if (!c) return;
        c->expect_object({"address", "port"});
        if (auto v = c->get("address")) s_.collector.address = v->address();
        if (auto v = c->get("port")) s_.collector.port = static_cast<std::uint16_t>(v->integer(1, 65535));
    }

    struct Used {
        std::size_t pool;
        std::uint64_t hi;  ///< exclusive end of its offsets
    };

    Scenario& s_;
    const Node& root_;
    Diagnostics& diag_;
    Names names_;
    std::vector<Node> network_nodes_;               ///< each network's node, for overlap errors
    std::vector<std::uint64_t> next_free_;          ///< per network: the next offset to allocate
    std::vector<std::map<std::uint64_t, Used>> used_;  ///< per network: pools by first offset
};

}  // namespace
}  // namespace detail

Scenario parse_scenario(const Json& document, const std::string& file) {
    Scenario s;
    s.file = file;
    s.document = document;
    detail::Diagnostics diag;
    const detail::Node root(s.document, "", s.file, &diag);
    detail::ScenarioParser(s, root, diag).run();
    // Stage 2 needs a complete model: a stage-1 error would only echo through it.
    if (diag.empty()) detail::check_model(s, diag);
    if (!diag.empty()) throw ScenarioErrors(std::move(diag.errors()), diag.unlisted());
    return s;
}

}  // namespace flowlab::gen

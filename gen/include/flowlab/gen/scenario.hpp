/// @brief A scenario file (docs/scenario-format.md) parsed and cross-checked into plain structs:
/// the time span, sites and calendar, networks and host pools, rate profiles, activities,
/// exporters and the collector.
///
/// Errors: everything that is wrong with a scenario throws flowlab::ConfigError naming the file,
/// the JSON pointer of the offending value ("/activities/3/size/median", "" for the document)
/// and what was expected; malformed JSON names line and column. load_scenario throws IoError
/// when the file cannot be read and ConfigError when a name matches no file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/encoder.hpp"
#include "flowlab/core/ip_address.hpp"
#include "flowlab/gen/conversation.hpp"
#include "flowlab/gen/distribution.hpp"
#include "flowlab/gen/faults.hpp"
#include "flowlab/gen/units.hpp"
#include "flowlab/gen/value_rules.hpp"

namespace flowlab::gen {

/// Scenario documents keep their key order (host pools without an `offset` are allocated in
/// file order, and error messages list keys as written).
using Json = nlohmann::ordered_json;

inline constexpr std::size_t kNone = static_cast<std::size_t>(-1);

/// What a scenario file may be, at most (stated in docs/scenario-format.md): far beyond any real
/// scenario, and small enough that a hostile file is refused quickly and in bounded memory.
struct ScenarioLimits {
    std::size_t bytes;   ///< file size
    std::size_t depth;   ///< nesting of objects and arrays
    std::size_t values;  ///< values in the whole document (every member, element, scalar)
};
inline constexpr ScenarioLimits kScenarioLimits{16u << 20, 64, 1'000'000};

enum class DayType : std::uint8_t { weekday, weekend, holiday };

/// A place with a fixed UTC offset and its calendar (weekend days, holidays as local dates).
struct Site {
    std::string name;
    std::int32_t utc_offset_s = 0;
    std::uint8_t weekend_mask = 0x60;     ///< bit d set = weekday d (0 = Monday) is a weekend day
    std::vector<std::int64_t> holidays;   ///< local dates, days since 1970-01-01, sorted, unique

    std::int64_t local_day(std::int64_t epoch_us) const noexcept {
        return floor_div(epoch_us + utc_offset_s * kUsPerSecond, kUsPerDay);
    }
    /// Epoch µs of local midnight starting local day `day`.
    std::int64_t day_start(std::int64_t day) const noexcept { return day * kUsPerDay - utc_offset_s * kUsPerSecond; }
    bool is_holiday(std::int64_t day) const noexcept;
    DayType day_type(std::int64_t day) const noexcept;
};

struct Network {
    std::string name;
    Cidr cidr;
    std::size_t site = 0;
    std::string customer;               ///< optional billing label ("" = none)
    std::optional<std::uint32_t> asn;   ///< origin AS, optional
};

/// Hosts numbered 0..count-1; host i has address network.at(offset + i) in each of its networks
/// (a pool on an IPv4 and an IPv6 network is a pool of dual-stack hosts).
struct HostPool {
    std::string name;
    std::vector<std::size_t> networks;
    std::uint64_t count = 0;
    std::uint64_t offset = 0;
    std::string role;
};

/// One day's piecewise-linear shape in local time; wraps from the last point to the first
/// point of the next day. A constant shape has one point.
struct ProfileShape {
    std::vector<std::int64_t> tod_us;   ///< strictly increasing, in [0, 24h)
    std::vector<double> level;          ///< >= 0
    /// Level at time of day t (0 <= t < 24h), its slope per µs, and the next time of day (> t,
    /// <= 24h) where the slope changes.
    double eval(std::int64_t t, double& slope_per_us, std::int64_t& next_break) const noexcept;
    double max_level() const noexcept;
};

/// A daily rate shape per day type in one site's local time.
struct Profile {
    std::string name;
    std::size_t site = 0;
    std::vector<ProfileShape> shapes;
    /// shape_for[weekday * 2 + holiday] → index into shapes (weekday 0 = Monday).
    std::array<std::int16_t, 14> shape_for{};
    const ProfileShape& shape(int weekday, bool holiday) const noexcept {
        return shapes[static_cast<std::size_t>(shape_for[static_cast<std::size_t>(weekday * 2 + (holiday ? 1 : 0))])];
    }
};

/// Which local days something happens on: named weekdays and/or day types.
struct DaySet {
    std::uint8_t names = 0;  ///< bit d = weekday d (0 = Monday)
    bool weekday = false;    ///< working days: not weekend, not holiday
    bool weekend = false;
    bool holiday = false;
    bool matches(int weekday_index, DayType t) const noexcept {
        return (names >> weekday_index & 1) != 0 || (weekday && t == DayType::weekday) ||
               (weekend && t == DayType::weekend) || (holiday && t == DayType::holiday);
    }
    static DaySet all() {
        DaySet d;
        d.names = 0x7F;
        return d;
    }
};

/// A daily window [from, to) in a site's local time; wraps past midnight when to <= from.
struct Window {
    std::size_t site = 0;
    std::int64_t from_us = 0;
    std::int64_t to_us = kUsPerDay;
    std::int64_t length_us() const noexcept { return to_us > from_us ? to_us - from_us : to_us + kUsPerDay - from_us; }
};

/// A mean-1 random multiplier drawn per time bin (bins aligned to the Unix epoch).
struct Noise {
    enum class Kind : std::uint8_t { gamma, lognormal };
    Kind kind = Kind::gamma;
    double cv = 0.0;
    std::int64_t bin_us = 5 * kUsPerMinute;
};

/// A point in time: absolute, or relative to the (possibly overridden) scenario start.
struct TimeRef {
    bool relative = true;
    std::int64_t value = 0;
    std::int64_t resolve(std::int64_t start_us) const noexcept { return relative ? start_us + value : value; }
};

/// An address range to probe or spoof from: `count` addresses from block.at(first).
struct AddressRange {
    std::string label;
    Cidr block;
    std::uint64_t first = 0;
    std::uint64_t count = 0;
};

/// How arrivals of a rate-driven activity are paced: base rate × profiles × noise, gated by
/// days and a window.
struct ArrivalSpec {
    double rate_per_s = 0.0;
    std::vector<std::size_t> profiles;
    std::optional<Noise> noise;
    std::optional<DaySet> days;
    std::optional<Window> window;
    std::size_t site = 0;  ///< the site whose calendar `days` uses
};

/// A TCP request/response exchange (web, burst). Defaults: a web page view.
struct ExchangeSpec {
    Distribution request = Distribution::lognormal_median(400, 0.6, 64e3);  ///< payload bytes client → server, per request
    Distribution response = Distribution::lognormal_median(12e3, 1.4, 200e6);  ///< payload bytes server → client
    Distribution requests = Distribution::constant(1);   ///< requests per connection (count >= 1)
    Distribution think = Distribution::exponential(1e6);  ///< µs between a response and the next request
    Distribution rtt = Distribution::constant(20e3);      ///< µs round trip
    Distribution server_time = Distribution::exponential(5e3);  ///< µs from request to first response byte
    double bandwidth_bps = 100e6;
};

// The activity kinds. Each spec names its kind (kKind, the name scenario files use) and its
// defaults; ActivitySpec below lists the kinds, once.

/// Telnet/ssh-like sessions of keystroke trains and screen updates.
struct InteractiveSpec {
    static constexpr std::string_view kKind = "interactive";
    static constexpr std::uint16_t kDefaultPort = 23;
    Distribution session = Distribution::lognormal_median(2.0 * 3600e6, 0.7, 12 * 3600e6);  ///< µs session length
    Distribution think = Distribution::exponential(30e6);       ///< µs idle gap between commands
    Distribution keys = Distribution::uniform(1, 12);           ///< keystrokes per command (count >= 1)
    Distribution key_size = Distribution::uniform(1, 20);       ///< payload bytes per keystroke packet
    Distribution key_interval = Distribution::lognormal_median(160e3, 0.4, 2e6);  ///< µs between keystrokes
    Distribution screen = Distribution::lognormal_median(400, 0.6, 4000);  ///< payload bytes answering a command
    Distribution rtt = Distribution::constant(2e3);
    double updates_per_s = 0.0;  ///< server-pushed screen updates while idle
    Distribution update_size = Distribution::lognormal_median(200, 0.5, 1400);
};

struct WebSpec {
    static constexpr std::string_view kKind = "web";
    static constexpr std::uint16_t kDefaultPort = 443;
    ExchangeSpec exchange;
};

struct DnsSpec {
    static constexpr std::string_view kKind = "dns";
    static constexpr std::uint16_t kDefaultPort = 53;
    static constexpr std::uint8_t kDefaultProto = 17;
    Distribution query = Distribution::uniform(20, 60);      ///< payload bytes
    Distribution response = Distribution::uniform(40, 300);  ///< payload bytes
    Distribution rtt = Distribution::lognormal_median(5e3, 0.5, 2e6);
    double unanswered = 0.0;
};

struct BulkSchedule {
    std::size_t site = 0;
    std::vector<std::int64_t> at;        ///< local times of day, sorted
    DaySet days = DaySet::all();
    Distribution jitter = Distribution::constant(0);  ///< µs added to each start
    std::optional<std::uint64_t> hosts;  ///< clients taking part per run; nullopt = every client
    std::int64_t stagger_us = 0;         ///< client k starts k × stagger after `at`
};

struct BulkSpec {
    static constexpr std::string_view kKind = "bulk";
    static constexpr std::uint16_t kDefaultPort = 22;
    bool upload = true;  ///< data flows client → server (a backup); false: server → client
    double bandwidth_bps = 0.0;
    std::optional<Distribution> size;      ///< bytes of payload per transfer
    std::optional<Distribution> duration;  ///< µs per transfer (size = bandwidth × duration)
    double variation = 0.0;                ///< coefficient of variation of per-minute throughput
    Distribution rtt = Distribution::constant(1e3);
    std::optional<BulkSchedule> schedule;  ///< nullopt: Poisson arrivals (ArrivalSpec)
};

/// A burst of connections in random episodes inside a daily window; its exchanges default to
/// short request/response pairs on a LAN.
struct BurstSpec {
    static constexpr std::string_view kKind = "burst";
    static constexpr std::uint16_t kDefaultPort = 443;
    DaySet days;
    std::uint32_t per_week = 0;  ///< > 0: that many random working days per week instead of `days`
    Window window;
    Distribution episodes = Distribution::constant(1);  ///< episodes per chosen day
    Distribution length = Distribution::constant(4 * 60e6);  ///< µs per episode
    double rate_per_s = 0.0;                                 ///< connections per second inside an episode
    ExchangeSpec exchange = lan_exchange();
    static ExchangeSpec lan_exchange() {
        ExchangeSpec x;
        x.request = Distribution::lognormal_median(300, 0.5, 16e3);
        x.response = Distribution::lognormal_median(4e3, 1.0, 1e6);
        x.rtt = Distribution::constant(1e3);
        return x;
    }
};

struct ScanSpec {
    static constexpr std::string_view kKind = "scan";
    std::vector<AddressRange> targets;
    std::vector<std::uint16_t> ports;
    bool vertical = false;  ///< ports vary fastest (one host at a time) instead of addresses
    bool shuffle = true;
    TimeRef start;
    std::optional<std::int64_t> duration_us;
    double open = 0.02;   ///< share of probes to existing hosts answered as open
    double closed = 0.9;  ///< share answered closed (RST, or ICMP unreachable for UDP)
    Distribution payload = Distribution::constant(0);
    std::optional<std::uint64_t> host;  ///< scanner's index in the client pool; nullopt = drawn from the seed
};

struct DdosSpec {
    static constexpr std::string_view kKind = "ddos";
    static constexpr std::uint8_t kDefaultProto = 17;
    std::vector<AddressRange> sources;
    std::optional<std::uint64_t> source_count;  ///< distinct spoofed addresses; nullopt = fresh per flow
    std::uint64_t host = 0;                     ///< victim's index in the server pool
    TimeRef start;
    std::int64_t ramp_up_us = 0;
    std::int64_t peak_us = 0;
    std::int64_t ramp_down_us = 0;
    Distribution packets = Distribution::constant(1);  ///< packets per attack flow
    Distribution size = default_size(kDefaultProto);  ///< payload bytes per packet
    Distribution flow_duration = Distribution::constant(0);
    double replies = 0.0;  ///< share of flows the victim answers (SYN-ACK, ICMP, echo reply)
    /// SYNs carry nothing, UDP floods 512 bytes, ICMP echo 56.
    static Distribution default_size(std::uint8_t proto) { return Distribution::constant(proto == 6 ? 0 : proto == 17 ? 512 : 56); }
    static std::uint16_t default_port(std::uint8_t proto) { return proto == 6 ? 80 : proto == 17 ? 53 : 0; }
};

struct WormSpec {
    static constexpr std::string_view kKind = "worm";
    std::optional<std::uint64_t> host;  ///< patient zero's index in the client pool
    TimeRef at;                         ///< time of entry
    std::vector<AddressRange> targets;
    double local = 0.0;  ///< share of probes aimed at the infected host's own network
    std::vector<std::size_t> vulnerable;
    double susceptible = 1.0;
    Distribution delay = Distribution::exponential(60e6);  ///< µs from infection to the first probe
    Distribution exploit = default_exploit(6);              ///< payload bytes of the infecting exchange
    double closed = 0.0;   ///< share of probes to non-vulnerable existing hosts answered closed
    std::optional<std::uint64_t> max_infected;
    static Distribution default_exploit(std::uint8_t proto) { return Distribution::constant(proto == 17 ? 376 : 4000); }
};

/// Every activity kind, once: scenario files name them by kKind, the parser and the model
/// factory dispatch on the alternative.
using ActivitySpec = std::variant<InteractiveSpec, WebSpec, DnsSpec, BulkSpec, BurstSpec, ScanSpec, DdosSpec, WormSpec>;

/// The kinds' names in ActivitySpec's order.
inline constexpr auto kActivityKinds = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<std::string_view, sizeof...(I)>{std::variant_alternative_t<I, ActivitySpec>::kKind...};
}(std::make_index_sequence<std::variant_size_v<ActivitySpec>>{});

struct Activity {
    std::string name;
    std::string note;
    std::vector<std::size_t> clients;  ///< pools; hosts are numbered across them in order
    std::vector<std::size_t> servers;
    double zipf = 1.0;                  ///< server popularity exponent
    std::vector<std::uint16_t> ports;   ///< server ports (one drawn per session)
    std::uint8_t proto = 6;             ///< IP protocol: 6 TCP, 17 UDP, 1 ICMP (58 on IPv6)
    std::uint8_t tos = 0;
    double v6_share = 0.5;              ///< IPv6 share when both ends are dual-stack
    ArrivalSpec arrival;                ///< interactive, web, dns, bulk without schedule, scan, worm (per host)
    ActivitySpec spec;

    std::string_view kind() const noexcept { return kActivityKinds[spec.index()]; }
    template <class Spec>
    bool is() const noexcept { return std::holds_alternative<Spec>(spec); }
};

enum class ExportProtocol : std::uint8_t { v5, v9, ipfix };
enum class TimeStyle : std::uint8_t { uptime, seconds, milliseconds, microseconds, nanoseconds };
enum class SamplingMode : std::uint8_t { none, deterministic, random };
std::string_view to_string(ExportProtocol p) noexcept;
std::string_view to_string(TimeStyle t) noexcept;
std::string_view to_string(SamplingMode m) noexcept;

struct Observation {
    std::size_t network = 0;
    Cidr block;
    std::uint32_t if_index = 0;
    std::uint32_t vrf = 0;  ///< VRF of the interface towards the network (ingressVRFID / egressVRFID)
    bool vrf_given = false; ///< "vrf" written (NetFlow v5 has no field for it)
    std::size_t entry = 0;  ///< its index in the exporter's "observes" (kept sorted by prefix length)
};

/// Names of an interface or VRF table ("names" of a table options entry, an exporter's
/// "interface_names" / "vrf_names"): by index, and a pattern for the others where "{index}"
/// stands for the index in decimal. Each entry remembers where it was given, for errors.
struct TableNames {
    struct Entry {
        std::string name;
        std::string file, pointer;
    };
    std::map<std::uint32_t, Entry> by_index;
    std::optional<Entry> pattern;  ///< "*"
};

struct Exporter {
    std::string name;
    ExportProtocol protocol = ExportProtocol::ipfix;
    core::IpAddress address;
    std::uint16_t port = 50000;  ///< UDP source port of the exports
    std::uint32_t domain = 0;    ///< v9 source id, IPFIX observation domain, v5 engine_type << 8 | engine_id
    std::vector<Observation> observes;  ///< sorted by prefix length, longest first
    std::uint32_t default_if = 0;       ///< interface of addresses in no observed network
    std::int64_t active_timeout_us = 30 * kUsPerMinute;
    std::int64_t inactive_timeout_us = 15 * kUsPerSecond;
    std::uint64_t cache_size = 65536;
    SamplingMode sampling = SamplingMode::none;
    std::uint32_t sampling_rate = 1;
    std::uint32_t mtu = 1500;
    std::uint32_t template_refresh_packets = 20;
    std::int64_t template_refresh_interval_us = 30 * kUsPerMinute;
    TimeStyle time_style = TimeStyle::milliseconds;
    std::int64_t boot_us = kUsPerDay;  ///< how long before the start the exporter booted
    std::int64_t export_delay_us = 0;
    std::optional<core::IpAddress> next_hop;
    /// Wire layout from a dialect and/or the exporter's own "templates"/"options" (v9/IPFIX);
    /// absent templates: flowlab's defaults for the time style. See dialect.hpp.
    std::string dialect;
    bool custom_templates = false;  ///< templates given (dialect or "templates"): only these families go out
    core::Template template_v4, template_v6, template_v4_icmp, template_v6_icmp;
    std::optional<std::vector<core::OptionsSpec>> options;  ///< absent: sampling options when sampling
    /// Parallel to `options`: a table's own "names" (defaults of the dialect).
    std::vector<TableNames> options_names;
    /// The exporter's "interface_names" and "vrf_names": ahead of the tables' own names; the
    /// indexes named here are in the tables even where no record uses them.
    TableNames interface_names, vrf_names;
    bool pad_sets = true;            ///< v9: RFC 3954 padding; IPFIX: only when a dialect says so
    bool pad_sets_given = false;
    std::uint32_t max_message = 0;   ///< 0: the MTU decides
    /// Message habits ("template_messages", "data_sets", "v9_count", "sequence"); defaults: RFC.
    core::TemplatePlacement template_placement = core::TemplatePlacement::with_data;
    bool one_data_set = false;
    core::V9Count v9_count = core::V9Count::records;
    core::SequenceHabit sequence = core::SequenceHabit::rfc;
    /// Values drawn per conversation for elements of the data templates ("values" objects).
    std::vector<ValueRule> value_rules;

    /// Whether the header carries sysUptime (v5, v9) or the records use it (time_style uptime).
    bool uses_uptime() const noexcept { return protocol != ExportProtocol::ipfix || time_style == TimeStyle::uptime; }
    /// v5 and v9 carry times as sysUptime; IPFIX as absolute milliseconds unless told otherwise.
    static TimeStyle default_time_style(ExportProtocol p) noexcept {
        return p == ExportProtocol::ipfix ? TimeStyle::milliseconds : TimeStyle::uptime;
    }
};

/// `lesson.answer.from_truth`: the parts of an answer key that depend on what the generator
/// drew (which days a burst ran, who patient zero was, the exact bill). gen computes them from
/// the conversations it generates and adds them to the answer in manifest.json.
struct AnswerFromTruth {
    enum class HostRule : std::uint8_t { none, first_source, top_source, top_destination };
    enum class TotalsBy : std::uint8_t { none, customer, family };
    std::size_t activity = kNone;  ///< the activity the host, windows, start and peak rate are about
    HostRule host = HostRule::none;
    std::int64_t windows_gap_us = 0;  ///< > 0: "windows", the activity's episodes split at gaps this long
    bool start = false;               ///< "start": the activity's first packet
    std::int64_t peak_bin_us = 0;     ///< > 0: "peak_rate", the most conversations in one bin, per second
    TotalsBy totals = TotalsBy::none; ///< "totals": bytes per customer label or per address family
};

struct Lesson {
    std::string story;
    std::string question;
    Json answer;  ///< kept verbatim (null when absent); its format belongs to the lessons
    std::optional<AnswerFromTruth> from_truth;  ///< parsed `answer.from_truth`, if any
};

struct Collector {
    core::IpAddress address = core::IpAddress::v4(0x7F000001);
    std::uint16_t port = 2055;
};

struct Scenario {
    std::string file;    ///< as given to the loader ("" when parsed from memory)
    std::string sha256;  ///< of the file's bytes, lowercase hex
    Json document;       ///< the document as parsed

    std::string name;
    std::string summary;
    std::optional<Lesson> lesson;
    std::uint64_t seed = 1;
    std::int64_t start_us = 0;
    std::int64_t duration_us = 0;
    std::vector<Site> sites;
    std::vector<Network> networks;
    std::vector<HostPool> pools;
    std::vector<Profile> profiles;
    std::vector<Activity> activities;
    std::vector<Exporter> exporters;
    Collector collector;
    std::vector<Fault> faults;  ///< applied to the export stream, in this order (faults.hpp)

    std::int64_t end_us() const noexcept { return start_us + duration_us; }
    std::size_t find_site(std::string_view n) const noexcept;
    std::size_t find_network(std::string_view n) const noexcept;
    std::size_t find_pool(std::string_view n) const noexcept;
    std::size_t find_profile(std::string_view n) const noexcept;
    std::size_t find_activity(std::string_view n) const noexcept;
    /// Address of host i of a pool on its `slot`-th network.
    core::IpAddress host_address(std::size_t pool, std::uint64_t i, std::size_t slot = 0) const noexcept {
        const HostPool& p = pools[pool];
        return networks[p.networks[slot]].cidr.at(p.offset + i);
    }
    /// The pool and host index owning an address, if any.
    struct HostRef {
        std::size_t pool = kNone;
        std::uint64_t index = 0;
    };
    HostRef find_host(const core::IpAddress& a) const noexcept;
};

/// Every error found in one scenario (the first Diagnostics::kMaxListed of them; the rest are
/// counted). As a ConfigError it is the first error (file, pointer, position); what() lists all,
/// one per line.
class ScenarioErrors : public ConfigError {
public:
    ScenarioErrors(std::vector<ConfigError> errors, std::size_t unlisted);
    const std::vector<ConfigError>& errors() const noexcept { return errors_; }
    std::size_t unlisted() const noexcept { return unlisted_; }
    const char* what() const noexcept override { return all_.c_str(); }

private:
    std::vector<ConfigError> errors_;
    std::size_t unlisted_;
    std::string all_;
};

/// Parses and cross-checks a document, the file's own span included (check_run with no
/// overrides). `file` is used in error messages only. Throws ScenarioErrors listing every
/// problem found.
Scenario parse_scenario(const Json& document, const std::string& file);
/// Parses JSON text (syntax errors, a key given twice, and documents beyond kScenarioLimits →
/// ConfigError with line and column), then parse_scenario; every error then also carries the
/// line and column of its JSON pointer, and they are listed in file order.
Scenario parse_scenario_text(std::string_view text, const std::string& file);
/// Finds a scenario: an existing file path, else `<dir>/<name>.json` or `<dir>/<name>/scenario.json`
/// in the search dirs, in order. Throws ConfigError (listing where it looked) when none exists.
std::string resolve_scenario_path(const std::string& path_or_name, const std::vector<std::string>& search_dirs);
/// resolve_scenario_path + read + parse; fills `file` and `sha256` (of the exact file bytes).
Scenario load_scenario(const std::string& path_or_name, const std::vector<std::string>& search_dirs);

}  // namespace flowlab::gen

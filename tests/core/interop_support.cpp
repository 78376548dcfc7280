/// @brief Implementation of the interoperability test helpers (case encoding, tshark reading).
#include "interop_support.hpp"

#include <gtest/gtest.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "flowlab/core/ie_catalog.hpp"
#include "test_support.hpp"
#include "flowlab/core/calendar.hpp"

namespace flowlab::interop {

using core::Field;
using core::FlowRecord;
using core::IpAddress;
using core::Protocol;

std::size_t EncodedExport::records() const {
    std::size_t n = 0;
    for (const auto& m : messages) n += m.truth.size();
    return n;
}

core::UdpEndpoint exporter_endpoint(const ExportCase& c) {
    return {c.ipv6_transport ? *IpAddress::parse("2001:db8::2") : IpAddress::v4(0xC0000202), 50000};  // 192.0.2.2
}

core::UdpEndpoint collector_endpoint(const ExportCase& c, std::uint16_t port) {
    return {c.ipv6_transport ? *IpAddress::parse("::1") : IpAddress::v4(0x7F000001), port};
}

FlowRecord random_record(std::mt19937_64& rng, const ExportCase& c, bool ipv6) {
    auto u = [&](std::uint64_t lo, std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng); };
    const bool v5 = c.protocol == Protocol::v5;
    const std::uint64_t max16 = 0xFFFF, max32 = 0xFFFFFFFF;
    const std::uint64_t max_counter = (v5 || !c.wide_counters) ? max32 : (std::uint64_t{1} << 50);
    FlowRecord r;
    if (ipv6) {
        std::array<std::uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8};  // RFC 3849
        for (std::size_t i = 4; i < 16; ++i) a[i] = static_cast<std::uint8_t>(u(0, 255));
        r.set_address(Field::src, IpAddress::v6_bytes(a.data()));
        for (std::size_t i = 8; i < 16; ++i) a[i] = static_cast<std::uint8_t>(u(0, 255));
        r.set_address(Field::dst, IpAddress::v6_bytes(a.data()));
        a[15] = 1;
        r.set_address(Field::next_hop, IpAddress::v6_bytes(a.data()));
    } else {
        // RFC 1918 sources, RFC 5737 destinations and next hops.
        r.set_address(Field::src, IpAddress::v4(0x0A000000u | static_cast<std::uint32_t>(u(0, 0xFFFFFF))));
        r.set_address(Field::dst, IpAddress::v4(0xC6336400u | static_cast<std::uint32_t>(u(0, 0xFF))));
        r.set_address(Field::next_hop, IpAddress::v4(0xCB007100u | static_cast<std::uint32_t>(u(1, 254))));
    }
    const std::uint64_t pick = u(0, 9);
    const std::uint8_t proto = pick < 6 ? 6 : pick < 9 ? 17 : (ipv6 ? 58 : 1);
    r.set_number(Field::proto, proto);
    if (proto == 1 || proto == 58) {
        r.set_number(Field::sport, 0);
        r.set_number(Field::dport, 0);
        r.set_number(Field::icmp_type, u(0, 40));
        r.set_number(Field::icmp_code, u(0, 15));
    } else {
        r.set_number(Field::sport, u(1, max16));
        r.set_number(Field::dport, u(1, max16));
        r.set_number(Field::icmp_type, 0);
        r.set_number(Field::icmp_code, 0);
    }
    r.set_number(Field::tos, u(0, 255));
    r.set_number(Field::tcp_flags, proto == 6 ? u(0, 255) : 0);
    r.set_number(Field::packets, u(1, max_counter));
    r.set_number(Field::bytes, u(20, max_counter));
    const auto first = kBaseMs + static_cast<std::int64_t>(u(0, 3'600'000));
    r.set_number(Field::first_ms, static_cast<std::uint64_t>(first));
    r.set_number(Field::last_ms, static_cast<std::uint64_t>(first + static_cast<std::int64_t>(u(0, 120'000))));
    r.set_number(Field::in_if, u(0, v5 ? max16 : max32));
    r.set_number(Field::out_if, u(0, v5 ? max16 : max32));
    r.set_number(Field::src_as, u(0, v5 ? max16 : max32));
    r.set_number(Field::dst_as, u(0, v5 ? max16 : max32));
    r.set_number(Field::src_mask, u(0, ipv6 ? 128 : 32));
    r.set_number(Field::dst_mask, u(0, ipv6 ? 128 : 32));
    r.set_number(Field::end_reason, u(1, 5));
    if (c.extras) {
        // Short, long (1-byte length) and very long (3-byte length, RFC 7011 7) names.
        const std::uint64_t kind = u(0, 2);
        const std::size_t n = static_cast<std::size_t>(kind == 0 ? u(0, 20) : kind == 1 ? u(21, 254) : u(255, 400));
        std::vector<std::uint8_t> name(n);
        for (auto& ch : name) ch = static_cast<std::uint8_t>('a' + u(0, 25));
        r.extra.push_back({0, core::ie::applicationName, std::move(name)});
        std::vector<std::uint8_t> ent(6);
        for (auto& b : ent) b = static_cast<std::uint8_t>(u(0, 255));
        r.extra.push_back({kExamplePen, 17, std::move(ent)});
    }
    return r;
}

EncodedExport encode_case(const ExportCase& c, std::uint64_t seed, std::size_t count) {
    EncodedExport out;
    core::ExporterConfig& cfg = out.config;
    cfg.protocol = c.protocol;
    cfg.address = exporter_endpoint(c).address;
    cfg.domain = c.domain;
    cfg.boot_ms = kBaseMs - 86'400'000 + 123;  // booted a day before, off the second
    cfg.max_payload = 1500 - core::udp_overhead(c.ipv6_transport);
    cfg.sampling_interval = c.sampling;
    cfg.template_refresh_packets = 4;
    if (c.protocol != Protocol::v5) {
        cfg.template_v4 = core::default_template(c.protocol, false, 256, c.time_style, c.wide_counters);
        cfg.template_v6 = core::default_template(c.protocol, true, 257, c.time_style, c.wide_counters);
        if (c.extras) {
            for (core::Template* t : {&cfg.template_v4, &cfg.template_v6}) {
                t->fields.push_back({core::ie::applicationName, core::kVariableLength, 0});
                t->fields.push_back({17, 6, kExamplePen});
            }
        }
    }
    core::Packetizer packetizer(cfg, [&](const core::EncodedMessage& m) {
        out.messages.push_back(EncodedMessage{std::vector<std::uint8_t>(m.bytes.begin(), m.bytes.end()), m.export_ns,
                                              std::vector<FlowRecord>(m.records.begin(), m.records.end())});
    });
    std::mt19937_64 rng(seed);
    std::int64_t now_ns = (kBaseMs + 3'725'000) * 1'000'000 + 456'789;  // after every record's end
    for (std::size_t i = 0; i < count; ++i) {
        const bool ipv6 = c.ipv6_records && (i % 3 != 0);
        FlowRecord r = random_record(rng, c, ipv6);
        now_ns += static_cast<std::int64_t>(rng() % 3'000'000);
        if (!packetizer.add(r, now_ns)) ADD_FAILURE() << c.name << ": packetizer rejected record " << i;
    }
    packetizer.flush(now_ns);
    EXPECT_EQ(packetizer.stats().clamped, 0u) << c.name << ": a random value did not fit its field";
    EXPECT_EQ(out.records(), count);
    return out;
}

void write_pcap(const EncodedExport& e, const std::string& path, const core::UdpEndpoint& src,
                const core::UdpEndpoint& dst) {
    core::PcapWriter writer(path, core::TimePrecision::nano);
    for (const auto& m : e.messages) writer.write_udp(m.export_ns, src, dst, m.bytes);
    writer.commit();
}

// ---------------------------------------------------------------------------------------------
// parsing tshark's text

std::uint64_t parse_tshark_number(const std::string& text) {
    std::uint64_t v = 0;
    const char* b = text.data();
    const char* e = b + text.size();
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        b += 2;
        base = 16;
    }
    auto [p, ec] = std::from_chars(b, e, v, base);
    if (ec != std::errc() || p != e || b == e) throw std::invalid_argument("not a number: '" + text + "'");
    return v;
}

std::int64_t parse_tshark_rel_time(const std::string& text) {
    const auto dot = text.find('.');
    const std::string secs = text.substr(0, dot);
    std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
    if (frac.size() > 9) throw std::invalid_argument("relative time with more than 9 decimals: '" + text + "'");
    frac.resize(9, '0');
    return static_cast<std::int64_t>(parse_tshark_number(secs)) * 1'000'000'000 +
           static_cast<std::int64_t>(parse_tshark_number(frac));
}

std::int64_t parse_tshark_abs_time(const std::string& text) {
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char mon[4] = {};
    int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
    char frac[16] = {};
    char zone[8] = {};
    if (std::sscanf(text.c_str(), "%3s %d, %d %d:%d:%d.%15[0-9] %7s", mon, &day, &year, &hh, &mm, &ss, frac, zone) != 8 ||
        std::strcmp(zone, "UTC") != 0)
        throw std::invalid_argument("not a tshark UTC time: '" + text + "'");
    int month = -1;
    for (int i = 0; i < 12; ++i)
        if (std::strcmp(mon, kMonths[i]) == 0) month = i;
    if (month < 0) throw std::invalid_argument("unknown month in '" + text + "'");
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    std::string f = frac;
    if (f.size() > 9) throw std::invalid_argument("time with more than 9 decimals: '" + text + "'");
    f.resize(9, '0');
    return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000'000 + static_cast<std::int64_t>(parse_tshark_number(f));
}

// ---------------------------------------------------------------------------------------------
// running tshark

namespace {

using Json = nlohmann::ordered_json;

void find_problems(const Json& j, const std::string& path, std::vector<std::string>& out) {
    if (!j.is_object()) {
        if (j.is_array())
            for (const auto& e : j) find_problems(e, path, out);
        return;
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        if (k.rfind("_ws.malformed", 0) == 0 || k.rfind("_ws.expert", 0) == 0) {
            // tshark guesses "possible traceroute" for any UDP port in 33434-33534, which an
            // ephemeral port the kernel gave the test can be: about the port, not the export.
            if (!(it.value().is_object() && it.value().contains("udp.possible_traceroute")))
                out.push_back(path + "/" + k + ": " + it.value().dump());
            continue;
        }
        find_problems(it.value(), path + "/" + k, out);
    }
}

std::string str(const Json& j, const char* key) {
    if (!j.is_object() || !j.contains(key)) return {};
    const Json& v = j.at(key);
    return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::vector<TsharkPacket> run_tshark(const std::string& pcap, std::uint16_t cflow_port) {
    std::vector<std::string> argv = {"tshark", "-r", pcap, "-T", "json", "--no-duplicate-keys",
                                     "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"};
    if (cflow_port) {
        argv.push_back("-d");
        argv.push_back("udp.port==" + std::to_string(cflow_port) + ",cflow");
    }
    const auto res = test::run(argv, {"TZ=UTC"});
    std::vector<TsharkPacket> out;
    if (res.exit_code != 0) {
        ADD_FAILURE() << "tshark exited with " << res.exit_code << ": " << res.err;
        return out;
    }
    const Json doc = Json::parse(res.out);
    for (const Json& pkt : doc) {
        const Json& layers = pkt.at("_source").at("layers");
        TsharkPacket p;
        p.number = parse_tshark_number(str(layers.value("frame", Json::object()), "frame.number"));
        if (layers.contains("ip")) {
            const Json& ip = layers.at("ip");
            p.ip_src = IpAddress::parse(str(ip, "ip.src")).value_or(IpAddress{});
            p.ip_checksum_status = str(ip, "ip.checksum.status");
        } else if (layers.contains("ipv6")) {
            p.ip_src = IpAddress::parse(str(layers.at("ipv6"), "ipv6.src")).value_or(IpAddress{});
        }
        if (layers.contains("udp")) {
            const Json& udp = layers.at("udp");
            p.udp_checksum_status = str(udp, "udp.checksum.status");
            p.udp_length = parse_tshark_number(str(udp, "udp.length"));
        }
        if (layers.contains("cflow")) p.cflow = layers.at("cflow");
        find_problems(layers, "", p.problems);
        out.push_back(std::move(p));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// tshark tree -> records

namespace {

using Flat = std::map<std::string, std::vector<std::string>>;

/// Leaves of a record object; "_tree" children (tshark's subtrees) are flattened into it.
void flatten(const Json& j, Flat& out) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        const Json& v = it.value();
        if (v.is_object()) {
            flatten(v, out);
        } else if (v.is_array()) {
            for (const auto& e : v) {
                if (e.is_object()) flatten(e, out);
                else out[it.key()].push_back(e.is_string() ? e.get<std::string>() : e.dump());
            }
        } else {
            out[it.key()].push_back(v.is_string() ? v.get<std::string>() : v.dump());
        }
    }
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

/// Keys tshark derives from others or uses for layout: nothing of the record model.
bool derived_key(const std::string& k) {
    return k == "cflow.timedelta" || k == "cflow.padding" || starts_with(k, "cflow.tcpflags.") ||
           k == "cflow.string_len_short" || k == "cflow.string_len_long" || k == "cflow.template_frame";
}

std::vector<std::uint8_t> hex_bytes(const std::string& s) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i < s.size();) {
        if (s[i] == ':') {
            ++i;
            continue;
        }
        if (i + 1 >= s.size()) throw std::invalid_argument("odd hex '" + s + "'");
        out.push_back(static_cast<std::uint8_t>(parse_tshark_number("0x" + s.substr(i, 2))));
        i += 2;
    }
    return out;
}

TsharkTemplate parse_template(const Json& t, bool options, std::vector<std::string>& problems) {
    TsharkTemplate out;
    out.options = options;
    out.id = static_cast<std::uint16_t>(parse_tshark_number(str(t, "cflow.template_id")));
    for (auto it = t.begin(); it != t.end(); ++it) {
        if (!it.value().is_object() || !starts_with(it.key(), "Field (")) continue;
        const Json& f = it.value();
        core::FieldSpec spec;
        std::string type = str(f, "cflow.template_field_type");
        if (type.empty()) type = str(f, "cflow.template_ipfix_field_type");
        if (type.empty()) type = str(f, "cflow.template_ipfix_field_type_enterprise");
        if (type.empty()) type = str(f, "cflow.scope_field_type");
        if (type.empty()) {
            problems.push_back("template " + std::to_string(out.id) + ": field without a type: " + f.dump());
            continue;
        }
        spec.id = static_cast<std::uint16_t>(parse_tshark_number(type));
        spec.length = static_cast<std::uint16_t>(parse_tshark_number(str(f, "cflow.template_field_length")));
        const std::string pen = str(f, "cflow.template_ipfix_field_pen");
        if (!pen.empty()) spec.enterprise = static_cast<std::uint32_t>(parse_tshark_number(pen));
        if (it.key().find("[Scope]") != std::string::npos) ++out.scope_count;
        out.fields.push_back(spec);
    }
    return out;
}

}  // namespace

TsharkReader::TsharkReader(std::set<std::string> ignored_keys) : ignored_(std::move(ignored_keys)) {}

TsharkMessage TsharkReader::read(const TsharkPacket& p) {
    TsharkMessage m;
    m.packet = p.number;
    if (!p.cflow.is_object()) {
        m.problems.push_back("packet " + std::to_string(p.number) + " was not dissected as cflow");
        return m;
    }
    auto problem = [&](const std::string& s) { m.problems.push_back("packet " + std::to_string(p.number) + ": " + s); };
    try {
        // Header: top-level leaves and the timestamp subtree.
        Flat h;
        Json header = Json::object();
        for (auto it = p.cflow.begin(); it != p.cflow.end(); ++it) {
            if (it.value().is_object() && !(it.value().contains("cflow.flowset_id") || starts_with(it.key(), "pdu ")))
                header[it.key()] = it.value();
            else if (!it.value().is_object())
                header[it.key()] = it.value();
        }
        flatten(header, h);
        auto hv = [&](const char* k) -> std::uint64_t {
            auto it = h.find(k);
            if (it == h.end() || it->second.size() != 1) throw std::invalid_argument(std::string("header field ") + k + " missing");
            return parse_tshark_number(it->second[0]);
        };
        static const std::set<std::string> kHeaderKeys = {
            "cflow.version", "cflow.count", "cflow.len", "cflow.sysuptime", "cflow.timestamp", "cflow.unix_secs",
            "cflow.unix_nsecs", "cflow.exporttime", "cflow.sequence", "cflow.source_id", "cflow.od_id",
            "cflow.engine_type", "cflow.engine_id", "cflow.samplingmode", "cflow.samplerate"};
        for (const auto& [k, v] : h)
            if (!kHeaderKeys.count(k)) problem("unexpected header key " + k);
        const auto version = hv("cflow.version");
        if (version != 5 && version != 9 && version != 10) {
            problem("version " + std::to_string(version));
            return m;
        }
        m.protocol = static_cast<Protocol>(version);
        m.sequence = static_cast<std::uint32_t>(hv("cflow.sequence"));
        std::int64_t export_ms = 0, boot_ns = 0;
        if (m.protocol == Protocol::v5) {
            m.domain = static_cast<std::uint32_t>((hv("cflow.engine_type") << 8) | hv("cflow.engine_id"));
            m.header_count = hv("cflow.count");
            m.v5_sampling_mode = hv("cflow.samplingmode");
            m.v5_sampling_rate = hv("cflow.samplerate");
            const auto export_ns = static_cast<std::int64_t>(hv("cflow.unix_secs")) * 1'000'000'000 +
                                   static_cast<std::int64_t>(hv("cflow.unix_nsecs"));
            export_ms = core::floor_div(export_ns, 1'000'000);
            boot_ns = export_ns - parse_tshark_rel_time(h.at("cflow.sysuptime").at(0));
        } else if (m.protocol == Protocol::v9) {
            m.domain = static_cast<std::uint32_t>(hv("cflow.source_id"));
            m.header_count = hv("cflow.count");
            const auto export_ns = static_cast<std::int64_t>(hv("cflow.unix_secs")) * 1'000'000'000;
            export_ms = export_ns / 1'000'000;
            boot_ns = export_ns - parse_tshark_rel_time(h.at("cflow.sysuptime").at(0));
        } else {
            m.domain = static_cast<std::uint32_t>(hv("cflow.od_id"));
            m.ipfix_length = hv("cflow.len");
            export_ms = static_cast<std::int64_t>(hv("cflow.exporttime")) * 1000;
        }
        Session& s = sessions_[{p.ip_src, (std::uint64_t{version} << 32) | m.domain}];

        auto make_record = [&](const Json& obj, std::uint16_t template_id, const TsharkTemplate* tmpl) {
            Flat f;
            flatten(obj, f);
            std::set<std::string> used;
            auto one = [&](const char* k) -> const std::string* {
                auto it = f.find(k);
                if (it == f.end()) return nullptr;
                used.insert(k);
                if (it->second.size() != 1) {
                    problem(std::string("record field ") + k + " appears " + std::to_string(it->second.size()) + " times");
                    return nullptr;
                }
                return &it->second[0];
            };
            FlowRecord r;
            r.set_address(Field::exporter, p.ip_src);
            r.set_number(Field::version, version);
            r.set_number(Field::domain, m.domain);
            r.set_number(Field::sequence, m.sequence);
            r.set_number(Field::export_ms, static_cast<std::uint64_t>(export_ms));
            if (m.protocol != Protocol::v5) r.set_number(Field::template_id, template_id);
            auto addr = [&](Field fld, const char* k4, const char* k6) {
                for (const char* k : {k4, k6})
                    if (const std::string* v = one(k)) {
                        auto a = IpAddress::parse(*v);
                        if (!a) problem(std::string(k) + " is not an address: " + *v);
                        else r.set_address(fld, *a);
                    }
            };
            addr(Field::src, "cflow.srcaddr", "cflow.srcaddrv6");
            addr(Field::dst, "cflow.dstaddr", "cflow.dstaddrv6");
            addr(Field::next_hop, "cflow.nexthop", "cflow.nexthopv6");
            auto num = [&](Field fld, std::initializer_list<const char*> keys) {
                for (const char* k : keys)
                    if (const std::string* v = one(k)) r.set_number(fld, parse_tshark_number(*v));
            };
            num(Field::sport, {"cflow.srcport"});
            num(Field::dport, {"cflow.dstport"});
            num(Field::proto, {"cflow.protocol"});
            num(Field::tos, {"cflow.tos"});
            num(Field::tcp_flags, {"cflow.tcpflags"});
            num(Field::packets, {"cflow.packets"});
            num(Field::bytes, {"cflow.octets"});
            num(Field::in_if, {"cflow.inputint"});
            num(Field::out_if, {"cflow.outputint"});
            num(Field::src_as, {"cflow.srcas"});
            num(Field::dst_as, {"cflow.dstas"});
            num(Field::src_mask, {"cflow.srcmask", "cflow.srcmaskv6"});
            num(Field::dst_mask, {"cflow.dstmask", "cflow.dstmaskv6"});
            num(Field::end_reason, {"cflow.flow_end_reason"});
            num(Field::icmp_type, {"cflow.icmp_ipv6_type", "cflow.icmp_ipv4_type"});
            num(Field::icmp_code, {"cflow.icmp_ipv6_code", "cflow.icmp_ipv4_code"});
            if (const std::string* v = one("cflow.icmp_type_code_ipv4")) {
                const auto tc = parse_tshark_number(*v);
                r.set_number(Field::icmp_type, tc >> 8);
                r.set_number(Field::icmp_code, tc & 0xFF);
            }
            // v5, and v9/IPFIX templates without an ICMP element, carry type*256+code in the
            // destination port (Cisco's convention, which tshark shows as the raw port).
            if (!r.has(Field::icmp_type) && r.has(Field::dport) && (r.proto == 1 || r.proto == 58)) {
                r.set_number(Field::icmp_type, r.dport >> 8);
                r.set_number(Field::icmp_code, r.dport & 0xFF);
            }
            // Times: absolute elements directly; relative ones against the header (v5/v9) or
            // systemInitTimeMilliseconds in the record or announced by options data (IPFIX).
            std::int64_t rel_base_ns = 0;
            bool have_base = m.protocol != Protocol::ipfix;
            if (have_base) rel_base_ns = boot_ns;
            if (const std::string* v = one("cflow.sys_init_time")) {
                rel_base_ns = parse_tshark_abs_time(*v);
                have_base = true;
            } else if (m.protocol == Protocol::ipfix && s.has_system_init) {
                rel_base_ns = s.system_init_ns;
                have_base = true;
            }
            // tshark turns NTP fractions (dateTimeMicro/Nanoseconds) into nanoseconds with a
            // floating-point division that can land 1 ns below an exact value (0.5 s shows as
            // .499999999); a value less than 1 us below a millisecond is that millisecond.
            bool ntp_times = false;
            if (tmpl)
                for (const auto& spec : tmpl->fields)
                    if (!spec.enterprise && spec.id >= core::ie::flowStartMicroseconds && spec.id <= core::ie::flowEndNanoseconds)
                        ntp_times = true;
            const std::int64_t ntp_slack_ns = ntp_times ? 1000 : 0;
            // tshark (packet-netflow.c, timestamp_common) shows a sysUptime-relative time as
            // relative only when its value is non-zero: FIRST/LAST_SWITCHED = 0 (a flow that
            // started the moment the exporter booted) comes out as the absolute time 0,
            // "Jan  1, 1970 00:00:00". In a template whose times are 21/22, that is uptime 0.
            bool uptime_times = false;
            if (tmpl)
                for (const auto& spec : tmpl->fields)
                    if (!spec.enterprise && (spec.id == core::ie::flowStartSysUpTime || spec.id == core::ie::flowEndSysUpTime))
                        uptime_times = true;
            auto time = [&](Field fld, const char* abs_key, const char* rel_key) {
                const std::string* v = one(abs_key);
                if (v && uptime_times && parse_tshark_abs_time(*v) == 0) {
                    if (!have_base) problem(std::string(abs_key) + " (uptime 0) without a time base");
                    else r.set_number(fld, static_cast<std::uint64_t>(core::floor_div(rel_base_ns, 1'000'000)));
                } else if (v) {
                    r.set_number(fld, static_cast<std::uint64_t>(core::floor_div(parse_tshark_abs_time(*v) + ntp_slack_ns, 1'000'000)));
                } else if (const std::string* rv = one(rel_key)) {
                    if (!have_base) problem(std::string(rel_key) + " without a time base");
                    else r.set_number(fld, static_cast<std::uint64_t>(core::floor_div(rel_base_ns + parse_tshark_rel_time(*rv), 1'000'000)));
                }
            };
            time(Field::first_ms, "cflow.abstimestart", "cflow.timestart");
            time(Field::last_ms, "cflow.abstimeend", "cflow.timeend");
            if (m.protocol == Protocol::v5) {
                if (m.v5_sampling_rate) r.set_number(Field::sampling_interval, m.v5_sampling_rate);
            } else if (s.has_sampling) {
                r.set_number(Field::sampling_interval, s.sampling);
                if (s.sampling_algorithm) r.set_number(Field::sampling_algorithm, s.sampling_algorithm);
            }
            // Interface names announced in options data name the record's interfaces, as a
            // collector that keeps the exporter's interface table shows them.
            if (r.has(Field::in_if))
                if (auto it = s.interface_names.find(r.in_if); it != s.interface_names.end())
                    r.set_text(Field::in_if_name, core::intern_name(it->second));
            if (r.has(Field::out_if))
                if (auto it = s.interface_names.find(r.out_if); it != s.interface_names.end())
                    r.set_text(Field::out_if_name, core::intern_name(it->second));
            // Elements outside the record model, kept as flowlab keeps them (FlowRecord::extra).
            if (const std::string* v = one("cflow.appl_name")) {
                r.extra.push_back({0, core::ie::applicationName, std::vector<std::uint8_t>(v->begin(), v->end())});
                std::size_t declared = v->size();
                if (const std::string* l = one("cflow.string_len_long")) declared = parse_tshark_number(*l);
                else if (const std::string* l2 = one("cflow.string_len_short")) declared = parse_tshark_number(*l2);
                if (declared != v->size()) problem("applicationName length " + std::to_string(declared) + " but " +
                                                   std::to_string(v->size()) + " characters");
            }
            if (auto it = f.find("cflow.enterprise_private_entry"); it != f.end()) {
                used.insert(it->first);
                std::vector<const core::FieldSpec*> ent;
                if (tmpl)
                    for (const auto& spec : tmpl->fields)
                        if (spec.enterprise) ent.push_back(&spec);
                if (ent.size() != it->second.size()) {
                    problem("record of template " + std::to_string(template_id) + " has " + std::to_string(it->second.size()) +
                            " enterprise values, its template " + std::to_string(ent.size()) + " enterprise fields");
                } else {
                    for (std::size_t i = 0; i < ent.size(); ++i)
                        r.extra.push_back({ent[i]->enterprise, ent[i]->id, hex_bytes(it->second[i])});
                }
            }
            for (const auto& [k, v] : f)
                if (!used.count(k) && !derived_key(k) && !ignored_.count(k))
                    problem("record key " + k + " (" + (v.empty() ? "" : v[0]) + ") is not compared");
            return r;
        };

        if (m.protocol == Protocol::v5) {
            for (auto it = p.cflow.begin(); it != p.cflow.end(); ++it)
                if (starts_with(it.key(), "pdu ")) {
                    m.records.push_back(make_record(it.value(), 0, nullptr));
                    ++m.record_count_in_packet;
                }
            return m;
        }
        for (auto it = p.cflow.begin(); it != p.cflow.end(); ++it) {
            const Json& set = it.value();
            if (!set.is_object() || !set.contains("cflow.flowset_id")) continue;
            const auto set_id = parse_tshark_number(str(set, "cflow.flowset_id"));
            const bool template_set = m.protocol == Protocol::v9 ? set_id <= 1 : (set_id == 2 || set_id == 3);
            if (template_set) {
                for (auto t = set.begin(); t != set.end(); ++t) {
                    if (!t.value().is_object()) continue;
                    const bool options = starts_with(t.key(), "Options Template (");
                    if (!options && !starts_with(t.key(), "Template (")) continue;
                    TsharkTemplate tt = parse_template(t.value(), options, m.problems);
                    m.templates.push_back(tt);
                    templates_[{p.ip_src, (std::uint64_t{version} << 32) | m.domain, tt.id}] = tt;
                    ++m.record_count_in_packet;
                }
                continue;
            }
            if (set_id < 256) {
                problem("reserved set id " + std::to_string(set_id));
                continue;
            }
            const auto tid = static_cast<std::uint16_t>(set_id);
            auto tmpl_it = templates_.find({p.ip_src, (std::uint64_t{version} << 32) | m.domain, tid});
            const TsharkTemplate* tmpl = tmpl_it == templates_.end() ? nullptr : &tmpl_it->second;
            bool any = false;
            for (auto rec = set.begin(); rec != set.end(); ++rec) {
                if (!rec.value().is_object() || !starts_with(rec.key(), "Flow ")) continue;
                any = true;
                ++m.record_count_in_packet;
                if (tmpl && tmpl->options) {
                    Flat f;
                    flatten(rec.value(), f);
                    // Sampling: samplingInterval (34), or RFC 5477 interval/space: 1 in (i+s)/i,
                    // to the nearest integer.
                    if (f.count("cflow.sampling_interval")) {
                        s.sampling = static_cast<std::uint32_t>(parse_tshark_number(f["cflow.sampling_interval"].at(0)));
                        s.has_sampling = true;
                    } else if (f.count("cflow.sampling_packet_interval")) {
                        const auto i = parse_tshark_number(f["cflow.sampling_packet_interval"].at(0));
                        const auto sp = f.count("cflow.sampling_packet_space")
                                            ? parse_tshark_number(f["cflow.sampling_packet_space"].at(0))
                                            : 0;
                        if (i) {
                            s.sampling = static_cast<std::uint32_t>((i + sp + i / 2) / i);
                            s.has_sampling = true;
                        }
                    }
                    // samplingAlgorithm (35) counts v9's way (1 deterministic, 2 random);
                    // the record model keeps RFC 5477's selectorAlgorithm numbers (1, 3).
                    if (f.count("cflow.sampling_algorithm")) {
                        const auto a = parse_tshark_number(f["cflow.sampling_algorithm"].at(0));
                        s.sampling_algorithm = a == 1 ? 1 : a == 2 ? 3 : 0;
                    } else if (f.count("cflow.selector_algorithm")) {
                        s.sampling_algorithm = static_cast<std::uint16_t>(parse_tshark_number(f["cflow.selector_algorithm"].at(0)));
                    }
                    const char* name_key = f.count("cflow.if_name") ? "cflow.if_name" : "cflow.if_descr";
                    if (f.count(name_key) && !f[name_key].at(0).empty()) {
                        std::string name = f[name_key].at(0);
                        const char* scope_keys[] = {"cflow.scope_interface", "cflow.inputint", "cflow.outputint"};
                        for (const char* k : scope_keys)
                            if (f.count(k)) {
                                s.interface_names[parse_tshark_number(f[k].at(0))] = name;
                                break;
                            }
                    }
                    if (f.count("cflow.sys_init_time")) {
                        s.system_init_ns = parse_tshark_abs_time(f["cflow.sys_init_time"].at(0));
                        s.has_system_init = true;
                    }
                    m.options_records.push_back(std::move(f));
                } else {
                    if (!tmpl) problem("data set " + std::to_string(tid) + " before its template");
                    m.records.push_back(make_record(rec.value(), tid, tmpl));
                }
            }
            if (!any) problem("data set " + std::to_string(tid) + " without records: " + set.dump().substr(0, 200));
        }
    } catch (const std::exception& e) {
        problem(std::string("cannot read tshark's dissection: ") + e.what());
    }
    return m;
}

std::string describe_differences(const FlowRecord& expected, const FlowRecord& actual, core::FieldSet which) {
    const core::FieldSet diff = core::differing_fields(expected, actual, which);
    std::string out;
    auto value = [](const FlowRecord& r, Field f) -> std::string {
        if (!r.has(f)) return "(absent)";
        if (core::is_address_field(f)) return r.address(f)->to_string();
        if (core::is_signed_field(f)) return std::to_string(static_cast<std::int64_t>(r.number(f)));
        return std::to_string(r.number(f));
    };
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (!diff.has(f)) continue;
        out += std::string(out.empty() ? "" : "; ") + std::string(core::field_name(f)) + ": expected " + value(expected, f) +
               ", got " + value(actual, f);
    }
    return out;
}

}  // namespace flowlab::interop

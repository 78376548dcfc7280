/// @brief Reader of goflow2's JSON lines (its default output, `-format=json`).
///
/// The format comes from goflow2's sources (netsampler/goflow2): pb/flow.proto names the
/// fields, producer/proto/config_impl.go takes the JSON names from the protobuf json tags
/// (snake_case in v2: type, time_received_ns, sequence_num, sampling_rate, sampler_address,
/// time_flow_start_ns, time_flow_end_ns, bytes, packets, src_addr, dst_addr, etype, proto,
/// src_port, dst_port, in_if, out_if, ip_tos, tcp_flags, icmp_type, icmp_code, src_as, dst_as,
/// next_hop, src_net, dst_net, observation_domain_id, ...), producer/proto/render.go renders
/// addresses as text, proto as a name from a short table (ICMP, TCP, UDP, ICMPv6, SCTP; any
/// other number renders as "", which leaves the protocol unknown here), src_net/dst_net as
/// "prefix/len" and type as NETFLOW_V5 / NETFLOW_V9 / IPFIX / SFLOW_5; docs/protocols.md maps
/// them to NetFlow/IPFIX elements. goflow2 v1 printed CamelCase names (SrcAddr, TimeFlowStart
/// in seconds, TimeFlowStartMs, Proto as a number, ...); both are read. sFlow samples are
/// not flow records and are skipped.
#include <string>
#include <unordered_map>

#include "flowlab/core/error.hpp"
#include "json_scanner.hpp"
#include "readers.hpp"
#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;
using core::FlowRecord;

namespace {

enum class Gf : std::uint8_t {
    skip, type, sequence, sampling, exporter, start_ns, end_ns, start_ms, end_ms, start_s, end_s, bytes, packets,
    src, dst, proto, sport, dport, in_if, out_if, tos, flags, icmp_type, icmp_code, src_as, dst_as, next_hop,
    src_net, dst_net, domain,
};

Gf gf_key(std::string_view k) {
    static const std::unordered_map<std::string_view, Gf> kKeys = {
        // goflow2 v2
        {"type", Gf::type}, {"sequence_num", Gf::sequence}, {"sampling_rate", Gf::sampling},
        {"sampler_address", Gf::exporter}, {"time_flow_start_ns", Gf::start_ns}, {"time_flow_end_ns", Gf::end_ns},
        {"bytes", Gf::bytes}, {"packets", Gf::packets}, {"src_addr", Gf::src}, {"dst_addr", Gf::dst},
        {"proto", Gf::proto}, {"src_port", Gf::sport}, {"dst_port", Gf::dport}, {"in_if", Gf::in_if},
        {"out_if", Gf::out_if}, {"ip_tos", Gf::tos}, {"tcp_flags", Gf::flags}, {"icmp_type", Gf::icmp_type},
        {"icmp_code", Gf::icmp_code}, {"src_as", Gf::src_as}, {"dst_as", Gf::dst_as}, {"next_hop", Gf::next_hop},
        {"src_net", Gf::src_net}, {"dst_net", Gf::dst_net}, {"observation_domain_id", Gf::domain},
        // goflow2 v1
        {"Type", Gf::type}, {"SequenceNum", Gf::sequence}, {"SamplingRate", Gf::sampling},
        {"SamplerAddress", Gf::exporter}, {"TimeFlowStartNs", Gf::start_ns}, {"TimeFlowEndNs", Gf::end_ns},
        {"TimeFlowStartMs", Gf::start_ms}, {"TimeFlowEndMs", Gf::end_ms}, {"TimeFlowStart", Gf::start_s},
        {"TimeFlowEnd", Gf::end_s}, {"Bytes", Gf::bytes}, {"Packets", Gf::packets}, {"SrcAddr", Gf::src},
        {"DstAddr", Gf::dst}, {"Proto", Gf::proto}, {"SrcPort", Gf::sport}, {"DstPort", Gf::dport},
        {"InIf", Gf::in_if}, {"OutIf", Gf::out_if}, {"IPTos", Gf::tos}, {"IpTos", Gf::tos},
        {"TCPFlags", Gf::flags}, {"TcpFlags", Gf::flags}, {"IcmpType", Gf::icmp_type}, {"IcmpCode", Gf::icmp_code},
        {"SrcAS", Gf::src_as}, {"SrcAs", Gf::src_as}, {"DstAS", Gf::dst_as}, {"DstAs", Gf::dst_as},
        {"NextHop", Gf::next_hop}, {"SrcNet", Gf::src_net}, {"DstNet", Gf::dst_net},
        {"ObservationDomainId", Gf::domain},
    };
    const auto it = kKeys.find(k);
    return it == kKeys.end() ? Gf::skip : it->second;
}

class Goflow2JsonReader final : public CollectedReader {
public:
    Goflow2JsonReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::goflow2_json), std::move(source)), json_(std::move(in)) {}

    bool next(FlowRecord& r) override {
        while (true) {
            JsonToken t = json_.next();
            if (t == JsonToken::end) return false;
            if (t != JsonToken::begin_object) json_.fail("expected a JSON object per line");
            place_ = json_.line();
            r = FlowRecord{};
            bool flow = true;
            std::optional<std::uint64_t> domain;
            int start_res = 0, end_res = 0;  // resolution of the time taken so far: 3 ns, 2 ms, 1 s
            while ((t = json_.next()) == JsonToken::key) {
                const Gf k = gf_key(json_.text());
                const std::string key = k == Gf::skip ? std::string() : std::string(json_.text());
                t = json_.next();
                if (k == Gf::skip || t == JsonToken::null) {
                    json_.skip_value(t);
                    continue;
                }
                if (t != JsonToken::string && t != JsonToken::number) json_.fail("\"" + key + "\": expected a number or a string");
                const std::string_view v = json_.text();
                auto bad = [&](const char* what) { json_.fail("\"" + key + "\": '" + std::string(v) + "' is not " + what); };
                auto number = [&]() {
                    std::uint64_t n;
                    if (!parse_uint(v, n)) bad("an unsigned number");
                    return n;
                };
                auto time = [&](Field f, int res, int& have) {
                    if (res < have) return;
                    std::int64_t ms;
                    if (t == JsonToken::string && parse_datetime_ms(v, ms)) {  // datetimenano renderer
                    } else {
                        const std::uint64_t n = number();
                        ms = static_cast<std::int64_t>(res == 3 ? n / 1000000 : res == 2 ? n : n * 1000);
                    }
                    r.set_number(f, static_cast<std::uint64_t>(ms));
                    have = res;
                };
                switch (k) {
                    case Gf::type:
                        if (v == "NETFLOW_V5") r.set_number(Field::version, 5);
                        else if (v == "NETFLOW_V9") r.set_number(Field::version, 9);
                        else if (v == "IPFIX") r.set_number(Field::version, 10);
                        else flow = false;  // SFLOW_5, FLOWUNKNOWN
                        break;
                    case Gf::exporter:
                    case Gf::src:
                    case Gf::dst:
                    case Gf::next_hop: {
                        if (v.empty()) break;  // rendered "" when the message has none
                        const Field f = k == Gf::exporter ? Field::exporter : k == Gf::src ? Field::src : k == Gf::dst ? Field::dst : Field::next_hop;
                        if (!set_address_text(r, f, v)) bad("an IPv4 or IPv6 address");
                        break;
                    }
                    case Gf::proto: {
                        if (v.empty()) break;  // a protocol outside goflow2's name table
                        const auto p = protocol_from_text(v);
                        if (!p) bad("a protocol name or number");
                        r.set_number(Field::proto, *p);
                        break;
                    }
                    case Gf::src_net:
                    case Gf::dst_net: {
                        const std::size_t slash = v.find('/');
                        std::uint64_t n;
                        if (!parse_uint(slash == std::string_view::npos ? v : v.substr(slash + 1), n) || n > 128)
                            bad("a prefix \"address/length\" or a prefix length");
                        r.set_number(k == Gf::src_net ? Field::src_mask : Field::dst_mask, n);
                        break;
                    }
                    case Gf::start_ns: time(Field::first_ms, 3, start_res); break;
                    case Gf::end_ns: time(Field::last_ms, 3, end_res); break;
                    case Gf::start_ms: time(Field::first_ms, 2, start_res); break;
                    case Gf::end_ms: time(Field::last_ms, 2, end_res); break;
                    case Gf::start_s: time(Field::first_ms, 1, start_res); break;
                    case Gf::end_s: time(Field::last_ms, 1, end_res); break;
                    case Gf::domain: domain = number(); break;
                    default: {
                        const std::uint64_t n = number();
                        const Field f = k == Gf::sequence    ? Field::sequence
                                        : k == Gf::sampling  ? Field::sampling_interval
                                        : k == Gf::bytes     ? Field::bytes
                                        : k == Gf::packets   ? Field::packets
                                        : k == Gf::sport     ? Field::sport
                                        : k == Gf::dport     ? Field::dport
                                        : k == Gf::in_if     ? Field::in_if
                                        : k == Gf::out_if    ? Field::out_if
                                        : k == Gf::tos       ? Field::tos
                                        : k == Gf::flags     ? Field::tcp_flags
                                        : k == Gf::icmp_type ? Field::icmp_type
                                        : k == Gf::icmp_code ? Field::icmp_code
                                        : k == Gf::src_as    ? Field::src_as
                                                             : Field::dst_as;
                        r.set_number(f, n);
                        break;
                    }
                }
            }
            if (!flow) continue;
            // observation_domain_id is documented for the IPFIX header only (docs/protocols.md).
            if (domain && r.has(Field::version) && r.version == 10) r.set_number(Field::domain, *domain);
            if (!r.has(Field::src) || !r.has(Field::dst)) json_.fail("flow without src_addr and dst_addr");
            return true;
        }
    }
    std::uint64_t place() const noexcept override { return place_; }

private:
    JsonScanner json_;
    std::uint64_t place_ = 0;
};

}  // namespace

std::unique_ptr<CollectedReader> make_goflow2_json_reader(InputStream in, std::string source) {
    return std::make_unique<Goflow2JsonReader>(std::move(in), std::move(source));
}

}  // namespace flowlab::verify::detail

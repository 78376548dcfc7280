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
#include "columns.hpp"
#include "json_scanner.hpp"
#include "readers.hpp"
#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;
using core::FlowRecord;

namespace {

/// What a key needs besides its column: goflow2 writes times at three resolutions (the finest
/// one present wins), networks as "prefix/len", the message type as a name, and the IPFIX
/// observation domain only in IPFIX messages.
enum class Special : std::uint8_t { none, type, time_ns, time_ms, time_s, net, domain };
struct GfKey {
    Column column;
    Special special = Special::none;
};

const std::unordered_map<std::string_view, GfKey>& goflow2_keys() {
    using S = Syntax;
    static const std::unordered_map<std::string_view, GfKey> t = {
        // goflow2 v2
        {"type", {{Field::version, S::uint}, Special::type}},
        {"sequence_num", {{Field::sequence, S::uint}}},
        {"sampling_rate", {{Field::sampling_interval, S::uint}}},
        {"sampler_address", {{Field::exporter, S::address_or_empty}}},
        {"time_flow_start_ns", {{Field::first_ms, S::uint}, Special::time_ns}},
        {"time_flow_end_ns", {{Field::last_ms, S::uint}, Special::time_ns}},
        {"bytes", {{Field::bytes, S::uint}}},
        {"packets", {{Field::packets, S::uint}}},
        {"src_addr", {{Field::src, S::address_or_empty}}},
        {"dst_addr", {{Field::dst, S::address_or_empty}}},
        {"proto", {{Field::proto, S::protocol}}},
        {"src_port", {{Field::sport, S::uint}}},
        {"dst_port", {{Field::dport, S::uint}}},
        {"in_if", {{Field::in_if, S::uint}}},
        {"out_if", {{Field::out_if, S::uint}}},
        {"ip_tos", {{Field::tos, S::uint}}},
        {"tcp_flags", {{Field::tcp_flags, S::uint}}},
        {"icmp_type", {{Field::icmp_type, S::uint}}},
        {"icmp_code", {{Field::icmp_code, S::uint}}},
        {"src_as", {{Field::src_as, S::uint}}},
        {"dst_as", {{Field::dst_as, S::uint}}},
        {"next_hop", {{Field::next_hop, S::address_or_empty}}},
        {"src_net", {{Field::src_mask, S::uint}, Special::net}},
        {"dst_net", {{Field::dst_mask, S::uint}, Special::net}},
        {"observation_domain_id", {{Field::domain, S::uint}, Special::domain}},
        // goflow2 v1
        {"Type", {{Field::version, S::uint}, Special::type}},
        {"SequenceNum", {{Field::sequence, S::uint}}},
        {"SamplingRate", {{Field::sampling_interval, S::uint}}},
        {"SamplerAddress", {{Field::exporter, S::address_or_empty}}},
        {"TimeFlowStartNs", {{Field::first_ms, S::uint}, Special::time_ns}},
        {"TimeFlowEndNs", {{Field::last_ms, S::uint}, Special::time_ns}},
        {"TimeFlowStartMs", {{Field::first_ms, S::uint}, Special::time_ms}},
        {"TimeFlowEndMs", {{Field::last_ms, S::uint}, Special::time_ms}},
        {"TimeFlowStart", {{Field::first_ms, S::uint}, Special::time_s}},
        {"TimeFlowEnd", {{Field::last_ms, S::uint}, Special::time_s}},
        {"Bytes", {{Field::bytes, S::uint}}},
        {"Packets", {{Field::packets, S::uint}}},
        {"SrcAddr", {{Field::src, S::address_or_empty}}},
        {"DstAddr", {{Field::dst, S::address_or_empty}}},
        {"Proto", {{Field::proto, S::protocol}}},
        {"SrcPort", {{Field::sport, S::uint}}},
        {"DstPort", {{Field::dport, S::uint}}},
        {"InIf", {{Field::in_if, S::uint}}},
        {"OutIf", {{Field::out_if, S::uint}}},
        {"IPTos", {{Field::tos, S::uint}}},
        {"IpTos", {{Field::tos, S::uint}}},
        {"TCPFlags", {{Field::tcp_flags, S::uint}}},
        {"TcpFlags", {{Field::tcp_flags, S::uint}}},
        {"IcmpType", {{Field::icmp_type, S::uint}}},
        {"IcmpCode", {{Field::icmp_code, S::uint}}},
        {"SrcAS", {{Field::src_as, S::uint}}},
        {"SrcAs", {{Field::src_as, S::uint}}},
        {"DstAS", {{Field::dst_as, S::uint}}},
        {"DstAs", {{Field::dst_as, S::uint}}},
        {"NextHop", {{Field::next_hop, S::address_or_empty}}},
        {"SrcNet", {{Field::src_mask, S::uint}, Special::net}},
        {"DstNet", {{Field::dst_mask, S::uint}, Special::net}},
        {"ObservationDomainId", {{Field::domain, S::uint}, Special::domain}},
    };
    return t;
}

class Goflow2JsonReader final : public JsonLinesReader {
public:
    Goflow2JsonReader(InputStream in, std::string source)
        : JsonLinesReader(CollectedFormat::goflow2_json, std::move(in), std::move(source)) {}

    bool next(FlowRecord& r) override {
        while (true) {
            if (!begin_object(r)) return false;
            bool flow = true;
            std::optional<std::uint64_t> domain;
            int start_res = 0, end_res = 0;  // resolution of the time taken so far: 3 ns, 2 ms, 1 s
            auto want = [](std::string_view name) -> const GfKey* {
                const auto it = goflow2_keys().find(name);
                return it == goflow2_keys().end() ? nullptr : &it->second;
            };
            auto take = [&](const GfKey* wanted, const std::string& key, JsonToken token) {
                const std::string_view v = json_.text();
                const GfKey& k = *wanted;
                auto check = [&](std::optional<std::string> err) {
                    if (err) json_.fail("\"" + key + "\": " + *err);
                };
                auto number = [&]() {
                    std::uint64_t n;
                    if (!parse_uint(v, n)) check(excerpt(v) + " is not an unsigned number");
                    return n;
                };
                auto time = [&](int res, int& have) {
                    if (res < have) return;
                    std::int64_t ms;
                    if (!(token == JsonToken::string && parse_datetime_ms(v, ms))) {  // else the datetimenano renderer
                        const std::uint64_t n = number();
                        const std::uint64_t m = res == 3 ? n / 1000000 : res == 2 ? n : n > kMaxTimeMs / 1000 ? ~0ull : n * 1000;
                        if (m > static_cast<std::uint64_t>(kMaxTimeMs)) check(excerpt(v) + " is not a time between 1970 and 9999");
                        ms = static_cast<std::int64_t>(m);
                    }
                    check(set_time_checked(r, k.column.field, ms));
                    have = res;
                };
                switch (k.special) {
                    case Special::type:
                        if (v == "NETFLOW_V5") r.set_number(Field::version, 5);
                        else if (v == "NETFLOW_V9") r.set_number(Field::version, 9);
                        else if (v == "IPFIX") r.set_number(Field::version, 10);
                        else flow = false;  // SFLOW_5, FLOWUNKNOWN
                        break;
                    case Special::net: {
                        const std::size_t slash = v.find('/');
                        check(apply_column(k.column, slash == std::string_view::npos ? v : v.substr(slash + 1), r));
                        break;
                    }
                    case Special::time_ns: time(3, k.column.field == Field::first_ms ? start_res : end_res); break;
                    case Special::time_ms: time(2, k.column.field == Field::first_ms ? start_res : end_res); break;
                    case Special::time_s: time(1, k.column.field == Field::first_ms ? start_res : end_res); break;
                    case Special::domain: domain = number(); break;
                    case Special::none:
                        // goflow2 renders "" for a protocol outside its short name table.
                        if (k.column.field == Field::proto && v.empty()) break;
                        check(apply_column(k.column, v, r));
                        break;
                }
            };
            read_members(json_, want, take, [] { return std::string(); });
            if (!flow) continue;
            // observation_domain_id is documented for the IPFIX header only (docs/protocols.md).
            if (domain && r.has(Field::version) && r.version == 10)
                if (auto err = set_checked(r, Field::domain, *domain)) json_.fail("observation_domain_id: " + *err);
            if (!r.has(Field::src) || !r.has(Field::dst)) json_.fail("flow without src_addr and dst_addr");
            return true;
        }
    }
};

}  // namespace

std::unique_ptr<CollectedReader> make_goflow2_json_reader(InputStream in, std::string source) {
    return std::make_unique<Goflow2JsonReader>(std::move(in), std::move(source));
}

}  // namespace flowlab::verify::detail

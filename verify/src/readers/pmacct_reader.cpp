/// @brief Readers of pmacct's print plugin output (nfacctd), CSV and JSON lines.
///
/// Only the primitives named in `aggregate` are printed, so a record carries exactly those.
/// Names (pmacct 1.7.7): CSV header SRC_IP, DST_IP, SRC_PORT, DST_PORT, PROTOCOL, TOS,
/// TCP_FLAGS, IN_IFACE, OUT_IFACE, SRC_AS, DST_AS, SRC_MASK, DST_MASK, PEER_SRC_IP,
/// SAMPLING_RATE, TIMESTAMP_START, TIMESTAMP_END, TIMESTAMP_EXPORT, EXPORT_PROTO_SEQNO,
/// EXPORT_PROTO_VERSION, EXPORT_PROTO_SYSID, TUNNEL_SRC_IP, TUNNEL_DST_IP, PACKETS, BYTES; JSON ip_src, ip_dst, port_src,
/// port_dst, ip_proto, tos, tcp_flags (a string), iface_in, iface_out, as_src, as_dst,
/// mask_src, mask_dst, peer_ip_src, sampling_rate, timestamp_start, ... tunnel_ip_src,
/// tunnel_ip_dst (aggregate tunnel_src_host, tunnel_dst_host), packets, bytes.
/// Protocols print as numbers with print_num_protos, as names otherwise; times as
/// "secs.usecs" with timestamps_since_epoch, as "YYYY-MM-DD HH:MM:SS.usecs" otherwise (UTC
/// with timestamps_utc). EXPORT_PROTO_SYSID is the v9 source id / IPFIX observation domain
/// (for v5 it is the engine id alone, which is not flowlab's domain, so it is dropped there).
/// Other primitives are not modelled and are ignored.
#include <array>
#include <string>
#include <vector>

#include "flowlab/core/error.hpp"
#include "columns.hpp"
#include "json_scanner.hpp"
#include "readers.hpp"
#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;
using core::FlowRecord;

namespace {

/// The JSON key and the CSV column of each primitive, and where it goes. EXPORT_PROTO_SYSID
/// fills domain, which finish() keeps for v9/IPFIX only.
struct PmacctPrimitive {
    std::string_view json, csv;
    Column column;
};
constexpr PmacctPrimitive kPrimitives[] = {
    {"ip_src", "SRC_IP", {Field::src, Syntax::address_or_empty}},
    {"ip_dst", "DST_IP", {Field::dst, Syntax::address_or_empty}},
    {"port_src", "SRC_PORT", {Field::sport, Syntax::uint}},
    {"port_dst", "DST_PORT", {Field::dport, Syntax::uint}},
    {"ip_proto", "PROTOCOL", {Field::proto, Syntax::protocol}},
    {"tos", "TOS", {Field::tos, Syntax::uint}},
    {"tcp_flags", "TCP_FLAGS", {Field::tcp_flags, Syntax::uint}},
    {"iface_in", "IN_IFACE", {Field::in_if, Syntax::uint}},
    {"iface_out", "OUT_IFACE", {Field::out_if, Syntax::uint}},
    {"as_src", "SRC_AS", {Field::src_as, Syntax::uint}},
    {"as_dst", "DST_AS", {Field::dst_as, Syntax::uint}},
    {"mask_src", "SRC_MASK", {Field::src_mask, Syntax::uint}},
    {"mask_dst", "DST_MASK", {Field::dst_mask, Syntax::uint}},
    {"peer_ip_src", "PEER_SRC_IP", {Field::exporter, Syntax::address_or_empty}},
    // 0 means "not sampled"; the matcher treats 0 and 1 alike.
    {"sampling_rate", "SAMPLING_RATE", {Field::sampling_interval, Syntax::uint}},
    {"timestamp_start", "TIMESTAMP_START", {Field::first_ms, Syntax::seconds_or_datetime}},
    {"timestamp_end", "TIMESTAMP_END", {Field::last_ms, Syntax::seconds_or_datetime}},
    {"timestamp_export", "TIMESTAMP_EXPORT", {Field::export_ms, Syntax::seconds_or_datetime}},
    {"export_proto_seqno", "EXPORT_PROTO_SEQNO", {Field::sequence, Syntax::uint}},
    {"export_proto_version", "EXPORT_PROTO_VERSION", {Field::version, Syntax::uint}},
    {"export_proto_sysid", "EXPORT_PROTO_SYSID", {Field::domain, Syntax::uint}},
    {"tunnel_ip_src", "TUNNEL_SRC_IP", {Field::tunnel_src, Syntax::address_or_empty}},
    {"tunnel_ip_dst", "TUNNEL_DST_IP", {Field::tunnel_dst, Syntax::address_or_empty}},
    {"packets", "PACKETS", {Field::packets, Syntax::uint}},
    {"bytes", "BYTES", {Field::bytes, Syntax::uint}},
};

template <std::string_view PmacctPrimitive::*Name>
ColumnTable pmacct_table() {
    ColumnTable t{};
    for (const auto& p : kPrimitives) t.add(p.*Name, p.column);
    return t;
}
const ColumnTable& pmacct_json_keys() {
    static const ColumnTable t = pmacct_table<&PmacctPrimitive::json>();
    return t;
}
const ColumnTable& pmacct_csv_columns() {
    static const ColumnTable t = pmacct_table<&PmacctPrimitive::csv>();
    return t;
}

/// EXPORT_PROTO_SYSID is the v9 source id / IPFIX observation domain; for v5 it is the engine id
/// alone, which is not flowlab's domain.
void finish(FlowRecord& r) {
    if (!(r.has(Field::version) && r.version != 5)) r.present.clear(Field::domain);
}

class PmacctJsonReader final : public JsonLinesReader {
public:
    PmacctJsonReader(InputStream in, std::string source)
        : JsonLinesReader(CollectedFormat::pmacct_json, std::move(in), std::move(source)) {}

    bool next(FlowRecord& r) override {
        while (true) {
            if (!begin_object(r)) return false;
            bool marker = false;
            read_members(
                json_,
                [](std::string_view name) {
                    return name == "event_type" ? JsonMember{nullptr, 1} : JsonMember{pmacct_json_keys().find(name)};
                },
                [&](const JsonMember& m, const std::string& key, JsonToken) {
                    // print_markers writes purge_init / purge_close objects around each purge.
                    if (m.own) {
                        marker = marker || json_.text() != "purge";
                    } else if (auto err = apply_column(*m.column, json_.text(), r)) {
                        json_.fail("\"" + key + "\": " + *err);
                    }
                },
                [] { return std::string(); });
            if (marker) continue;
            finish(r);
            return true;
        }
    }
};

class PmacctCsvReader final : public LineBasedReader {
public:
    PmacctCsvReader(InputStream in, std::string source)
        : LineBasedReader(CollectedFormat::pmacct_csv, std::move(in), std::move(source)) {
        std::string_view line;
        while (lines_.next(line) && line.empty()) {
        }
        if (auto err = columns_.set_header(line, pmacct_csv_columns())) fail(*err);
    }

    bool next(FlowRecord& r) override {
        std::string_view line;
        while (lines_.next(line)) {
            // Appending to an existing file, pmacct may write the header again.
            if (line.empty() || line == columns_.header()) continue;
            if (auto err = columns_.apply(line, r)) fail(*err);
            finish(r);
            return true;
        }
        return false;
    }

private:
    CsvColumns columns_;
};

}  // namespace

std::unique_ptr<CollectedReader> make_pmacct_json_reader(InputStream in, std::string source) {
    return std::make_unique<PmacctJsonReader>(std::move(in), std::move(source));
}
std::unique_ptr<CollectedReader> make_pmacct_csv_reader(InputStream in, std::string source) {
    return std::make_unique<PmacctCsvReader>(std::move(in), std::move(source));
}

}  // namespace flowlab::verify::detail

/// @brief Readers of nfdump 1.7 output: `-o json`, `-o csv` and `-q -o pipe`.
///
/// What 1.7.1 prints (measured, see PEERS.md): json is an array of pretty-printed objects with
/// times "YYYY-MM-DDTHH:MM:SS.mmm" in *local* time (run nfdump with TZ=UTC), protocol as a
/// number, flags as an 8-character string ("...AP.SF"), ICMP as icmp_type/icmp_code, the
/// exporter as ip4_router/ip6_router, tunnel addresses as src4_tun_ip/dst4_tun_ip (6 for IPv6),
/// VRF ids as ingress_vrf/egress_vrf (numbers in strings). csv has a header (ts,te,td,sa,da,...), times in whole
/// seconds, protocol names ("TCP"), ICMP type<<8|code in dp, and a "Summary" trailer. pipe is
/// af|first_ms|last_ms|proto|sa[4]|sp|da[4]|dp|src_as|dst_as|in|out|flags|tos|packets|bytes
/// with addresses as four 32-bit words. An empty selection prints "No matching flows" in all
/// three (inside the JSON array, which makes that output invalid JSON).
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "flowlab/core/error.hpp"
#include "columns.hpp"
#include "flowlab/core/byte_io.hpp"
#include "json_scanner.hpp"
#include "readers.hpp"
#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;
using core::FlowRecord;

namespace {

constexpr std::string_view kNoMatch = "No matching flows";

// ---------------------------------------------------------------- json

const ColumnTable& nfdump_json_keys() {
    static const ColumnTable t = {
        {"first", {Field::first_ms, Syntax::datetime}},       {"last", {Field::last_ms, Syntax::datetime}},
        {"in_packets", {Field::packets, Syntax::uint}},       {"in_bytes", {Field::bytes, Syntax::uint}},
        {"proto", {Field::proto, Syntax::protocol}},          {"tcp_flags", {Field::tcp_flags, Syntax::nfdump_flags}},
        {"src_port", {Field::sport, Syntax::uint}},           {"dst_port", {Field::dport, Syntax::uint}},
        {"icmp_type", {Field::icmp_type, Syntax::uint}},      {"icmp_code", {Field::icmp_code, Syntax::uint}},
        {"src_tos", {Field::tos, Syntax::uint}},              {"src4_addr", {Field::src, Syntax::address}},
        {"src6_addr", {Field::src, Syntax::address}},         {"dst4_addr", {Field::dst, Syntax::address}},
        {"dst6_addr", {Field::dst, Syntax::address}},         {"input_snmp", {Field::in_if, Syntax::uint}},
        {"output_snmp", {Field::out_if, Syntax::uint}},       {"src_mask", {Field::src_mask, Syntax::uint}},
        {"dst_mask", {Field::dst_mask, Syntax::uint}},        {"src_as", {Field::src_as, Syntax::uint}},
        {"dst_as", {Field::dst_as, Syntax::uint}},            {"ip4_next_hop", {Field::next_hop, Syntax::address}},
        {"ip6_next_hop", {Field::next_hop, Syntax::address}}, {"ip4_router", {Field::exporter, Syntax::address}},
        {"ip6_router", {Field::exporter, Syntax::address}},
        // Decoded from the exporter's repeated address elements (tunnel) and 234/235.
        {"src4_tun_ip", {Field::tunnel_src, Syntax::address}}, {"src6_tun_ip", {Field::tunnel_src, Syntax::address}},
        {"dst4_tun_ip", {Field::tunnel_dst, Syntax::address}}, {"dst6_tun_ip", {Field::tunnel_dst, Syntax::address}},
        {"ingress_vrf", {Field::vrf_in_id, Syntax::uint}},     {"egress_vrf", {Field::vrf_out_id, Syntax::uint}},
    };
    return t;
}

class NfdumpJsonReader final : public CollectedReader {
public:
    NfdumpJsonReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::nfdump_json), std::move(source)), json_(std::move(in)) {
        if (json_.peek(1).empty()) {
            done_ = true;  // nfdump printed nothing at all
            return;
        }
        if (json_.next() != JsonToken::begin_array) json_.fail("expected '[' (nfdump -o json prints one array)");
        if (json_.peek(kNoMatch.size()) == kNoMatch) done_ = true;
    }

    bool next(FlowRecord& r) override {
        while (!done_) {
            JsonToken t = json_.next();
            if (t == JsonToken::end_array) {
                done_ = true;
                if (json_.next() != JsonToken::end) json_.fail("unexpected data after the array");
                return false;
            }
            if (t != JsonToken::begin_object) json_.fail("expected a flow object");
            place_ = json_.line();
            ++record_;
            r = FlowRecord{};
            if (read_object(r)) return true;
        }
        return false;
    }
    std::uint64_t place() const noexcept override { return place_; }

private:
    /// false for objects that are not flows (nfdump prints only flows with -o json, but be safe).
    bool read_object(FlowRecord& r) {
        bool is_flow = true;
        read_members(
            json_,
            [](std::string_view name) {
                return name == "type" ? JsonMember{nullptr, 1} : JsonMember{nfdump_json_keys().find(name)};
            },
            [&](const JsonMember& m, const std::string& key, JsonToken) {
                if (m.own) {
                    is_flow = json_.text() == "FLOW";
                } else if (auto err = apply_column(*m.column, json_.text(), r)) {
                    json_.fail("record " + std::to_string(record_) + ": \"" + key + "\": " + *err);
                }
            },
            [&] { return "record " + std::to_string(record_) + ": "; });
        if (!is_flow) return false;
        if (!r.has(Field::src) || !r.has(Field::dst))
            throw InputError(source_, line_place(place_),
                             "record " + std::to_string(record_) + ": flow object without src4_addr/src6_addr and dst4_addr/dst6_addr");
        return true;
    }

    JsonScanner json_;
    bool done_ = false;
    std::uint64_t place_ = 0;
    std::uint64_t record_ = 0;
};

// ---------------------------------------------------------------- csv

const ColumnTable& nfdump_csv_columns() {
    static const ColumnTable t = {
        {"ts", {Field::first_ms, Syntax::datetime}}, {"te", {Field::last_ms, Syntax::datetime}},
        {"sa", {Field::src, Syntax::address}},       {"da", {Field::dst, Syntax::address}},
        {"sp", {Field::sport, Syntax::uint}},        {"dp", {Field::dport, Syntax::uint}},
        {"pr", {Field::proto, Syntax::protocol}},    {"flg", {Field::tcp_flags, Syntax::nfdump_flags}},
        {"stos", {Field::tos, Syntax::uint}},        {"ipkt", {Field::packets, Syntax::uint}},
        {"ibyt", {Field::bytes, Syntax::uint}},      {"in", {Field::in_if, Syntax::uint}},
        {"out", {Field::out_if, Syntax::uint}},      {"sas", {Field::src_as, Syntax::uint}},
        {"das", {Field::dst_as, Syntax::uint}},      {"smk", {Field::src_mask, Syntax::uint}},
        {"dmk", {Field::dst_mask, Syntax::uint}},    {"nh", {Field::next_hop, Syntax::address}},
        {"ra", {Field::exporter, Syntax::address}},
    };
    return t;
}

class NfdumpCsvReader final : public LineBasedReader {
public:
    NfdumpCsvReader(InputStream in, std::string source)
        : LineBasedReader(CollectedFormat::nfdump_csv, std::move(in), std::move(source)) {
        std::string_view header;
        while (lines_.next(header) && header.empty()) {
        }
        const auto too_many = columns_.set_header(header, nfdump_csv_columns());
        if (too_many || columns_.size() < 5 || columns_.name(0) != "ts" || columns_.name(3) != "sa")
            throw InputError(source_, line_place(lines_.line()), "expected nfdump's CSV header ts,te,td,sa,da,...");
    }

    bool next(FlowRecord& r) override {
        std::string_view line;
        while (!done_) {
            if (!lines_.next(line)) return false;
            if (line.empty()) continue;
            if (line == "Summary" || line == kNoMatch) {
                done_ = true;  // the trailer: "Summary", a header and one line of totals
                return false;
            }
            if (auto err = columns_.apply(line, r)) fail(*err);
            return true;
        }
        return false;
    }

private:
    CsvColumns columns_;
    bool done_ = false;
};

// ---------------------------------------------------------------- pipe

/// -o pipe columns by position (1.7): af|first|last|proto|sa0..sa3|sp|da0..da3|dp|sas|das|in|out|flags|tos|pkt|byt.
/// Address words (positions 4-7, 9-12) are handled apart.
constexpr std::array<std::pair<std::size_t, Field>, 13> kPipeNumbers = {{
    {1, Field::first_ms}, {2, Field::last_ms}, {3, Field::proto},    {8, Field::sport},  {13, Field::dport},
    {14, Field::src_as},  {15, Field::dst_as}, {16, Field::in_if},   {17, Field::out_if}, {18, Field::tcp_flags},
    {19, Field::tos},     {20, Field::packets}, {21, Field::bytes},
}};

class NfdumpPipeReader final : public LineBasedReader {
public:
    NfdumpPipeReader(InputStream in, std::string source)
        : LineBasedReader(CollectedFormat::nfdump_pipe, std::move(in), std::move(source)) {}

    bool next(FlowRecord& r) override {
        std::string_view line;
        while (lines_.next(line)) {
            if (line.empty()) continue;
            if (line == kNoMatch) return false;
            std::array<std::string_view, 24> c;
            const std::size_t n = split(line, '|', c.data(), c.size());
            if (n != 22) fail("expected 22 '|'-separated fields (nfdump 1.7 -o pipe), found " + std::to_string(n));
            std::array<std::uint64_t, 22> v{};
            for (std::size_t i = 0; i < 22; ++i)
                if (!parse_uint(c[i], v[i])) fail("field " + std::to_string(i + 1) + ": " + excerpt(c[i]) + " is not a number");
            r = FlowRecord{};
            if (v[0] != 2 && v[0] != 10) fail("address family " + std::to_string(v[0]) + " (expected 2 for IPv4 or 10 for IPv6)");
            r.set_address(Field::src, address(v[0], &v[4], 5));
            r.set_address(Field::dst, address(v[0], &v[9], 10));
            for (const auto& [i, f] : kPipeNumbers)
                if (auto err = set_checked(r, f, v[i])) fail("field " + std::to_string(i + 1) + ": " + *err);
            return true;
        }
        return false;
    }
    private:
    /// Four 32-bit words (network order) from field `first_field` (1-based, for messages).
    core::IpAddress address(std::uint64_t af, const std::uint64_t* w, std::size_t first_field) const {
        std::array<std::uint8_t, 16> b{};
        for (std::size_t i = 0; i < 4; ++i) {
            if (w[i] > 0xFFFFFFFFu) fail("field " + std::to_string(first_field + i) + ": " + std::to_string(w[i]) + " is not a 32-bit address word");
            core::store_be32(b.data() + 4 * i, static_cast<std::uint32_t>(w[i]));
        }
        if (af == 2) return core::IpAddress::v4(static_cast<std::uint32_t>(w[3]));
        return core::IpAddress::v6_bytes(b.data());
    }
};

}  // namespace

std::unique_ptr<CollectedReader> make_nfdump_json_reader(InputStream in, std::string source) {
    return std::make_unique<NfdumpJsonReader>(std::move(in), std::move(source));
}
std::unique_ptr<CollectedReader> make_nfdump_csv_reader(InputStream in, std::string source) {
    return std::make_unique<NfdumpCsvReader>(std::move(in), std::move(source));
}
std::unique_ptr<CollectedReader> make_nfdump_pipe_reader(InputStream in, std::string source) {
    return std::make_unique<NfdumpPipeReader>(std::move(in), std::move(source));
}

}  // namespace flowlab::verify::detail

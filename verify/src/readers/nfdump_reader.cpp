/// @brief Readers of nfdump 1.7 output: `-o json`, `-o csv` and `-q -o pipe`.
///
/// What 1.7.1 prints (measured, see PEERS.md): json is an array of pretty-printed objects with
/// times "YYYY-MM-DDTHH:MM:SS.mmm" in *local* time (run nfdump with TZ=UTC), protocol as a
/// number, flags as an 8-character string ("...AP.SF"), ICMP as icmp_type/icmp_code, the
/// exporter as ip4_router/ip6_router. csv has a header (ts,te,td,sa,da,...), times in whole
/// seconds, protocol names ("TCP"), ICMP type<<8|code in dp, and a "Summary" trailer. pipe is
/// af|first_ms|last_ms|proto|sa[4]|sp|da[4]|dp|src_as|dst_as|in|out|flags|tos|packets|bytes
/// with addresses as four 32-bit words. An empty selection prints "No matching flows" in all
/// three (inside the JSON array, which makes that output invalid JSON).
#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "flowlab/core/error.hpp"
#include "json_scanner.hpp"
#include "readers.hpp"
#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;
using core::FlowRecord;

namespace {

constexpr std::string_view kNoMatch = "No matching flows";

// ---------------------------------------------------------------- json

enum class NfKey : std::uint8_t {
    skip,
    type,
    first,
    last,
    packets,
    bytes,
    proto,
    tcp_flags,
    src_port,
    dst_port,
    icmp_type,
    icmp_code,
    tos,
    src_addr,
    dst_addr,
    in_if,
    out_if,
    src_mask,
    dst_mask,
    src_as,
    dst_as,
    next_hop,
    router,
};

NfKey nf_key(std::string_view k) {
    static const std::unordered_map<std::string_view, NfKey> kKeys = {
        {"type", NfKey::type},           {"first", NfKey::first},         {"last", NfKey::last},
        {"in_packets", NfKey::packets},  {"in_bytes", NfKey::bytes},      {"proto", NfKey::proto},
        {"tcp_flags", NfKey::tcp_flags}, {"src_port", NfKey::src_port},   {"dst_port", NfKey::dst_port},
        {"icmp_type", NfKey::icmp_type}, {"icmp_code", NfKey::icmp_code}, {"src_tos", NfKey::tos},
        {"src4_addr", NfKey::src_addr},  {"src6_addr", NfKey::src_addr},  {"dst4_addr", NfKey::dst_addr},
        {"dst6_addr", NfKey::dst_addr},  {"input_snmp", NfKey::in_if},    {"output_snmp", NfKey::out_if},
        {"src_mask", NfKey::src_mask},   {"dst_mask", NfKey::dst_mask},   {"src_as", NfKey::src_as},
        {"dst_as", NfKey::dst_as},       {"ip4_next_hop", NfKey::next_hop}, {"ip6_next_hop", NfKey::next_hop},
        {"ip4_router", NfKey::router},   {"ip6_router", NfKey::router},
    };
    const auto it = kKeys.find(k);
    return it == kKeys.end() ? NfKey::skip : it->second;
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
            r = FlowRecord{};
            if (read_object(r)) return true;
        }
        return false;
    }
    std::uint64_t place() const noexcept override { return place_; }

private:
    std::uint64_t number(const std::string& key) {
        std::uint64_t v;
        if (!parse_uint(json_.text(), v)) json_.fail("\"" + key + "\": expected an unsigned number, found '" + std::string(json_.text()) + "'");
        return v;
    }

    /// false for objects that are not flows (nfdump prints only flows with -o json, but be safe).
    bool read_object(FlowRecord& r) {
        bool is_flow = true;
        JsonToken t;
        while ((t = json_.next()) == JsonToken::key) {
            const NfKey k = nf_key(json_.text());
            const std::string key = k == NfKey::skip ? std::string() : std::string(json_.text());
            t = json_.next();
            if (k == NfKey::skip || t == JsonToken::null) {
                json_.skip_value(t);
                continue;
            }
            const std::string_view v = json_.text();
            auto bad = [&](const char* what) { json_.fail("\"" + key + "\": expected " + what + ", found '" + std::string(v) + "'"); };
            switch (k) {
                case NfKey::type:
                    is_flow = v == "FLOW";
                    break;
                case NfKey::first:
                case NfKey::last: {
                    std::int64_t ms;
                    if (!parse_datetime_ms(v, ms)) bad("a time YYYY-MM-DDTHH:MM:SS.mmm");
                    r.set_number(k == NfKey::first ? Field::first_ms : Field::last_ms, static_cast<std::uint64_t>(ms));
                    break;
                }
                case NfKey::tcp_flags: {
                    const auto f = tcp_flags_from_nfdump(v);
                    if (!f) bad("TCP flags like \"...AP.SF\"");
                    r.set_number(Field::tcp_flags, *f);
                    break;
                }
                case NfKey::proto: {
                    const auto p = protocol_from_text(v);
                    if (!p) bad("a protocol number or name");
                    r.set_number(Field::proto, *p);
                    break;
                }
                case NfKey::src_addr:
                case NfKey::dst_addr:
                case NfKey::next_hop:
                case NfKey::router: {
                    const Field f = k == NfKey::src_addr   ? Field::src
                                    : k == NfKey::dst_addr ? Field::dst
                                    : k == NfKey::next_hop ? Field::next_hop
                                                           : Field::exporter;
                    if (!set_address_text(r, f, v)) bad("an IPv4 or IPv6 address");
                    break;
                }
                default: {
                    static constexpr std::array<std::pair<NfKey, Field>, 14> kNumeric = {{
                        {NfKey::packets, Field::packets},   {NfKey::bytes, Field::bytes},
                        {NfKey::src_port, Field::sport},    {NfKey::dst_port, Field::dport},
                        {NfKey::icmp_type, Field::icmp_type}, {NfKey::icmp_code, Field::icmp_code},
                        {NfKey::tos, Field::tos},           {NfKey::in_if, Field::in_if},
                        {NfKey::out_if, Field::out_if},     {NfKey::src_mask, Field::src_mask},
                        {NfKey::dst_mask, Field::dst_mask}, {NfKey::src_as, Field::src_as},
                        {NfKey::dst_as, Field::dst_as},     {NfKey::skip, Field::exporter},
                    }};
                    for (const auto& [nk, f] : kNumeric)
                        if (nk == k) r.set_number(f, number(key));
                    break;
                }
            }
        }
        if (t != JsonToken::end_object) json_.fail("expected a member name or '}'");
        if (!is_flow) return false;
        if (!r.has(Field::src) || !r.has(Field::dst))
            throw InputError(source_, line_place(place_), "flow object without src4_addr/src6_addr and dst4_addr/dst6_addr");
        return true;
    }

    JsonScanner json_;
    bool done_ = false;
    std::uint64_t place_ = 0;
};

// ---------------------------------------------------------------- csv

class NfdumpCsvReader final : public CollectedReader {
public:
    NfdumpCsvReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::nfdump_csv), std::move(source)), lines_(std::move(in)) {
        std::string_view header;
        while (lines_.next(header) && header.empty()) {
        }
        std::array<std::string_view, 64> names;
        ncols_ = split(header, ',', names.data(), names.size());
        if (ncols_ > names.size()) ncols_ = names.size();
        static const std::unordered_map<std::string_view, Col> kCols = {
            {"ts", Col::ts},   {"te", Col::te},    {"sa", Col::sa},   {"da", Col::da},    {"sp", Col::sp},
            {"dp", Col::dp},   {"pr", Col::pr},    {"flg", Col::flg}, {"stos", Col::tos}, {"ipkt", Col::pkt},
            {"ibyt", Col::byt}, {"in", Col::in},   {"out", Col::out}, {"sas", Col::sas},  {"das", Col::das},
            {"smk", Col::smk}, {"dmk", Col::dmk},  {"nh", Col::nh},   {"ra", Col::ra},
        };
        for (std::size_t i = 0; i < ncols_; ++i) {
            const auto it = kCols.find(names[i]);
            cols_[i] = it == kCols.end() ? Col::skip : it->second;
        }
        if (ncols_ < 5 || cols_[0] != Col::ts || cols_[3] != Col::sa)
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
            std::array<std::string_view, 64> cells;
            const std::size_t n = split(line, ',', cells.data(), cells.size());
            if (n != ncols_)
                fail("expected " + std::to_string(ncols_) + " columns as in the header, found " + std::to_string(n));
            r = FlowRecord{};
            for (std::size_t i = 0; i < n; ++i) cell(r, cols_[i], cells[i]);
            return true;
        }
        return false;
    }
    std::uint64_t place() const noexcept override { return lines_.line(); }

private:
    enum class Col : std::uint8_t { skip, ts, te, sa, da, sp, dp, pr, flg, tos, pkt, byt, in, out, sas, das, smk, dmk, nh, ra };

    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(source_, line_place(lines_.line()), what);
    }

    void cell(FlowRecord& r, Col c, std::string_view v) {
        switch (c) {
            case Col::skip: return;
            case Col::ts:
            case Col::te: {
                std::int64_t ms;
                if (!parse_datetime_ms(v, ms)) fail("'" + std::string(v) + "' is not a time YYYY-MM-DD HH:MM:SS");
                r.set_number(c == Col::ts ? Field::first_ms : Field::last_ms, static_cast<std::uint64_t>(ms));
                return;
            }
            case Col::sa:
            case Col::da:
            case Col::nh:
            case Col::ra: {
                const Field f = c == Col::sa ? Field::src : c == Col::da ? Field::dst : c == Col::nh ? Field::next_hop : Field::exporter;
                if (!set_address_text(r, f, v)) fail("'" + std::string(v) + "' is not an IPv4 or IPv6 address");
                return;
            }
            case Col::pr: {
                const auto p = protocol_from_text(v);
                if (!p) fail("'" + std::string(v) + "' is not a protocol name or number");
                r.set_number(Field::proto, *p);
                return;
            }
            case Col::flg: {
                const auto f = tcp_flags_from_nfdump(v);
                if (!f) fail("'" + std::string(v) + "' is not nfdump TCP flags (like ...AP.SF)");
                r.set_number(Field::tcp_flags, *f);
                return;
            }
            default: break;
        }
        const Field f = c == Col::sp    ? Field::sport
                        : c == Col::dp  ? Field::dport
                        : c == Col::tos ? Field::tos
                        : c == Col::pkt ? Field::packets
                        : c == Col::byt ? Field::bytes
                        : c == Col::in  ? Field::in_if
                        : c == Col::out ? Field::out_if
                        : c == Col::sas ? Field::src_as
                        : c == Col::das ? Field::dst_as
                        : c == Col::smk ? Field::src_mask
                                        : Field::dst_mask;
        std::uint64_t n;
        if (!parse_uint(v, n)) fail("'" + std::string(v) + "' is not a number (" + std::string(core::field_name(f)) + ")");
        r.set_number(f, n);
    }

    LineReader lines_;
    std::array<Col, 64> cols_{};
    std::size_t ncols_ = 0;
    bool done_ = false;
};

// ---------------------------------------------------------------- pipe

class NfdumpPipeReader final : public CollectedReader {
public:
    NfdumpPipeReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::nfdump_pipe), std::move(source)), lines_(std::move(in)) {}

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
                if (!parse_uint(c[i], v[i])) fail("field " + std::to_string(i + 1) + ": '" + std::string(c[i]) + "' is not a number");
            r = FlowRecord{};
            if (v[0] != 2 && v[0] != 10) fail("address family " + std::to_string(v[0]) + " (expected 2 for IPv4 or 10 for IPv6)");
            r.set_address(Field::src, address(v[0], &v[4]));
            r.set_address(Field::dst, address(v[0], &v[9]));
            r.set_number(Field::first_ms, v[1]);
            r.set_number(Field::last_ms, v[2]);
            r.set_number(Field::proto, v[3]);
            r.set_number(Field::sport, v[8]);
            r.set_number(Field::dport, v[13]);
            r.set_number(Field::src_as, v[14]);
            r.set_number(Field::dst_as, v[15]);
            r.set_number(Field::in_if, v[16]);
            r.set_number(Field::out_if, v[17]);
            r.set_number(Field::tcp_flags, v[18]);
            r.set_number(Field::tos, v[19]);
            r.set_number(Field::packets, v[20]);
            r.set_number(Field::bytes, v[21]);
            return true;
        }
        return false;
    }
    std::uint64_t place() const noexcept override { return lines_.line(); }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(source_, line_place(lines_.line()), what);
    }
    static core::IpAddress address(std::uint64_t af, const std::uint64_t* w) {
        if (af == 2) return core::IpAddress::v4(static_cast<std::uint32_t>(w[3]));
        std::uint8_t b[16];
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) b[i * 4 + j] = static_cast<std::uint8_t>(w[i] >> (24 - 8 * j));
        return core::IpAddress::v6_bytes(b);
    }
    LineReader lines_;
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

/// @brief Readers of pmacct's print plugin output (nfacctd), CSV and JSON lines.
///
/// Only the primitives named in `aggregate` are printed, so a record carries exactly those.
/// Names (pmacct 1.7.7): CSV header SRC_IP, DST_IP, SRC_PORT, DST_PORT, PROTOCOL, TOS,
/// TCP_FLAGS, IN_IFACE, OUT_IFACE, SRC_AS, DST_AS, SRC_MASK, DST_MASK, PEER_SRC_IP,
/// SAMPLING_RATE, TIMESTAMP_START, TIMESTAMP_END, TIMESTAMP_EXPORT, EXPORT_PROTO_SEQNO,
/// EXPORT_PROTO_VERSION, EXPORT_PROTO_SYSID, PACKETS, BYTES; JSON ip_src, ip_dst, port_src,
/// port_dst, ip_proto, tos, tcp_flags (a string), iface_in, iface_out, as_src, as_dst,
/// mask_src, mask_dst, peer_ip_src, sampling_rate, timestamp_start, ... packets, bytes.
/// Protocols print as numbers with print_num_protos, as names otherwise; times as
/// "secs.usecs" with timestamps_since_epoch, as "YYYY-MM-DD HH:MM:SS.usecs" otherwise (UTC
/// with timestamps_utc). EXPORT_PROTO_SYSID is the v9 source id / IPFIX observation domain
/// (for v5 it is the engine id alone, which is not flowlab's domain, so it is dropped there).
/// Other primitives are not modelled and are ignored.
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

enum class Pm : std::uint8_t {
    skip, src, dst, sport, dport, proto, tos, flags, in_if, out_if, src_as, dst_as, src_mask, dst_mask,
    exporter, sampling, start, end, export_time, seqno, version, sysid, packets, bytes, event_type,
};

Pm pm_json_key(std::string_view k) {
    static const std::unordered_map<std::string_view, Pm> kKeys = {
        {"ip_src", Pm::src},           {"ip_dst", Pm::dst},           {"port_src", Pm::sport},
        {"port_dst", Pm::dport},       {"ip_proto", Pm::proto},       {"tos", Pm::tos},
        {"tcp_flags", Pm::flags},      {"iface_in", Pm::in_if},       {"iface_out", Pm::out_if},
        {"as_src", Pm::src_as},        {"as_dst", Pm::dst_as},        {"mask_src", Pm::src_mask},
        {"mask_dst", Pm::dst_mask},    {"peer_ip_src", Pm::exporter}, {"sampling_rate", Pm::sampling},
        {"timestamp_start", Pm::start}, {"timestamp_end", Pm::end},   {"timestamp_export", Pm::export_time},
        {"export_proto_seqno", Pm::seqno}, {"export_proto_version", Pm::version},
        {"export_proto_sysid", Pm::sysid}, {"packets", Pm::packets},  {"bytes", Pm::bytes},
        {"event_type", Pm::event_type},
    };
    const auto it = kKeys.find(k);
    return it == kKeys.end() ? Pm::skip : it->second;
}

Pm pm_csv_column(std::string_view k) {
    static const std::unordered_map<std::string_view, Pm> kCols = {
        {"SRC_IP", Pm::src},           {"DST_IP", Pm::dst},           {"SRC_PORT", Pm::sport},
        {"DST_PORT", Pm::dport},       {"PROTOCOL", Pm::proto},       {"TOS", Pm::tos},
        {"TCP_FLAGS", Pm::flags},      {"IN_IFACE", Pm::in_if},       {"OUT_IFACE", Pm::out_if},
        {"SRC_AS", Pm::src_as},        {"DST_AS", Pm::dst_as},        {"SRC_MASK", Pm::src_mask},
        {"DST_MASK", Pm::dst_mask},    {"PEER_SRC_IP", Pm::exporter}, {"SAMPLING_RATE", Pm::sampling},
        {"TIMESTAMP_START", Pm::start}, {"TIMESTAMP_END", Pm::end},   {"TIMESTAMP_EXPORT", Pm::export_time},
        {"EXPORT_PROTO_SEQNO", Pm::seqno}, {"EXPORT_PROTO_VERSION", Pm::version},
        {"EXPORT_PROTO_SYSID", Pm::sysid}, {"PACKETS", Pm::packets},  {"BYTES", Pm::bytes},
    };
    const auto it = kCols.find(k);
    return it == kCols.end() ? Pm::skip : it->second;
}

/// Applies one value; returns the problem or "" when fine. `sysid` is held back until the
/// version is known (it means a domain only for v9/IPFIX).
std::string apply(FlowRecord& r, Pm k, std::string_view v, std::optional<std::uint64_t>& sysid) {
    switch (k) {
        case Pm::skip:
        case Pm::event_type: return {};
        case Pm::src:
        case Pm::dst:
        case Pm::exporter: {
            if (v.empty()) return {};  // pmacct prints "" for an address it does not have
            const Field f = k == Pm::src ? Field::src : k == Pm::dst ? Field::dst : Field::exporter;
            return set_address_text(r, f, v) ? std::string() : "is not an IPv4 or IPv6 address";
        }
        case Pm::proto: {
            const auto p = protocol_from_text(v);
            if (!p) return "is not a protocol number or name";
            r.set_number(Field::proto, *p);
            return {};
        }
        case Pm::start:
        case Pm::end:
        case Pm::export_time: {
            std::int64_t ms;
            if (!parse_seconds_ms(v, ms) && !parse_datetime_ms(v, ms)) return "is not a time (seconds.micros or YYYY-MM-DD HH:MM:SS)";
            const Field f = k == Pm::start ? Field::first_ms : k == Pm::end ? Field::last_ms : Field::export_ms;
            r.set_number(f, static_cast<std::uint64_t>(ms));
            return {};
        }
        default: break;
    }
    std::uint64_t n;
    if (!parse_uint(v, n)) return "is not an unsigned number";
    switch (k) {
        case Pm::sport: r.set_number(Field::sport, n); break;
        case Pm::dport: r.set_number(Field::dport, n); break;
        case Pm::tos: r.set_number(Field::tos, n); break;
        case Pm::flags: r.set_number(Field::tcp_flags, n); break;
        case Pm::in_if: r.set_number(Field::in_if, n); break;
        case Pm::out_if: r.set_number(Field::out_if, n); break;
        case Pm::src_as: r.set_number(Field::src_as, n); break;
        case Pm::dst_as: r.set_number(Field::dst_as, n); break;
        case Pm::src_mask: r.set_number(Field::src_mask, n); break;
        case Pm::dst_mask: r.set_number(Field::dst_mask, n); break;
        // 0 means "not sampled"; the matcher treats 0 and 1 alike.
        case Pm::sampling: r.set_number(Field::sampling_interval, n); break;
        case Pm::seqno: r.set_number(Field::sequence, n); break;
        case Pm::version: r.set_number(Field::version, n); break;
        case Pm::sysid: sysid = n; break;
        case Pm::packets: r.set_number(Field::packets, n); break;
        case Pm::bytes: r.set_number(Field::bytes, n); break;
        default: break;
    }
    return {};
}

void finish(FlowRecord& r, std::optional<std::uint64_t> sysid) {
    if (sysid && r.has(Field::version) && r.version != 5) r.set_number(Field::domain, *sysid);
}

class PmacctJsonReader final : public CollectedReader {
public:
    PmacctJsonReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::pmacct_json), std::move(source)), json_(std::move(in)) {}

    bool next(FlowRecord& r) override {
        while (true) {
            JsonToken t = json_.next();
            if (t == JsonToken::end) return false;
            if (t != JsonToken::begin_object) json_.fail("expected a JSON object per line");
            place_ = json_.line();
            r = FlowRecord{};
            std::optional<std::uint64_t> sysid;
            bool marker = false;
            while ((t = json_.next()) == JsonToken::key) {
                const Pm k = pm_json_key(json_.text());
                const std::string key = k == Pm::skip ? std::string() : std::string(json_.text());
                t = json_.next();
                if (k == Pm::skip || t == JsonToken::null) {
                    json_.skip_value(t);
                    continue;
                }
                if (t != JsonToken::string && t != JsonToken::number) json_.fail("\"" + key + "\": expected a number or a string");
                // print_markers writes purge_init / purge_close objects around each purge.
                if (k == Pm::event_type && json_.text() != "purge") marker = true;
                const std::string err = apply(r, k, json_.text(), sysid);
                if (!err.empty()) json_.fail("\"" + key + "\": '" + std::string(json_.text()) + "' " + err);
            }
            if (marker) continue;
            finish(r, sysid);
            return true;
        }
    }
    std::uint64_t place() const noexcept override { return place_; }

private:
    JsonScanner json_;
    std::uint64_t place_ = 0;
};

class PmacctCsvReader final : public CollectedReader {
public:
    PmacctCsvReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::pmacct_csv), std::move(source)), lines_(std::move(in)) {
        std::string_view line;
        while (lines_.next(line) && line.empty()) {
        }
        header_ = std::string(line);
        std::vector<std::string_view> names(256);
        const std::size_t n = split(header_, ',', names.data(), names.size());
        if (n > names.size()) throw InputError(source_, line_place(lines_.line()), "more than 256 columns");
        for (std::size_t i = 0; i < n; ++i) cols_.push_back(pm_csv_column(names[i]));
        names_.assign(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(n));
    }

    bool next(FlowRecord& r) override {
        std::string_view line;
        while (lines_.next(line)) {
            // Appending to an existing file, pmacct may write the header again.
            if (line.empty() || line == header_) continue;
            cells_.resize(cols_.size() + 1);
            const std::size_t n = split(line, ',', cells_.data(), cells_.size());
            if (n != cols_.size())
                fail("expected " + std::to_string(cols_.size()) + " columns as in the header, found " + std::to_string(n));
            r = FlowRecord{};
            std::optional<std::uint64_t> sysid;
            for (std::size_t i = 0; i < n; ++i) {
                const std::string err = apply(r, cols_[i], cells_[i], sysid);
                if (!err.empty()) fail("column " + std::string(names_[i]) + ": '" + std::string(cells_[i]) + "' " + err);
            }
            finish(r, sysid);
            return true;
        }
        return false;
    }
    std::uint64_t place() const noexcept override { return lines_.line(); }

private:
    [[noreturn]] void fail(const std::string& what) const {
        throw InputError(source_, line_place(lines_.line()), what);
    }
    LineReader lines_;
    std::string header_;
    std::vector<Pm> cols_;
    std::vector<std::string_view> names_;  // views into header_
    std::vector<std::string_view> cells_;
};

}  // namespace

std::unique_ptr<CollectedReader> make_pmacct_json_reader(InputStream in, std::string source) {
    return std::make_unique<PmacctJsonReader>(std::move(in), std::move(source));
}
std::unique_ptr<CollectedReader> make_pmacct_csv_reader(InputStream in, std::string source) {
    return std::make_unique<PmacctCsvReader>(std::move(in), std::move(source));
}

}  // namespace flowlab::verify::detail

/// @brief Reader of `tshark -T json` output of Wireshark's cflow dissector (NetFlow v5/v9, IPFIX).
///
/// In -T json a packet is
/// {"_source": {"layers": {"ip": {...}, "cflow": {...}}}}; cflow holds the header fields, v5
/// records as "pdu N/M" objects and v9/IPFIX sets as "FlowSet N [id=X] ..." / "Set N [id=X] ..."
/// objects whose data records are "Flow N" objects. All values are strings. Record times are
/// either absolute ("cflow.abstimestart": "Nov 14, 2023 22:13:20.123000000 UTC", run tshark with
/// TZ=UTC) or seconds since the exporter booted ("cflow.timestart": "7190.500000000"), which
/// this reader turns into epoch ms as RFC 3954 says: header clock − sysUpTime + switched,
/// modulo 2^32 ms (so a flow that began before sysUpTime wrapped is still placed correctly);
/// for IPFIX the boot time comes from systemInitTimeMilliseconds (IE 160) in an options
/// record of the same exporter and domain. The exporter is the IP source of the packet, so
/// tshark must keep the ip/ipv6 layer: `-J "ip ipv6 cflow"` (with -J cflow alone it is absent).
#include <deque>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/core/repeated_elements.hpp"
#include "columns.hpp"
#include "json_scanner.hpp"
#include "readers.hpp"
#include "text_util.hpp"

namespace flowlab::verify::detail {

using core::Field;
using core::FlowRecord;

namespace {

struct Header {
    std::uint64_t version = 0;
    std::optional<std::int64_t> uptime_ms;
    std::optional<std::uint64_t> unix_secs, unix_nsecs, export_secs;
    std::optional<std::uint64_t> sequence, source_id, engine_type, engine_id, sample_rate;
};

/// What a record field name (after "cflow.") means: a column of the shared vocabulary stored as
/// it is, or one of the values that need the message header first.
enum class Special : std::uint8_t { none, rel_start, rel_end, abs_start, abs_end, sys_init, icmp_type_code };
struct TsharkKey {
    Column column;
    Special special = Special::none;
    /// 4 or 6 for an address or a family-bound number (mask, ICMP): resolved with the record's
    /// other occurrences by RFC 7011's logical order, as flowlab decode does (tunnels).
    std::uint8_t family = 0;
};

const std::unordered_map<std::string_view, TsharkKey>& tshark_record_keys() {
    using S = Syntax;
    static const std::unordered_map<std::string_view, TsharkKey> t = {
        {"srcaddr", {{Field::src, S::address}, Special::none, 4}},
        {"srcaddrv6", {{Field::src, S::address}, Special::none, 6}},
        {"dstaddr", {{Field::dst, S::address}, Special::none, 4}},
        {"dstaddrv6", {{Field::dst, S::address}, Special::none, 6}},
        {"nexthop", {{Field::next_hop, S::address}, Special::none, 4}},
        {"nexthopv6", {{Field::next_hop, S::address}, Special::none, 6}},
        {"srcport", {{Field::sport, S::uint_or_hex}}},    {"dstport", {{Field::dport, S::uint_or_hex}}},
        {"protocol", {{Field::proto, S::uint_or_hex}}},   {"tos", {{Field::tos, S::uint_or_hex}}},
        {"tcpflags", {{Field::tcp_flags, S::uint_or_hex}}}, {"tcpflags16", {{Field::tcp_flags, S::uint_or_hex}}},
        {"packets", {{Field::packets, S::uint_or_hex}}},  {"packets64", {{Field::packets, S::uint_or_hex}}},
        {"octets", {{Field::bytes, S::uint_or_hex}}},     {"octets64", {{Field::bytes, S::uint_or_hex}}},
        {"inputint", {{Field::in_if, S::uint_or_hex}}},   {"outputint", {{Field::out_if, S::uint_or_hex}}},
        {"srcas", {{Field::src_as, S::uint_or_hex}}},     {"dstas", {{Field::dst_as, S::uint_or_hex}}},
        {"srcmask", {{Field::src_mask, S::uint_or_hex}, Special::none, 4}},
        {"srcmaskv6", {{Field::src_mask, S::uint_or_hex}, Special::none, 6}},
        {"dstmask", {{Field::dst_mask, S::uint_or_hex}, Special::none, 4}},
        {"dstmaskv6", {{Field::dst_mask, S::uint_or_hex}, Special::none, 6}},
        {"flow_end_reason", {{Field::end_reason, S::uint_or_hex}}},
        {"icmp_ipv4_type", {{Field::icmp_type, S::uint_or_hex}, Special::none, 4}},
        {"icmp_ipv6_type", {{Field::icmp_type, S::uint_or_hex}, Special::none, 6}},
        {"icmp_ipv4_code", {{Field::icmp_code, S::uint_or_hex}, Special::none, 4}},
        {"icmp_ipv6_code", {{Field::icmp_code, S::uint_or_hex}, Special::none, 6}},
        {"ingress_vrfid", {{Field::vrf_in_id, S::uint_or_hex}}}, {"egress_vrfid", {{Field::vrf_out_id, S::uint_or_hex}}},
        {"sampling_interval", {{Field::sampling_interval, S::uint_or_hex}}},
        {"timestart", {{Field::first_ms, S::seconds}, Special::rel_start}},
        {"timeend", {{Field::last_ms, S::seconds}, Special::rel_end}},
        {"abstimestart", {{Field::first_ms, S::tshark_time}, Special::abs_start}},
        {"abstimeend", {{Field::last_ms, S::tshark_time}, Special::abs_end}},
        {"sys_init_time", {{Field::first_ms, S::tshark_time}, Special::sys_init}},
        {"icmp_type_code_ipv4", {{Field::dport, S::uint_or_hex}, Special::icmp_type_code}},
        {"icmp_type_code_ipv6", {{Field::dport, S::uint_or_hex}, Special::icmp_type_code}},
    };
    return t;
}

/// One data record: the fields stored as they are, and those that need the header.
struct Rec {
    FlowRecord direct;
    std::vector<core::AddressOccurrence> addresses;
    std::vector<core::FamilyNumber> family_numbers;
    std::optional<std::uint64_t> icmp_type_code;
    std::optional<std::int64_t> rel_start, rel_end, abs_start, abs_end, sys_init;
};

class TsharkJsonReader final : public CollectedReader {
public:
    TsharkJsonReader(InputStream in, std::string source)
        : CollectedReader(traits_of(CollectedFormat::tshark_json), std::move(source)), json_(std::move(in)) {
        const JsonToken t = json_.next();
        if (t == JsonToken::end) {
            done_ = true;
            return;
        }
        if (t != JsonToken::begin_array) json_.fail("expected '[' (tshark -T json prints one array of packets)");
    }

    bool next(FlowRecord& r) override {
        while (queue_.empty()) {
            if (done_) return false;
            const JsonToken t = json_.next();
            if (t == JsonToken::end_array) {
                done_ = true;
                if (json_.next() != JsonToken::end) json_.fail("unexpected data after the array");
                return false;
            }
            if (t != JsonToken::begin_object) json_.fail("expected a packet object");
            ++packet_;
            read_packet();
        }
        r = std::move(queue_.front().first);
        place_ = queue_.front().second;
        queue_.pop_front();
        return true;
    }
    std::uint64_t place() const noexcept override { return place_; }

private:
    [[noreturn]] void fail(const std::string& what) { json_.fail("packet " + std::to_string(packet_) + ": " + what); }

    /// Enters an object value; with --no-duplicate-keys a repeated key becomes an array of
    /// objects, of which the first is used and the rest skipped.
    bool enter_object(JsonToken t) {
        if (t == JsonToken::begin_object) {
            in_array_.push_back(false);
            return true;
        }
        if (t == JsonToken::begin_array) {
            const JsonToken first = json_.next();
            if (first == JsonToken::begin_object) {
                in_array_.push_back(true);
                return true;
            }
            json_.skip_value(first);
            if (first != JsonToken::end_array) skip_to_array_end();
            return false;
        }
        json_.skip_value(t);
        return false;
    }
    void skip_to_array_end() {
        JsonToken t;
        while ((t = json_.next()) != JsonToken::end_array) json_.skip_value(t);
    }
    /// After finishing the object entered through enter_object, skips the rest of its array.
    void leave_object() {
        const bool in_array = in_array_.back();
        in_array_.pop_back();
        if (in_array) skip_to_array_end();
    }

    /// The string value of a leaf (the first element if tshark made an array of duplicates);
    /// nullopt for objects (which are skipped).
    std::optional<std::string> leaf(JsonToken t) {
        if (t == JsonToken::string || t == JsonToken::number) return std::string(json_.text());
        if (t == JsonToken::begin_array) {
            std::optional<std::string> first;
            JsonToken e;
            while ((e = json_.next()) != JsonToken::end_array) {
                if (!first && (e == JsonToken::string || e == JsonToken::number)) first = std::string(json_.text());
                else json_.skip_value(e);
            }
            return first;
        }
        json_.skip_value(t);
        return std::nullopt;
    }

    void read_packet() {
        exporter_.reset();
        JsonToken t;
        while ((t = json_.next()) == JsonToken::key) {
            const bool source = json_.text() == "_source";
            t = json_.next();
            if (!source || t != JsonToken::begin_object) {
                json_.skip_value(t);
                continue;
            }
            while ((t = json_.next()) == JsonToken::key) {
                const bool layers = json_.text() == "layers";
                t = json_.next();
                if (!layers || t != JsonToken::begin_object) {
                    json_.skip_value(t);
                    continue;
                }
                read_layers();
            }
        }
    }

    void read_layers() {
        JsonToken t;
        while ((t = json_.next()) == JsonToken::key) {
            const std::string layer(json_.text());
            t = json_.next();
            if (layer == "ip" || layer == "ipv6") {
                if (!enter_object(t)) continue;
                const std::string want = layer + ".src";
                while ((t = json_.next()) == JsonToken::key) {
                    const bool src = json_.text() == want;
                    t = json_.next();
                    if (src) {
                        if (auto v = leaf(t)) exporter_ = core::IpAddress::parse(*v);
                    } else {
                        json_.skip_value(t);
                    }
                }
                leave_object();
            } else if (layer == "cflow") {
                if (!enter_object(t)) continue;
                read_cflow();
                leave_object();
            } else {
                json_.skip_value(t);
            }
        }
    }

    static bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

    std::uint64_t num(const std::string& key, const std::string& v) {
        std::uint64_t n;
        if (!parse_uint_or_hex(v, n)) fail("\"" + key + "\": " + excerpt(v) + " is not a number");
        return n;
    }
    std::int64_t seconds(const std::string& key, const std::string& v) {
        std::int64_t ms;
        if (!parse_seconds_ms(v, ms)) fail("\"" + key + "\": " + excerpt(v) + " is not a number of seconds");
        return ms;
    }

    void header_field(Header& h, const std::string& key, const std::string& v) {
        auto bounded = [&](std::uint64_t max) {
            const std::uint64_t n = num(key, v);
            if (n > max) fail("\"" + key + "\": " + std::to_string(n) + " is out of range (0-" + std::to_string(max) + ")");
            return n;
        };
        if (key == "cflow.version") {
            h.version = num(key, v);
            if (h.version != 5 && h.version != 9 && h.version != 10)
                fail("\"" + key + "\": " + excerpt(v) + " is not a NetFlow/IPFIX version (5, 9 or 10)");
        } else if (key == "cflow.sysuptime") h.uptime_ms = seconds(key, v);
        else if (key == "cflow.unix_secs") h.unix_secs = bounded(0xFFFFFFFFu);
        else if (key == "cflow.unix_nsecs") h.unix_nsecs = bounded(999999999u);
        else if (key == "cflow.exporttime") h.export_secs = bounded(0xFFFFFFFFu);
        else if (key == "cflow.sequence") h.sequence = bounded(0xFFFFFFFFu);
        else if (key == "cflow.source_id" || key == "cflow.od_id") h.source_id = bounded(0xFFFFFFFFu);
        else if (key == "cflow.engine_type") h.engine_type = bounded(0xFFu);
        else if (key == "cflow.engine_id") h.engine_id = bounded(0xFFu);
        else if (key == "cflow.samplerate") h.sample_rate = bounded(0x3FFFu);
    }

    void read_cflow() {
        Header h;
        JsonToken t;
        while ((t = json_.next()) == JsonToken::key) {
            const std::string key(json_.text());
            t = json_.next();
            if (starts_with(key, "pdu ")) {
                if (!enter_object(t)) continue;
                read_record(h, 0);
                leave_object();
            } else if (starts_with(key, "FlowSet ") || starts_with(key, "Set ")) {
                if (!enter_object(t)) continue;
                read_set(h);
                leave_object();
            } else if (key == "cflow.timestamp_tree") {
                if (!enter_object(t)) continue;
                while ((t = json_.next()) == JsonToken::key) {
                    const std::string k(json_.text());
                    t = json_.next();
                    if (auto v = leaf(t)) header_field(h, k, *v);
                }
                leave_object();
            } else if (starts_with(key, "cflow.")) {
                if (auto v = leaf(t)) header_field(h, key, *v);
            } else {
                json_.skip_value(t);
            }
        }
    }

    void read_set(const Header& h) {
        std::uint64_t set_id = 0;
        JsonToken t;
        while ((t = json_.next()) == JsonToken::key) {
            const std::string key(json_.text());
            t = json_.next();
            if (key == "cflow.flowset_id") {
                if (auto v = leaf(t)) set_id = num(key, *v);
            } else if (starts_with(key, "Flow ") && set_id >= 256) {
                if (!enter_object(t)) continue;
                read_record(h, static_cast<std::uint16_t>(set_id));
                leave_object();
            } else {
                json_.skip_value(t);  // templates, padding, "Data (N bytes), no template found"
            }
        }
    }

    void record_field(Rec& rec, const std::string& key, const std::string& v) {
        const auto it = tshark_record_keys().find(std::string_view(key).substr(6));  // after "cflow."
        if (it == tshark_record_keys().end()) return;
        const TsharkKey& k = it->second;
        auto check = [&](std::optional<std::string> err) {
            if (err) fail("\"" + key + "\": " + *err);
        };
        if (k.special == Special::none && !k.family) return check(apply_column(k.column, v, rec.direct));
        // The rest is parsed into a scratch record first, so range and syntax checks are the same.
        FlowRecord scratch;
        check(apply_column(k.column, v, scratch));
        if (k.family) {
            if (const core::IpAddress* a = scratch.address(k.column.field))
                rec.addresses.push_back({k.column.field, k.family, *a});
            else
                rec.family_numbers.push_back({k.column.field, k.family, scratch.number(k.column.field)});
            return;
        }
        const auto value = static_cast<std::int64_t>(scratch.number(k.column.field));
        switch (k.special) {
            case Special::rel_start: rec.rel_start = value; break;
            case Special::rel_end: rec.rel_end = value; break;
            case Special::abs_start: rec.abs_start = value; break;
            case Special::abs_end: rec.abs_end = value; break;
            case Special::sys_init: rec.sys_init = value; break;
            case Special::icmp_type_code: rec.icmp_type_code = static_cast<std::uint64_t>(value); break;
            case Special::none: break;
        }
    }

    void read_members(Rec& rec) {
        JsonToken t;
        while ((t = json_.next()) == JsonToken::key) {
            const std::string key(json_.text());
            t = json_.next();
            if (t == JsonToken::begin_object) {
                read_members(rec);  // cflow.timedelta_tree, cflow.tcpflags_tree, ...
            } else if (starts_with(key, "cflow.") && t == JsonToken::begin_array) {
                // --no-duplicate-keys gathers a repeated element into an array: every
                // occurrence counts, in record order (the outer and inner header of a tunnel).
                JsonToken e;
                while ((e = json_.next()) != JsonToken::end_array) {
                    if (e == JsonToken::string || e == JsonToken::number) record_field(rec, key, std::string(json_.text()));
                    else json_.skip_value(e);
                }
            } else if (starts_with(key, "cflow.")) {
                if (auto v = leaf(t)) record_field(rec, key, *v);
            } else {
                json_.skip_value(t);
            }
        }
    }

    void read_record(const Header& h, std::uint16_t template_id) {
        const std::uint64_t line = json_.line();
        Rec rec;
        read_members(rec);
        core::resolve_repeated_elements(rec.addresses, rec.family_numbers, rec.direct);
        const std::uint32_t domain = h.version == 5 ? static_cast<std::uint32_t>((h.engine_type.value_or(0) << 8) | h.engine_id.value_or(0))
                                                    : static_cast<std::uint32_t>(h.source_id.value_or(0));
        const auto stream = std::make_tuple(exporter_ ? *exporter_ : core::IpAddress{}, domain);
        if (rec.sys_init) sys_init_[stream] = *rec.sys_init;
        if (!rec.direct.has(Field::src) || !rec.direct.has(Field::dst)) return;  // an options record

        FlowRecord r = std::move(rec.direct);
        if (exporter_) r.set_address(Field::exporter, *exporter_);
        if (rec.icmp_type_code) {
            r.set_number(Field::icmp_type, *rec.icmp_type_code >> 8);
            r.set_number(Field::icmp_code, *rec.icmp_type_code & 0xFF);
        }
        r.set_number(Field::version, h.version);
        r.set_number(Field::domain, domain);
        r.set_number(Field::template_id, template_id);
        if (h.sequence) r.set_number(Field::sequence, *h.sequence);
        if (h.version == 5 && h.sample_rate) r.set_number(Field::sampling_interval, *h.sample_rate);

        std::optional<std::int64_t> export_ms;
        if (h.version == 10 && h.export_secs) export_ms = static_cast<std::int64_t>(*h.export_secs) * 1000;
        if (h.version != 10 && h.unix_secs)
            export_ms = static_cast<std::int64_t>(*h.unix_secs) * 1000 +
                        (h.version == 5 ? static_cast<std::int64_t>(h.unix_nsecs.value_or(0) / 1000000) : 0);
        if (export_ms) r.set_number(Field::export_ms, static_cast<std::uint64_t>(*export_ms));

        auto absolute = [&](const std::optional<std::int64_t>& abs, const std::optional<std::int64_t>& rel, Field f) {
            std::optional<std::int64_t> ms;
            if (abs) {
                ms = *abs;
            } else if (rel && h.version != 10 && export_ms && h.uptime_ms) {
                const auto back = static_cast<std::uint32_t>(static_cast<std::uint64_t>(*h.uptime_ms - *rel));
                ms = *export_ms - back;
            } else if (rel && h.version == 10) {
                const auto it = sys_init_.find(stream);
                if (it != sys_init_.end()) ms = it->second + *rel;
            }
            if (ms)
                if (auto err = set_time_checked(r, f, *ms))
                    fail("record at line " + std::to_string(line) + ": " + *err);
        };
        absolute(rec.abs_start, rec.rel_start, Field::first_ms);
        absolute(rec.abs_end, rec.rel_end, Field::last_ms);
        queue_.emplace_back(std::move(r), line);
    }

    JsonScanner json_;
    bool done_ = false;
    std::vector<bool> in_array_;
    std::uint64_t packet_ = 0;
    std::uint64_t place_ = 0;
    std::optional<core::IpAddress> exporter_;
    std::deque<std::pair<FlowRecord, std::uint64_t>> queue_;
    std::map<std::tuple<core::IpAddress, std::uint32_t>, std::int64_t> sys_init_;
};

}  // namespace

std::unique_ptr<CollectedReader> make_tshark_json_reader(InputStream in, std::string source) {
    return std::make_unique<TsharkJsonReader>(std::move(in), std::move(source));
}

}  // namespace flowlab::verify::detail

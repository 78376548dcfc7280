/// @brief Reader of `tshark -T json` output of Wireshark's cflow dissector (NetFlow v5/v9, IPFIX).
///
/// -T json rather than -T ek: ek flattens a packet's records into one array per field, so
/// optional fields cannot be told apart between records of one packet. In -T json a packet is
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
#include <vector>

#include "flowlab/core/error.hpp"
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

/// The fields of one data record as tshark names them (only those flowlab models).
struct Rec {
    std::optional<core::IpAddress> src, dst, next_hop;
    std::optional<std::uint64_t> sport, dport, proto, tos, flags, packets, bytes, in_if, out_if, src_as, dst_as,
        src_mask, dst_mask, end_reason, icmp_type_code, icmp_type, icmp_code, sampling;
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
        if (!parse_uint_or_hex(v, n)) fail("\"" + key + "\": '" + v + "' is not a number");
        return n;
    }
    std::int64_t seconds(const std::string& key, const std::string& v) {
        std::int64_t ms;
        if (!parse_seconds_ms(v, ms)) fail("\"" + key + "\": '" + v + "' is not a number of seconds");
        return ms;
    }

    void header_field(Header& h, const std::string& key, const std::string& v) {
        if (key == "cflow.version") h.version = num(key, v);
        else if (key == "cflow.sysuptime") h.uptime_ms = seconds(key, v);
        else if (key == "cflow.unix_secs") h.unix_secs = num(key, v);
        else if (key == "cflow.unix_nsecs") h.unix_nsecs = num(key, v);
        else if (key == "cflow.exporttime") h.export_secs = num(key, v);
        else if (key == "cflow.sequence") h.sequence = num(key, v);
        else if (key == "cflow.source_id" || key == "cflow.od_id") h.source_id = num(key, v);
        else if (key == "cflow.engine_type") h.engine_type = num(key, v);
        else if (key == "cflow.engine_id") h.engine_id = num(key, v);
        else if (key == "cflow.samplerate") h.sample_rate = num(key, v);
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
        auto addr = [&](std::optional<core::IpAddress>& out) {
            out = core::IpAddress::parse(v);
            if (!out) fail("\"" + key + "\": '" + v + "' is not an address");
        };
        auto time = [&](std::optional<std::int64_t>& out) {
            std::int64_t ms;
            if (!parse_tshark_time_ms(v, ms))
                fail("\"" + key + "\": '" + v + "' is not a time like \"Nov 14, 2023 22:13:20.123000000 UTC\" (run tshark with TZ=UTC)");
            out = ms;
        };
        const std::string_view k = std::string_view(key).substr(6);  // after "cflow."
        if (k == "srcaddr" || k == "srcaddrv6") addr(rec.src);
        else if (k == "dstaddr" || k == "dstaddrv6") addr(rec.dst);
        else if (k == "nexthop" || k == "nexthopv6") addr(rec.next_hop);
        else if (k == "srcport") rec.sport = num(key, v);
        else if (k == "dstport") rec.dport = num(key, v);
        else if (k == "protocol") rec.proto = num(key, v);
        else if (k == "tos") rec.tos = num(key, v);
        else if (k == "tcpflags" || k == "tcpflags16") rec.flags = num(key, v);
        else if (k == "packets" || k == "packets64") rec.packets = num(key, v);
        else if (k == "octets" || k == "octets64") rec.bytes = num(key, v);
        else if (k == "inputint") rec.in_if = num(key, v);
        else if (k == "outputint") rec.out_if = num(key, v);
        else if (k == "srcas") rec.src_as = num(key, v);
        else if (k == "dstas") rec.dst_as = num(key, v);
        else if (k == "srcmask" || k == "srcmaskv6") rec.src_mask = num(key, v);
        else if (k == "dstmask" || k == "dstmaskv6") rec.dst_mask = num(key, v);
        else if (k == "flow_end_reason") rec.end_reason = num(key, v);
        else if (k == "icmp_type_code_ipv4" || k == "icmp_type_code_ipv6") rec.icmp_type_code = num(key, v);
        else if (k == "icmp_ipv4_type" || k == "icmp_ipv6_type") rec.icmp_type = num(key, v);
        else if (k == "icmp_ipv4_code" || k == "icmp_ipv6_code") rec.icmp_code = num(key, v);
        else if (k == "sampling_interval") rec.sampling = num(key, v);
        else if (k == "timestart") rec.rel_start = seconds(key, v);
        else if (k == "timeend") rec.rel_end = seconds(key, v);
        else if (k == "abstimestart") time(rec.abs_start);
        else if (k == "abstimeend") time(rec.abs_end);
        else if (k == "sys_init_time") time(rec.sys_init);
    }

    void read_members(Rec& rec) {
        JsonToken t;
        while ((t = json_.next()) == JsonToken::key) {
            const std::string key(json_.text());
            t = json_.next();
            if (t == JsonToken::begin_object) {
                read_members(rec);  // cflow.timedelta_tree, cflow.tcpflags_tree, ...
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
        const std::uint32_t domain = h.version == 5 ? static_cast<std::uint32_t>((h.engine_type.value_or(0) << 8) | h.engine_id.value_or(0))
                                                    : static_cast<std::uint32_t>(h.source_id.value_or(0));
        const auto stream = std::make_tuple(exporter_ ? *exporter_ : core::IpAddress{}, domain);
        if (rec.sys_init) sys_init_[stream] = *rec.sys_init;
        if (!rec.src || !rec.dst) return;  // an options record

        FlowRecord r;
        if (exporter_) r.set_address(Field::exporter, *exporter_);
        r.set_address(Field::src, *rec.src);
        r.set_address(Field::dst, *rec.dst);
        if (rec.next_hop) r.set_address(Field::next_hop, *rec.next_hop);
        const std::pair<const std::optional<std::uint64_t>*, Field> numeric[] = {
            {&rec.sport, Field::sport},     {&rec.dport, Field::dport},       {&rec.proto, Field::proto},
            {&rec.tos, Field::tos},         {&rec.flags, Field::tcp_flags},   {&rec.packets, Field::packets},
            {&rec.bytes, Field::bytes},     {&rec.in_if, Field::in_if},       {&rec.out_if, Field::out_if},
            {&rec.src_as, Field::src_as},   {&rec.dst_as, Field::dst_as},     {&rec.src_mask, Field::src_mask},
            {&rec.dst_mask, Field::dst_mask}, {&rec.end_reason, Field::end_reason}, {&rec.icmp_type, Field::icmp_type},
            {&rec.icmp_code, Field::icmp_code}, {&rec.sampling, Field::sampling_interval},
        };
        for (const auto& [v, f] : numeric)
            if (*v) r.set_number(f, **v);
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

        auto absolute = [&](const std::optional<std::int64_t>& abs, const std::optional<std::int64_t>& rel,
                            Field f) {
            if (abs) {
                r.set_number(f, static_cast<std::uint64_t>(*abs));
            } else if (rel && h.version != 10 && export_ms && h.uptime_ms) {
                const auto back = static_cast<std::uint32_t>(static_cast<std::uint64_t>(*h.uptime_ms - *rel));
                r.set_number(f, static_cast<std::uint64_t>(*export_ms - back));
            } else if (rel && h.version == 10) {
                const auto it = sys_init_.find(stream);
                if (it != sys_init_.end()) r.set_number(f, static_cast<std::uint64_t>(it->second + *rel));
            }
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

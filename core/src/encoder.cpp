/// @brief Packetizer: NetFlow v5, v9 and IPFIX message building with export truth.
#include "flowlab/core/encoder.hpp"

#include <algorithm>
#include <cstring>
#include <set>

#include "field_codec.hpp"
#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/calendar.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/wire_writer.hpp"

namespace flowlab::core {

using detail::CompiledTemplate;
using detail::PartialRecord;

namespace {

constexpr std::size_t kV9HeaderLength = 20;
constexpr std::size_t kIpfixHeaderLength = 16;
constexpr std::size_t kMaxIpfixMessage = 65535;
constexpr std::uint16_t kV9TemplateSet = 0, kV9OptionsTemplateSet = 1;
constexpr std::uint16_t kIpfixTemplateSet = 2, kIpfixOptionsTemplateSet = 3;

std::size_t template_record_length(const Template& t, Protocol p) {
    std::size_t n = 4 + (t.is_options() ? 2 : 0);
    for (const auto& f : t.fields) n += 4 + ((p == Protocol::ipfix && f.enterprise) ? 4 : 0);
    return n;
}

}  // namespace

OptionsTableFields options_table_fields(const Template& t, OptionsTable table) {
    OptionsTableFields out;
    if (table == OptionsTable::none) return out;
    const bool interfaces = table == OptionsTable::interfaces;
    const char* what = interfaces ? "an interface table" : "a VRF table";
    const char* keys = interfaces ? "ingressInterface (10) or egressInterface (14)" : "ingressVRFID (234) or egressVRFID (235)";
    const char* names = interfaces ? "interfaceName (82) or interfaceDescription (83)" : "VRFname (236)";
    int key_count = 0, name_count = 0;
    for (std::size_t i = t.scope_count; i < t.fields.size(); ++i) {
        const FieldSpec& f = t.fields[i];
        if (f.enterprise) continue;
        const bool key = interfaces ? f.id == 10 || f.id == 14 : f.id == ie::ingressVRFID || f.id == 235;
        const bool name = interfaces ? f.id == 82 || f.id == ie::interfaceDescription : f.id == ie::VRFname;
        if (key) {
            out.key = i;
            ++key_count;
        }
        if (name) {
            out.name = i;
            ++name_count;
        }
    }
    if (key_count != 1) out.problem = std::string(what) + " needs exactly one key field, " + keys + ", after its scope";
    else if (name_count != 1) out.problem = std::string(what) + " needs exactly one name field, " + names + ", after its scope";
    else if (t.fields[out.key].length < 1 || t.fields[out.key].length > 4)
        out.problem = std::string(what) + "'s key field must be 1 to 4 bytes long";
    else if (t.fields[out.name].length == kVariableLength || t.fields[out.name].length == 0)
        out.problem = std::string(what) + "'s name field must have a fixed length (names are NUL-padded to it)";
    return out;
}

std::string options_field_problem(const FieldSpec& f, bool scope, Protocol p, const std::vector<ExtraField>& values) {
    if (const ExtraField* c = find_value(values, f.id, f.enterprise)) {
        if (c->value.size() != f.length)
            return "the value given for element " + std::to_string(f.id) + " has " + std::to_string(c->value.size()) +
                   " bytes, the field " + std::to_string(f.length);
        return {};
    }
    if (p == Protocol::v9 && scope) return {};  // scope types: System is the address, others 0
    if (f.enterprise == 0) {
        switch (f.id) {
            case ie::observationDomainId: case 143: case 144: case ie::samplingInterval: case ie::samplerRandomInterval:
            case ie::samplingAlgorithm: case ie::samplerMode: case ie::selectorAlgorithm: case ie::samplingPacketInterval:
            case ie::samplingPacketSpace: case ie::samplerId: case ie::selectorId: case ie::exportedMessageTotalCount:
            case ie::exportedFlowRecordTotalCount: case 36: case 37: case 214: case 215: case ie::paddingOctets:
                return f.length >= 1 && f.length <= 8 ? std::string() : "element " + std::to_string(f.id) + " cannot be " + std::to_string(f.length) + " bytes long";
            case ie::systemInitTimeMilliseconds:
                return f.length == 8 ? std::string() : "systemInitTimeMilliseconds (160) is 8 bytes";
            case 130: return f.length == 4 ? std::string() : "exporterIPv4Address (130) is 4 bytes";
            case 131: return f.length == 16 ? std::string() : "exporterIPv6Address (131) is 16 bytes";
            default: break;
        }
    }
    return "no value for element " + (f.enterprise ? std::to_string(f.enterprise) + ":" : std::string()) + std::to_string(f.id) +
           " in an options record (give one in \"values\")";
}

struct Packetizer::Impl {
    ExporterConfig config;
    Sink sink;
    std::size_t max_payload = 0;
    std::size_t header_length = 0;
    CompiledTemplate v4, v6, v4_icmp, v6_icmp;
    bool has_v4 = false, has_v6 = false, has_v4_icmp = false, has_v6_icmp = false;
    std::vector<CompiledTemplate> options;  // those sent (only_when_sampling ones only when sampling)
    std::vector<OptionsSpec> option_specs;  // parallel to options: table kind and rows
    std::vector<OptionsTableFields> option_table_fields;  // parallel to options
    detail::OptionsTables names;            // the tables' names, joined into the truth as a decoder does
    bool options_system_init = false;       // an options record carries systemInitTimeMilliseconds
    bool options_sampling = false;          // an options record carries the sampling interval
    bool options_algorithm = false;         // ... and the algorithm

    std::vector<std::uint8_t> buf;
    std::vector<PartialRecord> partial;
    std::size_t partial_used = 0;
    std::vector<FlowRecord> truth;
    bool open = false;
    std::size_t open_set_at = 0;  // offset of the open set's header
    std::uint16_t open_set_id = 0;
    bool set_open = false;  // v9 template flowsets have id 0, so the id alone cannot say
    std::uint32_t v9_count = 0;           // records of every kind in this message (v9 header count)
    std::uint32_t data_records = 0;       // flow + options data records in this message
    std::uint16_t data_set_id = 0;        // template of the flow data set in this message (0: none yet)
    std::int64_t started_ns = 0;

    std::uint32_t sequence = 0;  // v5: flows, v9: messages, IPFIX: data records sent before
    std::uint32_t messages_since_templates = 0;
    std::int64_t last_template_ms = 0;
    bool templates_sent = false;
    PacketizerStats stats;
    FlowRecord scratch;  // a record with the template's constant values added

    bool is_v5() const { return config.protocol == Protocol::v5; }

    void compile(const Template& t, CompiledTemplate& out, bool& has, const char* what) {
        if (t.fields.empty()) return;
        if (t.id < 256)
            throw ConfigError("", "", std::string(what) + " template id " + std::to_string(t.id) +
                                          " is below 256 (ids 0-255 are reserved for sets)");
        // Decoders must accept empty fields, but flowlab sends one only where a real exporter
        // does: Juniper SRX's v9 options scope (System, length 0).
        const bool is_options = std::string_view(what) == "options";
        for (std::size_t i = 0; i < t.fields.size(); ++i)
            if (t.fields[i].length == 0 && !(is_options && i < t.scope_count))
                throw ConfigError("", "", std::string(what) + " template " + std::to_string(t.id) + ": field " +
                                              std::to_string(i + 1) + " (element " + std::to_string(t.fields[i].id) +
                                              ") has length 0");
        std::vector<std::string> problems;
        const std::string err = detail::compile_template(t, config.protocol, true, out, problems);
        if (!err.empty()) throw ConfigError("", "", std::string(what) + " template " + std::to_string(t.id) + ": " + err);
        if (!problems.empty())
            throw ConfigError("", "", std::string(what) + " template " + std::to_string(t.id) + ": " + problems.front());
        if (config.protocol == Protocol::v9 && out.variable)
            throw ConfigError("", "", "NetFlow v9 has no variable-length fields (template " + std::to_string(t.id) + ")");
        has = true;
    }

    std::vector<const CompiledTemplate*> data_templates() const {
        std::vector<const CompiledTemplate*> out;
        if (has_v4) out.push_back(&v4);
        if (has_v6) out.push_back(&v6);
        if (has_v4_icmp) out.push_back(&v4_icmp);
        if (has_v6_icmp) out.push_back(&v6_icmp);
        return out;
    }

    std::size_t templates_length() const {
        std::size_t n = 0;
        const Protocol p = config.protocol;
        if (has_v4 || has_v6) {
            n += 4;
            for (const CompiledTemplate* t : data_templates()) n += template_record_length(t->tmpl, p);
            n = pad(n);
        }
        if (!options.empty()) {
            std::size_t set = 4;
            for (const auto& o : options) set += template_record_length(o.tmpl, p);
            n += pad(set);
            for (std::size_t k = 0; k < options.size(); ++k) {
                const std::size_t rows = table_rows(k);
                if (rows) n += pad(4 + rows * options[k].min_length);
            }
        }
        return n;
    }

    /// Records of options template k: one, or a table's rows.
    std::size_t table_rows(std::size_t k) const {
        return option_specs[k].table == OptionsTable::none ? 1 : option_specs[k].rows.size();
    }

    /// Table rows that fit a message of their own with nothing else in it.
    std::size_t rows_per_message(std::size_t k) const {
        const std::size_t room = max_payload - header_length - 4 - (padding() ? 3 : 0);
        return room / options[k].min_length;
    }

    bool padding() const {
        return config.protocol == Protocol::v9 ? config.pad_sets : config.protocol == Protocol::ipfix && config.pad_ipfix_sets;
    }

    std::size_t pad(std::size_t n) const { return padding() ? (n + 3) & ~std::size_t{3} : n; }

    void reset_message(std::int64_t export_ns) {
        buf.clear();
        buf.resize(header_length, 0);
        partial_used = 0;
        v9_count = 0;
        data_records = 0;
        open_set_id = 0;
        set_open = false;
        data_set_id = 0;
        open = true;
        started_ns = export_ns;
    }

    void start(std::int64_t export_ns) {
        reset_message(export_ns);
        if (is_v5()) return;
        const std::int64_t now_ms = floor_div(export_ns, 1'000'000);
        const bool due = !templates_sent ||
                         (config.template_refresh_packets && messages_since_templates >= config.template_refresh_packets) ||
                         (config.template_refresh_ms && now_ms - last_template_ms >= config.template_refresh_ms);
        if (due) {
            if (config.template_placement == TemplatePlacement::with_data) {
                write_templates();
                ++stats.template_messages;
            } else {
                send_templates_apart(export_ns);
                reset_message(export_ns);
            }
            templates_sent = true;
            messages_since_templates = 0;
            last_template_ms = now_ms;
        }
    }

    /// Template messages without data: one for all (apart) or one per template, per options
    /// template and per options table (each_apart), in the order a with_data message has them.
    void send_templates_apart(std::int64_t export_ns) {
        auto emit = [&](auto&& write) {
            reset_message(export_ns);
            write();
            ++stats.template_messages;
            finish(export_ns);
        };
        if (config.template_placement == TemplatePlacement::apart) {
            emit([&] { write_templates(); });
            return;
        }
        for (const CompiledTemplate* t : data_templates()) emit([&] { write_data_templates({t}); });
        for (const auto& o : options) emit([&] { write_options_templates({&o}); });
        // A table larger than one message goes out in as many as it needs.
        for (std::size_t k = 0; k < options.size(); ++k) {
            const std::size_t rows = table_rows(k), per = rows_per_message(k);
            for (std::size_t first = 0; first < rows; first += per)
                emit([&] { write_options_data(k, first, std::min(per, rows - first)); });
        }
    }

    void write_field_specs(ByteWriter& w, const Template& t) {
        for (const auto& f : t.fields) write_field_specifier(w, f, config.protocol == Protocol::ipfix);
    }

    void close_set(ByteWriter& w) {
        if (!set_open) return;
        const std::size_t padded = pad(buf.size() - open_set_at);
        w.zeros(padded - (buf.size() - open_set_at));
        w.patch_u16(open_set_at + 2, static_cast<std::uint16_t>(buf.size() - open_set_at));
        open_set_id = 0;
        set_open = false;
    }

    void open_set(ByteWriter& w, std::uint16_t id) {
        open_set_at = w.size();
        w.u16(id);
        w.u16(0);
        open_set_id = id;
        set_open = true;
    }

    void write_data_templates(const std::vector<const CompiledTemplate*>& list) {
        if (list.empty()) return;
        ByteWriter w(buf);
        open_set(w, config.protocol == Protocol::v9 ? kV9TemplateSet : kIpfixTemplateSet);
        for (const CompiledTemplate* t : list) {
            w.u16(t->tmpl.id);
            w.u16(static_cast<std::uint16_t>(t->tmpl.fields.size()));
            write_field_specs(w, t->tmpl);
            ++v9_count;
        }
        close_set(w);
    }

    void write_options_templates(const std::vector<const CompiledTemplate*>& list) {
        if (list.empty()) return;
        ByteWriter w(buf);
        const Protocol p = config.protocol;
        open_set(w, p == Protocol::v9 ? kV9OptionsTemplateSet : kIpfixOptionsTemplateSet);
        for (const CompiledTemplate* o : list) {
            const Template& t = o->tmpl;
            w.u16(t.id);
            if (p == Protocol::v9) {
                std::uint16_t scope_bytes = 0, field_bytes = 0;
                for (std::size_t i = 0; i < t.fields.size(); ++i) (i < t.scope_count ? scope_bytes : field_bytes) += 4;
                w.u16(scope_bytes);
                w.u16(field_bytes);
            } else {
                w.u16(static_cast<std::uint16_t>(t.fields.size()));
                w.u16(t.scope_count);
            }
            write_field_specs(w, t);
            ++v9_count;
        }
        close_set(w);
    }

    /// Options data of template k: its one record, or rows [first, first + count) of its table.
    void write_options_data(std::size_t k, std::size_t first, std::size_t count) {
        if (count == 0) return;
        const CompiledTemplate& o = options[k];
        const bool table = option_specs[k].table != OptionsTable::none;
        ByteWriter w(buf);
        open_set(w, o.tmpl.id);
        for (std::size_t i = first; i < first + count; ++i) {
            const std::size_t at = w.grow(o.min_length);
            write_options_record(o.tmpl, w.at(at));
            if (table) write_table_row(k, option_specs[k].rows[i], w.at(at));
            ++v9_count;
            ++data_records;
        }
        close_set(w);
    }

    /// Overwrites a table record's key and name fields with the row's.
    void write_table_row(std::size_t k, const OptionsTableRow& row, std::uint8_t* out) {
        const Template& t = options[k].tmpl;
        const OptionsTableFields& tf = option_table_fields[k];
        std::size_t pos = 0;
        for (std::size_t i = 0; i < t.fields.size(); ++i) {
            const std::size_t len = t.fields[i].length;
            if (i == tf.key) store_be_n(out + pos, row.index, len);
            if (i == tf.name) {
                std::memset(out + pos, 0, len);
                std::memcpy(out + pos, row.name.data(), row.name.size());
            }
            pos += len;
        }
    }

    void write_templates() {
        if (has_v4 || has_v6) write_data_templates(data_templates());
        if (!options.empty()) {
            std::vector<const CompiledTemplate*> list;
            for (const auto& o : options) list.push_back(&o);
            write_options_templates(list);
            for (std::size_t k = 0; k < options.size(); ++k) write_options_data(k, 0, table_rows(k));
        }
    }

    /// The one data record of an options template (values as OptionsSpec documents).
    void write_options_record(const Template& t, std::uint8_t* out) {
        const Protocol p = config.protocol;
        const std::uint64_t n = config.sampling_interval > 1 ? config.sampling_interval : 1;
        const bool has_space = t.contains(ie::samplingPacketSpace);
        std::size_t pos = 0;
        for (std::size_t i = 0; i < t.fields.size(); ++i) {
            const FieldSpec& f = t.fields[i];
            const bool scope = i < t.scope_count;
            std::uint64_t v = 0;
            bool bytes_done = false;
            if (const ExtraField* c = find_value(t.values, f.id, f.enterprise); c && c->value.size() == f.length) {
                if (f.length) std::memcpy(out + pos, c->value.data(), f.length);
                bytes_done = true;
            } else if (p == Protocol::v9 && scope) {
                v = f.id == 1 ? config.address.v4_value() : 0;  // System: the exporter's address
            } else if (f.enterprise == 0) {
                switch (f.id) {
                    case ie::observationDomainId:
                    case 143:  // meteringProcessId
                    case 144:  // exportingProcessId
                        v = config.domain;
                        break;
                    case ie::samplingInterval:
                    case ie::samplerRandomInterval: v = n; break;
                    case ie::samplingAlgorithm:
                    case ie::samplerMode: v = config.sampling_algorithm; break;
                    case ie::selectorAlgorithm: v = detail::psamp_algorithm_from_v9(config.sampling_algorithm); break;
                    case ie::samplingPacketInterval: v = has_space ? 1 : n; break;
                    case ie::samplingPacketSpace: v = n - 1; break;
                    case ie::samplerId:
                    case ie::selectorId: v = 1; break;
                    case ie::systemInitTimeMilliseconds: v = static_cast<std::uint64_t>(config.boot_ms); break;
                    case ie::exportedMessageTotalCount: v = stats.messages; break;
                    case ie::exportedFlowRecordTotalCount: v = stats.records; break;
                    case 36: v = config.active_timeout_s; break;  // flowActiveTimeout
                    case 37: v = config.idle_timeout_s; break;    // flowIdleTimeout
                    case 214: v = static_cast<std::uint8_t>(p); break;  // exportProtocolVersion
                    case 215: v = 17; break;                           // exportTransportProtocol: UDP
                    case 130:  // exporterIPv4Address
                    case 131:  // exporterIPv6Address
                        std::memset(out + pos, 0, f.length);
                        if ((f.id == 130) == config.address.is_v4() && f.length == (f.id == 130 ? 4u : 16u))
                            std::memcpy(out + pos, config.address.bytes().data(), f.length);
                        bytes_done = true;
                        break;
                    default: break;
                }
            }
            if (!bytes_done) store_be_n(out + pos, std::min<std::uint64_t>(v, f.length >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * f.length)) - 1), f.length);
            pos += f.length;
        }
    }

    void finish(std::int64_t export_ns) {
        if (!open) return;
        ByteWriter w(buf);
        close_set(w);
        const std::int64_t secs = floor_div(export_ns, 1'000'000'000);
        const auto nsecs = static_cast<std::uint32_t>(export_ns - secs * 1'000'000'000);
        detail::MessageContext ctx;
        ctx.protocol = config.protocol;
        ctx.exporter = config.address;
        ctx.domain = config.domain;
        ctx.sequence = sequence;
        ctx.has_boot = true;
        ctx.boot_ms = config.boot_ms;
        std::uint8_t* h = buf.data();
        const std::int64_t unix_ms = secs * 1000;
        switch (config.protocol) {
            case Protocol::v5: {
                const std::int64_t now_ms = unix_ms + nsecs / 1'000'000;
                store_be16(h + 0, 5);
                store_be16(h + 2, static_cast<std::uint16_t>(partial_used));
                store_be32(h + 4, static_cast<std::uint32_t>(now_ms - config.boot_ms));
                store_be32(h + 8, static_cast<std::uint32_t>(secs));
                store_be32(h + 12, nsecs);
                store_be32(h + 16, sequence);
                store_be16(h + 20, static_cast<std::uint16_t>(config.domain));  // engine type, engine id
                std::uint16_t sampling = 0;
                if (config.sampling_interval > 1)
                    sampling = static_cast<std::uint16_t>(((config.sampling_algorithm & 3u) << 14) |
                                                          std::min<std::uint32_t>(config.sampling_interval, 0x3FFF));
                store_be16(h + 22, sampling);
                ctx.export_ms = now_ms;
                if (sampling & 0x3FFF) {
                    ctx.has_session_sampling = true;
                    ctx.session_sampling = sampling & 0x3FFFu;
                }
                sequence += static_cast<std::uint32_t>(partial_used);
                break;
            }
            case Protocol::v9: {
                // The header has whole seconds only. unix_secs is the export time rounded *up*
                // and sysUptime = unix_secs*1000 - boot: every decoder then reconstructs record
                // times to the millisecond (unix_secs*1000 - sysUptime is exactly the boot), and
                // no record's LAST_SWITCHED exceeds sysUptime, which collectors that subtract
                // in 32 bits (pmacct) rely on. The header may read up to 999 ms ahead.
                const std::int64_t up_secs = nsecs ? secs + 1 : secs;
                const std::uint32_t count = config.v9_count == V9Count::records        ? v9_count
                                            : config.v9_count == V9Count::data_records ? static_cast<std::uint32_t>(partial_used)
                                                                                       : 1u;
                switch (config.sequence) {
                    case SequenceHabit::rfc: ctx.sequence = sequence++; break;
                    case SequenceHabit::packets_from_1: ctx.sequence = ++sequence; break;
                    case SequenceHabit::records_including: ctx.sequence = sequence += static_cast<std::uint32_t>(partial_used); break;
                }
                store_be16(h + 0, 9);
                store_be16(h + 2, static_cast<std::uint16_t>(count));
                store_be32(h + 4, static_cast<std::uint32_t>(up_secs * 1000 - config.boot_ms));
                store_be32(h + 8, static_cast<std::uint32_t>(up_secs));
                store_be32(h + 12, ctx.sequence);
                store_be32(h + 16, config.domain);
                ctx.export_ms = up_secs * 1000;
                break;
            }
            case Protocol::ipfix:
                if (config.sequence == SequenceHabit::records_including) {
                    sequence += static_cast<std::uint32_t>(partial_used);
                    ctx.sequence = sequence;
                } else {
                    ctx.sequence = sequence;
                    sequence += data_records;
                }
                store_be16(h + 0, 10);
                store_be16(h + 2, static_cast<std::uint16_t>(buf.size()));
                store_be32(h + 4, static_cast<std::uint32_t>(secs));
                store_be32(h + 8, ctx.sequence);
                store_be32(h + 12, config.domain);
                ctx.export_ms = unix_ms;
                break;
        }
        // An options record announcing the interval is sent with the templates, so it is in
        // force for every record (1-in-1 when the exporter does not sample).
        if (options_sampling && !is_v5()) {
            ctx.has_session_sampling = true;
            ctx.session_sampling = std::max<std::uint32_t>(config.sampling_interval, 1);
            // The options record carries the algorithm (35, 49 or 304), which the decoder reports.
            if (options_algorithm)
                ctx.session_sampling_algorithm = detail::psamp_algorithm_from_v9(config.sampling_algorithm);
        }
        if (options_system_init && config.protocol == Protocol::ipfix) {
            ctx.has_session_system_init = true;
            ctx.session_system_init_ms = config.boot_ms;
        }
        truth.clear();
        for (std::size_t i = 0; i < partial_used; ++i) {
            PartialRecord& pr = partial[i];
            detail::finish_record(pr, pr.rec.template_id, ctx);
            // The tables went out with the templates, before any data record that follows.
            detail::join_names(names, pr.rec);
            truth.push_back(pr.rec);
        }
        ++stats.messages;
        stats.records += partial_used;
        ++messages_since_templates;
        open = false;
        EncodedMessage m{std::span<const std::uint8_t>(buf), export_ns, std::span<const FlowRecord>(truth)};
        sink(m);
    }

    PartialRecord& next_partial() {
        if (partial_used == partial.size()) partial.emplace_back();
        PartialRecord& p = partial[partial_used++];
        p.reset();
        return p;
    }

    bool add(const FlowRecord& r, std::int64_t export_ns) {
        const bool v6_record = r.src.is_v6() || r.dst.is_v6();
        if (is_v5()) {
            if (v6_record) {
                ++stats.rejected;
                return false;
            }
            if (open && (partial_used == detail::kV5MaxRecords ||
                         buf.size() + detail::kV5RecordLength > max_payload))
                finish(export_ns);
            if (!open) start(export_ns);
            const std::size_t at = buf.size();
            buf.resize(at + detail::kV5RecordLength);
            detail::write_v5_record(r, config.boot_ms, buf.data() + at, stats.clamped);
            detail::read_v5_record(buf.data() + at, next_partial());
            return true;
        }
        const bool icmp = r.proto == (v6_record ? 58 : 1) && (v6_record ? has_v6_icmp : has_v4_icmp);
        const CompiledTemplate& t = icmp ? (v6_record ? v6_icmp : v4_icmp) : (v6_record ? v6 : v4);
        if (!(v6_record ? has_v6 : has_v4)) {
            ++stats.rejected;
            return false;
        }
        // Constant values travel as the record's extra fields, which write_record copies.
        const FlowRecord* rp = &r;
        if (!t.tmpl.values.empty()) {
            scratch = r;
            for (const auto& v : t.tmpl.values)
                if (!find_value(scratch.extra, v.id, v.enterprise)) scratch.extra.push_back(v);
            rp = &scratch;
        }
        const std::size_t size = detail::record_size(t, *rp);
        auto needed = [&] {
            const bool new_set = !set_open || open_set_id != t.tmpl.id;
            std::size_t n = size + (new_set ? 4 : 0);
            if (padding()) n += 3 + (new_set ? 3 : 0);
            return n;
        };
        if (open && ((config.one_data_set && data_set_id != 0 && data_set_id != t.tmpl.id) || buf.size() + needed() > max_payload))
            finish(export_ns);
        if (!open) start(export_ns);
        if (buf.size() + needed() > max_payload) {
            // A record that does not fit even an empty message (huge variable-length fields).
            ++stats.rejected;
            return false;
        }
        ByteWriter w(buf);
        if (!set_open || open_set_id != t.tmpl.id) {
            close_set(w);
            open_set(w, t.tmpl.id);
            data_set_id = t.tmpl.id;
        }
        const std::size_t at = w.grow(size);
        // The truth is what a decoder reads: read back from the bytes, or given by write_record
        // directly where the template allows it (the same values, at a fraction of the cost).
        PartialRecord& pr = next_partial();
        const std::size_t written =
            t.direct_truth
                ? detail::write_record(t, *rp, config.boot_ms, config.sampling_interval, w.at(at), stats.clamped, pr)
                : detail::write_record(t, *rp, config.boot_ms, config.sampling_interval, w.at(at), stats.clamped);
        if (written != size) {
            buf.resize(at);
            --partial_used;
            ++stats.rejected;
            return false;
        }
        if (!t.direct_truth) detail::read_record(t, buf.data() + at, size, pr);
        pr.rec.template_id = t.tmpl.id;
        ++v9_count;
        ++data_records;
        return true;
    }
};

Packetizer::Packetizer(ExporterConfig config, Sink sink) : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.config = std::move(config);
    m.sink = std::move(sink);
    const Protocol p = m.config.protocol;
    m.max_payload = std::min(m.config.max_payload, kMaxIpfixMessage);
    const bool habits = m.config.template_placement != TemplatePlacement::with_data || m.config.one_data_set ||
                        m.config.v9_count != V9Count::records || m.config.sequence != SequenceHabit::rfc;
    if (p == Protocol::v5 && habits) throw ConfigError("", "", "NetFlow v5 has no template placement, sets or v9 count to choose");
    if (p != Protocol::v9 && m.config.v9_count != V9Count::records)
        throw ConfigError("", "", "the header count habit is for NetFlow v9 (IPFIX has a length there)");
    if (p == Protocol::ipfix && m.config.sequence == SequenceHabit::packets_from_1)
        throw ConfigError("", "", "an IPFIX sequence number counts data records, not messages");
    switch (p) {
        case Protocol::v5:
            m.header_length = detail::kV5HeaderLength;
            if (m.max_payload < detail::kV5HeaderLength + detail::kV5RecordLength)
                throw ConfigError("", "", "max payload " + std::to_string(m.max_payload) +
                                              " bytes cannot hold a NetFlow v5 header and one record (72 bytes)");
            if (m.config.domain > 0xFFFF)
                throw ConfigError("", "", "NetFlow v5 engine type/id must fit 16 bits, got " + std::to_string(m.config.domain));
            break;
        case Protocol::v9:
        case Protocol::ipfix:
            m.header_length = p == Protocol::v9 ? kV9HeaderLength : kIpfixHeaderLength;
            m.compile(m.config.template_v4, m.v4, m.has_v4, "IPv4");
            m.compile(m.config.template_v6, m.v6, m.has_v6, "IPv6");
            m.compile(m.config.template_v4_icmp, m.v4_icmp, m.has_v4_icmp, "ICMP");
            m.compile(m.config.template_v6_icmp, m.v6_icmp, m.has_v6_icmp, "ICMPv6");
            if (m.has_v4_icmp && !m.has_v4) throw ConfigError("", "", "an ICMP template needs an IPv4 template");
            if (m.has_v6_icmp && !m.has_v6) throw ConfigError("", "", "an ICMPv6 template needs an IPv6 template");
            std::vector<OptionsSpec> specs = m.config.options;
            if (specs.empty() && m.config.sampling_interval > 1)
                specs.push_back({sampling_options_template(p, m.config.options_template_id), true});
            std::set<std::uint16_t> ids;
            for (const CompiledTemplate* t : m.data_templates())
                if (!ids.insert(t->tmpl.id).second)
                    throw ConfigError("", "", "two data templates share id " + std::to_string(t->tmpl.id));
            for (const auto& spec : specs) {
                if (spec.only_when_sampling && m.config.sampling_interval <= 1) continue;
                const Template& t = spec.tmpl;
                if (!t.is_options()) throw ConfigError("", "", "options template " + std::to_string(t.id) + " has no scope field");
                if (!ids.insert(t.id).second)
                    throw ConfigError("", "", "options template id " + std::to_string(t.id) + " is used by another template");
                const OptionsTableFields tf = options_table_fields(t, spec.table);
                if (!tf.problem.empty()) throw ConfigError("", "", "options template " + std::to_string(t.id) + ": " + tf.problem);
                for (std::size_t i = 0; i < t.fields.size(); ++i) {
                    if (t.fields[i].length == kVariableLength)
                        throw ConfigError("", "", "options template " + std::to_string(t.id) + ": variable-length fields are not supported in options");
                    if (spec.table != OptionsTable::none && (i == tf.key || i == tf.name)) continue;
                    if (const std::string why = options_field_problem(t.fields[i], i < t.scope_count, p, t.values); !why.empty())
                        throw ConfigError("", "", "options template " + std::to_string(t.id) + ": " + why);
                }
                std::set<std::uint32_t> indexes;
                for (const OptionsTableRow& row : spec.rows) {
                    if (spec.table == OptionsTable::none) break;
                    const std::size_t key_len = t.fields[tf.key].length;
                    if (key_len < 4 && row.index >> (8 * key_len))
                        throw ConfigError("", "", "options template " + std::to_string(t.id) + ": index " + std::to_string(row.index) +
                                                      " does not fit the " + std::to_string(key_len) + "-byte key field");
                    if (row.name.size() > t.fields[tf.name].length)
                        throw ConfigError("", "", "options template " + std::to_string(t.id) + ": name \"" + row.name + "\" is longer than the " +
                                                      std::to_string(t.fields[tf.name].length) + "-byte name field");
                    if (!indexes.insert(row.index).second)
                        throw ConfigError("", "", "options template " + std::to_string(t.id) + ": index " + std::to_string(row.index) + " listed twice");
                }
                CompiledTemplate c;
                bool has = false;
                m.compile(t, c, has, "options");
                m.options.push_back(std::move(c));
                m.option_specs.push_back(spec);
                m.option_table_fields.push_back(tf);
                if (m.options.back().min_length + m.header_length + 4 + 3 > m.max_payload)
                    throw ConfigError("", "", "options template " + std::to_string(t.id) + ": one record does not fit the payload");
                for (const OptionsTableRow& row : spec.rows) {
                    if (spec.table == OptionsTable::none) break;
                    auto& map = spec.table == OptionsTable::interfaces ? m.names.interfaces : m.names.vrfs;
                    // As the decoder reads the name back: up to the first NUL, interned.
                    map[row.index] = intern_name(std::string_view(row.name).substr(0, row.name.find('\0')));
                }
                for (const auto& f : t.fields) {
                    if (f.enterprise) continue;
                    if (f.id == ie::systemInitTimeMilliseconds) m.options_system_init = true;
                    if (f.id == ie::samplingInterval || f.id == ie::samplerRandomInterval || f.id == ie::samplingPacketInterval)
                        m.options_sampling = true;
                    if (f.id == ie::samplingAlgorithm || f.id == ie::samplerMode || f.id == ie::selectorAlgorithm)
                        m.options_algorithm = true;
                }
            }
            if (!m.has_v4 && !m.has_v6) throw ConfigError("", "", "exporter has no data template");
            {
                std::size_t largest = 0;
                for (const CompiledTemplate* t : m.data_templates()) largest = std::max(largest, t->min_length);
                std::size_t need = m.config.template_placement == TemplatePlacement::with_data
                                       ? m.header_length + m.templates_length() + 4 + largest + 3
                                       : m.header_length + std::max(m.templates_length(), 4 + largest + 3);
                if (m.config.template_placement == TemplatePlacement::each_apart) {
                    // Every template alone, and tables split over as many messages as they need.
                    std::size_t one = 4 + largest + 3;
                    for (const CompiledTemplate* t : m.data_templates()) one = std::max(one, m.pad(4 + template_record_length(t->tmpl, p)));
                    for (const auto& o : m.options) one = std::max(one, m.pad(4 + template_record_length(o.tmpl, p)));
                    need = m.header_length + one;
                }
                if (need > m.max_payload)
                    throw ConfigError("", "", "templates plus one record need " + std::to_string(need) +
                                                  " bytes, more than the " + std::to_string(m.max_payload) +
                                                  "-byte payload the MTU allows");
            }
            break;
    }
    m.buf.reserve(m.max_payload + 64);
}

Packetizer::~Packetizer() = default;
Packetizer::Packetizer(Packetizer&&) noexcept = default;
Packetizer& Packetizer::operator=(Packetizer&&) noexcept = default;

bool Packetizer::add(const FlowRecord& r, std::int64_t export_ns) { return impl_->add(r, export_ns); }
void Packetizer::flush(std::int64_t export_ns) { impl_->finish(export_ns); }
bool Packetizer::pending() const noexcept { return impl_->open && impl_->partial_used > 0; }
const PacketizerStats& Packetizer::stats() const noexcept { return impl_->stats; }
const ExporterConfig& Packetizer::config() const noexcept { return impl_->config; }

void Packetizer::withdraw_template(std::uint16_t id, std::int64_t export_ns) {
    Impl& m = *impl_;
    if (m.config.protocol != Protocol::ipfix)
        throw UsageError("template withdrawal exists only in IPFIX (RFC 7011 8.1)");
    m.finish(export_ns);
    m.reset_message(export_ns);
    ByteWriter w(m.buf);
    bool options = false;
    for (const auto& o : m.options) options = options || o.tmpl.id == id;
    m.open_set(w, options ? kIpfixOptionsTemplateSet : kIpfixTemplateSet);
    w.u16(id);
    w.u16(0);
    m.close_set(w);
    m.finish(export_ns);
    // A withdrawn template must be announced again before its next data record.
    m.templates_sent = false;
}

}  // namespace flowlab::core

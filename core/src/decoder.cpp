/// @brief NetFlow v5, v9 and IPFIX decoding with per-session template caches.
#include "flowlab/core/decoder.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

#include "field_codec.hpp"
#include "flowlab/core/byte_io.hpp"

namespace flowlab::core {

using detail::CompiledTemplate;
using detail::MessageContext;
using detail::PartialRecord;

std::string_view decode_error_name(DecodeErrorKind k) noexcept {
    switch (k) {
        case DecodeErrorKind::unknown_version: return "unknown_version";
        case DecodeErrorKind::truncated_header: return "truncated_header";
        case DecodeErrorKind::v5_count: return "v5_count";
        case DecodeErrorKind::message_length: return "message_length";
        case DecodeErrorKind::set_length: return "set_length";
        case DecodeErrorKind::bad_template: return "bad_template";
        case DecodeErrorKind::short_set: return "short_set";
        case DecodeErrorKind::bad_varlen: return "bad_varlen";
        case DecodeErrorKind::field_length: return "field_length";
        case DecodeErrorKind::count_mismatch: return "count_mismatch";
        case DecodeErrorKind::trailing_bytes: return "trailing_bytes";
    }
    return "?";
}

std::uint64_t DecodeStats::error_total() const noexcept {
    std::uint64_t n = 0;
    for (auto e : errors) n += e;
    return n;
}

namespace {

constexpr std::size_t kV9Header = 20;
constexpr std::size_t kIpfixHeader = 16;

struct SessionKey {
    IpAddress exporter;
    std::uint16_t port;
    std::uint8_t version;
    std::uint32_t domain;
    friend bool operator==(const SessionKey&, const SessionKey&) = default;
};

struct SessionKeyHash {
    std::size_t operator()(const SessionKey& k) const noexcept {
        return k.exporter.hash() ^ (std::size_t{k.port} << 1) ^ (std::size_t{k.version} << 17) ^
               (std::size_t{k.domain} * 0x9E3779B97F4A7C15ull);
    }
};

/// A compiled template and the layout record views point at.
struct TemplateEntry {
    CompiledTemplate compiled;
    ElementLayout layout;
};

/// Per template of a session: how its records' sampling was resolved.
struct SamplingCounts {
    std::uint64_t none = 0, unknown_id = 0, resolved = 0;
};

/// One transport session + observation domain (RFC 7011 8, RFC 3954 5.1).
struct Session {
    std::unordered_map<std::uint16_t, std::shared_ptr<const TemplateEntry>> templates;
    bool seq_known = false;
    std::uint32_t next_seq = 0;
    std::int64_t system_init_ms = 0;
    bool has_system_init = false;
    detail::OptionsTables tables;
    /// Exporter statistics from options data (element id -> latest value), for the summary.
    std::map<std::pair<std::uint32_t, std::uint16_t>, std::uint64_t> statistics;
    std::map<std::uint16_t, SamplingCounts> sampling;
    /// The entry of `sampling` the last record counted into: a data set's records share their
    /// template, so most records skip the map lookup (std::map nodes stay where they are).
    SamplingCounts* last_sampling = nullptr;
    std::uint16_t last_sampling_template = 0;
};

bool all_zero(const std::uint8_t* p, std::size_t n) {
    return std::all_of(p, p + n, [](std::uint8_t b) { return b == 0; });
}

}  // namespace

struct Decoder::Impl {
    DecoderOptions options;
    DecodeStats stats;
    std::vector<DecodeError> errors;
    std::unordered_map<SessionKey, Session, SessionKeyHash> sessions;
    PartialRecord scratch;
    std::vector<FieldLocation> locations;
    std::vector<std::string> problems;
    /// Templates replaced during the current decode(): record views may still point at them.
    std::vector<std::shared_ptr<const TemplateEntry>> retired;
    std::vector<RecordView>* views = nullptr;
    std::function<void(const OptionsRecordView&)> options_sink;
    const Registry& registry() const { return options.registry ? *options.registry : Registry::standard(); }

    // Per-datagram state
    std::uint64_t packet = 0;
    bool stream = false;  // the message came over TCP/SCTP or from a file, not in a UDP datagram
    const std::uint8_t* base = nullptr;

    void error(DecodeErrorKind kind, std::size_t offset, std::string message) {
        ++stats.errors[static_cast<std::size_t>(kind)];
        if (errors.size() < options.max_error_messages) errors.push_back({kind, packet, offset, std::move(message)});
    }
    std::size_t off(const std::uint8_t* p) const { return static_cast<std::size_t>(p - base); }

    Session& session(const IpAddress& a, std::uint16_t port, std::uint8_t version, std::uint32_t domain) {
        return sessions[SessionKey{a, port, version, domain}];
    }

    void count_sampling_stats(detail::SamplingSource source) {
        switch (source) {
            case detail::SamplingSource::none: ++stats.sampling_none; break;
            case detail::SamplingSource::record: ++stats.sampling_from_record; break;
            case detail::SamplingSource::named: ++stats.sampling_from_named; break;
            case detail::SamplingSource::only: ++stats.sampling_from_only; break;
            case detail::SamplingSource::header: ++stats.sampling_from_header; break;
            case detail::SamplingSource::unknown_id: ++stats.sampling_unknown_id; break;
        }
    }
    void count_sampling(Session& s, std::uint16_t template_id, detail::SamplingSource source) {
        count_sampling_stats(source);
        if (source == detail::SamplingSource::none || source == detail::SamplingSource::unknown_id) {
            if (!s.last_sampling || s.last_sampling_template != template_id) {
                s.last_sampling = &s.sampling[template_id];
                s.last_sampling_template = template_id;
            }
            SamplingCounts& c = *s.last_sampling;
            if (source == detail::SamplingSource::none) ++c.none;
            else ++c.unknown_id;
        }
    }

    void check_sequence(Session& s, std::uint32_t seq, std::uint32_t units, bool units_known) {
        if (s.seq_known && seq != s.next_seq) {
            const std::uint32_t diff = seq - s.next_seq;
            if (diff < 0x80000000u) {
                ++stats.sequence_gaps;
                stats.sequence_missing += diff;
            } else {
                ++stats.sequence_backwards;
            }
        }
        s.next_seq = seq + units;
        s.seq_known = units_known;
    }

    /// Handler interface used by walk(): Produce (decode) or Visit (field locations).
    struct Produce {
        Impl& d;
        std::vector<FlowRecord>& out;
        std::size_t produced = 0;
        void header(Protocol, std::uint8_t*, std::size_t) {}
        std::size_t flow_record(const TemplateEntry& e, const std::uint8_t* p, std::size_t avail, std::size_t,
                                const MessageContext& ctx, Session& s) {
            const CompiledTemplate& t = e.compiled;
            PartialRecord& pr = d.scratch;
            pr.reset();
            const std::size_t used = detail::read_record(t, p, avail, pr);
            if (!used) return 0;
            detail::SamplingSource source = detail::SamplingSource::none;
            if (!detail::finish_record(pr, t.tmpl.id, ctx, &source)) ++d.stats.unresolved_times;
            d.count_sampling(s, t.tmpl.id, source);
            out.push_back(pr.rec);
            if (d.views) d.views->push_back(RecordView{&e.layout, std::span<const std::uint8_t>(p, used)});
            ++produced;
            return used;
        }
        void options_record(const TemplateEntry&, const std::uint8_t*, std::size_t, std::size_t) {}
        void v5_record(const std::uint8_t* p, const MessageContext& ctx) {
            PartialRecord& pr = d.scratch;
            pr.reset();
            detail::read_v5_record(p, pr);
            detail::SamplingSource source = detail::SamplingSource::none;
            detail::finish_record(pr, 0, ctx, &source);
            d.count_sampling_stats(source);
            out.push_back(pr.rec);
            if (d.views) d.views->push_back(RecordView{});
            ++produced;
        }
    };

    struct Visit {
        Impl& d;
        DecodeVisitor& v;
        void header(Protocol p, std::uint8_t* h, std::size_t n) { v.on_header(p, std::span<std::uint8_t>(h, n)); }
        std::size_t flow_record(const TemplateEntry& e, const std::uint8_t* p, std::size_t avail, std::size_t at,
                                const MessageContext&, Session&) {
            const CompiledTemplate& t = e.compiled;
            const std::size_t used = d.locate(t, p, avail, at);
            if (used) v.on_data_record(t.tmpl, d.locations);
            return used;
        }
        void options_record(const TemplateEntry& e, const std::uint8_t* p, std::size_t avail, std::size_t at) {
            if (d.locate(e.compiled, p, avail, at)) v.on_data_record(e.compiled.tmpl, d.locations);
        }
        void v5_record(const std::uint8_t*, const MessageContext&) {}
    };

    /// Field locations of one record; returns its length or 0 if it does not fit.
    std::size_t locate(const CompiledTemplate& t, const std::uint8_t* p, std::size_t avail, std::size_t at) {
        locations.clear();
        std::size_t pos = 0;
        const std::span<const std::uint8_t> record(p, avail);
        for (std::size_t i = 0; i < t.ops.size(); ++i) {
            std::size_t len = t.ops[i].length;
            if (!read_field_extent(record, t.ops[i].variable, pos, len)) return 0;
            locations.push_back(FieldLocation{&t.tmpl.fields[i], at + pos, len});
            pos += len;
        }
        return pos;
    }

    template <class H>
    void walk(std::uint8_t* data, std::size_t len, const IpAddress& exporter, std::uint16_t port, H& h) {
        ++stats.packets;
        base = data;
        if (len < 2) {
            error(DecodeErrorKind::truncated_header, 0, "datagram of " + std::to_string(len) + " bytes has no version field");
            return;
        }
        const std::uint16_t version = load_be16(data);
        switch (version) {
            case 5: walk_v5(data, len, exporter, port, h); break;
            case 9: walk_v9(data, len, exporter, port, h); break;
            case 10: walk_ipfix(data, len, exporter, port, h); break;
            default:
                error(DecodeErrorKind::unknown_version, 0,
                      "version " + std::to_string(version) + " is not NetFlow v5, v9 or IPFIX (10)");
        }
    }

    template <class H>
    void walk_v5(std::uint8_t* data, std::size_t len, const IpAddress& exporter, std::uint16_t port, H& h) {
        if (len < detail::kV5HeaderLength) {
            error(DecodeErrorKind::truncated_header, 0,
                  "NetFlow v5 header needs 24 bytes, datagram has " + std::to_string(len));
            return;
        }
        const std::uint16_t count = load_be16(data + 2);
        const std::size_t needed = detail::kV5HeaderLength + detail::kV5RecordLength * count;
        if (count == 0 || count > detail::kV5MaxRecords || needed > len) {
            error(DecodeErrorKind::v5_count, 2,
                  "NetFlow v5 count " + std::to_string(count) + " needs " + std::to_string(needed) +
                      " bytes (1-30 records of 48), datagram has " + std::to_string(len) + "; packet rejected");
            return;
        }
        ++stats.messages[0];
        const std::uint32_t uptime = load_be32(data + 4);
        const std::uint32_t secs = load_be32(data + 8);
        const std::uint32_t nsecs = load_be32(data + 12);
        const std::uint32_t seq = load_be32(data + 16);
        const std::uint32_t domain = load_be16(data + 20);  // engine type, engine id
        const std::uint16_t sampling = load_be16(data + 22);
        h.header(Protocol::v5, data, detail::kV5HeaderLength);
        MessageContext ctx;
        ctx.protocol = Protocol::v5;
        ctx.exporter = exporter;
        ctx.domain = domain;
        ctx.sequence = seq;
        ctx.export_ms = std::int64_t{secs} * 1000 + nsecs / 1'000'000;
        ctx.boot_ms = ctx.export_ms - uptime;
        ctx.has_boot = true;
        if (sampling & 0x3FFF) {
            ctx.has_session_sampling = true;
            ctx.session_sampling = sampling & 0x3FFFu;
        }
        for (std::size_t i = 0; i < count; ++i)
            h.v5_record(data + detail::kV5HeaderLength + i * detail::kV5RecordLength, ctx);
        if (needed < len)
            error(DecodeErrorKind::trailing_bytes, needed,
                  std::to_string(len - needed) + " bytes after the last of " + std::to_string(count) + " v5 records");
        check_sequence(session(exporter, port, 5, domain), seq, count, true);
    }

    /// Parses a v9 (set id 0/1) or IPFIX (2/3) template set body; installs templates in `s`.
    void template_set(Session& s, Protocol proto, std::uint16_t set_id, const std::uint8_t* body, std::size_t n) {
        const bool ipfix = proto == Protocol::ipfix;
        const bool is_options = set_id == 1 || set_id == 3;
        ByteReader r(std::span<const std::uint8_t>(body, n), off(body));
        while (r.remaining() >= 4) {
            if (all_zero(r.cursor(), r.remaining())) return;  // padding
            const std::size_t rec_at = r.offset();
            std::uint16_t tid = 0, count = 0;
            r.read_u16(tid);
            r.read_u16(count);
            const std::string what = std::string(is_options ? "options template " : "template ") + std::to_string(tid);
            if (ipfix && count == 0) {
                // Template withdrawal (RFC 7011 8.1); id == set id withdraws all of that kind.
                ++stats.template_withdrawals;
                if (!stream) {
                    // RFC 7011 8.4: withdrawals MUST NOT be sent over UDP, and a Collecting
                    // Process MUST ignore them there: the template stays in use.
                    ++stats.withdrawals_ignored;
                    continue;
                }
                if (tid == set_id) {
                    std::erase_if(s.templates, [&](const auto& kv) {
                        if (kv.second->compiled.options != is_options) return false;
                        retired.push_back(kv.second);
                        return true;
                    });
                } else if (tid >= 256) {
                    if (auto it = s.templates.find(tid); it != s.templates.end()) {
                        retired.push_back(it->second);
                        s.templates.erase(it);
                    }
                } else {
                    error(DecodeErrorKind::bad_template, rec_at, "withdrawal of reserved template id " + std::to_string(tid));
                }
                continue;
            }
            if (tid < 256) {
                error(DecodeErrorKind::bad_template, rec_at, what + ": ids below 256 are reserved; rest of set skipped");
                return;
            }
            Template t;
            t.id = tid;
            std::size_t field_count = count;
            if (is_options) {
                std::uint16_t third = 0;
                if (!r.read_u16(third)) {
                    error(DecodeErrorKind::bad_template, rec_at, what + ": truncated options template header");
                    return;
                }
                if (ipfix) {
                    // IPFIX: field count, scope field count.
                    if (third == 0 || third > count) {
                        error(DecodeErrorKind::bad_template, rec_at,
                              what + ": scope field count " + std::to_string(third) + " must be 1.." + std::to_string(count) +
                                  "; rest of set skipped");
                        return;
                    }
                    t.scope_count = third;
                } else {
                    // v9: scope length and option length in bytes (4 per field).
                    const std::uint16_t scope_len = count, option_len = third;
                    if (scope_len % 4 || option_len % 4 || scope_len == 0) {
                        error(DecodeErrorKind::bad_template, rec_at,
                              what + ": scope length " + std::to_string(scope_len) + " and option length " +
                                  std::to_string(option_len) +
                                  " must be multiples of 4 with at least one scope field; rest of set skipped");
                        return;
                    }
                    t.scope_count = static_cast<std::uint16_t>(scope_len / 4);
                    field_count = (scope_len + option_len) / 4u;
                }
            } else if (count == 0) {
                error(DecodeErrorKind::bad_template, rec_at, what + " has no fields; rest of set skipped");
                return;
            }
            t.fields.reserve(field_count);
            for (std::size_t i = 0; i < field_count; ++i) {
                FieldSpec f;
                std::uint16_t id = 0;
                if (!r.read_u16(id) || !r.read_u16(f.length)) {
                    error(DecodeErrorKind::bad_template, rec_at,
                          what + " declares " + std::to_string(field_count) + " fields but the set ends after " +
                              std::to_string(i));
                    return;
                }
                if (ipfix && (id & 0x8000)) {
                    if (!r.read_u32(f.enterprise)) {
                        error(DecodeErrorKind::bad_template, rec_at, what + ": enterprise number cut off by the set end");
                        return;
                    }
                    id &= 0x7FFF;
                }
                f.id = id;
                t.fields.push_back(f);
            }
            auto entry = std::make_shared<TemplateEntry>();
            CompiledTemplate& ct = entry->compiled;
            problems.clear();
            const std::string err = detail::compile_template(t, proto, options.keep_extra, ct, problems, registry());
            if (!err.empty()) {
                // The record's extent is known, so the next template record can still be read.
                error(DecodeErrorKind::bad_template, rec_at, what + ": " + err);
                continue;
            }
            for (auto& p : problems) error(DecodeErrorKind::field_length, rec_at, what + ": " + p);
            if (is_options) ++stats.options_templates;
            else ++stats.templates;
            entry->layout.protocol = proto;
            entry->layout.template_id = tid;
            entry->layout.scope_count = ct.tmpl.scope_count;
            entry->layout.specs = ct.tmpl.fields;
            entry->layout.netscaler_micro = ct.netscaler_micro;
            for (const auto& op : ct.ops) entry->layout.infos.push_back(op.info);
            auto& slot = s.templates[tid];
            if (slot) retired.push_back(std::move(slot));
            slot = std::move(entry);
        }
        if (!r.empty() && !all_zero(r.cursor(), r.remaining()))
            error(DecodeErrorKind::trailing_bytes, r.offset(),
                  std::to_string(r.remaining()) + " bytes after the last template record");
    }

    /// Decodes a data set with its template. Returns the number of data records (flow and
    /// options) it held.
    template <class H>
    std::uint32_t data_set(Session& s, const TemplateEntry& e, const std::uint8_t* body, std::size_t n,
                           const MessageContext& ctx, H& h) {
        const CompiledTemplate& t = e.compiled;
        const std::size_t min = std::max<std::size_t>(t.min_length, 1);
        if (n > 0 && n < min && !all_zero(body, n)) {
            error(DecodeErrorKind::short_set, off(body),
                  "data set of " + std::to_string(n) + " bytes for template " + std::to_string(t.tmpl.id) +
                      " is shorter than one record (" + std::to_string(min) + " bytes)");
            return 0;
        }
        std::uint32_t records = 0;
        std::size_t pos = 0;
        while (n - pos >= min) {
            const std::uint8_t* p = body + pos;
            std::size_t used;
            if (t.options) {
                PartialRecord& pr = scratch;
                pr.reset();
                used = detail::read_record(t, p, n - pos, pr);
                if (used) {
                    const RecordView view{&e.layout, std::span<const std::uint8_t>(p, used)};
                    apply_options(s, pr, view);
                    h.options_record(e, p, n - pos, off(p));
                    ++stats.options_records;
                    if (options_sink) options_sink(OptionsRecordView{view, ctx.exporter, ctx.domain, ctx.sequence, ctx.export_ms});
                }
            } else {
                used = h.flow_record(e, p, n - pos, off(p), ctx, s);
            }
            if (!used) {
                error(DecodeErrorKind::bad_varlen, off(p),
                      "record " + std::to_string(records + 1) + " of template " + std::to_string(t.tmpl.id) +
                          " runs past the end of its set; rest of set skipped");
                return records;
            }
            pos += used;
            ++records;
            stats.unknown_fields += t.unknown_fields;
            stats.enterprise_fields += t.enterprise_fields;
        }
        if (pos < n && !all_zero(body + pos, n - pos))
            error(DecodeErrorKind::trailing_bytes, off(body + pos),
                  std::to_string(n - pos) + " non-zero bytes after the last record of template " +
                      std::to_string(t.tmpl.id));
        return records;
    }

    /// A name element's text: up to the first NUL (exporters pad fixed-size names with NULs
    /// and NUL-terminate variable ones), line breaks as spaces so CSV rows stay one line.
    static std::string_view name_text(std::span<const std::uint8_t> v) {
        std::string text(reinterpret_cast<const char*>(v.data()), v.size());
        if (auto nul = text.find('\0'); nul != std::string::npos) text.resize(nul);
        for (char& c : text)
            if (c == '\n' || c == '\r') c = ' ';
        return intern_name(text);
    }

    /// Updates the session's options tables from one options data record.
    void apply_options(Session& s, const PartialRecord& pr, const RecordView& view) {
        if (pr.has_system_init) {
            s.system_init_ms = pr.system_init_ms;
            s.has_system_init = true;
        }
        const FlowRecord& r = pr.rec;
        // Sampling: a record with a sampler/selector id describes that sampler; one without
        // describes the domain's sampler (34/35 with System scope, 305/306 alone).
        if (pr.has_sampling || pr.has_sampling_algorithm || pr.has_sampler_id) {
            detail::Sampler sampler;
            if (pr.has_sampling) sampler.interval = pr.sampling;
            if (pr.has_sampling_algorithm) sampler.algorithm = pr.sampling_algorithm;
            if (pr.has_sampler_id) {
                detail::Sampler& slot = s.tables.samplers[pr.sampler_id];
                if (pr.has_sampling) slot.interval = sampler.interval;
                if (pr.has_sampling_algorithm) slot.algorithm = sampler.algorithm;
            } else if (pr.has_sampling) {
                s.tables.unnamed_sampler = sampler;
            }
        }
        std::string_view if_name, if_desc, vrf_name;
        for_each_element(view, [&](std::size_t, const FieldSpec&, const IeInfo* info, std::span<const std::uint8_t> v) {
            if (!info) return;
            switch (info->role) {
                case IeRole::interface_name: if_name = name_text(v); break;
                case IeRole::interface_description: if_desc = name_text(v); break;
                case IeRole::vrf_name: vrf_name = name_text(v); break;
                default:
                    if (info->semantics == "totalCounter" && !v.empty() && v.size() <= 8)
                        s.statistics[{info->enterprise, info->id}] = load_be_n(v.data(), v.size());
                    break;
            }
        });
        const std::string_view name = !if_name.empty() ? if_name : if_desc;
        if (!name.empty()) {
            if (r.has(Field::in_if)) s.tables.interfaces[r.in_if] = name;
            else if (r.has(Field::out_if)) s.tables.interfaces[r.out_if] = name;
        }
        if (!vrf_name.empty()) {
            if (r.has(Field::vrf_in_id)) s.tables.vrfs[r.vrf_in_id] = vrf_name;
            else if (r.has(Field::vrf_out_id)) s.tables.vrfs[r.vrf_out_id] = vrf_name;
        }
    }

    static void session_context(const Session& s, MessageContext& ctx) {
        ctx.has_session_system_init = s.has_system_init;
        ctx.session_system_init_ms = s.system_init_ms;
        ctx.tables = &s.tables;
    }

    template <class H>
    void walk_v9(std::uint8_t* data, std::size_t len, const IpAddress& exporter, std::uint16_t port, H& h) {
        if (len < kV9Header) {
            error(DecodeErrorKind::truncated_header, 0,
                  "NetFlow v9 header needs 20 bytes, datagram has " + std::to_string(len));
            return;
        }
        ++stats.messages[1];
        const std::uint16_t count = load_be16(data + 2);
        const std::uint32_t uptime = load_be32(data + 4);
        const std::uint32_t secs = load_be32(data + 8);
        const std::uint32_t seq = load_be32(data + 12);
        const std::uint32_t source_id = load_be32(data + 16);
        h.header(Protocol::v9, data, kV9Header);
        Session& s = session(exporter, port, 9, source_id);
        MessageContext ctx;
        ctx.protocol = Protocol::v9;
        ctx.exporter = exporter;
        ctx.domain = source_id;
        ctx.sequence = seq;
        ctx.export_ms = std::int64_t{secs} * 1000;
        ctx.boot_ms = ctx.export_ms - uptime;
        ctx.has_boot = true;
        walk_sets(s, Protocol::v9, data, len, ctx, h, count);
        check_sequence(s, seq, 1, true);
    }

    template <class H>
    void walk_ipfix(std::uint8_t* data, std::size_t len, const IpAddress& exporter, std::uint16_t port, H& h) {
        if (len < kIpfixHeader) {
            error(DecodeErrorKind::truncated_header, 0,
                  "IPFIX header needs 16 bytes, datagram has " + std::to_string(len));
            return;
        }
        const std::uint16_t msg_len = load_be16(data + 2);
        if (msg_len < kIpfixHeader) {
            error(DecodeErrorKind::message_length, 2,
                  "IPFIX message length " + std::to_string(msg_len) + " is below the 16-byte header; message rejected");
            return;
        }
        // RFC 7011 9.1: a malformed message is discarded whole, so its framing (header length,
        // then every set length) is checked before any set changes templates or yields records.
        if (msg_len > len) {
            error(DecodeErrorKind::message_length, 2,
                  "IPFIX message length " + std::to_string(msg_len) + " but the datagram has " + std::to_string(len) +
                      " bytes; message discarded");
            return;
        }
        std::size_t end = len;
        if (msg_len < len) {
            error(DecodeErrorKind::message_length, 2,
                  "IPFIX message length " + std::to_string(msg_len) + " but the datagram has " + std::to_string(len) +
                      " bytes; the bytes after the message ignored");
            end = msg_len;
        }
        for (std::size_t pos = kIpfixHeader; end - pos >= 4;) {
            const std::uint16_t set_len = load_be16(data + pos + 2);
            if (set_len < 4 || set_len > end - pos) {
                error(DecodeErrorKind::set_length, pos + 2,
                      "set " + std::to_string(load_be16(data + pos)) + " length " + std::to_string(set_len) +
                          (set_len < 4 ? " is below 4" : " runs past the end of the message (" + std::to_string(end - pos) + " bytes left)") +
                          "; message discarded");
                return;
            }
            pos += set_len;
        }
        ++stats.messages[2];
        const std::uint32_t secs = load_be32(data + 4);
        const std::uint32_t seq = load_be32(data + 8);
        const std::uint32_t domain = load_be32(data + 12);
        h.header(Protocol::ipfix, data, kIpfixHeader);
        Session& s = session(exporter, port, 10, domain);
        MessageContext ctx;
        ctx.protocol = Protocol::ipfix;
        ctx.exporter = exporter;
        ctx.domain = domain;
        ctx.sequence = seq;
        ctx.export_ms = std::int64_t{secs} * 1000;
        walk_sets(s, Protocol::ipfix, data, end, ctx, h, 0);
        check_sequence(s, seq, last_data_records_, !last_unknown_content_);
    }

    std::uint32_t last_data_records_ = 0;
    bool last_unknown_content_ = false;

    /// Walks the sets after the header; v9: checks the header count.
    template <class H>
    void walk_sets(Session& s, Protocol proto, const std::uint8_t* data, std::size_t end, MessageContext& ctx, H& h,
                   std::uint16_t v9_count) {
        const bool ipfix = proto == Protocol::ipfix;
        std::size_t pos = ipfix ? kIpfixHeader : kV9Header;
        std::uint32_t data_records = 0, v9_records = 0;
        bool unknown_content = false, rejected = false;
        while (pos < end) {
            if (end - pos < 4) {
                if (!all_zero(data + pos, end - pos))
                    error(DecodeErrorKind::trailing_bytes, pos, std::to_string(end - pos) + " bytes after the last set");
                break;
            }
            const std::uint16_t set_id = load_be16(data + pos);
            const std::uint16_t set_len = load_be16(data + pos + 2);
            if (set_len < 4 || set_len > end - pos) {
                error(DecodeErrorKind::set_length, pos + 2,
                      std::string(ipfix ? "set" : "flowset") + " " + std::to_string(set_id) + " length " +
                          std::to_string(set_len) + (set_len < 4 ? " is below 4" : " runs past the end of the message (") +
                          (set_len < 4 ? std::string() : std::to_string(end - pos) + " bytes left)") +
                          "; rest of message skipped");
                rejected = true;
                break;
            }
            const std::uint8_t* body = data + pos + 4;
            const std::size_t n = set_len - 4u;
            if ((!ipfix && set_id <= 1) || (ipfix && (set_id == 2 || set_id == 3))) {
                const std::uint64_t before = stats.templates + stats.options_templates + stats.template_withdrawals;
                template_set(s, proto, set_id, body, n);
                v9_records += static_cast<std::uint32_t>(stats.templates + stats.options_templates +
                                                         stats.template_withdrawals - before);
            } else if (set_id < 256) {
                ++stats.unknown_sets;
                unknown_content = true;
            } else {
                auto it = s.templates.find(set_id);
                if (it == s.templates.end()) {
                    ++stats.sets_without_template;
                    stats.bytes_without_template += n;
                    unknown_content = true;
                } else {
                    session_context(s, ctx);
                    const std::uint32_t got = data_set(s, *it->second, body, n, ctx, h);
                    data_records += got;
                    v9_records += got;
                }
            }
            pos += set_len;
        }
        if (!ipfix && !unknown_content && !rejected && v9_records != v9_count)
            error(DecodeErrorKind::count_mismatch, 2,
                  "NetFlow v9 header count " + std::to_string(v9_count) + " but the packet holds " +
                      std::to_string(v9_records) + " records (templates included); records kept");
        last_data_records_ = data_records;
        last_unknown_content_ = unknown_content || rejected;
    }

};

Decoder::Decoder(DecoderOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = options; }
Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

std::size_t Decoder::decode(const ExportDatagram& d, std::vector<FlowRecord>& out, std::vector<RecordView>* views) {
    Impl& m = *impl_;
    m.packet = d.packet_number;
    m.stream = d.stream;
    m.retired.clear();
    m.views = views;
    Impl::Produce h{m, out};
    // walk() takes a mutable pointer for the visitor; Produce never writes through it.
    m.walk(const_cast<std::uint8_t*>(d.payload.data()), d.payload.size(), d.exporter, d.exporter_port, h);
    m.stats.records += h.produced;
    return h.produced;
}

void Decoder::set_options_sink(std::function<void(const OptionsRecordView&)> sink) {
    impl_->options_sink = std::move(sink);
}

void Decoder::visit(std::span<std::uint8_t> payload, const IpAddress& exporter, std::uint16_t port,
                    std::uint64_t packet_number, DecodeVisitor& visitor) {
    Impl& m = *impl_;
    m.packet = packet_number;
    Impl::Visit h{m, visitor};
    m.walk(payload.data(), payload.size(), exporter, port, h);
}

const DecodeStats& Decoder::stats() const noexcept { return impl_->stats; }
const std::vector<DecodeError>& Decoder::errors() const noexcept { return impl_->errors; }

std::vector<std::string> Decoder::options_report() const {
    const Impl& m = *impl_;
    std::vector<std::string> out;
    // Sessions in a stable order (exporter, version, domain) so the report reads the same each run.
    std::vector<std::pair<const SessionKey*, const Session*>> sessions;
    for (const auto& [k, s] : m.sessions) sessions.emplace_back(&k, &s);
    std::sort(sessions.begin(), sessions.end(), [](const auto& a, const auto& b) {
        return std::tie(a.first->exporter, a.first->port, a.first->version, a.first->domain) <
               std::tie(b.first->exporter, b.first->port, b.first->version, b.first->domain);
    });
    const Registry& reg = m.registry();
    for (const auto& [k, s] : sessions) {
        const std::string who = k->exporter.to_string() + " " + (k->version == 10 ? "IPFIX domain " : "v9 source id ") +
                                std::to_string(k->domain);
        const auto& t = s->tables;
        if (!t.samplers.empty() || t.unnamed_sampler) {
            std::string line = who + ": samplers";
            if (t.unnamed_sampler)
                line += " (unnamed) 1 in " + std::to_string(t.unnamed_sampler->interval) + " algorithm " +
                        std::to_string(t.unnamed_sampler->algorithm);
            std::vector<std::pair<std::uint64_t, detail::Sampler>> sorted(t.samplers.begin(), t.samplers.end());
            std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (const auto& [id, sm] : sorted)
                line += " " + std::to_string(id) + ": " +
                        (sm.interval ? "1 in " + std::to_string(sm.interval) : std::string("no rate")) + " algorithm " +
                        std::to_string(sm.algorithm) + ";";
            out.push_back(line);
        }
        if (!t.interfaces.empty() || !t.vrfs.empty())
            out.push_back(who + ": " + std::to_string(t.interfaces.size()) + " interface names, " +
                          std::to_string(t.vrfs.size()) + " VRF names from options data");
        if (s->has_system_init) out.push_back(who + ": systemInitTimeMilliseconds " + std::to_string(s->system_init_ms));
        if (!s->statistics.empty()) {
            std::string line = who + ": exporter statistics";
            for (const auto& [key, value] : s->statistics) {
                const IeInfo* info = reg.find(key.first, key.second);
                line += " " + (info ? std::string(info->qualified) : std::to_string(key.second)) + " " + std::to_string(value);
            }
            out.push_back(line);
        }
        for (const auto& [tid, c] : s->sampling) {
            if (c.none)
                out.push_back(who + " template " + std::to_string(tid) + ": " + std::to_string(c.none) +
                              " records without sampling information (no rate in the record, no sampler id, and " +
                              (t.samplers.empty() && !t.unnamed_sampler ? "no sampling options" : "more than one sampler") + ")");
            if (c.unknown_id)
                out.push_back(who + " template " + std::to_string(tid) + ": " + std::to_string(c.unknown_id) +
                              " records name a sampler whose rate no options record gave (before it, or never)");
        }
    }
    return out;
}

std::string Decoder::summary() const {
    const DecodeStats& s = impl_->stats;
    std::string out = std::to_string(s.packets) + " packets (v5 " + std::to_string(s.messages[0]) + ", v9 " +
                      std::to_string(s.messages[1]) + ", IPFIX " + std::to_string(s.messages[2]) + "), " +
                      std::to_string(s.records) + " records, " + std::to_string(s.templates) + " templates, " +
                      std::to_string(s.options_templates) + " options templates, " +
                      std::to_string(s.options_records) + " options records";
    if (s.template_withdrawals) out += ", " + std::to_string(s.template_withdrawals) + " withdrawals";
    if (s.withdrawals_ignored) out += " (" + std::to_string(s.withdrawals_ignored) + " ignored: UDP)";
    if (s.sets_without_template)
        out += ", " + std::to_string(s.sets_without_template) + " data sets before their template (" +
               std::to_string(s.bytes_without_template) + " bytes)";
    if (s.unknown_sets) out += ", " + std::to_string(s.unknown_sets) + " reserved sets skipped";
    if (s.unresolved_times) out += ", " + std::to_string(s.unresolved_times) + " records with unresolved times";
    if (s.sampling_from_named + s.sampling_from_only + s.sampling_from_record + s.sampling_unknown_id)
        out += ", sampling from the record " + std::to_string(s.sampling_from_record) + ", from the named sampler " +
               std::to_string(s.sampling_from_named) + ", from the only sampler " + std::to_string(s.sampling_from_only) +
               ", sampler unknown " + std::to_string(s.sampling_unknown_id) + ", none " + std::to_string(s.sampling_none);
    if (s.unknown_fields) out += ", " + std::to_string(s.unknown_fields) + " values of unregistered elements (kept raw)";
    if (s.sequence_gaps)
        out += ", " + std::to_string(s.sequence_gaps) + " sequence gaps (" + std::to_string(s.sequence_missing) + " missing)";
    if (s.sequence_backwards) out += ", " + std::to_string(s.sequence_backwards) + " sequence steps back";
    const std::uint64_t total = s.error_total();
    if (!total) {
        out += "; errors: none";
    } else {
        out += "; errors: " + std::to_string(total) + " (";
        bool first = true;
        for (std::size_t k = 0; k < kDecodeErrorKinds; ++k) {
            if (!s.errors[k]) continue;
            if (!first) out += ", ";
            first = false;
            out += std::string(decode_error_name(static_cast<DecodeErrorKind>(k))) + " " + std::to_string(s.errors[k]);
        }
        out += ")";
    }
    return out;
}

}  // namespace flowlab::core

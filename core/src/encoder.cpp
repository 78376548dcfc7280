/// @brief Packetizer: NetFlow v5, v9 and IPFIX message building with export truth.
#include "flowlab/core/encoder.hpp"

#include <algorithm>
#include <cstring>

#include "field_codec.hpp"
#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/calendar.hpp"
#include "flowlab/core/error.hpp"

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

struct Packetizer::Impl {
    ExporterConfig config;
    Sink sink;
    std::size_t max_payload = 0;
    std::size_t header_length = 0;
    CompiledTemplate v4, v6, options;
    bool has_v4 = false, has_v6 = false, has_options = false;

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
    std::int64_t started_ns = 0;

    std::uint32_t sequence = 0;  // v5: flows, v9: messages, IPFIX: data records sent before
    std::uint32_t messages_since_templates = 0;
    std::int64_t last_template_ms = 0;
    bool templates_sent = false;
    PacketizerStats stats;

    bool is_v5() const { return config.protocol == Protocol::v5; }

    void compile(const Template& t, CompiledTemplate& out, bool& has, const char* what) {
        if (t.fields.empty()) return;
        if (t.id < 256)
            throw ConfigError("", "", std::string(what) + " template id " + std::to_string(t.id) +
                                          " is below 256 (ids 0-255 are reserved for sets)");
        for (std::size_t i = 0; i < t.fields.size(); ++i)
            if (t.fields[i].length == 0)  // decoders accept empty fields; flowlab does not send them
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

    std::size_t templates_length() const {
        std::size_t n = 0;
        const Protocol p = config.protocol;
        if (has_v4 || has_v6) {
            n += 4;
            if (has_v4) n += template_record_length(v4.tmpl, p);
            if (has_v6) n += template_record_length(v6.tmpl, p);
            n = pad(n);
        }
        if (has_options) {
            n += pad(4 + template_record_length(options.tmpl, p));
            n += pad(4 + options.min_length);
        }
        return n;
    }

    std::size_t pad(std::size_t n) const {
        return (config.protocol == Protocol::v9 && config.pad_sets) ? (n + 3) & ~std::size_t{3} : n;
    }

    void start(std::int64_t export_ns) {
        buf.clear();
        buf.resize(header_length, 0);
        partial_used = 0;
        v9_count = 0;
        data_records = 0;
        open_set_id = 0;
        set_open = false;
        open = true;
        started_ns = export_ns;
        if (is_v5()) return;
        const std::int64_t now_ms = floor_div(export_ns, 1'000'000);
        const bool due = !templates_sent ||
                         (config.template_refresh_packets && messages_since_templates >= config.template_refresh_packets) ||
                         (config.template_refresh_ms && now_ms - last_template_ms >= config.template_refresh_ms);
        if (due) {
            write_templates();
            templates_sent = true;
            messages_since_templates = 0;
            last_template_ms = now_ms;
            ++stats.template_messages;
        }
    }

    void write_field_specs(ByteWriter& w, const Template& t) {
        for (const auto& f : t.fields) {
            if (config.protocol == Protocol::ipfix && f.enterprise) {
                w.u16(static_cast<std::uint16_t>(f.id | 0x8000));
                w.u16(f.length);
                w.u32(f.enterprise);
            } else {
                w.u16(f.id);
                w.u16(f.length);
            }
        }
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

    void write_templates() {
        ByteWriter w(buf);
        const Protocol p = config.protocol;
        if (has_v4 || has_v6) {
            open_set(w, p == Protocol::v9 ? kV9TemplateSet : kIpfixTemplateSet);
            for (const CompiledTemplate* t : {&v4, &v6}) {
                if (t->tmpl.fields.empty()) continue;
                w.u16(t->tmpl.id);
                w.u16(static_cast<std::uint16_t>(t->tmpl.fields.size()));
                write_field_specs(w, t->tmpl);
                ++v9_count;
            }
            close_set(w);
        }
        if (has_options) {
            const Template& t = options.tmpl;
            open_set(w, p == Protocol::v9 ? kV9OptionsTemplateSet : kIpfixOptionsTemplateSet);
            w.u16(t.id);
            if (p == Protocol::v9) {
                w.u16(static_cast<std::uint16_t>(4 * t.scope_count));
                w.u16(static_cast<std::uint16_t>(4 * (t.fields.size() - t.scope_count)));
            } else {
                w.u16(static_cast<std::uint16_t>(t.fields.size()));
                w.u16(t.scope_count);
            }
            write_field_specs(w, t);
            ++v9_count;
            close_set(w);
            // The options data record: scope (domain / system) + interval + algorithm.
            open_set(w, t.id);
            const std::size_t at = w.grow(options.min_length);
            std::uint8_t* out = w.at(at);
            std::size_t pos = 0;
            for (const auto& f : t.fields) {
                std::uint64_t v = 0;
                if (&f == &t.fields[0]) {
                    v = (p == Protocol::v9) ? config.address.v4_value() : config.domain;
                } else if (f.id == 34) {
                    v = config.sampling_interval;
                } else if (f.id == 35) {
                    v = config.sampling_algorithm;
                }
                store_be_n(out + pos, v, f.length);
                pos += f.length;
            }
            ++v9_count;
            ++data_records;
            close_set(w);
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
                h[20] = static_cast<std::uint8_t>(config.domain >> 8);
                h[21] = static_cast<std::uint8_t>(config.domain);
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
                store_be16(h + 0, 9);
                store_be16(h + 2, static_cast<std::uint16_t>(v9_count));
                store_be32(h + 4, static_cast<std::uint32_t>(up_secs * 1000 - config.boot_ms));
                store_be32(h + 8, static_cast<std::uint32_t>(up_secs));
                store_be32(h + 12, sequence);
                store_be32(h + 16, config.domain);
                ctx.export_ms = up_secs * 1000;
                ++sequence;
                break;
            }
            case Protocol::ipfix:
                store_be16(h + 0, 10);
                store_be16(h + 2, static_cast<std::uint16_t>(buf.size()));
                store_be32(h + 4, static_cast<std::uint32_t>(secs));
                store_be32(h + 8, sequence);
                store_be32(h + 12, config.domain);
                ctx.export_ms = unix_ms;
                sequence += data_records;
                break;
        }
        if (has_options && config.sampling_interval > 1 && !is_v5()) {
            ctx.has_session_sampling = true;
            ctx.session_sampling = config.sampling_interval;
            // The options record carries samplingAlgorithm (35), which the decoder reports.
            ctx.session_sampling_algorithm = detail::psamp_algorithm_from_v9(config.sampling_algorithm);
        }
        truth.clear();
        for (std::size_t i = 0; i < partial_used; ++i) {
            PartialRecord& pr = partial[i];
            detail::finish_record(pr, pr.rec.template_id, ctx);
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
        const CompiledTemplate& t = v6_record ? v6 : v4;
        if (!(v6_record ? has_v6 : has_v4)) {
            ++stats.rejected;
            return false;
        }
        const std::size_t size = detail::record_size(t, r);
        auto needed = [&] {
            const bool new_set = !set_open || open_set_id != t.tmpl.id;
            std::size_t n = size + (new_set ? 4 : 0);
            if (config.protocol == Protocol::v9 && config.pad_sets) n += 3 + (new_set ? 3 : 0);
            return n;
        };
        if (open && buf.size() + needed() > max_payload) finish(export_ns);
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
        }
        const std::size_t at = w.grow(size);
        const std::size_t written = detail::write_record(t, r, config.boot_ms, config.sampling_interval, w.at(at), stats.clamped);
        if (written != size) {
            buf.resize(at);
            ++stats.rejected;
            return false;
        }
        PartialRecord& pr = next_partial();
        detail::read_record(t, buf.data() + at, size, pr);
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
            if (m.has_v4 && m.has_v6 && m.config.template_v4.id == m.config.template_v6.id)
                throw ConfigError("", "", "IPv4 and IPv6 templates share id " + std::to_string(m.config.template_v4.id));
            if (m.config.sampling_interval > 1) {
                m.compile(sampling_options_template(p, m.config.options_template_id), m.options, m.has_options, "options");
            }
            if (!m.has_v4 && !m.has_v6) throw ConfigError("", "", "exporter has no data template");
            {
                const std::size_t largest = std::max(m.has_v4 ? m.v4.min_length : 0, m.has_v6 ? m.v6.min_length : 0);
                const std::size_t need = m.header_length + m.templates_length() + 4 + largest + 3;
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
    m.buf.clear();
    m.buf.resize(kIpfixHeaderLength, 0);
    m.partial_used = 0;
    m.v9_count = 0;
    m.data_records = 0;
    m.open = true;
    ByteWriter w(m.buf);
    const bool options = m.has_options && id == m.options.tmpl.id;
    m.open_set(w, options ? kIpfixOptionsTemplateSet : kIpfixTemplateSet);
    w.u16(id);
    w.u16(0);
    m.close_set(w);
    m.finish(export_ns);
    // A withdrawn template must be announced again before its next data record.
    m.templates_sent = false;
}

}  // namespace flowlab::core

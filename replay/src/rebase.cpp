/// @brief Finding the time and sequence fields of each export once, and moving them per loop.
#include "flowlab/replay/rebase.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/ie_catalog.hpp"

namespace flowlab::replay {

namespace {

struct SessionKey {
    core::IpAddress exporter;
    std::uint16_t port;
    std::uint8_t version;
    std::uint32_t domain;
    friend auto operator<=>(const SessionKey&, const SessionKey&) = default;
};

struct SessionState {
    std::uint32_t first = 0;
    std::uint32_t last = 0;
    std::uint32_t last_units = 0;  ///< flows (v5), 1 (v9), data records (IPFIX) in the last message
};

}  // namespace

struct RebasePlan::Visitor final : core::DecodeVisitor {
    RebasePlan* plan = nullptr;
    std::uint8_t* base = nullptr;
    std::size_t size = 0;
    core::IpAddress exporter;
    std::uint16_t port = 0;
    bool found_header = false;
    core::Protocol current = core::Protocol::ipfix;
    // The IPFIX message being walked: its data records are its sequence units.
    SessionState* open_ipfix = nullptr;
    std::uint32_t open_records = 0;
    std::map<SessionKey, std::uint32_t> session_index;
    std::vector<SessionState> sessions;

    void add(std::size_t offset, PatchKind kind, std::uint32_t session = 0) {
        plan->patches_.push_back(Patch{static_cast<std::uint16_t>(offset), kind, session});
    }

    void close_ipfix() {
        if (open_ipfix) open_ipfix->last_units = open_records;
        open_ipfix = nullptr;
        open_records = 0;
    }

    SessionState& session(std::uint8_t version, std::uint32_t domain, std::uint32_t seq,
                          std::uint32_t& index) {
        auto [it, fresh] = session_index.try_emplace(SessionKey{exporter, port, version, domain},
                                                     static_cast<std::uint32_t>(sessions.size()));
        if (fresh) {
            sessions.push_back(SessionState{seq, seq, 0});
        }
        index = it->second;
        SessionState& s = sessions[index];
        s.last = seq;
        return s;
    }

    void on_header(core::Protocol p, std::span<std::uint8_t> header) override {
        close_ipfix();
        current = p;
        const auto at = static_cast<std::size_t>(header.data() - base);
        const std::uint8_t* h = header.data();
        std::uint32_t export_s = 0;
        std::uint32_t index = 0;
        switch (p) {
            case core::Protocol::v5: {
                if (header.size() < 24) return;
                export_s = core::load_be32(h + 8);
                const std::uint32_t domain = core::load_be16(h + 20);  // engine type, engine id
                SessionState& s = session(5, domain, core::load_be32(h + 16), index);
                s.last_units = core::load_be16(h + 2);
                add(at + 8, PatchKind::seconds32);
                add(at + 16, PatchKind::sequence32, index);
                break;
            }
            case core::Protocol::v9: {
                if (header.size() < 20) return;
                export_s = core::load_be32(h + 8);
                SessionState& s = session(9, core::load_be32(h + 16), core::load_be32(h + 12), index);
                s.last_units = 1;
                add(at + 8, PatchKind::seconds32);
                add(at + 12, PatchKind::sequence32, index);
                break;
            }
            case core::Protocol::ipfix: {
                if (header.size() < 16) return;
                export_s = core::load_be32(h + 4);
                open_ipfix = &session(10, core::load_be32(h + 12), core::load_be32(h + 8), index);
                add(at + 4, PatchKind::seconds32);
                add(at + 8, PatchKind::sequence32, index);
                break;
            }
        }
        if (!plan->has_first_) {
            plan->has_first_ = true;
            plan->first_export_s_ = export_s;
        }
        found_header = true;
        ++plan->stats_.messages;
    }

    void on_data_record(const core::Template& t, std::span<const core::FieldLocation> fields) override {
        if (open_ipfix) ++open_records;
        // v9 scope fields carry scope types (1 system, 2 interface, ...), not element ids.
        const std::size_t first = current == core::Protocol::v9 ? t.scope_count : 0;
        for (std::size_t i = first; i < fields.size(); ++i) {
            const core::FieldLocation& f = fields[i];
            if (f.spec->enterprise != 0) continue;
            const core::IeInfo* info = core::find_ie(f.spec->id);
            if (!info) continue;
            std::size_t want = 8;
            PatchKind kind;
            switch (info->type) {
                case core::IeType::date_time_seconds:
                    kind = PatchKind::seconds32;
                    want = 4;
                    break;
                case core::IeType::date_time_milliseconds:
                    kind = PatchKind::millis64;
                    break;
                case core::IeType::date_time_microseconds:
                case core::IeType::date_time_nanoseconds:
                    kind = PatchKind::ntp64;
                    break;
                default:
                    continue;
            }
            if (f.length != want || f.offset + f.length > size) {
                ++plan->stats_.odd_length_times;
                continue;
            }
            ++plan->stats_.time_fields;
            add(f.offset, kind);
        }
    }
};

RebasePlan::RebasePlan() : visitor_(std::make_unique<Visitor>()) {
    visitor_->plan = this;
}
RebasePlan::~RebasePlan() = default;

void RebasePlan::observe(std::size_t index, std::span<const std::uint8_t> payload,
                         const core::IpAddress& exporter, std::uint16_t port, std::uint64_t packet_number) {
    (void)index;  // patches are appended in call order; begin_ keeps the boundaries
    Visitor& v = *visitor_;
    // visit() takes mutable bytes so a visitor may rewrite in place; this one only reads.
    const std::span<std::uint8_t> bytes(const_cast<std::uint8_t*>(payload.data()), payload.size());
    v.base = bytes.data();
    v.size = payload.size();
    v.exporter = exporter;
    v.port = port;
    v.found_header = false;
    // Patch offsets are 16-bit: UDP payloads are below 64 KiB.
    decoder_.visit(bytes, exporter, port, packet_number, v);
    v.close_ipfix();
    if (!v.found_header) ++stats_.not_flow;
    begin_.push_back(patches_.size());
}

void RebasePlan::finish(std::int64_t span_ns, std::size_t count) {
    visitor_->close_ipfix();
    const auto& sessions = visitor_->sessions;
    advance_.resize(sessions.size());
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        const SessionState& s = sessions[i];
        advance_[i] = s.last + s.last_units - s.first;  // mod 2^32 by unsigned arithmetic
    }
    sessions_.assign(sessions.size(), SessionAdvance{});
    for (const auto& [key, index] : visitor_->session_index)
        sessions_[index] = SessionAdvance{key.exporter, key.port, key.version, key.domain, advance_[index]};
    stats_.sessions = sessions.size();
    stats_.sets_without_template = decoder_.stats().sets_without_template;
    const std::int64_t gap = count > 1 ? span_ns / static_cast<std::int64_t>(count - 1) : 0;
    const std::int64_t period = std::max<std::int64_t>(span_ns, 0) + gap;
    loop_shift_s_ = std::max<std::int64_t>(1, (period + 999'999'999) / 1'000'000'000);
}

void RebasePlan::apply(std::size_t index, std::span<const std::uint8_t> in, std::uint8_t* out,
                       std::int64_t shift_s, std::uint64_t loop) const noexcept {
    std::memcpy(out, in.data(), in.size());
    const auto s32 = static_cast<std::uint32_t>(shift_s);  // mod 2^32, as the fields wrap
    const auto ms = static_cast<std::uint64_t>(shift_s * 1000);
    for (const Patch& p : patches(index)) {
        std::uint8_t* f = out + p.offset;
        switch (p.kind) {
            case PatchKind::seconds32:
            case PatchKind::ntp64:  // NTP: whole seconds are the upper 32 bits
                core::store_be32(f, core::load_be32(f) + s32);
                break;
            case PatchKind::millis64:
                core::store_be64(f, core::load_be64(f) + ms);
                break;
            case PatchKind::sequence32:
                core::store_be32(f,
                                 core::load_be32(f) + static_cast<std::uint32_t>(loop * advance_[p.session]));
                break;
        }
    }
}

}  // namespace flowlab::replay

/// @brief Flow cache emulation: timeouts, FIN/RST, cache limit and sampling over bursts.
#include "flowlab/gen/meter.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <queue>

#include "flowlab/core/calendar.hpp"

namespace flowlab::gen {
namespace {

constexpr std::uint8_t kFin = 0x01, kRst = 0x04;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept { return (a + b - 1) / b; }

/// Largest gap between consecutive packets of a burst (the gaps are floor or ceil of
/// duration / (packets - 1) because packet times use integer division).
std::int64_t max_gap(const Burst& b) noexcept {
    if (b.packets <= 1) return 0;
    const auto dur = static_cast<std::uint64_t>(b.end_us - b.start_us);
    return static_cast<std::int64_t>(ceil_div(dur, b.packets - 1));
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
    MeterRng r(a ^ (b * 0xD6E8FEB86659FD93ull));
    return r.next();
}

}  // namespace

PacketCursor::PacketCursor(const Conversation& conv, const MeterConfig& cfg, std::uint64_t seed)
    : conv_(&conv), mode_(cfg.sampling), rng_(seed) {
    if (cfg.sampling_interval <= 1) mode_ = MeterSampling::none;
    if (mode_ == MeterSampling::deterministic) {
        stride_ = cfg.sampling_interval;
        phase_ = rng_.next() % stride_;
    } else if (mode_ == MeterSampling::random) {
        log_keep_ = std::log1p(-1.0 / static_cast<double>(cfg.sampling_interval));
        skip_ = static_cast<std::uint64_t>(std::floor(std::log(rng_.uniform_open0()) / log_keep_));
    }
    settle();
}

void PacketCursor::settle() {
    const auto& bursts = conv_->bursts;
    std::uint64_t global = burst_base_ + index_;
    if (mode_ == MeterSampling::deterministic) {
        global += (phase_ + stride_ - global % stride_) % stride_;
    } else if (mode_ == MeterSampling::random) {
        global += skip_;
        skip_ = 0;
    }
    while (burst_ < bursts.size() && global >= burst_base_ + bursts[burst_].packets) {
        burst_base_ += bursts[burst_].packets;
        ++burst_;
    }
    if (burst_ < bursts.size()) {
        index_ = global - burst_base_;
        next_time_ = bursts[burst_].packet_time(index_);
    } else {
        index_ = 0;
    }
}

PacketCursor::Stop PacketCursor::take(std::int64_t limit_us, std::int64_t inactive_us, Taken& acc) {
    while (true) {
        if (done()) return Stop::exhausted;
        const std::int64_t t = next_time_;
        if (acc.packets > 0 && t - acc.last_us >= inactive_us) return Stop::gap;
        if (t >= limit_us) return Stop::limit;
        const Burst& b = conv_->bursts[burst_];
        const bool ends_flow = (b.tcp_flags & (kFin | kRst)) != 0;
        if (acc.packets == 0) acc.first_us = t;
        acc.flags |= b.tcp_flags;

        const std::uint64_t s = stride_;
        const std::uint64_t i = index_;
        const std::uint64_t in_burst = (b.packets - 1 - i) / s + 1;  // observed packets left in this burst
        const bool fast = mode_ != MeterSampling::random && !ends_flow &&
                          (in_burst == 1 || static_cast<std::int64_t>(s) * max_gap(b) < inactive_us);
        if (fast) {
            // Every observed packet of this burst before the limit, in O(1).
            const std::uint64_t j_lim = b.first_at_or_after(limit_us);
            const std::uint64_t k = std::min(in_burst, j_lim <= i ? 0 : ceil_div(j_lim - i, s));
            const std::uint64_t rem = b.bytes % b.packets;
            const std::uint64_t below_rem = rem > i ? std::min(k, ceil_div(rem - i, s)) : 0;
            acc.packets += k;
            acc.bytes += k * (b.bytes / b.packets) + below_rem;
            acc.last_us = b.packet_time(i + (k - 1) * s);
            index_ = i + k * s;
        } else {
            // One packet: a FIN/RST, a sparse train, or random sampling.
            acc.packets += 1;
            acc.bytes += b.packet_size(i);
            acc.last_us = t;
            if (mode_ == MeterSampling::random) {
                index_ = i + 1;
                skip_ = static_cast<std::uint64_t>(std::floor(std::log(rng_.uniform_open0()) / log_keep_));
            } else {
                index_ = i + s;
            }
        }
        settle();
        if (ends_flow) return Stop::fin;
    }
}

struct FlowCache::Impl {
    struct Stream {
        std::shared_ptr<const Conversation> conv;
        PacketCursor cursor;       // after the packets of the current entry's plan
        PacketCursor entry_start;  // at the current entry's first packet
        FlowContext obs;
        PacketCursor::Taken taken;
        std::int64_t expire_at = 0;
        EndReason reason = EndReason::idle;
        std::uint32_t gen = 0;
        bool in_entry = false;
        bool alive = false;
    };
    struct Event {
        std::int64_t t;
        std::uint64_t seq;
        std::uint32_t stream;
        std::uint32_t gen;
        bool operator>(const Event& o) const noexcept { return t != o.t ? t > o.t : seq > o.seq; }
    };

    MeterConfig cfg;
    std::uint64_t seed = 0;
    std::vector<Stream> streams;
    std::vector<std::uint32_t> free_slots;
    std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
    std::deque<std::pair<std::uint32_t, std::uint32_t>> by_age;  // entries in creation order
    std::uint64_t seq = 0;
    std::size_t live = 0;
    std::size_t in_flight = 0;
    FlowCacheStats stats;

    void schedule(std::int64_t t, std::uint32_t id) { events.push(Event{t, seq++, id, streams[id].gen}); }

    void release(std::uint32_t id) {
        Stream& s = streams[id];
        s.alive = false;
        s.conv.reset();
        free_slots.push_back(id);
        --in_flight;
    }

    void emit(Stream& s, std::int64_t expire_at, EndReason reason, const PacketCursor::Taken& acc,
              std::vector<MeteredRecord>& out) {
        using core::Field;
        const Conversation& c = *s.conv;
        MeteredRecord m;
        m.expire_us = expire_at;
        m.conversation = c.id;
        core::FlowRecord& r = m.record;
        // The members directly and the presence bits at once, rather than set_number's switch
        // per field: this runs once per record of every exporter.
        static constexpr core::FieldSet kAlways{
            Field::src,     Field::dst,    Field::sport,    Field::dport,     Field::proto,    Field::tos,
            Field::tcp_flags, Field::packets, Field::bytes, Field::first_ms,  Field::last_ms,  Field::in_if,
            Field::out_if,  Field::vrf_in_id, Field::vrf_out_id, Field::src_mask, Field::dst_mask, Field::src_as,
            Field::dst_as,  Field::icmp_type, Field::icmp_code, Field::end_reason};
        core::FieldSet present = kAlways;
        r.src = c.key.src;
        r.dst = c.key.dst;
        r.sport = c.key.sport;
        r.dport = c.key.dport;
        r.proto = c.key.proto;
        r.tos = c.key.tos;
        r.tcp_flags = c.key.proto == 6 ? acc.flags : 0;
        r.packets = acc.packets;
        r.bytes = acc.bytes;
        r.first_ms = core::floor_div(acc.first_us, 1000);
        r.last_ms = core::floor_div(acc.last_us, 1000);
        r.in_if = s.obs.in_if;
        r.out_if = s.obs.out_if;
        r.vrf_in_id = s.obs.vrf_in;
        r.vrf_out_id = s.obs.vrf_out;
        r.src_mask = s.obs.src_mask;
        r.dst_mask = s.obs.dst_mask;
        r.src_as = s.obs.src_as;
        r.dst_as = s.obs.dst_as;
        if (s.obs.next_hop.is_set()) {
            r.next_hop = s.obs.next_hop;
            present.set(Field::next_hop);
        }
        const bool icmp = c.key.proto == 1 || c.key.proto == 58;
        r.icmp_type = static_cast<std::uint8_t>(icmp ? c.key.dport >> 8 : 0);
        r.icmp_code = static_cast<std::uint8_t>(icmp ? c.key.dport & 0xFF : 0);
        r.end_reason = static_cast<std::uint8_t>(reason);
        if (cfg.sampling != MeterSampling::none && cfg.sampling_interval > 1) {
            r.sampling_interval = cfg.sampling_interval;
            present.set(Field::sampling_interval);
        }
        r.present = present;
        ++stats.records;
        stats.packets += acc.packets;
        stats.bytes += acc.bytes;
        out.push_back(std::move(m));
    }

    /// Ends the entry of stream `id` (already planned or cut short) and schedules what follows.
    void end_entry(std::uint32_t id) {
        Stream& s = streams[id];
        s.in_entry = false;
        ++s.gen;
        --live;
        if (s.cursor.done()) release(id);
        else schedule(s.cursor.next_time(), id);
    }

    void evict_oldest(std::int64_t t, std::vector<MeteredRecord>& out) {
        while (!by_age.empty()) {
            auto [id, gen] = by_age.front();
            by_age.pop_front();
            Stream& v = streams[id];
            if (!v.alive || !v.in_entry || v.gen != gen) continue;
            // Keep what the entry has seen up to now (packets at this very instant included).
            PacketCursor c = v.entry_start;
            PacketCursor::Taken acc;
            const std::int64_t first = c.next_time();
            c.take(std::min(t + 1, first + cfg.active_timeout_us), cfg.inactive_timeout_us, acc);
            v.cursor = c;
            emit(v, t, EndReason::lack_of_resources, acc, out);
            ++stats.emergency_expiries;
            end_entry(id);
            return;
        }
    }

    void start_entry(std::uint32_t id, std::int64_t t, std::vector<MeteredRecord>& out) {
        if (cfg.cache_size && live >= cfg.cache_size) evict_oldest(t, out);
        Stream& s = streams[id];
        s.entry_start = s.cursor;
        PacketCursor::Taken acc;
        const auto stop = s.cursor.take(t + cfg.active_timeout_us, cfg.inactive_timeout_us, acc);
        s.taken = acc;
        switch (stop) {
            case PacketCursor::Stop::limit:
                s.expire_at = t + cfg.active_timeout_us;
                s.reason = EndReason::active;
                break;
            case PacketCursor::Stop::fin:
                s.expire_at = acc.last_us;
                s.reason = EndReason::end_of_flow;
                break;
            case PacketCursor::Stop::gap:
            case PacketCursor::Stop::exhausted:
                // Whichever timer fires first: idle after the last packet, or the active limit.
                if (t + cfg.active_timeout_us <= acc.last_us + cfg.inactive_timeout_us) {
                    s.expire_at = t + cfg.active_timeout_us;
                    s.reason = EndReason::active;
                } else {
                    s.expire_at = acc.last_us + cfg.inactive_timeout_us;
                    s.reason = EndReason::idle;
                }
                break;
        }
        s.in_entry = true;
        ++live;
        stats.peak_entries = std::max(stats.peak_entries, live);
        by_age.emplace_back(id, s.gen);
        schedule(s.expire_at, id);
    }

    void run(std::int64_t t, std::vector<MeteredRecord>& out) {
        while (!events.empty() && events.top().t <= t) {
            const Event ev = events.top();
            events.pop();
            Stream& s = streams[ev.stream];
            if (!s.alive || ev.gen != s.gen) continue;  // superseded by an emergency expiry
            if (!s.in_entry) {
                start_entry(ev.stream, ev.t, out);
            } else {
                emit(s, s.expire_at, s.reason, s.taken, out);
                end_entry(ev.stream);
            }
        }
        // Emergency expiries may leave the age queue holding only stale entries.
        if (by_age.size() > 4 * (live + 16)) {
            std::deque<std::pair<std::uint32_t, std::uint32_t>> fresh;
            for (auto& e : by_age)
                if (streams[e.first].alive && streams[e.first].in_entry && streams[e.first].gen == e.second)
                    fresh.push_back(e);
            by_age.swap(fresh);
        }
    }
};

FlowCache::FlowCache(MeterConfig config, std::uint64_t seed) : impl_(std::make_unique<Impl>()) {
    impl_->cfg = config;
    impl_->seed = seed;
}
FlowCache::~FlowCache() = default;
FlowCache::FlowCache(FlowCache&&) noexcept = default;
FlowCache& FlowCache::operator=(FlowCache&&) noexcept = default;

void FlowCache::observe(std::shared_ptr<const Conversation> conv, const FlowContext& obs) {
    Impl& m = *impl_;
    ++m.stats.conversations;
    PacketCursor cursor(*conv, m.cfg, mix(m.seed, conv->id));
    if (cursor.done()) {
        ++m.stats.unseen;
        return;
    }
    std::uint32_t id;
    if (!m.free_slots.empty()) {
        id = m.free_slots.back();
        m.free_slots.pop_back();
    } else {
        id = static_cast<std::uint32_t>(m.streams.size());
        m.streams.push_back(Impl::Stream{nullptr, cursor, cursor, {}, {}, 0, EndReason::idle, 0, false, false});
    }
    Impl::Stream& s = m.streams[id];
    s.conv = std::move(conv);
    s.cursor = cursor;
    s.entry_start = cursor;
    s.obs = obs;
    s.in_entry = false;
    s.alive = true;
    ++s.gen;
    ++m.in_flight;
    m.schedule(cursor.next_time(), id);
}

std::int64_t FlowCache::next_event() const noexcept {
    return impl_->events.empty() ? std::numeric_limits<std::int64_t>::max() : impl_->events.top().t;
}

void FlowCache::advance(std::int64_t t, std::vector<MeteredRecord>& out) { impl_->run(t, out); }
void FlowCache::drain(std::vector<MeteredRecord>& out) { impl_->run(std::numeric_limits<std::int64_t>::max(), out); }
std::size_t FlowCache::live_entries() const noexcept { return impl_->live; }
std::size_t FlowCache::conversations_in_flight() const noexcept { return impl_->in_flight; }
const FlowCacheStats& FlowCache::stats() const noexcept { return impl_->stats; }

}  // namespace flowlab::gen

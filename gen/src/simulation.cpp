/// @brief The discrete-event loop joining conversations, flow caches and packetizers.
#include "flowlab/gen/simulation.hpp"

#include <algorithm>
#include <limits>
#include <memory>
#include <queue>

namespace flowlab::gen {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

bool in_prefix(const core::IpAddress& a, const ObservedNetwork& n) noexcept {
    if (a.is_v4() != n.prefix.is_v4() || a.is_v6() != n.prefix.is_v6()) return false;
    const auto& x = a.bytes();
    const auto& y = n.prefix.bytes();
    std::size_t bits = n.prefix_length;
    for (std::size_t i = 0; bits > 0; ++i) {
        const std::size_t take = std::min<std::size_t>(bits, 8);
        const auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
        if ((x[i] & mask) != (y[i] & mask)) return false;
        bits -= take;
    }
    return true;
}

const ObservedNetwork* best_match(const ExporterPlan& plan, const core::IpAddress& a) noexcept {
    const ObservedNetwork* best = nullptr;
    for (const auto& n : plan.observes)
        if (in_prefix(a, n) && (!best || n.prefix_length > best->prefix_length)) best = &n;
    return best;
}

struct Pending {
    std::int64_t export_us;
    std::uint64_t seq;
    std::size_t exporter;
    core::FlowRecord record;
};
struct PendingLater {
    bool operator()(const std::unique_ptr<Pending>& a, const std::unique_ptr<Pending>& b) const noexcept {
        return a->export_us != b->export_us ? a->export_us > b->export_us : a->seq > b->seq;
    }
};

}  // namespace

std::optional<FlowContext> observe(const ExporterPlan& plan, const ConversationKey& key) {
    const ObservedNetwork* s = best_match(plan, key.src);
    const ObservedNetwork* d = best_match(plan, key.dst);
    if (!s && !d) return std::nullopt;
    FlowContext o;
    o.in_if = s ? s->if_index : plan.default_if;
    o.out_if = d ? d->if_index : plan.default_if;
    o.src_mask = s ? s->prefix_length : 0;
    o.dst_mask = d ? d->prefix_length : 0;
    o.src_as = s ? s->as_number : 0;
    o.dst_as = d ? d->as_number : 0;
    if (d && d->next_hop.is_set()) o.next_hop = d->next_hop;
    return o;
}

SimulationStats simulate(const std::vector<ExporterPlan>& plans, std::uint64_t seed,
                         const std::function<bool(Conversation&)>& pull, const SimulationSinks& sinks) {
    SimulationStats stats;
    const std::size_t n = plans.size();
    stats.exporters.resize(n);
    std::vector<FlowCache> caches;
    std::vector<core::Packetizer> packetizers;
    std::vector<std::int64_t> pending_since(n, kNever);  // first record of the open message
    std::vector<std::uint64_t> emitted(n, 0);
    caches.reserve(n);
    packetizers.reserve(n);
    std::int64_t min_delay = kNever;
    for (std::size_t e = 0; e < n; ++e) {
        stats.exporters[e].name = plans[e].name;
        caches.emplace_back(plans[e].meter, seed ^ (0xA5A5A5A5ull * (e + 1)));
        packetizers.emplace_back(plans[e].exporter, [&, e](const core::EncodedMessage& m) {
            ++emitted[e];
            ++stats.messages;
            stats.records += m.records.size();
            if (!stats.first_export_ns) stats.first_export_ns = m.export_ns;
            stats.last_export_ns = m.export_ns;
            if (sinks.message) sinks.message(e, m);
        });
        min_delay = std::min(min_delay, plans[e].export_delay_us);
    }
    if (n == 0) min_delay = 0;

    std::priority_queue<std::unique_ptr<Pending>, std::vector<std::unique_ptr<Pending>>, PendingLater> queue;
    std::uint64_t seq = 0;
    std::vector<MeteredRecord> expired;

    // Flushes every open message whose wait ends at or before t, in deadline order.
    auto flush_due = [&](std::int64_t t) {
        while (true) {
            std::size_t best = n;
            std::int64_t deadline = kNever;
            for (std::size_t e = 0; e < n; ++e) {
                if (pending_since[e] == kNever) continue;
                const std::int64_t d = pending_since[e] + plans[e].max_message_wait_us;
                if (d <= t && d < deadline) {
                    deadline = d;
                    best = e;
                }
            }
            if (best == n) return;
            packetizers[best].flush(deadline * 1000);
            pending_since[best] = kNever;
        }
    };
    // Hands every queued record due at or before t to its packetizer.
    auto release = [&](std::int64_t t) {
        while (!queue.empty() && queue.top()->export_us <= t) {
            std::unique_ptr<Pending> p = std::move(const_cast<std::unique_ptr<Pending>&>(queue.top()));
            queue.pop();
            flush_due(p->export_us);
            const std::size_t e = p->exporter;
            const std::uint64_t before = emitted[e];
            const bool was_open = packetizers[e].pending();
            if (!packetizers[e].add(p->record, p->export_us * 1000)) continue;
            if (!was_open || emitted[e] != before) pending_since[e] = p->export_us;
        }
        flush_due(t);
    };
    auto collect = [&](std::size_t e) {
        for (auto& m : expired)
            queue.push(std::make_unique<Pending>(
                Pending{m.expire_us + plans[e].export_delay_us, seq++, e, std::move(m.record)}));
        expired.clear();
    };

    Conversation next;
    bool have_next = pull(next);
    std::uint64_t since_progress = 0;
    while (true) {
        std::int64_t t_cache = kNever;
        for (auto& c : caches) t_cache = std::min(t_cache, c.next_event());
        const std::int64_t t_conv = have_next ? next.start_us() : kNever;
        if (t_cache == kNever && t_conv == kNever) break;
        if (t_cache <= t_conv) {
            for (std::size_t e = 0; e < n; ++e) {
                if (caches[e].next_event() != t_cache) continue;
                caches[e].advance(t_cache, expired);
                collect(e);
            }
        } else {
            auto conv = std::make_shared<const Conversation>(std::move(next));
            ++stats.conversations;
            stats.conversation_packets += conv->packets();
            stats.conversation_bytes += conv->bytes();
            if (sinks.conversation) sinks.conversation(*conv);
            const bool v6 = conv->key.src.is_v6() || conv->key.dst.is_v6();
            for (std::size_t e = 0; e < n; ++e) {
                auto obs = observe(plans[e], conv->key);
                if (!obs) continue;
                if (v6 && plans[e].exporter.protocol == core::Protocol::v5) {
                    ++stats.exporters[e].ipv6_not_exportable;
                    continue;
                }
                caches[e].observe(conv, *obs);
            }
            next = Conversation{};
            have_next = pull(next);
            if (sinks.progress && ++since_progress == 65536) {
                since_progress = 0;
                sinks.progress(t_conv, stats);
            }
            std::size_t in_flight = 0;
            for (auto& c : caches) in_flight += c.conversations_in_flight();
            stats.peak_in_flight = std::max(stats.peak_in_flight, in_flight);
        }
        // No later event can expire a record before this instant: release up to it.
        std::int64_t horizon = have_next ? next.start_us() : kNever;
        for (auto& c : caches) horizon = std::min(horizon, c.next_event());
        if (horizon != kNever) release(horizon + min_delay - 1);
    }
    release(kNever - 1);
    flush_due(kNever - 1);
    for (std::size_t e = 0; e < n; ++e) {
        stats.exporters[e].cache = caches[e].stats();
        stats.exporters[e].packetizer = packetizers[e].stats();
    }
    return stats;
}

}  // namespace flowlab::gen

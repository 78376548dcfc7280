/// @brief The discrete-event loop joining conversations, flow caches and packetizers.
#include "flowlab/gen/simulation.hpp"

#include <algorithm>
#include <compare>
#include <functional>
#include <limits>
#include <memory>
#include <queue>

namespace flowlab::gen {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

const ObservedNetwork* best_match(const ExporterPlan& plan, const core::IpAddress& a) noexcept {
    const ObservedNetwork* best = nullptr;
    for (const auto& n : plan.observes)
        if (n.block.contains(a) && (!best || n.block.prefix > best->block.prefix)) best = &n;
    return best;
}

struct Pending {
    std::int64_t export_us;
    std::uint64_t seq;
    std::size_t exporter;
    core::FlowRecord record;
};
/// A time at which one exporter has something due; ordered by time, then exporter.
struct Due {
    std::int64_t at;
    std::size_t exporter;
    auto operator<=>(const Due&) const = default;
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
    o.src_mask = static_cast<std::uint8_t>(s ? s->block.prefix : 0);
    o.dst_mask = static_cast<std::uint8_t>(d ? d->block.prefix : 0);
    o.src_as = s ? s->as_number : 0;
    o.dst_as = d ? d->as_number : 0;
    o.next_hop = plan.next_hop;
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

    // Open messages by deadline (then exporter), kept as a heap rather than found by scanning
    // every exporter: with thousands of exporters a scan per record made the run quadratic
    // (10,000 exporters: 125 s for 1.9M records). An entry whose exporter has since flushed or
    // reopened is stale and dropped when it comes up.
    std::priority_queue<Due, std::vector<Due>, std::greater<>> deadlines;
    auto open_message = [&](std::size_t e, std::int64_t since) {
        pending_since[e] = since;
        deadlines.push({since + plans[e].max_message_wait_us, e});
    };
    auto deadline_of = [&](const Due& d) {
        return pending_since[d.exporter] != kNever &&
               pending_since[d.exporter] + plans[d.exporter].max_message_wait_us == d.at;
    };
    // Flushes every open message whose wait ends at or before t, in deadline order.
    auto flush_due = [&](std::int64_t t) {
        while (!deadlines.empty()) {
            const Due d = deadlines.top();
            if (!deadline_of(d)) {
                deadlines.pop();
                continue;
            }
            if (d.at > t) return;
            deadlines.pop();
            packetizers[d.exporter].flush(d.at * 1000);
            pending_since[d.exporter] = kNever;
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
            if (!was_open || emitted[e] != before) open_message(e, p->export_us);
        }
        flush_due(t);
    };
    auto collect = [&](std::size_t e) {
        for (auto& m : expired)
            queue.push(std::make_unique<Pending>(
                Pending{m.expire_us + plans[e].export_delay_us, seq++, e, std::move(m.record)}));
        expired.clear();
    };

    // The caches' next events as a heap of (time, exporter), for the same reason as the
    // deadlines; an entry is stale once its cache's next event is another.
    std::priority_queue<Due, std::vector<Due>, std::greater<>> events;
    auto schedule = [&](std::size_t e) {
        const std::int64_t t = caches[e].next_event();
        if (t != kNever) events.push({t, e});
    };
    auto next_cache_event = [&] {
        while (!events.empty() && caches[events.top().exporter].next_event() != events.top().at) events.pop();
        return events.empty() ? kNever : events.top().at;
    };
    std::size_t in_flight = 0;  // conversations in every cache, kept up to date per operation
    std::vector<std::size_t> due;

    Conversation next;
    bool have_next = pull(next);
    std::uint64_t since_progress = 0;
    while (true) {
        const std::int64_t t_cache = next_cache_event();
        const std::int64_t t_conv = have_next ? next.start_us() : kNever;
        if (t_cache == kNever && t_conv == kNever) break;
        if (t_cache <= t_conv) {
            // Every cache due at t_cache, in exporter order, each once: as one pass over them.
            due.clear();
            while (!events.empty() && events.top().at == t_cache) {
                const std::size_t e = events.top().exporter;
                events.pop();
                if (caches[e].next_event() == t_cache && (due.empty() || due.back() != e)) due.push_back(e);
            }
            for (const std::size_t e : due) {
                in_flight -= caches[e].conversations_in_flight();
                caches[e].advance(t_cache, expired);
                in_flight += caches[e].conversations_in_flight();
                collect(e);
                schedule(e);
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
                in_flight -= caches[e].conversations_in_flight();
                caches[e].observe(conv, *obs);
                in_flight += caches[e].conversations_in_flight();
                schedule(e);
            }
            next = Conversation{};
            have_next = pull(next);
            if (sinks.progress && ++since_progress == 65536) {
                since_progress = 0;
                sinks.progress(t_conv, stats);
            }
            stats.peak_in_flight = std::max(stats.peak_in_flight, in_flight);
        }
        // No later event can expire a record before this instant: release up to it.
        const std::int64_t horizon = std::min(have_next ? next.start_us() : kNever, next_cache_event());
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

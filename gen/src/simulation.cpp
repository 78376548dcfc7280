/// @brief The discrete-event loop joining conversations, flow caches and packetizers.
#include "flowlab/gen/simulation.hpp"

#include <algorithm>
#include <compare>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <tuple>

namespace flowlab::gen {
namespace {

constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

const ObservedNetwork* best_match(const ExporterPlan& plan, const core::IpAddress& a) noexcept {
    const ObservedNetwork* best = nullptr;
    for (const auto& n : plan.observes)
        if (n.block.contains(a) && (!best || n.block.prefix > best->block.prefix)) best = &n;
    return best;
}

/// Records waiting for their export time, first by (export time, sequence). The records stay
/// in recycled slots and the heap orders small handles: a heap of one allocation per record
/// was a tenth of the simulation loop. `Tag` is what the caller keeps beside each record.
template <class Tag>
class ExportQueue {
public:
    bool empty() const noexcept { return heap_.empty(); }
    std::int64_t next_export_us() const noexcept { return heap_.top().export_us; }
    void push(std::int64_t export_us, std::uint64_t seq, Tag tag, core::FlowRecord&& record) {
        std::uint32_t slot;
        if (free_.empty()) {
            slot = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
        } else {
            slot = free_.back();
            free_.pop_back();
        }
        slots_[slot].tag = tag;
        slots_[slot].record = std::move(record);
        heap_.push(Handle{export_us, seq, slot});
    }
    /// Takes the first record out and calls use(export_us, tag, record); returns what use does.
    template <class Use>
    bool pop(Use&& use) {
        const Handle h = heap_.top();
        heap_.pop();
        const bool r = use(h.export_us, slots_[h.slot].tag, slots_[h.slot].record);
        free_.push_back(h.slot);
        return r;
    }

private:
    struct Handle {
        std::int64_t export_us;
        std::uint64_t seq;
        std::uint32_t slot;
        bool operator>(const Handle& o) const noexcept {
            return export_us != o.export_us ? export_us > o.export_us : seq > o.seq;
        }
    };
    struct Slot {
        Tag tag{};
        core::FlowRecord record;
    };
    std::priority_queue<Handle, std::vector<Handle>, std::greater<>> heap_;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;
};
/// A time at which one exporter has something due; ordered by time, then exporter.
struct Due {
    std::int64_t at;
    std::size_t exporter;
    auto operator<=>(const Due&) const = default;
};

}  // namespace

std::optional<FlowContext> observe(const ExporterPlan& plan, const ConversationKey& key) {
    const ObservedNetwork* s = best_match(plan, key.src);
    const ObservedNetwork* d = best_match(plan, key.dst);
    if (!s && !d) return std::nullopt;
    FlowContext o;
    o.in_if = s ? s->if_index : plan.default_if;
    o.out_if = d ? d->if_index : plan.default_if;
    o.vrf_in = s ? s->vrf : 0;  // default_if is in VRF 0
    o.vrf_out = d ? d->vrf : 0;
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

    ExportQueue<std::size_t> queue;  // tag: the exporter
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
        while (!queue.empty() && queue.next_export_us() <= t) {
            queue.pop([&](std::int64_t export_us, std::size_t e, const core::FlowRecord& record) {
                flush_due(export_us);
                const std::uint64_t before = emitted[e];
                const bool was_open = packetizers[e].pending();
                if (!packetizers[e].add(record, export_us * 1000)) return false;
                if (!was_open || emitted[e] != before) open_message(e, export_us);
                return true;
            });
        }
        flush_due(t);
    };
    auto collect = [&](std::size_t e) {
        for (auto& m : expired) {
            if (!plans[e].value_rules.empty()) apply_value_rules(plans[e].value_rules, seed, m.conversation, m.record);
            queue.push(m.expire_us + plans[e].export_delay_us, seq++, e, std::move(m.record));
        }
        expired.clear();
    };

    // The caches' next events as a heap of (time, exporter), for the same reason as the
    // deadlines; an entry is stale once its cache's next event is another.
    // `queued[e]` is a time at which an entry of e is in the heap (kNever: none known), so
    // that an unchanged next event is not pushed again: most operations leave it as it was,
    // and every such duplicate cost a push and a pop.
    std::priority_queue<Due, std::vector<Due>, std::greater<>> events;
    std::vector<std::int64_t> queued(n, kNever);
    auto schedule = [&](std::size_t e) {
        const std::int64_t t = caches[e].next_event();
        if (t == kNever || t == queued[e]) return;
        events.push({t, e});
        queued[e] = t;
    };
    auto pop_event = [&] {
        const Due d = events.top();
        events.pop();
        if (queued[d.exporter] == d.at) queued[d.exporter] = kNever;
    };
    auto next_cache_event = [&] {
        while (!events.empty() && caches[events.top().exporter].next_event() != events.top().at) pop_event();
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
                pop_event();
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

namespace {

/// Where a message stands in simulate()'s order. That loop hands each queued record to its
/// packetizer in (export time, sequence) order, the sequence counting expiries in order of the
/// cache event that produced them (event time, then exporter, then expiry order); and before
/// a record at time t it flushes every open message whose wait ended at or before t, in
/// (deadline, exporter) order, the rest at the end of each release. So an operation is ordered
/// by (time, flush before record, event time of a record, exporter), and the messages of one
/// operation by their exporter's count. Every part is known to the exporter alone, so each
/// can run on its own and the messages be merged by this key afterwards. (A zero wait would
/// flush a message opened by a record before the next record at the same time, which the
/// key would not say; plans always wait.)
struct MessageKey {
    std::int64_t at = 0;
    int kind = 0;  ///< 0: flushed at its deadline, 1: emitted when a record was added
    std::int64_t event_us = 0;
    std::size_t exporter = 0;
    std::uint64_t count = 0;
    auto operator<=>(const MessageKey&) const = default;
};

struct KeyedMessage {
    MessageKey key;
    std::int64_t export_ns = 0;
    std::vector<std::uint8_t> bytes;
    std::vector<core::FlowRecord> records;
};

/// One exporter run on its own: its flow cache, export queue and packetizer, driven as
/// simulate() drives it, its messages keyed for the merge.
class ExporterRun {
public:
    ExporterRun(const ExporterPlan& plan, std::size_t index, std::uint64_t seed)
        : plan_(plan), index_(index), seed_(seed), cache_(plan.meter, seed ^ (0xA5A5A5A5ull * (index + 1))),
          packetizer_(plan.exporter, [this](const core::EncodedMessage& m) { emit(m); }) {}
    ExporterRun(const ExporterRun&) = delete;
    ExporterRun& operator=(const ExporterRun&) = delete;

    void set_output(std::vector<KeyedMessage>* out) noexcept { out_ = out; }

    void conversation(const std::shared_ptr<const Conversation>& conv, bool v6) {
        auto obs = observe(plan_, conv->key);
        if (!obs) return;
        if (v6 && plan_.exporter.protocol == core::Protocol::v5) {
            ++ipv6_not_exportable_;
            return;
        }
        advance_to(conv->start_us());
        cache_.observe(conv, *obs);
        peak_in_flight_ = std::max(peak_in_flight_, cache_.conversations_in_flight());
    }
    /// Runs every cache event up to t and exports what can no longer change: a later record
    /// expires no earlier than the next conversation (which starts at or after t) or the
    /// cache's next event (after t). Returns the time up to which every message is out.
    std::int64_t settle(std::int64_t t) {
        advance_to(t);
        const std::int64_t done = t + plan_.export_delay_us - 1;
        release(done);
        return done;
    }
    void finish() {
        advance_to(kNever - 1);
        release(kNever - 1);
    }

    std::uint64_t ipv6_not_exportable() const noexcept { return ipv6_not_exportable_; }
    std::size_t peak_in_flight() const noexcept { return peak_in_flight_; }
    const FlowCache& cache() const noexcept { return cache_; }
    const core::Packetizer& packetizer() const noexcept { return packetizer_; }

private:
    void advance_to(std::int64_t t) {
        for (std::int64_t at = cache_.next_event(); at <= t; at = cache_.next_event()) {
            cache_.advance(at, expired_);
            for (auto& m : expired_) {
                if (!plan_.value_rules.empty()) apply_value_rules(plan_.value_rules, seed_, m.conversation, m.record);
                queue_.push(m.expire_us + plan_.export_delay_us, seq_++, at, std::move(m.record));
            }
            expired_.clear();
        }
    }
    void flush_due(std::int64_t t) {
        if (pending_since_ == kNever) return;
        const std::int64_t at = pending_since_ + plan_.max_message_wait_us;
        if (at > t) return;
        op_ = {at, 0, 0, index_, 0};
        packetizer_.flush(at * 1000);
        pending_since_ = kNever;
    }
    void release(std::int64_t t) {
        while (!queue_.empty() && queue_.next_export_us() <= t) {
            queue_.pop([&](std::int64_t export_us, std::int64_t event_us, const core::FlowRecord& record) {
                flush_due(export_us);
                op_ = {export_us, 1, event_us, index_, 0};
                const std::uint64_t before = emitted_;
                const bool was_open = packetizer_.pending();
                if (!packetizer_.add(record, export_us * 1000)) return false;
                if (!was_open || emitted_ != before) pending_since_ = export_us;
                return true;
            });
        }
        flush_due(t);
    }
    void emit(const core::EncodedMessage& m) {
        KeyedMessage k;
        k.key = op_;
        k.key.count = emitted_++;
        k.export_ns = m.export_ns;
        k.bytes.assign(m.bytes.begin(), m.bytes.end());
        k.records.assign(m.records.begin(), m.records.end());
        out_->push_back(std::move(k));
    }

    const ExporterPlan& plan_;
    std::size_t index_;
    std::uint64_t seed_;  ///< the run's, for value_rules
    FlowCache cache_;
    core::Packetizer packetizer_;
    ExportQueue<std::int64_t> queue_;  ///< tag: the time of the cache event that expired the record
    std::vector<MeteredRecord> expired_;
    std::uint64_t seq_ = 0;
    std::int64_t pending_since_ = kNever;  ///< first record of the open message
    std::uint64_t emitted_ = 0;
    MessageKey op_;
    std::vector<KeyedMessage>* out_ = nullptr;
    std::uint64_t ipv6_not_exportable_ = 0;
    std::size_t peak_in_flight_ = 0;
};

struct WorkBatch {
    std::vector<std::shared_ptr<const Conversation>> convs;
    bool last = false;
};

struct DoneBatch {
    std::vector<KeyedMessage> messages;
    std::int64_t done_us = kNever;  ///< every message up to this time is in
};

/// The worker threads and their queues. Each worker meters its exporters over every batch,
/// in order; the caller collects each batch's messages from all workers before merging, and
/// never has more than kParallelDepth batches ahead of the slowest worker.
class Workers {
public:
    Workers(std::vector<std::unique_ptr<ExporterRun>>& runs, std::size_t threads) : runs_(runs) {
        lanes_.resize(threads);
        for (std::size_t e = 0; e < runs.size(); ++e) lanes_[e % threads].exporters.push_back(e);
        try {
            for (std::size_t w = 0; w < threads; ++w) lanes_[w].thread = std::thread([this, w] { run(w); });
        } catch (...) {
            stop();
            throw;
        }
    }
    ~Workers() { stop(); }
    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;

    void dispatch(std::shared_ptr<const WorkBatch> b) {
        {
            std::lock_guard lock(mutex_);
            for (auto& l : lanes_) l.in.push_back(b);
        }
        work_.notify_all();
    }
    /// The oldest batch's messages from every worker, and the time up to which they are all in.
    /// Rethrows a worker's error.
    std::int64_t collect(std::vector<KeyedMessage>& into) {
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] {
            if (error_) return true;
            for (const auto& l : lanes_)
                if (l.out.empty()) return false;
            return true;
        });
        if (error_) std::rethrow_exception(error_);
        std::int64_t done_us = kNever;
        for (auto& l : lanes_) {
            DoneBatch d = std::move(l.out.front());
            l.out.pop_front();
            done_us = std::min(done_us, d.done_us);
            for (auto& m : d.messages) into.push_back(std::move(m));
        }
        return done_us;
    }

private:
    struct Lane {
        std::vector<std::size_t> exporters;
        std::deque<std::shared_ptr<const WorkBatch>> in;
        std::deque<DoneBatch> out;
        std::thread thread;
    };

    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        work_.notify_all();
        for (auto& l : lanes_)
            if (l.thread.joinable()) l.thread.join();
    }

    void run(std::size_t w) {
        Lane& lane = lanes_[w];
        try {
            while (true) {
                std::shared_ptr<const WorkBatch> b;
                {
                    std::unique_lock lock(mutex_);
                    work_.wait(lock, [&] { return !lane.in.empty() || stopping_; });
                    if (stopping_) return;
                    b = std::move(lane.in.front());
                    lane.in.pop_front();
                }
                DoneBatch d;
                for (const std::size_t e : lane.exporters) runs_[e]->set_output(&d.messages);
                for (const auto& conv : b->convs) {
                    const bool v6 = conv->key.src.is_v6() || conv->key.dst.is_v6();
                    for (const std::size_t e : lane.exporters) runs_[e]->conversation(conv, v6);
                }
                if (b->last) {
                    for (const std::size_t e : lane.exporters) runs_[e]->finish();
                } else {
                    // Batches other than the last are full.
                    const std::int64_t t = b->convs.back()->start_us();
                    for (const std::size_t e : lane.exporters) d.done_us = std::min(d.done_us, runs_[e]->settle(t));
                }
                b.reset();
                {
                    std::lock_guard lock(mutex_);
                    lane.out.push_back(std::move(d));
                }
                done_.notify_all();
            }
        } catch (...) {
            {
                std::lock_guard lock(mutex_);
                if (!error_) error_ = std::current_exception();
            }
            done_.notify_all();
        }
    }

    std::vector<std::unique_ptr<ExporterRun>>& runs_;
    std::vector<Lane> lanes_;
    std::mutex mutex_;
    std::condition_variable work_, done_;
    bool stopping_ = false;
    std::exception_ptr error_;
};

}  // namespace

SimulationStats simulate(const std::vector<ExporterPlan>& plans, std::uint64_t seed,
                         const std::function<bool(Conversation&)>& pull, const SimulationSinks& sinks,
                         std::size_t threads) {
    const std::size_t n = plans.size();
    threads = std::min(threads, n);
    if (threads <= 1) return simulate(plans, seed, pull, sinks);
    for (const auto& p : plans)
        if (p.max_message_wait_us <= 0) return simulate(plans, seed, pull, sinks);  // see MessageKey

    SimulationStats stats;
    stats.exporters.resize(n);
    // Built here, so that an exporter that cannot be built fails before any thread starts.
    std::vector<std::unique_ptr<ExporterRun>> runs;
    for (std::size_t e = 0; e < n; ++e) {
        stats.exporters[e].name = plans[e].name;
        runs.push_back(std::make_unique<ExporterRun>(plans[e], e, seed));
    }
    Workers workers(runs, threads);
    const std::size_t batch_size = std::clamp<std::size_t>(kParallelPairs / n, 1, kParallelBatch);

    std::vector<KeyedMessage> merging;
    const auto deliver = [&](std::int64_t done_us) {
        std::sort(merging.begin(), merging.end(),
                  [](const KeyedMessage& a, const KeyedMessage& b) { return a.key < b.key; });
        std::size_t i = 0;
        for (; i < merging.size() && merging[i].key.at <= done_us; ++i) {
            const KeyedMessage& k = merging[i];
            ++stats.messages;
            stats.records += k.records.size();
            if (!stats.first_export_ns) stats.first_export_ns = k.export_ns;
            stats.last_export_ns = k.export_ns;
            if (sinks.message) sinks.message(k.key.exporter, core::EncodedMessage{k.bytes, k.export_ns, k.records});
        }
        merging.erase(merging.begin(), merging.begin() + static_cast<std::ptrdiff_t>(i));
    };
    std::size_t dispatched = 0, collected = 0;
    const auto send = [&](std::shared_ptr<WorkBatch> b) {
        workers.dispatch(std::move(b));
        ++dispatched;
        while (dispatched - collected > kParallelDepth) {
            deliver(workers.collect(merging));
            ++collected;
        }
    };

    auto batch = std::make_shared<WorkBatch>();
    Conversation next;
    std::uint64_t since_progress = 0;
    while (pull(next)) {
        auto conv = std::make_shared<const Conversation>(std::move(next));
        next = Conversation{};
        ++stats.conversations;
        stats.conversation_packets += conv->packets();
        stats.conversation_bytes += conv->bytes();
        if (sinks.conversation) sinks.conversation(*conv);
        const std::int64_t t = conv->start_us();
        batch->convs.push_back(std::move(conv));
        if (batch->convs.size() == batch_size) {
            send(std::move(batch));
            batch = std::make_shared<WorkBatch>();
        }
        if (sinks.progress && ++since_progress == 65536) {
            since_progress = 0;
            sinks.progress(t, stats);
        }
    }
    batch->last = true;
    send(std::move(batch));
    while (collected < dispatched) {
        deliver(workers.collect(merging));
        ++collected;
    }
    // Every worker is idle now (each has handed back the last batch).
    for (std::size_t e = 0; e < n; ++e) {
        stats.exporters[e].cache = runs[e]->cache().stats();
        stats.exporters[e].packetizer = runs[e]->packetizer().stats();
        stats.exporters[e].ipv6_not_exportable = runs[e]->ipv6_not_exportable();
        stats.peak_in_flight += runs[e]->peak_in_flight();
    }
    return stats;
}

}  // namespace flowlab::gen

/// @brief Merges the activities' models into one time-ordered conversation stream.
#include "flowlab/gen/traffic_source.hpp"

#include <algorithm>
#include <cmath>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/run_check.hpp"
#include "models/model.hpp"

namespace flowlab::gen {

/// One activity: its model, the conversations it generated but that cannot be released yet
/// (a later arrival may still produce an earlier start), and a free list that recycles
/// Conversation objects with their bursts' capacity.
struct TrafficSource::Runner final : models::Sink {
    struct Pending {
        std::int64_t start;
        std::uint64_t seq;
        Conversation* c;
        bool operator>(const Pending& o) const noexcept { return start != o.start ? start > o.start : seq > o.seq; }
    };

    models::Context ctx;
    std::unique_ptr<models::Model> model;
    std::vector<std::unique_ptr<Conversation>> storage;
    std::vector<Conversation*> free;
    std::vector<Conversation*> staged;
    std::vector<Pending> heap;
    std::uint64_t seq = 0;

    Conversation& open(const ConversationKey& key) override {
        Conversation* c = nullptr;
        if (free.empty()) {
            storage.push_back(std::make_unique<Conversation>());
            c = storage.back().get();
            c->bursts.reserve(16);
        } else {
            c = free.back();
            free.pop_back();
        }
        c->key = key;
        c->activity = ctx.index;
        c->bursts.clear();
        staged.push_back(c);
        return *c;
    }

    /// Start of the next conversation that is safe to release, or kNever.
    std::int64_t peek() {
        while (true) {
            const std::int64_t horizon = model->next_time();
            if (!heap.empty() && heap.front().start <= horizon) return heap.front().start;
            if (horizon == kNever) return heap.empty() ? kNever : heap.front().start;
            model->generate(*this);
            for (Conversation* c : staged) {
                if (c->bursts.empty()) {
                    free.push_back(c);
                    continue;
                }
                heap.push_back(Pending{c->start_us(), seq++, c});
                std::push_heap(heap.begin(), heap.end(), std::greater<>{});
            }
            staged.clear();
        }
    }

    void pop_into(Conversation& out) {
        std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
        Conversation* c = heap.back().c;
        heap.pop_back();
        out.activity = c->activity;
        out.key = c->key;
        // Swap, not copy: the caller's old vector comes back to the free list with its capacity.
        out.bursts.swap(c->bursts);
        c->bursts.clear();
        free.push_back(c);
    }
};

TrafficSource::TrafficSource(const Scenario& scenario, const SourceOptions& options) {
    const RunSpan span = RunSpan::of(scenario, options);
    check_run(scenario, span);
    start_ = span.start_us;
    end_ = span.end_us();
    seed_ = options.seed.value_or(scenario.seed);
    scale_ = options.scale;
    for (std::size_t i = 0; i < scenario.activities.size(); ++i) {
        if (!options.only.empty() && std::find(options.only.begin(), options.only.end(), i) == options.only.end()) continue;
        auto r = std::make_unique<Runner>();
        r->ctx.scenario = &scenario;
        r->ctx.activity = &scenario.activities[i];
        r->ctx.index = static_cast<std::uint32_t>(i);
        r->ctx.begin = start_;
        r->ctx.end = end_;
        r->ctx.scale = scale_;
        // Keyed by name: adding or reordering other activities leaves this one's traffic alone.
        r->ctx.key = stream_key(seed_, {fnv1a64(scenario.activities[i].name)});
        r->model = models::make_model(r->ctx);
        runners_.push_back(std::move(r));
    }
    for (std::uint32_t i = 0; i < runners_.size(); ++i) {
        const std::int64_t t = runners_[i]->peek();
        if (t != kNever) heads_.push_back(Head{t, i});
    }
    std::make_heap(heads_.begin(), heads_.end(), [](const Head& a, const Head& b) {
        return a.start != b.start ? a.start > b.start : a.runner > b.runner;
    });
}

TrafficSource::~TrafficSource() = default;

bool TrafficSource::next(Conversation& out) {
    if (heads_.empty()) return false;
    const auto later = [](const Head& a, const Head& b) {
        return a.start != b.start ? a.start > b.start : a.runner > b.runner;
    };
    std::pop_heap(heads_.begin(), heads_.end(), later);
    const std::uint32_t i = heads_.back().runner;
    heads_.pop_back();
    Runner& r = *runners_[i];
    r.pop_into(out);
    out.id = emitted_++;
    const std::int64_t t = r.peek();
    if (t != kNever) {
        heads_.push_back(Head{t, i});
        std::push_heap(heads_.begin(), heads_.end(), later);
    }
    return true;
}

std::size_t TrafficSource::pending() const noexcept {
    std::size_t n = 0;
    for (const auto& r : runners_) n += r->heap.size();
    return n;
}

}  // namespace flowlab::gen

/// @brief Calendar-driven kinds: scheduled bulk transfers (nightly backups) and burst episodes
/// (the report generator). Days are expanded one at a time, so memory does not grow with the
/// span.
#include <algorithm>
#include <cmath>

#include "kinds.hpp"

namespace flowlab::gen::models {

BulkScheduleModel::BulkScheduleModel(const Context& ctx)
    : ctx_(ctx),
      spec_(std::get<BulkSpec>(ctx.activity->spec)),
      sched_(*spec_.schedule),
      site_(ctx.scenario->sites[sched_.site]),
      ends_(ctx_),
      // Runs of the day before the span may not start inside it (they are dropped), but the
      // day before is where a span starting just after midnight finds nothing: start there.
      next_day_(site_.local_day(ctx.begin) - 1),
      last_day_(site_.local_day(ctx.end)) {}

void BulkScheduleModel::expand(std::int64_t day) {
    if (!sched_.days.matches(weekday_from_days(day), site_.day_type(day))) return;
    const std::uint64_t n = ends_.clients().size();
    const std::uint64_t hosts = sched_.hosts ? std::min(*sched_.hosts, n) : n;
    Rng rng = ctx_.rng(kDayStream, static_cast<std::uint64_t>(day));
    for (std::size_t a = 0; a < sched_.at.size(); ++a) {
        // A rotating choice of `hosts` distinct clients when not all of them take part.
        const std::uint64_t first = hosts < n ? rng.below(n) : 0;
        for (std::uint64_t j = 0; j < hosts; ++j) {
            const std::int64_t at = site_.day_start(day) + sched_.at[a] +
                                    static_cast<std::int64_t>(j) * sched_.stagger_us + sched_.jitter.sample_us(rng);
            if (at < ctx_.begin || at >= ctx_.end) continue;
            const std::uint64_t key = stream_key(ctx_.key, {kSessionStream, static_cast<std::uint64_t>(day), a, j});
            runs_.push(Run{at, (first + j) % n, key});
        }
    }
}

std::int64_t BulkScheduleModel::next_time() {
    // Day d's runs start at or after its local midnight + the earliest `at`.
    while (next_day_ <= last_day_ && (runs_.empty() || runs_.top().at >= site_.day_start(next_day_) + sched_.at.front())) {
        expand(next_day_++);
    }
    return runs_.empty() ? kNever : runs_.top().at;
}

void BulkScheduleModel::generate(Sink& sink) {
    next_time();
    const Run r = runs_.top();
    runs_.pop();
    Rng rng(r.key);
    bulk_transfer(ctx_, spec_, ends_, rng, sink, r.at, r.client);
}

BurstModel::BurstModel(const Context& ctx)
    : ctx_(ctx),
      spec_(std::get<BurstSpec>(ctx.activity->spec)),
      site_(ctx.scenario->sites[spec_.window.site]),
      ends_(ctx_),
      next_day_(site_.local_day(ctx.begin) - 1),
      last_day_(site_.local_day(ctx.end)) {}

bool BurstModel::chosen(std::int64_t day) {
    const int wd = weekday_from_days(day);
    if (spec_.per_week == 0) return spec_.days.matches(wd, site_.day_type(day));
    // N random working days of each Monday-to-Sunday week, drawn per week from the seed: the
    // same dates whatever part of the week the span covers.
    const std::int64_t monday = day - wd;
    if (monday != week_monday_) {
        week_monday_ = monday;
        week_days_.clear();
        for (std::int64_t d = monday; d < monday + 7; ++d)
            if (site_.day_type(d) == DayType::weekday) week_days_.push_back(d);
        Rng rng = ctx_.rng(kWeekStream, static_cast<std::uint64_t>(monday));
        const std::size_t keep = std::min<std::size_t>(spec_.per_week, week_days_.size());
        for (std::size_t i = 0; i < keep; ++i) {
            const std::size_t j = i + static_cast<std::size_t>(rng.below(week_days_.size() - i));
            std::swap(week_days_[i], week_days_[j]);
        }
        week_days_.resize(keep);
    }
    return std::find(week_days_.begin(), week_days_.end(), day) != week_days_.end();
}

void BurstModel::expand(std::int64_t day) {
    if (!chosen(day)) return;
    Rng rng = ctx_.rng(kDayStream, static_cast<std::uint64_t>(day));
    const std::uint64_t episodes = std::min<std::uint64_t>(spec_.episodes.sample_count(rng), 1000);
    const std::int64_t window = spec_.window.length_us();
    const double rate_per_us = spec_.rate_per_s * ctx_.scale / 1e6;
    for (std::uint64_t e = 0; e < episodes; ++e) {
        const std::int64_t length = std::clamp<std::int64_t>(spec_.length.sample_us(rng), 1, window);
        const std::int64_t slack = window - length;
        const std::int64_t start = site_.day_start(day) + spec_.window.from_us +
                                   (slack > 0 ? static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(slack) + 1)) : 0);
        Episode ep{0, std::min(start + length, ctx_.end), ends_.clients().size() > 0 ? rng.below(ends_.clients().size()) : 0,
                   stream_key(ctx_.key, {kEpisodeStream, static_cast<std::uint64_t>(day), e}), 0,
                   Rng(stream_key(ctx_.key, {kEpisodeStream, static_cast<std::uint64_t>(day), e}))};
        if (!(rate_per_us > 0)) continue;
        ep.next = std::max(start, ctx_.begin) + static_cast<std::int64_t>(ep.rng.exponential(1.0 / rate_per_us));
        if (ep.next < ep.end) episodes_.push(std::move(ep));
    }
}

std::int64_t BurstModel::next_time() {
    while (next_day_ <= last_day_ &&
           (episodes_.empty() || episodes_.top().next >= site_.day_start(next_day_) + spec_.window.from_us)) {
        expand(next_day_++);
    }
    return episodes_.empty() ? kNever : episodes_.top().next;
}

void BurstModel::generate(Sink& sink) {
    next_time();
    Episode ep = episodes_.top();
    episodes_.pop();
    const std::int64_t t = ep.next;
    Rng rng(stream_key(ep.id, {ep.connections++}));
    const Endpoints::Pair pr = ends_.pick(rng, ep.client);
    if (pr.ok) {
        Conversation& cs = sink.open(pr.c2s);
        Conversation& sc = sink.open(reversed(pr.c2s));
        run_exchange(spec_.exchange, rng, cs, sc, Wire{pr.v6}, t);
    }
    ep.next = t + static_cast<std::int64_t>(ep.rng.exponential(1e6 / (spec_.rate_per_s * ctx_.scale)));
    if (ep.next < ep.end) episodes_.push(std::move(ep));
}

}  // namespace flowlab::gen::models

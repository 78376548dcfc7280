/// @brief Rate-driven kinds: interactive (telnet/ssh-like sessions), web (request/response over
/// TCP), dns (UDP query/answer) and unscheduled bulk transfers — sessions arriving as a
/// non-homogeneous Poisson process that follows the activity's rate curve.
#include <algorithm>
#include <cmath>

#include "kinds.hpp"

namespace flowlab::gen::models {

PoissonModel::PoissonModel(const Context& ctx, Envelope envelope)
    : ctx_(ctx),
      curve_(*ctx.scenario, ctx.activity->arrival, ctx.scale, stream_key(ctx.key, {kNoiseStream}), std::move(envelope)),
      arrivals_(curve_, ctx.rng(kArrivalStream), ctx.begin, ctx.end) {}

std::int64_t PoissonModel::next_time() {
    if (!have_next_) {
        next_ = arrivals_.next();
        have_next_ = true;
    }
    return next_;
}

void PoissonModel::generate(Sink& sink) {
    const std::int64_t t = next_time();
    have_next_ = false;
    Rng rng = ctx_.rng(kSessionStream, sessions_++);
    session(t, rng, sink);
}

// ---------------------------------------------------------------------------------------------
// interactive

InteractiveModel::InteractiveModel(const Context& ctx)
    : PoissonModel(ctx), spec_(std::get<InteractiveSpec>(ctx.activity->spec)), ends_(ctx_) {}

void InteractiveModel::session(std::int64_t t0, Rng& rng, Sink& sink) {
    const Endpoints::Pair pr = ends_.pick(rng);
    if (!pr.ok) return;
    Conversation& cs = sink.open(pr.c2s);
    Conversation& sc = sink.open(reversed(pr.c2s));
    const Wire w{pr.v6};
    TcpExchange x{Train(cs), Train(sc), w, std::max<std::int64_t>(1, spec_.rtt.sample_us(rng)), t0};
    // A session ends when its length is up, or at the end of the generated span.
    const std::int64_t stop = std::min(t0 + std::max<std::int64_t>(spec_.session.sample_us(rng), kUsPerSecond),
                                       ctx_.end - 1);
    x.open();
    // Login: the server's banner and prompt.
    std::int64_t t = x.s2c.data(x.t + x.rtt, std::llround(spec_.screen.sample(rng)) + 1, w, 10e6, kAck | kPsh);
    x.c2s.one(t + 1, w.tcp(), kAck);
    t += spec_.think.sample_us(rng);
    const std::uint32_t payload_cap = w.mss();
    while (t < stop) {
        // A command: keystrokes (each echoed by the server), then the screen it produces.
        const std::uint64_t keys = std::min<std::uint64_t>(spec_.keys.sample_count(rng, 1), 4096);
        const std::int64_t gap = std::max<std::int64_t>(1, spec_.key_interval.sample_us(rng));
        std::uint64_t key_bytes = 0;
        for (std::uint64_t k = 0; k < keys; ++k) {
            key_bytes += std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::llround(spec_.key_size.sample(rng))),
                                                   1, payload_cap);
        }
        const std::int64_t typing = gap * static_cast<std::int64_t>(keys - 1);
        const std::int64_t typed = x.c2s.add(t, t + typing, keys, key_bytes + keys * w.tcp(), kAck | kPsh);
        const std::int64_t echo_start = t + x.rtt;
        const std::int64_t echoed = x.s2c.add(echo_start, echo_start + typing, keys, key_bytes + keys * w.tcp(), kAck | kPsh);
        const auto screen = static_cast<std::uint64_t>(std::max<long long>(1, std::llround(spec_.screen.sample(rng))));
        const std::int64_t shown = x.s2c.data(std::max(typed + x.rtt, echoed + 1), screen, w, 10e6, kAck | kPsh);
        // Delayed ACK of the screen update.
        std::int64_t last = x.c2s.one(shown + 40 * 1000, w.tcp(), kAck);
        const std::int64_t idle_until = std::max(shown, last) + spec_.think.sample_us(rng);
        if (spec_.updates_per_s > 0) {
            // Server-pushed screen updates (quotes, status lines) while the user is idle.
            const double mean_gap = 1e6 / spec_.updates_per_s;
            std::int64_t u = std::max(shown, last) + static_cast<std::int64_t>(rng.exponential(mean_gap));
            while (u < idle_until && u < stop) {
                const auto size = static_cast<std::uint64_t>(std::max<long long>(1, std::llround(spec_.update_size.sample(rng))));
                const std::int64_t end = x.s2c.data(u, size, w, 10e6, kAck | kPsh);
                last = x.c2s.one(end + 40 * 1000, w.tcp(), kAck);
                u = std::max(u, last) + 1 + static_cast<std::int64_t>(rng.exponential(mean_gap));
            }
        }
        t = std::max(idle_until, last + 1);
    }
    x.t = std::max({stop, x.c2s.last() + 1, x.s2c.last() + 1});
    x.close();
}

// ---------------------------------------------------------------------------------------------
// web

WebModel::WebModel(const Context& ctx) : PoissonModel(ctx), spec_(std::get<WebSpec>(ctx.activity->spec)), ends_(ctx_) {}

void WebModel::session(std::int64_t t0, Rng& rng, Sink& sink) {
    const Endpoints::Pair pr = ends_.pick(rng);
    if (!pr.ok) return;
    Conversation& cs = sink.open(pr.c2s);
    Conversation& sc = sink.open(reversed(pr.c2s));
    run_exchange(spec_.exchange, rng, cs, sc, Wire{pr.v6}, t0);
}

// ---------------------------------------------------------------------------------------------
// dns

DnsModel::DnsModel(const Context& ctx) : PoissonModel(ctx), spec_(std::get<DnsSpec>(ctx.activity->spec)), ends_(ctx_) {}

void DnsModel::session(std::int64_t t0, Rng& rng, Sink& sink) {
    Endpoints::Pair pr = ends_.pick(rng);
    if (!pr.ok) return;
    // Resolvers randomize the source port of every query (RFC 5452).
    pr.c2s.sport = static_cast<std::uint16_t>(kEphemeralLow + rng.below(kEphemeralHigh - kEphemeralLow + 1));
    const Wire w{pr.v6};
    const auto cap = static_cast<double>(w.udp_max_payload());
    const auto q = static_cast<std::uint64_t>(std::llround(std::clamp(spec_.query.sample(rng), 0.0, cap)));
    Train(sink.open(pr.c2s)).one(t0, q + w.udp(), 0);
    if (!rng.chance(spec_.unanswered)) {
        const auto r = static_cast<std::uint64_t>(std::llround(std::clamp(spec_.response.sample(rng), 0.0, cap)));
        const std::int64_t rtt = std::max<std::int64_t>(1, spec_.rtt.sample_us(rng));
        Train(sink.open(reversed(pr.c2s))).one(t0 + rtt, r + w.udp(), 0);
    }
}

// ---------------------------------------------------------------------------------------------
// bulk

void bulk_transfer(const Context& ctx, const BulkSpec& spec, Endpoints& ends, Rng& rng, Sink& sink,
                   std::int64_t t0, std::uint64_t client) {
    const Endpoints::Pair pr = ends.pick(rng, client);
    if (!pr.ok) return;
    Conversation& cs = sink.open(pr.c2s);
    Conversation& sc = sink.open(reversed(pr.c2s));
    const Wire w{pr.v6};
    TcpExchange x{Train(cs), Train(sc), w, std::max<std::int64_t>(1, spec.rtt.sample_us(rng)), t0};
    x.open();
    Train& sender = spec.upload ? x.c2s : x.s2c;
    Train& acker = spec.upload ? x.s2c : x.c2s;
    std::int64_t t = x.t;
    if (!spec.upload) {
        // The client asks for the data first.
        t = x.c2s.data(t, 200, w, spec.bandwidth_bps, kAck | kPsh) + x.rtt;
    }
    // How much and until when: a size, or a duration at the bandwidth; cut at the span's end.
    const double max_size = spec.size ? std::max(0.0, std::round(spec.size->sample(rng))) : INFINITY;
    std::int64_t limit = ctx.end - 1;
    if (spec.duration) limit = std::min(limit, t + std::max<std::int64_t>(1, spec.duration->sample_us(rng)));
    const std::uint64_t mss = w.mss();
    const double pkt_bits = static_cast<double>(mss + w.tcp()) * 8.0;
    // With variation, throughput changes every minute (a mean-1 lognormal factor per minute).
    const bool vary = spec.variation > 0;
    const double sigma2 = vary ? std::log1p(spec.variation * spec.variation) : 0.0;
    const std::int64_t chunk_cap = vary ? kUsPerMinute : kNever;
    double remaining = max_size;
    while (remaining >= 1.0 && t < limit) {
        const double factor = vary ? rng.lognormal(-0.5 * sigma2, std::sqrt(sigma2)) : 1.0;
        const double bps = spec.bandwidth_bps * factor;
        const double pkt_us = std::max(1.0, pkt_bits / bps * 1e6);
        const std::int64_t span = std::min(chunk_cap, limit - t);
        // Whole segments in this chunk; the transfer's last chunk may end with a short one.
        auto fit = static_cast<std::uint64_t>(static_cast<double>(span) / pkt_us);
        if (fit == 0) fit = 1;
        std::uint64_t payload = fit * mss;
        if (static_cast<double>(payload) >= remaining) payload = static_cast<std::uint64_t>(remaining);
        const std::uint64_t full = payload / mss;
        const std::uint64_t rest = payload % mss;
        const std::int64_t chunk_start = t;
        if (full > 0) {
            const auto last_at = chunk_start + static_cast<std::int64_t>(pkt_us * static_cast<double>(full - 1));
            t = sender.add(chunk_start, last_at, full, full * (mss + w.tcp()), kAck | kPsh);
        }
        if (rest > 0) t = sender.one(full > 0 ? t + static_cast<std::int64_t>(pkt_us) : chunk_start, rest + w.tcp(), kAck | kPsh);
        const std::uint64_t segs = full + (rest ? 1 : 0);
        const std::uint64_t acks = (segs + 1) / 2;
        acker.add(chunk_start + static_cast<std::int64_t>(pkt_us), t + 1, acks, acks * w.tcp(), kAck);
        remaining -= static_cast<double>(payload);
        t = std::max(t, acker.last()) + 1;
    }
    x.t = std::max({t, x.c2s.last() + 1, x.s2c.last() + 1});
    x.close();
}

BulkPoissonModel::BulkPoissonModel(const Context& ctx)
    : PoissonModel(ctx), spec_(std::get<BulkSpec>(ctx.activity->spec)), ends_(ctx_) {}

void BulkPoissonModel::session(std::int64_t t0, Rng& rng, Sink& sink) {
    bulk_transfer(ctx_, spec_, ends_, rng, sink, t0, ~std::uint64_t{0});
}

}  // namespace flowlab::gen::models

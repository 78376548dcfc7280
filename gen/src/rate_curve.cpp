/// @brief Rate curves (product of linear factors per piece) and thinning arrivals.
#include "flowlab/gen/rate_curve.hpp"

#include <algorithm>
#include <cmath>

namespace flowlab::gen {

double noise_multiplier(const Noise& n, Rng& rng) noexcept {
    if (!(n.cv > 0)) return 1.0;
    if (n.kind == Noise::Kind::gamma) {
        const double shape = 1.0 / (n.cv * n.cv);
        return rng.gamma(shape, 1.0 / shape);
    }
    const double sigma2 = std::log1p(n.cv * n.cv);
    return rng.lognormal(-0.5 * sigma2, std::sqrt(sigma2));
}

RateCurve::RateCurve(const Scenario& s, const ArrivalSpec& spec, double scale, std::uint64_t noise_key,
                     Envelope envelope)
    : s_(&s),
      base_(spec.rate_per_s * scale),
      noise_(spec.noise),
      noise_key_(noise_key),
      days_(spec.days),
      days_site_(spec.site),
      window_(spec.window),
      envelope_(std::move(envelope)) {
    for (std::size_t p : spec.profiles) profiles_.push_back(&s.profiles[p]);
}

double RateCurve::noise_at(std::int64_t t) const noexcept {
    if (!noise_ || !(noise_->cv > 0)) return 1.0;
    const std::int64_t bin = floor_div(t, noise_->bin_us);
    Rng rng(mix64(noise_key_ ^ mix64(static_cast<std::uint64_t>(bin))));
    return noise_multiplier(*noise_, rng);
}

RateCurve::Piece RateCurve::piece(std::int64_t t, std::int64_t limit) const noexcept {
    Piece p;
    p.begin = t;
    std::int64_t end = std::min(limit, t + kMaxPieceUs);
    double constant = base_;

    if (noise_ && noise_->cv > 0) {
        const std::int64_t bin = floor_div(t, noise_->bin_us);
        end = std::min(end, (bin + 1) * noise_->bin_us);
        constant *= noise_at(t);
    }
    if (days_) {
        const Site& site = s_->sites[days_site_];
        const std::int64_t day = site.local_day(t);
        end = std::min(end, site.day_start(day + 1));
        if (!days_->matches(weekday_from_days(day), site.day_type(day))) constant = 0;
    }
    if (window_) {
        const Site& site = s_->sites[window_->site];
        const std::int64_t day = site.local_day(t);
        const std::int64_t tod = t - site.day_start(day);
        const std::int64_t from = window_->from_us, to = window_->to_us;
        const bool inside = from < to ? (tod >= from && tod < to) : (tod >= from || tod < to);
        // Next edge (from or to) strictly after tod, possibly on the next day.
        std::int64_t next = kUsPerDay + std::min(from, to);
        for (std::int64_t edge : {from, to}) {
            if (edge > tod) next = std::min(next, edge);
        }
        end = std::min(end, site.day_start(day) + next);
        if (!inside) constant = 0;
    }
    std::size_t k = 0;
    for (const Profile* prof : profiles_) {
        const Site& site = s_->sites[prof->site];
        const std::int64_t day = site.local_day(t);
        const std::int64_t day_start = site.day_start(day);
        const ProfileShape& shape = prof->shape(weekday_from_days(day), site.is_holiday(day));
        double slope = 0;
        std::int64_t next = 0;
        p.value[k] = shape.eval(t - day_start, slope, next);
        p.slope[k] = slope;
        end = std::min(end, day_start + next);
        ++k;
    }
    if (!envelope_.points.empty()) {
        const auto& pts = envelope_.points;
        double v = 0, slope = 0;
        if (t < pts.front().first) {
            end = std::min(end, pts.front().first);
        } else if (t >= pts.back().first) {
            // After the last point: 0 (a final point at level > 0 is a step down).
        } else {
            const auto it = std::upper_bound(pts.begin(), pts.end(), t,
                                             [](std::int64_t x, const auto& pt) { return x < pt.first; });
            const auto& b = *it;
            const auto& a = *(it - 1);
            slope = (b.second - a.second) / static_cast<double>(b.first - a.first);
            v = a.second + slope * static_cast<double>(t - a.first);
            end = std::min(end, b.first);
        }
        p.value[k] = v;
        p.slope[k] = slope;
        ++k;
    }
    p.factors = k;
    p.constant = constant;
    p.end = std::max(end, t + 1);
    double bound = constant;
    const double len = static_cast<double>(p.end - p.begin);
    for (std::size_t i = 0; i < k && bound > 0; ++i) {
        const double v0 = p.value[i];
        const double v1 = p.value[i] + p.slope[i] * len;
        bound *= std::max({v0, v1, 0.0});
    }
    // A hair of headroom against rounding in the factors' evaluation.
    p.bound = bound * (1.0 + 1e-12);
    return p;
}

double RateCurve::rate(std::int64_t t) const noexcept {
    const Piece p = piece(t, t + 1);
    return p.rate(static_cast<double>(t));
}

double RateCurve::upper_bound(std::int64_t a, std::int64_t b) const noexcept {
    double m = 0;
    for (std::int64_t t = a; t < b;) {
        const Piece p = piece(t, b);
        m = std::max(m, p.bound);
        t = p.end;
    }
    return m;
}

double RateCurve::expected(std::int64_t a, std::int64_t b) const noexcept {
    // 5-point Gauss–Legendre is exact for polynomials up to degree 9.
    static constexpr std::array<double, 5> kX{0.0, -0.5384693101056831, 0.5384693101056831, -0.9061798459386640,
                                              0.9061798459386640};
    static constexpr std::array<double, 5> kW{0.5688888888888889, 0.4786286704993665, 0.4786286704993665,
                                              0.2369268850561891, 0.2369268850561891};
    double sum = 0;
    std::int64_t t = a;
    while (t < b) {
        const Piece p = piece(t, b);
        const double mid = 0.5 * static_cast<double>(p.begin + p.end);
        const double half = 0.5 * static_cast<double>(p.end - p.begin);
        double acc = 0;
        for (std::size_t i = 0; i < 5; ++i) acc += kW[i] * p.rate(mid + half * kX[i]);
        sum += acc * half / 1e6;  // rate is per second, time in µs
        t = p.end;
    }
    return sum;
}

std::int64_t Arrivals::next() noexcept {
    while (true) {
        if (!have_piece_) {
            if (cur_ >= end_) return kNever;
            piece_ = curve_->piece(cur_, end_);
            off_ = 0.0;
            have_piece_ = true;
        }
        const double len = static_cast<double>(piece_.end - piece_.begin);
        if (!(piece_.bound > 0)) {
            cur_ = piece_.end;
            have_piece_ = false;
            continue;
        }
        off_ += -std::log(rng_.uniform_pos()) * 1e6 / piece_.bound;
        if (off_ >= len) {
            // Memorylessness: restarting the exponential clock at the piece's end is exact.
            cur_ = piece_.end;
            have_piece_ = false;
            continue;
        }
        const double t = static_cast<double>(piece_.begin) + off_;
        if (rng_.uniform() * piece_.bound <= piece_.rate(t)) {
            const std::int64_t at = piece_.begin + static_cast<std::int64_t>(off_);
            return at;
        }
        ++rejected_;
    }
}

}  // namespace flowlab::gen

/// @brief Arrival intensity over time and the non-homogeneous Poisson process that follows it.
///
/// rate(t) = base × scale × Π profile_i(t) × envelope(t) × gate(t) × noise(t), where each
/// profile is piecewise linear in its site's local time (shape chosen by the local day type),
/// the envelope is piecewise linear in absolute time (e.g. a DDoS ramp), the gate is 0/1 (days
/// and a daily window) and the noise is a mean-1 random multiplier per epoch-aligned bin.
/// Between breakpoints every factor is linear or constant, so the curve is cut into pieces on
/// which max(rate) is bounded by the product of each factor's larger end value — the bound
/// Lewis–Shedler thinning needs.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "flowlab/gen/random.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen {

inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

/// Piecewise-linear in absolute time through (time, level) points; 0 before the first and
/// after the last point. Empty = constant 1.
struct Envelope {
    std::vector<std::pair<std::int64_t, double>> points;
};

class RateCurve {
public:
    /// At most this many profiles per activity (the parser enforces it).
    static constexpr std::size_t kMaxProfiles = 8;
    /// Pieces are at most this long, so the bound stays tight on long linear stretches.
    static constexpr std::int64_t kMaxPieceUs = 10 * kUsPerMinute;

    /// `noise_key` names the noise stream (the multiplier of bin k depends only on it and k).
    RateCurve(const Scenario& s, const ArrivalSpec& spec, double scale, std::uint64_t noise_key, Envelope envelope = {});

    /// A stretch [begin, end) on which every factor is linear.
    struct Piece {
        std::int64_t begin = 0;
        std::int64_t end = 0;
        double constant = 0.0;  ///< base × scale × gate × noise on this piece
        std::size_t factors = 0;
        std::array<double, kMaxProfiles + 1> value{};  ///< at begin
        std::array<double, kMaxProfiles + 1> slope{};  ///< per µs
        double bound = 0.0;                            ///< >= rate anywhere in the piece (events/s)
        double rate(double t) const noexcept {
            double r = constant;
            const double dt = t - static_cast<double>(begin);
            for (std::size_t i = 0; i < factors; ++i) r *= value[i] + slope[i] * dt;
            return r > 0 ? r : 0.0;
        }
    };
    /// The piece starting at t and ending at the next breakpoint, but no later than `limit`.
    Piece piece(std::int64_t t, std::int64_t limit) const noexcept;
    /// Events per second at t.
    double rate(std::int64_t t) const noexcept;
    /// An upper bound of rate(t) for t in [a, b): the largest piece bound.
    double upper_bound(std::int64_t a, std::int64_t b) const noexcept;
    /// Expected number of events in [a, b): exact to rounding (Gauss–Legendre on each piece,
    /// exact for products of up to 9 linear factors).
    double expected(std::int64_t a, std::int64_t b) const noexcept;
    /// The noise multiplier of the bin holding t (1 without noise).
    double noise_at(std::int64_t t) const noexcept;

private:
    const Scenario* s_;
    std::vector<const Profile*> profiles_;
    double base_ = 0.0;
    std::optional<Noise> noise_;
    std::uint64_t noise_key_ = 0;
    std::optional<DaySet> days_;
    std::size_t days_site_ = 0;
    std::optional<Window> window_;
    Envelope envelope_;
};

/// Arrival times of a non-homogeneous Poisson process with intensity `curve` on [begin, end),
/// by thinning (Lewis & Shedler 1979) against each piece's bound. Returns non-decreasing
/// microsecond times, then kNever.
class Arrivals {
public:
    Arrivals(const RateCurve& curve, Rng rng, std::int64_t begin, std::int64_t end)
        : curve_(&curve), rng_(rng), cur_(begin), end_(end) {}
    std::int64_t next() noexcept;
    /// Candidates drawn and rejected so far (for tests of the bound's tightness).
    std::uint64_t rejected() const noexcept { return rejected_; }

private:
    const RateCurve* curve_;
    Rng rng_;
    std::int64_t cur_;
    std::int64_t end_;
    RateCurve::Piece piece_{};
    bool have_piece_ = false;
    double off_ = 0.0;  ///< µs since piece_.begin (double keeps sub-µs gaps at high rates)
    std::uint64_t rejected_ = 0;
};

/// Mean-1 noise multiplier: gamma or lognormal with coefficient of variation cv.
double noise_multiplier(const Noise& n, Rng& rng) noexcept;

}  // namespace flowlab::gen

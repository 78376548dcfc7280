/// @brief CLI11 validators over core's unit vocabulary (core/units.hpp), so that every command
/// takes durations, times, counts, rates and sizes the same way and refuses the same mistakes
/// with the same message before any work starts.
#pragma once

#include <CLI/CLI.hpp>

namespace flowlab::app::units {

/// A duration with a unit ("90s", "1h30m", "2w"); a bare number is refused.
CLI::Validator duration();
/// A time: ISO 8601 with a zone, a date, `now`, or Unix seconds.
CLI::Validator time();
/// A count with an optional SI multiplier ("500", "10k", "1.5M"), rewritten as a plain number
/// so that CLI11 stores it in the option's numeric type.
CLI::Validator count();
/// A packet rate ("50k", "50kpps", "200/s"), rewritten as packets per second.
CLI::Validator packet_rate();
/// A size in bytes ("512MiB", "2GB", "1.5G").
CLI::Validator size();
/// A fraction ("1%", "0.01").
CLI::Validator fraction();

}  // namespace flowlab::app::units

/// @brief CLI11 validators over core's unit parsers (see cli_units.hpp).
#include "cli_units.hpp"

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "flowlab/core/units.hpp"

namespace flowlab::app::units {
namespace {

/// A validator that accepts what `parse` accepts; CLI11 puts the option name in front of the
/// parser's message ("--duration: expected a duration ..., got \"90\" (no unit ...)").
template <class Parse>
CLI::Validator checked(std::string description, Parse parse) {
    return CLI::Validator(
        [parse](std::string& text) -> std::string {
            try {
                parse(text);
                return {};
            } catch (const core::UnitError& e) {
                return e.what();
            }
        },
        std::move(description));
}

/// Exact decimal text of a double (what CLI11 converts back without loss).
std::string number_text(double v) {
    return fmt::format("{:.17g}", v);
}

}  // namespace

CLI::Validator duration() {
    return checked("DURATION", [](const std::string& s) { core::parse_duration_ns(s); });
}

CLI::Validator time() {
    return checked("TIME", [](const std::string& s) { core::parse_time_arg(s); });
}

CLI::Validator count() {
    return checked("COUNT", [](std::string& s) { s = number_text(core::parse_count(s)); });
}

CLI::Validator packet_rate() {
    return checked("PPS", [](std::string& s) { s = number_text(core::parse_packet_rate(s)); });
}

CLI::Validator size() {
    return checked("SIZE", [](const std::string& s) { core::parse_bytes(s); });
}

CLI::Validator fraction() {
    return checked("FRACTION", [](std::string& s) { s = number_text(core::parse_fraction(s)); });
}

}  // namespace flowlab::app::units

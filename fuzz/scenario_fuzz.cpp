/// @brief libFuzzer target for the scenario reader: any bytes either parse into a scenario (and
/// pass the run check for its own span) or are refused with flowlab's own error, naming the
/// place; anything else (a crash, another exception, a sanitizer report, a hang) is a bug.
///
/// Seeds: the canned scenarios and the bad-scenario fixtures (scripts/test.sh copies them).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/scenario.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const flowlab::gen::Scenario s = flowlab::gen::parse_scenario_text(text, "fuzz.json");
        // Touch the model so a dangling reference in it is caught by ASan.
        volatile std::size_t n = s.activities.size() + s.exporters.size() + s.pools.size();
        (void)n;
    } catch (const flowlab::Error& e) {
        // The documented outcome for bad input: exit 2 with this message. It must name the file.
        if (std::string_view(e.what()).find("fuzz.json") == std::string_view::npos) __builtin_trap();
    }
    return 0;
}

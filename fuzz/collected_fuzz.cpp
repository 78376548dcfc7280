/// @brief libFuzzer target for verify's collector-output readers: the first byte picks the tool
/// (or none, so the format is detected from the content), the rest is the file. Every input
/// either reads to the end or is refused with flowlab's own error naming the file; anything
/// else (a crash, another exception, a sanitizer report, a hang) is a bug.
///
/// The readers take files (or a child's output), not buffers, so each input is written to a
/// file under /dev/shm first: the fuzzer tests the code path verify runs.
///
/// Seeds: the captured outputs in tests/verify/fixtures/crafted, each behind every tool byte
/// (scripts/test.sh builds the corpus).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "flowlab/core/error.hpp"
#include "flowlab/core/flow_record.hpp"
#include "flowlab/verify/collected.hpp"

namespace {

const std::string& scratch_path() {
    static const std::string path = "/dev/shm/flowlab-fuzz-collected-" + std::to_string(::getpid());
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowlab;
    if (size == 0) return 0;
    verify::CollectedSpec spec;
    // Byte 0: 0-4 a tool (verify::Tool), anything else no tool (detection).
    if (data[0] <= static_cast<std::uint8_t>(verify::Tool::goflow2)) spec.tool = static_cast<verify::Tool>(data[0]);
    spec.path = scratch_path();
    if (std::FILE* f = std::fopen(spec.path.c_str(), "wb")) {
        std::fwrite(data + 1, 1, size - 1, f);
        std::fclose(f);
    } else {
        __builtin_trap();
    }
    try {
        const auto reader = verify::open_collected(spec);
        core::FlowRecord r;
        std::size_t records = 0;
        while (reader->next(r)) {
            ++records;
            volatile std::size_t touch = r.bytes + r.packets + reader->place();
            (void)touch;
        }
    } catch (const Error& e) {
        // Refused as bad input: the message must name the file, like verify's exit 2.
        if (std::string_view(e.what()).find(spec.path) == std::string_view::npos) __builtin_trap();
    }
    // Removed after every input rather than at exit: a fuzzer stopped by a timeout, a crash
    // report or a signal runs no cleanup, and the file must not outlive it in /dev/shm.
    ::unlink(spec.path.c_str());
    return 0;
}

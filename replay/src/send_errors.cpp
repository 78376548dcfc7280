/// @brief Send error counts and errno names.
#include "flowlab/replay/send_errors.hpp"

#include <cerrno>
#include <cstring>

namespace flowlab::replay {

std::uint64_t SendErrors::total() const noexcept {
    std::uint64_t n = 0;
    for (auto c : by_errno) n += c;
    return n;
}

std::uint64_t SendErrors::lost() const noexcept { return by_errno[ECONNREFUSED] + skipped; }

std::vector<std::pair<std::string, std::uint64_t>> SendErrors::list() const {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (std::size_t e = 0; e < kSlots; ++e) {
        if (by_errno[e]) out.emplace_back(errno_name(static_cast<int>(e)), by_errno[e]);
    }
    return out;
}

std::string errno_name(int err) {
    if (const char* n = strerrorname_np(err)) return n;
    return "errno " + std::to_string(err);
}

}  // namespace flowlab::replay

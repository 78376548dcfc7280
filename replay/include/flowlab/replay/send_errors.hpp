/// @brief Counting send errors by kind (errno), for the summary and --stats-json.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace flowlab::replay {

/// Send errors by errno value; ECONNREFUSED (UDP), ENOBUFS and EAGAIN are
/// retried, the rest skip the datagram or frame.
struct SendErrors {
    static constexpr std::size_t kSlots = 160;  ///< Linux errno values are below 134
    std::array<std::uint64_t, kSlots> by_errno{};
    std::uint64_t skipped = 0;  ///< datagrams never sent because of an error that is not retried
    void count(int err) noexcept {
        const auto e = static_cast<std::size_t>(err);
        ++by_errno[e < kSlots ? e : 0];
    }
    std::uint64_t total() const noexcept;
    /// Datagrams known not to have arrived: each ECONNREFUSED reports an earlier datagram the
    /// target refused (at least one: the kernel keeps one pending error per socket), plus the
    /// ones never sent. ENOBUFS/EAGAIN are retried until sent and do not count.
    std::uint64_t lost() const noexcept;
    /// (name, count) for every errno seen, e.g. ("ECONNREFUSED", 12).
    std::vector<std::pair<std::string, std::uint64_t>> list() const;
};

/// Name of an errno value ("ECONNREFUSED"), or "errno N".
std::string errno_name(int err);

}  // namespace flowlab::replay

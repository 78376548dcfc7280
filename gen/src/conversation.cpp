/// @brief Burst::first_at_or_after and the Conversation totals (see conversation.hpp).
#include "flowlab/gen/conversation.hpp"

namespace flowlab::gen {

std::uint64_t Burst::first_at_or_after(std::int64_t t) const noexcept {
    if (t <= start_us) return 0;
    if (packets <= 1 || t > end_us) return packets;
    // Packet i is at start + floor(i·span/(n-1)); the smallest i with that >= t is
    // ceil((t - start)·(n-1) / span), exact in 128-bit arithmetic.
    const auto span = static_cast<std::uint64_t>(end_us - start_us);
    const auto need = static_cast<std::uint64_t>(t - start_us);
    const detail::Uint128 num = static_cast<detail::Uint128>(need) * (packets - 1);
    const auto i = static_cast<std::uint64_t>((num + span - 1) / span);
    return i < packets ? i : packets;
}

std::uint64_t Conversation::packets() const noexcept {
    std::uint64_t n = 0;
    for (const Burst& b : bursts) n += b.packets;
    return n;
}

std::uint64_t Conversation::bytes() const noexcept {
    std::uint64_t n = 0;
    for (const Burst& b : bursts) n += b.bytes;
    return n;
}

std::uint8_t Conversation::tcp_flags() const noexcept {
    std::uint8_t f = 0;
    for (const Burst& b : bursts) f = static_cast<std::uint8_t>(f | b.tcp_flags);
    return f;
}

}  // namespace flowlab::gen

/// @brief Conversation and Burst arithmetic (exact packet times and sizes).
#include "flowlab/gen/conversation.hpp"

namespace flowlab::gen {

namespace {
// GCC/clang extension; __extension__ keeps -Wpedantic quiet about the type name.
__extension__ typedef unsigned __int128 U128;
}  // namespace

std::uint64_t Burst::first_at_or_after(std::int64_t t) const noexcept {
    if (packets == 0 || t <= start_us) return 0;
    if (t > end_us) return packets;
    const auto x = static_cast<std::uint64_t>(t - start_us);  // > 0
    const auto d = static_cast<std::uint64_t>(end_us - start_us);
    if (packets == 1 || d == 0) return packets;  // every packet is at start_us < t
    // packet_time(i) >= t  <=>  floor(i*d/(n-1)) >= x  <=>  i*d >= x*(n-1)
    const U128 need = static_cast<U128>(x) * (packets - 1);
    const auto i = static_cast<std::uint64_t>((need + d - 1) / d);
    return i < packets ? i : packets;
}

std::uint64_t Conversation::packets() const noexcept {
    std::uint64_t n = 0;
    for (const auto& b : bursts) n += b.packets;
    return n;
}

std::uint64_t Conversation::bytes() const noexcept {
    std::uint64_t n = 0;
    for (const auto& b : bursts) n += b.bytes;
    return n;
}

std::uint8_t Conversation::tcp_flags() const noexcept {
    std::uint8_t f = 0;
    for (const auto& b : bursts) f |= b.tcp_flags;
    return f;
}

}  // namespace flowlab::gen

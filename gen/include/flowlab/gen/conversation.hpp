/// @brief Traffic truth: a conversation (one direction of one application exchange) as a
/// sequence of packet trains, with the exact packet times and sizes every later stage uses.
///
/// A Burst is a train of `packets` packets at evenly spaced instants: packet i (0-based) is at
///     start_us + (i * (end_us - start_us)) / (packets - 1)      (integer division; packets > 1)
/// and at start_us when packets == 1. Sizes are as even as integers allow: each packet has
/// bytes / packets bytes and the first bytes % packets packets one byte more. Every packet of
/// a burst carries `tcp_flags` except that SYN/FIN/RST bursts are single-packet bursts of their
/// own. So the meter can count packets and bytes in any time window in O(1), the packet writer
/// can emit the same packets one by one, and truth stays exact at any scale.
#pragma once

#include <cstdint>
#include <vector>

#include "flowlab/core/ip_address.hpp"

namespace flowlab::gen {

namespace detail {
// GCC/clang extension; __extension__ keeps -Wpedantic quiet about the type name.
__extension__ typedef unsigned __int128 Uint128;
}  // namespace detail

struct Burst {
    std::int64_t start_us = 0;  ///< first packet, Unix epoch microseconds
    std::int64_t end_us = 0;    ///< last packet (== start_us when packets == 1)
    std::uint64_t packets = 0;  ///< >= 1
    std::uint64_t bytes = 0;    ///< IP-level bytes (IP header included), >= packets * 20
    std::uint8_t tcp_flags = 0;

    /// Time of packet i.
    std::int64_t packet_time(std::uint64_t i) const noexcept {
        if (packets <= 1) return start_us;
        return start_us + static_cast<std::int64_t>(
                              (static_cast<detail::Uint128>(i) * static_cast<std::uint64_t>(end_us - start_us)) /
                              (packets - 1));
    }
    /// Size of packet i.
    std::uint64_t packet_size(std::uint64_t i) const noexcept {
        return bytes / packets + (i < bytes % packets ? 1 : 0);
    }
    /// Total bytes of packets [0, i).
    std::uint64_t bytes_before(std::uint64_t i) const noexcept {
        const std::uint64_t rem = bytes % packets;
        return i * (bytes / packets) + (i < rem ? i : rem);
    }
    /// Index of the first packet at or after time t (== packets if none).
    std::uint64_t first_at_or_after(std::int64_t t) const noexcept;
};

struct ConversationKey {
    core::IpAddress src;
    core::IpAddress dst;
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;  ///< ICMP: type << 8 | code, as v5 carries it
    std::uint8_t proto = 0;
    std::uint8_t tos = 0;
    friend bool operator==(const ConversationKey&, const ConversationKey&) = default;
};

/// One direction of one exchange: what really crossed the wire. `bursts` are in time order and
/// do not overlap. A TCP session yields two conversations (client->server, server->client).
struct Conversation {
    std::uint64_t id = 0;        ///< unique in a run, in order of creation
    std::uint32_t activity = 0;  ///< index into the scenario's activities
    ConversationKey key;
    std::vector<Burst> bursts;

    std::int64_t start_us() const noexcept { return bursts.empty() ? 0 : bursts.front().start_us; }
    std::int64_t end_us() const noexcept { return bursts.empty() ? 0 : bursts.back().end_us; }
    std::uint64_t packets() const noexcept;
    std::uint64_t bytes() const noexcept;
    std::uint8_t tcp_flags() const noexcept;
};

}  // namespace flowlab::gen

/// @brief `gen --packets`: the packets of every conversation as an Ethernet capture, merged
/// across conversations in timestamp order with memory bounded by the conversations in flight.
///
/// Packet i of a burst is exactly the packet the truth describes (Burst::packet_time,
/// Burst::packet_size, the burst's TCP flags): its IP total length is the truth's size, so
/// the packets and bytes per conversation in the capture equal truth/conversations.csv.
/// Conversations arrive in non-decreasing start order; a packet is written once no
/// conversation still to come can have an earlier one. Ties are broken by conversation id,
/// so the capture is a pure function of the conversation stream.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "flowlab/core/pcap_io.hpp"
#include "flowlab/gen/conversation.hpp"

namespace flowlab::gen {

/// Limits for very large scenarios. Each conversation gets its first
/// min(packets, per_conversation, max_packets - written so far) packets, decided when it
/// arrives, so every admitted packet is eventually written and the total never exceeds the cap.
struct PacketBudget {
    std::uint64_t max_packets = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t per_conversation = std::numeric_limits<std::uint64_t>::max();
    bool limited() const noexcept {
        return max_packets != std::numeric_limits<std::uint64_t>::max() ||
               per_conversation != std::numeric_limits<std::uint64_t>::max();
    }
};

/// What a conversation looks like in packets.pcap when only its first `packets` packets are
/// written (all of them when nothing limits it).
struct WrittenPart {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint8_t tcp_flags = 0;
    std::int64_t first_us = 0;
    std::int64_t last_us = 0;
};
WrittenPart written_part(const Conversation& c, std::uint64_t packets);

/// Decides how many packets of each conversation go into the capture.
class PacketAdmission {
public:
    explicit PacketAdmission(PacketBudget budget) : budget_(budget) {}
    /// Packets of `c` to write (0: none); counts them as admitted.
    std::uint64_t admit(const Conversation& c) noexcept;
    std::uint64_t admitted_packets() const noexcept { return admitted_; }
    std::uint64_t conversations_full() const noexcept { return full_; }
    std::uint64_t conversations_truncated() const noexcept { return truncated_; }
    std::uint64_t conversations_omitted() const noexcept { return omitted_; }
    const PacketBudget& budget() const noexcept { return budget_; }

private:
    PacketBudget budget_;
    std::uint64_t admitted_ = 0;
    std::uint64_t full_ = 0, truncated_ = 0, omitted_ = 0;
};

/// Builds each packet's frame (libtins) and writes it through `pcap` in timestamp order.
class PacketStream {
public:
    explicit PacketStream(core::PcapWriter& pcap);
    ~PacketStream();
    PacketStream(const PacketStream&) = delete;
    PacketStream& operator=(const PacketStream&) = delete;

    /// Adds the first `packets` packets of `c` (start not before any conversation added
    /// earlier) after writing every pending packet earlier than its start. Throws Error if
    /// conversations arrive out of order or a packet is smaller than its IP and transport
    /// headers (the truth could not be represented).
    void add(const Conversation& c, std::uint64_t packets);
    /// Writes everything still pending.
    void finish();
    std::uint64_t packets_written() const noexcept;
    /// Most conversations held at once (the merge's memory bound).
    std::size_t peak_active() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowlab::gen

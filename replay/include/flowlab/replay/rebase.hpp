/// @brief --rebase-time: moving every absolute time in the exports by whole seconds, and
/// continuing sequence numbers across loops.
///
/// While the capture loads, each datagram is walked once with core::Decoder::visit (template
/// aware, templates kept per session as a collector keeps them) and the place of every field
/// to rewrite is recorded as a patch. Sending then copies the payload and applies the patches
/// with the current shift: no decoding in the send loop.
///
/// Rewritten: the header export time (v5 and v9 unix_secs, IPFIX exportTime) and, inside
/// v9/IPFIX data records, every element the catalog types as an absolute time
/// (dateTimeSeconds/Milliseconds/Microseconds/Nanoseconds: flowStart/End* 150-157,
/// systemInitTimeMilliseconds 160, ...). The shift is a whole number of seconds, so v5
/// unix_nsecs and NTP fractions stay as they are; sysUptime and uptime-relative times
/// (v5 first/last, IEs 21/22) are not touched, so every flow's absolute time moves by exactly
/// the shift (the exporter's boot time moves with it).
///
/// Sequence numbers continue per session (exporter address and port, version, observation
/// domain / source id / v5 engine): loop k adds k times what the sequence advanced over the
/// whole capture (v5: flows, v9: packets, IPFIX: data records, counted up to and including
/// the last message), so a collector sees one gap-free stream across loops.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/ip_address.hpp"

namespace flowlab::replay {

struct RebaseStats {
    std::uint64_t messages = 0;               ///< v5/v9/IPFIX messages whose header was found
    std::uint64_t not_flow = 0;               ///< datagrams without one (sent unchanged)
    std::uint64_t time_fields = 0;            ///< absolute time fields found in data records
    std::uint64_t odd_length_times = 0;       ///< absolute time fields in a length that cannot be shifted
    std::uint64_t sets_without_template = 0;  ///< data sets whose template was not known yet
    std::uint64_t sessions = 0;
};

/// One sequence-number session of the capture and what its sequence advances per loop.
struct SessionAdvance {
    core::IpAddress exporter;
    std::uint16_t port = 0;
    std::uint8_t version = 0;
    std::uint32_t domain = 0;  ///< observation domain, v9 source id, v5 engine type << 8 | id
    std::uint32_t advance = 0;
};

class RebasePlan {
public:
    enum class PatchKind : std::uint8_t { seconds32, millis64, ntp64, sequence32 };
    struct Patch {
        std::uint16_t offset;
        PatchKind kind;
        std::uint32_t session;  ///< for sequence32
    };

    RebasePlan();
    ~RebasePlan();
    RebasePlan(const RebasePlan&) = delete;
    RebasePlan& operator=(const RebasePlan&) = delete;

    /// Records the patches of datagram `index` (must be called with 0, 1, 2, ... in order).
    void observe(std::size_t index, std::span<const std::uint8_t> payload, const core::IpAddress& exporter,
                 std::uint16_t port, std::uint64_t packet_number);
    /// Ends observation. `span_ns` is last minus first capture time, `count` the datagrams.
    void finish(std::int64_t span_ns, std::size_t count);

    /// True when at least one message header was found.
    bool has_export_time() const noexcept { return has_first_; }
    /// Export time (Unix seconds) in the header of the first message in the file.
    std::uint32_t first_export_s() const noexcept { return first_export_s_; }
    /// Seconds the shift grows by on each loop: the capture's span plus one mean inter-packet
    /// gap, rounded up to whole seconds (at least 1).
    std::int64_t loop_shift_s() const noexcept { return loop_shift_s_; }
    /// What each session's sequence advances per loop (mod 2^32), by session index.
    const std::vector<std::uint32_t>& sequence_advance() const noexcept { return advance_; }
    /// The same with each session's exporter, port, version and domain (after finish()).
    const std::vector<SessionAdvance>& sessions() const noexcept { return sessions_; }

    /// Copies datagram `index` (`in`) to `out` (same size) with times moved by `shift_s`
    /// seconds and sequence numbers advanced for loop `loop` (0-based).
    void apply(std::size_t index, std::span<const std::uint8_t> in, std::uint8_t* out, std::int64_t shift_s,
               std::uint64_t loop) const noexcept;

    std::span<const Patch> patches(std::size_t index) const noexcept {
        return {patches_.data() + begin_[index], patches_.data() + begin_[index + 1]};
    }
    const RebaseStats& stats() const noexcept { return stats_; }

private:
    struct Visitor;
    std::unique_ptr<Visitor> visitor_;
    core::Decoder decoder_;
    std::vector<Patch> patches_;
    std::vector<std::uint64_t> begin_{0};
    std::vector<std::uint32_t> advance_;
    std::vector<SessionAdvance> sessions_;
    bool has_first_ = false;
    std::uint32_t first_export_s_ = 0;
    std::int64_t loop_shift_s_ = 1;
    RebaseStats stats_;
};

}  // namespace flowlab::replay

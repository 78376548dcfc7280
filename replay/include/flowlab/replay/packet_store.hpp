/// @brief The packets of one capture file, held in memory so the send loop never parses.
///
/// Exports mode keeps each UDP datagram's payload, capture time and exporter (source address);
/// packets mode keeps each frame. core::PcapReader does all the parsing; the store only keeps
/// where the bytes are, in a fixed 24-byte index entry per packet.
///
/// Where the bytes are: a classic pcap file (the format gen writes; micro- or nanosecond,
/// either byte order) is mapped into memory and the index points into the mapping: no copy,
/// and the pages are the page cache's own, so the capture costs 24 bytes per packet of
/// private memory plus its file pages. Measured here for 100k datagrams of 1464 bytes,
/// copying them into fresh memory took 55-90 ms (page faults) against 85 ms for sending
/// them all. pcapng files, pcap variants and pipes are read by libpcap and copied into an
/// arena of fixed 64 MiB chunks instead, about their size. A mapped file must not be
/// truncated while it is replayed (the mapping would fault).
///
/// For a regular file the store can load in a background thread while the sender starts on
/// the packets already there: the whole-process time is then max(read, send) instead of their
/// sum. Stored bytes never move; the index is reserved up front from the file size. Standard
/// input and pipes are loaded completely first.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "flowlab/core/ip_address.hpp"
#include "flowlab/core/pcap_io.hpp"

namespace flowlab::replay {

struct StoredPacket {
    const std::uint8_t* data = nullptr;
    std::int64_t ts_ns = 0;  ///< capture time, Unix epoch ns
    std::uint32_t length = 0;
    std::uint32_t source = 0;  ///< exporter index (exports mode); 0 in packets mode
};

/// One anonymous mapping that can be reserved large and grown (moved) while nobody reads it.
class MappedRegion {
public:
    MappedRegion() = default;
    ~MappedRegion();
    MappedRegion(MappedRegion&& o) noexcept;
    MappedRegion& operator=(MappedRegion&&) = delete;
    MappedRegion(const MappedRegion&) = delete;
    MappedRegion& operator=(const MappedRegion&) = delete;
    /// Reserves `bytes` of address space (pages are committed when first written).
    /// Throws IoError when the OS refuses.
    void reserve(std::size_t bytes);
    /// Grows to at least `bytes`, possibly moving the mapping. Throws IoError.
    void grow(std::size_t bytes);
    std::uint8_t* data() const noexcept { return data_; }
    std::size_t capacity() const noexcept { return capacity_; }

private:
    std::uint8_t* data_ = nullptr;
    std::size_t capacity_ = 0;
};

class PacketStore {
public:
    enum class Kind : std::uint8_t {
        udp_payloads,  ///< exports mode: UDP payloads of any link type the core reads
        frames,        ///< packets mode: whole Ethernet frames
    };
    /// Information the loader hands to the per-datagram hook (exports mode).
    struct Loaded {
        std::size_t index;                      ///< 0-based index in the store
        std::span<const std::uint8_t> payload;  ///< the stored bytes
        const core::UdpDatagram* datagram;      ///< addresses, ports, packet number in the file
    };
    using Hook = std::function<void(const Loaded&)>;

    /// Opens the capture file. Throws InputError if it cannot be read or is not a capture
    /// file, and (frames) if its link type is not Ethernet.
    PacketStore(const std::string& path, Kind kind);
    ~PacketStore();
    PacketStore(const PacketStore&) = delete;
    PacketStore& operator=(const PacketStore&) = delete;

    /// Called in the loading thread for each stored datagram, in file order (exports mode).
    void set_hook(Hook hook) { hook_ = std::move(hook); }

    /// Loads everything now. Throws InputError on a damaged file or when nothing usable is in
    /// it ("no UDP datagrams" / "no frames").
    void load();
    /// Starts loading in a background thread when the input is a regular file (otherwise
    /// loads now). The thread blocks all signals, so SIGINT/SIGTERM reach the sender.
    void start_loading();

    /// Waits until packet `i` is stored or loading has ended; returns the number of packets
    /// stored at that point (> i unless the file has fewer). Returns early when `stop` is set.
    /// Rethrows the loader's error, if it failed.
    std::size_t wait_for(std::size_t i, const std::atomic<bool>* stop = nullptr);
    /// True when loading has ended (successfully or not).
    bool complete() const noexcept { return done_.load(std::memory_order_acquire); }
    /// Waits for the loader to end and rethrows its error, if any.
    void finish();
    /// Tells a background loader to stop early (the sender is done) and waits for it.
    void cancel() noexcept;

    /// Packets stored so far (all of them once complete()).
    std::size_t size() const noexcept { return available_.load(std::memory_order_acquire); }
    const StoredPacket& operator[](std::size_t i) const noexcept { return index_view()[i]; }
    static std::span<const std::uint8_t> bytes(const StoredPacket& p) noexcept { return {p.data, p.length}; }

    // The rest is valid once complete().
    const std::string& path() const noexcept { return path_; }
    Kind kind() const noexcept { return kind_; }
    /// Distinct exporter (source) addresses, in order of first appearance.
    const std::vector<core::IpAddress>& exporters() const noexcept { return exporters_; }
    std::uint64_t total_bytes() const noexcept { return total_bytes_; }
    std::uint32_t max_length() const noexcept { return max_length_; }
    std::int64_t first_ts_ns() const noexcept { return first_ts_; }
    std::int64_t last_ts_ns() const noexcept { return last_ts_; }
    /// Frames whose capture was cut short (snap length): injected as captured.
    std::uint64_t truncated_frames() const noexcept { return truncated_frames_; }
    const core::PcapReadStats& read_stats() const noexcept { return read_stats_; }
    /// Private memory the store holds: copied bytes plus the index.
    std::uint64_t memory_bytes() const noexcept { return copied_bytes_ + size() * sizeof(StoredPacket); }
    /// Bytes of the file mapped in place of copies (0 when every packet was copied).
    std::uint64_t mapped_bytes() const noexcept { return map_ ? map_size_ : 0; }
    /// Time the loading took (valid once complete()).
    std::int64_t load_ns() const noexcept { return load_ns_; }

private:
    const StoredPacket* index_view() const noexcept {
        return reinterpret_cast<const StoredPacket*>(index_.data());
    }
    void map_classic_pcap(int fd, std::size_t size);
    /// Next record of the mapped classic pcap; false at its end. Throws InputError naming
    /// the packet and byte offset when a record runs past the end of the file.
    bool next_mapped_frame(core::Frame& f);
    const std::uint8_t* copy(std::span<const std::uint8_t> data);
    void run_loader() noexcept;
    void load_all();
    void append(const std::uint8_t* data, std::size_t length, std::int64_t ts_ns, std::uint32_t source);
    void fail_if_empty();

    std::string path_;
    Kind kind_;
    std::unique_ptr<core::PcapReader> reader_;
    Hook hook_;
    // The mapped capture (classic pcap) and the position of the next record in it.
    std::uint8_t* map_ = nullptr;
    std::size_t map_size_ = 0;
    std::size_t map_pos_ = 0;
    bool map_big_endian_ = false;  ///< record headers in big-endian order (the writer's host order)
    bool map_nano_ = false;     ///< nanosecond timestamps
    std::uint64_t mapped_frames_ = 0;
    // Copies: fixed chunks that never move, so the sender may read while the loader adds.
    std::vector<MappedRegion> chunks_;
    std::size_t chunk_used_ = 0;
    MappedRegion index_;
    bool concurrent_ = false;  ///< index sized from the file: may load in the background
    bool background_ = false;  ///< a loader thread runs (set before it starts)
    std::size_t count_ = 0;    ///< loader's own count (published through available_)
    std::atomic<std::size_t> available_{0};
    std::atomic<bool> done_{false};
    std::atomic<bool> cancel_{false};
    std::int64_t load_ns_ = 0;
    std::exception_ptr error_;
    std::thread thread_;

    std::vector<core::IpAddress> exporters_;
    std::unordered_map<core::IpAddress, std::uint32_t> exporter_index_;
    std::uint64_t total_bytes_ = 0;
    std::uint64_t copied_bytes_ = 0;
    std::uint32_t max_length_ = 0;
    std::int64_t first_ts_ = 0;
    std::int64_t last_ts_ = 0;
    std::uint64_t truncated_frames_ = 0;
    core::PcapReadStats read_stats_;
};

}  // namespace flowlab::replay

/// @brief Loading a capture file into memory (mapped where possible), optionally while the
/// sender already runs.
#include "flowlab/replay/packet_store.hpp"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"

namespace flowlab::replay {

namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kChunk = 64u << 20;

std::size_t round_up(std::size_t n, std::size_t to) {
    return (n + to - 1) / to * to;
}

// Smallest pcap record that can hold what the store keeps: a 16-byte record header plus an
// IPv4 and UDP header (raw link type) for datagrams, or a bare record header for frames.
constexpr std::size_t kMinUdpRecord = 16 + 20 + 8;
constexpr std::size_t kMinFrameRecord = 16;

// Classic pcap: 24-byte file header, then records of a 16-byte header (seconds, fraction,
// captured length, wire length) and the captured bytes. Microsecond and nanosecond magic, in
// either byte order; other variants are copied.
constexpr std::uint32_t kMagicMicro = 0xA1B2C3D4;
constexpr std::uint32_t kMagicNano = 0xA1B23C4D;
constexpr std::size_t kFileHeader = 24;
constexpr std::size_t kRecordHeader = 16;
constexpr std::uint32_t kMaxRecord = 256u << 10;  // libpcap's largest snap length

}  // namespace

MappedRegion::~MappedRegion() {
    if (data_) munmap(data_, capacity_);
}

MappedRegion::MappedRegion(MappedRegion&& o) noexcept : data_(o.data_), capacity_(o.capacity_) {
    o.data_ = nullptr;
    o.capacity_ = 0;
}

void MappedRegion::reserve(std::size_t bytes) {
    bytes = round_up(std::max<std::size_t>(bytes, kPage), kPage);
    void* p =
        mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        throw IoError("cannot reserve " + std::to_string(bytes >> 20) +
                      " MiB of memory for the capture: " + std::strerror(errno));
    }
    if (data_) munmap(data_, capacity_);
    data_ = static_cast<std::uint8_t*>(p);
    capacity_ = bytes;
}

void MappedRegion::grow(std::size_t bytes) {
    if (bytes <= capacity_) return;
    if (!data_) return reserve(bytes);
    const std::size_t want = round_up(std::max(bytes, capacity_ * 2), kPage);
    void* p = mremap(data_, capacity_, want, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) {
        throw IoError("cannot grow the capture's memory to " + std::to_string(want >> 20) +
                      " MiB: " + std::strerror(errno));
    }
    data_ = static_cast<std::uint8_t*>(p);
    capacity_ = want;
}

PacketStore::PacketStore(const std::string& path, Kind kind)
    : path_(path), kind_(kind), reader_(std::make_unique<core::PcapReader>(path)) {
    if (kind_ == Kind::frames && reader_->link_type() != core::LinkType::ethernet) {
        const int dlt = reader_->raw_link_type();
        const char* name = pcap_datalink_val_to_name(dlt);
        throw InputError(path_, std::string("link type ") + (name ? name : "?") + " (" + std::to_string(dlt) +
                                    ") is not Ethernet: --iface injects whole Ethernet frames");
    }
    const int fd = path == "-" ? -1 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        // Each packet needs a record of at least the minimum size: the index can be sized
        // from the file alone and never moves.
        const auto size = static_cast<std::size_t>(st.st_size);
        const std::size_t min_record = kind_ == Kind::frames ? kMinFrameRecord : kMinUdpRecord;
        index_.reserve((size / min_record + 16) * sizeof(StoredPacket));
        concurrent_ = true;
        map_classic_pcap(fd, size);
    } else {
        index_.reserve((1u << 20) * sizeof(StoredPacket));
    }
    if (fd >= 0) ::close(fd);
}

void PacketStore::map_classic_pcap(int fd, std::size_t size) {
    std::uint8_t magic_bytes[4] = {};
    if (size < kFileHeader || ::pread(fd, magic_bytes, 4, 0) != 4) return;
    // The writer's host order: the magic number reads right in exactly one of the two.
    const std::uint32_t le = core::load_le32(magic_bytes);
    const std::uint32_t be = core::load_be32(magic_bytes);
    if (le == kMagicMicro || le == kMagicNano) {
        map_big_endian_ = false;
        map_nano_ = le == kMagicNano;
    } else if (be == kMagicMicro || be == kMagicNano) {
        map_big_endian_ = true;
        map_nano_ = be == kMagicNano;
    } else {
        return;  // pcapng or a variant: libpcap reads it, the store copies
    }
    // Private and writable: nothing writes, but a write would stay in this process.
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) return;
    map_ = static_cast<std::uint8_t*>(p);
    map_size_ = size;
    map_pos_ = kFileHeader;
}

PacketStore::~PacketStore() {
    cancel();
    if (map_) munmap(map_, map_size_);
}

bool PacketStore::next_mapped_frame(core::Frame& f) {
    if (map_pos_ >= map_size_) return false;
    const std::uint64_t number = mapped_frames_ + 1;
    if (map_size_ - map_pos_ < kRecordHeader) {
        throw InputError(path_, InputError::Place{number, {}, map_pos_},
                         "damaged capture file: record header cut off by the end of the file");
    }
    std::uint32_t h[4];
    for (std::size_t i = 0; i < 4; ++i) {
        const std::uint8_t* field = map_ + map_pos_ + 4 * i;
        h[i] = map_big_endian_ ? core::load_be32(field) : core::load_le32(field);
    }
    const std::uint32_t caplen = h[2];
    const std::size_t at = map_pos_ + kRecordHeader;
    if (caplen > kMaxRecord) {
        throw InputError(path_, InputError::Place{number, {}, map_pos_},
                         "damaged capture file: record of " + std::to_string(caplen) + " bytes");
    }
    if (caplen > map_size_ - at) {
        throw InputError(path_, InputError::Place{number, {}, map_pos_},
                         "damaged capture file: record of " + std::to_string(caplen) + " bytes, only " +
                             std::to_string(map_size_ - at) + " left in the file");
    }
    // Seconds are unsigned in the file format (good until 2106).
    f.number = number;
    f.ts_ns = std::int64_t{h[0]} * 1'000'000'000 + std::int64_t{h[1]} * (map_nano_ ? 1 : 1000);
    f.wire_length = h[3];
    f.data = std::span<const std::uint8_t>(map_ + at, caplen);
    map_pos_ = at + caplen;
    ++mapped_frames_;
    return true;
}

const std::uint8_t* PacketStore::copy(std::span<const std::uint8_t> data) {
    if (chunks_.empty() || chunk_used_ + data.size() > chunks_.back().capacity()) {
        MappedRegion r;
        r.reserve(std::max(kChunk, data.size()));
        chunks_.push_back(std::move(r));
        chunk_used_ = 0;
    }
    std::uint8_t* out = chunks_.back().data() + chunk_used_;
    std::memcpy(out, data.data(), data.size());
    chunk_used_ += data.size();
    copied_bytes_ += data.size();
    return out;
}

void PacketStore::append(const std::uint8_t* data, std::size_t length, std::int64_t ts_ns,
                         std::uint32_t source) {
    const std::size_t need_index = (count_ + 1) * sizeof(StoredPacket);
    if (need_index > index_.capacity()) {
        // Only a file that grows while being read gets here in concurrent mode; the sender
        // may be reading the index, so it cannot move.
        if (background_) {
            throw InputError(path_, InputError::Place{count_ + 1, {}, {}},
                             "the file grew while it was being read");
        }
        index_.grow(need_index);
    }
    auto* entry = reinterpret_cast<StoredPacket*>(index_.data()) + count_;
    entry->data = data;
    entry->ts_ns = ts_ns;
    entry->length = static_cast<std::uint32_t>(length);
    entry->source = source;
    if (count_ == 0) first_ts_ = ts_ns;
    last_ts_ = ts_ns;
    total_bytes_ += length;
    max_length_ = std::max(max_length_, entry->length);
    ++count_;
}

void PacketStore::load_all() {
    core::Frame f;
    core::UdpDatagram d;
    // A mapped classic pcap is walked here, record by record, and the frames are parsed
    // where they lie (core's parse_udp does link, IP and UDP): libpcap would copy every
    // record through stdio into its buffer, a third of the send time at topspeed. Every
    // other input goes through libpcap and is copied.
    const bool mapped = map_ != nullptr;
    // Read-ahead is asked for here rather than at open: for a file not in the page cache the call
    // itself queues the reads of the whole file (1.5 ms for 150 MB here), which the sender would
    // otherwise wait for before its first datagram.
    if (mapped) madvise(map_, map_size_, MADV_WILLNEED);
    while (!cancel_.load(std::memory_order_relaxed) &&
           (mapped ? next_mapped_frame(f) : reader_->next_frame(f))) {
        if (kind_ == Kind::frames) {
            if (f.wire_length > f.data.size()) ++truncated_frames_;
            append(mapped ? f.data.data() : copy(f.data), f.data.size(), f.ts_ns, 0);
        } else {
            if (!reader_->parse_udp(f, d)) continue;
            auto [it, fresh] =
                exporter_index_.try_emplace(d.src, static_cast<std::uint32_t>(exporters_.size()));
            if (fresh) exporters_.push_back(d.src);
            const std::uint8_t* payload = mapped ? d.payload.data() : copy(d.payload);
            append(payload, d.payload.size(), d.ts_ns, it->second);
            if (hook_)
                hook_(Loaded{count_ - 1, std::span<const std::uint8_t>(payload, d.payload.size()), &d});
        }
        available_.store(count_, std::memory_order_release);
    }
    read_stats_ = reader_->stats();
    if (mapped) read_stats_.frames = mapped_frames_;
    reader_.reset();
    if (!cancel_.load(std::memory_order_relaxed)) fail_if_empty();
}

void PacketStore::fail_if_empty() {
    if (count_ > 0) return;
    const auto& s = read_stats_;
    if (kind_ == Kind::frames) throw InputError(path_, "no frames in the file: nothing to inject");
    std::string what = "no UDP datagrams in " + std::to_string(s.frames) + " frames";
    if (s.frames > 0) {
        what += " (" + std::to_string(s.not_ip) + " not IP, " + std::to_string(s.not_udp) + " not UDP, " +
                std::to_string(s.fragments) + " IP fragments, " + std::to_string(s.truncated) + " truncated)";
    }
    throw InputError(path_, what + ": nothing to send");
}

void PacketStore::run_loader() noexcept {
    const auto t0 = std::chrono::steady_clock::now();
    try {
        load_all();
    } catch (...) {
        error_ = std::current_exception();
    }
    load_ns_ =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    done_.store(true, std::memory_order_release);
}

void PacketStore::cancel() noexcept {
    cancel_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
}

void PacketStore::load() {
    if (thread_.joinable() || done_.load()) return finish();
    run_loader();
    finish();
}

void PacketStore::start_loading() {
    if (!concurrent_) return load();
    // Signals go to the sending thread, whose sleeps they must interrupt.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    background_ = true;
    try {
        thread_ = std::thread([this] { run_loader(); });
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        throw;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

std::size_t PacketStore::wait_for(std::size_t i, const std::atomic<bool>* stop) {
    std::size_t n = available_.load(std::memory_order_acquire);
    if (n > i) return n;
    // Only while the loader is behind the sender: spin briefly, then sleep in short steps.
    for (unsigned spins = 0;; ++spins) {
        if (done_.load(std::memory_order_acquire)) {
            finish();
            return available_.load(std::memory_order_acquire);
        }
        if (stop && stop->load(std::memory_order_relaxed)) return n;
        if (spins < 64) {
            std::this_thread::yield();
        } else {
            const timespec ts{0, 20'000};
            nanosleep(&ts, nullptr);
        }
        n = available_.load(std::memory_order_acquire);
        if (n > i) return n;
    }
}

void PacketStore::finish() {
    if (thread_.joinable()) thread_.join();
    if (error_) std::rethrow_exception(error_);
}

}  // namespace flowlab::replay

/// @brief Loading a capture file into memory, optionally while the sender already runs.
#include "flowlab/replay/packet_store.hpp"

#include <pcap/pcap.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "flowlab/core/error.hpp"

namespace flowlab::replay {

namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kHugePage = 2u << 20;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

// Smallest pcap record that can hold what the store keeps: a 16-byte record header plus an
// IPv4 and UDP header (raw link type) for datagrams, or a bare record header for frames.
constexpr std::size_t kMinUdpRecord = 16 + 20 + 8;
constexpr std::size_t kMinFrameRecord = 16;

}  // namespace

MappedRegion::~MappedRegion() {
    if (data_) munmap(data_, capacity_);
}

void MappedRegion::reserve(std::size_t bytes) {
    bytes = round_up(std::max<std::size_t>(bytes, kPage), kPage);
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        throw IoError("cannot reserve " + std::to_string(bytes >> 20) + " MiB of memory for the capture: " +
                      std::strerror(errno));
    }
    // Huge pages cut the page faults of first touch by 512x; a 150 MB capture loads about a
    // third faster. Advisory: ignored where THP is off.
    if (bytes >= kHugePage) madvise(p, bytes, MADV_HUGEPAGE);
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
    if (want >= kHugePage) madvise(p, want, MADV_HUGEPAGE);
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
    struct stat st {};
    const bool regular = path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
    if (regular) {
        // Payloads never exceed the file, and each needs a record of at least the minimum
        // size: both regions can be sized from the file alone and never move.
        const auto size = static_cast<std::size_t>(st.st_size);
        const std::size_t min_record = kind_ == Kind::frames ? kMinFrameRecord : kMinUdpRecord;
        bytes_.reserve(size);
        index_.reserve((size / min_record + 16) * sizeof(StoredPacket));
        concurrent_ = true;
    } else {
        bytes_.reserve(64u << 20);
        index_.reserve((1u << 20) * sizeof(StoredPacket));
    }
}

PacketStore::~PacketStore() { cancel(); }

void PacketStore::append(std::span<const std::uint8_t> data, std::int64_t ts_ns, std::uint32_t source) {
    const std::size_t need_bytes = used_bytes_ + data.size();
    const std::size_t need_index = (count_ + 1) * sizeof(StoredPacket);
    if (need_bytes > bytes_.capacity() || need_index > index_.capacity()) {
        // Only a file that grows while being read gets here in concurrent mode; the sender
        // may be reading the regions, so they cannot move.
        if (background_) {
            throw InputError(path_, InputError::Place{count_ + 1, {}, {}},
                             "the file grew while it was being read");
        }
        bytes_.grow(need_bytes);
        index_.grow(need_index);
    }
    std::memcpy(bytes_.data() + used_bytes_, data.data(), data.size());
    auto* entry = reinterpret_cast<StoredPacket*>(index_.data()) + count_;
    entry->offset = used_bytes_;
    entry->ts_ns = ts_ns;
    entry->length = static_cast<std::uint32_t>(data.size());
    entry->source = source;
    used_bytes_ = need_bytes;
    if (count_ == 0) first_ts_ = ts_ns;
    last_ts_ = ts_ns;
    total_bytes_ += data.size();
    max_length_ = std::max(max_length_, entry->length);
    ++count_;
}

void PacketStore::load_all() {
    if (kind_ == Kind::frames) {
        core::Frame f;
        while (!cancel_.load(std::memory_order_relaxed) && reader_->next_frame(f)) {
            if (f.wire_length > f.data.size()) ++truncated_frames_;
            append(f.data, f.ts_ns, 0);
            available_.store(count_, std::memory_order_release);
        }
    } else {
        core::UdpDatagram d;
        while (!cancel_.load(std::memory_order_relaxed) && reader_->next_udp(d)) {
            auto [it, fresh] = exporter_index_.try_emplace(d.src, static_cast<std::uint32_t>(exporters_.size()));
            if (fresh) exporters_.push_back(d.src);
            append(d.payload, d.ts_ns, it->second);
            if (hook_) {
                const StoredPacket& p = index_view()[count_ - 1];
                hook_(Loaded{count_ - 1, bytes(p), &d});
            }
            available_.store(count_, std::memory_order_release);
        }
    }
    read_stats_ = reader_->stats();
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
    load_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
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

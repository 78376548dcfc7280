/// @brief Packets mode: injecting whole Ethernet frames into an interface with libpcap.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>

#include "flowlab/replay/send_errors.hpp"

typedef struct pcap pcap_t;

namespace flowlab::replay {

class FrameInjector {
public:
    /// Opens `iface` for injection (pcap_create + pcap_activate). Throws IoError naming the
    /// interface and the reason: no such interface, permission denied (needs root or
    /// CAP_NET_RAW), interface down, not an Ethernet interface.
    explicit FrameInjector(const std::string& iface);
    ~FrameInjector();
    FrameInjector(const FrameInjector&) = delete;
    FrameInjector& operator=(const FrameInjector&) = delete;

    enum class Result : std::uint8_t { sent, skipped, stopped };
    /// Injects one frame, retrying ENOBUFS/EAGAIN/EINTR; other errors are counted and the
    /// frame skipped. `stopped` when `stop` ended the retries. Throws IoError if the very
    /// first frame fails (nothing was sent).
    Result inject(std::span<const std::uint8_t> frame, const std::atomic<bool>* stop);

    const SendErrors& errors() const noexcept { return errors_; }
    std::uint64_t sent() const noexcept { return sent_; }
    const std::string& iface() const noexcept { return iface_; }

private:
    std::string iface_;
    pcap_t* pcap_ = nullptr;
    SendErrors errors_;
    std::uint64_t sent_ = 0;
};

}  // namespace flowlab::replay

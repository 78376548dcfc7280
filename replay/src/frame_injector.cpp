/// @brief Opening an interface for injection with libpcap, with errors a user can act on.
#include "flowlab/replay/frame_injector.hpp"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "flowlab/core/error.hpp"

namespace flowlab::replay {

FrameInjector::FrameInjector(const std::string& iface) : iface_(iface) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_ = pcap_create(iface.c_str(), errbuf);
    if (!pcap_) throw IoError("interface " + iface + ": " + errbuf);
    // Injection needs the socket, not a capture: keep the ring small.
    pcap_set_snaplen(pcap_, 128);
    pcap_set_buffer_size(pcap_, 1 << 16);
    const int rc = pcap_activate(pcap_);
    if (rc < 0) {
        std::string why;
        switch (rc) {
            case PCAP_ERROR_NO_SUCH_DEVICE:
                why = "no such interface";
                break;
            case PCAP_ERROR_PERM_DENIED:
                why = "permission denied: injecting frames needs root or the CAP_NET_RAW capability";
                break;
            case PCAP_ERROR_IFACE_NOT_UP:
                why = "the interface is down";
                break;
            default:
                why = pcap_geterr(pcap_);
        }
        pcap_close(pcap_);
        pcap_ = nullptr;
        throw IoError("interface " + iface + ": " + why + " (nothing was sent)");
    }
    if (pcap_datalink(pcap_) != DLT_EN10MB) {
        const char* name = pcap_datalink_val_to_name(pcap_datalink(pcap_));
        const std::string link = name ? name : std::to_string(pcap_datalink(pcap_));
        pcap_close(pcap_);
        pcap_ = nullptr;
        throw IoError("interface " + iface + ": link type " + link +
                      " is not Ethernet; packets mode injects Ethernet frames (nothing was sent)");
    }
    // The handle also captures: a filter that accepts nothing keeps the kernel from copying
    // every frame on the interface into a ring nobody reads.
    bpf_insn reject_all = {static_cast<unsigned short>(BPF_RET | BPF_K), 0, 0, 0};
    bpf_program prog{1, &reject_all};
    pcap_setfilter(pcap_, &prog);
}

FrameInjector::~FrameInjector() {
    if (pcap_) pcap_close(pcap_);
}

FrameInjector::Result FrameInjector::inject(std::span<const std::uint8_t> frame,
                                            const std::atomic<bool>* stop) {
    while (true) {
        errno = 0;
        if (pcap_inject(pcap_, frame.data(), frame.size()) >= 0) {
            ++sent_;
            return Result::sent;
        }
        const int e = errno;
        if (e == EINTR) {
            if (stop && stop->load(std::memory_order_relaxed)) return Result::stopped;
            continue;
        }
        errors_.count(e);
        if (e == ENOBUFS || e == EAGAIN) {
            if (stop && stop->load(std::memory_order_relaxed)) return Result::stopped;
            const timespec pause{0, 50'000};
            nanosleep(&pause, nullptr);
            continue;
        }
        if (sent_ == 0 && errors_.skipped == 0) {
            throw IoError("interface " + iface_ + ": cannot inject: " + pcap_geterr(pcap_) +
                          " (nothing was sent)");
        }
        ++errors_.skipped;
        return Result::skipped;
    }
}

}  // namespace flowlab::replay

/// @brief UDP sockets for exports mode: the target, per-exporter source addresses, and batched
/// sends (sendmmsg) that count errors instead of dying on them.
///
/// Every socket is connected to the target: the kernel then reports ICMP port unreachable as
/// ECONNREFUSED on the next send (an unconnected socket never hears of it) and skips the route
/// lookup per datagram.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowlab/core/ip_address.hpp"
#include "flowlab/replay/send_errors.hpp"

namespace flowlab::replay {

struct UdpTarget {
    core::IpAddress address;
    std::uint16_t port = 0;
    std::string text;  ///< as the user wrote it, for messages
    bool is_loopback() const noexcept;
};

/// Parses HOST:PORT, [IPV6]:PORT or NAME:PORT (resolved with getaddrinfo; the first address
/// wins). Throws UsageError naming what is wrong.
UdpTarget resolve_target(std::string_view host_port);

/// --exporter-src: how each exporter of the capture gets its source address.
struct ExporterSource {
    enum class Mode : std::uint8_t {
        kernel,     ///< one socket, the kernel picks the source address
        automatic,  ///< one socket per exporter: 127.0.0.2, 127.0.0.3, ... (IPv6: all ::1)
        map,        ///< one socket per mapped exporter; the rest share a kernel-chosen one
    };
    Mode mode = Mode::kernel;
    std::vector<std::pair<core::IpAddress, core::IpAddress>> map;  ///< exporter -> local address
};

/// Parses "auto" or "EXPORTER=LOCAL,..." (e.g. "192.0.2.1=127.0.0.5,192.0.2.2=127.0.0.6").
/// Throws UsageError naming the bad item.
ExporterSource parse_exporter_source(std::string_view text);

class UdpSender {
public:
    /// One connected socket per entry of `binds` (nullopt: the kernel chooses the source).
    /// Throws IoError naming the address when a socket cannot be bound or connected (an
    /// address that is not local, an unreachable network).
    UdpSender(const UdpTarget& target, const std::vector<std::optional<core::IpAddress>>& binds);
    ~UdpSender();
    UdpSender(const UdpSender&) = delete;
    UdpSender& operator=(const UdpSender&) = delete;

    std::size_t sockets() const noexcept { return fds_.size(); }
    int fd(std::size_t i) const noexcept { return fds_[i]; }
    /// The local address and port socket i sends from, as text ("127.0.0.2:40112").
    std::string local_endpoint(std::size_t i) const;

    /// Sends all `msgs` on socket `socket`, retrying ECONNREFUSED/ENOBUFS/EAGAIN/EINTR and
    /// skipping datagrams that fail otherwise. Returns how many it handled (sent or skipped):
    /// all of them unless `stop` became true. Throws IoError if the first datagram this
    /// sender ever tries fails with an error that is not retried (nothing was sent).
    std::size_t send(std::size_t socket, std::span<mmsghdr> msgs, const std::atomic<bool>* stop);

    const SendErrors& errors() const noexcept { return errors_; }
    std::uint64_t sent() const noexcept { return sent_; }

private:
    std::vector<int> fds_;
    std::string target_text_;
    SendErrors errors_;
    std::uint64_t sent_ = 0;
};

}  // namespace flowlab::replay

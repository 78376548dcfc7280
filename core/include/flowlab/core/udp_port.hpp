/// @brief The kernel's view of local UDP ports: a free one to bind a collector to, and the state
/// of the socket bound to one (is it listening yet, has it read everything sent to it). The
/// collector harness and the peer tests wait on these conditions instead of sleeping.
///
/// Errors: free_udp_port throws IoError when no socket can be bound on the address.
#pragma once

#include <cstdint>
#include <optional>

#include "flowlab/core/ip_address.hpp"

namespace flowlab::core {

/// A UDP port the kernel considers free on `address` right now (bound to port 0, read back,
/// closed). Throws IoError.
std::uint16_t free_udp_port(const IpAddress& address);

/// The kernel's view of the UDP socket bound to `port` (IPv4 or IPv6), if there is one.
struct UdpSocketState {
    std::uint64_t rx_queue = 0;  ///< bytes waiting to be read
    std::uint64_t drops = 0;     ///< datagrams dropped because the queue was full
    std::uint64_t inode = 0;     ///< the socket's inode (socket:[inode] in /proc/PID/fd)
};
/// From /proc/net/udp and /proc/net/udp6; nullopt while nothing is bound to the port.
std::optional<UdpSocketState> udp_socket_state(std::uint16_t port);

/// The receive buffer (SO_RCVBUF, bytes, as the kernel doubled it) of the socket bound to
/// `port`, whichever process holds it: found by its inode under /proc/PID/fd, duplicated with
/// pidfd_getfd (needs the right to ptrace that process). nullopt when it cannot be read.
std::optional<std::uint64_t> udp_receive_buffer(std::uint16_t port);

}  // namespace flowlab::core

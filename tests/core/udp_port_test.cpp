/// @brief core::free_udp_port and core::udp_socket_state against real sockets on loopback: a
/// port read back from the kernel is bindable; the state appears when a socket is bound, counts
/// queued bytes and kernel drops, and goes away when the socket is closed (IPv4 and IPv6).
#include "flowlab/core/udp_port.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <vector>

#include "flowlab/core/error.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

using namespace std::chrono_literals;

/// A UDP socket bound to address:port, closed on destruction.
class BoundSocket {
public:
    BoundSocket(const IpAddress& address, std::uint16_t port) {
        const bool v6 = address.is_v6();
        fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_storage ss{};
        if (v6) {
            auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons(port);
            std::memcpy(&s6->sin6_addr, address.bytes().data(), 16);
            len_ = sizeof(sockaddr_in6);
        } else {
            auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
            s4->sin_family = AF_INET;
            s4->sin_port = htons(port);
            std::memcpy(&s4->sin_addr, address.bytes().data(), 4);
            len_ = sizeof(sockaddr_in);
        }
        addr_ = ss;
        bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&addr_), len_) == 0;
    }
    ~BoundSocket() { close(); }
    BoundSocket(const BoundSocket&) = delete;
    BoundSocket& operator=(const BoundSocket&) = delete;

    bool bound() const { return bound_; }
    int fd() const { return fd_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    /// Sends `n` datagrams of `size` bytes to this socket from a fresh one; returns how many went.
    int send_to_me(int n, std::size_t size) const {
        const int s = ::socket(addr_.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        const std::vector<char> payload(size, 'x');
        int sent = 0;
        for (int i = 0; i < n; ++i)
            if (::sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<const sockaddr*>(&addr_), len_) ==
                static_cast<ssize_t>(size))
                ++sent;
        ::close(s);
        return sent;
    }

private:
    int fd_ = -1;
    bool bound_ = false;
    sockaddr_storage addr_{};
    socklen_t len_ = 0;
};

void state_follows_the_socket(const IpAddress& address) {
    const std::uint16_t port = free_udp_port(address);
    ASSERT_NE(port, 0);
    EXPECT_FALSE(udp_socket_state(port).has_value()) << "port " << port << " was handed out while bound";

    BoundSocket sock(address, port);
    ASSERT_TRUE(sock.bound()) << "the free port " << port << " could not be bound: " << std::strerror(errno);
    std::optional<UdpSocketState> st = udp_socket_state(port);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->rx_queue, 0u);
    EXPECT_EQ(st->drops, 0u);

    ASSERT_EQ(sock.send_to_me(3, 100), 3);
    ASSERT_TRUE(test::wait_until([&] { return (st = udp_socket_state(port)) && st->rx_queue > 0; }, 5000ms));
    // The queue counts the kernel's buffers, not the payload: at least what was sent.
    EXPECT_GE(st->rx_queue, 300u);

    char buf[2048];
    for (int i = 0; i < 3; ++i) ASSERT_EQ(::recv(sock.fd(), buf, sizeof buf, 0), 100);
    st = udp_socket_state(port);
    ASSERT_TRUE(st.has_value());
    EXPECT_EQ(st->rx_queue, 0u) << "drained";

    sock.close();
    EXPECT_FALSE(udp_socket_state(port).has_value()) << "closed";
}

TEST(UdpPort, StateFollowsAnIpv4Socket) { state_follows_the_socket(IpAddress::v4(0x7F000001)); }

TEST(UdpPort, StateFollowsAnIpv6Socket) {
    const auto loopback = IpAddress::parse("::1");
    ASSERT_TRUE(loopback.has_value());
    BoundSocket probe(*loopback, 0);
    if (!probe.bound()) GTEST_SKIP() << "no IPv6 loopback here: " << std::strerror(errno);
    state_follows_the_socket(*loopback);
}

TEST(UdpPort, CountsWhatTheKernelDropsForAFullQueue) {
    const auto address = IpAddress::v4(0x7F000001);
    const std::uint16_t port = free_udp_port(address);
    BoundSocket sock(address, port);
    ASSERT_TRUE(sock.bound()) << std::strerror(errno);
    // The smallest receive buffer the kernel allows holds a few datagrams; the rest are dropped.
    const int tiny = 1;
    ASSERT_EQ(::setsockopt(sock.fd(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny), 0);
    ASSERT_EQ(sock.send_to_me(200, 1000), 200);  // loopback sendto succeeds; the receiver drops
    std::optional<UdpSocketState> st;
    ASSERT_TRUE(test::wait_until([&] { return (st = udp_socket_state(port)) && st->drops > 0; }, 5000ms));
    EXPECT_LT(st->drops, 200u) << "the first datagrams fit";
}

TEST(UdpPort, ReadsTheReceiveBufferOfTheSocketBoundToAPort) {
    const auto address = IpAddress::v4(0x7F000001);
    const std::uint16_t port = free_udp_port(address);
    BoundSocket sock(address, port);
    ASSERT_TRUE(sock.bound()) << std::strerror(errno);
    const int asked = 65536;
    ASSERT_EQ(::setsockopt(sock.fd(), SOL_SOCKET, SO_RCVBUF, &asked, sizeof asked), 0);
    int own = 0;
    socklen_t len = sizeof own;
    ASSERT_EQ(::getsockopt(sock.fd(), SOL_SOCKET, SO_RCVBUF, &own, &len), 0);
    const auto seen = udp_receive_buffer(port);
    if (!seen) GTEST_SKIP() << "pidfd_getfd is not allowed here (no ptrace right on this process)";
    EXPECT_EQ(*seen, static_cast<std::uint64_t>(own)) << "the kernel doubles what was asked";
    sock.close();
    EXPECT_FALSE(udp_receive_buffer(port).has_value()) << "closed";
}

TEST(UdpPort, FreePortThrowsIoErrorForAnAddressNotHere) {
    // 192.0.2.1 (RFC 5737) is on no interface of this machine: bind fails with EADDRNOTAVAIL.
    EXPECT_THROW(free_udp_port(IpAddress::v4(0xC0000201)), IoError);
}

}  // namespace
}  // namespace flowlab::core

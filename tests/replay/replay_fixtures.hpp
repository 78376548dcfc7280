/// @brief Replay test helpers: export captures built in the test, and receiving UDP and TCP sockets.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "flowlab/core/encoder.hpp"
#include "flowlab/core/ip_address.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::test {

/// A NetFlow v5 message with `count` records (48 bytes each) whose source addresses encode
/// `tag`, so every message of a test is distinct.
std::vector<std::uint8_t> v5_message(std::uint32_t sequence, std::uint32_t unix_secs, std::uint32_t uptime_ms,
                                     std::uint16_t count, std::uint32_t tag, std::uint8_t engine_id = 0);

struct CapturedDatagram {
    std::int64_t ts_ns = 0;  ///< capture time; for what a UdpReceiver got, the wall-clock receipt time
    core::IpAddress src;
    std::uint16_t sport = 0;
    std::vector<std::uint8_t> payload;
};

/// Writes datagrams to `path` as Ethernet/IP/UDP frames to `dst`:`dport` (core::PcapWriter).
void write_capture(const std::string& path, const std::vector<CapturedDatagram>& datagrams,
                   const core::IpAddress& dst = core::IpAddress::v4(0x7F000001), std::uint16_t dport = 2055);

/// `n` v5 datagrams from `exporters` in turn (RFC 5737 addresses), 1 ms apart from
/// 2026-01-01T00:00:00Z, sequence numbers gap-free per exporter, `records` records each.
std::vector<CapturedDatagram> v5_stream(std::size_t n, const std::vector<core::IpAddress>& exporters,
                                        std::uint16_t records = 5);

/// Exports made by core::Packetizer for `records` flows, `per_second` flows a second of
/// export time (template sent in the first message), for rebase tests.
std::vector<CapturedDatagram> packetized_stream(core::Protocol p, core::TimeStyle style, std::size_t records,
                                                std::size_t per_second, std::uint32_t domain = 7);

/// A UDP socket bound to 127.0.0.1:0 or [::1]:0 with a large buffer, read by a thread, so a
/// test can collect everything a replay sent to it.
class UdpReceiver {
public:
    explicit UdpReceiver(bool ipv6 = false);
    ~UdpReceiver();
    UdpReceiver(const UdpReceiver&) = delete;
    UdpReceiver& operator=(const UdpReceiver&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    /// "127.0.0.1:PORT" or "[::1]:PORT".
    std::string target() const;
    /// Waits until `n` datagrams arrived or nothing arrived for `idle`; returns all so far.
    std::vector<CapturedDatagram> wait_for(std::size_t n,
                                           std::chrono::milliseconds idle = std::chrono::milliseconds(2000));

private:
    void run();
    int fd_ = -1;
    bool ipv6_ = false;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<CapturedDatagram> got_;
    std::thread thread_;
};

/// A UDP port on 127.0.0.1 with nothing bound to it (bound, then closed).
std::uint16_t closed_udp_port();

/// One accepted TCP connection: where it came from and every byte it carried.
struct TcpConnection {
    core::IpAddress src;
    std::uint16_t sport = 0;
    std::vector<std::uint8_t> bytes;
    bool ended = false;  ///< the peer closed it (EOF)
};

/// A TCP listener on 127.0.0.1:0 read by a thread: it accepts every connection and keeps what
/// each carries, in accept order. With `reset`, it resets each connection once its first
/// bytes arrived (SO_LINGER 0), as a collector that rejects what its peer sends does.
class TcpReceiver {
public:
    explicit TcpReceiver(bool reset = false);
    ~TcpReceiver();
    TcpReceiver(const TcpReceiver&) = delete;
    TcpReceiver& operator=(const TcpReceiver&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
    /// Waits until `n` connections were accepted and all of them ended, or nothing happened
    /// for `idle`; returns the connections so far.
    std::vector<TcpConnection> wait_ended(std::size_t n,
                                          std::chrono::milliseconds idle = std::chrono::milliseconds(3000));
    /// Bytes received so far over all connections.
    std::size_t bytes();

private:
    void run();
    int fd_ = -1;
    bool reset_ = false;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<TcpConnection> got_;
    std::uint64_t events_ = 0;
    std::thread thread_;
};

/// A TCP port on 127.0.0.1 where nothing listens (bound, then closed).
std::uint16_t closed_tcp_port();

}  // namespace flowlab::test

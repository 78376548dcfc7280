/// @brief Replay test helpers: v5 builders, captures of Packetizer exports, a UDP receiver.
#include "replay_fixtures.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <stdexcept>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/pcap_io.hpp"

namespace flowlab::test {

std::vector<std::uint8_t> v5_message(std::uint32_t sequence, std::uint32_t unix_secs, std::uint32_t uptime_ms,
                                     std::uint16_t count, std::uint32_t tag, std::uint8_t engine_id) {
    std::vector<std::uint8_t> m(24 + 48 * std::size_t{count}, 0);
    std::uint8_t* h = m.data();
    core::store_be16(h, 5);
    core::store_be16(h + 2, count);
    core::store_be32(h + 4, uptime_ms);
    core::store_be32(h + 8, unix_secs);
    core::store_be32(h + 12, 250'000'000);  // unix_nsecs: a quarter second
    core::store_be32(h + 16, sequence);
    h[20] = 0;  // engine_type
    h[21] = engine_id;
    for (std::uint16_t i = 0; i < count; ++i) {
        std::uint8_t* r = h + 24 + 48 * std::size_t{i};
        core::store_be32(r + 0, 0xC6336400u | (tag & 0xFF));                       // src 198.51.100.x
        core::store_be32(r + 4, 0xCB007100u | i);                                  // dst 203.0.113.i
        core::store_be32(r + 8, 0xC0000201u);                                      // next hop 192.0.2.1
        core::store_be16(r + 12, 1);                                               // input
        core::store_be16(r + 14, 2);                                               // output
        core::store_be32(r + 16, 10 + i);                                          // packets
        core::store_be32(r + 20, 1000 + tag);                                      // bytes: the tag again
        core::store_be32(r + 24, uptime_ms - 5000);                                // first
        core::store_be32(r + 28, uptime_ms - 1000);                                // last
        core::store_be16(r + 32, static_cast<std::uint16_t>(40000 + (tag >> 8)));  // sport
        core::store_be16(r + 34, 443);                                             // dport
        r[37] = 0x1b;                                                              // tcp flags
        r[38] = 6;                                                                 // proto
    }
    return m;
}

void write_capture(const std::string& path, const std::vector<CapturedDatagram>& datagrams,
                   const core::IpAddress& dst, std::uint16_t dport) {
    core::PcapWriter w(path);
    for (const auto& d : datagrams) {
        w.write_udp(d.ts_ns, core::UdpEndpoint{d.src, d.sport}, core::UdpEndpoint{dst, dport}, d.payload);
    }
    w.commit();
}

std::vector<CapturedDatagram> v5_stream(std::size_t n, const std::vector<core::IpAddress>& exporters,
                                        std::uint16_t records) {
    constexpr std::int64_t kStartNs = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
    std::vector<std::uint32_t> seq(exporters.size(), 1000);
    std::vector<CapturedDatagram> out;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t e = i % exporters.size();
        CapturedDatagram d;
        d.ts_ns = kStartNs + static_cast<std::int64_t>(i) * 1'000'000;
        d.src = exporters[e];
        d.sport = 50000;
        const auto secs = static_cast<std::uint32_t>(d.ts_ns / 1'000'000'000);
        d.payload = v5_message(seq[e], secs, 3'600'000 + static_cast<std::uint32_t>(i), records,
                               static_cast<std::uint32_t>(i), static_cast<std::uint8_t>(e));
        seq[e] += records;
        out.push_back(std::move(d));
    }
    return out;
}

std::vector<CapturedDatagram> packetized_stream(core::Protocol p, core::TimeStyle style, std::size_t records,
                                                std::size_t per_second, std::uint32_t domain) {
    using namespace core;
    constexpr std::int64_t kStartMs = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
    ExporterConfig cfg;
    cfg.protocol = p;
    cfg.address = IpAddress::v4(0xC0000202);  // 192.0.2.2
    cfg.domain = domain;
    cfg.boot_ms = kStartMs - 3'600'000;
    cfg.max_payload = 600;  // several messages per second of export time
    if (p != Protocol::v5) cfg.template_v4 = default_template(p, false, 256, style, p == Protocol::ipfix);
    cfg.template_refresh_packets = 10;
    std::vector<CapturedDatagram> out;
    Packetizer packetizer(cfg, [&](const EncodedMessage& m) {
        CapturedDatagram d;
        d.ts_ns = m.export_ns;
        d.src = cfg.address;
        d.sport = 50001;
        d.payload.assign(m.bytes.begin(), m.bytes.end());
        out.push_back(std::move(d));
    });
    const std::int64_t step_ns = 1'000'000'000 / static_cast<std::int64_t>(per_second);
    std::int64_t now_ns = kStartMs * 1'000'000;
    for (std::size_t i = 0; i < records; ++i) {
        FlowRecord r;
        r.set_address(Field::src, IpAddress::v4(0x0A000000u | static_cast<std::uint32_t>(i & 0xFFFF)));
        r.set_address(Field::dst, IpAddress::v4(0xC6336400u | static_cast<std::uint32_t>(i & 0xFF)));
        r.set_number(Field::sport, 32768 + i % 20000);
        r.set_number(Field::dport, 443);
        r.set_number(Field::proto, 6);
        r.set_number(Field::packets, 1 + i % 97);
        r.set_number(Field::bytes, 100 + i * 7);
        now_ns += step_ns;
        const std::int64_t now_ms = now_ns / 1'000'000;
        // Times with sub-second parts, so a shift that is not whole seconds would show.
        r.set_number(Field::first_ms,
                     static_cast<std::uint64_t>(now_ms - 4321 - static_cast<std::int64_t>(i % 1000)));
        r.set_number(Field::last_ms, static_cast<std::uint64_t>(now_ms - 123));
        r.set_number(Field::in_if, 1);
        r.set_number(Field::out_if, 2);
        packetizer.add(r, now_ns);
    }
    packetizer.flush(now_ns);
    return out;
}

UdpReceiver::UdpReceiver(bool ipv6) : ipv6_(ipv6) {
    fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("receiver socket: " + std::string(std::strerror(errno)));
    // Large enough for every test's datagrams even before the thread reads them (root can
    // exceed net.core.rmem_max; otherwise the reading thread keeps up).
    const int size = 32 << 20;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
    sockaddr_storage ss{};
    socklen_t len;
    if (ipv6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        s6->sin6_addr = in6addr_loopback;
        len = sizeof *s6;
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *s4;
    }
    if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        throw std::runtime_error("receiver bind: " + std::string(std::strerror(errno)));
    }
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(ipv6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    thread_ = std::thread([this] { run(); });
}

UdpReceiver::~UdpReceiver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    close(fd_);
}

std::string UdpReceiver::target() const {
    return (ipv6_ ? std::string("[::1]:") : std::string("127.0.0.1:")) + std::to_string(port_);
}

void UdpReceiver::run() {
    std::vector<std::uint8_t> buf(65536);
    while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        sockaddr_storage from{};
        socklen_t flen = sizeof from;
        const ssize_t n = recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &flen);
        if (n < 0) continue;
        CapturedDatagram d;
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        d.ts_ns = std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
        d.payload.assign(buf.begin(), buf.begin() + n);
        if (from.ss_family == AF_INET6) {
            const auto* s6 = reinterpret_cast<const sockaddr_in6*>(&from);
            d.src = core::IpAddress::v6_bytes(reinterpret_cast<const std::uint8_t*>(&s6->sin6_addr));
            d.sport = ntohs(s6->sin6_port);
        } else {
            const auto* s4 = reinterpret_cast<const sockaddr_in*>(&from);
            d.src = core::IpAddress::v4(ntohl(s4->sin_addr.s_addr));
            d.sport = ntohs(s4->sin_port);
        }
        {
            std::lock_guard<std::mutex> lock(mu_);
            got_.push_back(std::move(d));
        }
        cv_.notify_all();
    }
}

std::vector<CapturedDatagram> UdpReceiver::wait_for(std::size_t n, std::chrono::milliseconds idle) {
    std::unique_lock<std::mutex> lock(mu_);
    std::size_t seen = got_.size();
    while (got_.size() < n) {
        cv_.wait_for(lock, idle, [&] { return got_.size() != seen; });
        if (got_.size() == seen) break;  // silent for `idle`
        seen = got_.size();
    }
    return got_;
}

namespace {

/// A loopback port the kernel just handed out and that is closed again: nothing listens there.
std::uint16_t closed_port(int socket_type) {
    const int fd = socket(AF_INET, socket_type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

}  // namespace

std::uint16_t closed_udp_port() { return closed_port(SOCK_DGRAM); }

TcpReceiver::TcpReceiver(bool reset) : reset_(reset) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("tcp receiver socket: " + std::string(std::strerror(errno)));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd_, 64) != 0) {
        throw std::runtime_error("tcp receiver bind/listen: " + std::string(std::strerror(errno)));
    }
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { run(); });
}

TcpReceiver::~TcpReceiver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    close(fd_);
}

void TcpReceiver::run() {
    std::vector<int> conns;  // index as in got_; -1 once ended
    std::vector<std::uint8_t> buf(65536);
    while (!stop_) {
        std::vector<pollfd> ps{{fd_, POLLIN, 0}};
        for (int c : conns) ps.push_back({c, POLLIN, 0});
        if (poll(ps.data(), ps.size(), 50) <= 0) continue;
        if (ps[0].revents & POLLIN) {
            sockaddr_in from{};
            socklen_t flen = sizeof from;
            const int c = accept4(fd_, reinterpret_cast<sockaddr*>(&from), &flen, SOCK_CLOEXEC);
            if (c >= 0) {
                TcpConnection t;
                t.src = core::IpAddress::v4(ntohl(from.sin_addr.s_addr));
                t.sport = ntohs(from.sin_port);
                std::lock_guard<std::mutex> lock(mu_);
                got_.push_back(std::move(t));
                conns.push_back(c);
                ++events_;
            }
        }
        // Only the connections polled this round: one accepted just now has no entry in ps yet.
        for (std::size_t i = 0; i + 1 < ps.size(); ++i) {
            if (conns[i] < 0 || !(ps[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = recv(conns[i], buf.data(), buf.size(), 0);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            std::lock_guard<std::mutex> lock(mu_);
            if (n > 0) {
                got_[i].bytes.insert(got_[i].bytes.end(), buf.begin(), buf.begin() + n);
            }
            if (n <= 0 || reset_) {
                if (n > 0) {
                    const linger lg{1, 0};  // close now sends a reset, not a FIN
                    setsockopt(conns[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
                }
                got_[i].ended = true;
                close(conns[i]);
                conns[i] = -1;
            }
            ++events_;
        }
        cv_.notify_all();
    }
    for (int c : conns) {
        if (c >= 0) close(c);
    }
}

std::vector<TcpConnection> TcpReceiver::wait_ended(std::size_t n, std::chrono::milliseconds idle) {
    std::unique_lock<std::mutex> lock(mu_);
    auto all_ended = [&] {
        if (got_.size() < n) return false;
        for (const auto& c : got_) {
            if (!c.ended) return false;
        }
        return true;
    };
    std::uint64_t seen = events_;
    while (!all_ended()) {
        cv_.wait_for(lock, idle, [&] { return events_ != seen; });
        if (events_ == seen) break;  // quiet for `idle`
        seen = events_;
    }
    return got_;
}

std::size_t TcpReceiver::bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t n = 0;
    for (const auto& c : got_) n += c.bytes.size();
    return n;
}

std::uint16_t closed_tcp_port() { return closed_port(SOCK_STREAM); }

}  // namespace flowlab::test

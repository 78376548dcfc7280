/// @brief Target parsing, exporter source maps, and the batched UDP send with error counting.
#include "flowlab/replay/udp_sender.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>

#include "flowlab/core/error.hpp"
#include "flowlab/core/open_files.hpp"
#include "socket_address.hpp"

namespace flowlab::replay {

using detail::to_sockaddr;

bool UdpTarget::is_loopback() const noexcept {
    if (address.is_v4()) return (address.v4_value() >> 24) == 127;
    static constexpr std::array<std::uint8_t, 16> kLoop6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return address.is_v6() && address.bytes() == kLoop6;
}

UdpTarget resolve_target(std::string_view text) {
    const std::string shown(text);
    std::string host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            throw UsageError("--to " + shown + ": expected [IPV6]:PORT, e.g. [::1]:4739");
        }
        host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string_view::npos || colon == 0) {
            throw UsageError("--to " + shown + ": expected HOST:PORT, e.g. 127.0.0.1:2055 or [::1]:4739");
        }
        if (text.substr(0, colon).find(':') != std::string_view::npos) {
            throw UsageError("--to " + shown + ": put an IPv6 address in brackets: [ADDRESS]:PORT");
        }
        host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
    }
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
        throw UsageError("--to " + shown + ": the port must be a number from 1 to 65535");
    }
    UdpTarget t;
    t.port = static_cast<std::uint16_t>(port);
    t.text = shown;
    if (auto a = core::IpAddress::parse(host)) {
        t.address = *a;
        return t;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_family = AF_UNSPEC;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || !res) {
        throw UsageError("--to " + shown + ": cannot resolve '" + host + "': " + gai_strerror(rc));
    }
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            t.address = core::IpAddress::v4_bytes(reinterpret_cast<const std::uint8_t*>(
                &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr));
            break;
        }
        if (ai->ai_family == AF_INET6) {
            t.address = core::IpAddress::v6_bytes(reinterpret_cast<const std::uint8_t*>(
                &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr));
            break;
        }
    }
    freeaddrinfo(res);
    if (!t.address.is_set())
        throw UsageError("--to " + shown + ": '" + host + "' has no IPv4 or IPv6 address");
    return t;
}

ExporterSource parse_exporter_source(std::string_view text) {
    ExporterSource s;
    if (text == "auto") {
        s.mode = ExporterSource::Mode::automatic;
        return s;
    }
    s.mode = ExporterSource::Mode::map;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const auto comma = text.find(',', pos);
        const std::string_view item =
            text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
        const auto eq = item.find('=');
        const std::string shown(item);
        if (eq == std::string_view::npos) {
            throw UsageError("--exporter-src: '" + shown +
                             "' is not EXPORTER=LOCAL (e.g. 192.0.2.1=127.0.0.5); or use 'auto'");
        }
        auto from = core::IpAddress::parse(item.substr(0, eq));
        auto to = core::IpAddress::parse(item.substr(eq + 1));
        if (!from)
            throw UsageError("--exporter-src: '" + std::string(item.substr(0, eq)) +
                             "' is not an IP address");
        if (!to)
            throw UsageError("--exporter-src: '" + std::string(item.substr(eq + 1)) +
                             "' is not an IP address");
        for (const auto& [f, t] : s.map) {
            if (f == *from)
                throw UsageError("--exporter-src: exporter " + from->to_string() + " is mapped twice");
        }
        s.map.emplace_back(*from, *to);
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return s;
}

UdpSender::UdpSender(const UdpTarget& target, const std::vector<std::optional<core::IpAddress>>& binds)
    : target_text_(target.text) {
    sockaddr_storage dst{};
    const socklen_t dst_len = to_sockaddr(target.address, target.port, dst);
    const int family = target.address.is_v6() ? AF_INET6 : AF_INET;
    core::ensure_open_files(binds.size(), "sending from " + std::to_string(binds.size()) + " source addresses");
    for (const auto& local : binds) {
        const int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw IoError(std::string("cannot open a UDP socket: ") + std::strerror(errno));
        fds_.push_back(fd);
        // A larger send buffer rides out short stalls of a real NIC's queue; on loopback the
        // kernel frees each datagram at once and this changes nothing.
        const int sndbuf = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        if (local) {
            if (local->is_v6() != target.address.is_v6()) {
                throw UsageError("source address " + local->to_string() + " and target " + target.text +
                                 " are not of the same IP version");
            }
            sockaddr_storage src{};
            const socklen_t src_len = to_sockaddr(*local, 0, src);
            if (bind(fd, reinterpret_cast<sockaddr*>(&src), src_len) != 0) {
                const int e = errno;
                throw IoError("cannot send from " + local->to_string() + ": " + std::strerror(e) +
                              (e == EADDRNOTAVAIL ? " (it is not an address of this host)" : ""));
            }
        }
        if (connect(fd, reinterpret_cast<sockaddr*>(&dst), dst_len) != 0) {
            const int e = errno;
            throw IoError("cannot send to " + target.text + (local ? " from " + local->to_string() : "") +
                          ": " + std::strerror(e));
        }
    }
}

UdpSender::~UdpSender() {
    for (int fd : fds_) close(fd);
}

std::string UdpSender::local_endpoint(std::size_t i) const {
    return detail::local_endpoint_of(fds_[i]);
}

std::size_t UdpSender::send(std::size_t socket, std::span<mmsghdr> msgs, const std::atomic<bool>* stop) {
    const int fd = fds_[socket];
    std::size_t done = 0;
    while (done < msgs.size()) {
        const auto want = static_cast<unsigned>(std::min<std::size_t>(msgs.size() - done, 1024));
        const int r = sendmmsg(fd, msgs.data() + done, want, 0);
        if (r > 0) {
            done += static_cast<std::size_t>(r);
            sent_ += static_cast<std::uint64_t>(r);
            continue;
        }
        const int e = r < 0 ? errno : EAGAIN;
        if (e == EINTR) {
            if (stop && stop->load(std::memory_order_relaxed)) return done;
            continue;
        }
        errors_.count(e);
        switch (e) {
            case ECONNREFUSED:
                // An ICMP port unreachable for an earlier datagram: reported once, and this
                // datagram was not sent. The collector is down; go on.
                continue;
            case ENOBUFS:
            case EAGAIN: {
                // A full device queue: give it a moment (poll would not wait, the socket
                // itself has room).
                if (stop && stop->load(std::memory_order_relaxed)) return done;
                const timespec pause{0, 50'000};
                nanosleep(&pause, nullptr);
                continue;
            }
            default:
                if (sent_ == 0 && errors_.skipped == 0) {
                    throw IoError("cannot send to " + target_text_ + ": " + std::strerror(e) +
                                  " (nothing was sent)");
                }
                ++errors_.skipped;
                msgs[done].msg_len = 0;
                ++done;
        }
    }
    return done;
}

}  // namespace flowlab::replay

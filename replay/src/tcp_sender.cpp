/// @brief Connections per transport session and back-to-back message writes for IPFIX over TCP.
#include "flowlab/replay/tcp_sender.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

#include "flowlab/core/error.hpp"
#include "flowlab/core/open_files.hpp"
#include "socket_address.hpp"

namespace flowlab::replay {

namespace {

constexpr int kPollSliceMs = 100;       // how often a blocked sender looks at the stop flag
constexpr int kFinishMessageMs = 1000;  // after a stop: time to finish a message already begun

bool stopped(const std::atomic<bool>* stop) noexcept {
    return stop && stop->load(std::memory_order_relaxed);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string session_name(const TcpSession& s) {
    return "exporter " + s.exporter.to_string() + " port " + std::to_string(s.exporter_port);
}

}  // namespace

TcpSender::TcpSender(const UdpTarget& target, const std::vector<TcpSession>& sessions,
                     const std::atomic<bool>* stop, int connect_timeout_ms)
    : target_text_(target.text) {
    sockaddr_storage dst{};
    const socklen_t dst_len = detail::to_sockaddr(target.address, target.port, dst);
    const int family = target.address.is_v6() ? AF_INET6 : AF_INET;
    core::ensure_open_files(sessions.size(), std::to_string(sessions.size()) + " TCP connections");
    for (const TcpSession& s : sessions) {
        if (stopped(stop)) return;
        const std::string who = session_name(s) + (s.bind ? " (from " + s.bind->to_string() + ")" : "");
        // Non-blocking from the start: connect waits in poll (stop and a timeout apply) and
        // writes never block for good.
        const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0) throw IoError(std::string("cannot open a TCP socket: ") + std::strerror(errno));
        fds_.push_back(fd);
        names_.push_back(session_name(s));
        messages_.push_back(0);
        bytes_.push_back(0);
        // Each message goes out when it is due (pacing); at top speed the batches written in
        // one call fill the segments anyway.
        const int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (s.bind) {
            if (s.bind->is_v6() != target.address.is_v6()) {
                throw UsageError("source address " + s.bind->to_string() + " and target " + target.text +
                                 " are not of the same IP version");
            }
            sockaddr_storage src{};
            const socklen_t src_len = detail::to_sockaddr(*s.bind, 0, src);
            if (bind(fd, reinterpret_cast<sockaddr*>(&src), src_len) != 0) {
                const int e = errno;
                throw IoError("cannot send from " + s.bind->to_string() + ": " + std::strerror(e) +
                              (e == EADDRNOTAVAIL ? " (it is not an address of this host)" : ""));
            }
        }
        int err = 0;
        if (connect(fd, reinterpret_cast<sockaddr*>(&dst), dst_len) != 0) {
            err = errno;
            if (err == EINPROGRESS) {
                err = ETIMEDOUT;
                for (const std::int64_t until = now_ms() + connect_timeout_ms; now_ms() < until;) {
                    if (stopped(stop)) return;
                    pollfd p{fd, POLLOUT, 0};
                    const int r = poll(&p, 1, kPollSliceMs);
                    if (r < 0 && errno != EINTR) {
                        err = errno;
                        break;
                    }
                    if (r > 0) {
                        socklen_t len = sizeof err;
                        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
                        break;
                    }
                }
            }
        }
        if (err != 0) {
            std::string why = std::strerror(err);
            if (err == ECONNREFUSED) why += ": nothing listens on TCP there";
            if (err == ETIMEDOUT)
                why = "no answer within " + std::to_string(connect_timeout_ms / 1000) + " s";
            throw IoError("cannot connect to " + target.text + " over TCP for " + who + ": " + why +
                          " (nothing was sent)");
        }
    }
}

TcpSender::~TcpSender() {
    close_all();
}

std::string TcpSender::local_endpoint(std::size_t i) const {
    return fds_[i] >= 0 ? detail::local_endpoint_of(fds_[i]) : "?";
}

void TcpSender::close_all() noexcept {
    for (int& fd : fds_) {
        if (fd < 0) continue;
        // FIN after the last byte. Anything the peer sent us is read first: closing a socket
        // with unread input makes the kernel reset the connection and drop what is unsent.
        shutdown(fd, SHUT_WR);
        char sink[4096];
        while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
        }
        close(fd);
        fd = -1;
    }
}

std::size_t TcpSender::send(std::size_t conn, std::span<const iovec> msgs, const std::atomic<bool>* stop) {
    if (!failure_.empty()) return 0;
    const int fd = fds_[conn];
    std::size_t done = 0;  // messages written whole
    std::size_t off = 0;   // bytes of msgs[done] already written
    std::int64_t give_up = 0;
    std::vector<iovec> iov;
    iov.reserve(std::min<std::size_t>(msgs.size(), IOV_MAX));
    while (done < msgs.size()) {
        iov.clear();
        for (std::size_t m = done; m < msgs.size() && iov.size() < IOV_MAX; ++m) {
            iovec v = msgs[m];
            if (m == done) {
                v.iov_base = static_cast<std::uint8_t*>(v.iov_base) + off;
                v.iov_len -= off;
            }
            iov.push_back(v);
        }
        msghdr mh{};
        mh.msg_iov = iov.data();
        mh.msg_iovlen = iov.size();
        // MSG_NOSIGNAL: a peer that closed gives EPIPE here, not a SIGPIPE that kills us.
        const ssize_t r = sendmsg(fd, &mh, MSG_NOSIGNAL);
        if (r >= 0) {
            auto left = static_cast<std::size_t>(r);
            while (left > 0 && done < msgs.size()) {
                const std::size_t rest = msgs[done].iov_len - off;
                if (left < rest) {
                    off += left;
                    break;
                }
                left -= rest;
                off = 0;
                bytes_[conn] += msgs[done].iov_len;
                ++messages_[conn];
                ++sent_;
                ++done;
            }
            continue;
        }
        const int e = errno;
        if (e == EINTR) continue;
        if (e == EAGAIN || e == EWOULDBLOCK) {
            // The peer reads slower than we write: wait for room, looking at the stop flag.
            if (stopped(stop)) {
                if (off == 0) return done;
                if (give_up == 0) give_up = now_ms() + kFinishMessageMs;
                if (now_ms() >= give_up) return done;
            }
            pollfd p{fd, POLLOUT, 0};
            poll(&p, 1, kPollSliceMs);
            continue;
        }
        errors_.count(e);
        std::string why = std::strerror(e);
        if (e == ECONNRESET || e == EPIPE) why = "the peer reset or closed the connection";
        failure_ = "TCP connection of " + names_[conn] + " to " + target_text_ + " failed after " +
                   std::to_string(messages_[conn]) + " messages (" + std::to_string(bytes_[conn]) +
                   " bytes) on it: " + why + " (" + errno_name(e) + ")";
        return done;
    }
    return done;
}

}  // namespace flowlab::replay

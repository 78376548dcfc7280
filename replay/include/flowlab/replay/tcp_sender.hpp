/// @brief IPFIX over TCP for exports mode (RFC 7011 10.4): one connection per transport
/// session of the capture, messages written back to back.
///
/// Connections are opened, all of them, before anything is sent, so a target that refuses or
/// does not answer fails the run at its start with nothing sent. Writes never block the
/// process for good: a peer that stops reading holds the sender only until it is asked to stop.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "flowlab/core/ip_address.hpp"
#include "flowlab/replay/send_errors.hpp"
#include "flowlab/replay/udp_sender.hpp"

namespace flowlab::replay {

/// One connection to open: the capture's transport session it carries, and the local address
/// to send from (nullopt: the kernel's choice).
struct TcpSession {
    core::IpAddress exporter;
    std::uint16_t exporter_port = 0;
    std::optional<core::IpAddress> bind;
};

class TcpSender {
public:
    /// Connects one socket per session to `target`, giving each `connect_timeout_ms` to answer.
    /// Throws IoError naming the target, the session and the reason (refused, unreachable, no
    /// answer), UsageError when a bind address and the target are of different IP versions.
    /// Returns early, with fewer connections, when `stop` becomes true (the caller checks).
    TcpSender(const UdpTarget& target, const std::vector<TcpSession>& sessions, const std::atomic<bool>* stop,
              int connect_timeout_ms = 10'000);
    ~TcpSender();
    TcpSender(const TcpSender&) = delete;
    TcpSender& operator=(const TcpSender&) = delete;

    std::size_t connections() const noexcept { return fds_.size(); }
    /// "127.0.0.2:40112": where connection i sends from.
    std::string local_endpoint(std::size_t i) const;

    /// Writes `msgs` in order on connection `conn`. Returns how many were written whole: all
    /// of them, unless `stop` became true (a message already begun is finished first, for up
    /// to a second, so the peer does not see half a message) or the connection failed: then
    /// failure() says why and the sender writes nothing more.
    std::size_t send(std::size_t conn, std::span<const iovec> msgs, const std::atomic<bool>* stop);

    /// Why the run cannot go on (a reset by the peer ...); empty while all is well.
    const std::string& failure() const noexcept { return failure_; }
    const SendErrors& errors() const noexcept { return errors_; }
    std::uint64_t sent() const noexcept { return sent_; }
    /// Messages and bytes written whole on connection i.
    std::uint64_t messages(std::size_t i) const noexcept { return messages_[i]; }
    std::uint64_t bytes(std::size_t i) const noexcept { return bytes_[i]; }

    /// Ends every connection in order (FIN after the last byte). The destructor does it too.
    void close_all() noexcept;

private:
    std::vector<int> fds_;
    std::vector<std::string> names_;  ///< "exporter 192.0.2.1 port 50001"
    std::vector<std::uint64_t> messages_, bytes_;
    std::string target_text_;
    std::string failure_;
    SendErrors errors_;
    std::uint64_t sent_ = 0;
};

}  // namespace flowlab::replay

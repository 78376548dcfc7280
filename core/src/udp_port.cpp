/// @brief Free UDP ports and the state of bound ones, from the kernel.
#include "flowlab/core/udp_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "flowlab/core/error.hpp"

namespace flowlab::core {

std::optional<UdpSocketState> udp_socket_state(std::uint16_t port) {
    for (const char* file : {"/proc/net/udp", "/proc/net/udp6"}) {
        std::ifstream in(file);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream f(line);
            std::string sl, local, remote, state, queues, tr, retr, uid, timeout, inode, ref, pointer, drops;
            f >> sl >> local >> remote >> state >> queues >> tr >> retr >> uid >> timeout >> inode >> ref >> pointer >> drops;
            const auto colon = local.rfind(':');
            if (colon == std::string::npos) continue;
            if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
            UdpSocketState s;
            const auto qc = queues.find(':');
            if (qc != std::string::npos) s.rx_queue = std::stoull(queues.substr(qc + 1), nullptr, 16);
            if (!drops.empty()) s.drops = std::stoull(drops);
            if (!inode.empty()) s.inode = std::stoull(inode);
            return s;
        }
    }
    return std::nullopt;
}

std::optional<std::uint64_t> udp_receive_buffer(std::uint16_t port) {
    const auto st = udp_socket_state(port);
    if (!st || st->inode == 0) return std::nullopt;
    const std::string want = "socket:[" + std::to_string(st->inode) + "]";
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& proc : fs::directory_iterator("/proc", ec)) {
        const std::string name = proc.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::error_code fec;
        for (const auto& fd : fs::directory_iterator(proc.path() / "fd", fec)) {
            std::error_code lec;
            if (fs::read_symlink(fd.path(), lec).string() != want || lec) continue;
            const long pidfd = ::syscall(SYS_pidfd_open, std::stol(name), 0);
            if (pidfd < 0) return std::nullopt;
            const long copy = ::syscall(SYS_pidfd_getfd, pidfd, std::stoi(fd.path().filename().string()), 0);
            ::close(static_cast<int>(pidfd));
            if (copy < 0) return std::nullopt;
            int value = 0;
            socklen_t len = sizeof value;
            const int rc = ::getsockopt(static_cast<int>(copy), SOL_SOCKET, SO_RCVBUF, &value, &len);
            ::close(static_cast<int>(copy));
            if (rc != 0 || value <= 0) return std::nullopt;
            return static_cast<std::uint64_t>(value);
        }
    }
    return std::nullopt;
}

std::uint16_t free_udp_port(const IpAddress& a) {
    const bool v6 = a.is_v6();
    const int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw IoError(std::string("socket: ") + std::strerror(errno));
    sockaddr_storage ss{};
    socklen_t len;
    if (v6) {
        auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
        s6->sin6_family = AF_INET6;
        std::memcpy(&s6->sin6_addr, a.bytes().data(), 16);
        len = sizeof(sockaddr_in6);
    } else {
        auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
        s4->sin_family = AF_INET;
        std::memcpy(&s4->sin_addr, a.bytes().data(), 4);
        len = sizeof(sockaddr_in);
    }
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
        const int e = errno;
        close(fd);
        throw IoError("cannot find a free UDP port on " + a.to_string() + ": " + std::strerror(e));
    }
    close(fd);
    return ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace flowlab::core

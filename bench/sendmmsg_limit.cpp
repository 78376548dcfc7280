/// @brief The physical limit for replay: a minimal sendmmsg loop over a capture's payloads.
///
/// Loads every UDP payload of the capture first (not timed), then sends them all to
/// HOST:PORT on one connected socket in batches and times only that loop. No pacing, no
/// error accounting, no rewriting: what the kernel can take from one thread. The loop's CPU
/// time (user + sys, from getrusage) is printed too: under load from other processes the wall
/// time varies far more than the CPU time each send costs.
///
/// Usage: sendmmsg_limit FILE.pcap IPV4:PORT [BATCH]
/// prints one line: packets seconds pps cpu_seconds
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "flowlab/core/pcap_io.hpp"

namespace {

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return s(u.ru_utime) + s(u.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        fmt::print(stderr, "usage: sendmmsg_limit FILE.pcap IPV4:PORT [BATCH]\n");
        return 2;
    }
    const std::string target = argv[2];
    const auto colon = target.rfind(':');
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    if (colon == std::string::npos ||
        inet_pton(AF_INET, target.substr(0, colon).c_str(), &dst.sin_addr) != 1) {
        fmt::print(stderr, "sendmmsg_limit: target must be IPV4:PORT\n");
        return 2;
    }
    dst.sin_port = htons(static_cast<std::uint16_t>(std::atoi(target.c_str() + colon + 1)));
    const unsigned batch = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 32;

    std::vector<std::uint8_t> bytes;
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    flowlab::core::PcapReader reader(argv[1]);
    flowlab::core::UdpDatagram d;
    while (reader.next_udp(d)) {
        spans.emplace_back(bytes.size(), d.payload.size());
        bytes.insert(bytes.end(), d.payload.begin(), d.payload.end());
    }
    const int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
        std::perror("sendmmsg_limit: socket");
        return 1;
    }
    std::vector<mmsghdr> msgs(batch);
    std::vector<iovec> iov(batch);
    for (unsigned i = 0; i < batch; ++i) {
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < spans.size();) {
        const unsigned k = static_cast<unsigned>(std::min<std::size_t>(batch, spans.size() - i));
        for (unsigned m = 0; m < k; ++m) {
            iov[m].iov_base = bytes.data() + spans[i + m].first;
            iov[m].iov_len = spans[i + m].second;
        }
        unsigned done = 0;
        while (done < k) {
            const int r = sendmmsg(fd, msgs.data() + done, k - done, 0);
            if (r < 0) {
                if (errno == ECONNREFUSED || errno == EINTR) continue;
                std::perror("sendmmsg_limit: sendmmsg");
                return 1;
            }
            done += static_cast<unsigned>(r);
        }
        i += k;
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    fmt::print("{} {:.6f} {:.0f} {:.3f}\n", spans.size(), s, static_cast<double>(spans.size()) / s, cpu);
    close(fd);
    return 0;
}

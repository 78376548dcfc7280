/// @brief Shared by the gen --packets tests: generating the outputs once, the truth per 5-tuple
/// from the CSV, and the capture's own totals per 5-tuple read with libpcap and libtins.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace flowlab::test {

/// src, dst, sport, dport, proto as text and numbers (ICMP: sport 0, dport type << 8 | code).
using Key = std::tuple<std::string, std::string, std::uint32_t, std::uint32_t, std::uint32_t>;

struct Totals {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::uint32_t tcp_flags = 0;
};

/// A truth CSV (truth/conversations.csv or truth/packet-conversations.csv) summed per 5-tuple.
std::map<Key, Totals> truth_totals(const std::string& csv);

struct Capture {
    std::map<Key, Totals> totals;
    std::uint64_t frames = 0;
    std::uint64_t ipv4 = 0, ipv6 = 0;
    std::uint64_t bad_checksums = 0;
    std::uint64_t time_reversals = 0;  ///< frames earlier than the one before
    std::uint64_t not_ip = 0;
    std::uint64_t syn = 0, syn_ack = 0, fin = 0, rst = 0;
    std::map<std::uint32_t, std::uint64_t> protocols;
};

/// Reads a capture with libpcap, parses every frame with libtins and recomputes every IPv4
/// header and TCP/UDP/ICMP/ICMPv6 checksum (RFC 1071, written here: independent of flowlab).
Capture read_capture(const std::string& pcap);

/// Runs `flowlab gen` with `args` (after `gen`), failing the test on a non-zero exit.
void run_gen(const std::vector<std::string>& args);

/// Generated once per test program: a 10-minute office (TCP, UDP, IPv4 and IPv6) and three
/// minutes of the incidents scenario's flood and scan (ICMP), the latter with a packet budget.
struct Outputs {
    std::string office;     ///< complete, truth/conversations.csv
    std::string incidents;  ///< --packets-per-conversation 40, truth/packet-conversations.csv
};
const Outputs& outputs();

}  // namespace flowlab::test

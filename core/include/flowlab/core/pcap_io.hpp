/// @brief Reading and writing capture files of export datagrams and raw frames.
///
/// Reading goes through libpcap (pcap and pcapng, any timestamp precision). The link, IP and
/// UDP headers are parsed here with the bounds-checked ByteReader rather than libtins PDUs:
/// libtins allocates a PDU chain per packet, and decode/replay read millions per second.
/// Writing builds Ethernet/IPv4|IPv6/UDP frames directly for the same reason, with correct
/// IP and UDP checksums, and hands them to libpcap's dump writer.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/ip_address.hpp"

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace flowlab::core {

/// Link types the reader understands (libpcap DLT values).
enum class LinkType : int {
    null = 0,        ///< BSD loopback: 4-byte host-order family
    ethernet = 1,
    raw = 101,       ///< raw IPv4/IPv6 (also DLT 12 and 14 on some systems)
    loop = 108,      ///< OpenBSD loopback: 4-byte network-order family
    linux_sll = 113,
    linux_sll2 = 276,
};

struct Frame {
    std::uint64_t number = 0;   ///< 1-based packet number in the file
    std::int64_t ts_ns = 0;     ///< capture time, Unix epoch nanoseconds
    std::uint32_t wire_length = 0;
    std::span<const std::uint8_t> data;  ///< captured bytes; valid until the next read
};

struct UdpDatagram {
    std::uint64_t number = 0;
    std::int64_t ts_ns = 0;
    IpAddress src;
    IpAddress dst;
    std::uint16_t sport = 0;
    std::uint16_t dport = 0;
    std::span<const std::uint8_t> payload;  ///< valid until the next read
};

struct PcapReadStats {
    std::uint64_t frames = 0;
    std::uint64_t udp = 0;
    std::uint64_t not_ip = 0;        ///< ARP, LLDP, ...
    std::uint64_t not_udp = 0;       ///< TCP, ICMP, ...
    std::uint64_t fragments = 0;     ///< IP fragments (not reassembled)
    std::uint64_t truncated = 0;     ///< snapped or malformed headers
};

class PcapReader {
public:
    /// Opens a pcap or pcapng file ("-" for standard input). Throws InputError if it is not
    /// a capture file or its link type is not one of LinkType.
    explicit PcapReader(const std::string& path);
    ~PcapReader();
    PcapReader(const PcapReader&) = delete;
    PcapReader& operator=(const PcapReader&) = delete;

    LinkType link_type() const noexcept { return link_; }
    int raw_link_type() const noexcept { return dlt_; }
    const std::string& path() const noexcept { return path_; }

    /// Next frame as captured; false at end of file. Throws InputError on a damaged file.
    bool next_frame(Frame& f);
    /// Next UDP datagram (IPv4 or IPv6, VLAN tags skipped), skipping and counting the rest.
    /// IP fragments are counted in stats().fragments and skipped: there is no reassembly.
    bool next_udp(UdpDatagram& d);
    /// Parses a frame of this file's link type; false (and counted) if it is not UDP.
    bool parse_udp(const Frame& f, UdpDatagram& d);
    const PcapReadStats& stats() const noexcept { return stats_; }

private:
    std::string path_;
    pcap_t* pcap_ = nullptr;
    int dlt_ = 0;
    LinkType link_ = LinkType::ethernet;
    PcapReadStats stats_;
};

enum class TimePrecision { micro, nano };

struct UdpEndpoint {
    IpAddress address;
    std::uint16_t port = 0;
};

/// Writes an Ethernet capture to `path` through a temporary file that commit() renames into
/// place; destroying an uncommitted writer removes the temporary file.
class PcapWriter {
public:
    PcapWriter(const std::string& path, TimePrecision precision = TimePrecision::micro,
               int dlt = static_cast<int>(LinkType::ethernet), std::uint32_t snaplen = 262144, ByteTap tap = {});
    ~PcapWriter();
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;

    /// Frames an export datagram as Ethernet/IPv4|IPv6/UDP (both endpoints in one family)
    /// with valid checksums. MAC addresses are derived from the IP addresses (locally
    /// administered), so each exporter has its own stable MAC. A raw-IP writer (DLT 101)
    /// gets the same frame without the Ethernet header. Throws Error for mixed families or
    /// another link type. IPv4 identifications count per source address and port, as each
    /// exporter's own stack would: an exporter's frames do not depend on the others in the file.
    void write_udp(std::int64_t ts_ns, const UdpEndpoint& src, const UdpEndpoint& dst,
                   std::span<const std::uint8_t> payload);
    /// The same with the IPv4 identification given by the caller (ignored for IPv6), for
    /// writers that count per something finer than the source endpoint.
    void write_udp(std::int64_t ts_ns, const UdpEndpoint& src, const UdpEndpoint& dst,
                   std::span<const std::uint8_t> payload, std::uint16_t ip_id);
    /// Writes a complete frame of the writer's link type. Throws Error for a timestamp a pcap
    /// cannot hold (before 1970 or after 2106) and IoError when the write fails.
    void write_frame(std::int64_t ts_ns, std::span<const std::uint8_t> frame);
    void commit();
    std::uint64_t frames() const noexcept { return frames_; }
    std::uint64_t bytes() const noexcept { return bytes_; }

private:
    std::string path_;
    std::string tmp_path_;
    TimePrecision precision_;
    pcap_t* dead_ = nullptr;
    pcap_dumper_t* dumper_ = nullptr;
    std::vector<std::uint8_t> frame_;
    std::map<std::pair<IpAddress, std::uint16_t>, std::uint16_t> ip_ids_;  ///< next id per source
    std::uint64_t frames_ = 0;
    std::uint64_t bytes_ = 0;
    bool committed_ = false;
    struct TapCookie;
    std::unique_ptr<TapCookie> cookie_;
};

/// Builds an Ethernet/IPv4|IPv6/UDP frame into `out` (cleared first) with valid checksums:
/// IPv4 with IHL 5, TTL 64, DF and `ip_id`; IPv6 with hop limit 64. Throws Error if the two
/// addresses are not both IPv4 or both IPv6, or if the payload does not fit one datagram.
void build_udp_frame(std::vector<std::uint8_t>& out, const UdpEndpoint& src, const UdpEndpoint& dst,
                     std::span<const std::uint8_t> payload, std::uint16_t ip_id = 0);
/// Locally administered MAC derived from an IP address (stable, distinct per address).
std::array<std::uint8_t, 6> mac_for(const IpAddress& a) noexcept;
/// RFC 1071 ones'-complement sum of data added to `sum` (not folded). When a checksum spans
/// several pieces, every piece but the last must have an even length.
std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> data) noexcept;
/// Folds a sum to 16 bits and complements it: the value to store in a checksum field. Over
/// data that includes a correct checksum field the result is 0.
std::uint16_t checksum_fold(std::uint32_t sum) noexcept;

}  // namespace flowlab::core

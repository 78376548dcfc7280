/// @brief Capture files: libpcap for the file formats, ByteReader for the link/IP/UDP headers.
#include "flowlab/core/pcap_io.hpp"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"

namespace flowlab::core {

namespace {

constexpr std::size_t kFileBuffer = std::size_t{1} << 20;
constexpr std::int64_t kNsPerSec = 1'000'000'000;

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86DD;
constexpr std::uint8_t kProtoUdp = 17;

// DLT_RAW is 12 on most systems and 14 on OpenBSD; LINKTYPE_RAW (101) is what files carry
// and what libpcap maps to its local DLT_RAW on reading.
constexpr int kDltRawCommon = 12;
constexpr int kDltRawOpenBsd = 14;

constexpr const char* kSupportedLinks =
    "supported are 1 (EN10MB: Ethernet, 802.1Q/802.1ad tags skipped), 113 (LINUX_SLL), "
    "276 (LINUX_SLL2), 101 (RAW; also 12 and 14), 0 (NULL) and 108 (LOOP)";

std::string display_name(const std::string& path) { return path == "-" ? std::string("standard input") : path; }

std::string dlt_description(int dlt) {
    const char* name = pcap_datalink_val_to_name(dlt);
    return std::to_string(dlt) + " (" + (name ? name : "unknown to libpcap") + ")";
}

InputError::Place at_packet(std::uint64_t number) noexcept {
    InputError::Place p;
    p.packet = number;
    return p;
}

bool link_type_for(int dlt, LinkType& out) noexcept {
    switch (dlt) {
    case 0: out = LinkType::null; return true;
    case 1: out = LinkType::ethernet; return true;
    case kDltRawCommon:
    case kDltRawOpenBsd:
    case 101: out = LinkType::raw; return true;
    case 108: out = LinkType::loop; return true;
    case 113: out = LinkType::linux_sll; return true;
    case 276: out = LinkType::linux_sll2; return true;
    default: return false;
    }
}

bool is_vlan_tpid(std::uint16_t type) noexcept {
    return type == 0x8100 || type == 0x88A8 || type == 0x9100;  // 802.1Q, 802.1ad, legacy QinQ
}

// Address families a DLT_NULL/DLT_LOOP header carries for IPv6: BSDs disagree (NetBSD and
// OpenBSD 24, FreeBSD 28, macOS 30), and a capture may come from any of them.
bool is_bsd_af_inet6(std::uint32_t family) noexcept { return family == 24 || family == 28 || family == 30; }

enum class L3 { ipv4, ipv6, other, truncated };

// The network-layer protocol of a frame and a reader positioned at its first byte.
L3 link_payload(LinkType link, ByteReader& r) noexcept {
    std::uint16_t type = 0;
    switch (link) {
    case LinkType::ethernet:
        if (!r.skip(12) || !r.read_u16(type)) return L3::truncated;
        break;
    case LinkType::linux_sll:  // packet type, ARPHRD, address length, 8-byte address, protocol
        if (!r.skip(14) || !r.read_u16(type)) return L3::truncated;
        break;
    case LinkType::linux_sll2: {  // protocol, reserved, ifindex, ARPHRD, packet type, address length, address
        if (!r.read_u16(type) || !r.skip(18)) return L3::truncated;
        break;
    }
    case LinkType::raw: {
        if (r.empty()) return L3::truncated;
        const unsigned version = *r.cursor() >> 4;
        return version == 4 ? L3::ipv4 : version == 6 ? L3::ipv6 : L3::other;
    }
    case LinkType::null:
    case LinkType::loop: {
        if (!r.can_read(4)) return L3::truncated;
        const std::uint8_t* p = r.cursor();
        std::uint32_t family = load_be32(p);
        if (link == LinkType::null) {
            // Host order of the machine that wrote the file, which need not be ours: the
            // family is a small number, so the byte order with a small value is the right one.
            const std::uint32_t le = load_le32(p);
            if (le < family) family = le;
        }
        r.skip(4);
        if (family == 2) return L3::ipv4;
        if (is_bsd_af_inet6(family)) return L3::ipv6;
        return L3::other;
    }
    }
    // Ethernet and Linux cooked captures may carry (stacked) VLAN tags before the payload type.
    while (is_vlan_tpid(type)) {
        if (!r.skip(2) || !r.read_u16(type)) return L3::truncated;
    }
    if (type == kEtherIpv4) return L3::ipv4;
    if (type == kEtherIpv6) return L3::ipv6;
    return L3::other;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// PcapReader

PcapReader::PcapReader(const std::string& path) : path_(path) {
    const std::string name = display_name(path);
    std::FILE* f = nullptr;
    if (path == "-") {
        // A stream of its own over the same descriptor: pcap_close() closes the stream it was
        // given, and the process's stdin must stay usable.
        const int fd = ::dup(STDIN_FILENO);
        f = fd < 0 ? nullptr : ::fdopen(fd, "rb");
        if (!f && fd >= 0) ::close(fd);
    } else {
        f = std::fopen(path.c_str(), "rb");
    }
    if (!f) throw InputError(name, std::string("cannot open: ") + std::strerror(errno));
    // libpcap reads record by record; a large stdio buffer turns that into few large reads.
    std::setvbuf(f, nullptr, _IOFBF, kFileBuffer);
    const int c = std::getc(f);
    if (c == EOF) {
        const bool failed = std::ferror(f);
        const int e = errno;
        std::fclose(f);
        if (failed) throw InputError(name, std::string("cannot read: ") + std::strerror(e));
        throw InputError(name, "empty file: expected a pcap or pcapng capture");
    }
    std::ungetc(c, f);
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_ = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!pcap_) {
        std::fclose(f);
        throw InputError(name, std::string("not a pcap or pcapng capture file: ") + errbuf);
    }
    dlt_ = pcap_datalink(pcap_);
    if (!link_type_for(dlt_, link_)) {
        pcap_close(pcap_);
        pcap_ = nullptr;
        throw InputError(name, "link type " + dlt_description(dlt_) + " is not supported; " + kSupportedLinks);
    }
}

PcapReader::~PcapReader() {
    if (pcap_) pcap_close(pcap_);
}

bool PcapReader::next_frame(Frame& f) {
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    while (true) {
        const int rc = pcap_next_ex(pcap_, &h, &data);
        if (rc == 1) break;
        if (rc == PCAP_ERROR_BREAK) return false;  // end of file
        if (rc == PCAP_ERROR)
            throw InputError(display_name(path_), at_packet(stats_.frames + 1),
                             std::string("damaged capture file: ") + pcap_geterr(pcap_));
        // rc == 0 (timeout) only happens on live captures; ask again.
    }
    ++stats_.frames;
    f.number = stats_.frames;
    // Classic pcap stores seconds as 32 bits that the file format defines as unsigned but
    // libpcap reads as signed: a negative value is a time after 2038.
    std::int64_t sec = h->ts.tv_sec;
    if (sec < 0 && sec >= -(std::int64_t{1} << 31)) sec += std::int64_t{1} << 32;
    f.ts_ns = sec * kNsPerSec + static_cast<std::int64_t>(h->ts.tv_usec);  // ns: opened with nano precision
    f.wire_length = h->len;
    f.data = std::span<const std::uint8_t>(data, h->caplen);
    return true;
}

bool PcapReader::next_udp(UdpDatagram& d) {
    Frame f;
    while (next_frame(f))
        if (parse_udp(f, d)) return true;
    return false;
}

bool PcapReader::parse_udp(const Frame& f, UdpDatagram& d) {
    ByteReader r(f.data);
    const L3 l3 = link_payload(link_, r);
    if (l3 == L3::truncated) {
        ++stats_.truncated;
        return false;
    }
    if (l3 == L3::other) {
        ++stats_.not_ip;
        return false;
    }

    IpAddress src, dst;
    ByteReader l4;  // the IP payload, as far as the IP header's length and the capture allow
    if (l3 == L3::ipv4) {
        if (!r.can_read(20)) {
            ++stats_.truncated;
            return false;
        }
        const std::uint8_t* h = r.cursor();
        const std::size_t ihl = std::size_t{h[0] & 0x0Fu} * 4;
        const std::size_t total = load_be16(h + 2);
        if ((h[0] >> 4) != 4 || ihl < 20 || !r.can_read(ihl) || (total != 0 && total < ihl)) {
            ++stats_.truncated;
            return false;
        }
        const std::uint16_t frag = load_be16(h + 6);
        if ((frag & 0x2000u) || (frag & 0x1FFFu)) {  // more fragments, or not the first: no reassembly
            ++stats_.fragments;
            return false;
        }
        if (h[9] != kProtoUdp) {
            ++stats_.not_udp;
            return false;
        }
        src = IpAddress::v4_bytes(h + 12);
        dst = IpAddress::v4_bytes(h + 16);
        // Total length 0 is what captures of TSO/GSO packets show: the capture length holds.
        const std::size_t extent = total == 0 ? r.remaining() : std::min(total, r.remaining());
        r.take(extent, l4);
        l4.skip(ihl);
    } else {
        if (!r.can_read(40)) {
            ++stats_.truncated;
            return false;
        }
        const std::uint8_t* h = r.cursor();
        if ((h[0] >> 4) != 6) {
            ++stats_.truncated;
            return false;
        }
        const std::size_t payload_length = load_be16(h + 4);
        std::uint8_t next = h[6];
        src = IpAddress::v6_bytes(h + 8);
        dst = IpAddress::v6_bytes(h + 24);
        r.skip(40);
        // Payload length 0 means a jumbogram (or an offloaded packet): the capture length holds.
        const std::size_t extent = payload_length == 0 ? r.remaining() : std::min(payload_length, r.remaining());
        r.take(extent, l4);
        // Walk the extension headers to the upper-layer header (RFC 8200 4.1).
        while (next != kProtoUdp) {
            std::uint8_t hdr[2];
            if (next == 0 || next == 43 || next == 60 || next == 51) {  // hop-by-hop, routing, dest. options, AH
                if (!l4.read_u8(hdr[0]) || !l4.read_u8(hdr[1])) {
                    ++stats_.truncated;
                    return false;
                }
                const std::size_t len = next == 51 ? (std::size_t{hdr[1]} + 2) * 4 : (std::size_t{hdr[1]} + 1) * 8;
                if (!l4.skip(len - 2)) {
                    ++stats_.truncated;
                    return false;
                }
                next = hdr[0];
            } else if (next == 44) {  // fragment
                std::uint8_t nh = 0, reserved = 0;
                std::uint16_t offset_flags = 0;
                std::uint32_t id = 0;
                if (!l4.read_u8(nh) || !l4.read_u8(reserved) || !l4.read_u16(offset_flags) || !l4.read_u32(id)) {
                    ++stats_.truncated;
                    return false;
                }
                // An atomic fragment (offset 0, no more fragments; RFC 6946) is a whole packet.
                if ((offset_flags & 0xFFF9u) != 0) {
                    ++stats_.fragments;
                    return false;
                }
                next = nh;
            } else {
                ++stats_.not_udp;
                return false;
            }
        }
    }

    // UDP: the length field delimits the payload (Ethernet pads short frames), but the
    // datagram must lie within the captured bytes and the IP packet.
    std::uint16_t sport = 0, dport = 0, length = 0, checksum = 0;
    if (!l4.read_u16(sport) || !l4.read_u16(dport) || !l4.read_u16(length) || !l4.read_u16(checksum) ||
        length < 8 || !l4.can_read(std::size_t{length} - 8)) {
        ++stats_.truncated;
        return false;
    }
    ++stats_.udp;
    d.number = f.number;
    d.ts_ns = f.ts_ns;
    d.src = src;
    d.dst = dst;
    d.sport = sport;
    d.dport = dport;
    d.payload = l4.rest().first(std::size_t{length} - 8);
    return true;
}

// ---------------------------------------------------------------------------------------------
// Frame building

std::uint32_t checksum_add(std::uint32_t sum, std::span<const std::uint8_t> data) noexcept {
    // Summing 32-bit big-endian words is the same ones'-complement sum as 16-bit words
    // (2^16 == 1 modulo 2^16 - 1) at half the additions; a 64-bit accumulator cannot overflow.
    std::uint64_t acc = sum;
    const std::uint8_t* p = data.data();
    std::size_t n = data.size();
    for (; n >= 4; n -= 4, p += 4) acc += load_be32(p);
    if (n >= 2) {
        acc += load_be16(p);
        p += 2;
        n -= 2;
    }
    if (n) {
        const std::uint8_t padded[2] = {p[0], 0};  // RFC 1071: an odd last byte is padded with zero
        acc += load_be16(padded);
    }
    while (acc >> 32) acc = (acc & 0xFFFFFFFFu) + (acc >> 32);
    return static_cast<std::uint32_t>(acc);
}

std::uint16_t checksum_fold(std::uint32_t sum) noexcept {
    while (sum >> 16) sum = (sum & 0xFFFFu) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

std::array<std::uint8_t, 6> mac_for(const IpAddress& a) noexcept {
    // Locally administered, unicast. IPv4 embeds the address (02:00:c0:00:02:01 for 192.0.2.1,
    // readable in a dump); IPv6 uses a 40-bit FNV-1a hash under a different first octet, so
    // the two families never collide.
    std::array<std::uint8_t, 6> mac{};
    if (a.is_v4()) {
        mac[0] = 0x02;
        mac[1] = 0x00;
        std::memcpy(mac.data() + 2, a.bytes().data(), 4);
        return mac;
    }
    std::uint64_t h = 0xCBF29CE484222325ull;
    for (std::size_t i = 0; i < a.size(); ++i) {
        h ^= a.bytes()[i];
        h *= 0x100000001B3ull;
    }
    mac[0] = 0x0A;
    for (std::size_t i = 1; i < 6; ++i) mac[i] = static_cast<std::uint8_t>(h >> (8 * (i - 1)));
    return mac;
}

void build_udp_frame(std::vector<std::uint8_t>& out, const UdpEndpoint& src, const UdpEndpoint& dst,
                     std::span<const std::uint8_t> payload, std::uint16_t ip_id) {
    const bool v4 = src.address.is_v4() && dst.address.is_v4();
    const bool v6 = src.address.is_v6() && dst.address.is_v6();
    if (!v4 && !v6)
        throw Error("cannot frame a UDP datagram from '" + src.address.to_string() + "' to '" +
                    dst.address.to_string() + "': both addresses must be IPv4 or both IPv6");
    const std::size_t ip_header = v4 ? 20 : 40;
    const std::size_t udp_length = 8 + payload.size();
    const std::size_t max_payload = v4 ? 65535 - 20 - 8 : 65535 - 8;
    if (payload.size() > max_payload)
        throw Error("UDP payload of " + std::to_string(payload.size()) + " bytes does not fit one " +
                    (v4 ? "IPv4" : "IPv6") + " datagram (at most " + std::to_string(max_payload) + ")");

    out.resize(14 + ip_header + udp_length);
    std::uint8_t* p = out.data();
    const auto dst_mac = mac_for(dst.address);
    const auto src_mac = mac_for(src.address);
    std::memcpy(p, dst_mac.data(), 6);
    std::memcpy(p + 6, src_mac.data(), 6);
    store_be16(p + 12, v4 ? kEtherIpv4 : kEtherIpv6);

    std::uint8_t* ip = p + 14;
    std::uint32_t pseudo = 0;
    if (v4) {
        ip[0] = 0x45;  // version 4, IHL 5
        ip[1] = 0;     // DSCP/ECN
        store_be16(ip + 2, static_cast<std::uint16_t>(20 + udp_length));
        store_be16(ip + 4, ip_id);
        store_be16(ip + 6, 0x4000);  // DF, offset 0
        ip[8] = 64;                  // TTL
        ip[9] = kProtoUdp;
        store_be16(ip + 10, 0);
        std::memcpy(ip + 12, src.address.bytes().data(), 4);
        std::memcpy(ip + 16, dst.address.bytes().data(), 4);
        store_be16(ip + 10, checksum_fold(checksum_add(0, {ip, 20})));
        pseudo = checksum_add(0, {ip + 12, 8});  // source and destination addresses
        pseudo += kProtoUdp + static_cast<std::uint32_t>(udp_length);
    } else {
        store_be32(ip, 0x60000000u);  // version 6, traffic class 0, flow label 0
        store_be16(ip + 4, static_cast<std::uint16_t>(udp_length));
        ip[6] = kProtoUdp;
        ip[7] = 64;  // hop limit
        std::memcpy(ip + 8, src.address.bytes().data(), 16);
        std::memcpy(ip + 24, dst.address.bytes().data(), 16);
        pseudo = checksum_add(0, {ip + 8, 32});
        pseudo += kProtoUdp + static_cast<std::uint32_t>(udp_length);  // 32-bit length, next header
    }

    std::uint8_t* udp = ip + ip_header;
    store_be16(udp, src.port);
    store_be16(udp + 2, dst.port);
    store_be16(udp + 4, static_cast<std::uint16_t>(udp_length));
    store_be16(udp + 6, 0);
    if (!payload.empty()) std::memcpy(udp + 8, payload.data(), payload.size());
    std::uint16_t sum = checksum_fold(checksum_add(pseudo, {udp, udp_length}));
    if (sum == 0) sum = 0xFFFF;  // 0 means "no checksum" in UDP (RFC 768); forbidden over IPv6
    store_be16(udp + 6, sum);
}

// ---------------------------------------------------------------------------------------------
// PcapWriter

/// With a tap, libpcap writes through a glibc cookie stream that passes every byte to the file
/// descriptor and to the tap: the tap then sees exactly the file's bytes, header included,
/// without flowlab restating libpcap's file format.
struct PcapWriter::TapCookie {
    int fd = -1;
    ByteTap tap;
    static ssize_t write(void* c, const char* buf, std::size_t size) {
        auto* self = static_cast<TapCookie*>(c);
        std::size_t done = 0;
        while (done < size) {
            const ssize_t n = ::write(self->fd, buf + done, size - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                return done ? static_cast<ssize_t>(done) : -1;
            }
            done += static_cast<std::size_t>(n);
        }
        self->tap(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(buf), size));
        return static_cast<ssize_t>(size);
    }
    static int close(void* c) {
        auto* self = static_cast<TapCookie*>(c);
        const int r = ::close(self->fd);
        self->fd = -1;
        return r;
    }
};

PcapWriter::PcapWriter(const std::string& path, TimePrecision precision, int dlt, std::uint32_t snaplen, ByteTap tap)
    : path_(path), tmp_path_(temp_name_for(path)), precision_(precision) {
    // Files say LINKTYPE_RAW (101); libpcap's name for it on this system is DLT_RAW.
    const int open_dlt = dlt == 101 ? DLT_RAW : dlt;
    dead_ = pcap_open_dead_with_tstamp_precision(
        open_dlt, static_cast<int>(std::min<std::uint32_t>(snaplen, 0x7FFFFFFF)),
        precision == TimePrecision::nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    if (!dead_) throw Error(path_ + ": libpcap cannot make a capture of link type " + dlt_description(dlt));
    std::FILE* f = nullptr;
    if (tap) {
        cookie_ = std::make_unique<TapCookie>();
        cookie_->tap = std::move(tap);
        cookie_->fd = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (cookie_->fd >= 0) {
            f = fopencookie(cookie_.get(), "wb", cookie_io_functions_t{nullptr, &TapCookie::write, nullptr, &TapCookie::close});
            if (!f) ::close(cookie_->fd);
        }
    } else {
        f = std::fopen(tmp_path_.c_str(), "wb");
    }
    if (!f) {
        const int e = errno;
        pcap_close(dead_);
        throw IoError("cannot create " + tmp_path_ + " (for " + path_ + "): " + std::strerror(e));
    }
    std::setvbuf(f, nullptr, _IOFBF, kFileBuffer);
    dumper_ = pcap_dump_fopen(dead_, f);
    if (!dumper_) {
        const std::string why = pcap_geterr(dead_);
        std::fclose(f);
        std::remove(tmp_path_.c_str());
        pcap_close(dead_);
        throw IoError(path_ + ": cannot write a capture of link type " + dlt_description(dlt) + ": " + why);
    }
}

PcapWriter::~PcapWriter() {
    if (dumper_) {
        pcap_dump_close(dumper_);
        std::remove(tmp_path_.c_str());
    }
    if (dead_) pcap_close(dead_);
}

void PcapWriter::write_udp(std::int64_t ts_ns, const UdpEndpoint& src, const UdpEndpoint& dst,
                           std::span<const std::uint8_t> payload) {
    write_udp(ts_ns, src, dst, payload, src.address.is_v4() ? ip_ids_[{src.address, src.port}]++ : std::uint16_t{0});
}

void PcapWriter::write_udp(std::int64_t ts_ns, const UdpEndpoint& src, const UdpEndpoint& dst,
                           std::span<const std::uint8_t> payload, std::uint16_t ip_id) {
    const int dlt = pcap_datalink(dead_);
    if (dlt != DLT_EN10MB && dlt != DLT_RAW)
        throw Error(path_ + ": UDP datagrams are written as Ethernet or raw IP frames, not link type " +
                    dlt_description(dlt));
    build_udp_frame(frame_, src, dst, payload, src.address.is_v4() ? ip_id : 0);
    std::span<const std::uint8_t> frame(frame_);
    write_frame(ts_ns, dlt == DLT_RAW ? frame.subspan(14) : frame);
}

void PcapWriter::write_frame(std::int64_t ts_ns, std::span<const std::uint8_t> frame) {
    if (!dumper_) throw Error(path_ + ": write after commit");
    // The classic pcap header holds unsigned 32-bit seconds.
    if (ts_ns < 0 || ts_ns / kNsPerSec > 0xFFFFFFFFll)
        throw Error(path_ + ": timestamp " + std::to_string(ts_ns) +
                    " ns is outside what a pcap file can hold (1970 to 2106)");
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(ts_ns / kNsPerSec);
    const std::int64_t frac = ts_ns % kNsPerSec;
    h.ts.tv_usec = static_cast<suseconds_t>(precision_ == TimePrecision::nano ? frac : frac / 1000);
    h.len = static_cast<bpf_u_int32>(frame.size());
    h.caplen = std::min(h.len, static_cast<bpf_u_int32>(pcap_snapshot(dead_)));
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame.data());
    if (std::ferror(pcap_dump_file(dumper_)))
        throw IoError(tmp_path_ + " (for " + path_ + "): write failed: " + std::strerror(errno));
    ++frames_;
    bytes_ += frame.size();
}

// No fsync, for the reason AtomicFile::commit gives: the temp-and-rename protects against
// interrupted runs, not power loss.
void PcapWriter::commit() {
    if (!dumper_) throw IoError(path_ + ": already committed");
    const bool ok = pcap_dump_flush(dumper_) == 0 && !std::ferror(pcap_dump_file(dumper_));
    const int e = errno;
    pcap_dump_close(dumper_);
    dumper_ = nullptr;
    if (!ok) {
        std::remove(tmp_path_.c_str());
        throw IoError(tmp_path_ + " (for " + path_ + "): write failed: " + std::strerror(e));
    }
    if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
        const int re = errno;
        std::remove(tmp_path_.c_str());
        throw IoError("cannot rename " + tmp_path_ + " to " + path_ + ": " + std::strerror(re));
    }
    committed_ = true;
}

}  // namespace flowlab::core

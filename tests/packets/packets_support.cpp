#include "packets_support.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <tins/tins.h>

#include <fstream>
#include <sstream>

#include "test_support.hpp"

namespace flowlab::test {

std::map<Key, Totals> truth_totals(const std::string& csv) {
    std::ifstream in(csv);
    EXPECT_TRUE(in) << "cannot read " << csv;
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "id,src,dst,sport,dport,proto,tos,tcp_flags,packets,bytes,first_ms,last_ms");
    std::map<Key, Totals> out;
    while (std::getline(in, line)) {
        std::vector<std::string> c;
        std::stringstream ss(line);
        for (std::string cell; std::getline(ss, cell, ',');) c.push_back(cell);
        if (c.size() != 12) {
            ADD_FAILURE() << csv << ": bad line " << line;
            continue;
        }
        Totals& t = out[Key{c[1], c[2], std::stoul(c[3]), std::stoul(c[4]), std::stoul(c[5])}];
        t.packets += std::stoull(c[8]);
        t.bytes += std::stoull(c[9]);
        t.tcp_flags |= static_cast<std::uint32_t>(std::stoul(c[7]));
    }
    return out;
}

namespace {

std::uint32_t sum16(const std::uint8_t* p, std::size_t n, std::uint32_t s = 0) {
    for (std::size_t i = 0; i + 1 < n; i += 2) s += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2) s += static_cast<std::uint32_t>(p[n - 1] << 8);
    return s;
}
bool folds_to_zero(std::uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return s == 0xffff;
}

}  // namespace

Capture read_capture(const std::string& path) {
    Capture cap;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(path.c_str(), err);
    if (!p) {
        ADD_FAILURE() << "libpcap cannot open " << path << ": " << err;
        return cap;
    }
    EXPECT_EQ(pcap_datalink(p), DLT_EN10MB);
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    std::int64_t last_us = 0;
    while (pcap_next_ex(p, &h, &data) == 1) {
        ++cap.frames;
        EXPECT_EQ(h->caplen, h->len) << "frame " << cap.frames << " is truncated";
        const std::int64_t us = static_cast<std::int64_t>(h->ts.tv_sec) * 1'000'000 + h->ts.tv_usec;
        if (us < last_us) ++cap.time_reversals;
        last_us = us;
        Tins::EthernetII eth(data, h->caplen);
        const std::uint8_t* ip = data + 14;
        std::string src, dst;
        std::uint32_t proto = 0, ip_len = 0, l4_off = 0;
        std::uint32_t pseudo = 0;
        if (const auto* v4 = eth.find_pdu<Tins::IP>()) {
            ++cap.ipv4;
            src = v4->src_addr().to_string();
            dst = v4->dst_addr().to_string();
            proto = v4->protocol();
            ip_len = v4->tot_len();
            l4_off = (ip[0] & 0x0f) * 4u;
            if (!folds_to_zero(sum16(ip, l4_off))) ++cap.bad_checksums;
            pseudo = sum16(ip + 12, 8) + proto + (ip_len - l4_off);
        } else if (const auto* v6 = eth.find_pdu<Tins::IPv6>()) {
            ++cap.ipv6;
            src = v6->src_addr().to_string();
            dst = v6->dst_addr().to_string();
            proto = v6->next_header();
            ip_len = 40u + v6->payload_length();
            l4_off = 40;
            pseudo = sum16(ip + 8, 32) + proto + (ip_len - l4_off);
        } else {
            ++cap.not_ip;
            continue;
        }
        EXPECT_EQ(14u + ip_len, h->caplen) << "frame " << cap.frames << ": IP length and frame length disagree";
        const std::uint8_t* l4 = ip + l4_off;
        const std::uint32_t l4_len = ip_len - l4_off;
        std::uint32_t sport = 0, dport = 0, flags = 0;
        if (const auto* t = eth.find_pdu<Tins::TCP>()) {
            sport = t->sport();
            dport = t->dport();
            flags = t->flags();
            if (flags & Tins::TCP::SYN) ++((flags & Tins::TCP::ACK) ? cap.syn_ack : cap.syn);
            if (flags & Tins::TCP::FIN) ++cap.fin;
            if (flags & Tins::TCP::RST) ++cap.rst;
            if (!folds_to_zero(sum16(l4, l4_len, pseudo))) ++cap.bad_checksums;
        } else if (const auto* u = eth.find_pdu<Tins::UDP>()) {
            sport = u->sport();
            dport = u->dport();
            if (!folds_to_zero(sum16(l4, l4_len, pseudo))) ++cap.bad_checksums;
        } else if (proto == 1 || proto == 58) {
            dport = static_cast<std::uint32_t>(l4[0] << 8 | l4[1]);
            // ICMPv4 has no pseudo-header; ICMPv6 does.
            if (!folds_to_zero(sum16(l4, l4_len, proto == 58 ? pseudo : 0))) ++cap.bad_checksums;
        }
        ++cap.protocols[proto];
        Totals& tot = cap.totals[Key{src, dst, sport, dport, proto}];
        ++tot.packets;
        tot.bytes += ip_len;
        tot.tcp_flags |= flags;
    }
    pcap_close(p);
    return cap;
}

void run_gen(const std::vector<std::string>& args) {
    std::vector<std::string> argv{flowlab_bin(), "gen"};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult r = run(argv);
    ASSERT_EQ(r.exit_code, 0) << r.err;
}

const Outputs& outputs() {
    static TempDir dir;
    static const Outputs out = [] {
        Outputs o{dir / "office", dir / "incidents"};
        run_gen({"example-office", "-o", o.office, "--duration", "10m", "--packets"});
        run_gen({"example-incidents", "-o", o.incidents, "--start", "2024-05-14T19:59:00Z", "--duration", "3m",
                 "--packets", "--packets-per-conversation", "40"});
        return o;
    }();
    return out;
}

}  // namespace flowlab::test

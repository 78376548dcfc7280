/// @brief Encoder output against byte vectors worked out by hand from RFC 3954, RFC 7011 and
/// the NetFlow v5 layout, and the decoder reading them back.
#include <gtest/gtest.h>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/encoder.hpp"
#include "flowlab/core/ie_catalog.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

using test::hex;

constexpr std::int64_t kExportMs = 1'700'000'000'250;  // 2023-11-14T22:13:20.250Z
constexpr std::int64_t kExportNs = kExportMs * 1'000'000;
constexpr std::int64_t kBootMs = 1'700'000'000'000 - 3'600'000;  // booted one hour before

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

FlowRecord sample_record() {
    FlowRecord r;
    r.set_address(Field::src, ip("192.0.2.1"));
    r.set_address(Field::dst, ip("198.51.100.2"));
    r.set_address(Field::next_hop, ip("203.0.113.254"));
    r.set_number(Field::in_if, 3);
    r.set_number(Field::out_if, 4);
    r.set_number(Field::packets, 10);
    r.set_number(Field::bytes, 1500);
    r.set_number(Field::first_ms, static_cast<std::uint64_t>(kExportMs - 2000));
    r.set_number(Field::last_ms, 1'700'000'000'000);
    r.set_number(Field::sport, 40000);
    r.set_number(Field::dport, 443);
    r.set_number(Field::tcp_flags, 0x1b);
    r.set_number(Field::proto, 6);
    r.set_number(Field::tos, 0);
    r.set_number(Field::src_as, 64512);
    r.set_number(Field::dst_as, 64513);
    r.set_number(Field::src_mask, 24);
    r.set_number(Field::dst_mask, 24);
    return r;
}

struct Capture {
    std::vector<std::vector<std::uint8_t>> messages;
    std::vector<std::vector<FlowRecord>> truth;
    Packetizer::Sink sink() {
        return [this](const EncodedMessage& m) {
            messages.emplace_back(m.bytes.begin(), m.bytes.end());
            truth.emplace_back(m.records.begin(), m.records.end());
        };
    }
};

std::vector<FlowRecord> decode_all(const std::vector<std::vector<std::uint8_t>>& msgs, Decoder& d,
                                   const IpAddress& exporter = IpAddress::v4(0xC0000201)) {
    std::vector<FlowRecord> out;
    std::uint64_t n = 0;
    for (const auto& m : msgs) d.decode(ExportDatagram{m, exporter, 2055, ++n}, out);
    return out;
}

TEST(CodecVectors, NetflowV5OneRecord) {
    Capture cap;
    ExporterConfig cfg;
    cfg.protocol = Protocol::v5;
    cfg.address = ip("192.0.2.1");
    cfg.domain = (1 << 8) | 2;  // engine type 1, engine id 2
    cfg.boot_ms = kBootMs;
    Packetizer p(cfg, cap.sink());
    ASSERT_TRUE(p.add(sample_record(), kExportNs));
    p.flush(kExportNs);
    ASSERT_EQ(cap.messages.size(), 1u);
    const auto expected = hex(R"(
        0005 0001            # version 5, count 1
        0036ef7a             # sysUptime 3600250 ms (export time - boot)
        6553f100             # unix_secs 1700000000
        0ee6b280             # unix_nsecs 250000000
        00000000             # flow_sequence: no flows before this packet
        01 02                # engine type 1, engine id 2
        0000                 # sampling: none
        c0000201             # srcaddr 192.0.2.1
        c6336402             # dstaddr 198.51.100.2
        cb0071fe             # nexthop 203.0.113.254
        0003 0004            # input 3, output 4
        0000000a             # dPkts 10
        000005dc             # dOctets 1500
        0036e7aa             # First = first_ms - boot = 3598250
        0036ee80             # Last  = last_ms - boot  = 3600000
        9c40 01bb            # srcport 40000, dstport 443
        00 1b 06 00          # pad1, tcp_flags, prot 6, tos
        fc00 fc01            # src_as 64512, dst_as 64513
        18 18 0000           # src_mask 24, dst_mask 24, pad2
    )");
    EXPECT_EQ(test::to_hex(cap.messages[0]), test::to_hex(expected));

    Decoder d;
    auto got = decode_all(cap.messages, d);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], cap.truth[0][0]);
    EXPECT_EQ(got[0].first_ms, kExportMs - 2000);
    EXPECT_EQ(got[0].last_ms, 1'700'000'000'000);
    EXPECT_EQ(got[0].export_ms, kExportMs);
    EXPECT_EQ(got[0].domain, 0x0102u);
    EXPECT_FALSE(got[0].has(Field::template_id));
    EXPECT_EQ(d.stats().error_total(), 0u) << d.summary();
}

TEST(CodecVectors, NetflowV9TemplateAndPaddedDataFlowset) {
    Capture cap;
    ExporterConfig cfg;
    cfg.protocol = Protocol::v9;
    cfg.address = ip("192.0.2.1");
    cfg.domain = 7;
    cfg.boot_ms = kBootMs;
    cfg.template_v4.id = 256;
    cfg.template_v4.fields = {{8, 4}, {12, 4}, {2, 4}, {1, 4}, {22, 4}, {21, 4}, {7, 2}, {11, 2}, {4, 1}};
    Packetizer p(cfg, cap.sink());
    ASSERT_TRUE(p.add(sample_record(), kExportNs));
    p.flush(kExportNs);
    ASSERT_EQ(cap.messages.size(), 1u);
    const auto expected = hex(R"(
        0009 0002            # version 9, count 2 (1 template record + 1 data record)
        0036f268             # sysUptime = unix_secs*1000 - boot = 3601000
        6553f101             # unix_secs 1700000001: the export time .250 rounded up
        00000000             # sequence: first export packet
        00000007             # source id 7
        0000 002c            # template flowset (id 0), length 44
        0100 0009            #   template 256, 9 fields
        0008 0004 000c 0004  #   IPV4_SRC_ADDR 4, IPV4_DST_ADDR 4
        0002 0004 0001 0004  #   IN_PKTS 4, IN_BYTES 4
        0016 0004 0015 0004  #   FIRST_SWITCHED 4, LAST_SWITCHED 4
        0007 0002 000b 0002  #   L4_SRC_PORT 2, L4_DST_PORT 2
        0004 0001            #   PROTOCOL 1
        0100 0024            # data flowset for template 256, length 36 (33 + 3 padding)
        c0000201 c6336402    #   192.0.2.1 -> 198.51.100.2
        0000000a 000005dc    #   10 packets, 1500 bytes
        0036e7aa 0036ee80    #   first/last switched (ms since boot)
        9c40 01bb 06         #   40000 -> 443, TCP
        000000               #   padding to a 32-bit boundary
    )");
    EXPECT_EQ(test::to_hex(cap.messages[0]), test::to_hex(expected));

    Decoder d;
    auto got = decode_all(cap.messages, d);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], cap.truth[0][0]);
    EXPECT_EQ(got[0].first_ms, kExportMs - 2000);
    EXPECT_EQ(got[0].template_id, 256);
    EXPECT_FALSE(got[0].has(Field::tos)) << "the template does not carry ToS";
    EXPECT_EQ(d.stats().templates, 1u);
    EXPECT_EQ(d.stats().error_total(), 0u) << d.summary();
}

TEST(CodecVectors, IpfixEnterpriseVariableLengthReducedSize) {
    Capture cap;
    ExporterConfig cfg;
    cfg.protocol = Protocol::ipfix;
    cfg.address = ip("192.0.2.1");
    cfg.domain = 1;
    cfg.boot_ms = kBootMs;
    cfg.template_v4.id = 256;
    cfg.template_v4.fields = {{8, 4},   {12, 4},  {2, 4} /* reduced-size packetDeltaCount */,
                              {1, 8},   {152, 8}, {153, 8},
                              {7, 2},   {11, 2},  {4, 1},
                              {1, 4, 32473} /* enterprise element, documentation PEN (RFC 5612) */,
                              {96, kVariableLength} /* applicationName */};
    Packetizer p(cfg, cap.sink());
    FlowRecord r = sample_record();
    r.extra.push_back({32473, 1, {0xde, 0xad, 0xbe, 0xef}});
    r.extra.push_back({0, 96, {'w', 'e', 'b'}});
    ASSERT_TRUE(p.add(r, kExportNs));
    p.flush(kExportNs);
    ASSERT_TRUE(p.add(r, kExportNs + 1'000'000'000));
    p.flush(kExportNs + 1'000'000'000);
    ASSERT_EQ(cap.messages.size(), 2u);
    const auto expected = hex(R"(
        000a 007d            # version 10, message length 125
        6553f100             # export time 1700000000
        00000000             # sequence: data records sent before = 0
        00000001             # observation domain 1
        0002 0038            # template set (id 2), length 56 (4 + 4 + 11 specs + 1 PEN)
        0100 000b            #   template 256, 11 fields
        0008 0004 000c 0004  #   sourceIPv4Address, destinationIPv4Address
        0002 0004            #   packetDeltaCount in 4 bytes (reduced size)
        0001 0008            #   octetDeltaCount
        0098 0008 0099 0008  #   flowStartMilliseconds, flowEndMilliseconds
        0007 0002 000b 0002  #   ports
        0004 0001            #   protocolIdentifier
        8001 0004 00007ed9   #   enterprise bit + element 1, 4 bytes, PEN 32473
        0060 ffff            #   applicationName, variable length
        0100 0035            # data set for template 256, length 53
        c0000201 c6336402    #   addresses
        0000000a             #   10 packets
        00000000000005dc     #   1500 bytes
        0000018bcfe5612a     #   start 1699999998250 ms
        0000018bcfe56800     #   end   1700000000000 ms
        9c40 01bb 06         #   40000 -> 443, TCP
        deadbeef             #   enterprise field
        03 776562            #   "web" with a 1-byte length prefix
    )");
    EXPECT_EQ(test::to_hex(cap.messages[0]), test::to_hex(expected));
    // The second message: no template (refresh is by 20 packets / 60 s) and sequence 1.
    EXPECT_EQ(cap.messages[1].size(), 16u + 53u);
    EXPECT_EQ(test::to_hex({cap.messages[1].begin() + 8, cap.messages[1].begin() + 12}), "00 00 00 01");

    DecoderOptions opts;
    opts.keep_extra = true;
    Decoder d(opts);
    auto got = decode_all(cap.messages, d);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], cap.truth[0][0]);
    EXPECT_EQ(got[1], cap.truth[1][0]);
    ASSERT_EQ(got[0].extra.size(), 2u);
    EXPECT_EQ(got[0].extra[0], r.extra[0]);
    EXPECT_EQ(got[0].extra[1], r.extra[1]);
    EXPECT_EQ(got[0].packets, 10u);
    EXPECT_EQ(got[0].sequence, 0u);
    EXPECT_EQ(got[1].sequence, 1u);
    EXPECT_EQ(d.stats().enterprise_fields, 2u);
    EXPECT_EQ(d.stats().error_total(), 0u) << d.summary();
    EXPECT_EQ(d.stats().sequence_gaps, 0u);
}

TEST(CodecVectors, IpfixLongVariableLengthUsesThreeBytePrefix) {
    Capture cap;
    ExporterConfig cfg;
    cfg.protocol = Protocol::ipfix;
    cfg.address = ip("192.0.2.1");
    cfg.template_v4.id = 300;
    cfg.template_v4.fields = {{8, 4}, {82, kVariableLength}};
    Packetizer p(cfg, cap.sink());
    FlowRecord r = sample_record();
    r.extra.push_back({0, 82, std::vector<std::uint8_t>(300, 'x')});
    ASSERT_TRUE(p.add(r, kExportNs));
    p.flush(kExportNs);
    const auto& m = cap.messages.at(0);
    // header 16, template set 4+4+8, data set header 4, address 4, then ff 01 2c
    const std::size_t at = 16 + 16 + 4 + 4;
    ASSERT_GT(m.size(), at + 3);
    EXPECT_EQ(m[at], 0xff);
    EXPECT_EQ(m[at + 1], 0x01);
    EXPECT_EQ(m[at + 2], 0x2c);
    DecoderOptions opts;
    opts.keep_extra = true;
    Decoder d(opts);
    auto got = decode_all(cap.messages, d);
    ASSERT_EQ(got.size(), 1u);
    ASSERT_EQ(got[0].extra.size(), 1u);
    EXPECT_EQ(got[0].extra[0].value.size(), 300u);
}

TEST(CodecVectors, NtpTimestampsRoundTripToTheMillisecond) {
    for (TimeStyle style : {TimeStyle::seconds, TimeStyle::milliseconds, TimeStyle::microseconds,
                            TimeStyle::nanoseconds, TimeStyle::uptime}) {
        Capture cap;
        ExporterConfig cfg;
        cfg.protocol = Protocol::ipfix;
        cfg.address = ip("192.0.2.1");
        cfg.boot_ms = kBootMs;
        cfg.template_v4 = default_template(Protocol::ipfix, false, 256, style, true);
        Packetizer p(cfg, cap.sink());
        for (int ms = 0; ms < 1000; ms += 7) {
            FlowRecord r = sample_record();
            r.first_ms = 1'700'000'000'000 + ms;
            r.last_ms = r.first_ms + 999;
            ASSERT_TRUE(p.add(r, kExportNs));
        }
        p.flush(kExportNs);
        Decoder d;
        auto got = decode_all(cap.messages, d);
        std::size_t i = 0;
        for (int ms = 0; ms < 1000; ms += 7, ++i) {
            ASSERT_LT(i, got.size());
            const std::int64_t want = 1'700'000'000'000 + (style == TimeStyle::seconds ? 0 : ms);
            EXPECT_EQ(got[i].first_ms, want) << "style " << static_cast<int>(style) << " ms " << ms;
        }
    }
}

// NTP fractions are rounded up, so that a decoder which truncates (to ns, us or ms) reads the
// exact millisecond, and dateTimeMicroseconds leaves the lower 11 fraction bits zero.
TEST(CodecVectors, NtpFractionsReadExactlyByTruncatingDecoders) {
    struct TimeFields : DecodeVisitor {
        std::vector<std::uint64_t> values;
        std::span<const std::uint8_t> payload;
        void on_data_record(const Template&, std::span<const FieldLocation> fields) override {
            for (const auto& f : fields)
                if (f.spec->id >= ie::flowStartMicroseconds && f.spec->id <= ie::flowEndNanoseconds) {
                    std::uint64_t v = 0;
                    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | payload[f.offset + i];
                    values.push_back(v);
                }
        }
    };
    for (TimeStyle style : {TimeStyle::microseconds, TimeStyle::nanoseconds}) {
        const bool micro = style == TimeStyle::microseconds;
        Capture cap;
        ExporterConfig cfg;
        cfg.protocol = Protocol::ipfix;
        cfg.address = ip("192.0.2.1");
        cfg.template_v4 = default_template(Protocol::ipfix, false, 256, style, true);
        Packetizer p(cfg, cap.sink());
        for (int ms = 0; ms < 1000; ++ms) {
            FlowRecord r = sample_record();
            r.first_ms = 1'700'000'000'000 + ms;
            r.last_ms = r.first_ms;
            ASSERT_TRUE(p.add(r, kExportNs));
        }
        p.flush(kExportNs);
        Decoder d;
        TimeFields v;
        std::uint64_t n = 0;
        for (auto& m : cap.messages) {
            v.payload = m;
            d.visit(m, cfg.address, 4739, ++n, v);
        }
        ASSERT_EQ(v.values.size(), 2000u);
        for (std::size_t i = 0; i < v.values.size(); ++i) {
            const std::uint64_t ms = i / 2;
            const std::uint64_t frac = v.values[i] & 0xFFFFFFFFu;
            EXPECT_EQ(v.values[i] >> 32, 1'700'000'000u + 2'208'988'800u);
            if (micro) {
                EXPECT_EQ(frac & 0x7FF, 0u) << "ms " << ms;
                EXPECT_EQ((frac * 1'000'000) >> 32, ms * 1000) << "truncated to us, ms " << ms;
            } else {
                EXPECT_EQ((frac * 1'000'000'000) >> 32, ms * 1'000'000) << "truncated to ns, ms " << ms;
            }
        }
    }
}

// A data template that carries samplingPacketInterval/Space (RFC 5477) exports 1-in-N as
// 305 = 1, 306 = N - 1, and reads back as N.
TEST(CodecVectors, SamplingPacketIntervalAndSpaceInDataRecords) {
    Capture cap;
    ExporterConfig cfg;
    cfg.protocol = Protocol::ipfix;
    cfg.address = ip("192.0.2.1");
    cfg.sampling_interval = 100;
    cfg.template_v4 = default_template(Protocol::ipfix, false, 256, TimeStyle::milliseconds, true);
    cfg.template_v4.fields.push_back({ie::samplingPacketInterval, 4, 0});
    cfg.template_v4.fields.push_back({ie::samplingPacketSpace, 4, 0});
    Packetizer p(cfg, cap.sink());
    ASSERT_TRUE(p.add(sample_record(), kExportNs));
    p.flush(kExportNs);
    ASSERT_EQ(cap.truth.size(), 1u);
    EXPECT_EQ(cap.truth[0].at(0).sampling_interval, 100u);
    const auto& m = cap.messages[0];
    // The record is the message's last 8 bytes before nothing else: 305 then 306.
    auto u32_at = [&](std::size_t at) {
        return (std::uint32_t{m[at]} << 24) | (std::uint32_t{m[at + 1]} << 16) | (std::uint32_t{m[at + 2]} << 8) | m[at + 3];
    };
    EXPECT_EQ(u32_at(m.size() - 8), 1u);
    EXPECT_EQ(u32_at(m.size() - 4), 99u);
    Decoder d;
    auto got = decode_all(cap.messages, d);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].sampling_interval, 100u);
}

TEST(CodecVectors, SamplingAnnouncedByOptionsAndV5Header) {
    for (Protocol proto : {Protocol::v5, Protocol::v9, Protocol::ipfix}) {
        Capture cap;
        ExporterConfig cfg;
        cfg.protocol = proto;
        cfg.address = ip("192.0.2.1");
        cfg.boot_ms = kBootMs;
        cfg.sampling_interval = 100;
        cfg.template_v4 = default_template(proto, false, 256, TimeStyle::uptime, proto == Protocol::ipfix);
        Packetizer p(cfg, cap.sink());
        ASSERT_TRUE(p.add(sample_record(), kExportNs));
        p.flush(kExportNs);
        Decoder d;
        auto got = decode_all(cap.messages, d);
        ASSERT_EQ(got.size(), 1u);
        EXPECT_EQ(got[0].sampling_interval, 100u) << protocol_name(proto);
        EXPECT_EQ(got[0], cap.truth[0][0]) << protocol_name(proto);
        if (proto != Protocol::v5) {
            EXPECT_EQ(d.stats().options_records, 1u);
        }
        EXPECT_EQ(d.stats().error_total(), 0u) << d.summary();
    }
}

}  // namespace
}  // namespace flowlab::core

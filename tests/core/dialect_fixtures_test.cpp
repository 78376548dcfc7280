/// @brief Hand-made exports reproducing the layouts real devices send (../shared/DIALECTS.md):
/// IOS XR v9 options tables, RFC 5477 selectors and systemInitTimeMilliseconds, NetScaler
/// variable-length enterprise elements, Huawei reduced-size fields and padding, H3C
/// variable-length VRF names in v9 and field type 0, Juniper SRX options with a zero-length
/// scope, NetScaler's microseconds in 154/155, repeated elements (both families, tunnels) and
/// every time form. Each is checked for the values flowlab must produce and, where tshark is
/// installed, field by field against tshark's dissection of the same bytes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"
#include "msg_builder.hpp"
#include "test_support.hpp"
#include "tshark_elements.hpp"

namespace flowlab::test {
namespace {

using core::Field;
using core::FlowRecord;

constexpr std::uint32_t kSecs = 1'700'000'000;

struct Decoded {
    std::vector<FlowRecord> records;
    std::vector<std::string> jsonl;  ///< JSON line of each record, with its elements
};

/// Decodes the messages in order from one exporter; with tshark, also compares field by field.
Decoded decode(const std::vector<std::vector<std::uint8_t>>& messages, std::uint16_t port = 2055) {
    Decoded out;
    core::Decoder d;
    const auto exporter = *core::IpAddress::parse("192.0.2.10");
    std::uint64_t n = 0;
    for (const auto& m : messages) {
        std::vector<FlowRecord> recs;
        std::vector<core::RecordView> views;
        d.decode(core::ExportDatagram{m, exporter, 40000, ++n}, recs, &views);
        for (std::size_t i = 0; i < recs.size(); ++i) {
            std::string line;
            core::append_json_line(line, recs[i]);
            line.pop_back();
            line.pop_back();
            line += ",\"elements\":[";
            core::append_elements_json(line, views[i]);
            line += "]}";
            out.jsonl.push_back(line);
            out.records.push_back(recs[i]);
        }
    }
    EXPECT_EQ(d.stats().error_total(), 0u) << d.summary();
    if (find_tool("tshark")) {
        TempDir tmp;
        const std::string pcap = tmp / "fixture.pcap";
        {
            core::PcapWriter w(pcap);
            std::int64_t t = std::int64_t{kSecs} * 1'000'000'000;
            for (const auto& m : messages)
                w.write_udp(t += 1'000'000, {exporter, 40000}, {*core::IpAddress::parse("198.51.100.1"), port}, m);
            w.commit();
        }
        const TsharkComparison c = compare_with_tshark(pcap, {"-d", "udp.port==" + std::to_string(port) + ",cflow"});
        EXPECT_GT(c.fields, 0u);
        std::string all;
        for (const auto& p : c.problems) all += "\n  " + p;
        EXPECT_TRUE(c.problems.empty()) << all;
    }
    return out;
}

std::vector<std::uint8_t> name64(std::string_view s, std::size_t len) {
    std::vector<std::uint8_t> v(len, 0);
    std::copy(s.begin(), s.end(), v.begin());
    return v;
}

MsgBuilder& bytes(MsgBuilder& b, const std::vector<std::uint8_t>& v) {
    for (auto x : v) b.u8(x);
    return b;
}

TEST(DialectFixtures, IosXrV9OptionsTablesNameSamplerInterfacesAndVrfs) {
    // Options templates as IOS XR sends them, each alone in a packet (DIALECTS.md 2.1).
    auto opt = [](std::uint16_t id, std::initializer_list<std::pair<std::uint16_t, std::uint16_t>> fields) {
        MsgBuilder b = MsgBuilder::v9(2177, 1);
        b.set(1).u16(id).u16(4).u16(static_cast<std::uint16_t>(4 * fields.size())).u16(1).u16(4);
        for (auto [ie, len] : fields) b.u16(ie).u16(len);
        b.u16(0).end_set().record();  // 2 bytes of padding, as IOS XR pads
        return b.build();
    };
    MsgBuilder ifs = MsgBuilder::v9(2177, 4);
    ifs.set(256);
    for (auto [idx, name] : {std::pair{5u, "TenGigE0_0_0_0"}, std::pair{7u, "Bundle-Ether1"}}) {
        ifs.u32(0xC0000201).u32(idx);
        bytes(ifs, name64(name, 64)).record();
    }
    ifs.end_set();
    MsgBuilder samp = MsgBuilder::v9(2177, 5);
    samp.set(257).u32(0xC0000201).u16(1).u32(256).u8(2);
    bytes(samp, name64("SAMPLER-1", 32)).record();
    samp.u8(0).u8(0).u8(0).end_set();
    MsgBuilder vrf = MsgBuilder::v9(2177, 6);
    vrf.set(334).u32(0xC0000201).u32(0x60000001);
    bytes(vrf, name64("CUSTOMER-A", 32)).record().end_set();
    MsgBuilder tpl = MsgBuilder::v9(2177, 7);
    tpl.set(0).template_record(260, {{2, 4}, {1, 4}, {8, 4}, {12, 4}, {10, 4}, {14, 4}, {21, 4}, {22, 4}, {7, 2},
                                     {11, 2}, {4, 1}, {6, 1}, {48, 2}, {234, 4}, {235, 4}})
        .end_set();
    MsgBuilder data = MsgBuilder::v9(2177, 8, 3'600'000, kSecs);
    data.set(260).u32(10).u32(15000).u32(0xC6336401).u32(0xCB007101).u32(5).u32(7).u32(3'590'000).u32(3'580'000)
        .u16(443).u16(51000).u8(6).u8(0x1B).u16(1).u32(0x60000001).u32(0).record();
    data.u8(0).u8(0).end_set();  // 2 + 43... padded like the router pads
    const Decoded d = decode({opt(256, {{10, 4}, {83, 64}}), opt(257, {{48, 2}, {50, 4}, {49, 1}, {84, 32}}),
                              opt(334, {{234, 4}, {236, 32}}), ifs.build(), samp.build(), vrf.build(), tpl.build(),
                              data.build()});
    ASSERT_EQ(d.records.size(), 1u);
    const FlowRecord& r = d.records[0];
    EXPECT_EQ(r.sampling_interval, 256u);
    EXPECT_EQ(r.sampling_algorithm, 3u);  // v9 random (2) is PSAMP random n-out-of-N (3)
    EXPECT_EQ(r.in_if_name, "TenGigE0_0_0_0");
    EXPECT_EQ(r.out_if_name, "Bundle-Ether1");
    EXPECT_EQ(r.vrf_in_id, 0x60000001u);
    EXPECT_EQ(r.vrf_in, "CUSTOMER-A");
    EXPECT_FALSE(r.has(Field::vrf_out));  // VRF 0 was never named
    EXPECT_EQ(r.first_ms, std::int64_t{kSecs} * 1000 - 3'600'000 + 3'580'000);
    EXPECT_EQ(r.last_ms, std::int64_t{kSecs} * 1000 - 3'600'000 + 3'590'000);
    EXPECT_EQ(r.tcp_flags, 0x1Bu);
}

TEST(DialectFixtures, Rfc5477SelectorsAndSystemInitTime) {
    MsgBuilder t = MsgBuilder::ipfix(7, 0, kSecs);
    t.set(3).u16(300).u16(6).u16(1).u16(302).u16(8).u16(304).u16(2).u16(305).u16(4).u16(306).u16(4).u16(309).u16(4)
        .u16(310).u16(4).end_set();
    t.set(3).u16(301).u16(2).u16(1).u16(149).u16(4).u16(160).u16(8).end_set();
    t.set(2).template_record(400, {{8, 4}, {12, 4}, {302, 8}, {22, 4}, {21, 4}, {2, 8}, {1, 8}}).end_set();
    const std::uint64_t init = std::uint64_t{kSecs} * 1000 - 86'400'000;
    MsgBuilder o = MsgBuilder::ipfix(7, 0, kSecs);
    o.set(300).u64(7).u16(1).u32(1).u32(255).u32(0).u32(0);  // systematic count-based 1 in 256
    o.u64(9).u16(3).u32(0).u32(0).u32(1).u32(1000).end_set();  // random 1 out of 1000
    o.set(301).u32(7).u64(init).end_set();
    MsgBuilder d = MsgBuilder::ipfix(7, 0, kSecs);
    d.set(400).u32(0x0A000001).u32(0x0A000002).u64(9).u32(5000).u32(6000).u64(3).u64(180);
    d.u32(0x0A000003).u32(0x0A000004).u64(7).u32(86'000'000).u32(86'300'000).u64(4).u64(240).end_set();
    const Decoded r = decode({t.build(), o.build(), d.build()}, 4739);
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[0].sampling_interval, 1000u);
    EXPECT_EQ(r.records[0].sampling_algorithm, 3u);
    EXPECT_EQ(r.records[1].sampling_interval, 256u);
    EXPECT_EQ(r.records[1].sampling_algorithm, 1u);
    EXPECT_EQ(r.records[0].first_ms, static_cast<std::int64_t>(init) + 5000);
    EXPECT_EQ(r.records[1].last_ms, static_cast<std::int64_t>(init) + 86'300'000);
}

TEST(DialectFixtures, NetScalerVariableLengthEnterpriseElements) {
    // PEN 5951 elements with both length forms, an empty string sent as length 1 + NUL, and
    // paddingOctets inside the record (DIALECTS.md 3).
    MsgBuilder t = MsgBuilder::ipfix(0, 0, kSecs);
    t.set(2).u16(258).u16(7);
    t.u16(8).u16(4).u16(12).u16(4).u16(210).u16(2);
    t.u16(0x8000 | 129).u16(4).u32(5951);
    t.u16(0x8000 | 130).u16(65535).u32(5951);
    t.u16(0x8000 | 131).u16(65535).u32(5951);
    t.u16(0x8000 | 141).u16(65535).u32(5951);
    t.end_set();
    MsgBuilder d = MsgBuilder::ipfix(0, 0, kSecs);
    d.set(258).u32(0xC0000201).u32(0xC0000202).u16(0).u32(77);
    const std::string url = "/index.html";
    d.u8(static_cast<std::uint8_t>(url.size() + 1));
    for (char c : url) d.u8(static_cast<std::uint8_t>(c));
    d.u8(0);
    const std::string cookie(300, 'c');
    d.u8(255).u16(static_cast<std::uint16_t>(cookie.size()));
    for (char c : cookie) d.u8(static_cast<std::uint8_t>(c));
    d.u8(1).u8(0);  // empty method: length 1, a NUL
    d.end_set();
    const Decoded r = decode({t.build(), d.build()}, 4739);
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_NE(r.jsonl[0].find("[\"netscaler:transactionId\",77]"), std::string::npos) << r.jsonl[0];
    EXPECT_NE(r.jsonl[0].find("[\"netscaler:httpReqUrl\",\"/index.html\"]"), std::string::npos) << r.jsonl[0];
    EXPECT_NE(r.jsonl[0].find("[\"netscaler:httpReqCookie\",\"" + cookie + "\"]"), std::string::npos);
    EXPECT_NE(r.jsonl[0].find("[\"netscaler:httpReqMethod\",\"\"]"), std::string::npos) << r.jsonl[0];
}

std::vector<std::uint8_t> payload(const std::string& name) {
    const std::string text = read_file(source_dir() + "/tests/core/fixtures/real-exports/payloads/" + name);
    return {text.begin(), text.end()};
}

TEST(DialectFixtures, NetScalerMicrosecondsCountMicrosecondsBelowTheSecond) {
    // The AppFlow capture of 2016-11-11 (DIALECTS.md 3.1): its template 258 record carries
    // flowStart/EndMicroseconds 0xdbd0336f00085f98, NTP seconds equal to the export time
    // (12:09:19 UTC) and a lower word of 548760: 548760 us, where RFC 7011's 2^-32 fraction
    // would make it 127.768 us.
    const Decoded r = decode({payload("ipfix_test_netscaler_tpl.dat"), payload("ipfix_test_netscaler_data.dat")}, 4739);
    ASSERT_GE(r.records.size(), 3u);
    constexpr std::int64_t kExport = 1'478'866'159'000;  // 2016-11-11T12:09:19Z
    EXPECT_EQ(r.records[0].template_id, 258u);
    EXPECT_EQ(r.records[0].first_ms, kExport + 548);
    EXPECT_EQ(r.records[0].last_ms, kExport + 548);
    EXPECT_EQ(r.records[1].first_ms, kExport + 427);  // 0x00068584
    EXPECT_EQ(r.records[2].first_ms, kExport + 551);  // 0x00086b59
    EXPECT_NE(r.jsonl[0].find("[\"flowStartMicroseconds\",1478866159.548760]"), std::string::npos) << r.jsonl[0];

    // tshark (4.0) reads the lower word as the RFC's fraction (Wireshark bug 11047), so it
    // shows the same second with 127.768 us; a tshark that reads it as NetScaler means it
    // shows .548760.
    if (find_tool("tshark") && find_tool("python3")) {
        TempDir tmp;
        std::filesystem::create_directory(tmp / "p");
        for (const char* f : {"ipfix_test_netscaler_tpl.dat", "ipfix_test_netscaler_data.dat"})
            std::filesystem::copy_file(source_dir() + "/tests/core/fixtures/real-exports/payloads/" + f,
                                         tmp / ("p/" + std::string(f)));
        const RunResult w = run({"python3", source_dir() + "/scripts/payloads_to_pcap.py", tmp / "p", tmp / "ns.pcap"});
        ASSERT_EQ(w.exit_code, 0) << w.err;
        const RunResult t = run({"tshark", "-r", tmp / "ns.pcap", "-T", "fields", "-E", "aggregator=|", "-e",
                                 "cflow.abstimestart", "-Y", "frame.number == 2"},
                                {"TZ=UTC"});
        ASSERT_EQ(t.exit_code, 0) << t.err;
        const std::string first = t.out.substr(0, t.out.find_first_of("|\n"));  // the template 258 record
        const bool defect = first == "Nov 11, 2016 12:09:19.000127768 UTC";
        EXPECT_TRUE(defect || first == "Nov 11, 2016 12:09:19.548760000 UTC") << t.out;
        if (defect) fmt::print("known tshark defect: NetScaler's microseconds read as a 2^-32 fraction: {}\n", first);
    }
}

TEST(DialectFixtures, MicrosecondsFollowTheRfcOutsideNetScalerTemplatesAndAboveOneMillion) {
    const std::uint64_t ns_form = 0xdbd0336f'00085f98;  // 548760 in the lower word
    const std::uint64_t half = 0xdbd0336f'80000000;     // 2^31 / 2^32 = 0.5 s
    constexpr std::int64_t kSecond = 1'478'866'159'000;
    // The same bytes in a template without PEN 5951 elements: RFC 7011 6.1.9.
    MsgBuilder t = MsgBuilder::ipfix(0, 0, kSecs);
    t.set(2).template_record(300, {{8, 4}, {154, 8}, {155, 8}});
    t.u16(301).u16(3).u16(8).u16(4).u16(154).u16(8).u16(0x8000 | 129).u16(4).u32(5951).end_set();
    MsgBuilder d = MsgBuilder::ipfix(0, 0, kSecs);
    d.set(300).u32(0xC0000201).u64(ns_form).u64(half).end_set();
    // A NetScaler template whose lower word is 10^6 or more cannot mean microseconds.
    d.set(301).u32(0xC0000202).u64(half).u32(7).end_set();
    const Decoded r = decode({t.build(), d.build()}, 4739);
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[0].first_ms, kSecond);        // 127.768 us
    EXPECT_EQ(r.records[0].last_ms, kSecond + 500);
    EXPECT_EQ(r.records[1].first_ms, kSecond + 500);
    EXPECT_NE(r.jsonl[0].find("[\"flowStartMicroseconds\",1478866159.000127]"), std::string::npos) << r.jsonl[0];
}

TEST(DialectFixtures, HuaweiReducedSizeAndPaddingH3cVarlenInV9AndFieldTypeZero) {
    MsgBuilder t = MsgBuilder::v9(0, 1);
    t.set(0).template_record(1315, {{8, 4}, {12, 4}, {2, 4}, {1, 4}, {10, 2}, {14, 2}, {16, 2}, {17, 2}, {232, 2},
                                    {6, 1}, {4, 1}, {210, 3}})
        .template_record(3281, {{2, 8}, {1, 8}, {8, 4}, {12, 4}, {0, 1}, {35, 1}, {34, 4}, {236, 65535}})
        .end_set();
    MsgBuilder d = MsgBuilder::v9(0, 2);
    d.set(1315).u32(0xC0000201).u32(0xC0000202).u32(3).u32(1500).u16(0xFFFE).u16(9).u16(64512).u16(65000).u16(0)
        .u8(0x12).u8(6).u8(0).u8(0).u8(0).record().end_set();
    d.set(3281).u64(5).u64(700).u32(0xC0000203).u32(0xC0000204).u8(0).u8(2).u32(100).u8(5);
    for (char c : std::string("vpn1")) d.u8(static_cast<std::uint8_t>(c));
    d.record().u8(0).u8(0).u8(0).end_set();
    const Decoded r = decode({t.build(), d.build()});
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_EQ(r.records[0].in_if, 0xFFFEu);
    EXPECT_EQ(r.records[0].dst_as, 65000u);
    EXPECT_EQ(r.records[0].bytes, 1500u);
    EXPECT_EQ(r.records[1].sampling_interval, 100u);
    EXPECT_EQ(r.records[1].sampling_algorithm, 3u);
    EXPECT_NE(r.jsonl[1].find("[\"VRFname\",\"vpn1\"]"), std::string::npos) << r.jsonl[1];
    EXPECT_NE(r.jsonl[1].find("[\"en0:id0\",\"0x00\"]"), std::string::npos) << r.jsonl[1];
}

TEST(DialectFixtures, JuniperSrxOptionsWithZeroLengthScope) {
    MsgBuilder t = MsgBuilder::v9(142, 1);
    t.set(1).u16(256).u16(4).u16(8).u16(1).u16(0).u16(35).u16(1).u16(34).u16(4).end_set().record();
    t.set(0).template_record(257, {{8, 4}, {12, 4}, {2, 4}, {1, 4}}).end_set();
    MsgBuilder o = MsgBuilder::v9(142, 2);
    o.set(256).u8(2).u32(1000).record().u8(0).u8(0).u8(0).end_set();  // 5 bytes padded to 8
    MsgBuilder d = MsgBuilder::v9(142, 3);
    d.set(257).u32(0xC0000201).u32(0xC0000202).u32(1).u32(60).record().end_set();
    const Decoded r = decode({t.build(), o.build(), d.build()});
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].sampling_interval, 1000u);  // the domain's only sampler
    EXPECT_EQ(r.records[0].sampling_algorithm, 3u);
}

TEST(DialectFixtures, RepeatedElementsFollowTheLogicalOrderRule) {
    MsgBuilder t = MsgBuilder::ipfix(1, 0, kSecs);
    t.set(2).template_record(500, {{8, 4}, {12, 4}, {27, 16}, {28, 16}, {9, 1}, {29, 1}, {4, 1}})
        .template_record(501, {{8, 4}, {12, 4}, {4, 1}, {8, 4}, {12, 4}, {4, 1}, {7, 2}})
        .end_set();
    auto v6 = [](MsgBuilder& b, std::uint8_t last) {
        b.u32(0x20010db8).u32(0).u32(0).u32(last);
    };
    MsgBuilder d = MsgBuilder::ipfix(1, 0, kSecs);
    d.set(500).u32(0xC0000201).u32(0xC0000202).u64(0).u64(0).u64(0).u64(0).u8(24).u8(0).u8(6);
    d.u32(0).u32(0);
    v6(d, 1);
    v6(d, 2);
    d.u8(0).u8(64).u8(17).end_set();
    d.set(501).u32(0xCB007101).u32(0xCB007102).u8(4).u32(0x0A000001).u32(0x0A000002).u8(6).u16(22).end_set();
    const Decoded r = decode({t.build(), d.build()}, 4739);
    ASSERT_EQ(r.records.size(), 3u);
    EXPECT_EQ(r.records[0].src.to_string(), "192.0.2.1");  // :: is no address beside an IPv4 one
    EXPECT_EQ(r.records[0].src_mask, 24u);
    EXPECT_FALSE(r.records[0].has(Field::tunnel_src));
    EXPECT_EQ(r.records[1].src.to_string(), "2001:db8::1");  // 0.0.0.0 is no address beside IPv6
    EXPECT_EQ(r.records[1].src_mask, 64u);
    EXPECT_EQ(r.records[2].src.to_string(), "10.0.0.1");  // inner header is the flow's
    EXPECT_EQ(r.records[2].tunnel_src.to_string(), "203.0.113.1");
    EXPECT_EQ(r.records[2].tunnel_dst.to_string(), "203.0.113.2");
    EXPECT_EQ(r.records[2].proto, 6u);
    // JSON lines keep every occurrence, in order.
    const auto& j = r.jsonl[2];
    const auto a = j.find("[\"sourceIPv4Address\",\"203.0.113.1\"]"), b = j.find("[\"sourceIPv4Address\",\"10.0.0.1\"]");
    ASSERT_NE(a, std::string::npos) << j;
    ASSERT_NE(b, std::string::npos) << j;
    EXPECT_LT(a, b);
}

TEST(DialectFixtures, EveryTimeFormGivesTheSameInstant) {
    const std::int64_t start = std::int64_t{kSecs} * 1000 - 4'500, end = std::int64_t{kSecs} * 1000 - 1'250;
    auto ntp = [](std::int64_t ms, bool micro) {
        const std::uint64_t s = static_cast<std::uint64_t>(ms / 1000 + 2'208'988'800);
        const std::uint64_t frac = ((static_cast<std::uint64_t>(ms % 1000) << 32) + 999) / 1000;
        return (s << 32) | (micro ? (frac + 0x7FF) & 0xFFFFF800u : frac);
    };
    MsgBuilder t = MsgBuilder::ipfix(3, 0, kSecs);
    t.set(2).template_record(600, {{150, 4}, {151, 4}})
        .template_record(601, {{152, 8}, {153, 8}})
        .template_record(602, {{154, 8}, {155, 8}})
        .template_record(603, {{156, 8}, {157, 8}})
        .template_record(604, {{158, 4}, {159, 4}})
        .template_record(605, {{160, 8}, {22, 4}, {21, 4}})
        .end_set();
    MsgBuilder d = MsgBuilder::ipfix(3, 0, kSecs);
    d.set(600).u32(static_cast<std::uint32_t>(start / 1000)).u32(static_cast<std::uint32_t>(end / 1000)).end_set();
    d.set(601).u64(static_cast<std::uint64_t>(start)).u64(static_cast<std::uint64_t>(end)).end_set();
    d.set(602).u64(ntp(start, true)).u64(ntp(end, true)).end_set();
    d.set(603).u64(ntp(start, false)).u64(ntp(end, false)).end_set();
    d.set(604).u32(4'500'000).u32(1'250'000).end_set();
    const std::int64_t init = start - 10'000;
    d.set(605).u64(static_cast<std::uint64_t>(init)).u32(10'000).u32(13'250).end_set();
    const Decoded r = decode({t.build(), d.build()}, 4739);
    ASSERT_EQ(r.records.size(), 6u);
    EXPECT_EQ(r.records[0].first_ms, start / 1000 * 1000);  // seconds resolution
    for (std::size_t i = 1; i < 6; ++i) {
        EXPECT_EQ(r.records[i].first_ms, start) << "template " << r.records[i].template_id;
        EXPECT_EQ(r.records[i].last_ms, end) << "template " << r.records[i].template_id;
    }
}

TEST(DialectFixtures, V9UptimeWrapsAfter49Days) {
    // The flow started 2 s before sysUptime wrapped past 2^32 ms; the header uptime is small.
    MsgBuilder t = MsgBuilder::v9(9, 1, 1'000, kSecs);
    t.set(0).template_record(700, {{8, 4}, {12, 4}, {22, 4}, {21, 4}}).end_set();
    MsgBuilder d = MsgBuilder::v9(9, 2, 1'000, kSecs);
    d.set(700).u32(0xC0000201).u32(0xC0000202).u32(0xFFFFFFFFu - 1'999).u32(500).record().end_set();
    const Decoded r = decode({t.build(), d.build()});
    ASSERT_EQ(r.records.size(), 1u);
    const std::int64_t now = std::int64_t{kSecs} * 1000;
    EXPECT_EQ(r.records[0].first_ms, now - 1'000 - 2'000);
    EXPECT_EQ(r.records[0].last_ms, now - 500);
}

}  // namespace
}  // namespace flowlab::test

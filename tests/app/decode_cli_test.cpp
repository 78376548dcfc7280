/// @brief `flowlab decode` as a user drives it: `--options` writes the options records by
/// element name, `--registry` (and FLOWLAB_REGISTRY) names a user's enterprise elements that are
/// otherwise kept as raw hex, IANA's recent elements are named, and a malformed registry file is
/// bad input with nothing written.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "flowlab/core/pcap_io.hpp"
#include "gen_output.hpp"
#include "msg_builder.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// A capture of one IPFIX message from 192.0.2.1 to port 4739.
std::string capture_of(const TempDir& dir, const std::string& name, const std::vector<std::uint8_t>& message) {
    const std::string path = dir / name;
    core::PcapWriter w(path, core::TimePrecision::nano);
    const core::UdpEndpoint src{*core::IpAddress::parse("192.0.2.1"), 50000};
    const core::UdpEndpoint dst{*core::IpAddress::parse("127.0.0.1"), 4739};
    w.write_udp(1'700'000'000'000'000'000, src, dst, message);
    w.commit();
    return path;
}

/// One IPFIX message: a template with sourceIPv4Address, destinationIPv4Address and element 1
/// of PEN 32473 (RFC 5612's documentation number), and one data record with the value 7.
std::string enterprise_element_capture(const TempDir& dir) {
    auto m = MsgBuilder::ipfix(5, 0);
    m.set(2).u16(300).u16(3).u16(8).u16(4).u16(12).u16(4).u16(0x8000 | 1).u16(4).u32(32473).end_set();
    m.set(300).u32(0xC0000201).u32(0xC6336402).u32(7).end_set();
    return capture_of(dir, "enterprise.pcap", m.build());
}

/// The first decoded record's elements as (name, value) pairs.
Json elements_of(const std::string& jsonl) {
    const auto line = jsonl.substr(0, jsonl.find('\n'));
    return Json::parse(line).at("elements");
}

constexpr const char* kLabRegistry =
    "registry lab\npen 32473\n# id\tname\ttype\tsemantics\tunits\tstatus\n1\tqueueDepth\tunsigned32\tquantity\tpackets\tcurrent\n";

TEST(DecodeCli, AnUnknownEnterpriseElementIsKeptAsHexAndARegistryNamesIt) {
    TempDir dir;
    const std::string pcap = enterprise_element_capture(dir);
    const auto plain = run({flowlab_bin(), "decode", pcap, "-f", "jsonl"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    const Json raw = elements_of(plain.out);
    ASSERT_EQ(raw.size(), 3u) << raw.dump();
    EXPECT_EQ(raw[2][0], "en32473:id1");
    EXPECT_EQ(raw[2][1], "0x00000007");

    write_file(dir / "lab.ies", kLabRegistry);
    const Json named = Json::array({Json::array({"sourceIPv4Address", "192.0.2.1"}),
                                    Json::array({"destinationIPv4Address", "198.51.100.2"}),
                                    Json::array({"lab:queueDepth", 7})});
    const auto by_option = run({flowlab_bin(), "decode", pcap, "-f", "jsonl", "--registry", dir / "lab.ies"});
    ASSERT_EQ(by_option.exit_code, 0) << by_option.err;
    EXPECT_EQ(elements_of(by_option.out), named);

    // A directory of *.ies files, named by the environment.
    fs::create_directory(dir / "registries");
    write_file(dir / "registries/lab.ies", kLabRegistry);
    const auto by_env = run({flowlab_bin(), "decode", pcap, "-f", "jsonl"}, {"FLOWLAB_REGISTRY=" + dir / "registries"});
    ASSERT_EQ(by_env.exit_code, 0) << by_env.err;
    EXPECT_EQ(elements_of(by_env.out), named);
}

TEST(DecodeCli, ElementsIanaAssignedSince2018AreNamed) {
    // RFC 9487 (SRv6) and RFC 8549 (BGP communities) elements, as an SRv6 head end exports them.
    TempDir dir;
    auto m = MsgBuilder::ipfix(5, 0);
    m.set(2).template_record(301, {{8, 4}, {12, 4}, {492, 1}, {494, 16}, {498, 1}, {483, 4}}).end_set();
    m.set(301)
        .u32(0xC0000201)                                 // sourceIPv4Address 192.0.2.1
        .u32(0xC6336402)                                 // destinationIPv4Address 198.51.100.2
        .u8(0x08)                                        // srhFlagsIPv6
        .raw({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01})  // srhSegmentIPv6 2001:db8::1
        .u8(2)                                           // srhSegmentsIPv6Left
        .u32(0xFDE80064)                                 // bgpCommunity 65000:100
        .end_set();
    const std::string pcap = capture_of(dir, "srv6.pcap", m.build());
    const auto r = run({flowlab_bin(), "decode", pcap, "-f", "jsonl"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json expected = Json::array({Json::array({"sourceIPv4Address", "192.0.2.1"}),
                                       Json::array({"destinationIPv4Address", "198.51.100.2"}),
                                       Json::array({"srhFlagsIPv6", 8}),
                                       Json::array({"srhSegmentIPv6", "2001:db8::1"}),
                                       Json::array({"srhSegmentsIPv6Left", 2}),
                                       Json::array({"bgpCommunity", 4259840100u})});
    EXPECT_EQ(elements_of(r.out), expected);
}

TEST(DecodeCli, AMalformedRegistryIsBadInputAndNothingIsWritten) {
    TempDir dir;
    const std::string pcap = enterprise_element_capture(dir);
    write_file(dir / "bad.ies", "registry lab\npen 32473\n1\tqueueDepth\tunsigned12\tquantity\tpackets\tcurrent\n");
    const auto r = run({flowlab_bin(), "decode", pcap, "--registry", dir / "bad.ies", "-o", dir / "out.csv"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_TRUE(contains(r.err, dir / "bad.ies" + ":3: unknown abstract data type 'unsigned12'")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "out.csv"));
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 2);  // pcap, bad.ies
}

TEST(DecodeCli, OptionsWritesTheOptionsRecordsByElementName) {
    TempDir dir;
    // IOS XR IPFIX announces systemInitTimeMilliseconds per exporter, the sampled core its
    // sampler, and each exporter its interface (258) and VRF (334) tables, in options records.
    const auto g = run({flowlab_bin(), "gen", "example-office", "--dialect", "cisco-iosxr-ipfix", "--duration", "10m",
                        "-o", dir / "g"});
    ASSERT_EQ(g.exit_code, 0) << g.err;
    const auto csv = run({flowlab_bin(), "decode", dir / "g/exports.pcap", "--options", "-o", dir / "options.csv"});
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    const auto rows = csv_rows(dir / "options.csv",
                               "exporter,domain,version,sequence,template_id,export_ms,observationDomainId,"
                               "systemInitTimeMilliseconds,ingressInterface,interfaceDescription,ingressVRFID,VRFname,"
                               "samplerId,samplerRandomInterval,samplerMode,samplerName");
    // 2 x 160, 1 sampler, interfaces 1-4 and 10-11 (example-office's ifIndexes), 2 x VRF 0.
    ASSERT_EQ(rows.size(), 11u);
    EXPECT_TRUE(contains(csv.err, "11 options records written")) << csv.err;
    std::size_t interfaces = 0, vrfs = 0;
    for (const auto& row : rows) {
        std::vector<std::string> cells(1);
        for (char c : row) {
            if (c == ',') cells.emplace_back();
            else cells.back() += c;
        }
        ASSERT_EQ(cells.size(), 16u) << row;
        if (cells[4] == "258") {
            EXPECT_EQ(cells[9], "GigabitEthernet0_0_0_" + cells[8]) << row;
            ++interfaces;
        }
        if (cells[4] == "334") {
            EXPECT_EQ(cells[10] + "," + cells[11], "0,default") << row;
            ++vrfs;
        }
    }
    EXPECT_EQ(interfaces, 6u);
    EXPECT_EQ(vrfs, 2u);

    const Json manifest = Json::parse(read_file(dir / "g/manifest.json"));
    const Json& core = manifest["exporters"][1];
    ASSERT_EQ(core["sampling"]["interval"], 10);
    const std::string sampler_row = core["address"].get<std::string>() + ",";
    std::size_t samplers = 0;
    for (const auto& row : rows) {
        if (!contains(row, "SAMPLER-1")) continue;
        ++samplers;
        EXPECT_EQ(row.rfind(sampler_row, 0), 0u) << row;
        EXPECT_TRUE(contains(row, ",10,2,SAMPLER-1")) << row;  // 1 in 10, random (mode 2)
    }
    EXPECT_EQ(samplers, 1u);

    // The same records in JSON lines, every element by name and in template order.
    const auto jsonl = run({flowlab_bin(), "decode", dir / "g/exports.pcap", "--options", "-f", "jsonl"});
    ASSERT_EQ(jsonl.exit_code, 0) << jsonl.err;
    std::size_t lines = 0;
    for (std::size_t at = 0, nl; (nl = jsonl.out.find('\n', at)) != std::string::npos; at = nl + 1, ++lines) {
        const Json o = Json::parse(jsonl.out.substr(at, nl - at));
        EXPECT_EQ(o["scope_count"], 1);
        EXPECT_EQ(o["elements"][0][0], "observationDomainId");
        EXPECT_EQ(o["elements"][0][1], o["domain"]);
    }
    EXPECT_EQ(lines, rows.size());
}

}  // namespace
}  // namespace flowlab::test

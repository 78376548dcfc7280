/// @brief Export scripts: the bytes they write (golden), the truth they compute from the RFC
/// rules after faults, and the errors a bad script gets (file, JSON pointer, reason).
#include <gtest/gtest.h>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/gen/export_script.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

using Json = nlohmann::ordered_json;
using core::Field;

ExportScript build(const std::string& text, bool canaries = false) {
    return build_export_script(Json::parse(text), "case.json", "/export", canaries);
}

std::string config_error(const std::string& text) {
    try {
        build(text);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ExportScript, IpfixTemplateAndDataBytes) {
    const ExportScript s = build(R"({"protocol": "ipfix", "domain": 7, "start": "2024-03-04T10:00:00Z",
        "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCount:3", "interfaceName:var"]}},
        "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": [{"bytes": 1500, "values": {"interfaceName": "ab"}}]}]}]})");
    ASSERT_EQ(s.messages.size(), 1u);
    const auto expect = test::hex(
        "000a 0032 65e59ba0 00000000 00000007"  // version 10, length 50, export time, sequence 0, domain 7
        "0002 0014 0100 0003"                   // template set of 20 bytes: template 256, 3 fields
        "0008 0004 0001 0003 0052 ffff"         // sourceIPv4Address 4, octetDeltaCount 3, interfaceName variable
        "0100 000e"                             // data set 256, 14 bytes
        "c000020a 0005dc 02 6162");             // 192.0.2.10, 1500 in 3 bytes, length 2 "ab"
    EXPECT_EQ(test::to_hex(s.messages[0].bytes), test::to_hex(expect));
    const core::FlowRecord& r = s.messages[0].records.at(0).record;
    EXPECT_EQ(r.bytes, 1500u);
    EXPECT_EQ(r.src.to_string(), "192.0.2.10");
    EXPECT_FALSE(r.has(Field::dst));  // the template does not carry it
    EXPECT_EQ(r.export_ms, 1709546400000);
    EXPECT_EQ(r.domain, 7u);
}

TEST(ExportScript, V9HeaderCountsEveryRecordAndSequenceCountsPackets) {
    const ExportScript s = build(R"({"protocol": "v9", "boot": "1h",
        "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "destinationIPv4Address", "flowStartSysUpTime", "flowEndSysUpTime"]}},
        "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": 3}]}, {"sets": [{"data": "t", "records": 2}]}]})");
    ASSERT_EQ(s.messages.size(), 2u);
    const auto& b0 = s.messages[0].bytes;
    EXPECT_EQ(core::load_be16(b0.data() + 2), 4u);          // count: 1 template + 3 data records (RFC 3954 5.1)
    EXPECT_EQ(core::load_be32(b0.data() + 4), 3'600'000u);  // sysUptime
    EXPECT_EQ(core::load_be32(s.messages[1].bytes.data() + 12), 1u);  // second packet: sequence 1
    for (const auto& m : s.messages)
        for (std::size_t i = 0; i < m.sets.size(); ++i) EXPECT_EQ(m.sets[i].length % 4, 0u) << "v9 flowsets are padded";
    // Uptime times are exact in the truth (the header resolves them).
    const auto& r = s.messages[0].records[0].record;
    EXPECT_TRUE(r.has(Field::first_ms));
    EXPECT_EQ(r.first_ms % 1000, 123);
}

TEST(ExportScript, SecondsTimesAreTruncatedInTheTruth) {
    const ExportScript s = build(R"({"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "flowStartSeconds", "flowEndMilliseconds"]}},
        "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": [{"first": "-30s"}]}]}]})");
    const auto& r = s.messages[0].records[0].record;
    EXPECT_EQ(r.first_ms % 1000, 0);  // dateTimeSeconds carries no milliseconds
    EXPECT_EQ(r.last_ms % 1000, 7);
}

TEST(ExportScript, MalformedMessageIsDiscardedWholeInIpfix) {
    const ExportScript s = build(R"({"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCount:4"]}},
        "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": 2}, {"data": "t", "records": 2}]}, {"sets": [{"data": "t", "records": 1}]}],
        "faults": [{"fault": "set_length", "message": 1, "set": 3, "value": 2}]})");
    for (const auto& e : s.messages[0].records) EXPECT_EQ(e.expect, Expect::discard) << e.where;
    // The template came in the malformed message: it does not count, so message 2 may be lost.
    EXPECT_EQ(s.messages[1].records[0].expect, Expect::may_lose);
}

TEST(ExportScript, BrokenFlowsetInV9LeavesEarlierSetsOptional) {
    const ExportScript s = build(R"({"protocol": "v9", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCount:4"]}},
        "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": 2}, {"data": "t", "records": 2}]}],
        "faults": [{"fault": "set_length", "message": 1, "set": 3, "past_end": 1}]})");
    const auto& m = s.messages[0];
    EXPECT_EQ(m.records[0].expect, Expect::may_lose);
    EXPECT_EQ(m.records[3].expect, Expect::discard);
}

TEST(ExportScript, WithdrawalCountsOverTcpOnly) {
    const std::string body = R"("templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCount:4"]}},
        "messages": [{"sets": [{"templates": ["t"]}]}, {"sets": [{"withdraw": ["t"]}]}, {"sets": [{"data": "t", "records": 1}]}]})";
    const ExportScript udp = build(R"({"protocol": "ipfix", "transport": "udp", )" + body);
    const ExportScript tcp = build(R"({"protocol": "ipfix", "transport": "tcp", )" + body);
    EXPECT_EQ(udp.messages[2].records[0].expect, Expect::keep);     // RFC 7011 8.4: ignored over UDP
    EXPECT_EQ(tcp.messages[2].records[0].expect, Expect::may_lose);  // RFC 7011 8.1: the template is gone
}

TEST(ExportScript, TemplatesAreScopedByDomainAndSourcePort) {
    const ExportScript s = build(R"({"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCount:4"]}},
        "messages": [{"sets": [{"templates": ["t"]}]}, {"domain": 2, "sets": [{"data": "t", "records": 1}]},
                     {"port": 50001, "sets": [{"data": "t", "records": 1}]}, {"sets": [{"data": "t", "records": 1}]}]})");
    EXPECT_EQ(s.messages[1].records[0].expect, Expect::may_lose);
    EXPECT_EQ(s.messages[2].records[0].expect, Expect::may_lose);
    EXPECT_EQ(s.messages[3].records[0].expect, Expect::keep);
}

TEST(ExportScript, ReorderAndDuplicate) {
    const ExportScript s = build(R"({"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "octetDeltaCount:4"]}},
        "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": 1}]}, {"sets": [{"data": "t", "records": 1}]}, {"sets": [{"data": "t", "records": 1}]}],
        "faults": [{"fault": "reorder", "message": 1, "after": 2}, {"fault": "duplicate", "message": 3}, {"fault": "drop", "message": 2}]})");
    ASSERT_EQ(s.messages.size(), 3u);  // 1, 3, 3 again (2 dropped)
    EXPECT_EQ(s.messages[0].label, "message 1");
    EXPECT_EQ(s.messages[1].label, "message 3");
    EXPECT_EQ(s.messages[1].records[0].max_copies, 2u);
    EXPECT_TRUE(s.messages[2].records.empty());
}

TEST(ExportScript, UptimeWrapKeepsTheFlowShort) {
    const ExportScript s = build(R"({"protocol": "v9", "boot": "49d17h2m57s",
        "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address", "flowStartSysUpTime", "flowEndSysUpTime"]}},
        "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": [{"first": "-30s", "last": "-5s"}]}]}]})");
    const auto& m = s.messages[0];
    const std::uint32_t uptime = core::load_be32(m.bytes.data() + 4);
    EXPECT_LT(uptime, 60'000u);  // the header has wrapped
    const auto& r = m.records[0].record;
    EXPECT_EQ(r.last_ms - r.first_ms, 25'000);
    EXPECT_EQ(m.export_ms - r.first_ms, 30'000);
}

TEST(ExportScript, CanariesFollowTheCase) {
    const ExportScript s = build(R"({"protocol": "v5", "messages": [{"records": 2}]})", true);
    ASSERT_EQ(s.messages.size(), 3u);
    EXPECT_TRUE(s.messages[1].canary);
    EXPECT_NE(s.messages[1].exporter, s.messages[2].exporter);
    EXPECT_EQ(s.messages[2].records[0].expect, Expect::keep);
}

TEST(ExportScript, BadScriptsNameFilePointerAndReason) {
    EXPECT_NE(config_error(R"({"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Adress"]}}, "messages": [{"sets": []}]})")
                  .find("case.json: /export/templates/t/fields/0: field \"sourceIPv4Adress\": unknown element name"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address"]}}, "messages": [{"sets": [{"data": "u", "records": 1}]}]})")
                  .find("/export/messages/0/sets/0/data: no template named \"u\""),
              std::string::npos);
    EXPECT_NE(config_error(R"({"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address:2"]}}, "messages": [{"sets": []}]})")
                  .find("/export/templates/t/fields/0: element 8 cannot be written in 2 bytes"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"protocol": "ipfix", "templates": {"t": {"id": 256, "fields": ["sourceIPv4Address"]}},
                 "messages": [{"sets": [{"templates": ["t"]}, {"data": "t", "records": 1}]}], "faults": [{"fault": "pad", "message": 1, "set": 2, "bytes": 4}]})")
                  .find("/export/faults/0/bytes: RFC 7011 3.3.1: padding must be shorter than any record"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"protocol": "ipfix", "messages": [{"sets": []}], "faults": [{"fault": "explode"}]})").find("/export/faults/0/fault: unknown fault"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"protocol": "v9", "transport": "tcp", "messages": [{"sets": []}]})").find("/export/transport: only IPFIX runs over TCP"),
              std::string::npos);
    EXPECT_NE(config_error(R"({"protocol": "ipfix", "messages": [{"sets": []}], "colour": 1})").find("case.json: /export/colour"), std::string::npos);
    // A reorder that would make a correct decoder read garbage has no truth.
    EXPECT_NE(config_error(R"({"protocol": "ipfix", "templates": {"a": {"id": 256, "fields": ["sourceIPv4Address"]}, "b": {"id": 256, "fields": ["octetDeltaCount:4"]}},
                 "messages": [{"sets": [{"templates": ["a"]}]}, {"sets": [{"templates": ["b"]}]}, {"sets": [{"data": "a", "records": 1}]}]})")
                  .find("a correct decoder would read garbage"),
              std::string::npos);
}

}  // namespace
}  // namespace flowlab::gen

/// @brief flowlab's exports decoded by tshark's cflow dissector: every record and every field
/// tshark reports must equal the export truth, for v5, v9 and IPFIX, IPv4 and IPv6 flows and
/// transports, every time style, sampling, variable-length and enterprise fields; and tshark
/// must find no malformed packet, no expert info and correct IP/UDP checksums.
#include <gtest/gtest.h>

#include <cstdio>

#include <fmt/format.h>

#include "flowlab/core/ie_catalog.hpp"
#include "interop_support.hpp"
#include "test_support.hpp"

namespace flowlab::interop {
namespace {

using core::Field;
using core::Protocol;
using core::TimeStyle;

constexpr std::uint64_t kSeed = 20261127;
constexpr std::size_t kRecords = 400;

std::vector<ExportCase> cases() {
    using P = Protocol;
    using T = TimeStyle;
    // name, protocol, ipv6 records, ipv6 transport, time style, wide counters, sampling, extras, domain
    return {
        {"v5", P::v5, false, false, T::uptime, false, 0, false, 0x0103},
        {"v5_sampled", P::v5, false, false, T::uptime, false, 64, false, 0x0207},
        {"v9_v4_uptime", P::v9, false, false, T::uptime, false, 0, false, 42},
        {"v9_v6_uptime_wide", P::v9, true, false, T::uptime, true, 0, false, 0x0A0B0C0D},
        {"v9_v4_ms_sampled", P::v9, false, false, T::milliseconds, false, 100, false, 7},
        {"v9_v6_ms_v6transport", P::v9, true, true, T::milliseconds, true, 0, false, 8},
        {"ipfix_v4_ms", P::ipfix, false, false, T::milliseconds, true, 0, false, 42},
        {"ipfix_v6_ms_v6transport", P::ipfix, true, true, T::milliseconds, true, 0, false, 43},
        {"ipfix_v4_uptime", P::ipfix, false, false, T::uptime, true, 0, false, 44},
        {"ipfix_v6_uptime", P::ipfix, true, false, T::uptime, false, 0, false, 45},
        {"ipfix_v4_seconds", P::ipfix, false, false, T::seconds, true, 0, false, 46},
        {"ipfix_v6_seconds", P::ipfix, true, false, T::seconds, true, 0, false, 46},
        {"ipfix_v4_micro", P::ipfix, false, false, T::microseconds, true, 0, false, 47},
        {"ipfix_v6_micro", P::ipfix, true, false, T::microseconds, true, 0, false, 47},
        {"ipfix_v4_nano", P::ipfix, false, false, T::nanoseconds, true, 0, false, 48},
        {"ipfix_v6_nano", P::ipfix, true, false, T::nanoseconds, true, 0, false, 48},
        {"ipfix_v4_ms_sampled", P::ipfix, false, false, T::milliseconds, true, 1000, false, 49},
        {"ipfix_v6_ms_extras", P::ipfix, true, false, T::milliseconds, true, 0, true, 50},
        {"ipfix_v4_uptime_extras_sampled", P::ipfix, false, false, T::uptime, false, 10, true, 51},
    };
}

std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& e : v) s += "\n  " + e;
    return s;
}

bool same_template(const TsharkTemplate& seen, const core::Template& sent) {
    return seen.id == sent.id && seen.scope_count == sent.scope_count && seen.fields == sent.fields;
}

std::string describe(const std::vector<core::FieldSpec>& fields) {
    std::string s;
    for (const auto& f : fields)
        s += " " + std::to_string(f.id) + "/" + std::to_string(f.length) + (f.enterprise ? "@" + std::to_string(f.enterprise) : "");
    return s;
}

class TsharkInterop : public ::testing::TestWithParam<ExportCase> {};

TEST_P(TsharkInterop, EveryRecordAndFieldEqualsTheTruth) {
    FLOWLAB_REQUIRE_TOOL("tshark");
    const ExportCase& c = GetParam();
    fmt::print("seed {}, case {}, {} records\n", kSeed, c.name, kRecords);
    const EncodedExport e = encode_case(c, kSeed, kRecords);
    test::TempDir dir;
    const std::string pcap = dir / "exports.pcap";
    // 2055 and 4739 are ports tshark dissects as cflow without -d.
    const std::uint16_t port = c.protocol == Protocol::ipfix ? 4739 : 2055;
    write_pcap(e, pcap, exporter_endpoint(c), collector_endpoint(c, port));

    const std::vector<TsharkPacket> packets = run_tshark(pcap);
    ASSERT_EQ(packets.size(), e.messages.size());
    TsharkReader reader;
    std::size_t compared = 0, options_records = 0;
    std::uint32_t next_sequence = 0;
    for (std::size_t i = 0; i < packets.size(); ++i) {
        const TsharkPacket& p = packets[i];
        const EncodedMessage& msg = e.messages[i];
        SCOPED_TRACE("case " + c.name + ", packet " + std::to_string(p.number));
        EXPECT_TRUE(p.problems.empty()) << "tshark flagged:" << join(p.problems);
        if (!c.ipv6_transport) {
            EXPECT_EQ(p.ip_checksum_status, "1") << "IPv4 header checksum not good";
        }
        EXPECT_EQ(p.udp_checksum_status, "1") << "UDP checksum not good";
        EXPECT_EQ(p.udp_length, msg.bytes.size() + 8);
        EXPECT_EQ(p.ip_src, exporter_endpoint(c).address);

        const TsharkMessage m = reader.read(p);
        EXPECT_TRUE(m.problems.empty()) << join(m.problems);
        EXPECT_EQ(m.protocol, c.protocol);
        EXPECT_EQ(m.domain, c.domain);
        // Sequence numbers continue as each protocol counts them, by tshark's own record count.
        if (i > 0) {
            EXPECT_EQ(m.sequence, next_sequence) << "sequence does not continue";
        }
        switch (c.protocol) {
            case Protocol::v5:
                EXPECT_EQ(m.header_count, m.records.size());
                EXPECT_EQ(m.v5_sampling_mode, c.sampling > 1 ? 1u : 0u);
                EXPECT_EQ(m.v5_sampling_rate, c.sampling > 1 ? c.sampling : 0u);
                next_sequence = m.sequence + static_cast<std::uint32_t>(m.records.size());
                break;
            case Protocol::v9:
                // RFC 3954 5.1: count = template, options template and data records of every kind.
                EXPECT_EQ(m.header_count, m.record_count_in_packet);
                next_sequence = m.sequence + 1;
                break;
            case Protocol::ipfix:
                EXPECT_EQ(m.ipfix_length, msg.bytes.size());
                // RFC 7011 3.1: every Data Record counts, Options Data Records included.
                next_sequence = m.sequence + static_cast<std::uint32_t>(m.records.size() + m.options_records.size());
                break;
        }
        if (i == 0 && c.protocol != Protocol::v5) {
            EXPECT_FALSE(m.templates.empty()) << "the first message must carry the templates";
        }
        for (const TsharkTemplate& t : m.templates) {
            const core::Template* sent = nullptr;
            core::Template options;
            if (t.options) {
                options = core::sampling_options_template(c.protocol, e.config.options_template_id);
                sent = &options;
            } else if (t.id == e.config.template_v4.id) {
                sent = &e.config.template_v4;
            } else if (t.id == e.config.template_v6.id) {
                sent = &e.config.template_v6;
            }
            ASSERT_NE(sent, nullptr) << "unexpected template " << t.id;
            EXPECT_TRUE(same_template(t, *sent)) << "template " << t.id << ": tshark saw scope " << t.scope_count
                                                 << " fields" << describe(t.fields) << ", flowlab sent scope "
                                                 << sent->scope_count << " fields" << describe(sent->fields);
        }
        for (const auto& o : m.options_records) {
            ++options_records;
            ASSERT_TRUE(o.count("cflow.sampling_interval") && o.count("cflow.sampling_algorithm")) << "options record without sampling";
            EXPECT_EQ(parse_tshark_number(o.at("cflow.sampling_interval").at(0)), c.sampling);
            EXPECT_EQ(parse_tshark_number(o.at("cflow.sampling_algorithm").at(0)), e.config.sampling_algorithm);
            if (c.protocol == Protocol::ipfix) {
                ASSERT_TRUE(o.count("cflow.od_id"));
                EXPECT_EQ(parse_tshark_number(o.at("cflow.od_id").at(0)), c.domain) << "scope: observation domain";
            }
        }
        ASSERT_EQ(m.records.size(), msg.truth.size());
        for (std::size_t j = 0; j < m.records.size(); ++j) {
            const core::FlowRecord& truth = msg.truth[j];
            const core::FlowRecord& seen = m.records[j];
            EXPECT_TRUE(core::differing_fields(truth, seen, core::FieldSet::all()).empty())
                << "record " << j << ": " << describe_differences(truth, seen, core::FieldSet::all());
            // tshark shows no applicationName at all when its value is empty (length 0).
            std::vector<core::ExtraField> expected_extra;
            for (const auto& x : truth.extra)
                if (!(x.enterprise == 0 && x.id == core::ie::applicationName && x.value.empty())) expected_extra.push_back(x);
            EXPECT_EQ(seen.extra, expected_extra) << "record " << j << ": applicationName / enterprise field";
            ++compared;
        }
    }
    EXPECT_EQ(compared, e.records());
    if (c.sampling > 1 && c.protocol != Protocol::v5) {
        EXPECT_GT(options_records, 1u) << "sampling options were not refreshed";
    }
}

INSTANTIATE_TEST_SUITE_P(AllProtocols, TsharkInterop, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<ExportCase>& i) { return i.param.name; });

}  // namespace
}  // namespace flowlab::interop

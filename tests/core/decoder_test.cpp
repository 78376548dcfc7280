/// @brief Decoder policy on malformed and unusual input: every problem counted and located,
/// decoding goes on, nothing read out of bounds (the ASan build runs these too).
#include <gtest/gtest.h>

#include <tuple>

#include "flowlab/core/decoder.hpp"
#include "msg_builder.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

using test::hex;
using test::MsgBuilder;

const IpAddress kExporter = IpAddress::v4(0xC0000201);  // 192.0.2.1

struct Harness {
    Decoder d;
    std::vector<FlowRecord> out;
    std::uint64_t n = 0;
    bool stream = false;  // messages from a TCP stream rather than UDP datagrams
    std::size_t feed(const std::vector<std::uint8_t>& m, const IpAddress& ex = kExporter, std::uint16_t port = 2055) {
        return d.decode(ExportDatagram{m, ex, port, ++n, stream}, out);
    }
    std::uint64_t errors(DecodeErrorKind k) const { return d.stats().errors[static_cast<std::size_t>(k)]; }
};

// A minimal IPFIX template 256: sourceIPv4Address, destinationIPv4Address, packetDeltaCount(4).
MsgBuilder with_template(MsgBuilder b) {
    return b.set(2).template_record(256, {{8, 4}, {12, 4}, {2, 4}}).end_set();
}
MsgBuilder& data_record(MsgBuilder& b, std::uint32_t src, std::uint32_t dst, std::uint32_t pkts) {
    return b.u32(src).u32(dst).u32(pkts).record();
}

TEST(Decoder, UnknownVersionAndTruncatedHeadersAreCountedNotFatal) {
    Harness r;
    r.feed(hex("0007 0001 0000"));
    r.feed(hex("00"));
    r.feed(hex("0005 0001 0000"));       // v5 header cut short
    r.feed(hex("0009 0000 00000000"));  // v9 header cut short
    r.feed(hex("000a 0010 0000"));       // IPFIX header cut short
    EXPECT_EQ(r.errors(DecodeErrorKind::unknown_version), 1u);
    EXPECT_EQ(r.errors(DecodeErrorKind::truncated_header), 4u);
    EXPECT_EQ(r.out.size(), 0u);
    ASSERT_FALSE(r.d.errors().empty());
    EXPECT_EQ(r.d.errors()[0].packet, 1u);
    EXPECT_NE(r.d.errors()[0].message.find("version 7"), std::string::npos);
}

TEST(Decoder, V5CountThatDoesNotFitRejectsThePacketWhole) {
    std::vector<std::uint8_t> pkt = hex("0005 0002 00000000 00000000 00000000 00000000 0000 0000");
    pkt.resize(24 + 48, 0);  // room for one record, header claims two
    Harness r;
    r.feed(pkt);
    EXPECT_EQ(r.out.size(), 0u);
    EXPECT_EQ(r.errors(DecodeErrorKind::v5_count), 1u);
    EXPECT_EQ(r.d.errors().at(0).offset, 2u);
    pkt[3] = 31;  // above the v5 maximum of 30
    pkt.resize(24 + 48 * 31, 0);
    r.feed(pkt);
    EXPECT_EQ(r.errors(DecodeErrorKind::v5_count), 2u);
    pkt[3] = 1;  // one record, but bytes left over: decoded, trailing bytes counted
    r.feed(pkt);
    EXPECT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.errors(DecodeErrorKind::trailing_bytes), 1u);
}

// RFC 7011 9.1: a malformed IPFIX message is discarded whole, the sets before the bad one and
// the templates in it included.
TEST(Decoder, SetLengthThatLiesDiscardsTheWholeIpfixMessage) {
    auto b = with_template(MsgBuilder::ipfix(1));
    b.set(256);
    data_record(b, 0xC0000201, 0xC6336402, 5);
    b.end_set();
    b.set(256);
    data_record(b, 0xC0000202, 0xC6336402, 6);
    b.end_set(200);  // claims more bytes than the message has
    Harness r;
    r.feed(b.build());
    EXPECT_EQ(r.out.size(), 0u) << r.d.summary();
    EXPECT_EQ(r.d.stats().templates, 0u);
    EXPECT_EQ(r.errors(DecodeErrorKind::set_length), 1u);
    const auto& e = r.d.errors().at(0);
    EXPECT_EQ(e.kind, DecodeErrorKind::set_length);
    EXPECT_EQ(e.offset, 16u + 20u + 16u + 2u);  // header, template set, first data set, length field
    EXPECT_NE(e.message.find("runs past the end"), std::string::npos) << e.message;
}

TEST(Decoder, SetLengthBelowFourDiscardsTheMessage) {
    auto b = with_template(MsgBuilder::ipfix(1));
    b.set(256).end_set(2);
    Harness r;
    r.feed(b.build());
    EXPECT_EQ(r.errors(DecodeErrorKind::set_length), 1u);
    EXPECT_EQ(r.d.stats().templates, 0u) << "the template of a malformed message is not kept";
}

// RFC 3954 has no malformed-packet rule: a v9 flowset whose length lies ends the packet, and
// the flowsets before it still count.
TEST(Decoder, V9FlowsetLengthThatLiesKeepsEarlierFlowsets) {
    auto b = MsgBuilder::v9(1).set(0).template_record(256, {{8, 4}, {12, 4}, {2, 4}}).end_set();
    b.set(256);
    data_record(b, 0xC0000201, 0xC6336402, 5);
    b.end_set();
    b.set(256);
    data_record(b, 0xC0000202, 0xC6336402, 6);
    b.end_set(200);
    Harness r;
    r.feed(b.build());
    ASSERT_EQ(r.out.size(), 1u) << r.d.summary();
    EXPECT_EQ(r.out[0].packets, 5u);
    EXPECT_EQ(r.errors(DecodeErrorKind::set_length), 1u);
}

TEST(Decoder, IpfixMessageLengthDisagreeingWithDatagram) {
    auto b = with_template(MsgBuilder::ipfix(1));
    b.set(256);
    data_record(b, 1, 2, 3);
    b.end_set();
    auto msg = b.build();
    Harness r;
    r.feed(b.build(static_cast<int>(msg.size()) + 100));  // header claims more than arrived
    EXPECT_EQ(r.errors(DecodeErrorKind::message_length), 1u);
    EXPECT_EQ(r.out.size(), 0u) << "a message longer than its datagram is malformed (RFC 7011 9.1)";
    r.feed(b.build(8));  // below the header size: rejected
    EXPECT_EQ(r.errors(DecodeErrorKind::message_length), 2u);
    EXPECT_EQ(r.out.size(), 0u);
    r.feed(b.build());
    EXPECT_EQ(r.out.size(), 1u);
}

// Real exporters send zero-length fields (three 0:0 fields end templates in a capture of
// DIALECTS.md 6): they carry nothing and the rest of the record decodes. A template whose
// fields are all empty would make empty records, so it is rejected.
TEST(Decoder, ZeroLengthFieldsAreEmptyAndAllEmptyTemplatesRejected) {
    auto b = MsgBuilder::ipfix(1).set(2).template_record(256, {{8, 4}, {12, 0}, {0, 0}}).end_set();
    b.set(256).u32(1).u32(2).end_set();
    Harness r;
    r.feed(b.build());
    EXPECT_EQ(r.errors(DecodeErrorKind::bad_template), 0u);
    ASSERT_EQ(r.out.size(), 2u);
    EXPECT_EQ(r.out[0].src, IpAddress::v4(1));
    EXPECT_FALSE(r.out[0].has(Field::dst));
    auto e = MsgBuilder::ipfix(1).set(2).template_record(257, {{8, 0}, {12, 0}}).end_set();
    e.set(257).u32(1).end_set();
    r.feed(e.build());
    EXPECT_EQ(r.errors(DecodeErrorKind::bad_template), 1u);
    EXPECT_NE(r.d.errors().at(0).message.find("length 0"), std::string::npos);
    EXPECT_EQ(r.d.stats().sets_without_template, 1u);
}

TEST(Decoder, TemplateDeclaringMoreFieldsThanTheSetHolds) {
    auto b = MsgBuilder::ipfix(1).set(2).u16(256).u16(40).u16(8).u16(4).end_set();
    Harness r;
    r.feed(b.build());
    EXPECT_EQ(r.errors(DecodeErrorKind::bad_template), 1u);
    EXPECT_EQ(r.d.stats().templates, 0u);
}

TEST(Decoder, ReservedTemplateIdAndBadScopeCount) {
    Harness r;
    r.feed(MsgBuilder::ipfix(1).set(2).template_record(255, {{8, 4}}).end_set().build());
    r.feed(MsgBuilder::ipfix(1).set(3).u16(300).u16(2).u16(3).u16(149).u16(4).u16(34).u16(4).end_set().build());
    EXPECT_EQ(r.errors(DecodeErrorKind::bad_template), 2u);
}

TEST(Decoder, DataSetShorterThanOneRecord) {
    auto b = with_template(MsgBuilder::ipfix(1));
    b.set(256).u32(0xC0000201).u32(7).end_set();  // 8 of 12 bytes
    Harness r;
    r.feed(b.build());
    EXPECT_EQ(r.errors(DecodeErrorKind::short_set), 1u);
    EXPECT_EQ(r.out.size(), 0u);
}

TEST(Decoder, VariableLengthFieldRunningPastTheSet) {
    auto b = MsgBuilder::ipfix(1).set(2).template_record(256, {{8, 4}, {96, 0xFFFF}}).end_set();
    b.set(256).u32(0xC0000201).u8(3).raw({'w', 'e', 'b'});  // good record
    b.u32(0xC0000202).u8(200).raw({'x', 'y'}).end_set();     // claims 200 bytes
    Harness r;
    r.feed(b.build());
    EXPECT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.errors(DecodeErrorKind::bad_varlen), 1u);
    b = MsgBuilder::ipfix(1, 1).set(256).u32(0xC0000203).u8(255).u8(0x01).end_set();  // 3-byte prefix cut
    r.feed(b.build());
    EXPECT_EQ(r.errors(DecodeErrorKind::bad_varlen), 2u);
}

TEST(Decoder, DataBeforeTemplateIsCountedThenDecodedOnceTemplateArrives) {
    auto data = MsgBuilder::ipfix(1);
    data.set(256);
    data_record(data, 1, 2, 3);
    data.end_set();
    Harness r;
    r.feed(data.build());
    EXPECT_EQ(r.out.size(), 0u);
    EXPECT_EQ(r.d.stats().sets_without_template, 1u);
    EXPECT_EQ(r.d.stats().bytes_without_template, 12u);
    r.feed(with_template(MsgBuilder::ipfix(1, 1)).build());
    r.feed(data.build());
    EXPECT_EQ(r.out.size(), 1u);
}

TEST(Decoder, TemplatesAreScopedByExporterPortAndDomain) {
    Harness r;
    // Same template id 256 with different layouts in three scopes.
    r.feed(MsgBuilder::ipfix(1).set(2).template_record(256, {{2, 4}}).end_set().build(), kExporter, 2055);
    r.feed(MsgBuilder::ipfix(2).set(2).template_record(256, {{2, 8}}).end_set().build(), kExporter, 2055);
    r.feed(MsgBuilder::ipfix(1).set(2).template_record(256, {{1, 4}}).end_set().build(), kExporter, 4739);
    r.feed(MsgBuilder::ipfix(1, 0).set(256).u32(11).end_set().build(), kExporter, 2055);
    r.feed(MsgBuilder::ipfix(2, 0).set(256).u64(22).end_set().build(), kExporter, 2055);
    r.feed(MsgBuilder::ipfix(1, 0).set(256).u32(33).end_set().build(), kExporter, 4739);
    r.feed(MsgBuilder::ipfix(1, 0).set(256).u32(44).end_set().build(), IpAddress::v4(0xC0000202), 2055);
    ASSERT_EQ(r.out.size(), 3u) << r.d.summary();
    EXPECT_EQ(r.out[0].packets, 11u);
    EXPECT_EQ(r.out[1].packets, 22u);
    EXPECT_EQ(r.out[2].bytes, 33u);
    EXPECT_FALSE(r.out[2].has(Field::packets));
    EXPECT_EQ(r.d.stats().sets_without_template, 1u) << "another exporter's template must not apply";
}

// RFC 7011 8.4: withdrawals MUST be ignored over UDP; over TCP/SCTP they remove the template.
TEST(Decoder, TemplateWithdrawalOverUdpIsIgnored) {
    Harness r;
    r.feed(with_template(MsgBuilder::ipfix(1)).build());
    r.feed(MsgBuilder::ipfix(1).set(2).u16(256).u16(0).end_set().build());
    auto data = MsgBuilder::ipfix(1);
    data.set(256);
    data_record(data, 1, 2, 3);
    r.feed(data.end_set().build());
    EXPECT_EQ(r.d.stats().template_withdrawals, 1u);
    EXPECT_EQ(r.d.stats().withdrawals_ignored, 1u);
    EXPECT_EQ(r.out.size(), 1u) << "the template stays in use";
}

TEST(Decoder, TemplateWithdrawalOverAStream) {
    Harness r;
    r.stream = true;
    r.feed(with_template(MsgBuilder::ipfix(1)).build());
    r.feed(MsgBuilder::ipfix(1).set(2).u16(256).u16(0).end_set().build());
    auto data = MsgBuilder::ipfix(1);
    data.set(256);
    data_record(data, 1, 2, 3);
    r.feed(data.end_set().build());
    EXPECT_EQ(r.d.stats().template_withdrawals, 1u);
    EXPECT_EQ(r.out.size(), 0u);
    EXPECT_EQ(r.d.stats().sets_without_template, 1u);
    // Withdraw all (template id == set id 2).
    r.feed(with_template(MsgBuilder::ipfix(1)).build());
    r.feed(MsgBuilder::ipfix(1).set(2).u16(2).u16(0).end_set().build());
    r.feed(data.build());
    EXPECT_EQ(r.d.stats().sets_without_template, 2u);
}

TEST(Decoder, UnknownAndEnterpriseElementsAreSkippedByLengthAndCounted) {
    auto b = MsgBuilder::ipfix(1).set(2).u16(256).u16(4);
    b.u16(8).u16(4);                           // sourceIPv4Address
    b.u16(999).u16(3);                         // unassigned IANA element
    b.u16(0x8000 | 77).u16(2).u32(32473);      // enterprise element
    b.u16(2).u16(4);                           // packetDeltaCount
    b.end_set();
    b.set(256).u32(0xC0000201).raw({1, 2, 3}).raw({4, 5}).u32(9).end_set();
    Harness r;
    r.feed(b.build());
    ASSERT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.out[0].packets, 9u);
    EXPECT_EQ(r.out[0].src, IpAddress::v4(0xC0000201));
    EXPECT_EQ(r.d.stats().unknown_fields, 1u);
    EXPECT_EQ(r.d.stats().enterprise_fields, 1u);
    EXPECT_EQ(r.d.stats().error_total(), 0u);
}

TEST(Decoder, KnownElementInAnImpossibleLengthIsSkipped) {
    auto b = MsgBuilder::ipfix(1).set(2).template_record(256, {{8, 3}, {2, 4}}).end_set();
    b.set(256).raw({1, 2, 3}).u32(5).end_set();
    Harness r;
    r.feed(b.build());
    ASSERT_EQ(r.out.size(), 1u);
    EXPECT_FALSE(r.out[0].has(Field::src));
    EXPECT_EQ(r.out[0].packets, 5u);
    EXPECT_EQ(r.errors(DecodeErrorKind::field_length), 1u);
}

TEST(Decoder, V9CountMismatchIsReportedAndRecordsKept) {
    auto b = MsgBuilder::v9(3).set(0).template_record(256, {{8, 4}, {2, 4}}).end_set();
    b.set(256).u32(0xC0000201).u32(4).record().end_set();
    Harness r;
    r.feed(b.build(5));  // header says 5 records, packet has 2
    EXPECT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.errors(DecodeErrorKind::count_mismatch), 1u);
    r.feed(b.build());
    EXPECT_EQ(r.errors(DecodeErrorKind::count_mismatch), 1u);
}

TEST(Decoder, V9OptionsTemplateAndRelativeTimes) {
    // sysUptime 3600000 at unix 1700000000: boot = 1699996400000.
    auto b = MsgBuilder::v9(3).set(0).template_record(256, {{8, 4}, {22, 4}, {21, 4}}).end_set();
    b.set(1).u16(257).u16(4).u16(8).u16(1).u16(4).u16(34).u16(4).u16(35).u16(1).u16(0).end_set();  // + 2 pad
    b.record();  // the options template record
    b.set(257).u32(0).u32(64).u8(1).raw({0, 0, 0}).record().end_set();
    b.set(256).u32(0xC0000201).u32(3'000'000).u32(3'599'000).record().end_set();
    Harness r;
    r.feed(b.build());
    ASSERT_EQ(r.out.size(), 1u) << r.d.summary();
    EXPECT_EQ(r.out[0].first_ms, 1'699'996'400'000 + 3'000'000);
    EXPECT_EQ(r.out[0].last_ms, 1'699'996'400'000 + 3'599'000);
    EXPECT_EQ(r.out[0].sampling_interval, 64u);
    EXPECT_EQ(r.d.stats().options_templates, 1u);
    EXPECT_EQ(r.d.stats().options_records, 1u);
}

TEST(Decoder, IpfixSystemInitFromOptionsResolvesUptimeTimes) {
    auto b = MsgBuilder::ipfix(1).set(2).template_record(256, {{8, 4}, {22, 4}, {21, 4}}).end_set();
    Harness r;
    auto data = MsgBuilder::ipfix(1);
    data.set(256).u32(0xC0000201).u32(1000).u32(2000).end_set();
    r.feed(b.build());
    r.feed(data.build());
    EXPECT_EQ(r.d.stats().unresolved_times, 1u);
    EXPECT_FALSE(r.out.at(0).has(Field::first_ms));
    auto opt = MsgBuilder::ipfix(1).set(3).u16(300).u16(2).u16(1).u16(149).u16(4).u16(160).u16(8).end_set();
    opt.set(300).u32(1).u64(1'700'000'000'000).end_set();
    r.feed(opt.build());
    r.feed(data.build());
    ASSERT_EQ(r.out.size(), 2u);
    EXPECT_EQ(r.out[1].first_ms, 1'700'000'001'000);
    EXPECT_EQ(r.out[1].last_ms, 1'700'000'002'000);
}

// RFC 5477: samplingPacketInterval (305) packets selected, samplingPacketSpace (306) skipped,
// as softflowd -s N announces it (305 = 1, 306 = N - 1): 1 in (305 + 306) / 305.
TEST(Decoder, SamplingPacketIntervalAndSpaceGiveOneInN) {
    auto data = MsgBuilder::ipfix(1).set(2).template_record(256, {{8, 4}, {12, 4}, {2, 4}}).end_set();
    data.set(256);
    data_record(data, 1, 2, 3);
    data.end_set();
    for (auto [interval, space, want] : {std::tuple{1u, 99u, 100u}, std::tuple{1u, 0u, 1u}, std::tuple{2u, 8u, 5u},
                                         std::tuple{3u, 7u, 3u}}) {
        Harness r;
        auto opt = MsgBuilder::ipfix(1).set(3).u16(300).u16(3).u16(1).u16(149).u16(4).u16(305).u16(4).u16(306).u16(4).end_set();
        opt.set(300).u32(1).u32(interval).u32(space).end_set();
        r.feed(opt.build());
        r.feed(data.build());
        ASSERT_EQ(r.out.size(), 1u) << r.d.summary();
        EXPECT_EQ(r.out[0].sampling_interval, want) << interval << " selected, " << space << " skipped";
    }
    // samplingInterval (34) is 1-in-N already; a samplingPacketSpace beside it changes nothing.
    Harness r;
    auto opt = MsgBuilder::ipfix(1).set(3).u16(300).u16(3).u16(1).u16(149).u16(4).u16(34).u16(4).u16(306).u16(4).end_set();
    opt.set(300).u32(1).u32(10).u32(99).end_set();
    r.feed(opt.build());
    r.feed(data.build());
    ASSERT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.out[0].sampling_interval, 10u);
}

TEST(Decoder, SamplerIdZeroIsAnUnknownSamplerNotAnUnsampledRecord) {
    // No RFC (3954, 5477, 7011, 7270) and no Cisco document found reserves sampler/selector
    // id 0 for "not sampled"; nfdump reads 0 so by its own convention, pmacct looks 0 up like
    // any id and leaves the rate unknown. decode says what it knows: the record names sampler
    // 0, and no options record gave that sampler a rate (README, flowlab decode).
    for (std::uint16_t id_element : {std::uint16_t{48}, std::uint16_t{302}}) {  // samplerId, selectorId
        Harness r;
        auto m = MsgBuilder::ipfix(1).set(2).template_record(256, {{8, 4}, {12, 4}, {2, 4}, {id_element, 2}}).end_set();
        m.set(256).u32(1).u32(2).u32(3).u16(0).end_set();
        r.feed(m.build());
        ASSERT_EQ(r.out.size(), 1u) << r.d.summary();
        EXPECT_FALSE(r.out[0].has(Field::sampling_interval)) << id_element;
        EXPECT_EQ(r.d.stats().sampling_unknown_id, 1u) << id_element;
        EXPECT_EQ(r.d.stats().sampling_none, 0u) << id_element;
        EXPECT_NE(r.d.summary().find("sampler unknown 1"), std::string::npos) << r.d.summary();

        // An options record that describes sampler 0 gives its rate like any other id's.
        auto opt = MsgBuilder::ipfix(1).set(3).u16(300).u16(3).u16(1).u16(149).u16(4).u16(id_element).u16(2).u16(305).u16(4)
                       .end_set();
        opt.set(300).u32(1).u16(0).u32(1).end_set();
        r.feed(opt.build());
        r.feed(m.build());
        ASSERT_EQ(r.out.size(), 2u) << r.d.summary();
        EXPECT_EQ(r.out[1].sampling_interval, 1u) << id_element;
        EXPECT_EQ(r.d.stats().sampling_from_named, 1u) << r.d.summary();
    }
}

TEST(Decoder, SequenceGapsArePerSession) {
    Harness r;
    auto msg = [](std::uint32_t seq, int records) {
        auto b = with_template(MsgBuilder::ipfix(1, seq));
        b.set(256);
        for (int i = 0; i < records; ++i) data_record(b, 1, 2, 3);
        return b.end_set().build();
    };
    r.feed(msg(0, 2));
    r.feed(msg(2, 3));
    r.feed(msg(10, 1));  // 5 records lost
    r.feed(msg(4, 1));   // back in time
    EXPECT_EQ(r.d.stats().sequence_gaps, 1u);
    EXPECT_EQ(r.d.stats().sequence_missing, 5u);
    EXPECT_EQ(r.d.stats().sequence_backwards, 1u);
}

TEST(Decoder, PaddingAfterRecordsIsAccepted) {
    auto b = with_template(MsgBuilder::ipfix(1));
    b.set(256);
    data_record(b, 1, 2, 3);
    b.raw({0, 0, 0, 0}).end_set();
    Harness r;
    r.feed(b.build());
    EXPECT_EQ(r.out.size(), 1u);
    EXPECT_EQ(r.d.stats().error_total(), 0u) << r.d.summary();
}

TEST(Decoder, ErrorMessagesAreCappedButAllCounted) {
    DecoderOptions o;
    o.max_error_messages = 3;
    Decoder d(o);
    std::vector<FlowRecord> out;
    const auto bad = hex("0008 0000");
    for (int i = 0; i < 10; ++i) d.decode(ExportDatagram{bad, kExporter, 1, static_cast<std::uint64_t>(i + 1)}, out);
    EXPECT_EQ(d.errors().size(), 3u);
    EXPECT_EQ(d.stats().error_total(), 10u);
    EXPECT_NE(d.summary().find("unknown_version 10"), std::string::npos) << d.summary();
}

}  // namespace
}  // namespace flowlab::core

/// @brief Randomized encode -> decode round trips for v5, v9 and IPFIX, IPv4 and IPv6, every
/// time style, with and without variable-length and enterprise fields; and packetizer limits.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include <fmt/format.h>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/encoder.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/ie_catalog.hpp"
#include "interop_support.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

constexpr std::uint64_t kSeed = 20261126;
constexpr std::int64_t kBase = interop::kBaseMs;  // 2026-01-01T00:00:00Z

struct Case {
    Protocol protocol;
    bool ipv6;
    TimeStyle time_style;
    bool extras;  // variable-length + enterprise fields (IPFIX only)
};

std::string name_of(const Case& c) {
    return std::string(protocol_name(c.protocol)) + (c.ipv6 ? "/v6" : "/v4") + "/time" +
           std::to_string(static_cast<int>(c.time_style)) + (c.extras ? "/extras" : "");
}

/// The interop tests' random record (every value fits the protocol's fields), with a
/// variable-length name of 0..400 bytes and an enterprise field when `extras`.
FlowRecord random_record(std::mt19937_64& rng, bool ipv6, bool v5, bool extras = false) {
    interop::ExportCase c;
    c.protocol = v5 ? Protocol::v5 : Protocol::ipfix;
    c.extras = extras;
    return interop::random_record(rng, c, ipv6);
}

class RoundTrip : public ::testing::TestWithParam<Case> {};

TEST_P(RoundTrip, DecodeEqualsTruthAndTruthEqualsInput) {
    const Case c = GetParam();
    std::mt19937_64 rng(kSeed);
    fmt::print("seed {}, case {}\n", kSeed, name_of(c));
    ExporterConfig cfg;
    cfg.protocol = c.protocol;
    cfg.address = c.ipv6 ? *IpAddress::parse("2001:db8::1") : IpAddress::v4(0xC0000201);
    cfg.domain = c.protocol == Protocol::v5 ? 0x0103 : 42;
    cfg.boot_ms = kBase - 86'400'000;
    cfg.max_payload = 1500 - udp_overhead(c.ipv6);
    cfg.template_refresh_packets = 7;
    const bool wide = true;  // 8-byte counters; reduced-size ones are covered by the vector tests
    cfg.template_v4 = default_template(c.protocol, false, 256, c.time_style, wide);
    cfg.template_v6 = default_template(c.protocol, true, 257, c.time_style, wide);
    if (c.extras) {
        for (Template* t : {&cfg.template_v4, &cfg.template_v6}) {
            t->fields.push_back({ie::applicationName, kVariableLength, 0});
            t->fields.push_back({17, 6, 32473});
        }
    }
    std::vector<std::vector<std::uint8_t>> messages;
    std::vector<FlowRecord> truth;
    Packetizer p(cfg, [&](const EncodedMessage& m) {
        EXPECT_LE(m.bytes.size(), cfg.max_payload);
        messages.emplace_back(m.bytes.begin(), m.bytes.end());
        truth.insert(truth.end(), m.records.begin(), m.records.end());
    });
    std::vector<FlowRecord> input;
    std::int64_t now_ns = (kBase + 3'700'000) * 1'000'000;
    for (int i = 0; i < 2000; ++i) {
        FlowRecord r = random_record(rng, c.ipv6 && (i % 3 != 0), c.protocol == Protocol::v5, c.extras);
        if (c.protocol == Protocol::v5 && r.src.is_v6()) continue;
        now_ns += static_cast<std::int64_t>(rng() % 3'000'000);
        ASSERT_TRUE(p.add(r, now_ns)) << i;
        input.push_back(r);
    }
    p.flush(now_ns);
    ASSERT_EQ(truth.size(), input.size());

    DecoderOptions opts;
    opts.keep_extra = true;
    Decoder d(opts);
    std::vector<FlowRecord> decoded;
    std::uint64_t n = 0;
    for (const auto& m : messages) d.decode(ExportDatagram{m, cfg.address, 9995, ++n}, decoded);
    EXPECT_EQ(d.stats().error_total(), 0u) << d.summary();
    EXPECT_EQ(d.stats().sequence_gaps, 0u) << d.summary();
    ASSERT_EQ(decoded.size(), truth.size()) << d.summary();
    for (std::size_t i = 0; i < truth.size(); ++i) {
        ASSERT_EQ(decoded[i], truth[i]) << "record " << i;
        const FlowRecord& in = input[i];
        const FlowRecord& t = truth[i];
        // Every field the template carries survives unchanged (seconds style truncates times).
        for (Field f : {Field::src, Field::dst, Field::next_hop}) EXPECT_EQ(*t.address(f), *in.address(f)) << i;
        for (Field f : {Field::sport, Field::dport, Field::proto, Field::tos, Field::tcp_flags, Field::packets,
                        Field::bytes, Field::in_if, Field::out_if, Field::src_as, Field::dst_as, Field::src_mask,
                        Field::dst_mask}) {
            if (c.protocol == Protocol::v5 && (f == Field::dport) && (in.proto == 1 || in.proto == 58)) continue;
            EXPECT_EQ(t.number(f), in.number(f)) << i << " " << field_name(f);
        }
        if (c.protocol != Protocol::v5 || in.proto == 1 || in.proto == 58) {
            EXPECT_EQ(t.icmp_type, in.icmp_type) << i;
            EXPECT_EQ(t.icmp_code, in.icmp_code) << i;
        }
        if (c.time_style == TimeStyle::seconds && c.protocol == Protocol::ipfix) {
            EXPECT_EQ(t.first_ms, in.first_ms / 1000 * 1000) << i;
        } else {
            EXPECT_EQ(t.first_ms, in.first_ms) << i;
            EXPECT_EQ(t.last_ms, in.last_ms) << i;
        }
        if (c.extras) {
            EXPECT_EQ(t.extra, in.extra) << i;
        }
        EXPECT_EQ(t.exporter, cfg.address);
        EXPECT_EQ(t.domain, cfg.domain);
    }
    EXPECT_EQ(p.stats().clamped, 0u);
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    cases.push_back({Protocol::v5, false, TimeStyle::uptime, false});
    for (bool v6 : {false, true}) {
        cases.push_back({Protocol::v9, v6, TimeStyle::uptime, false});
        cases.push_back({Protocol::v9, v6, TimeStyle::milliseconds, false});
        for (TimeStyle ts : {TimeStyle::uptime, TimeStyle::seconds, TimeStyle::milliseconds, TimeStyle::microseconds,
                             TimeStyle::nanoseconds})
            cases.push_back({Protocol::ipfix, v6, ts, false});
        cases.push_back({Protocol::ipfix, v6, TimeStyle::milliseconds, true});
    }
    return cases;
}

INSTANTIATE_TEST_SUITE_P(AllProtocols, RoundTrip, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                             std::string s = name_of(param_info.param);
                             for (auto& ch : s)
                                 if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                             return s;
                         });

TEST(Packetizer, TemplatesWithNetScalerElementsWriteMicrosecondsAsAppFlowDoes) {
    // NetScaler AppFlow's 154/155 count microseconds in the lower word (field_codec.hpp,
    // netscaler_micro_to_ms); a template carrying a PEN 5951 element is written that way and
    // the export truth still holds the times given.
    std::mt19937_64 rng(kSeed);
    ExporterConfig cfg;
    cfg.protocol = Protocol::ipfix;
    cfg.address = IpAddress::v4(0xC0000201);
    cfg.boot_ms = kBase - 86'400'000;
    cfg.template_v4 = default_template(Protocol::ipfix, false, 258, TimeStyle::microseconds, true);
    cfg.template_v4.fields.push_back({129, 4, 5951});  // netscaler:transactionId
    cfg.template_v6 = default_template(Protocol::ipfix, true, 259, TimeStyle::microseconds, true);
    std::vector<std::vector<std::uint8_t>> messages;
    std::vector<FlowRecord> truth;
    Packetizer p(cfg, [&](const EncodedMessage& m) {
        messages.emplace_back(m.bytes.begin(), m.bytes.end());
        truth.insert(truth.end(), m.records.begin(), m.records.end());
    });
    FlowRecord r = random_record(rng, false, false);
    r.first_ms = kBase + 548;
    r.last_ms = kBase + 1999;
    r.extra.push_back({5951, 129, {0, 0, 0, 77}});
    const std::int64_t now_ns = (kBase + 5000) * 1'000'000;
    ASSERT_TRUE(p.add(r, now_ns));
    p.flush(now_ns);
    ASSERT_EQ(truth.size(), 1u);
    EXPECT_EQ(truth[0].first_ms, r.first_ms);
    EXPECT_EQ(truth[0].last_ms, r.last_ms);

    Decoder d;
    std::vector<FlowRecord> decoded;
    std::vector<RecordView> views;
    for (const auto& m : messages) d.decode(ExportDatagram{m, cfg.address, 4739, 1}, decoded, &views);
    ASSERT_EQ(decoded.size(), 1u) << d.summary();
    EXPECT_EQ(decoded[0].first_ms, r.first_ms);
    EXPECT_EQ(decoded[0].last_ms, r.last_ms);
    std::map<std::uint16_t, std::uint64_t> times;
    for_each_element(views[0], [&](std::size_t, const FieldSpec& spec, const IeInfo*, std::span<const std::uint8_t> v) {
        if (spec.enterprise == 0 && (spec.id == 154 || spec.id == 155)) times[spec.id] = load_be_n(v.data(), v.size());
    });
    const std::uint64_t secs = static_cast<std::uint64_t>(kBase / 1000 + 2'208'988'800);
    EXPECT_EQ(times[154], secs << 32 | 548'000);
    EXPECT_EQ(times[155], (secs + 1) << 32 | 999'000);
}

TEST(Packetizer, V5HoldsAtMostThirtyRecordsAndCountsFlowSequence) {
    ExporterConfig cfg;
    cfg.protocol = Protocol::v5;
    cfg.address = IpAddress::v4(0xC0000201);
    cfg.boot_ms = kBase;
    std::vector<std::vector<std::uint8_t>> msgs;
    Packetizer p(cfg, [&](const EncodedMessage& m) { msgs.emplace_back(m.bytes.begin(), m.bytes.end()); });
    std::mt19937_64 rng(kSeed);
    for (int i = 0; i < 65; ++i) ASSERT_TRUE(p.add(random_record(rng, false, true), (kBase + 5000) * 1'000'000));
    p.flush((kBase + 5000) * 1'000'000);
    ASSERT_EQ(msgs.size(), 3u);
    EXPECT_EQ(msgs[0].size(), 24u + 30 * 48);
    EXPECT_EQ(msgs[2].size(), 24u + 5 * 48);
    auto seq = [](const std::vector<std::uint8_t>& m) { return (m[16] << 24) | (m[17] << 16) | (m[18] << 8) | m[19]; };
    EXPECT_EQ(seq(msgs[0]), 0);
    EXPECT_EQ(seq(msgs[1]), 30);
    EXPECT_EQ(seq(msgs[2]), 60);
}

TEST(Packetizer, V5CannotCarryIpv6AndSaysSo) {
    ExporterConfig cfg;
    cfg.protocol = Protocol::v5;
    cfg.address = IpAddress::v4(0xC0000201);
    Packetizer p(cfg, [](const EncodedMessage&) {});
    std::mt19937_64 rng(kSeed);
    EXPECT_FALSE(p.add(random_record(rng, true, true), 0));
    EXPECT_EQ(p.stats().rejected, 1u);
}

TEST(Packetizer, TemplatesRefreshEveryNMessagesAndEveryTSeconds) {
    ExporterConfig cfg;
    cfg.protocol = Protocol::ipfix;
    cfg.address = IpAddress::v4(0xC0000201);
    cfg.template_v4 = default_template(Protocol::ipfix, false, 256, TimeStyle::milliseconds, true);
    cfg.template_refresh_packets = 3;
    cfg.template_refresh_ms = 10'000;
    std::vector<bool> had_template;
    Packetizer p(cfg, [&](const EncodedMessage& m) { had_template.push_back(m.bytes[16] == 0 && m.bytes[17] == 2); });
    std::mt19937_64 rng(kSeed);
    std::int64_t t = kBase * 1'000'000;
    for (int i = 0; i < 8; ++i) {
        ASSERT_TRUE(p.add(random_record(rng, false, false), t));
        p.flush(t);
        t += 1'000'000'000;  // one message per second
    }
    // every 3 messages
    EXPECT_EQ(had_template, (std::vector<bool>{true, false, false, true, false, false, true, false}));
    ASSERT_TRUE(p.add(random_record(rng, false, false), t + 20'000'000'000));  // 20 s later: time refresh
    p.flush(t + 20'000'000'000);
    EXPECT_TRUE(had_template.back());
}

TEST(Packetizer, RejectsConfigurationsThatCannotWork) {
    ExporterConfig cfg;
    cfg.protocol = Protocol::ipfix;
    cfg.template_v4 = default_template(Protocol::ipfix, false, 100, TimeStyle::milliseconds, true);
    EXPECT_THROW(Packetizer(cfg, [](const EncodedMessage&) {}), ConfigError);  // id below 256
    cfg.template_v4.id = 256;
    cfg.max_payload = 60;
    EXPECT_THROW(Packetizer(cfg, [](const EncodedMessage&) {}), ConfigError);  // MTU too small
    cfg.max_payload = 1400;
    cfg.template_v4.fields.push_back({12, 0, 0});
    EXPECT_THROW(Packetizer(cfg, [](const EncodedMessage&) {}), ConfigError);  // zero-length field
    cfg.protocol = Protocol::v9;
    cfg.template_v4 = default_template(Protocol::v9, false, 256, TimeStyle::uptime, false);
    cfg.template_v4.fields.push_back({96, kVariableLength, 0});
    EXPECT_THROW(Packetizer(cfg, [](const EncodedMessage&) {}), ConfigError);  // v9 has no varlen
}

/// The v9 flowset with id `set_id` in a message (its header included), or empty.
std::vector<std::uint8_t> v9_flowset(std::span<const std::uint8_t> msg, std::uint16_t set_id) {
    for (std::size_t at = 20; at + 4 <= msg.size();) {
        const std::size_t id = std::size_t{msg[at]} << 8 | msg[at + 1];
        const std::size_t len = std::size_t{msg[at + 2]} << 8 | msg[at + 3];
        if (len < 4 || at + len > msg.size()) break;
        if (id == set_id) return {msg.begin() + static_cast<std::ptrdiff_t>(at), msg.begin() + static_cast<std::ptrdiff_t>(at + len)};
        at += len;
    }
    return {};
}

TEST(Packetizer, OptionsTemplateWithEmptyScopeIsWhatJuniperSrxSends) {
    // Juniper SRX announces sampling in options template 256 whose scope (System) has length 0,
    // and pads the 5-byte options record to 8 (tests/core/fixtures/real-exports, a real SRX).
    const std::string real_text =
        test::read_file(test::source_dir() + "/tests/core/fixtures/real-exports/payloads/netflow9_test_juniper_srx_tplopt.dat");
    const std::vector<std::uint8_t> real(real_text.begin(), real_text.end());
    ExporterConfig cfg;
    cfg.protocol = Protocol::v9;
    cfg.address = IpAddress::v4(0xC0000201);
    cfg.domain = 142;
    cfg.sampling_algorithm = 2;
    cfg.template_v4 = default_template(Protocol::v9, false, 257, TimeStyle::uptime, false);
    Template options;
    options.id = 256;
    options.scope_count = 1;
    options.fields = {{1, 0, 0}, {ie::samplingAlgorithm, 1, 0}, {ie::samplingInterval, 4, 0}};
    cfg.options.push_back({options, false});
    std::vector<std::uint8_t> first;
    Packetizer p(cfg, [&](const EncodedMessage& m) {
        if (first.empty()) first.assign(m.bytes.begin(), m.bytes.end());
    });
    std::mt19937_64 rng(kSeed);
    ASSERT_TRUE(p.add(random_record(rng, false, true), kBase * 1'000'000));
    p.flush(kBase * 1'000'000);
    ASSERT_FALSE(first.empty());
    const auto real_options = v9_flowset(real, 1);
    ASSERT_EQ(real_options.size(), 24u);  // the fixture is what this test assumes
    EXPECT_EQ(v9_flowset(first, 1), real_options);
    EXPECT_EQ(v9_flowset(first, 256), v9_flowset(real, 256));
    // flowlab's decoder reads both alike: one options record each, the data that follows intact.
    for (const std::vector<std::uint8_t>* msg : std::initializer_list<const std::vector<std::uint8_t>*>{&first, &real}) {
        Decoder d;
        std::vector<FlowRecord> out;
        d.decode(ExportDatagram{*msg, IpAddress::v4(0xC0000201), 2055, 1}, out);
        EXPECT_EQ(d.stats().options_records, 1u);
        EXPECT_TRUE(d.errors().empty()) << d.summary();
    }
}

TEST(Packetizer, WithdrawalIsDecodedAndTemplateResent) {
    ExporterConfig cfg;
    cfg.protocol = Protocol::ipfix;
    cfg.address = IpAddress::v4(0xC0000201);
    cfg.template_v4 = default_template(Protocol::ipfix, false, 256, TimeStyle::milliseconds, true);
    std::vector<std::vector<std::uint8_t>> msgs;
    Packetizer p(cfg, [&](const EncodedMessage& m) { msgs.emplace_back(m.bytes.begin(), m.bytes.end()); });
    std::mt19937_64 rng(kSeed);
    ASSERT_TRUE(p.add(random_record(rng, false, false), kBase * 1'000'000));
    p.withdraw_template(256, kBase * 1'000'000);
    ASSERT_TRUE(p.add(random_record(rng, false, false), kBase * 1'000'000));
    p.flush(kBase * 1'000'000);
    ASSERT_EQ(msgs.size(), 3u);
    Decoder d;
    std::vector<FlowRecord> out;
    for (std::size_t i = 0; i < msgs.size(); ++i) d.decode(ExportDatagram{msgs[i], cfg.address, 1, i + 1}, out);
    EXPECT_EQ(out.size(), 2u);
    EXPECT_EQ(d.stats().template_withdrawals, 1u);
    EXPECT_EQ(d.stats().templates, 2u);
    EXPECT_EQ(d.stats().error_total(), 0u) << d.summary();
}

}  // namespace
}  // namespace flowlab::core

/// @brief The encoder's direct truth (write_record filling the PartialRecord as it writes) equals
/// read_record over the same bytes: for the data templates of every shipped dialect, the bench
/// dialects, flowlab's defaults and templates of every element form, on random records with
/// edge values (counters past their field, times at rounding edges and era limits, both
/// families, ICMP, empty and long variable-length fields). Seed printed and fixed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "field_codec.hpp"
#include "flowlab/core/template.hpp"
#include "flowlab/gen/dialect.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab {
namespace {

using core::Field;
using core::FieldSpec;
using core::FlowRecord;
using core::IpAddress;
using core::Protocol;
using core::Template;
using core::detail::CompiledTemplate;
using core::detail::PartialRecord;

constexpr std::uint64_t kSeed = 20261207;

struct Case {
    std::string name;
    Protocol protocol = Protocol::ipfix;
    Template tmpl;
    std::int64_t boot_ms = 0;
    std::uint32_t sampling_interval = 0;
};

/// Every data template the exporters of example-office use under dialect `file`.
std::vector<Case> dialect_cases(const std::string& file) {
    const gen::Scenario base = gen::load_scenario(FLOWLAB_EXAMPLE_SCENARIO, {});
    const gen::Scenario s = gen::with_dialect(base, file);
    std::vector<Case> out;
    for (std::size_t e = 0; e < s.exporters.size(); ++e) {
        const core::ExporterConfig x = gen::make_exporter_plan(s, e, s.start_us).exporter;
        for (const Template* t : {&x.template_v4, &x.template_v6, &x.template_v4_icmp, &x.template_v6_icmp})
            if (!t->fields.empty())
                out.push_back({std::filesystem::path(file).stem().string() + "/" + std::to_string(t->id), x.protocol, *t,
                               x.boot_ms, x.sampling_interval});
    }
    return out;
}

std::vector<std::string> dialect_files(const char* dir) {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".json") out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

Template make(std::uint16_t id, std::vector<FieldSpec> fields) {
    Template t;
    t.id = id;
    t.fields = std::move(fields);
    return t;
}

constexpr std::uint16_t kVar = core::kVariableLength;

/// Templates with every element form write_record knows, for IPFIX (v9: without enterprise and
/// variable-length fields).
std::vector<Case> form_cases() {
    const std::vector<FieldSpec> both_families = {
        {8, 4}, {12, 4}, {27, 16}, {28, 16}, {15, 4}, {62, 16}, {7, 2}, {11, 2}, {4, 1}, {5, 1}, {6, 1},
        {1, 4}, {2, 8}, {10, 2}, {14, 4}, {16, 2}, {17, 4}, {9, 1}, {13, 1}, {29, 1}, {30, 1},
        {32, 2}, {139, 2}, {176, 1}, {177, 1}, {178, 1}, {179, 1}, {136, 1}, {234, 4}, {235, 4}, {210, 3}};
    const std::vector<FieldSpec> one_family = {{8, 4}, {12, 4}, {15, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 2},
                                               {1, 3}, {2, 5}, {10, 1}, {14, 8}, {32, 2}, {61, 1}, {60, 1}};
    // ICMP type and code as their own elements, without the combined one.
    const std::vector<FieldSpec> icmp4 = {{8, 4}, {12, 4}, {4, 1}, {176, 1}, {177, 1}, {1, 4}, {11, 2}};
    const std::vector<FieldSpec> icmp6 = {{27, 16}, {28, 16}, {4, 1}, {178, 1}, {179, 1}, {2, 4}, {11, 2}};
    const std::vector<std::vector<FieldSpec>> times = {
        {{150, 4}, {151, 4}}, {{152, 8}, {153, 8}}, {{154, 8}, {155, 8}}, {{156, 8}, {157, 8}},
        {{22, 4}, {21, 4}}, {{22, 8}, {21, 2}, {160, 8}}, {{158, 4}, {159, 4}}, {{150, 4}, {153, 8}, {22, 4}}};
    const std::vector<std::vector<FieldSpec>> samplings = {
        {}, {{34, 4}, {35, 1}}, {{305, 4}, {306, 4}, {304, 2}}, {{306, 2}}, {{309, 4}, {310, 4}}, {{311, 8}},
        {{311, 4}}, {{48, 1}, {302, 8}}, {{50, 2}, {49, 1}}};
    std::vector<Case> out;
    std::uint16_t id = 300;
    for (const Protocol p : {Protocol::ipfix, Protocol::v9})
        for (const auto* base : {&both_families, &one_family, &icmp4, &icmp6})
            for (const auto& tf : times)
                for (const auto& sf : samplings) {
                    std::vector<FieldSpec> f = *base;
                    f.insert(f.end(), tf.begin(), tf.end());
                    f.insert(f.end(), sf.begin(), sf.end());
                    f.push_back({32000, 2});  // not in the registry
                    if (p == Protocol::ipfix) {
                        f.push_back({12345, 4, 9});       // enterprise, unknown
                        f.push_back({82, kVar});          // interfaceName: kept as bytes
                        f.push_back({4000, kVar, 9});     // enterprise, variable length
                    }
                    Template t = make(id++, f);
                    if (p == Protocol::ipfix && (id % 3) == 0)
                        t.values.push_back({9, 12345, {0xde, 0xad, 0xbe, 0xef}});
                    for (const std::uint32_t si : {0u, 1u, 64u, 0xFFFFFFFFu})
                        out.push_back({"forms/" + std::to_string(t.id) + "/" + std::string(core::protocol_name(p)) +
                                           "/1-in-" + std::to_string(si),
                                       p, t, 1'700'000'000'000, si});
                }
    // NetScaler AppFlow's microsecond form (a PEN 5951 element in the template).
    out.push_back({"forms/netscaler", Protocol::ipfix, make(900, {{8, 4}, {154, 8}, {155, 8}, {128, 4, 5951}}),
                   0, 0});
    for (const Protocol p : {Protocol::ipfix, Protocol::v9})
        for (const auto style : {core::TimeStyle::uptime, core::TimeStyle::seconds, core::TimeStyle::milliseconds,
                                 core::TimeStyle::microseconds, core::TimeStyle::nanoseconds})
            for (const bool v6 : {false, true})
                for (const bool wide : {false, true})
                    out.push_back({"defaults", p, core::default_template(p, v6, 256, style, wide), 1'700'000'000'000, 10});
    return out;
}

std::uint64_t edge_number(std::mt19937_64& rng) {
    static constexpr std::uint64_t kEdges[] = {0,           1,           255,         256,          65535,
                                               65536,       0xFFFFFF,    0x1000000,   0xFFFFFFFFull, 0x100000000ull,
                                               0x100000001ull, 1ull << 40, ~0ull >> 8,  ~0ull};
    if (rng() % 2) return kEdges[rng() % std::size(kEdges)];
    return rng() >> (rng() % 64);
}

std::int64_t edge_time(std::mt19937_64& rng, std::int64_t boot_ms) {
    static constexpr std::int64_t kBases[] = {
        1'709'546'400'000,            // 2024-03-04 10:00
        0,                            // the Unix epoch
        -2'208'988'800'000,           // the NTP epoch
        -2'208'988'800'001,           // before it
        2'085'978'495'000,            // 2036-02-07 06:28:15, the end of NTP era 0
        2'085'978'496'000,            // era 1
        4'294'967'295'000,            // the last second dateTimeSeconds holds
        4'294'967'296'000,            // past it
        -1};
    std::int64_t t = kBases[rng() % std::size(kBases)];
    if (rng() % 3 == 0) t = boot_ms + static_cast<std::int64_t>(rng() % 20) - 10;  // about the boot
    // Rounding edges of the millisecond fractions.
    static constexpr std::int64_t kSub[] = {0, 1, 499, 500, 501, 537, 998, 999};
    return t + kSub[rng() % std::size(kSub)] + static_cast<std::int64_t>(rng() % 3) * 1000;
}

IpAddress random_address(std::mt19937_64& rng, bool v6) {
    std::uint8_t b[16];
    for (auto& x : b) x = static_cast<std::uint8_t>(rng() % 4 == 0 ? 0 : rng());
    return v6 ? IpAddress::v6_bytes(b) : IpAddress::v4_bytes(b);
}

FlowRecord random_record(std::mt19937_64& rng, const Template& t, std::int64_t boot_ms) {
    FlowRecord r;
    const bool v6 = rng() % 2;
    for (const Field f : {Field::src, Field::dst, Field::next_hop, Field::tunnel_src, Field::tunnel_dst}) {
        const unsigned k = rng() % 8;
        if (k == 0) continue;                                   // absent
        r.set_address(f, random_address(rng, k == 1 ? !v6 : v6));  // sometimes the other family
    }
    for (const Field f : {Field::sport, Field::dport, Field::proto, Field::tos, Field::tcp_flags, Field::packets,
                          Field::bytes, Field::in_if, Field::out_if, Field::src_as, Field::dst_as, Field::src_mask,
                          Field::dst_mask, Field::icmp_type, Field::icmp_code, Field::end_reason, Field::vrf_in_id,
                          Field::vrf_out_id}) {
        if (rng() % 8 == 0) continue;
        r.set_number(f, edge_number(rng));
    }
    if (rng() % 3 == 0) r.set_number(Field::proto, v6 ? 58 : 1);
    if (rng() % 8) r.set_number(Field::first_ms, static_cast<std::uint64_t>(edge_time(rng, boot_ms)));
    if (rng() % 8) r.set_number(Field::last_ms, static_cast<std::uint64_t>(edge_time(rng, boot_ms)));
    // Extra fields for the template's unmodelled elements: right length, wrong length, none;
    // variable-length ones empty, short, at the one-byte prefix's limit, or long.
    for (const FieldSpec& f : t.fields) {
        const unsigned k = rng() % 4;
        if (k == 0) continue;
        std::size_t n = f.length;
        if (f.length == kVar) {
            static constexpr std::size_t kLengths[] = {0, 1, 254, 255, 256, 1000};
            n = kLengths[rng() % std::size(kLengths)];
        } else if (k == 1) {
            n = f.length + 1;
        }
        std::vector<std::uint8_t> v(n);
        for (auto& x : v) x = static_cast<std::uint8_t>(rng());
        r.extra.push_back({f.enterprise, f.id, std::move(v)});
    }
    return r;
}

void expect_same(const PartialRecord& a, const PartialRecord& b, const std::string& where) {
    EXPECT_TRUE(a.rec == b.rec) << where << ": FlowRecord differs";
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        EXPECT_EQ(a.rec.has(f), b.rec.has(f)) << where << ": presence of " << core::field_name(f);
        if (!core::is_address_field(f)) {
            EXPECT_EQ(a.rec.number(f), b.rec.number(f)) << where << ": " << core::field_name(f);
        }
    }
    EXPECT_TRUE(a.rec.extra == b.rec.extra) << where << ": extra fields";
#define FLOWLAB_SAME(m) EXPECT_EQ(a.m, b.m) << where << ": " #m
    FLOWLAB_SAME(start_uptime);
    FLOWLAB_SAME(end_uptime);
    FLOWLAB_SAME(start_delta_us);
    FLOWLAB_SAME(end_delta_us);
    FLOWLAB_SAME(system_init_ms);
    FLOWLAB_SAME(has_start_uptime);
    FLOWLAB_SAME(has_end_uptime);
    FLOWLAB_SAME(has_system_init);
    FLOWLAB_SAME(has_start_delta);
    FLOWLAB_SAME(has_end_delta);
    FLOWLAB_SAME(has_icmp_field);
    FLOWLAB_SAME(sampling);
    FLOWLAB_SAME(has_sampling);
    FLOWLAB_SAME(sampling_space);
    FLOWLAB_SAME(has_sampling_space);
    FLOWLAB_SAME(sampling_is_packet_interval);
    FLOWLAB_SAME(sampling_size);
    FLOWLAB_SAME(sampling_population);
    FLOWLAB_SAME(has_sampling_size);
    FLOWLAB_SAME(has_sampling_population);
    FLOWLAB_SAME(sampling_probability);
    FLOWLAB_SAME(has_sampling_probability);
    FLOWLAB_SAME(sampling_algorithm);
    FLOWLAB_SAME(has_sampling_algorithm);
    FLOWLAB_SAME(sampler_id);
    FLOWLAB_SAME(has_sampler_id);
#undef FLOWLAB_SAME
    ASSERT_EQ(a.addresses.size(), b.addresses.size()) << where;
    for (std::size_t i = 0; i < a.addresses.size(); ++i) {
        EXPECT_EQ(a.addresses[i].field, b.addresses[i].field) << where;
        EXPECT_EQ(a.addresses[i].family, b.addresses[i].family) << where;
        EXPECT_TRUE(a.addresses[i].address == b.addresses[i].address) << where << ": address occurrence " << i;
    }
    ASSERT_EQ(a.family_numbers.size(), b.family_numbers.size()) << where;
    for (std::size_t i = 0; i < a.family_numbers.size(); ++i) {
        EXPECT_EQ(a.family_numbers[i].field, b.family_numbers[i].field) << where;
        EXPECT_EQ(a.family_numbers[i].family, b.family_numbers[i].family) << where;
        EXPECT_EQ(a.family_numbers[i].value, b.family_numbers[i].value) << where;
    }
}

/// Runs `records` random records through both paths (fails when the template does not take
/// the direct path: every case here must exercise it).
void check(const Case& c, int records, std::mt19937_64& rng) {
    SCOPED_TRACE(c.name);
    CompiledTemplate t;
    std::vector<std::string> problems;
    const std::string err = core::detail::compile_template(c.tmpl, c.protocol, true, t, problems);
    ASSERT_EQ(err, "");
    ASSERT_TRUE(t.direct_truth) << "template " << c.tmpl.id << " takes the read-back path";
    PartialRecord direct;  // reused, as the packetizer reuses its records
    for (int i = 0; i < records; ++i) {
        FlowRecord r = random_record(rng, c.tmpl, c.boot_ms);
        for (const auto& v : c.tmpl.values)  // as the packetizer adds constant values
            if (!core::find_value(r.extra, v.id, v.enterprise)) r.extra.push_back(v);
        // Sometimes another boot: years before or after the flow times (uptimes past 32 bits,
        // or clamped to 0), within what an exporter's clock can say.
        const std::int64_t boot =
            rng() % 4 == 0 ? c.boot_ms + static_cast<std::int64_t>(rng() % (std::uint64_t{1} << 42)) - (std::int64_t{1} << 41)
                           : c.boot_ms;
        const std::size_t size = core::detail::record_size(t, r);
        std::vector<std::uint8_t> a(size), b(size);
        std::uint64_t clamped_a = 0, clamped_b = 0;
        const std::size_t na = core::detail::write_record(t, r, boot, c.sampling_interval, a.data(), clamped_a);
        ASSERT_EQ(na, size);
        PartialRecord read;
        read.reset();
        ASSERT_EQ(core::detail::read_record(t, a.data(), na, read), na);
        direct.reset();
        const std::size_t nb = core::detail::write_record(t, r, boot, c.sampling_interval, b.data(), clamped_b, direct);
        ASSERT_EQ(nb, na);
        ASSERT_EQ(a, b) << "the bytes differ";
        ASSERT_EQ(clamped_a, clamped_b);
        expect_same(read, direct, c.name + " record " + std::to_string(i));
        if (::testing::Test::HasFailure()) return;
    }
}

TEST(DirectTruth, EveryShippedDialectMatchesReadRecord) {
    std::mt19937_64 rng(kSeed);
    std::cout << "seed " << kSeed << "\n";
    int templates = 0;
    for (const char* dir : {FLOWLAB_DIALECTS_DIR, FLOWLAB_BENCH_DIALECTS_DIR})
        for (const std::string& file : dialect_files(dir))
            for (const Case& c : dialect_cases(file)) {
                for (const std::uint32_t si : {c.sampling_interval, 0u, 1u, 1000u}) {
                    Case k = c;
                    k.sampling_interval = si;
                    check(k, 400, rng);
                    if (HasFailure()) return;
                }
                ++templates;
            }
    EXPECT_GE(templates, 22);  // v4 and v6 of the 11 shipped dialects at least
}

TEST(DirectTruth, EveryElementFormMatchesReadRecord) {
    std::mt19937_64 rng(kSeed + 1);
    std::cout << "seed " << kSeed + 1 << "\n";
    for (const Case& c : form_cases()) {
        check(c, 60, rng);
        if (HasFailure()) return;
    }
}

}  // namespace
}  // namespace flowlab

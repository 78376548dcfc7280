/// @brief FlowRecord: access by Field, names, presence and differing_fields.
#include "flowlab/core/flow_record.hpp"

#include <gtest/gtest.h>

#include <cstring>

#include "flow_record_layout.hpp"

namespace flowlab::core {
namespace {

TEST(FlowRecord, FieldNamesRoundTrip) {
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        const auto back = field_from_name(field_name(f));
        ASSERT_TRUE(back) << field_name(f);
        EXPECT_EQ(*back, f);
    }
    EXPECT_FALSE(field_from_name("nope"));
    EXPECT_FALSE(field_from_name(""));
    EXPECT_FALSE(field_from_name("Src"));
    EXPECT_EQ(field_from_name("export_ms"), Field::export_ms);
}

// The member width of each numeric field, written out independently of the implementation.
std::uint64_t width_mask(Field f) {
    switch (f) {
    case Field::proto: case Field::tos: case Field::src_mask: case Field::dst_mask:
    case Field::icmp_type: case Field::icmp_code: case Field::end_reason: case Field::version: return 0xFF;
    case Field::sport: case Field::dport: case Field::template_id: case Field::tcp_flags:  // RFC 7125: 16 bits
    case Field::sampling_algorithm: return 0xFFFF;
    case Field::packets: case Field::bytes: case Field::first_ms: case Field::last_ms: case Field::export_ms:
    case Field::sampling_interval: return ~std::uint64_t{0};
    case Field::in_if_name: case Field::out_if_name: case Field::vrf_in: case Field::vrf_out: return 0;
    default: return 0xFFFFFFFF;
    }
}

// Every numeric field keeps exactly the bits its member holds and marks itself present.
TEST(FlowRecord, NumbersStoreInTheirMembers) {
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (is_address_field(f) || is_text_field(f)) continue;
        FlowRecord r;
        EXPECT_FALSE(r.has(f));
        r.set_number(f, 0x0123456789ABCDEFull);
        EXPECT_TRUE(r.has(f)) << field_name(f);
        EXPECT_EQ(r.present, FieldSet{f}) << field_name(f);
        EXPECT_EQ(r.number(f), 0x0123456789ABCDEFull & width_mask(f)) << field_name(f);
        // Distinct fields do not alias each other.
        for (std::size_t j = 0; j < kFieldCount; ++j) {
            if (j != i && !is_address_field(static_cast<Field>(j))) {
                EXPECT_EQ(r.number(static_cast<Field>(j)), 0u);
            }
        }
    }
    FlowRecord r;
    r.set_number(Field::sport, 443);
    EXPECT_EQ(r.sport, 443);
    r.set_number(Field::packets, ~std::uint64_t{0});
    EXPECT_EQ(r.packets, ~std::uint64_t{0});
    r.set_number(Field::first_ms, static_cast<std::uint64_t>(std::int64_t{-5}));
    EXPECT_EQ(r.first_ms, -5);
    EXPECT_EQ(static_cast<std::int64_t>(r.number(Field::first_ms)), -5);
    r.set_number(Field::proto, 0x111);  // wider than the field: truncated, as documented
    EXPECT_EQ(r.proto, 0x11);
}

TEST(FlowRecord, NumbersOfAddressAndNameFieldsAreNone) {
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (!is_address_field(f) && !is_text_field(f)) continue;
        FlowRecord r;
        r.set_number(f, 7);
        EXPECT_EQ(r.present, FieldSet{}) << field_name(f);
        EXPECT_EQ(r, FlowRecord{}) << field_name(f);
        EXPECT_EQ(r.number(f), 0u) << field_name(f);
    }
}

TEST(FlowRecord, FieldPlacesAreWhereSetNumberAndSetAddressStore) {
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        const FieldPlace place = field_place(f);
        FlowRecord r;
        const auto* bytes = reinterpret_cast<const unsigned char*>(&r) + place.offset;
        if (is_text_field(f)) {
            EXPECT_EQ(place.width, 0) << field_name(f);
        } else if (is_address_field(f)) {
            const IpAddress a = *IpAddress::parse("2001:db8::" + std::to_string(i + 1));
            r.set_address(f, a);
            ASSERT_EQ(place.width, sizeof(IpAddress)) << field_name(f);
            EXPECT_EQ(std::memcmp(bytes, &a, sizeof a), 0) << field_name(f);
        } else {
            r.set_number(f, 0x0102030405060708ull);
            ASSERT_TRUE(place.width == 1 || place.width == 2 || place.width == 4 || place.width == 8) << field_name(f);
            std::uint64_t stored = 0;  // the host's own byte order, as the member holds it
            std::memcpy(&stored, bytes, place.width);
            EXPECT_EQ(stored, r.number(f) & width_mask(f)) << field_name(f);
            EXPECT_EQ(stored, 0x0102030405060708ull & width_mask(f)) << field_name(f);
        }
    }
}

TEST(FlowRecord, WidthsOfMembers) {
    FlowRecord r;
    r.set_number(Field::domain, 0xFFFFFFFFull);
    r.set_number(Field::template_id, 0xFFFF);
    r.set_number(Field::export_ms, 1'700'000'000'123);
    EXPECT_EQ(r.domain, 0xFFFFFFFFu);
    EXPECT_EQ(r.template_id, 0xFFFF);
    EXPECT_EQ(r.export_ms, 1'700'000'000'123);
}

TEST(FlowRecord, Addresses) {
    FlowRecord r;
    const auto a = *IpAddress::parse("2001:db8::7");
    for (Field f : {Field::exporter, Field::src, Field::dst, Field::next_hop}) {
        ASSERT_NE(r.address(f), nullptr);
        r.set_address(f, a);
        EXPECT_TRUE(r.has(f));
        EXPECT_EQ(*r.address(f), a);
        EXPECT_EQ(r.number(f), 0u);
    }
    EXPECT_EQ(r.src, a);
    EXPECT_EQ(r.address(Field::sport), nullptr);
    FlowRecord q;
    q.set_address(Field::sport, a);  // not an address field: no effect
    EXPECT_TRUE(q.present.empty());
    q.set_number(Field::src, 5);  // not numeric: no effect
    EXPECT_TRUE(q.present.empty());
}

TEST(FlowRecord, DifferingFields) {
    FlowRecord a, b;
    a.set_address(Field::src, IpAddress::v4(0xC0000201));
    b.set_address(Field::src, IpAddress::v4(0xC0000201));
    a.set_number(Field::packets, 10);
    b.set_number(Field::packets, 11);
    a.set_number(Field::bytes, 100);  // present in a only
    a.set_number(Field::first_ms, 7);
    b.set_number(Field::first_ms, 7);
    b.set_address(Field::dst, IpAddress::v4(1));
    a.set_address(Field::dst, *IpAddress::parse("::1"));
    EXPECT_EQ(differing_fields(a, b, FieldSet::all()), (FieldSet{Field::packets, Field::bytes, Field::dst}));
    EXPECT_EQ(differing_fields(a, b, FieldSet{Field::src, Field::first_ms, Field::tos}), FieldSet{});
    EXPECT_EQ(differing_fields(a, b, FieldSet{Field::bytes}), FieldSet{Field::bytes});
    EXPECT_EQ(differing_fields(a, a, FieldSet::all()), FieldSet{});
    // Absent in both compares equal whatever the stale member values are.
    FlowRecord c, d;
    c.tos = 3;
    EXPECT_EQ(differing_fields(c, d, FieldSet::all()), FieldSet{});
}

}  // namespace
}  // namespace flowlab::core

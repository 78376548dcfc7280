/// @brief The truth side's packed records: every field of the record model survives pack and unpack.
#include <gtest/gtest.h>

#include <string>

#include "record_store.hpp"

namespace flowlab::verify::detail {
namespace {

using core::Field;

TEST(RecordStore, EveryFieldSurvivesPackAndUnpack) {
    core::FlowRecord r;
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (core::is_address_field(f)) {
            r.set_address(f, *core::IpAddress::parse(i % 2 ? "2001:db8::" + std::to_string(i) : "192.0.2." + std::to_string(i)));
        } else if (core::is_text_field(f)) {
            r.set_text(f, core::intern_name("name-" + std::to_string(i)));
        } else {
            // Distinct values in every byte the member holds: a member copied into the wrong
            // one, or narrowed on the way, shows.
            r.set_number(f, 0x0102030405060708ull * (i + 1));
        }
    }
    ASSERT_EQ(r.present.bits(), (std::uint64_t{1} << core::kFieldCount) - 1);
    AddressTable table;
    const PackedRecord p = pack(r, table);
    EXPECT_EQ(unpack(p, table), r);

    core::FlowRecord sparse;
    sparse.set_number(Field::bytes, 7);
    EXPECT_EQ(unpack(pack(sparse, table), table), sparse);
}

// The truth store keeps most records in 64 bytes and the rest whole: both come back as packed,
// whatever the values (times before the export, zero times, IPv6, counters past 32 bits).
TEST(RecordStore, TheTruthStoreGivesBackEveryRecordAsPacked) {
    AddressTable table;
    std::vector<PackedRecord> in;
    auto add = [&](auto&& edit) {
        core::FlowRecord r;
        r.set_address(Field::exporter, *core::IpAddress::parse("192.0.2." + std::to_string(in.size() % 3 + 1)));
        r.set_address(Field::src, *core::IpAddress::parse("10.0.0." + std::to_string(in.size() % 250)));
        r.set_address(Field::dst, *core::IpAddress::parse("198.51.100.7"));
        r.set_number(Field::packets, 3);
        r.set_number(Field::bytes, 400);
        r.set_number(Field::first_ms, 1767225589576);
        r.set_number(Field::last_ms, 1767225599000);
        r.set_number(Field::export_ms, 1767225600000);
        r.set_number(Field::in_if, in.size());
        edit(r);
        in.push_back(pack(r, table));
    };
    add([](core::FlowRecord&) {});
    add([](core::FlowRecord& r) { r.set_address(Field::src, *core::IpAddress::parse("2001:db8::1")); });
    add([](core::FlowRecord& r) { r.set_address(Field::dst, *core::IpAddress::parse("2001:db8::2")); });
    add([](core::FlowRecord& r) { r.set_number(Field::bytes, 5'000'000'000); });
    add([](core::FlowRecord& r) { r.set_number(Field::packets, 5'000'000'000); });
    add([](core::FlowRecord& r) { r.set_number(Field::in_if, 70'000); });
    add([](core::FlowRecord& r) { r.set_number(Field::out_if, 65'535); });
    add([](core::FlowRecord& r) { r.set_number(Field::first_ms, 0); });
    add([](core::FlowRecord& r) { r.set_number(Field::last_ms, 1767225600000 + 5000); });
    add([](core::FlowRecord& r) { r.set_number(Field::first_ms, 1767225600000 - 40ll * 86'400'000); });
    add([](core::FlowRecord& r) { r.set_number(Field::export_ms, -5); });
    add([](core::FlowRecord& r) { r.set_number(Field::sampling_interval, 1000); });
    add([](core::FlowRecord& r) {
        r.present = core::FieldSet{};
        r.src = core::IpAddress();
    });
    core::FlowRecord full;
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (core::is_address_field(f))
            full.set_address(f, *core::IpAddress::parse(i % 2 ? "2001:db8::" + std::to_string(i) : "192.0.2." + std::to_string(i)));
        else if (core::is_text_field(f))
            full.set_text(f, core::intern_name("name-" + std::to_string(i)));
        else
            full.set_number(f, 0x0102030405060708ull * (i + 1));
    }
    in.push_back(pack(full, table));
    TruthStore store;
    for (const auto& p : in) store.push_back(p);
    ASSERT_EQ(store.size(), in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        EXPECT_EQ(unpack(store.get(i), table), unpack(in[i], table)) << i;
        EXPECT_EQ(store.first_or(i, -1), in[i].has(Field::first_ms) ? in[i].first_ms : -1) << i;
        EXPECT_EQ(store.exporter_id(i), in[i].exporter_id) << i;
    }
    // Counters past 32 bits, an interface past 16, a start 40 days before the export or after a
    // negative one, and the record of every field are kept whole; the rest in the compact layout.
    EXPECT_EQ(store.wide_records(), 6u);
}

}  // namespace
}  // namespace flowlab::verify::detail

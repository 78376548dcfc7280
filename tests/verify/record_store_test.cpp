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

}  // namespace
}  // namespace flowlab::verify::detail

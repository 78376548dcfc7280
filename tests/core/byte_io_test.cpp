/// @brief core::byte_io: big-endian loads and stores, the reader and writer, the IPFIX
/// variable-length field parser and its writer, and the rule that nothing outside byte_io.hpp orders bytes by hand.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/wire_writer.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

namespace fs = std::filesystem;

TEST(ByteIo, LoadsAndStoresBigEndian) {
    const auto b = test::hex("01 02 03 04 05 06 07 08");
    EXPECT_EQ(load_be16(b.data()), 0x0102u);
    EXPECT_EQ(load_be32(b.data()), 0x01020304u);
    EXPECT_EQ(load_be64(b.data()), 0x0102030405060708u);
    EXPECT_EQ(load_be_n(b.data() + 5, 3), 0x060708u);
    EXPECT_EQ(load_le32(b.data()), 0x04030201u);

    std::vector<std::uint8_t> out(8);
    store_be16(out.data(), 0x0102);
    EXPECT_EQ(test::to_hex(out), test::to_hex(test::hex("01 02 00 00 00 00 00 00")));
    store_be32(out.data(), 0xA1B2C3D4);
    EXPECT_EQ(test::to_hex(out), test::to_hex(test::hex("a1 b2 c3 d4 00 00 00 00")));
    store_be64(out.data(), 0x1122334455667788);
    EXPECT_EQ(test::to_hex(out), test::to_hex(test::hex("11 22 33 44 55 66 77 88")));
    store_be_n(out.data(), 0xABCDEF, 3);
    EXPECT_EQ(test::to_hex(out), test::to_hex(test::hex("ab cd ef 44 55 66 77 88")));
}

TEST(ByteIo, LoadsAndStoresAreConstexpr) {
    // IpAddress::v4 is constexpr and stores through store_be32.
    constexpr std::uint32_t v = [] {
        std::uint8_t b[4] = {};
        store_be32(b, 0xC0000201);
        return load_be32(b);
    }();
    static_assert(v == 0xC0000201);
}

TEST(ByteIo, ReaderStopsAtTheEndWithoutMoving) {
    const auto b = test::hex("00 05  12 34 56");
    ByteReader r(b, 100);
    std::uint16_t u16 = 0;
    ASSERT_TRUE(r.read_u16(u16));
    EXPECT_EQ(u16, 5u);
    std::uint32_t u32 = 0;
    EXPECT_FALSE(r.read_u32(u32));
    EXPECT_EQ(r.offset(), 102u);
    EXPECT_EQ(r.remaining(), 3u);
}

TEST(ByteIo, WriterPatchesLengths) {
    std::vector<std::uint8_t> out;
    ByteWriter w(out);
    w.u16(2);
    w.u16(0);  // set length, patched below
    w.u32(0x01020304);
    w.patch_u16(2, static_cast<std::uint16_t>(w.size()));
    EXPECT_EQ(test::to_hex(out), test::to_hex(test::hex("0002 0008 01020304")));
}

// RFC 7011 7: a variable-length field is prefixed by one byte of length, or by 255 and then
// two bytes of length.

TEST(FieldExtent, FixedLength) {
    const auto b = test::hex("aa bb cc dd");
    std::size_t pos = 1, len = 2;
    ASSERT_TRUE(read_field_extent(b, false, pos, len));
    EXPECT_EQ(pos, 1u);
    EXPECT_EQ(len, 2u);
    pos = 1;
    len = 4;
    EXPECT_FALSE(read_field_extent(b, false, pos, len));
    EXPECT_EQ(pos, 1u);
    EXPECT_EQ(len, 4u);
}

TEST(FieldExtent, ShortLengthPrefix) {
    const auto b = test::hex(R"(
        03        # length 3
        61 62 63  # "abc"
        ee        # the next field
    )");
    std::size_t pos = 0, len = 65535;  // the template's length is ignored for a variable field
    ASSERT_TRUE(read_field_extent(b, true, pos, len));
    EXPECT_EQ(pos, 1u);
    EXPECT_EQ(len, 3u);
}

TEST(FieldExtent, LongLengthPrefix) {
    std::vector<std::uint8_t> b = test::hex(R"(
        ff 01 00  # 255, then length 256
    )");
    b.resize(3 + 256, 0x61);
    std::size_t pos = 0, len = 0;
    ASSERT_TRUE(read_field_extent(b, true, pos, len));
    EXPECT_EQ(pos, 3u);
    EXPECT_EQ(len, 256u);
    // The long form may carry a short length too (RFC 7011 7 allows it).
    const auto small = test::hex("ff 00 02  61 62");
    pos = 0;
    ASSERT_TRUE(read_field_extent(small, true, pos, len));
    EXPECT_EQ(pos, 3u);
    EXPECT_EQ(len, 2u);
}

TEST(FieldExtent, EmptyValue) {
    const auto b = test::hex("00");
    std::size_t pos = 0, len = 9;
    ASSERT_TRUE(read_field_extent(b, true, pos, len));
    EXPECT_EQ(pos, 1u);
    EXPECT_EQ(len, 0u);
}

TEST(FieldExtent, LengthPrefixWrittenIsReadBack) {
    struct Case {
        std::size_t length;
        bool long_form;
        std::size_t prefix;
    };
    for (const Case c : {Case{0, false, 1}, Case{254, false, 1}, Case{255, false, 3}, Case{65535, false, 3},
                         Case{0, true, 3}, Case{7, true, 3}}) {
        std::vector<std::uint8_t> field(3 + c.length, 0xAB);
        ASSERT_EQ(store_field_length_prefix(field.data(), c.length, c.long_form), c.prefix) << c.length;
        field.resize(c.prefix + c.length);
        std::size_t pos = 0, length = 0;
        ASSERT_TRUE(read_field_extent(field, true, pos, length)) << c.length;
        EXPECT_EQ(pos, c.prefix);
        EXPECT_EQ(length, c.length);
    }
    std::uint8_t p[3] = {};
    store_field_length_prefix(p, 300);
    EXPECT_EQ(p[0], 255);
    EXPECT_EQ(p[1], 1);
    EXPECT_EQ(p[2], 44);
}

TEST(FieldExtent, TruncatedPrefixLeavesPositionAlone) {
    for (const char* text : {"",          // no length byte
                             "ff",        // 255 without its two length bytes
                             "ff 00"}) {  // 255 with one of them
        const auto b = test::hex(text);
        std::size_t pos = 0, len = 7;
        EXPECT_FALSE(read_field_extent(b, true, pos, len)) << text;
        EXPECT_EQ(pos, 0u) << text;
        EXPECT_EQ(len, 7u) << text;
    }
    // A prefix at the very end of a record.
    const auto b = test::hex("aa bb");
    std::size_t pos = 2, len = 0;
    EXPECT_FALSE(read_field_extent(b, true, pos, len));
    EXPECT_EQ(pos, 2u);
}

TEST(FieldExtent, TruncatedValueLeavesPositionAlone) {
    for (const char* text : {"04 61 62 63",          // says 4, has 3
                             "ff 00 04 61 62 63"}) {  // the same in the long form
        const auto b = test::hex(text);
        std::size_t pos = 0, len = 0;
        EXPECT_FALSE(read_field_extent(b, true, pos, len)) << text;
        EXPECT_EQ(pos, 0u) << text;
        EXPECT_EQ(len, 0u) << text;
    }
}

TEST(FieldExtent, WalksARecordOfMixedFields) {
    const auto b = test::hex(R"(
        0a000001     # fixed 4: an address
        02 68 69     # variable: "hi"
        ff 00 01 21  # variable, long form: "!"
        0050         # fixed 2: a port
    )");
    const bool variable[] = {false, true, true, false};
    const std::size_t fixed[] = {4, 0, 0, 2};
    std::size_t pos = 0;
    std::vector<std::string> values;
    for (int i = 0; i < 4; ++i) {
        std::size_t len = fixed[i];
        ASSERT_TRUE(read_field_extent(b, variable[i], pos, len)) << i;
        values.push_back(test::to_hex({b.begin() + static_cast<std::ptrdiff_t>(pos),
                                       b.begin() + static_cast<std::ptrdiff_t>(pos + len)}));
        pos += len;
    }
    EXPECT_EQ(pos, b.size());
    EXPECT_EQ(values, (std::vector<std::string>{test::to_hex(test::hex("0a000001")), test::to_hex(test::hex("6869")),
                                                test::to_hex(test::hex("21")), test::to_hex(test::hex("0050"))}));
}

/// Wire and file bytes are put together and taken apart only in byte_io.hpp, so every byte
/// order decision sits in one bounds-respecting place. Byte-order calls, a subscripted byte
/// shifted into a wider value, and a shifted value cast down to a byte are what hand-rolled
/// byte access looks like; shifts of host-order integers (ICMP type << 8 | code, hash keys,
/// masks) match none of them.
TEST(SourceRules, BigEndianBytesOnlyThroughByteIo) {
    const std::regex byte_order_call(
        R"(\b(ntoh[sl]|hton[sl]|(be|le)(16|32|64)toh|hto(be|le)(16|32|64)|bswap_(16|32|64)|__builtin_bswap(16|32|64)|byteswap)\b)");
    // p[1] << 8, std::uint32_t{p[0]} << 24, (acc << 8) | p[i]
    const std::regex byte_load(R"(\]\s*\}?\)?\s*<<\s*(8|16|24|32|40|48|56)\b|<<\s*8\s*\)\s*\|\s*[\w.]+\s*\[)");
    // static_cast<std::uint8_t>(v >> 8)
    const std::regex byte_store(
        R"(static_cast<\s*(std::)?(uint8_t|unsigned char|char|byte)\s*>\(\s*[\w.:()\[\]]+\s*>>\s*(8|16|24|32|40|48|56)\s*\))");
    struct Allowed {
        std::string_view file;      ///< relative to the source tree
        std::string_view fragment;  ///< in the line
        std::string_view reason;
    };
    const std::vector<Allowed> allowed = {
        // sockaddr fields are in network order by the socket API's own contract; they are not
        // bytes of a message or file.
        {"core/src/udp_port.cpp", "sin6_port", "sockaddr port for the system API"},
        {"replay/src/socket_address.hpp", "sin_port", "sockaddr port for the system API"},
        {"replay/src/socket_address.hpp", "sin6_port", "sockaddr port for the system API"},
        {"harness/src/conformance_impl.cpp", "sin_port", "sockaddr port for the system API"},
        {"harness/src/conformance_impl.cpp", "s_addr", "sockaddr address for the system API"},
        // Base64 regroups three bytes into four 6-bit digits; no byte order is involved.
        {"report/src/page.cpp", "std::uint32_t{p[", "base64 groups of three bytes"},
        // The ICMP type is the high byte of the host-order type << 8 | code a port carries.
        {"gen/src/packet_writer.cpp", "key.dport >> 8", "ICMP type out of type << 8 | code"},
    };
    const fs::path root = test::source_dir();
    std::vector<std::string> found;
    for (const char* dir : {"core", "gen", "replay", "verify", "report", "harness", "app"}) {
        for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
            const auto ext = e.path().extension();
            if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
            const std::string rel = fs::relative(e.path(), root).generic_string();
            if (rel == "core/include/flowlab/core/byte_io.hpp") continue;
            std::istringstream lines(test::read_file(e.path()));
            int number = 0;
            for (std::string line; std::getline(lines, line);) {
                ++number;
                const auto code = line.find_first_not_of(' ');
                if (code == std::string::npos || line.compare(code, 2, "//") == 0 || line.compare(code, 1, "*") == 0) continue;
                // Only the code before a trailing comment: "type << 8 | code" is prose there.
                const std::string text = line.substr(0, line.find("//"));
                const bool shifts = text.find("<<") != std::string::npos || text.find(">>") != std::string::npos;
                const bool calls = text.find("swap") != std::string::npos || text.find("ton") != std::string::npos ||
                                   text.find("toh") != std::string::npos;
                if (!shifts && !calls) continue;
                if (!std::regex_search(text, byte_order_call) && !std::regex_search(text, byte_load) &&
                    !std::regex_search(text, byte_store))
                    continue;
                bool ok = false;
                for (const auto& a : allowed)
                    if (rel == a.file && text.find(a.fragment) != std::string::npos) ok = true;
                if (!ok) found.push_back(rel + ":" + std::to_string(number) + ": " + line.substr(code));
            }
        }
    }
    EXPECT_TRUE(found.empty()) << found.size() << " byte loads or stores outside core/include/flowlab/core/byte_io.hpp "
                               << "(use load_be*/store_be*, ByteReader or ByteWriter):\n"
                               << [&] {
                                      std::string s;
                                      for (const auto& f : found) s += f + "\n";
                                      return s;
                                  }();
}

}  // namespace
}  // namespace flowlab::core

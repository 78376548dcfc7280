/// @brief SHA-256 against the FIPS 180-4 / NIST example vectors, whole and in pieces.
#include <gtest/gtest.h>

#include <random>

#include <string>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/sha256.hpp"
#include "test_support.hpp"

namespace flowlab::gen {
namespace {

TEST(Sha256, NistVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    EXPECT_EQ(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PiecewiseEqualsWhole) {
    std::string data;
    for (int i = 0; i < 1000; ++i) data += static_cast<char>(i * 7 + 3);
    const std::string whole = sha256_hex(data);
    // Every split point, including block boundaries (55, 56, 63, 64, 65 bytes).
    for (std::size_t cut = 0; cut <= data.size(); cut += 1) {
        Sha256 h;
        h.update(data.substr(0, cut));
        h.update(data.substr(cut));
        ASSERT_EQ(h.hex(), whole) << cut;
    }
    for (std::size_t len : {55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u}) {
        Sha256 a;
        for (std::size_t i = 0; i < len; ++i) a.update(&data[i], 1);
        EXPECT_EQ(a.hex(), sha256_hex(data.substr(0, len))) << len;
    }
}

TEST(Sha256, FileMatchesBytes) {
    test::TempDir dir;
    const std::string path = dir / "x.bin";
    std::string data(200000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i % 251);
    test::write_file(path, data);
    EXPECT_EQ(sha256_file(path), sha256_hex(data));
    EXPECT_THROW(sha256_file(dir / "missing"), IoError);
}

}  // namespace
}  // namespace flowlab::gen

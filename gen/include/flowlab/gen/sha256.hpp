/// @brief SHA-256 (FIPS 180-4) for the manifest: the scenario's hash and each output file's.
///
/// Hand-written because flowlab's dependencies (libtins, libpcap, nlohmann/json, CLI11) offer
/// none and OpenSSL is not among them; it is checked against the FIPS 180-4 test vectors.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace flowlab::gen {

class Sha256 {
public:
    Sha256() noexcept { reset(); }
    void reset() noexcept;
    void update(const void* data, std::size_t size) noexcept;
    void update(std::string_view s) noexcept { update(s.data(), s.size()); }
    /// Finishes and returns the digest; the object must be reset() before reuse.
    std::array<std::uint8_t, 32> finish() noexcept;
    /// Finishes and returns the digest as 64 lowercase hex digits.
    std::string hex() noexcept;

private:
    void block(const std::uint8_t* p) noexcept;
    std::array<std::uint32_t, 8> h_{};
    std::array<std::uint8_t, 64> buf_{};
    std::size_t used_ = 0;
    std::uint64_t total_ = 0;
};

/// SHA-256 of bytes, lowercase hex.
std::string sha256_hex(std::string_view bytes);
/// SHA-256 of a file's bytes, lowercase hex. Throws IoError if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace flowlab::gen

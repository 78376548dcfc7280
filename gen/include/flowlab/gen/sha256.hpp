/// @brief SHA-256 for the manifest: the scenario's hash and each output file's.
///
/// OpenSSL's EVP does the hashing: it picks the CPU's SHA instructions where there are any (x86
/// SHA-NI, ARMv8 crypto extensions) and portable code elsewhere, so flowlab itself needs no
/// CPU-specific code. bench/sha256_bench.cpp, 256 KiB pieces on this project's 2-vCPU EPYC (SHA-NI):
/// 1.59 GB/s, against 1.30 GB/s for the hand-written SHA-NI code it replaces (same run order, shared
/// machine); gen writes at most about 0.3 GB/s, so hashing stays off its critical path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace flowlab::gen {

class Sha256 {
public:
    /// Throws std::bad_alloc if OpenSSL cannot allocate its context.
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void reset();
    void update(const void* data, std::size_t size);
    void update(std::string_view s) { update(s.data(), s.size()); }
    /// Finishes and returns the digest; the object must be reset() before reuse.
    std::array<std::uint8_t, 32> finish();
    /// Finishes and returns the digest as 64 lowercase hex digits.
    std::string hex();

private:
    struct Context;
    std::unique_ptr<Context> ctx_;
};

/// SHA-256 of bytes, lowercase hex.
std::string sha256_hex(std::string_view bytes);
/// SHA-256 of a file's bytes, lowercase hex. Throws IoError if it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace flowlab::gen

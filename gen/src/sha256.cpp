/// @brief SHA-256 through OpenSSL's EVP interface (see sha256.hpp for why).
#include "flowlab/gen/sha256.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <new>
#include <vector>

#include "flowlab/core/error.hpp"

namespace flowlab::gen {

struct Sha256::Context {
    EVP_MD_CTX* md = nullptr;
    ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : ctx_(std::make_unique<Context>()) {
    ctx_->md = EVP_MD_CTX_new();
    if (!ctx_->md) throw std::bad_alloc();
    reset();
}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::reset() {
    // EVP_DigestInit_ex fails only when OpenSSL has no SHA-256 at all (a broken installation).
    if (EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1) throw Error("OpenSSL: SHA-256 is not available");
}

void Sha256::update(const void* data, std::size_t size) {
    if (size > 0) EVP_DigestUpdate(ctx_->md, data, size);
}

std::array<std::uint8_t, 32> Sha256::finish() {
    std::array<std::uint8_t, 32> out{};
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx_->md, out.data(), &len);
    return out;
}

std::string Sha256::hex() {
    static constexpr char kDigits[] = "0123456789abcdef";
    const auto d = finish();
    std::string s(64, '0');
    for (std::size_t i = 0; i < 32; ++i) {
        s[2 * i] = kDigits[d[i] >> 4];
        s[2 * i + 1] = kDigits[d[i] & 15];
    }
    return s;
}

std::string sha256_hex(std::string_view bytes) {
    Sha256 h;
    h.update(bytes);
    return h.hex();
}

std::string sha256_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open for reading");
    Sha256 h;
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = in.gcount();
        if (n > 0) h.update(buf.data(), static_cast<std::size_t>(n));
    }
    if (in.bad()) throw IoError(path + ": read error");
    return h.hex();
}

}  // namespace flowlab::gen

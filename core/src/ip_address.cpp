/// @brief IpAddress text conversion: parsing (inet_pton for IPv6) and RFC 5952 formatting.
#include "flowlab/core/ip_address.hpp"

#include <arpa/inet.h>

#include <array>
#include <bit>
#include <cstring>

#include "flowlab/core/byte_io.hpp"

namespace flowlab::core {

namespace {

// INET6_ADDRSTRLEN including the terminator; longer text cannot be an address.
constexpr std::size_t kMaxText = 46;

/// Dotted-quad text of each octet value followed by a '.', and its length without the dot:
/// one 4-byte copy per octet instead of divisions (decode prints millions of addresses).
struct OctetText {
    char text[4];
    std::uint8_t length;
};

constexpr std::array<OctetText, 256> make_octet_texts() noexcept {
    std::array<OctetText, 256> t{};
    for (unsigned v = 0; v < 256; ++v) {
        OctetText& o = t[v];
        std::uint8_t n = 0;
        if (v >= 100) o.text[n++] = static_cast<char>('0' + v / 100);
        if (v >= 10) o.text[n++] = static_cast<char>('0' + (v / 10) % 10);
        o.text[n++] = static_cast<char>('0' + v % 10);
        o.length = static_cast<std::uint8_t>(n);
        o.text[n] = '.';
    }
    return t;
}

constexpr std::array<OctetText, 256> kOctetTexts = make_octet_texts();

// Writes up to one byte past the text it returns (the fourth octet's dot): every caller's
// buffer is kMaxText long, and the longest text ending in a dotted quad is 45 bytes.
char* format_v4(char* p, const std::uint8_t* b) noexcept {
    for (int i = 0; i < 4; ++i) {
        const OctetText& o = kOctetTexts[b[i]];
        std::memcpy(p, o.text, 4);
        p += o.length + 1;
    }
    return p - 1;
}

char* format_hex16(char* p, unsigned v) noexcept {
    static constexpr char kDigits[] = "0123456789abcdef";
    // Digits without leading zeros, at least one.
    const int digits = v ? (std::bit_width(v) + 3) / 4 : 1;
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) *p++ = kDigits[(v >> shift) & 0xFu];
    return p;
}

// RFC 5952 text, written out by hand because the record writers format millions of
// addresses per second and inet_ntop goes through sprintf per group. The rules are exactly
// glibc's inet_ntop (which tests compare against): the longest run of two or more zero
// groups (the first of equal runs) becomes "::", lowercase hex without leading zeros, and
// IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses end in a dotted quad.
char* format_v6(char* p, const std::uint8_t* b) noexcept {
    unsigned words[8];
    for (int i = 0; i < 8; ++i) words[i] = load_be16(b + 2 * i);
    int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
    for (int i = 0; i < 8; ++i) {
        if (words[i] == 0) {
            if (cur_base < 0) {
                cur_base = i;
                cur_len = 1;
            } else {
                ++cur_len;
            }
        } else if (cur_base >= 0) {
            if (cur_len > best_len) {
                best_base = cur_base;
                best_len = cur_len;
            }
            cur_base = -1;
        }
    }
    if (cur_base >= 0 && cur_len > best_len) {
        best_base = cur_base;
        best_len = cur_len;
    }
    if (best_len < 2) best_base = -1;

    for (int i = 0; i < 8; ++i) {
        if (best_base >= 0 && i >= best_base && i < best_base + best_len) {
            if (i == best_base) *p++ = ':';
            continue;
        }
        if (i != 0) *p++ = ':';
        if (i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xFFFF)))
            return format_v4(p, b + 12);
        p = format_hex16(p, words[i]);
    }
    if (best_base >= 0 && best_base + best_len == 8) *p++ = ':';
    return p;
}

// Dotted quad, by hand because CSV readers parse millions of addresses per second and
// inet_pton needs a terminated copy and a strlen first. The grammar is exactly glibc's
// inet_pton(AF_INET) (tests compare the two): four decimal octets of at most 255, no
// leading zeros, nothing else.
bool parse_v4(std::string_view text, std::uint8_t* out) noexcept {
    int octet = 0;
    unsigned value = 0;
    bool digit_seen = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            if (digit_seen && value == 0) return false;  // leading zero
            value = value * 10 + static_cast<unsigned>(c - '0');
            if (value > 255) return false;
            digit_seen = true;
        } else if (c == '.') {
            if (!digit_seen || octet == 3) return false;
            out[octet++] = static_cast<std::uint8_t>(value);
            value = 0;
            digit_seen = false;
        } else {
            return false;
        }
    }
    if (!digit_seen || octet != 3) return false;
    out[3] = static_cast<std::uint8_t>(value);
    return true;
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() >= kMaxText) return std::nullopt;
    std::uint8_t bytes[16];
    if (parse_v4(text, bytes)) return v4_bytes(bytes);
    // inet_pton reads a C string: an embedded NUL would cut the text short unnoticed.
    if (text.find(':') == std::string_view::npos || text.find('\0') != std::string_view::npos) return std::nullopt;
    char buf[kMaxText];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    if (inet_pton(AF_INET6, buf, bytes) != 1) return std::nullopt;
    return v6_bytes(bytes);
}

std::size_t IpAddress::format(char* out) const noexcept {
    char* end = out;
    if (is_v4()) end = format_v4(out, bytes_.data());
    else if (is_v6()) end = format_v6(out, bytes_.data());
    return static_cast<std::size_t>(end - out);
}

std::string IpAddress::to_string() const {
    char buf[kMaxText];
    return std::string(buf, format(buf));
}

}  // namespace flowlab::core

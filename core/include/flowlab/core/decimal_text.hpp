/// @brief Integers as decimal text into a caller's buffer, for the record writers' inner loops.
///
/// The text is exactly std::to_chars's (no leading zeros, '-' for negatives, "0" for zero).
/// These are inline and branch on the digit count once, where std::to_chars is an out-of-line
/// call that measures the length in a loop: a CSV row holds two dozen numbers, most of them
/// one to five digits, and decode writes millions of rows per second.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace flowlab::core {

/// Longest text put_decimal writes: UINT64_MAX has 20 digits, INT64_MIN 19 and a sign.
inline constexpr std::size_t kMaxDecimalText = 20;

namespace detail {

inline constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline constexpr std::uint64_t kPowersOf10[20] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull,
};

/// Digits of v >= 1: log10 estimated from the bit width (1233 / 4096 ~ log10 2), corrected by
/// one comparison.
constexpr unsigned decimal_digits(std::uint64_t v) noexcept {
    const unsigned t = (static_cast<unsigned>(std::bit_width(v)) * 1233u) >> 12;
    return t + 1 - (v < kPowersOf10[t] ? 1u : 0u);
}

}  // namespace detail

/// Writes v in decimal at p (room: kMaxDecimalText bytes) and returns the end.
inline char* put_decimal(char* p, std::uint64_t v) noexcept {
    if (v < 10) {
        *p = static_cast<char>('0' + v);
        return p + 1;
    }
    if (v < 100) {
        std::memcpy(p, detail::kDigitPairs + 2 * v, 2);
        return p + 2;
    }
    char* const end = p + detail::decimal_digits(v);
    char* q = end;
    while (v >= 100) {
        q -= 2;
        std::memcpy(q, detail::kDigitPairs + 2 * (v % 100), 2);
        v /= 100;
    }
    if (v >= 10) {
        std::memcpy(q - 2, detail::kDigitPairs + 2 * v, 2);
    } else {
        q[-1] = static_cast<char>('0' + v);
    }
    return end;
}

/// Signed: a '-' and the magnitude (INT64_MIN included).
inline char* put_decimal(char* p, std::int64_t v) noexcept {
    auto magnitude = static_cast<std::uint64_t>(v);
    if (v < 0) {
        *p++ = '-';
        magnitude = 0 - magnitude;
    }
    return put_decimal(p, magnitude);
}

// The narrower unsigned types would otherwise be ambiguous between the two overloads.
inline char* put_decimal(char* p, std::uint32_t v) noexcept { return put_decimal(p, std::uint64_t{v}); }
inline char* put_decimal(char* p, std::uint16_t v) noexcept { return put_decimal(p, std::uint64_t{v}); }
inline char* put_decimal(char* p, std::uint8_t v) noexcept { return put_decimal(p, std::uint64_t{v}); }

}  // namespace flowlab::core

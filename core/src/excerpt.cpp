/// @brief Escaped, length-limited excerpts of untrusted bytes (see excerpt.hpp).
#include "flowlab/core/excerpt.hpp"

#include <cstdint>

namespace flowlab::core {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void hex_byte(std::string& out, unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 0xF];
}

/// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates,
/// nothing above U+10FFFF) and its code point; 0 if malformed.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    std::size_t n = 0;
    char32_t min = 0;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b(k) & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

/// Code points that are valid but must not reach a terminal unescaped: C1 controls, the
/// bidirectional controls ("Trojan Source"), line/paragraph separators, the BOM.
bool invisible(char32_t cp) {
    return (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF;
}

/// Appends the escaped form of the character at s[i]; returns the bytes it used. `quoted`: the
/// excerpt goes between double quotes, so `"` and `\` are escaped too.
std::size_t escape_one(std::string_view s, std::size_t i, std::string& out, bool quoted) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
        if (quoted && (c == '"' || c == '\\')) out += '\\';
        out += static_cast<char>(c);
        return 1;
    }
    if (c == '\n') {
        out += "\\n";
        return 1;
    }
    if (c == '\r') {
        out += "\\r";
        return 1;
    }
    if (c == '\t') {
        out += "\\t";
        return 1;
    }
    if (c >= 0x80) {
        char32_t cp = 0;
        if (const std::size_t n = utf8_sequence(s, i, cp)) {
            if (invisible(cp)) {
                out += "\\u{";
                for (int shift = (cp > 0xFFFF ? 16 : 12); shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
                out += '}';
            } else {
                out.append(s.substr(i, n));
            }
            return n;
        }
    }
    hex_byte(out, c);
    return 1;
}

/// Escapes s[from, ...) until the output would pass `limit` characters; returns the bytes used.
std::size_t escape_until(std::string_view s, std::size_t from, std::size_t limit, std::string& out, bool quoted = true) {
    std::size_t i = from;
    std::string one;
    while (i < s.size()) {
        one.clear();
        const std::size_t n = escape_one(s, i, one, quoted);
        if (out.size() + one.size() > limit) break;
        out += one;
        i += n;
    }
    return i - from;
}

}  // namespace

std::string excerpt(std::string_view bytes, std::size_t limit) {
    std::string out;
    const std::size_t used = escape_until(bytes, 0, limit, out);
    if (used < bytes.size()) out += "...";
    return out;
}

std::string quote(std::string_view bytes, std::size_t limit) {
    std::string out = "\"";
    std::string body;
    const std::size_t used = escape_until(bytes, 0, limit, body);
    out += body;
    if (used < bytes.size()) return out + "...\" (" + std::to_string(bytes.size()) + " bytes)";
    return out + "\"";
}

MarkedExcerpt excerpt_at(std::string_view line, std::size_t offset, std::size_t limit) {
    if (offset > line.size()) offset = line.size();
    // Start far enough left to show context, never inside a UTF-8 sequence.
    std::size_t start = offset > limit / 2 ? offset - limit / 2 : 0;
    while (start > 0 && start < line.size() && (static_cast<unsigned char>(line[start]) & 0xC0) == 0x80) --start;
    MarkedExcerpt m;
    if (start > 0) m.text = "...";
    const std::size_t before = escape_until(line.substr(0, offset), start, limit, m.text, false);
    // Display columns, not bytes: a kept UTF-8 character is one column.
    for (const char c : m.text) m.caret += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    const std::size_t at = start + before;
    const std::size_t after = escape_until(line, at, m.text.size() + limit / 2 + 8, m.text, false);
    if (at + after < line.size()) m.text += "...";
    return m;
}

}  // namespace flowlab::core

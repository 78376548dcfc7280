/// @brief JsonScanner: grammar-checking pull tokenizer over a refillable buffer.
#include "json_scanner.hpp"

#include <cstring>

#include "flowlab/core/error.hpp"

namespace flowlab::verify::detail {

JsonScanner::JsonScanner(InputStream in, std::size_t block) : ReadWindow(std::move(in), block) {}

void JsonScanner::fail(const std::string& what) const {
    throw InputError(in_.name(), line_place(token_line_), what);
}

bool JsonScanner::ensure(std::size_t n) {
    while (end_ - begin_ < n)
        if (!fill()) return false;
    return true;
}

void JsonScanner::skip_blank() {
    while (true) {
        while (begin_ < end_) {
            const char c = buf_[begin_];
            if (c == '\n') {
                ++line_;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                return;
            }
            ++begin_;
        }
        if (!fill()) return;
    }
}

std::string JsonScanner::describe_here() {
    if (!ensure(1)) return "end of input";
    std::string s = "'";
    for (std::size_t i = begin_; i < end_ && i < begin_ + 20 && buf_[i] != '\n'; ++i) s += buf_[i];
    return s + "'";
}

std::string_view JsonScanner::peek(std::size_t n) {
    skip_blank();
    ensure(n);
    return std::string_view(buf_.data() + begin_, std::min(n, end_ - begin_));
}

static void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

void JsonScanner::scan_string(bool is_key) {
    // begin_ is at the opening quote. Offsets are relative to begin_ because fill() moves data.
    std::size_t i = 1;
    bool escaped = false;
    while (true) {
        if (begin_ + i >= end_) {
            if (!fill()) fail(std::string("unterminated ") + (is_key ? "member name" : "string"));
            continue;
        }
        const char c = buf_[begin_ + i];
        if (c == '"') break;
        if (c == '\\') {
            escaped = true;
            if (!ensure(i + 2)) fail("unterminated string");
            i += 2;
            continue;
        }
        if (static_cast<unsigned char>(c) < 0x20) fail("control character inside a string (a string must end on its line)");
        ++i;
    }
    const char* s = buf_.data() + begin_ + 1;
    const std::size_t len = i - 1;
    begin_ += i + 1;
    if (!escaped) {
        text_ = std::string_view(s, len);
        return;
    }
    scratch_.clear();
    for (std::size_t k = 0; k < len; ++k) {
        if (s[k] != '\\') {
            scratch_ += s[k];
            continue;
        }
        const char e = s[++k];
        switch (e) {
            case '"': scratch_ += '"'; break;
            case '\\': scratch_ += '\\'; break;
            case '/': scratch_ += '/'; break;
            case 'b': scratch_ += '\b'; break;
            case 'f': scratch_ += '\f'; break;
            case 'n': scratch_ += '\n'; break;
            case 'r': scratch_ += '\r'; break;
            case 't': scratch_ += '\t'; break;
            case 'u': {
                auto hex4 = [&](std::size_t at) -> std::uint32_t {
                    if (at + 4 > len) fail("truncated \\u escape");
                    std::uint32_t v = 0;
                    for (std::size_t j = at; j < at + 4; ++j) {
                        const char h = s[j];
                        v <<= 4;
                        if (h >= '0' && h <= '9') v |= static_cast<std::uint32_t>(h - '0');
                        else if (h >= 'a' && h <= 'f') v |= static_cast<std::uint32_t>(h - 'a' + 10);
                        else if (h >= 'A' && h <= 'F') v |= static_cast<std::uint32_t>(h - 'A' + 10);
                        else fail("bad \\u escape");
                    }
                    return v;
                };
                std::uint32_t cp = hex4(k + 1);
                k += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && k + 6 < len && s[k + 1] == '\\' && s[k + 2] == 'u') {
                    const std::uint32_t lo = hex4(k + 3);
                    if (lo >= 0xDC00 && lo < 0xE000) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                        k += 6;
                    }
                }
                append_utf8(scratch_, cp);
                break;
            }
            default: fail(std::string("bad escape \\") + e);
        }
    }
    text_ = scratch_;
}

void JsonScanner::scan_number() {
    std::size_t i = 0;
    auto at = [&](std::size_t k) -> char {
        if (begin_ + k >= end_ && !ensure(k + 1)) return '\0';
        return buf_[begin_ + k];
    };
    auto digits = [&]() {
        std::size_t n = 0;
        while (at(i) >= '0' && at(i) <= '9') {
            ++i;
            ++n;
        }
        return n;
    };
    if (at(i) == '-') ++i;
    if (digits() == 0) fail("malformed number " + describe_here());
    if (at(i) == '.') {
        ++i;
        if (digits() == 0) fail("malformed number " + describe_here());
    }
    if (at(i) == 'e' || at(i) == 'E') {
        ++i;
        if (at(i) == '+' || at(i) == '-') ++i;
        if (digits() == 0) fail("malformed number " + describe_here());
    }
    text_ = std::string_view(buf_.data() + begin_, i);
    begin_ += i;
}

void JsonScanner::scan_literal() {
    for (std::string_view lit : {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
        if (ensure(lit.size()) && std::string_view(buf_.data() + begin_, lit.size()) == lit) {
            text_ = lit;
            begin_ += lit.size();
            return;
        }
    }
    fail("expected a value, found " + describe_here());
}

JsonToken JsonScanner::next() {
    while (true) {
        skip_blank();
        token_line_ = line_;
        if (begin_ >= end_) {
            if (stack_.empty() && (expect_ == Expect::value || expect_ == Expect::after_value)) return JsonToken::end;
            fail("unexpected end of input inside " + std::string(stack_.empty() ? "a value" : stack_.back() ? "an object" : "an array"));
        }
        const char c = buf_[begin_];
        switch (expect_) {
            case Expect::colon:
                if (c != ':') fail("expected ':' after a member name, found " + describe_here());
                ++begin_;
                expect_ = Expect::value;
                continue;
            case Expect::after_value:
                if (stack_.empty()) {
                    expect_ = Expect::value;
                    continue;
                }
                if (c == ',') {
                    ++begin_;
                    expect_ = stack_.back() ? Expect::member : Expect::value;
                    continue;
                }
                if (c == '}' && stack_.back()) {
                    ++begin_;
                    stack_.pop_back();
                    expect_ = Expect::after_value;
                    return JsonToken::end_object;
                }
                if (c == ']' && !stack_.back()) {
                    ++begin_;
                    stack_.pop_back();
                    expect_ = Expect::after_value;
                    return JsonToken::end_array;
                }
                fail(std::string("expected ',' or '") + (stack_.back() ? '}' : ']') + "', found " + describe_here());
            case Expect::first_member:
                if (c == '}') {
                    ++begin_;
                    stack_.pop_back();
                    expect_ = Expect::after_value;
                    return JsonToken::end_object;
                }
                [[fallthrough]];
            case Expect::member:
                if (c != '"') fail("expected a member name, found " + describe_here());
                scan_string(true);
                expect_ = Expect::colon;
                return JsonToken::key;
            case Expect::first_element:
                if (c == ']') {
                    ++begin_;
                    stack_.pop_back();
                    expect_ = Expect::after_value;
                    return JsonToken::end_array;
                }
                [[fallthrough]];
            case Expect::value:
                switch (c) {
                    case '{':
                        ++begin_;
                        stack_.push_back(true);
                        expect_ = Expect::first_member;
                        return JsonToken::begin_object;
                    case '[':
                        ++begin_;
                        stack_.push_back(false);
                        expect_ = Expect::first_element;
                        return JsonToken::begin_array;
                    case '"':
                        scan_string(false);
                        expect_ = Expect::after_value;
                        return JsonToken::string;
                    case 't':
                    case 'f':
                        scan_literal();
                        expect_ = Expect::after_value;
                        return JsonToken::boolean;
                    case 'n':
                        scan_literal();
                        expect_ = Expect::after_value;
                        return JsonToken::null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) {
                            scan_number();
                            expect_ = Expect::after_value;
                            return JsonToken::number;
                        }
                        fail("expected a value, found " + describe_here());
                }
        }
    }
}

void JsonScanner::skip_value(JsonToken first) {
    if (first != JsonToken::begin_object && first != JsonToken::begin_array) return;
    const std::size_t depth = stack_.size();
    while (stack_.size() >= depth) next();
}

}  // namespace flowlab::verify::detail

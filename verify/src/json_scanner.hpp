/// @brief A streaming pull tokenizer for JSON and JSON lines, with line numbers.
///
/// Hand-written rather than nlohmann::json: collector outputs are millions of small objects
/// (nfdump -o json, pmacct, goflow2) or one huge array (tshark -T json). A DOM per object costs
/// an allocation per key and value; nlohmann's SAX interface still builds a std::string for
/// every key and string and gives no line numbers. This scanner hands out views into its read
/// buffer (copying only strings with escapes), validates the grammar as it goes, and throws
/// InputError with the file and line of the offending token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "input_stream.hpp"

namespace flowlab::verify::detail {

enum class JsonToken : std::uint8_t {
    begin_object,
    end_object,
    begin_array,
    end_array,
    key,     ///< an object member name; text() is the unescaped name
    string,  ///< text() is the unescaped value
    number,  ///< text() is the number as written
    boolean, ///< text() is "true" or "false"
    null,
    end,     ///< end of input (only between top-level values)
};

class JsonScanner : private ReadWindow {
public:
    /// Top-level input may be one value or several separated by whitespace (JSON lines).
    explicit JsonScanner(InputStream in, std::size_t block = 1 << 20);

    /// Next token. Throws InputError (file, line) on malformed JSON or truncated input.
    JsonToken next();
    std::string_view text() const noexcept { return text_; }
    /// Line of the token returned last (1-based).
    std::uint64_t line() const noexcept { return token_line_; }
    /// Nesting depth after the token returned last (0 = between top-level values).
    std::size_t depth() const noexcept { return stack_.size(); }
    /// Skips the rest of a value whose first token was `first` (a no-op for scalars).
    void skip_value(JsonToken first);
    /// The next non-blank bytes, unconsumed (for detection and for nfdump's bare
    /// "No matching flows" inside its array).
    std::string_view peek(std::size_t n);
    const std::string& name() const noexcept { return in_.name(); }
    /// Throws InputError naming the file and the current token's line.
    [[noreturn]] void fail(const std::string& what) const;

private:
    enum class Expect : std::uint8_t { value, first_member, member, first_element, colon, after_value };
    bool ensure(std::size_t n);
    void skip_blank();
    void scan_string(bool is_key);
    void scan_number();
    void scan_literal();
    void after_value();
    std::string describe_here();

    std::uint64_t line_ = 1;
    std::uint64_t token_line_ = 1;
    std::string_view text_;
    std::string scratch_;
    std::vector<bool> stack_;  ///< true = object, false = array
    Expect expect_ = Expect::value;
};

/// Reads the members of the object whose '{' was read last, through its '}': what every
/// collector's flow object reader shares. `want(name)` returns what the reader makes of a member
/// name (a table entry, a flag: anything that tests true to take it); other members, and null
/// values, are skipped whole. A taken value must be a string or a number, and
/// `take(wanted, key, token)` then reads it through text(). `where()` gives the start of the
/// message for a value of another type ("record 12: ", or "").
template <class Want, class Take, class Where>
void read_members(JsonScanner& json, Want&& want, Take&& take, Where&& where) {
    JsonToken t;
    while ((t = json.next()) == JsonToken::key) {
        auto wanted = want(json.text());
        if (!wanted) {
            json.skip_value(json.next());
            continue;
        }
        const std::string key(json.text());  // text() moves on with the value
        t = json.next();
        if (t == JsonToken::null) continue;
        if (t != JsonToken::string && t != JsonToken::number)
            json.fail(where() + "\"" + key + "\": expected a number or a string");
        take(wanted, key, t);
    }
    if (t != JsonToken::end_object) json.fail("expected a member name or '}'");
}

}  // namespace flowlab::verify::detail

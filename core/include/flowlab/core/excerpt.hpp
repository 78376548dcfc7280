/// @brief Safe excerpts of untrusted input for error messages: every message that quotes a
/// file's bytes, a JSON string or a command-line value goes through these, so binary junk,
/// terminal escape sequences and megabyte-long values never reach the terminal raw.
///
/// Printable ASCII and well-formed UTF-8 are kept; `"` and `\` are escaped; \n, \r, \t are
/// written as such; every other control byte, every byte of malformed UTF-8 and DEL become
/// \xHH; C1 controls, bidirectional overrides, line separators and the BOM become \u{XXXX}.
/// An excerpt longer than the limit is cut at a character boundary and ends in "...".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace flowlab::core {

/// Default limit of an excerpt, in output characters (escapes count as their length).
inline constexpr std::size_t kExcerptLimit = 60;

/// The escaped text of `bytes`, at most about `limit` characters (plus "..." when cut).
std::string excerpt(std::string_view bytes, std::size_t limit = kExcerptLimit);

/// excerpt() in double quotes; a cut value also says how long it was:
/// `"GET /index.html HTTP/1.1\r\nHost: ..." (812 bytes)`.
std::string quote(std::string_view bytes, std::size_t limit = kExcerptLimit);

/// A window of one line of text around byte `offset`, escaped (quotes and backslashes stay as
/// they are: it shows a source line), with the column of the offset's character in the escaped
/// text (for a caret line under it).
struct MarkedExcerpt {
    std::string text;
    std::size_t caret = 0;  ///< 0-based column in `text`, in characters
};
MarkedExcerpt excerpt_at(std::string_view line, std::size_t offset, std::size_t limit = 2 * kExcerptLimit);

}  // namespace flowlab::core

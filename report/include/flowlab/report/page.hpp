/// @brief One self-contained HTML page: the charting library and the page's own script and
/// style inlined, the data compressed inside it, nothing fetched when it is opened.
///
/// Errors: chart_library() throws IoError naming where it looked when the library is not
/// installed; write_page() throws IoError when the file cannot be written (nothing is left
/// behind: the page is written under a temporary name and renamed).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowlab::report {

/// The charting library the pages inline.
struct ChartLibrary {
    std::string path;     ///< the file it was read from
    std::string version;  ///< from its banner, e.g. "3.9.1"
    std::string source;   ///< the script itself
};

/// Finds and reads Chart.js. The one place that knows where it lives: $FLOWLAB_CHARTJS when
/// set (and then only it), else the file CMake found at configure time (Debian's libjs-chart.js,
/// /usr/share/javascript/chart.js/chart.min.js), else that Debian path. It is read at run time
/// rather than compiled in so that an installed flowlab uses the system's copy, kept up to
/// date by the package manager, as Debian's policy on embedded libraries asks.
ChartLibrary chart_library();

/// Where chart_library() looks, in order (for messages and `flowlab report --help`).
std::vector<std::string> chart_library_candidates();

struct Page {
    std::string title;
    std::string subtitle;
    /// The page's data: {"sections": [...], ...}; what each section kind holds is documented
    /// in report.cpp next to the code that builds it.
    nlohmann::json data;
};

/// The whole HTML document.
std::string render_page(const Page& page, const ChartLibrary& library);

/// Renders and writes atomically; returns the size in bytes.
std::uint64_t write_page(const Page& page, const std::string& path);

/// gzip (RFC 1952) of `text` at zlib's default level, then base64 (RFC 4648): what the page
/// decodes with the browser's DecompressionStream. Exposed for tests.
std::string gzip_base64(const std::string& text);

}  // namespace flowlab::report

/// @brief The HTML page: Chart.js (read from the Debian package at run time), the page script and
/// style (compiled in), and the data as gzip + base64 that the page inflates itself.
///
/// Why Chart.js: the issue asks for a well-kept charting library packaged in Debian, not a
/// plotting engine of our own. Debian 12 offers Chart.js 3.9 (libjs-chart.js), Vega 5
/// (libjs-vega: 5.4 MB installed, and without vega-lite, which Debian does not package, every
/// chart is a long low-level specification) and rrdtool, which nfsen itself uses (server-side
/// images: no window selection in the page, and one image per view and metric). Chart.js is
/// one 200 kB file without dependencies, draws stacked areas, lines and bars on a canvas fast
/// enough for weeks of 5-minute slots, and its plugin hooks let the page shade the selected
/// window and the lesson's episodes without another library. Its linear axis carries epoch
/// milliseconds, so no date adapter (not packaged) is needed.
///
/// Why gzip inside the page: the trading-floor lesson's window tables need about 1 M numbers
/// (every 5-minute cell's candidates); as plain JSON that is 7 MB, compressed about a quarter
/// of it. Every current browser inflates gzip natively (DecompressionStream), so the page stays
/// one file that opens from disk without network access.
#include "flowlab/report/page.hpp"

#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/data_dirs.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/version.hpp"
#include "flowlab/core/xml_text.hpp"

namespace flowlab::report {

namespace assets {
extern const std::string_view report_js;
extern const std::string_view report_css;
}  // namespace assets

std::vector<std::string> chart_library_candidates() {
    // An explicit choice is the only one: a wrong path is an error, not a silent fallback.
    if (const auto& chosen = core::user_data().chart_library; !chosen.empty()) return {chosen};
    std::vector<std::string> out;
    out.emplace_back(FLOWLAB_CHARTJS_PATH);
    if (out.back() != "/usr/share/javascript/chart.js/chart.min.js")
        out.emplace_back("/usr/share/javascript/chart.js/chart.min.js");
    return out;
}

ChartLibrary chart_library() {
    const auto candidates = chart_library_candidates();
    for (const auto& path : candidates) {
        std::ifstream in(path, std::ios::binary);
        if (!in) continue;
        std::ostringstream s;
        s << in.rdbuf();
        ChartLibrary lib;
        lib.path = path;
        lib.source = s.str();
        const auto v = lib.source.find("Chart.js v");
        if (v == std::string::npos || v > 200)
            throw IoError(path + ": not Chart.js (expected the banner \"Chart.js v3...\" at its start)");
        const auto end = lib.source.find_first_of(" \n\r*", v + 10);
        lib.version = lib.source.substr(v + 10, end - (v + 10));
        if (lib.version.rfind("3.", 0) != 0)
            throw IoError(path + ": Chart.js " + lib.version + " found; the report pages are written for Chart.js 3");
        // A script inlined into <script> must not close the element early.
        if (lib.source.find("</script") != std::string::npos)
            throw IoError(path + ": contains \"</script\" and cannot be inlined");
        return lib;
    }
    std::string where;
    for (const auto& c : candidates) where += (where.empty() ? "" : ", ") + c;
    throw IoError("Chart.js not found (looked at " + where +
                  "); install Debian's libjs-chart.js (apt-get install libjs-chart.js) or set FLOWLAB_CHARTJS to chart.min.js");
}

namespace {

// Base64 is twenty lines; a library for it (OpenSSL's EVP_EncodeBlock) would add a dependency
// to the module for nothing else.
std::string base64(const unsigned char* p, std::size_t n) {
    static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((n + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < n; i += 3) {
        const std::uint32_t v = std::uint32_t{p[i]} << 16 | std::uint32_t{p[i + 1]} << 8 | p[i + 2];
        out += k[v >> 18 & 63];
        out += k[v >> 12 & 63];
        out += k[v >> 6 & 63];
        out += k[v & 63];
    }
    if (i < n) {
        std::uint32_t v = std::uint32_t{p[i]} << 16;
        if (i + 1 < n) v |= std::uint32_t{p[i + 1]} << 8;
        out += k[v >> 18 & 63];
        out += k[v >> 12 & 63];
        out += i + 1 < n ? k[v >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}


}  // namespace

std::string gzip_base64(const std::string& text) {
    z_stream z{};
    // windowBits 15 + 16: a gzip wrapper, which DecompressionStream("gzip") reads.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw Error("zlib: deflateInit2 failed");
    std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    const std::size_t n = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw Error("zlib: deflate did not finish (" + std::to_string(rc) + ")");
    return base64(reinterpret_cast<const unsigned char*>(out.data()), n);
}

std::string render_page(const Page& page, const ChartLibrary& library) {
    nlohmann::json data = page.data;
    data["generator"] = {{"flowlab", kVersion}, {"chartjs", library.version}};
    const std::string payload = gzip_base64(data.dump());
    std::string h;
    h.reserve(payload.size() + library.source.size() + assets::report_js.size() + 4096);
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    // Nothing may leave the file: no fetch, no image, no font, no frame. Scripts and styles
    // are all inline.
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
         "style-src 'unsafe-inline'; img-src data:\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += "<meta name=\"generator\" content=\"flowlab " + std::string(kVersion) + "\">\n";
    h += "<title>" + core::xml_escape(page.title) + "</title>\n<style>\n";
    h += assets::report_css;
    h += "</style>\n</head>\n<body>\n<header>\n<h1>" + core::xml_escape(page.title) + "</h1>\n";
    if (!page.subtitle.empty()) h += "<p class=\"subtitle\">" + core::xml_escape(page.subtitle) + "</p>\n";
    h += "<nav id=\"nav\"></nav>\n</header>\n<main id=\"sections\"><p id=\"loading\">Loading…</p>"
         "<noscript>This report draws its pictures with JavaScript; please allow it for this file.</noscript></main>\n";
    h += "<footer>Made by flowlab " + std::string(kVersion) + ". Charts by Chart.js " + core::xml_escape(library.version) +
         " (MIT licence, © Chart.js contributors), inlined from " + core::xml_escape(library.path) +
         ". All times UTC. The page loads nothing from the network.</footer>\n";
    h += "<script id=\"flowlab-data\" type=\"application/octet-stream\">";
    h += payload;
    h += "</script>\n<script>\n";
    h += library.source;
    h += "\n</script>\n<script>\n";
    h += assets::report_js;
    h += "\n</script>\n</body>\n</html>\n";
    return h;
}

std::uint64_t write_page(const Page& page, const std::string& path) {
    const std::string html = render_page(page, chart_library());
    core::AtomicFile f(path);
    if (std::fwrite(html.data(), 1, html.size(), f.get()) != html.size() || std::fflush(f.get()) != 0)
        throw IoError("cannot write " + path);
    f.commit();
    return html.size();
}

}  // namespace flowlab::report

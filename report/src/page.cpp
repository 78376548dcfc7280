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

#include <algorithm>
#include <charconv>
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

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Base64 is twenty lines; a library for it (OpenSSL's EVP_EncodeBlock) would add a dependency
// to the module for nothing else. Appends whole groups of three; returns how many were taken.
std::size_t base64_groups(const unsigned char* p, std::size_t n, std::string& out) {
    std::size_t i = 0;
    for (; i + 2 < n; i += 3) {
        const std::uint32_t v = std::uint32_t{p[i]} << 16 | std::uint32_t{p[i + 1]} << 8 | p[i + 2];
        out += kBase64[v >> 18 & 63];
        out += kBase64[v >> 12 & 63];
        out += kBase64[v >> 6 & 63];
        out += kBase64[v & 63];
    }
    return i;
}

void base64_tail(const unsigned char* p, std::size_t n, std::string& out) {
    if (n == 0) return;
    std::uint32_t v = std::uint32_t{p[0]} << 16;
    if (n > 1) v |= std::uint32_t{p[1]} << 8;
    out += kBase64[v >> 18 & 63];
    out += kBase64[v >> 12 & 63];
    out += n > 1 ? kBase64[v >> 6 & 63] : '=';
    out += '=';
}

// Text is handed to zlib in pieces of this size, and the base64 text is kept in chunks of
// this size, so neither is ever copied whole to grow.
constexpr std::size_t kChunk = 64 * 1024;
// deflate's state at windowBits 15 and memLevel 8 (zlib's zconf.h: (1 << (windowBits + 2)) +
// (1 << (memLevel + 9))), with its pending buffer and allocations rounded up.
constexpr std::uint64_t kDeflateStateBytes = 256 * 1024 + 16 * 1024;

}  // namespace

/// gzip + base64 as a stream: deflate reads its input only once it has a full lookahead (or is
/// told to finish), so its output does not depend on how the text is cut into pieces, and the
/// page is the same as when the whole text was compressed at once.
class Compressor {
public:
    Compressor() {
        // windowBits 15 + 16: a gzip wrapper, which DecompressionStream("gzip") reads.
        if (deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw Error("zlib: deflateInit2 failed");
        out_.resize(kChunk);
    }
    ~Compressor() { deflateEnd(&z_); }
    Compressor(const Compressor&) = delete;
    Compressor& operator=(const Compressor&) = delete;

    void write(std::string_view text) { run(text, Z_NO_FLUSH); }
    void finish() {
        run({}, Z_FINISH);
        base64_tail(carry_, carried_, room(4));
        carried_ = 0;
    }
    std::uint64_t held_bytes() const {
        std::uint64_t b = kDeflateStateBytes + out_.capacity();
        for (const std::string& c : base64_) b += c.capacity();
        return b;
    }
    const std::vector<std::string>& base64() const { return base64_; }
    std::uint64_t base64_size() const {
        std::uint64_t n = 0;
        for (const std::string& c : base64_) n += c.size();
        return n;
    }

private:
    /// The chunk with room for `n` more characters.
    std::string& room(std::size_t n) {
        if (base64_.empty() || base64_.back().size() + n > kChunk) {
            base64_.emplace_back();
            base64_.back().reserve(kChunk);
        }
        return base64_.back();
    }
    void encode(const unsigned char* p, std::size_t n) {
        // Bytes left over from the last output (fewer than three) first, completed from p.
        while (carried_ > 0 && carried_ < 3 && n > 0) {
            carry_[carried_++] = *p++;
            --n;
        }
        if (carried_ == 3) {
            base64_groups(carry_, 3, room(4));
            carried_ = 0;
        }
        while (n >= 3) {
            std::string& chunk = room(4);
            const std::size_t groups = std::min(n / 3, (kChunk - chunk.size()) / 4);
            const std::size_t took = base64_groups(p, groups * 3, chunk);
            p += took;
            n -= took;
        }
        for (std::size_t i = 0; i < n; ++i) carry_[carried_++] = p[i];
    }
    void run(std::string_view text, int flush) {
        z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
        z_.avail_in = static_cast<uInt>(text.size());
        for (;;) {
            z_.next_out = reinterpret_cast<Bytef*>(out_.data());
            z_.avail_out = static_cast<uInt>(out_.size());
            const int rc = deflate(&z_, flush);
            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
                throw Error("zlib: deflate failed (" + std::to_string(rc) + ")");
            encode(reinterpret_cast<const unsigned char*>(out_.data()), out_.size() - z_.avail_out);
            if (rc == Z_STREAM_END) return;
            if (flush != Z_FINISH && z_.avail_in == 0 && z_.avail_out != 0) return;
        }
    }

    z_stream z_{};
    std::string out_;
    std::vector<std::string> base64_;
    unsigned char carry_[3] = {};
    std::size_t carried_ = 0;
};

std::string gzip_base64(const std::string& text) {
    Compressor c;
    for (std::size_t i = 0; i < text.size(); i += kChunk) c.write(std::string_view(text).substr(i, kChunk));
    c.finish();
    std::string out;
    out.reserve(c.base64_size());
    for (const std::string& chunk : c.base64()) out += chunk;
    return out;
}

std::uint64_t page_data_bound(std::uint64_t json_bytes) {
    // deflateBound for a gzip stream: stored blocks of at most 16 KiB, 5 bytes each, plus the
    // header and trailer; base64 makes four of every three bytes; the chunks are kept whole.
    const std::uint64_t gz = json_bytes + (json_bytes >> 12) + (json_bytes >> 14) + (json_bytes >> 25) + 13 + 18 + 64;
    const std::uint64_t b64 = (gz + 2) / 3 * 4;
    return kDeflateStateBytes + kChunk /* zlib's output */ + kChunk /* the JSON text's buffer */ + (b64 / kChunk + 1) * kChunk;
}

void JsonText::raw(std::string_view text) {
    buffer_ += text;
    if (buffer_.size() >= kChunk) flush();
}
void JsonText::number(std::uint64_t v) {
    char b[24];
    raw(std::string_view(b, static_cast<std::size_t>(std::to_chars(b, b + sizeof b, v).ptr - b)));
}
void JsonText::number(std::int64_t v) {
    char b[24];
    raw(std::string_view(b, static_cast<std::size_t>(std::to_chars(b, b + sizeof b, v).ptr - b)));
}
void JsonText::value(const nlohmann::json& v) { raw(v.dump()); }
void JsonText::key(std::string_view k, bool first) {
    if (!first) raw(",");
    raw(nlohmann::json(std::string(k)).dump());
    raw(":");
}
void JsonText::flush() {
    sink_.write(buffer_);
    buffer_.clear();
    if (on_flush_) on_flush_();
}

PageData::PageData(ChartLibrary library, bool answers_shown)
    : library_(std::move(library)), compressor_(std::make_unique<Compressor>()) {
    text_.reset(new JsonText(*compressor_));
    text_->buffer_.reserve(kChunk + 4096);
    text_->on_flush_ = [this] {
        peak_ = std::max(peak_, held_bytes());
        if (on_growth) on_growth(held_bytes());
    };
    JsonText& t = *text_;
    // Members in ascending key order, as dump() writes an object.
    t.raw("{");
    t.key("answers_shown", true);
    t.value(nlohmann::json(answers_shown));
    t.key("generator", false);
    t.value(nlohmann::json{{"flowlab", kVersion}, {"chartjs", library_.version}});
    t.key("sections", false);
    t.raw("[");
}

PageData::~PageData() = default;

void PageData::add_section(const nlohmann::json& small, const std::vector<StreamedMember>& streamed) {
    if (!small.is_object()) throw Error("a page section must be an object");
    std::vector<const StreamedMember*> order;
    for (const StreamedMember& m : streamed) {
        if (small.contains(m.key)) throw Error("page section member \"" + m.key + "\" given twice");
        order.push_back(&m);
    }
    std::sort(order.begin(), order.end(), [](const StreamedMember* a, const StreamedMember* b) { return a->key < b->key; });
    JsonText& t = *text_;
    if (sections_++) t.raw(",");
    t.raw("{");
    bool first = true;
    auto next = order.begin();
    for (auto it = small.begin(); it != small.end() || next != order.end();) {
        if (next != order.end() && (it == small.end() || (*next)->key < it.key())) {
            t.key((*next)->key, first);
            (*next)->write(t);
            ++next;
        } else {
            t.key(it.key(), first);
            t.value(it.value());
            ++it;
        }
        first = false;
    }
    t.raw("}");
    peak_ = std::max(peak_, held_bytes());
}

std::uint64_t PageData::held_bytes() const { return compressor_->held_bytes() + text_->buffer_.capacity(); }
std::uint64_t PageData::peak_bytes() const { return std::max(peak_, held_bytes()); }

std::uint64_t PageData::write(const std::string& path, const std::string& title, const std::string& subtitle) {
    JsonText& t = *text_;
    t.raw("]");
    t.key("title", false);
    t.value(nlohmann::json(title));
    t.raw("}");
    t.flush();
    compressor_->finish();
    peak_ = std::max(peak_, held_bytes());

    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
    // Nothing may leave the file: no fetch, no image, no font, no frame. Scripts and styles
    // are all inline.
    h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
         "style-src 'unsafe-inline'; img-src data:\">\n";
    h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    h += "<meta name=\"generator\" content=\"flowlab " + std::string(kVersion) + "\">\n";
    h += "<title>" + core::xml_escape(title) + "</title>\n<style>\n";
    h += assets::report_css;
    h += "</style>\n</head>\n<body>\n<header>\n<h1>" + core::xml_escape(title) + "</h1>\n";
    if (!subtitle.empty()) h += "<p class=\"subtitle\">" + core::xml_escape(subtitle) + "</p>\n";
    h += "<nav id=\"nav\"></nav>\n</header>\n<main id=\"sections\"><p id=\"loading\">Loading…</p>"
         "<noscript>This report draws its pictures with JavaScript; please allow it for this file.</noscript></main>\n";
    h += "<footer>Made by flowlab " + std::string(kVersion) + ". Charts by Chart.js " + core::xml_escape(library_.version) +
         " (MIT licence, © Chart.js contributors), inlined from " + core::xml_escape(library_.path) +
         ". All times UTC. The page loads nothing from the network.</footer>\n";
    h += "<script id=\"flowlab-data\" type=\"application/octet-stream\">";

    core::AtomicFile f(path);
    std::uint64_t size = 0;
    auto put = [&](std::string_view s) {
        if (std::fwrite(s.data(), 1, s.size(), f.get()) != s.size()) throw IoError("cannot write " + path);
        size += s.size();
    };
    put(h);
    for (const std::string& chunk : compressor_->base64()) put(chunk);
    put("</script>\n<script>\n");
    put(library_.source);
    put("\n</script>\n<script>\n");
    put(assets::report_js);
    put("\n</script>\n</body>\n</html>\n");
    if (std::fflush(f.get()) != 0) throw IoError("cannot write " + path);
    f.commit();
    return size;
}

}  // namespace flowlab::report

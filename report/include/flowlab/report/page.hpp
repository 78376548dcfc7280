/// @brief One self-contained HTML page: the charting library and the page's own script and
/// style inlined, the data compressed inside it, nothing fetched when it is opened.
///
/// Errors: chart_library() throws IoError naming where it looked when the library is not
/// installed; PageData::write() throws IoError when the file cannot be written (nothing is left
/// behind: the page is written under a temporary name and renamed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/report/traffic.hpp"

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

class Compressor;

/// JSON text written straight into the page's compressor, so that large arrays need no DOM. The
/// page's text must be what nlohmann's dump() would write: compact, numbers as integers, and an
/// object's keys in ascending order, which is the writer's part (value() and key() quote as
/// dump() does).
class JsonText {
public:
    void raw(std::string_view text);
    void number(std::uint64_t v);
    void number(std::int64_t v);
    void value(const nlohmann::json& v);  ///< dump() of a small value
    void key(std::string_view k, bool first);  ///< `"k":` after a comma unless first
    template <class Range, class Fn>
    void array(const Range& r, Fn each) {
        raw("[");
        bool first = true;
        for (const auto& x : r) {
            if (!first) raw(",");
            first = false;
            each(x);
        }
        raw("]");
    }

private:
    friend class PageData;
    explicit JsonText(Compressor& sink) : sink_(sink) {}
    void flush();
    Compressor& sink_;
    std::string buffer_;
    std::function<void()> on_flush_;
};

/// A member of a section written by a function rather than held as JSON.
struct StreamedMember {
    std::string key;
    std::function<void(JsonText&)> write;
};

/// The page's data, {"answers_shown", "generator", "sections": [...], "title"}, compressed as each
/// section is added: what is held is the compressed text so far (about a third of the JSON)
/// and the compressor's window, never the whole JSON or its DOM.
class PageData {
public:
    PageData(ChartLibrary library, bool answers_shown);
    ~PageData();
    PageData(const PageData&) = delete;
    PageData& operator=(const PageData&) = delete;

    /// One section: the members of `small` (an object) and `streamed`, in ascending key order
    /// together (a key in both is an error).
    void add_section(const nlohmann::json& small, const std::vector<StreamedMember>& streamed = {});

    /// Bytes held now: the compressed data so far, the compressor's state and buffers.
    std::uint64_t held_bytes() const;
    /// Most bytes held at once so far.
    std::uint64_t peak_bytes() const;
    /// Called with held_bytes() each time the compressed data grows (every 64 KiB of JSON), so
    /// that a memory limit holds while a section is written, not only between sections.
    std::function<void(std::uint64_t)> on_growth;

    /// Ends the data with its title and writes the page atomically; returns its size.
    std::uint64_t write(const std::string& path, const std::string& title, const std::string& subtitle = {});

private:
    ChartLibrary library_;
    std::unique_ptr<Compressor> compressor_;
    std::unique_ptr<JsonText> text_;
    std::size_t sections_ = 0;
    std::uint64_t peak_ = 0;
};

/// The large members of a traffic section: series, addresses, conversations and levels (their
/// layout: report.cpp), written from `d` as the compressor takes them, as dump() would write
/// them. `d` must outlive the members' use.
std::vector<StreamedMember> traffic_members(const TrafficData& d);

/// Bytes PageData holds at most for `json_bytes` of JSON: the compressor's fixed state and
/// buffers, and the data as gzip (never more than deflate's stored blocks) in base64.
std::uint64_t page_data_bound(std::uint64_t json_bytes);

/// gzip (RFC 1952) of `text` at zlib's default level, then base64 (RFC 4648): what the page
/// decodes with the browser's DecompressionStream. Exposed for tests.
std::string gzip_base64(const std::string& text);

}  // namespace flowlab::report

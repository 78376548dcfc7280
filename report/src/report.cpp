/// @brief write_report(): reads each input (streaming traffic through verify's readers into the
/// aggregator, result JSON through the section checks) and writes one page.
///
/// The page's data is {"title", "sections": [...], "answers_shown": bool}. A traffic section:
///   kind "traffic", title, source {kind truth|collected, path, format, note},
///   slot_ms, first_slot, slots, span_ms [start, end) or null,
///   sources [{name, label}], series[source][proto class][counter][slot] (counters flows,
///   packets, bytes; proto classes TCP, UDP, ICMP, other),
///   addresses [text], conversations [src, dst, src, dst, ...] (address indices),
///   levels [{name, factor, offset, candidates, start, end (units: slot - offset over factor,
///          absolute), total [f, p, b per cell], dims [host, port, conversation] each
///          {count [per cell], rest [f, b per cell], err [f, b per cell],
///          key [per candidate: difference to the key before in the cell, keys ascending],
///          val [f, b per candidate]}}], finest first. Rankings are by flows and by bytes; the
///          candidates carry no packets, which would make the page a third larger,

///   top, candidates, nfdump {dir, known}, counts {...}, notes [...], lesson {story, question},
///   answers (only with --answers: see answers.hpp).
/// Verdict, sweep and card sections: see results.cpp.
#include "flowlab/report/report.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "answers.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/process.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/gen/run_check.hpp"
#include "flowlab/report/page.hpp"
#include "flowlab/verify/verify.hpp"
#include "results.hpp"

namespace flowlab::report {

using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

bool is_dir(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
std::optional<std::uint64_t> file_size(const std::string& p) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return static_cast<std::uint64_t>(st.st_size);
}

json read_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read " + path);
    try {
        return json::parse(in);
    } catch (const json::parse_error& e) {
        throw InputError(path, std::string("invalid JSON: ") + e.what());
    }
}

/// A gen output directory: its manifest says the span, the exporters' names and the lesson.
struct GenContext {
    std::string dir;
    json manifest;
    std::optional<std::pair<std::int64_t, std::int64_t>> span;
    std::map<std::string, std::string> exporter_names;
};

std::optional<GenContext> read_gen_dir(const std::string& dir) {
    const std::string path = dir + "/manifest.json";
    if (!file_size(path)) return std::nullopt;
    GenContext g;
    g.dir = dir;
    g.manifest = read_json(path);
    const json& m = g.manifest;
    if (!m.is_object()) throw InputError(path, "/: expected an object (the manifest flowlab gen writes)");
    if (m.contains("span") && m["span"].is_object() && m["span"].contains("start_ms") && m["span"].contains("end_ms")) {
        const json& s = m["span"];
        if (!s["start_ms"].is_number_integer() || !s["end_ms"].is_number_integer())
            throw InputError(path, "/span/start_ms: expected epoch milliseconds");
        g.span = std::make_pair(s["start_ms"].get<std::int64_t>(), s["end_ms"].get<std::int64_t>());
    }
    if (m.contains("exporters") && m["exporters"].is_array())
        for (const json& e : m["exporters"])
            if (e.is_object() && e.contains("address") && e["address"].is_string() && e.contains("name") && e["name"].is_string())
                g.exporter_names[e["address"].get<std::string>()] = e["name"].get<std::string>();
    return g;
}

/// `nfdump -R DIR -I` prints the directory's flow count from the files' statistics in a few
/// milliseconds: the total for the progress of reading the same directory.
std::optional<std::uint64_t> nfdump_flow_count(const std::string& program, const std::string& dir) {
    core::Process::Options o;
    o.argv = {program, "-R", dir, "-I"};
    core::RunOutput r;
    try {
        // A directory's statistics take milliseconds; a minute means something is wrong, and
        // the count is only for progress, so the report goes on without it.
        r = core::run_to_end(o, std::chrono::minutes(1));
    } catch (const IoError&) {
        return std::nullopt;
    }
    if (!r.status.ok()) return std::nullopt;
    const std::string& text = r.out;
    const auto at = text.find("\nFlows: ");
    const auto start = text.rfind("Flows: ", 0) == 0 ? 0 : at == std::string::npos ? at : at + 1;
    if (start == std::string::npos) return std::nullopt;
    try {
        return std::stoull(text.substr(start + 7));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

/// Lines in a file, estimated from its size and the lines in its first megabyte.
std::optional<double> estimated_lines(const std::string& path) {
    const auto size = file_size(path);
    if (!size || *size == 0) return std::nullopt;
    std::ifstream in(path, std::ios::binary);
    std::string head(std::min<std::uint64_t>(*size, 1u << 20), '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    const auto lines = std::count(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(got), '\n');
    if (lines == 0) return std::nullopt;
    return static_cast<double>(*size) * static_cast<double>(lines) / static_cast<double>(got);
}

std::string human_bytes(std::uint64_t n) {
    if (n >= 1'000'000'000) return fmt::format("{:.1f} GB", static_cast<double>(n) / 1e9);
    if (n >= 1'000'000) return fmt::format("{:.1f} MB", static_cast<double>(n) / 1e6);
    if (n >= 1000) return fmt::format("{:.0f} kB", static_cast<double>(n) / 1e3);
    return fmt::format("{} bytes", n);
}

std::size_t cell_count(const TrafficData& d) {
    std::size_t cells = 0;
    for (const Level& level : d.levels) cells += level.cells.size();
    return cells;
}

/// The section's small members; traffic_members() writes the large ones.
json traffic_json(const TrafficData& d, const GenContext* gen) {
    json s;
    s["kind"] = "traffic";
    s["slot_ms"] = d.slot_ms;
    s["first_slot"] = d.first_slot;
    s["slots"] = d.slot_count;
    s["candidates"] = d.levels.empty() ? 0 : d.levels.front().spec.candidates;
    json sources = json::array();
    for (const SourceSeries& src : d.sources) {
        std::string label = src.name;
        if (gen)
            if (auto it = gen->exporter_names.find(src.name); it != gen->exporter_names.end()) label = it->second + " (" + src.name + ")";
        sources.push_back({{"name", src.name}, {"label", label}});
    }
    s["sources"] = std::move(sources);
    s["counts"] = {{"records", d.records},
                   {"without_time", d.without_time},
                   {"outside_span", d.outside_span},
                   {"late_records", d.late_records},
                   {"pruned", d.pruned},
                   {"flows", d.total.flows},
                   {"packets", d.total.packets},
                   {"bytes", d.total.bytes},
                   {"cells", cell_count(d)}};
    return s;
}

/// The binary, its libraries and Chart.js: the process's resident memory before a report's own
/// structures (9 MB measured at the start of write_report), with room for the allocator's
/// overhead on what the accounts count (the trading-floor report: 4 MB).
constexpr std::uint64_t kFixedBytes = 16u << 20;

/// A result document's DOM, and the section made from it, per byte of its file: nlohmann holds
/// a value in 16 bytes and an object member in about 100, so a file of small numbers or short
/// members takes at most about 16 times its size, twice over (the document and the section).
constexpr std::uint64_t kResultDomFactor = 48;

/// What the report holds at once, its aggregation and its page's data together, against
/// --memory-limit: estimated before an input is read (where its span is known) and counted while
/// it is read and while its section is written.
struct MemoryBudget {
    std::uint64_t limit = 0;
    bool limit_given = false;
    std::uint64_t peak = 0;       ///< most held at once, counted
    std::uint64_t bound = 0;      ///< most estimated before reading
    bool bound_known = true;      ///< every input's estimate was made

    void expect(std::uint64_t b) { bound = std::max(bound, b); }
    /// Counts `b` held now; past the limit the report stops, having written nothing.
    void hold(std::uint64_t b, const std::string& what) {
        peak = std::max(peak, b);
        if (b > limit)
            throw UsageError("the report holds " + core::format_bytes(static_cast<double>(b)) + " " + what +
                             ", more than --memory-limit " + core::format_bytes(static_cast<double>(limit)) +
                             (limit_given ? "" : " (half of this machine's memory)") +
                             "; raise --memory-limit, or lower --candidates (keys kept per cell) (nothing was written)");
    }
};

struct Reader {
    const ReportOptions& o;
    const RunHooks& hooks;

    MemoryBudget& budget;

    /// Streams one collector output (or the truth) through the aggregator; `page_bytes`: what
    /// the page's data holds already.
    TrafficData read(const verify::CollectedSpec& spec, const std::string& label, std::optional<std::uint64_t> expected_records,
                     const GenContext* gen, json& source, std::uint64_t page_bytes) {
        TrafficOptions topt = o.traffic;
        if (gen && gen->span && !topt.span_ms) topt.span_ms = gen->span;
        topt.memory_limit = budget.limit;
        topt.memory_held_elsewhere = page_bytes;
        std::optional<double> lines;
        if (!expected_records && !is_dir(spec.path)) lines = estimated_lines(spec.path);
        const std::uint64_t records_ahead = expected_records ? *expected_records : lines ? static_cast<std::uint64_t>(*lines) : 0;
        // Exporters: the gen directory names them; a collector's data is taken to hold a few.
        const std::size_t sources = gen && !gen->exporter_names.empty() ? gen->exporter_names.size() : 8;
        // Refused before reading only where the span is known: without it the bound is that of
        // records spread over max_slots (400 days), far above what real data needs; the limit
        // then holds while reading (the aggregator's account).
        // The page then holds the section's data compressed, while the aggregation's result is
        // still held: both count.
        if (topt.span_ms) {
            const std::uint64_t aggregation = estimate_traffic_memory(topt, records_ahead, sources);
            const std::uint64_t page = page_data_bound(estimate_traffic_json_bytes(topt, records_ahead, sources));
            budget.expect(page_bytes + aggregation + page);
            if (page_bytes + aggregation + page > budget.limit)
                throw UsageError("the report of " + label + " could need up to " +
                                 core::format_bytes(static_cast<double>(page_bytes + aggregation + page)) +
                                 " for its aggregation of " + std::to_string(records_ahead) + " records (" +
                                 core::format_bytes(static_cast<double>(aggregation)) + ") and its page (" +
                                 core::format_bytes(static_cast<double>(page_bytes + page)) + "), more than --memory-limit " +
                                 core::format_bytes(static_cast<double>(budget.limit)) +
                                 (o.memory_limit ? "" : " (half of this machine's memory)") +
                                 "; raise --memory-limit or lower --candidates (nothing was written)");
        } else {
            budget.bound_known = false;
        }
        TrafficAggregator agg(topt);
        const auto t0 = Clock::now();
        // A stop request must also end a read that waits on a pipe (a collector's dump still
        // running), not only the loop between records.
        verify::CollectedSpec cancellable = spec;
        cancellable.cancel = hooks.cancel;
        auto reader = verify::open_collected(cancellable);
        core::FlowRecord r;
        std::uint64_t n = 0;
        const std::string task = "report " + label;
        auto report = [&] {
            if (!hooks.progress) return;
            Progress p;
            p.task = task;
            p.unit = "records";
            p.done = n;
            p.elapsed_s = std::chrono::duration<double>(Clock::now() - t0).count();
            if (expected_records && *expected_records > 0) {
                p.fraction = std::min(1.0, static_cast<double>(n) / static_cast<double>(*expected_records));
            } else if (lines && *lines > 0 && n > 0 && reader->place() > 0) {
                p.fraction = std::min(1.0, static_cast<double>(reader->place()) / *lines);
                p.detail = "estimated";
            }
            hooks.report(p);
        };
        auto last = Clock::now();
        while (reader->next(r)) {
            agg.add(r);
            if ((++n & 0xFFFF) == 0) {
                hooks.check_cancel("(" + std::to_string(n) + " records of " + label + " read)");
                const auto now = Clock::now();
                if (now - last >= std::chrono::milliseconds(250)) {
                    report();
                    last = now;
                }
            }
        }
        report();
        const auto& traits = reader->traits();
        source = {{"path", reader->source()}, {"format", std::string(verify::format_name(traits.format))}, {"note", traits.note}};
        return agg.finish();
    }
};

void add_lesson(json& s, const GenContext& g, const ReportOptions& o, std::vector<std::string>& notes) {
    const json& m = g.manifest;
    if (json lesson = detail::lesson_text(m, o.scenario_dirs, notes); lesson.is_object()) s["lesson"] = std::move(lesson);
    if (!o.answers) return;
    s["answers"] = detail::answer_marks(g.dir, o.scenario_dirs, notes);
    // Behind the answer's own marks, so the answer's labels come first on the axis.
    for (json& e : detail::event_marks(m, o.scenario_dirs, notes)) s["answers"]["marks"].push_back(std::move(e));
}

std::string nfdump_dir_hint(const verify::CollectedSpec& spec, const json& source) {
    // Compared by the reader's own name for the format, whatever its spelling.
    if (is_dir(spec.path) && source.value("format", "") == verify::format_name(verify::CollectedFormat::nfdump_json)) return spec.path;
    return "";
}

}  // namespace

std::string ReportSummary::line() const {
    std::string s = output + " (" + human_bytes(bytes) + "):";
    for (std::size_t i = 0; i < sections.size(); ++i) s += (i ? "; " : " ") + sections[i].line;
    s += fmt::format("; in {:.1f} s", seconds);
    if (held_peak_bytes)
        s += "; aggregation and page held at most " + human_bytes(held_peak_bytes) + " (the page's data " +
             human_bytes(page_peak_bytes) + "; --memory-limit " + human_bytes(memory_limit) + ")";
    if (peak_resident_bytes) s += ", peak memory " + human_bytes(peak_resident_bytes);
    if (bound_bytes) s += " (bound " + human_bytes(bound_bytes) + ")";
    return s;
}

std::optional<std::string> result_kind(const json& j) { return detail::result_kind(j); }

ReportSummary write_report(const ReportOptions& o, const RunHooks& hooks) {
    const auto t0 = Clock::now();
    if (o.output.empty()) throw UsageError("no output file (-o FILE.html)");
    if (o.inputs.empty() && o.collected.empty())
        throw UsageError("nothing to report: give a gen output directory, result JSON files, or --collected [TOOL:]PATH");
    // Fails before reading gigabytes when the page cannot be made.
    PageData page(chart_library(), o.answers);

    ReportSummary summary;
    summary.output = o.output;
    std::vector<std::string> notes;
    MemoryBudget budget;
    budget.limit = o.memory_limit ? o.memory_limit : gen::default_memory_limit();
    budget.limit_given = o.memory_limit != 0;
    Reader reader{o, hooks, budget};

    // The first gen directory among the inputs gives the collector's data its span and names.
    std::optional<GenContext> context;
    for (const auto& in : o.inputs)
        if (is_dir(in))
            if ((context = read_gen_dir(in))) break;

    std::string title = o.title;
    auto add_traffic = [&](const verify::CollectedSpec& spec, bool truth, const GenContext* gen) {
        const std::string label = truth ? "truth of " + gen->dir : spec.path;
        std::optional<std::uint64_t> expected;
        if (truth && gen->manifest.contains("counts") && gen->manifest["counts"].contains("records") &&
            gen->manifest["counts"]["records"].is_number_unsigned())
            expected = gen->manifest["counts"]["records"].get<std::uint64_t>();
        if (!truth && is_dir(spec.path)) expected = nfdump_flow_count(spec.nfdump_program, spec.path);
        json source;
        const TrafficData d = reader.read(spec, label, expected, gen, source, page.held_bytes());
        budget.hold(d.peak_bytes + page.held_bytes(), "while reading " + label);
        json s = traffic_json(d, gen);
        source["kind"] = truth ? "truth" : "collected";
        s["source"] = source;
        std::string name = gen && gen->manifest.contains("scenario") && gen->manifest["scenario"].contains("name")
                               ? gen->manifest["scenario"]["name"].get<std::string>()
                               : std::string();
        s["title"] = truth ? "Traffic: " + name + " (truth)" : "Traffic: " + spec.path + " (" + source["format"].get<std::string>() + ")";
        const std::string dir = nfdump_dir_hint(spec, source);
        s["nfdump"] = {{"dir", dir.empty() ? "NFCAPD_DIR" : dir}, {"known", !dir.empty()}};
        s["top"] = o.top;
        s["span_ms"] = gen && gen->span ? json::array({gen->span->first, gen->span->second}) : json(nullptr);
        json section_notes = json::array();
        if (d.without_time) section_notes.push_back(std::to_string(d.without_time) + " records without a flow start are in no picture");
        if (d.outside_span)
            section_notes.push_back(std::to_string(d.outside_span) + " records start outside the span drawn and are in no picture");
        if (d.late_records)
            section_notes.push_back(std::to_string(d.late_records) +
                                    " records arrived after their 5-minute cell was closed; the rankings' bounds include them");
        if (!truth && source.value("format", "").rfind("pmacct", 0) == 0)
            section_notes.push_back("pmacct sums records with equal keys: a flow here is a row pmacct printed");
        if (gen) {
            std::vector<std::string> lesson_notes;
            add_lesson(s, *gen, o, lesson_notes);
            for (auto& n : lesson_notes) section_notes.push_back(n);
            for (auto& n : lesson_notes) notes.push_back(n);
        }
        s["notes"] = section_notes;
        if (title.empty() && !name.empty()) title = "flowlab report: " + name;
        const std::string line =
            fmt::format("{}: {} records in {} slots of {} s ({} cells; aggregation held at most {})",
                        truth ? "truth" : "collected", d.records, d.slot_count, d.slot_ms / 1000, cell_count(d),
                        human_bytes(d.peak_bytes));
        summary.sections.push_back({"traffic", s["title"].get<std::string>(), line, d.records});
        // The aggregation's result stays until its section is written, the page grows meanwhile.
        const std::uint64_t data_bytes = held_bytes(d);
        page.on_growth = [&](std::uint64_t held) { budget.hold(data_bytes + held, "while writing the page of " + label); };
        page.add_section(s, traffic_members(d));
        page.on_growth = nullptr;
        budget.hold(page.held_bytes(), "with the page of " + label);
    };

    for (const auto& in : o.inputs) {
        if (is_dir(in)) {
            if (auto g = read_gen_dir(in)) {
                verify::CollectedSpec spec;
                spec.tool = verify::Tool::flowlab;
                spec.path = verify::truth_records_path(in);
                add_traffic(spec, true, &*g);
            } else {
                verify::CollectedSpec spec;  // a directory without a manifest: nfcapd's files
                spec.tool = verify::Tool::nfdump;
                spec.path = in;
                add_traffic(spec, false, context ? &*context : nullptr);
            }
            continue;
        }
        const auto size = file_size(in);
        if (!size) throw UsageError(in + ": no such file or directory");
        // A result document is small JSON; a collector's JSON output may be large, and is
        // parsed here only when small enough to be a result.
        std::optional<json> doc;
        {
            std::ifstream f(in, std::ios::binary);
            char c = 0;
            while (f.get(c) && std::isspace(static_cast<unsigned char>(c))) {
            }
            if ((c == '{' || c == '[') && *size < (64u << 20)) {
                f.seekg(0);
                try {
                    doc = json::parse(f);
                } catch (const json::parse_error&) {
                    doc.reset();  // JSON lines, or not JSON: a collector's output
                }
            }
        }
        if (doc)
            if (const auto kind = detail::result_kind(*doc)) {
                // Its DOM and its section's are held beside the page: small documents, but
                // counted all the same.
                budget.expect(page.held_bytes() + *size * kResultDomFactor + page_data_bound(*size));
                json s = detail::result_section(*doc, *kind, in);
                s["source"] = {{"kind", "result"}, {"path", in}};
                s["title"] = (*kind == "verdict" ? "Verdict: " : *kind == "sweep" ? "Rate sweep: " : "Conformance: ") + in;
                summary.sections.push_back({*kind, s["title"].get<std::string>(), detail::result_line(s), 0});
                if (title.empty()) title = "flowlab report: " + in;
                page.add_section(s);
                budget.hold(page.held_bytes(), "with the page of " + in);
                continue;
            }
        verify::CollectedSpec spec;
        spec.path = in;
        add_traffic(spec, false, context ? &*context : nullptr);
    }
    for (const auto& spec : o.collected) add_traffic(spec, false, context ? &*context : nullptr);

    if (title.empty()) title = "flowlab report";
    summary.bytes = page.write(o.output, title);
    budget.hold(page.peak_bytes(), "writing " + o.output);
    summary.notes = std::move(notes);
    summary.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    summary.peak_resident_bytes = gen::peak_resident_bytes();
    summary.held_peak_bytes = budget.peak;
    summary.page_peak_bytes = page.peak_bytes();
    summary.memory_limit = budget.limit;
    if (budget.bound_known) summary.bound_bytes = kFixedBytes + std::max(budget.bound, budget.peak);
    return summary;
}

std::uint64_t write_result_page(const json& result, const std::string& source, const std::string& title, const std::string& output) {
    const auto kind = detail::result_kind(result);
    if (!kind) throw InputError(source, "/: not a verify, check or conformance result");
    json s = detail::result_section(result, *kind, source);
    s["source"] = {{"kind", "result"}, {"path", source}};
    s["title"] = title;
    PageData page(chart_library(), false);
    page.add_section(s);
    return page.write(output, title);
}

}  // namespace flowlab::report

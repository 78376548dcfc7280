/// @brief verify(): opens truth and collected data, chooses what to compare, runs the level.
#include "flowlab/verify/verify.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "flowlab/core/error.hpp"
#include "flowlab/core/record_format.hpp"
#include "input_stream.hpp"
#include "matcher.hpp"
#include "parallel_csv.hpp"
#include "readers/flowlab_csv.hpp"
#include "totals.hpp"

namespace flowlab::verify {

using core::Field;
using core::FieldSet;
using core::FlowRecord;

std::string_view metric_name(Metric m) noexcept {
    switch (m) {
        case Metric::bytes: return "bytes";
        case Metric::packets: return "packets";
        case Metric::flows: return "flows";
    }
    return "?";
}

std::string_view totals_key_name(TotalsKey k) noexcept {
    switch (k) {
        case TotalsKey::exporter: return "exporter";
        case TotalsKey::domain: return "domain";
        case TotalsKey::version: return "version";
        case TotalsKey::src: return "src";
        case TotalsKey::dst: return "dst";
        case TotalsKey::host: return "host";
        case TotalsKey::sport: return "sport";
        case TotalsKey::dport: return "dport";
        case TotalsKey::port: return "port";
        case TotalsKey::proto: return "proto";
    }
    return "?";
}

std::optional<TotalsKey> totals_key_from_name(std::string_view name) noexcept {
    for (auto k : {TotalsKey::exporter, TotalsKey::domain, TotalsKey::version, TotalsKey::src, TotalsKey::dst,
                   TotalsKey::host, TotalsKey::sport, TotalsKey::dport, TotalsKey::port, TotalsKey::proto})
        if (totals_key_name(k) == name) return k;
    return std::nullopt;
}

std::string_view outcome_name(Outcome o) noexcept {
    switch (o) {
        case Outcome::missing: return "missing";
        case Outcome::unexpected: return "unexpected";
        case Outcome::duplicated: return "duplicated";
        case Outcome::altered: return "altered";
    }
    return "?";
}

bool VerifyResult::match() const noexcept {
    if (records)
        return records->missing == 0 && records->unexpected == 0 && records->duplicated == 0 && records->altered == 0;
    if (totals) return totals->keys_outside == 0;
    return false;
}

std::string VerifyResult::verdict() const {
    if (records) {
        if (match()) return "MATCH: " + std::to_string(records->matched) + " of " + std::to_string(records->truth_records) + " records";
        std::string s = "DIFFERENT:";
        bool first = true;
        auto part = [&](std::uint64_t n, const char* what) {
            if (n == 0) return;
            s += (first ? " " : ", ") + std::to_string(n) + " " + what;
            first = false;
        };
        part(records->missing, "missing");
        part(records->altered, "altered");
        part(records->duplicated, "duplicated");
        part(records->unexpected, "unexpected");
        return s;
    }
    if (totals) {
        const std::string tol = fmt::format("{:g}%", totals->tolerance * 100);
        if (match()) return "MATCH: " + std::to_string(totals->keys) + " keys within " + tol;
        return "DIFFERENT: " + std::to_string(totals->keys_outside) + " of " + std::to_string(totals->keys) + " keys outside " + tol;
    }
    return "NOTHING VERIFIED";
}

static bool is_dir(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
static bool is_file(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

static std::string truth_file(const std::string& dir, const std::string& name) {
    if (!is_dir(dir)) {
        // A file is the truth itself: records, or conversations such as gen --packets'
        // truth/packet-conversations.csv.
        if (is_file(dir) && (name == "records.csv" || name == "conversations.csv")) return dir;
        throw UsageError("--truth " + dir + ": not a directory (expected the output directory of flowlab gen)");
    }
    for (const std::string& p : {dir + "/truth/" + name, dir + "/" + name})
        if (is_file(p)) return p;
    throw UsageError("--truth " + dir + ": no truth/" + name + " (expected the output directory of flowlab gen)");
}

std::string truth_records_path(const std::string& truth_dir) { return truth_file(truth_dir, "records.csv"); }
std::string truth_conversations_path(const std::string& truth_dir) { return truth_file(truth_dir, "conversations.csv"); }
std::string truth_may_lose_path(const std::string& truth_dir) {
    if (!is_dir(truth_dir)) return {};
    const std::string p = truth_dir + "/truth/may-lose.csv";
    return is_file(p) ? p : std::string();
}

namespace {

/// The scenario name in DIR/manifest.json, or "" (a truth file, no manifest, unreadable).
std::string scenario_of(const std::string& truth_dir) {
    if (!is_dir(truth_dir)) return {};
    std::ifstream in(truth_dir + "/manifest.json");
    if (!in) return {};
    const nlohmann::json m = nlohmann::json::parse(in, nullptr, false);
    if (m.is_discarded()) return {};
    return m.value("/scenario/name"_json_pointer, std::string());
}

/// Reads truth/conversations.csv: flowlab columns plus id and activity (not modelled).
class ConversationReader {
public:
    explicit ConversationReader(const std::string& path) : path_(path), lines_(detail::InputStream::open_file(path)) {
        std::string_view header;
        while (lines_.next(header) && header.empty()) {
        }
        std::vector<std::string_view> names(64);
        const std::size_t n = detail::split(header, ',', names.data(), names.size());
        for (std::size_t i = 0; i < n && i < names.size(); ++i) {
            if (names[i] == "id" || names[i] == "activity") {
                cols_.push_back(-1);
                continue;
            }
            const auto f = core::field_from_name(names[i]);
            if (!f) throw InputError(path_, detail::line_place(lines_.line()), "unknown column '" + std::string(names[i]) + "'");
            cols_.push_back(static_cast<int>(*f));
        }
    }
    bool next(FlowRecord& r) {
        std::string_view line;
        do {
            if (!lines_.next(line)) return false;
        } while (line.empty());
        cells_.resize(cols_.size() + 1);
        const std::size_t n = detail::split(line, ',', cells_.data(), cells_.size());
        if (n != cols_.size())
            throw InputError(path_, detail::line_place(lines_.line()),
                             "expected " + std::to_string(cols_.size()) + " columns, found " + std::to_string(n));
        r = FlowRecord{};
        for (std::size_t i = 0; i < n; ++i) {
            if (cols_[i] < 0) continue;
            const auto f = static_cast<Field>(cols_[i]);
            if (!core::parse_field_text(f, cells_[i], r))
                throw InputError(path_, detail::line_place(lines_.line()),
                                 "column " + std::string(core::field_name(f)) + ": '" + std::string(cells_[i]) + "' is not valid");
        }
        return true;
    }

private:
    std::string path_;
    detail::LineReader lines_;
    std::vector<int> cols_;
    std::vector<std::string_view> cells_;
};

/// A parallel reader for collected data that is a large flowlab CSV file, or nullptr.
/// Opened early, its workers parse ahead (up to `window` blocks) while the caller is busy.
std::unique_ptr<detail::ParallelCsvReader> parallel_collected(const CollectedSpec& spec, const CollectedReader& reader,
                                                              unsigned threads, std::size_t window = 0) {
    if (reader.traits().format != CollectedFormat::flowlab_csv || spec.path == "-") return nullptr;
    return detail::ParallelCsvReader::open(spec.path, threads, detail::ParallelCsvReader::Output::records, 8u << 20, 8u << 20,
                                           window);
}

/// Feeds every collected record to `sink(record, line)`, from `par` when there is one.
template <class Sink>
void for_each_collected(detail::ParallelCsvReader* par, CollectedReader& reader, Sink&& sink) {
    if (par) {
        detail::CsvBatch batch;
        std::uint64_t first_line = 0;
        while (par->next(batch, first_line))
            for (std::size_t i = 0; i < batch.records.size(); ++i) sink(batch.records[i], first_line + batch.line_in_block[i]);
        return;
    }
    FlowRecord r;
    while (reader.next(r)) sink(r, reader.place());
}

}  // namespace

std::uint64_t estimate_peak_memory(Level level, std::uint64_t truth_bytes, std::uint64_t collected_bytes) noexcept {
    // Records level: the truth store, its key index and per-record state are held whole (about
    // 82 bytes a record while the index is built, up to 98 while the records that did not match
    // are resolved, 17 more per IPv6 address; rows of 110 bytes and more: 0.9x the file at
    // most). Collected records stream through a few parsed blocks at a time; those that do not
    // match at once wait, packed (80 bytes, up to 0.75x their rows when nothing matches).
    // Totals: one entry per key, never more than the records.
    if (level == Level::totals) return (64ull << 20) + truth_bytes / 10 * 9 + collected_bytes / 8;
    constexpr std::uint64_t kBase = 192ull << 20;  // code, the parsed blocks in flight, threads
    return kBase + truth_bytes / 10 * 9 + collected_bytes / 4 * 3;
}

std::uint64_t default_memory_limit() noexcept {
    const long pages = ::sysconf(_SC_PHYS_PAGES);
    const long size = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || size <= 0) return ~std::uint64_t{0};
    return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(size) / 2;
}

static std::uint64_t file_bytes(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
}

static std::string megabytes(std::uint64_t b) { return std::to_string((b + (1u << 20) - 1) >> 20) + " MB"; }

VerifyResult verify(const VerifyOptions& o, const RunHooks& hooks) {
    const auto t0 = std::chrono::steady_clock::now();
    // Progress also checks for a stop request: it runs on this thread, between batches.
    std::uint64_t truth_records = 0;
    auto progress = [&](std::string_view phase, std::uint64_t n, double fraction) {
        const std::string task = "verify " + std::string(phase);
        hooks.check_cancel("while reading the " + std::string(phase) + " (" + std::to_string(n) + " records read)");
        Progress p;
        p.task = task;
        p.unit = "records";
        p.done = n;
        p.fraction = fraction;
        p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        hooks.report(p);
    };
    // A collector that kept everything stores about as many records as the truth holds.
    auto collected_progress = [&](std::uint64_t n) {
        progress("collected", n, truth_records ? std::min(0.99, static_cast<double>(n) / static_cast<double>(truth_records)) : -1.0);
    };
    const unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
    VerifyResult res;
    res.level = o.level;
    res.scenario = scenario_of(o.truth_dir);
    {
        const std::string truth = o.level == Level::records || o.against == TotalsTruth::records
                                      ? truth_records_path(o.truth_dir)
                                      : truth_conversations_path(o.truth_dir);
        res.estimated_peak_bytes = estimate_peak_memory(o.level, file_bytes(truth), file_bytes(o.collected.path));
        res.memory_limit = o.memory_limit ? o.memory_limit : default_memory_limit();
        if (res.estimated_peak_bytes > res.memory_limit)
            throw UsageError("verify would need about " + megabytes(res.estimated_peak_bytes) + " of memory for " + truth +
                             " and " + o.collected.path + ", more than --memory-limit " + megabytes(res.memory_limit) +
                             (o.memory_limit ? "" : " (half of this machine's memory)") +
                             "; raise --memory-limit or verify a shorter span");
    }

    CollectedSpec collected_spec = o.collected;
    collected_spec.cancel = hooks.cancel;
    auto reader = open_collected(collected_spec);
    ReaderTraits traits = reader->traits();
    res.collected_source = reader->source();
    res.format = traits.format;
    res.format_note = traits.note;
    std::map<std::uint8_t, FieldSet> drops;
    FieldSet compare = traits.carried;
    if (o.profile) {
        const CollectorProfile& p = *o.profile;
        res.profile = p.name;
        res.profile_drops = p.drop_reasons;
        if (p.reader != tool_of(traits.format))
            throw UsageError("collector profile " + p.name + " reads " + std::string(tool_name(p.reader)) +
                             " output, but " + res.collected_source + " is " + std::string(format_name(traits.format)));
        compare = compare & p.keeps;
        drops = p.drops;
        if (p.flow_time) traits.flow_time = traits.flow_time_ipfix = *p.flow_time;
        if (p.sums_equal_records) traits.sums_equal_records = *p.sums_equal_records;
    }
    if (o.fields) compare = compare & *o.fields;
    compare = compare - o.ignore;
    auto map_exporter = [&](FlowRecord& r) {
        for (const auto& [from, to] : o.exporter_map)
            if (r.exporter == from) {
                r.exporter = to;
                return;
            }
    };

    if (o.level == Level::records) {
        res.truth_path = truth_records_path(o.truth_dir);
        // Where the time goes (for the benchmark notes: `verify --phases`).
        auto phase = [&, last = std::chrono::steady_clock::now()](const char* what) mutable {
            const auto now = std::chrono::steady_clock::now();
            if (hooks.phase) hooks.phase(what, std::chrono::duration<double>(now - last).count());
            last = now;
            hooks.check_cancel(std::string("after the ") + what + " phase");
        };
        detail::TruthSet truth =
            detail::load_truth(res.truth_path, threads, detail::key_spec(compare), 8u << 20, 8u << 20, progress);
        if (const std::string may_lose = truth_may_lose_path(o.truth_dir); !may_lose.empty())
            detail::append_optional_truth(truth, may_lose);
        truth_records = truth.records.size();
        phase("truth");
        detail::MatchConfig cfg;
        cfg.compare = compare;
        cfg.traits = traits;
        cfg.drops = drops;
        cfg.extra_slack_ms = o.time_slack_ms;
        cfg.examples = o.examples;
        // The index is built mostly on one core: let the collected file's parsers start meanwhile,
        // a few blocks ahead (each block's records take about twice its text).
        auto par = parallel_collected(o.collected, *reader, threads, 6);
        detail::Matcher matcher(truth, cfg);
        phase("index");
        if (par) {
            detail::CsvBatch batch;
            std::uint64_t first_line = 0, offered = 0;
            while (par->next(batch, first_line)) {
                if (!o.exporter_map.empty())
                    for (auto& r : batch.records) map_exporter(r);
                matcher.offer_batch(batch.records.data(), batch.line_in_block.data(), first_line, batch.records.size());
                offered += batch.records.size();
                collected_progress(offered);
            }
            par.reset();
        } else {
            std::uint64_t offered = 0;
            for_each_collected(nullptr, *reader, [&](const FlowRecord& r, std::uint64_t line) {
                if (o.exporter_map.empty()) {
                    matcher.offer(r, line);
                } else {
                    FlowRecord mapped = r;
                    map_exporter(mapped);
                    matcher.offer(mapped, line);
                }
                if ((++offered & 0xFFFF) == 0) collected_progress(offered);
            });
        }
        phase("collected");
        RecordsResult rr = matcher.finish();
        phase("finish");
        rr.excluded = (FieldSet::all() - compare) & truth.seen;
        res.records = std::move(rr);
    } else {
        res.truth_path = o.against == TotalsTruth::records ? truth_records_path(o.truth_dir) : truth_conversations_path(o.truth_dir);
        std::vector<Metric> metrics;
        if (o.metrics) {
            metrics = *o.metrics;
        } else {
            metrics = {Metric::bytes, Metric::packets};
            if (o.against == TotalsTruth::records && !traits.sums_equal_records) metrics.push_back(Metric::flows);
        }
        if (o.against == TotalsTruth::conversations)
            for (TotalsKey k : o.by)
                if (k == TotalsKey::exporter || k == TotalsKey::domain || k == TotalsKey::version)
                    throw UsageError("--by " + std::string(totals_key_name(k)) +
                                     ": conversations have no exporter, domain or version (use --against records)");
        detail::Totals totals(o.by, o.bin_ms, metrics, o.tolerance, traits.scales_sampling_versions, o.examples);
        FlowRecord r;
        if (o.against == TotalsTruth::records) {
            const CollectedSpec truth_spec{Tool::flowlab, res.truth_path, "nfdump", {}};
            auto truth = open_collected(truth_spec);
            auto par = parallel_collected(truth_spec, *truth, threads);
            for_each_collected(par.get(), *truth, [&](const FlowRecord& x, std::uint64_t) {
                totals.add_truth(x);
                if ((++truth_records & 0xFFFF) == 0) progress("truth", truth_records, -1.0);
            });
        } else {
            ConversationReader conv(res.truth_path);
            while (conv.next(r)) {
                totals.add_truth(r);
                if ((++truth_records & 0xFFFF) == 0) progress("truth", truth_records, -1.0);
            }
        }
        auto par = parallel_collected(o.collected, *reader, threads);
        std::uint64_t collected = 0;
        for_each_collected(par.get(), *reader, [&](const FlowRecord& x, std::uint64_t) {
            if ((++collected & 0xFFFF) == 0) collected_progress(collected);
            if (o.exporter_map.empty()) {
                totals.add_collected(x);
            } else {
                FlowRecord mapped = x;
                map_exporter(mapped);
                totals.add_collected(mapped);
            }
        });
        res.totals = totals.finish(o.against);
        if (traits.sums_equal_records && o.metrics &&
            std::find(metrics.begin(), metrics.end(), Metric::flows) != metrics.end())
            res.totals->notes.push_back("the collector sums records with equal keys, so its flow counts are lower by design");
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace flowlab::verify

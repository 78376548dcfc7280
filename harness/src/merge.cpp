/// @brief `flowlab merge`: shards of one gen run back into one gen output directory.
#include "flowlab/harness/merge.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/decoder.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/version.hpp"
#include "flowlab/gen/sha256.hpp"

namespace flowlab::harness {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

struct Shard {
    std::string dir;
    Json manifest;
    std::uint64_t index = 0;
};

/// The manifest entries that make two shards parts of one run.
constexpr const char* kSameRun[] = {"flowlab_version", "scenario", "seed", "scale", "span", "collector"};

Shard read_shard(const std::string& dir) {
    const std::string path = (fs::path(dir) / "manifest.json").string();
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw UsageError(dir +
                         ": no manifest.json (expected the output directory of flowlab gen --shard I/N)");
    Shard s;
    s.dir = dir;
    s.manifest = Json::parse(in, nullptr, false);
    if (s.manifest.is_discarded() || !s.manifest.is_object())
        throw InputError(path, "not JSON (expected the manifest flowlab gen writes)");
    const Json& shard = s.manifest.value("shard", Json());
    if (!shard.is_object() || !shard.contains("index") || !shard["index"].is_number_unsigned() ||
        !shard.contains("count") || !shard["count"].is_number_unsigned())
        throw UsageError(dir +
                         ": not a shard (its manifest's \"shard\" is null: made without gen --shard I/N)");
    if (s.manifest.contains("packets") && !s.manifest["packets"].is_null())
        throw InputError(path,
                         "/packets: a shard never holds packets.pcap (gen refuses --shard with --packets)");
    for (const char* key : kSameRun)
        if (!s.manifest.contains(key)) throw InputError(path, std::string("/") + key + ": missing");
    s.index = shard["index"].get<std::uint64_t>();
    return s;
}

/// Checks that the shards are exactly 0..N-1 of one run; returns them by index.
std::vector<Shard> complete_set(std::vector<Shard> shards) {
    const Shard& first = shards.front();
    const std::uint64_t count = first.manifest["shard"]["count"].get<std::uint64_t>();
    for (const Shard& s : shards) {
        for (const char* key : kSameRun)
            if (s.manifest[key] != first.manifest[key])
                throw UsageError(
                    s.dir + " and " + first.dir + " are shards of different runs (their manifests' \"" + key +
                    "\" differ: " + s.manifest[key].dump() + " and " + first.manifest[key].dump() + ")");
        const std::uint64_t n = s.manifest["shard"]["count"].get<std::uint64_t>();
        if (n != count)
            throw UsageError(s.dir + " is shard " + std::to_string(s.index) + " of " + std::to_string(n) +
                             ", " + first.dir + " one of " + std::to_string(count) +
                             ": shards of different splits");
    }
    std::sort(shards.begin(), shards.end(), [](const Shard& a, const Shard& b) { return a.index < b.index; });
    for (std::size_t i = 1; i < shards.size(); ++i)
        if (shards[i].index == shards[i - 1].index)
            throw UsageError("shard " + std::to_string(shards[i].index) +
                             " is given twice: " + shards[i - 1].dir + " and " + shards[i].dir);
    std::string missing;
    for (std::uint64_t i = 0, k = 0; i < count; ++i) {
        if (k < shards.size() && shards[k].index == i) {
            ++k;
            continue;
        }
        missing += (missing.empty() ? "" : ", ") + std::to_string(i);
    }
    if (!missing.empty())
        throw UsageError("shard" + std::string(missing.find(',') == std::string::npos ? " " : "s ") +
                         missing + " of " + std::to_string(count) +
                         " missing (merge needs every shard of the run)");
    return shards;
}

/// A file of a shard, read line by line or frame by frame, whose size and SHA-256 are
/// checked against the shard's manifest once it has been read to its end.
class CheckedFile {
public:
    CheckedFile(const Shard& s, std::string name) : shard_(s), name_(std::move(name)) {
        path_ = (fs::path(s.dir) / name_).string();
        const Json& entry = s.manifest.value("files", Json::object()).value(name_, Json());
        if (!entry.is_object() || !entry.contains("sha256") || !entry.contains("bytes"))
            throw InputError((fs::path(s.dir) / "manifest.json").string(), "/files/" + name_ + ": missing");
        want_sha_ = entry["sha256"].get<std::string>();
        want_bytes_ = entry["bytes"].get<std::uint64_t>();
    }
    const std::string& path() const noexcept { return path_; }
    void add(const void* data, std::size_t n) {
        sha_.update(data, n);
        bytes_ += n;
    }
    /// At the end of the file: it is the one the manifest describes.
    void verify() {
        const std::string got = sha_.hex();
        if (bytes_ != want_bytes_ || got != want_sha_)
            throw InputError(path_, "does not match " + shard_.dir + "/manifest.json (" +
                                        std::to_string(bytes_) + " bytes, SHA-256 " + got +
                                        "; the manifest says " + std::to_string(want_bytes_) + " bytes, " +
                                        want_sha_ + "): damaged or edited after gen");
    }

private:
    const Shard& shard_;
    std::string name_, path_, want_sha_;
    std::uint64_t want_bytes_ = 0, bytes_ = 0;
    gen::Sha256 sha_;
};

/// One shard's CSV: its header, then rows in order with the value of the key column.
class CsvSource {
public:
    CsvSource(const Shard& s, const std::string& name, std::string_view key_column) : file_(s, name) {
        in_.open(file_.path(), std::ios::binary);
        if (!in_) throw IoError("cannot read " + file_.path() + ": " + std::strerror(errno));
        if (!read_line(header_))
            throw InputError(file_.path(), InputError::Place{.line = 1}, "empty (expected a header)");
        key_column_ = column(key_column);
        advance();
    }
    const std::string& header() const noexcept { return header_; }
    /// InputError unless the header is `first`'s: the shards of one run write the same columns.
    void expect_header_of(const CsvSource& first) const {
        if (header_ != first.header_)
            throw InputError(file_.path(), InputError::Place{.line = 1},
                             "its header differs from " + first.file_.path() + "'s");
    }
    /// The index of a header column; InputError if there is none.
    std::size_t column(std::string_view name) const {
        std::size_t index = 0, from = 0;
        for (;;) {
            const std::size_t comma = header_.find(',', from);
            if (std::string_view(header_).substr(from, comma - from) == name) return index;
            if (comma == std::string::npos)
                throw InputError(file_.path(), InputError::Place{.line = 1},
                                 "no column " + std::string(name) + " (expected flowlab's truth CSV)");
            from = comma + 1;
            ++index;
        }
    }
    /// Column `index` of the current row ("" past its end).
    std::string_view field(std::size_t index) const {
        std::size_t from = 0;
        for (std::size_t c = 0; c < index; ++c) {
            from = row_.find(',', from);
            if (from == std::string::npos) return {};
            ++from;
        }
        return std::string_view(row_).substr(from, row_.find(',', from) - from);
    }
    bool done() const noexcept { return done_; }
    std::int64_t key() const noexcept { return key_; }
    const std::string& row() const noexcept { return row_; }
    /// Reads the next row; at the end, checks the file against the manifest.
    void advance() {
        if (!read_line(row_)) {
            done_ = true;
            file_.verify();
            return;
        }
        const std::string_view cell = field(key_column_);
        if (cell.empty() ||
            std::from_chars(cell.data(), cell.data() + cell.size(), key_).ptr != cell.data() + cell.size())
            throw InputError(file_.path(), InputError::Place{.line = line_},
                             "expected a number in the key column");
    }

private:
    bool read_line(std::string& out) {
        if (!std::getline(in_, out)) {
            if (in_.bad()) throw IoError("cannot read " + file_.path() + ": " + std::strerror(errno));
            return false;
        }
        ++line_;
        file_.add(out.data(), out.size());
        if (!in_.eof()) file_.add("\n", 1);
        return true;
    }
    CheckedFile file_;
    std::ifstream in_;
    std::string header_, row_;
    std::size_t key_column_ = 0;
    std::int64_t key_ = 0;
    std::uint64_t line_ = 0;
    bool done_ = false;
};

/// Progress over the whole merge (conversation rows, then datagrams) against the totals the
/// shards' manifests give, and the stop token, every 64k units.
class MergeProgress {
public:
    MergeProgress(const RunHooks& hooks, std::uint64_t total) : hooks_(hooks), total_(total) {}
    void step(std::string_view phase) {
        if (++done_ % 65536 != 0) return;
        hooks_.check_cancel("merged " + std::to_string(done_) + " of about " + std::to_string(total_) +
                            " conversation rows and datagrams (nothing written)");
        const double fraction =
            total_ ? std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_)) : -1;
        hooks_.report({"merge", "entries", done_, fraction, seconds(), phase});
    }
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    }
    std::uint64_t done() const noexcept { return done_; }

private:
    const RunHooks& hooks_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

/// Merges the shards' CSVs by key; on equal keys the lower shard first. Returns the rows.
std::uint64_t merge_csv(const std::vector<Shard>& shards, const std::string& name,
                        std::string_view key_column, const fs::path& out_path, gen::Sha256& out_sha,
                        MergeProgress& progress) {
    std::vector<std::unique_ptr<CsvSource>> sources;
    for (const Shard& s : shards) sources.push_back(std::make_unique<CsvSource>(s, name, key_column));
    for (const auto& src : sources) src->expect_header_of(*sources.front());
    std::ofstream out(out_path, std::ios::binary);
    auto write = [&](const std::string& line) {
        out << line << '\n';
        out_sha.update(line);
        out_sha.update("\n");
    };
    write(sources.front()->header());
    std::uint64_t rows = 0;
    for (;;) {
        CsvSource* next = nullptr;
        for (const auto& src : sources)
            if (!src->done() && (!next || src->key() < next->key())) next = src.get();
        if (!next) break;
        write(next->row());
        next->advance();
        ++rows;
        progress.step(name);
    }
    out.flush();
    if (!out) throw IoError("cannot write " + out_path.string() + ": " + std::strerror(errno));
    return rows;
}

/// The observation domain (IPFIX) or source id (v9) in a message's header; none for v5 and
/// what is too short to say.
std::optional<std::uint32_t> message_domain(std::span<const std::uint8_t> payload) {
    core::ByteReader r(payload);
    std::uint16_t version = 0;
    std::uint32_t domain = 0;
    if (!r.read_u16(version)) return std::nullopt;
    // v9: count, uptime, secs, sequence; IPFIX: length, export time, sequence.
    if ((version == 9 && r.skip(14) && r.read_u32(domain)) ||
        (version == 10 && r.skip(10) && r.read_u32(domain)))
        return domain;
    return std::nullopt;
}

/// One shard's exports.pcap and truth/records.csv, read in step.
struct ExportSource {
    std::unique_ptr<CheckedFile> pcap_file;
    std::unique_ptr<core::PcapReader> reader;
    std::unique_ptr<CsvSource> records;
    std::size_t exporter_column = 0;
    /// Counts the flow records of each datagram, as any decoder of gen's exports does (options
    /// records are not truth rows): that many rows of the shard's records.csv are its.
    core::Decoder decoder;
    std::vector<core::FlowRecord> decoded;
    /// The shard's exporters: address, port, domain -> index in the scenario.
    struct Exporter {
        std::string address;
        std::uint16_t port = 0;
        std::uint32_t domain = 0;
        std::uint64_t index = 0;
    };
    std::vector<Exporter> exporters;
    core::Frame frame;
    std::vector<std::uint8_t> bytes;
    core::UdpDatagram datagram;  ///< the frame's datagram (valid while bytes are)
    bool is_udp = false;
    std::uint64_t exporter_index = 0;
    bool done = false;
};

struct ExportsMerged {
    std::uint64_t frames = 0, records = 0, unplaced = 0, misplaced = 0;
};

/// Merges the shards' exports.pcap by capture time, and on equal times by exporter index, the
/// order gen writes, and writes each datagram's truth rows as its frame is written: records.csv
/// comes in the order of the datagrams that carried the rows, as gen writes it. A row that no datagram claims
/// (which gen never writes) goes at the end and is counted, so nothing is lost or invented.
ExportsMerged merge_exports(const std::vector<Shard>& shards, const fs::path& pcap_path,
                            gen::Sha256& pcap_sha, const fs::path& records_path, gen::Sha256& records_sha,
                            MergeProgress& progress) {
    std::vector<ExportSource> sources(shards.size());
    for (std::size_t i = 0; i < shards.size(); ++i) {
        ExportSource& s = sources[i];
        s.pcap_file = std::make_unique<CheckedFile>(shards[i], "exports.pcap");
        s.reader = std::make_unique<core::PcapReader>(s.pcap_file->path());
        if (s.reader->link_type() != core::LinkType::ethernet)
            throw InputError(s.pcap_file->path(), "not an Ethernet capture (gen writes exports.pcap as one)");
        s.records = std::make_unique<CsvSource>(shards[i], "truth/records.csv", "sequence");
        s.exporter_column = s.records->column("exporter");
        s.records->expect_header_of(*sources.front().records);
        for (const Json& e : shards[i].manifest["exporters"])
            s.exporters.push_back({e.value("address", ""), e.value("port", std::uint16_t{0}),
                                   e.value("domain", 0u), e.value("index", std::uint64_t{0})});
    }
    auto advance = [](ExportSource& s) {
        if (!s.reader->next_frame(s.frame)) {
            s.done = true;
            return;
        }
        s.bytes.assign(s.frame.data.begin(), s.frame.data.end());
        core::Frame f = s.frame;
        f.data = s.bytes;
        s.is_udp = s.reader->parse_udp(f, s.datagram);
        // Exporters that share an address and port are told apart by their domain (not for v5).
        s.exporter_index = 0;
        if (!s.is_udp) return;
        const auto domain = message_domain(s.datagram.payload);
        const std::string src = s.datagram.src.to_string();
        for (const auto& e : s.exporters)
            if (e.address == src && e.port == s.datagram.sport && (!domain || *domain == e.domain)) {
                s.exporter_index = e.index;
                break;
            }
    };
    for (auto& s : sources) advance(s);

    std::ofstream records(records_path, std::ios::binary);
    auto write_row = [&](const std::string& line) {
        records << line << '\n';
        records_sha.update(line);
        records_sha.update("\n");
    };
    write_row(sources.front().records->header());
    // Same precision, link type and snap length as gen's own exports.pcap.
    core::PcapWriter out(pcap_path.string(), core::TimePrecision::nano,
                         static_cast<int>(core::LinkType::ethernet), 262144,
                         [&](std::span<const std::uint8_t> b) { pcap_sha.update(b.data(), b.size()); });
    ExportsMerged merged;
    auto before = [](const ExportSource& a, const ExportSource& b) {
        return a.frame.ts_ns != b.frame.ts_ns ? a.frame.ts_ns < b.frame.ts_ns
                                              : a.exporter_index < b.exporter_index;
    };
    for (;;) {
        ExportSource* next = nullptr;
        for (auto& s : sources)
            if (!s.done && (!next || before(s, *next))) next = &s;
        if (!next) break;
        out.write_frame(next->frame.ts_ns, next->bytes);
        // The datagram's rows: as many of the shard's next rows as it carries flow records.
        if (next->is_udp) {
            const core::UdpDatagram& d = next->datagram;
            next->decoded.clear();
            const std::size_t n =
                next->decoder.decode({d.payload, d.src, d.sport, next->frame.number, false}, next->decoded);
            const std::string src = d.src.to_string();
            CsvSource& rows = *next->records;
            for (std::size_t i = 0; i < n && !rows.done(); ++i) {
                if (rows.field(next->exporter_column) != src) ++merged.misplaced;
                write_row(rows.row());
                ++merged.records;
                rows.advance();
            }
        }
        advance(*next);
        ++merged.frames;
        progress.step("exports.pcap");
    }
    for (auto& s : sources)
        while (!s.records->done()) {
            write_row(s.records->row());
            ++merged.records;
            ++merged.unplaced;
            s.records->advance();
        }
    records.flush();
    if (!records) throw IoError("cannot write " + records_path.string() + ": " + std::strerror(errno));
    out.commit();
    // The shards' captures as a whole: the hash of what gen wrote, header included.
    for (auto& s : sources) {
        std::ifstream in(s.pcap_file->path(), std::ios::binary);
        char buf[1 << 16];
        while (in.read(buf, sizeof buf) || in.gcount() > 0)
            s.pcap_file->add(buf, static_cast<std::size_t>(in.gcount()));
        s.pcap_file->verify();
    }
    return merged;
}

Json merged_manifest(const std::vector<Shard>& shards) {
    Json m = shards.front().manifest;
    m["shard"] = nullptr;
    Json from = Json::array();
    for (const Shard& s : shards) from.push_back({{"index", s.index}, {"dir", s.dir}});
    m["merged_from"] = {
        {"count", shards.size()}, {"shards", from}, {"rule", shards.front().manifest["shard"]["rule"]}};
    Json counts = Json::object();
    for (const Shard& s : shards) {
        const Json shard_counts =
            s.manifest.value("counts", Json::object());  // iterated: must outlive the loop
        for (const auto& [key, value] : shard_counts.items()) {
            if (!value.is_number()) continue;
            if (!counts.contains(key)) {
                counts[key] = value;
            } else if (key == "first_export_ms") {
                // A shard without messages says 0: it has no first export.
                if (value.get<std::int64_t>() != 0 &&
                    (counts[key].get<std::int64_t>() == 0 ||
                     value.get<std::int64_t>() < counts[key].get<std::int64_t>()))
                    counts[key] = value;
            } else if (key == "last_export_ms") {
                counts[key] = std::max(counts[key].get<std::int64_t>(), value.get<std::int64_t>());
            } else {
                counts[key] = counts[key].get<std::uint64_t>() + value.get<std::uint64_t>();
            }
        }
    }
    m["counts"] = counts;
    std::vector<Json> exporters;
    for (const Shard& s : shards) {
        const Json listed = s.manifest.value("exporters", Json::array());
        for (const Json& e : listed) exporters.push_back(e);
    }
    std::sort(exporters.begin(), exporters.end(),
              [](const Json& a, const Json& b) { return a.value("index", 0) < b.value("index", 0); });
    m["exporters"] = exporters;
    return m;
}

}  // namespace

MergeSummary merge_shards(const MergeOptions& o, const RunHooks& hooks) {
    if (o.shards.empty()) throw UsageError("no shards to merge");
    if (o.output.empty()) throw UsageError("no output directory (-o)");
    std::vector<Shard> shards;
    for (const auto& dir : o.shards) shards.push_back(read_shard(dir));
    shards = complete_set(std::move(shards));

    const fs::path target = fs::absolute(o.output).lexically_normal();
    std::error_code ec;
    if (fs::exists(target, ec) && !core::is_flowlab_output(target))
        throw UsageError(o.output + ": exists and is not a flowlab output directory (not replaced)");
    for (const Shard& s : shards)
        if (fs::equivalent(s.dir, target, ec)) throw UsageError(o.output + ": is one of the shards");
    core::AtomicDir out_dir(target);
    const fs::path& tmp = out_dir.path();
    if (!fs::create_directories(tmp / "truth", ec) || ec)
        throw IoError("cannot create " + (tmp / "truth").string() + ": " + ec.message());

    std::uint64_t total = 0;
    for (const Shard& s : shards) {
        const Json counts = s.manifest.value("counts", Json::object());
        for (const char* key : {"conversations", "messages"})
            if (counts.contains(key) && counts[key].is_number_unsigned())
                total += counts[key].get<std::uint64_t>();
    }
    MergeProgress progress(hooks, total);
    MergeSummary summary;
    summary.shards = shards.size();
    gen::Sha256 records_sha, convs_sha, pcap_sha;
    summary.conversations = merge_csv(shards, "truth/conversations.csv", "id",
                                      tmp / "truth/conversations.csv", convs_sha, progress);
    const ExportsMerged exports = merge_exports(shards, tmp / "exports.pcap", pcap_sha,
                                                tmp / "truth/records.csv", records_sha, progress);
    summary.frames = exports.frames;
    summary.records = exports.records;
    // Neither happens with gen's shards: said, not hidden, if a shard was made otherwise.
    if (exports.unplaced)
        hooks.tell(
            std::to_string(exports.unplaced) +
            " truth rows outnumber the flow records of their shard's exports.pcap: written at the end of "
            "truth/records.csv");
    if (exports.misplaced)
        hooks.tell(std::to_string(exports.misplaced) +
                   " truth rows fell to a datagram of another exporter: truth/records.csv is not in the "
                   "datagrams' order");

    Json m = merged_manifest(shards);
    summary.exporters = m["exporters"].size();
    Json files = Json::object();
    const std::pair<const char*, gen::Sha256*> written[] = {{"exports.pcap", &pcap_sha},
                                                            {"truth/records.csv", &records_sha},
                                                            {"truth/conversations.csv", &convs_sha}};
    for (const auto& [name, sha] : written)
        files[name] = {{"bytes", fs::file_size(tmp / name)}, {"sha256", sha->hex()}};
    m["files"] = files;
    {
        std::ofstream out(tmp / "manifest.json", std::ios::binary);
        out << m.dump(2) << '\n';
        out.flush();
        if (!out)
            throw IoError("cannot write " + (tmp / "manifest.json").string() + ": " + std::strerror(errno));
    }
    hooks.check_cancel("merged every shard (not yet in place)");
    out_dir.commit();
    hooks.report({"merge", "entries", progress.done(), 1.0, progress.seconds(), {}});
    return summary;
}

}  // namespace flowlab::harness

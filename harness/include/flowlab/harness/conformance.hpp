/// @brief `flowlab conformance`: the decoder regression suite. Numbered cases (data files in
/// conformance/), each a short export script with faults and the RFC text it tests, run
/// against one implementation (a decoder that reads a capture, or a collector started fresh
/// per case), and a report card: per case its RFC reference and verdict, every failure with
/// what was sent and what came back. docs/conformance.md documents the case format and the card.
///
/// Errors: bad case files throw ConfigError (file, JSON pointer, reason); an implementation
/// that cannot be run at all (not installed) throws IoError; everything that goes wrong with
/// one case becomes that case's verdict.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/gen/export_script.hpp"
#include "flowlab/verify/collected.hpp"

namespace flowlab::harness {

/// Groups in card order.
inline constexpr const char* kGroups[] = {"templates", "encoding", "framing", "time", "sampling", "sequence", "robustness"};

struct Case {
    std::string id;        ///< "3.4": group number . case number
    std::string group;
    std::string title;
    std::string rfc;       ///< "RFC 7011 3.3.1" (the text the expectation comes from)
    std::string rule;      ///< the rule, paraphrased
    std::string motivation;  ///< decoder bugs it comes from
    bool informational = false;  ///< the RFC allows either outcome: keeping or losing is reported, not judged
    std::string file;
    gen::ExportScript script;
};

/// Loads case files: each path is a file or a directory searched recursively for *.json.
/// Throws ConfigError for a bad file (file, JSON pointer, reason), or for two files with one id.
std::vector<Case> load_cases(const std::vector<std::string>& paths);
Case parse_case(const nlohmann::ordered_json& doc, const std::string& file);
/// Where the shipped cases are: $FLOWLAB_CONFORMANCE, the source tree, the installed share dir.
std::vector<std::string> default_case_paths();

enum class Verdict : std::uint8_t { pass, fail, lost, crash, hang, informational, skipped };
std::string_view to_string(Verdict v) noexcept;
std::optional<Verdict> verdict_from_string(std::string_view s) noexcept;

/// One field that differs, or one record that should not be there / is missing.
struct Diff {
    std::string record;    ///< "message 2, set 2, record 1" or "unexpected"
    std::string field;     ///< column name; "record" for whole records
    std::string expected;
    std::string got;
};

struct CaseResult {
    std::string id, group, title, rfc, file;
    Verdict verdict = Verdict::pass;
    std::string detail;
    std::vector<Diff> diffs;
    std::vector<std::string> sent;  ///< one line per message sent: what it held and the faults done to it
    std::uint64_t expected = 0, kept = 0, lost = 0, may_lose_lost = 0, unexpected = 0, altered = 0;
    double seconds = 0;
};

/// What an implementation gave back for one case.
struct Observed {
    enum class Status : std::uint8_t { ok, crash, hang, unsupported };
    Status status = Status::ok;
    std::vector<core::FlowRecord> records;
    std::string log;  ///< the tool's last words (crash/hang detail)
    /// Fields the implementation outputs at all (others are not compared).
    core::FieldSet carried;
    /// Flow time resolution for NetFlow v5/v9 records and for IPFIX records.
    verify::TimeRule time_netflow, time_ipfix;
    /// The tool sums records whose stored fields are equal (pmacct's print plugin): a record
    /// sent twice may come back once with double counters.
    bool sums_equal_records = false;
    /// Fields not compared for one export version (what a collector deliberately does not store).
    std::map<std::uint8_t, core::FieldSet> drops;
};

class Implementation {
public:
    virtual ~Implementation() = default;
    virtual std::string name() const = 0;
    /// Why the implementation cannot run this case (transport, protocol), or nullopt.
    virtual std::optional<std::string> unsupported(const Case& c) const = 0;
    /// Runs one case in `workdir` (created, empty). Never throws for what the tool does.
    virtual Observed run(const Case& c, const std::string& workdir) = 0;
    /// True when cases may run at the same time (separate ports, separate processes).
    virtual bool parallel() const { return true; }
};

/// `--decoder flowlab|tshark|ipfixdump|"COMMAND LINE"`. A command line gets {pcap} (a capture
/// of the case), {ipfix} (its IPFIX messages back to back, RFC 5655), {port} and {out}; its
/// output (stdout, or {out} when named) is read with `format` (a verify reader: flowlab,
/// nfdump, pmacct, tshark, goflow2). `flowlab_program` is the flowlab binary to run.
std::unique_ptr<Implementation> make_decoder(const std::string& spec, const std::string& format,
                                             const std::string& flowlab_program);
/// `--collector nfcapd|nfacctd|FILE.json`: each case against a fresh collector on a free port.
std::unique_ptr<Implementation> make_collector(const std::string& profile);

/// Compares what an implementation gave back with the case's truth.
CaseResult judge(const Case& c, const Observed& o);

struct RunOptions {
    unsigned jobs = 1;               ///< cases at once (implementations that allow it)
    std::string workdir;             ///< kept when non-empty; else a temporary directory, removed
    std::function<void(const CaseResult&)> on_result;  ///< progress
    const std::atomic<bool>* stop = nullptr;
};

struct Card {
    std::string implementation;
    std::string suite = "flowlab conformance";
    std::string version;  ///< flowlab version that ran it
    std::vector<CaseResult> cases;  ///< in case order
    std::map<Verdict, std::uint64_t> summary() const;
    bool any(Verdict v) const;
};

Card run_suite(const std::vector<Case>& cases, Implementation& impl, const RunOptions& options);

/// Report card renderings. JSON is the format report/ renders as HTML (docs/conformance.md).
std::string card_text(const Card& card, bool failures_only_detail = true);
nlohmann::json card_json(const Card& card);
std::string card_junit(const Card& card);
std::string card_html(const Card& card);
/// Reads a card written by card_json. Throws InputError/ConfigError naming the file.
Card read_card_json(const std::string& path);

/// What changed since `baseline`: cases whose verdict differs (new failures, fixes, new cases).
struct Change {
    std::string id, title;
    std::optional<Verdict> before, after;
    bool regression = false;  ///< pass/informational/skipped/new -> fail/lost/crash/hang
};
std::vector<Change> compare_cards(const Card& baseline, const Card& now);
std::string changes_text(const std::vector<Change>& changes);

}  // namespace flowlab::harness

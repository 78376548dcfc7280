/// @brief Collected-output formats: names, traits, `TOOL:PATH` parsing, detection and opening.
#include "flowlab/verify/collected.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

#include "flowlab/core/error.hpp"
#include "readers/readers.hpp"

namespace flowlab::verify {

using core::Field;
using core::FieldSet;

std::string_view tool_name(Tool t) noexcept {
    switch (t) {
        case Tool::flowlab: return "flowlab";
        case Tool::nfdump: return "nfdump";
        case Tool::pmacct: return "pmacct";
        case Tool::tshark: return "tshark";
        case Tool::goflow2: return "goflow2";
    }
    return "?";
}

std::optional<Tool> tool_from_name(std::string_view name) noexcept {
    for (Tool t : {Tool::flowlab, Tool::nfdump, Tool::pmacct, Tool::tshark, Tool::goflow2})
        if (tool_name(t) == name) return t;
    if (name == "nfacctd") return Tool::pmacct;
    if (name == "nfcapd") return Tool::nfdump;
    return std::nullopt;
}

std::string_view format_name(CollectedFormat f) noexcept {
    switch (f) {
        case CollectedFormat::flowlab_csv: return "flowlab CSV";
        case CollectedFormat::flowlab_jsonl: return "flowlab JSON lines";
        case CollectedFormat::nfdump_json: return "nfdump -o json";
        case CollectedFormat::nfdump_csv: return "nfdump -o csv";
        case CollectedFormat::nfdump_pipe: return "nfdump -o pipe";
        case CollectedFormat::pmacct_csv: return "pmacct print CSV";
        case CollectedFormat::pmacct_json: return "pmacct print JSON";
        case CollectedFormat::tshark_json: return "tshark -T json (cflow)";
        case CollectedFormat::goflow2_json: return "goflow2 JSON";
    }
    return "?";
}

Tool tool_of(CollectedFormat f) noexcept {
    switch (f) {
        case CollectedFormat::flowlab_csv:
        case CollectedFormat::flowlab_jsonl: return Tool::flowlab;
        case CollectedFormat::nfdump_json:
        case CollectedFormat::nfdump_csv:
        case CollectedFormat::nfdump_pipe: return Tool::nfdump;
        case CollectedFormat::pmacct_csv:
        case CollectedFormat::pmacct_json: return Tool::pmacct;
        case CollectedFormat::tshark_json: return Tool::tshark;
        case CollectedFormat::goflow2_json: return Tool::goflow2;
    }
    return Tool::flowlab;
}

bool TimeRule::accepts(std::int64_t truth, std::int64_t collected) const noexcept {
    return distance(truth, collected) == 0;
}

std::int64_t TimeRule::distance(std::int64_t truth, std::int64_t collected) const noexcept {
    const std::int64_t g = granularity_ms > 0 ? granularity_ms : 1;
    std::int64_t q = truth / g * g;
    if (truth < 0 && q != truth) q -= g;
    const std::int64_t d = collected > q ? collected - q : q - collected;
    return d > slack_ms ? d - slack_ms : 0;
}

ReaderTraits traits_of(CollectedFormat format) {
    ReaderTraits t;
    t.format = format;
    const FieldSet flow_fields{Field::src,     Field::dst,     Field::sport,   Field::dport,    Field::proto,
                               Field::tos,     Field::tcp_flags, Field::packets, Field::bytes,  Field::first_ms,
                               Field::last_ms, Field::in_if,   Field::out_if,  Field::src_as,   Field::dst_as,
                               Field::src_mask, Field::dst_mask};
    switch (format) {
        case CollectedFormat::flowlab_csv:
        case CollectedFormat::flowlab_jsonl:
            t.carried = FieldSet::all();
            t.note = "flowlab's own decoder output: every field, exact";
            break;
        case CollectedFormat::nfdump_json:
            t.carried = flow_fields | FieldSet{Field::exporter,   Field::next_hop,   Field::icmp_type, Field::icmp_code,
                                               Field::tunnel_src, Field::tunnel_dst, Field::vrf_in_id, Field::vrf_out_id};
            t.scales_sampling_versions = 1u << 5;
            t.note = "nfdump: times in ms; multiplies v5 packets/bytes by the exporter's sampling rate; "
                     "no domain, version, sequence or template";
            break;
        case CollectedFormat::nfdump_csv:
            // ICMP type/code travel in the destination port.
            t.carried = flow_fields | FieldSet{Field::exporter, Field::next_hop, Field::icmp_type, Field::icmp_code};
            t.flow_time = t.flow_time_ipfix = TimeRule{1000, 0};
            t.scales_sampling_versions = 1u << 5;
            t.note = "nfdump -o csv: start/end in whole seconds (truncated), ICMP type/code in the destination "
                     "port; multiplies v5 packets/bytes by the exporter's sampling rate";
            break;
        case CollectedFormat::nfdump_pipe:
            t.carried = (flow_fields - FieldSet{Field::src_mask, Field::dst_mask}) | FieldSet{Field::icmp_type, Field::icmp_code};
            t.scales_sampling_versions = 1u << 5;
            t.note = "nfdump -o pipe: times in ms, no exporter; multiplies v5 packets/bytes by the exporter's "
                     "sampling rate";
            break;
        case CollectedFormat::pmacct_csv:
        case CollectedFormat::pmacct_json:
            t.carried = flow_fields | FieldSet{Field::exporter, Field::domain,    Field::sampling_interval, Field::version,
                                               Field::sequence, Field::export_ms, Field::icmp_type,         Field::icmp_code,
                                               Field::tunnel_src, Field::tunnel_dst};
            t.flow_time = TimeRule{1, 999};
            t.export_time = TimeRule{1000, 0};
            t.sums_equal_records = true;
            t.note = "pmacct: only the aggregate keys are stored; records with equal keys are summed; v5/v9 "
                     "start/end are whole seconds (up to 999 ms off), IPFIX exact";
            break;
        case CollectedFormat::tshark_json:
            t.carried = FieldSet::all();
            t.note = "tshark: v5/v9 times from sysUpTime and the header clock; exporter only if the ip layer "
                     "is in the output (-J \"ip ipv6 cflow\")";
            break;
        case CollectedFormat::goflow2_json:
            t.carried = flow_fields | FieldSet{Field::exporter, Field::domain, Field::next_hop, Field::icmp_type,
                                               Field::icmp_code, Field::sampling_interval, Field::version,
                                               Field::sequence};
            t.note = "goflow2: times in ns, counters as sent (sampling_rate reported separately)";
            break;
    }
    return t;
}

CollectedSpec parse_collected_spec(std::string_view text) {
    CollectedSpec spec;
    const std::size_t colon = text.find(':');
    if (colon != std::string_view::npos && colon > 1) {
        const std::string_view name = text.substr(0, colon);
        if (auto t = tool_from_name(name)) {
            spec.tool = t;
            spec.path = std::string(text.substr(colon + 1));
            if (spec.path.empty()) throw UsageError("--collected " + std::string(text) + ": no path after the tool name");
            return spec;
        }
        // Not a tool: a path with a colon is fine if it exists, otherwise name the choices.
        struct stat st;
        if (::stat(std::string(text).c_str(), &st) != 0)
            throw UsageError("--collected " + std::string(text) + ": unknown tool '" + std::string(name) +
                             "' (expected flowlab, nfdump, pmacct, tshark or goflow2, or a path)");
    }
    spec.path = std::string(text);
    return spec;
}

static bool contains(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

static std::string_view first_line(std::string_view s) {
    const std::size_t nl = s.find('\n');
    std::string_view l = s.substr(0, nl);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    return l;
}

static bool all_flowlab_columns(std::string_view header) {
    std::size_t pos = 0;
    std::size_t n = 0;
    while (pos <= header.size()) {
        const std::size_t comma = header.find(',', pos);
        const std::string_view name = header.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        if (!core::field_from_name(name)) return false;
        ++n;
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return n >= 2;
}

static bool pmacct_header(std::string_view header) {
    if (header.empty()) return false;
    for (char c : header)
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ',')) return false;
    return contains(header, "PACKETS") || contains(header, "BYTES") || contains(header, "SRC_IP");
}

static bool nfdump_pipe_line(std::string_view line) {
    if (!(line.substr(0, 2) == "2|" || line.substr(0, 3) == "10|")) return false;
    return std::count(line.begin(), line.end(), '|') == 21;
}

std::optional<CollectedFormat> detect_format(std::string_view head, std::optional<Tool> tool) {
    std::size_t p = 0;
    if (head.substr(0, 3) == "\xEF\xBB\xBF") p = 3;
    while (p < head.size() && (head[p] == ' ' || head[p] == '\n' || head[p] == '\r' || head[p] == '\t')) ++p;
    head = head.substr(p);
    if (head.empty()) return std::nullopt;
    std::optional<CollectedFormat> f;
    if (head[0] == '[') {
        std::size_t q = 1;
        while (q < head.size() && (head[q] == ' ' || head[q] == '\n' || head[q] == '\r' || head[q] == '\t')) ++q;
        const std::string_view rest = head.substr(q);
        if (rest.substr(0, 17) == "No matching flows" || contains(rest.substr(0, 400), "\"export_sysid\"") ||
            (contains(rest.substr(0, 200), "\"type\"") && contains(rest.substr(0, 200), "\"FLOW\"")))
            f = CollectedFormat::nfdump_json;
        else if (contains(rest.substr(0, 200), "\"_index\"") || contains(rest.substr(0, 200), "\"_source\""))
            f = CollectedFormat::tshark_json;
    } else if (head[0] == '{') {
        const std::string_view line = first_line(head);
        if (contains(line, "\"event_type\"") || contains(line, "\"ip_src\"") || contains(line, "\"port_src\"") ||
            contains(line, "\"peer_ip_src\""))
            f = CollectedFormat::pmacct_json;
        else if (contains(line, "\"sampler_address\"") || contains(line, "\"time_received_ns\"") ||
                 contains(line, "\"time_flow_start_ns\"") || contains(line, "\"SamplerAddress\"") ||
                 contains(line, "\"TimeReceived\"") || contains(line, "\"SrcAddr\""))
            f = CollectedFormat::goflow2_json;
        else if (contains(line, "\"src\"") || contains(line, "\"first_ms\"") || contains(line, "\"exporter\""))
            f = CollectedFormat::flowlab_jsonl;
    } else {
        const std::string_view line = first_line(head);
        if (line.substr(0, 15) == "ts,te,td,sa,da,") f = CollectedFormat::nfdump_csv;
        else if (line == "No matching flows") f = CollectedFormat::nfdump_pipe;
        else if (nfdump_pipe_line(line)) f = CollectedFormat::nfdump_pipe;
        else if (all_flowlab_columns(line)) f = CollectedFormat::flowlab_csv;
        else if (pmacct_header(line)) f = CollectedFormat::pmacct_csv;
    }
    if (f && tool && tool_of(*f) != *tool) return std::nullopt;
    return f;
}

static std::string expected_for(Tool t) {
    switch (t) {
        case Tool::flowlab: return "a flowlab CSV header (exporter,domain,src,...) or JSON lines with its field names";
        case Tool::nfdump: return "nfdump -o json, -o csv (header ts,te,td,sa,da,...) or -q -o pipe output";
        case Tool::pmacct: return "pmacct print plugin CSV (header SRC_IP,...) or JSON lines (ip_src, ...)";
        case Tool::tshark: return "tshark -T json output (an array of packets with _source.layers.cflow)";
        case Tool::goflow2: return "goflow2 JSON lines (sampler_address, time_flow_start_ns, ...)";
    }
    return "";
}

static std::unique_ptr<CollectedReader> make_reader(CollectedFormat f, detail::InputStream in, std::string source) {
    using namespace detail;
    switch (f) {
        case CollectedFormat::flowlab_csv: return make_flowlab_csv_reader(std::move(in), std::move(source));
        case CollectedFormat::flowlab_jsonl: return make_flowlab_jsonl_reader(std::move(in), std::move(source));
        case CollectedFormat::nfdump_json: return make_nfdump_json_reader(std::move(in), std::move(source));
        case CollectedFormat::nfdump_csv: return make_nfdump_csv_reader(std::move(in), std::move(source));
        case CollectedFormat::nfdump_pipe: return make_nfdump_pipe_reader(std::move(in), std::move(source));
        case CollectedFormat::pmacct_csv: return make_pmacct_csv_reader(std::move(in), std::move(source));
        case CollectedFormat::pmacct_json: return make_pmacct_json_reader(std::move(in), std::move(source));
        case CollectedFormat::tshark_json: return make_tshark_json_reader(std::move(in), std::move(source));
        case CollectedFormat::goflow2_json: return make_goflow2_json_reader(std::move(in), std::move(source));
    }
    return nullptr;
}

namespace {
/// The reader of an empty file: no records, and whatever the named tool carries.
class EmptyReader final : public CollectedReader {
public:
    EmptyReader(ReaderTraits t, std::string source) : CollectedReader(std::move(t), std::move(source)) {}
    bool next(core::FlowRecord&) override { return false; }
    std::uint64_t place() const noexcept override { return 0; }
};

CollectedFormat default_format(Tool t) {
    switch (t) {
        case Tool::flowlab: return CollectedFormat::flowlab_csv;
        case Tool::nfdump: return CollectedFormat::nfdump_json;
        case Tool::pmacct: return CollectedFormat::pmacct_json;
        case Tool::tshark: return CollectedFormat::tshark_json;
        case Tool::goflow2: return CollectedFormat::goflow2_json;
    }
    return CollectedFormat::flowlab_csv;
}
}  // namespace

namespace {
/// A reader of a child's output whose end also checks the child (exit status, stderr), even
/// when the reader stops before the output's end.
class ChildCheckedReader : public CollectedReader {
public:
    ChildCheckedReader(std::unique_ptr<CollectedReader> inner, std::shared_ptr<detail::ChildProcess> child)
        : CollectedReader(inner->traits(), inner->source()), inner_(std::move(inner)), child_(std::move(child)) {}
    bool next(core::FlowRecord& r) override {
        if (inner_->next(r)) return true;
        child_->finish();
        return false;
    }
    std::uint64_t place() const noexcept override { return inner_->place(); }

private:
    std::unique_ptr<CollectedReader> inner_;
    std::shared_ptr<detail::ChildProcess> child_;
};
}  // namespace

std::unique_ptr<CollectedReader> open_collected(const CollectedSpec& spec) {
    struct stat st;
    const bool is_dir = spec.path != "-" && ::stat(spec.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (is_dir) {
        if (spec.tool && *spec.tool != Tool::nfdump)
            throw UsageError("--collected " + std::string(tool_name(*spec.tool)) + ":" + spec.path +
                             ": a directory is read as nfdump files (nfdump:DIR); name a file for " +
                             std::string(tool_name(*spec.tool)));
        // nfdump prints local time: TZ=UTC makes its times UTC, which the reader assumes.
        auto in = detail::InputStream::open_process({spec.nfdump_program, "-R", spec.path, "-o", "json"}, {"TZ=UTC"},
                                                    spec.path, spec.tool_log);
        in.set_cancel(spec.cancel);
        auto child = in.child();
        return std::make_unique<ChildCheckedReader>(detail::make_nfdump_json_reader(std::move(in), spec.path),
                                                    std::move(child));
    }
    auto in = detail::InputStream::open_file(spec.path);
    in.set_cancel(spec.cancel);
    const std::string source = spec.path == "-" ? std::string("standard input") : spec.path;
    // Read ahead enough to see a header line or the first JSON object, then give it back.
    std::string head;
    head.resize(65536);
    std::size_t got = 0;
    while (got < head.size()) {
        const std::size_t n = in.read(head.data() + got, head.size() - got);
        if (n == 0) break;
        got += n;
        if (head.find('\n') < got && got >= 4096) break;
    }
    head.resize(got);
    const bool blank = std::all_of(head.begin(), head.end(), [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; });
    if (blank) {
        if (!spec.tool)
            throw UsageError(source + ": the file is empty, so its format cannot be detected; name the tool "
                                      "(e.g. --collected pmacct:" + spec.path + ")");
        return std::make_unique<EmptyReader>(traits_of(default_format(*spec.tool)), source);
    }
    const auto format = detect_format(head, spec.tool);
    if (!format && first_line(head).find("{\"index\"") == 0 && first_line(head).find("\"_index\"") != std::string_view::npos)
        throw UsageError(source + ": this is tshark -T ek output, which merges the records of a packet field by field; "
                                  "run tshark with -T json instead (see the tshark reader)");
    if (!format) {
        if (spec.tool)
            throw InputError(source, detail::line_place(1),
                             "not " + std::string(tool_name(*spec.tool)) + " output: expected " + expected_for(*spec.tool));
        throw UsageError(source + ": cannot tell which tool wrote this; name it: --collected TOOL:" + spec.path +
                         " with TOOL one of flowlab, nfdump, pmacct, tshark, goflow2");
    }
    in.unread(std::move(head));
    return make_reader(*format, std::move(in), source);
}

}  // namespace flowlab::verify

/// @brief `flowlab decode`: the reference decoder over a capture file.
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "commands.hpp"
#include "console.hpp"
#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/batch_pipe.hpp"
#include "flowlab/core/data_dirs.hpp"
#include "flowlab/core/decoder.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"

namespace flowlab::app {
namespace {

struct DecodeOptions {
    std::string input;
    std::optional<std::uint16_t> port;
    std::string format = "csv";
    std::string output = "-";
    bool keep_extra = false;
    bool no_elements = false;
    bool options = false;
    std::vector<std::string> registries;
    std::size_t show_errors = 5;
};

/// decode --options: options data records as rows, one column per element name in the order
/// names first appear (repeated elements joined with '|' in CSV; every occurrence in JSON).
class OptionsOutput {
public:
    OptionsOutput(core::RecordWriter& writer, bool jsonl) : writer_(writer), jsonl_(jsonl) {}

    void add(const core::OptionsRecordView& o) {
        const core::ElementLayout& layout = *o.record.layout;
        Row row;
        row.cells = {o.exporter.to_string(), std::to_string(o.domain), std::to_string(static_cast<int>(layout.protocol)),
                     std::to_string(o.sequence), std::to_string(layout.template_id), std::to_string(o.export_ms)};
        std::string json;
        if (jsonl_) {
            json = "{\"exporter\":\"" + row.cells[0] + "\",\"domain\":" + row.cells[1] + ",\"version\":" + row.cells[2] +
                   ",\"sequence\":" + row.cells[3] + ",\"template_id\":" + row.cells[4] + ",\"export_ms\":" +
                   row.cells[5] + ",\"scope_count\":" + std::to_string(layout.scope_count) + ",\"elements\":[";
            core::append_elements_json(json, o.record);
            json += "]}\n";
            writer_.write_text(json);
            ++written_;
            return;
        }
        row.cells.resize(kFixed);
        core::for_each_element(o.record, [&](std::size_t i, const core::FieldSpec& spec, const core::IeInfo* info,
                                             std::span<const std::uint8_t> v) {
            const bool v9_scope = layout.protocol == core::Protocol::v9 && i < layout.scope_count;
            const std::string name = core::element_name(spec, v9_scope ? nullptr : info, v9_scope);
            std::string text;
            bool quoted = false;
            if (v9_scope && !v.empty() && v.size() <= 8) text = std::to_string(core::load_be_n(v.data(), v.size()));
            else core::element_text(spec, v9_scope ? nullptr : info, v, text, quoted, layout.netscaler_micro);
            auto [it, fresh] = columns_.try_emplace(name, order_.size() + kFixed);
            if (fresh) order_.push_back(name);
            if (row.cells.size() <= it->second) row.cells.resize(it->second + 1);
            std::string& cell = row.cells[it->second];
            if (!cell.empty()) cell += '|';
            cell += text;
        });
        rows_.push_back(std::move(row));
    }

    /// CSV: writes the header (now that every column is known) and the rows.
    void finish() {
        if (jsonl_) return;
        std::string line = "exporter,domain,version,sequence,template_id,export_ms";
        for (const auto& n : order_) {
            line += ',';
            core::append_csv_cell(line, n);
        }
        line += '\n';
        writer_.write_text(line);
        for (const Row& r : rows_) {
            line.clear();
            for (std::size_t i = 0; i < kFixed + order_.size(); ++i) {
                if (i) line += ',';
                if (i < r.cells.size()) core::append_csv_cell(line, r.cells[i]);
            }
            line += '\n';
            writer_.write_text(line);
            ++written_;
        }
    }
    std::uint64_t written() const noexcept { return written_; }

private:
    static constexpr std::size_t kFixed = 6;
    struct Row {
        std::vector<std::string> cells;
    };
    core::RecordWriter& writer_;
    bool jsonl_;
    std::vector<Row> rows_;
    std::unordered_map<std::string, std::size_t> columns_;
    std::vector<std::string> order_;
    std::uint64_t written_ = 0;
};

/// Decoded records on their way to the CSV writer thread.
struct RecordBatch {
    static constexpr std::size_t kRecords = 4096;
    std::vector<core::FlowRecord> records;
    void clear() { records.clear(); }
};

int run_decode(const DecodeOptions& o) {
    core::PcapReader reader(o.input);
    std::unique_ptr<core::AtomicFile> file;
    std::FILE* out = stdout;
    if (o.output != "-") {
        file = std::make_unique<core::AtomicFile>(o.output);
        out = file->get();
    }
    const auto format = o.format == "jsonl" ? core::RecordFormat::jsonl : core::RecordFormat::csv;
    core::RecordWriter writer(out, format, o.output == "-" ? "standard output" : o.output);
    if (!o.options) writer.begin();

    // Built-in registries, then FLOWLAB_REGISTRY's files (as in standard()), then --registry.
    std::unique_ptr<core::Registry> registry;
    if (!o.registries.empty()) {
        registry = core::Registry::builtin();
        for (const auto& path : core::user_data().registry_files) registry->load_path(path);
        for (const auto& path : o.registries) registry->load_path(path);
    }
    core::DecoderOptions dopts;
    dopts.keep_extra = o.keep_extra;
    dopts.max_error_messages = o.show_errors;
    dopts.registry = registry.get();
    core::Decoder decoder(dopts);
    const bool jsonl = format == core::RecordFormat::jsonl;
    OptionsOutput options_out(writer, jsonl);
    if (o.options) decoder.set_options_sink([&](const core::OptionsRecordView& v) { options_out.add(v); });
    core::UdpDatagram dg;
    std::vector<core::FlowRecord> records;
    std::vector<core::RecordView> views;
    std::uint64_t skipped_port = 0;
    const CancelToken& stop = stop_token();
    // CSV rows are formatted and written on a second thread while this one decodes: writing
    // CSV is about half of decode's CPU time (bench/README-decode.md), so on two cores the
    // whole process takes little more than the decoding. JSON lines stay on this thread: their
    // element lists point into the current datagram and the decoder's templates.
    std::optional<core::BatchPipe<RecordBatch>> csv_pipe;
    if (!jsonl && !o.options)
        csv_pipe.emplace([&writer](RecordBatch& b) {
            for (const auto& r : b.records) writer.write(r);
        });
    while (reader.next_udp(dg)) {
        if (stop.cancelled())
            throw Interrupted(stop.signal(), "after " + std::to_string(dg.number) + " packets of " + o.input +
                                                 (file ? "; " + o.output + " was not written" : std::string()));
        if (o.port && dg.dport != *o.port) {
            ++skipped_port;
            continue;
        }
        const core::ExportDatagram datagram{dg.payload, dg.src, dg.sport, dg.number};
        if (csv_pipe) {
            std::vector<core::FlowRecord>& batch = csv_pipe->current().records;
            decoder.decode(datagram, batch, nullptr);
            if (batch.size() >= RecordBatch::kRecords) csv_pipe->submit();
            continue;
        }
        records.clear();
        views.clear();
        decoder.decode(datagram, records, jsonl && !o.options && !o.no_elements ? &views : nullptr);
        if (o.options) continue;
        if (jsonl && !o.no_elements) {
            for (std::size_t i = 0; i < records.size(); ++i) writer.write(records[i], &views[i]);
        } else {
            for (const auto& r : records) writer.write(r);
        }
    }
    if (csv_pipe) csv_pipe->finish();
    if (o.options) options_out.finish();
    writer.flush();
    if (file) file->commit();

    const auto& ps = reader.stats();
    std::string pcap_note;
    auto note = [&](std::uint64_t n, const char* what) {
        if (n) pcap_note += ", " + std::to_string(n) + " " + what;
    };
    note(ps.not_ip, "non-IP frames");
    note(ps.not_udp, "non-UDP packets");
    note(ps.fragments, "IP fragments skipped");
    note(ps.truncated, "truncated frames");
    note(skipped_port, "datagrams to other ports");
    fmt::print(stderr, "flowlab decode: {}: {} frames{}; {}\n", o.input, ps.frames, pcap_note,
               decoder.summary());
    if (o.options) fmt::print(stderr, "  {} options records written\n", options_out.written());
    for (const auto& line : decoder.options_report()) fmt::print(stderr, "  {}\n", line);
    for (const auto& e : decoder.errors())
        fmt::print(stderr, "  {}: packet {}, byte {}: {}: {}\n", o.input, e.packet, e.offset,
                   std::string(core::decode_error_name(e.kind)), e.message);
    if (decoder.stats().error_total() > decoder.errors().size())
        fmt::print(stderr, "  ({} more errors not shown; --show-errors N shows more)\n",
                   decoder.stats().error_total() - decoder.errors().size());
    return 0;
}

}  // namespace

void add_decode_command(CLI::App& root, Action& action) {
    auto o = std::make_shared<DecodeOptions>();
    CLI::App* cmd = root.add_subcommand(
        "decode",
        "Decode every NetFlow v5/v9/IPFIX export in a capture (pcap or pcapng; Ethernet, Linux cooked,\n"
        "raw IP or loopback) and print the records in flowlab's CSV or JSON-lines vocabulary.\n"
        "Malformed exports are counted and described on stderr; decoding goes on.");
    cmd->add_option("pcap", o->input, "capture file to decode (- for standard input)")->required();
    cmd->add_option("--port", o->port, "only datagrams sent to this UDP port (default: every UDP datagram)")
        ->check(CLI::Range(1, 65535));
    cmd->add_option("-f,--format", o->format, "output format")
        ->check(CLI::IsMember({"csv", "jsonl"}))
        ->capture_default_str();
    cmd->add_option("-o,--output", o->output, "output file (written atomically; default standard output)");
    cmd->add_flag("--keep-extra", o->keep_extra,
                  "also keep elements flowlab does not model as \"extra\" (raw hex) in JSON lines; every element is\n"
                  "shown by name under \"elements\" in JSON lines anyway");
    cmd->add_flag("--no-elements", o->no_elements,
                  "JSON lines without \"elements\": the records (and with --keep-extra their \"extra\") as\n"
                  "`gen --truth-jsonl` writes truth/records.jsonl, to compare line by line");
    cmd->add_flag("--options", o->options,
                  "write the options data records (sampler, interface, VRF tables, exporter statistics) instead of\n"
                  "the flow records: one row per options record, one column per element name");
    cmd->add_option("--registry", o->registries,
                    "extra information-element registry file or directory of *.ies files (repeatable; also\n"
                    "FLOWLAB_REGISTRY=path:path); later definitions override the built-in ones")
        ->check(CLI::ExistingPath);
    cmd->add_option("--show-errors", o->show_errors, "how many malformed-export descriptions to print")
        ->capture_default_str();
    cmd->callback([o, &action] { action = [o] { return run_decode(*o); }; });
}

}  // namespace flowlab::app

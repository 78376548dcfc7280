/// @brief `flowlab decode`: the reference decoder over a capture file.
#include <cstdio>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "flowlab/core/atomic_file.hpp"
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
    std::size_t show_errors = 5;
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
    writer.begin();

    core::DecoderOptions dopts;
    dopts.keep_extra = o.keep_extra;
    dopts.max_error_messages = o.show_errors;
    core::Decoder decoder(dopts);
    core::UdpDatagram dg;
    std::vector<core::FlowRecord> records;
    std::uint64_t skipped_port = 0;
    while (reader.next_udp(dg)) {
        if (o.port && dg.dport != *o.port) {
            ++skipped_port;
            continue;
        }
        records.clear();
        decoder.decode(core::ExportDatagram{dg.payload, dg.src, dg.sport, dg.number}, records);
        for (const auto& r : records) writer.write(r);
    }
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
    std::fprintf(stderr, "flowlab decode: %s: %llu frames%s; %s\n", o.input.c_str(),
                 static_cast<unsigned long long>(ps.frames), pcap_note.c_str(), decoder.summary().c_str());
    for (const auto& e : decoder.errors())
        std::fprintf(stderr, "  %s: packet %llu, byte %zu: %s: %s\n", o.input.c_str(),
                     static_cast<unsigned long long>(e.packet), e.offset,
                     std::string(core::decode_error_name(e.kind)).c_str(), e.message.c_str());
    if (decoder.stats().error_total() > decoder.errors().size())
        std::fprintf(stderr, "  (%llu more errors not shown; --show-errors N shows more)\n",
                     static_cast<unsigned long long>(decoder.stats().error_total() - decoder.errors().size()));
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
                  "keep elements flowlab does not model (enterprise, strings) as \"extra\" in JSON lines");
    cmd->add_option("--show-errors", o->show_errors, "how many malformed-export descriptions to print")
        ->capture_default_str();
    cmd->callback([o, &action] { action = [o] { return run_decode(*o); }; });
}

}  // namespace flowlab::app

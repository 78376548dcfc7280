/// @brief The gen pipeline: traffic source -> flow caches -> packetizers -> files.
#include "flowlab/gen/gen_run.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <thread>
#include <tuple>

#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/batch_pipe.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/excerpt.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab/core/version.hpp"
#include "flowlab/gen/answer_key.hpp"
#include "flowlab/gen/conversation_pump.hpp"
#include "flowlab/gen/faults.hpp"
#include "flowlab/gen/packet_writer.hpp"
#include "flowlab/gen/run_check.hpp"
#include "flowlab/gen/sha256.hpp"
#include "dialect_internal.hpp"

namespace flowlab::gen {
namespace fs = std::filesystem;
namespace {

core::Protocol to_core(ExportProtocol p) {
    switch (p) {
        case ExportProtocol::v5: return core::Protocol::v5;
        case ExportProtocol::v9: return core::Protocol::v9;
        case ExportProtocol::ipfix: return core::Protocol::ipfix;
    }
    return core::Protocol::ipfix;
}

core::TimeStyle to_core(TimeStyle t) {
    switch (t) {
        case TimeStyle::uptime: return core::TimeStyle::uptime;
        case TimeStyle::seconds: return core::TimeStyle::seconds;
        case TimeStyle::milliseconds: return core::TimeStyle::milliseconds;
        case TimeStyle::microseconds: return core::TimeStyle::microseconds;
        case TimeStyle::nanoseconds: return core::TimeStyle::nanoseconds;
    }
    return core::TimeStyle::milliseconds;
}

/// What truth/conversations.csv says of a conversation (its bursts summed up).
struct ConversationRow {
    std::uint64_t id = 0;
    std::uint32_t activity = 0;
    ConversationKey key;
    std::uint8_t tcp_flags = 0;
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
    std::int64_t first_us = 0;
    std::int64_t last_us = 0;
    static ConversationRow of(const Conversation& c) {
        return {c.id, c.activity, c.key, c.tcp_flags(), c.packets(), c.bytes(), c.start_us(), c.end_us()};
    }
};

/// truth/conversations.csv (and truth/packet-conversations.csv), formatted by hand like core's
/// RecordWriter (millions of rows).
class ConversationWriter {
public:
    ConversationWriter(std::FILE* out, Sha256& hash, std::string name)
        : out_(out), hash_(hash), name_(std::move(name)) {
        buf_.resize(1 << 20);
        const std::string_view header = kConversationCsvHeader;
        std::copy(header.begin(), header.end(), buf_.data());
        buf_[header.size()] = '\n';
        used_ = header.size() + 1;
    }
    void write(const ConversationRow& c) {
        if (buf_.size() - used_ < 512) spill();
        char* p = buf_.data() + used_;
        auto num = [&](std::uint64_t v) { p = std::to_chars(p, p + 24, v).ptr; };
        auto snum = [&](std::int64_t v) { p = std::to_chars(p, p + 24, v).ptr; };
        num(c.id);
        *p++ = ',';
        p += c.key.src.format(p);
        *p++ = ',';
        p += c.key.dst.format(p);
        *p++ = ',';
        num(c.key.sport);
        *p++ = ',';
        num(c.key.dport);
        *p++ = ',';
        num(c.key.proto);
        *p++ = ',';
        num(c.key.tos);
        *p++ = ',';
        num(c.key.proto == 6 ? c.tcp_flags : 0);
        *p++ = ',';
        num(c.packets);
        *p++ = ',';
        num(c.bytes);
        *p++ = ',';
        snum(floor_div(c.first_us, 1000));
        *p++ = ',';
        snum(floor_div(c.last_us, 1000));
        *p++ = '\n';
        used_ = static_cast<std::size_t>(p - buf_.data());
    }
    void flush() { spill(); }

private:
    void spill() {
        if (used_ && std::fwrite(buf_.data(), 1, used_, out_) != used_)
            throw IoError("cannot write " + name_ + ": " + std::strerror(errno));
        hash_.update(buf_.data(), used_);
        used_ = 0;
    }
    std::FILE* out_;
    Sha256& hash_;
    std::string name_;
    std::vector<char> buf_;
    std::size_t used_ = 0;
};

struct FileCloser {
    void operator()(std::FILE* f) const noexcept {
        if (f) std::fclose(f);
    }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

File open_file(const fs::path& p) {
    File f(std::fopen(p.c_str(), "wb"));
    if (!f) throw IoError("cannot create " + p.string() + ": " + std::strerror(errno));
    return f;
}

void close_file(File& f, const fs::path& p) {
    std::FILE* raw = f.release();
    if (std::fflush(raw) != 0 || std::ferror(raw)) {
        std::fclose(raw);
        throw IoError("cannot write " + p.string() + ": " + std::strerror(errno));
    }
    if (std::fclose(raw) != 0) throw IoError("cannot close " + p.string() + ": " + std::strerror(errno));
}

/// Formats and writes the outputs on a second thread while the main thread generates, meters
/// and encodes: on two cores this nearly halves the wall time of a large run. Work moves in
/// batches of a few thousand records; buffers are recycled; order within each file is kept,
/// so the files stay byte-identical to a single-threaded run.
class OutputThread {
public:
    /// `packets` (optional) receives the admitted part of each conversation; `packet_rows`
    /// (optional) the truth rows of what packets.pcap holds when a budget cuts it.
    OutputThread(core::PcapWriter& pcap, core::RecordWriter& records, ConversationWriter& convs,
                 std::vector<core::UdpEndpoint> sources, core::UdpEndpoint collector, PacketStream* packets = nullptr,
                 ConversationWriter* packet_rows = nullptr, core::RecordWriter* records_jsonl = nullptr)
        : pcap_(pcap), records_(records), convs_(convs), packets_(packets), packet_rows_(packet_rows), records_jsonl_(records_jsonl),
          sources_(std::move(sources)), ip_ids_(sources_.size(), 0), collector_(collector),
          pipe_([this](Batch& b) { write(b); }) {}
    OutputThread(const OutputThread&) = delete;
    OutputThread& operator=(const OutputThread&) = delete;

    void conversation(const Conversation& c) {
        pipe_.current().convs.push_back(ConversationRow::of(c));
        maybe_submit();
    }
    /// The first `packets` packets of `c` go into packets.pcap; `row` is their truth when a
    /// budget applies.
    void packets(const Conversation& c, std::uint64_t packets, const ConversationRow* row) {
        Batch& b = pipe_.current();
        if (b.npackets == b.packet_convs.size()) b.packet_convs.emplace_back();
        Conversation& copy = b.packet_convs[b.npackets++];
        copy.id = c.id;
        copy.activity = c.activity;
        copy.key = c.key;
        copy.bursts.assign(c.bursts.begin(), c.bursts.end());  // reuses the recycled batch's capacity
        b.packet_limits.push_back(packets);
        if (row) b.packet_rows.push_back(*row);
        maybe_submit();
    }
    void message(std::size_t exporter, const core::EncodedMessage& m) {
        Batch& b = pipe_.current();
        b.msgs.push_back({exporter, m.export_ns, b.bytes.size(), m.bytes.size()});
        b.bytes.insert(b.bytes.end(), m.bytes.begin(), m.bytes.end());
        b.records.insert(b.records.end(), m.records.begin(), m.records.end());
        maybe_submit();
    }
    /// Writes what is left and waits for the worker; rethrows its error, if any.
    void finish() { pipe_.finish(); }

private:
    struct Msg {
        std::size_t exporter;
        std::int64_t export_ns;
        std::size_t offset;
        std::size_t length;
    };
    struct Batch {
        std::vector<std::uint8_t> bytes;
        std::vector<Msg> msgs;
        std::vector<core::FlowRecord> records;
        std::vector<ConversationRow> convs;
        std::vector<Conversation> packet_convs;  ///< the first npackets are this batch's
        std::size_t npackets = 0;
        std::vector<std::uint64_t> packet_limits;
        std::vector<ConversationRow> packet_rows;
        void clear() {
            bytes.clear();
            msgs.clear();
            records.clear();
            convs.clear();
            npackets = 0;
            packet_limits.clear();
            packet_rows.clear();
        }
    };
    static constexpr std::size_t kBatchItems = 8192;

    void maybe_submit() {
        const Batch& b = pipe_.current();
        if (b.records.size() + b.convs.size() + b.npackets >= kBatchItems) pipe_.submit();
    }
    void write(const Batch& b) {
        // IPv4 identifications count per exporter, not per source endpoint: exporters may share
        // an address and port (told apart by their domain), and a shard's frames must be those
        // of the unsharded run.
        for (const Msg& m : b.msgs)
            pcap_.write_udp(m.export_ns, sources_[m.exporter], collector_,
                            std::span<const std::uint8_t>(b.bytes.data() + m.offset, m.length),
                            ip_ids_[m.exporter]++);
        for (const auto& r : b.records) records_.write(r);
        if (records_jsonl_)
            for (const auto& r : b.records) records_jsonl_->write(r);
        for (const auto& c : b.convs) convs_.write(c);
        for (std::size_t i = 0; i < b.npackets; ++i) packets_->add(b.packet_convs[i], b.packet_limits[i]);
        for (const auto& r : b.packet_rows) packet_rows_->write(r);
    }

    core::PcapWriter& pcap_;
    core::RecordWriter& records_;
    ConversationWriter& convs_;
    PacketStream* packets_;
    ConversationWriter* packet_rows_;
    core::RecordWriter* records_jsonl_;
    std::vector<core::UdpEndpoint> sources_;
    std::vector<std::uint16_t> ip_ids_;  ///< next IPv4 identification per exporter
    core::UdpEndpoint collector_;
    /// Last: its worker uses the members above, so it is stopped before they go.
    core::BatchPipe<Batch> pipe_;
};

}  // namespace

Shard parse_shard(std::string_view text) {
    // No "--shard" in front: CLI11 puts the option name before a validator's message.
    const auto bad = [&](const std::string& why) {
        return UsageError("expected I/N, shard I of N shards counted from 0 (0 <= I < N, e.g. 0/4), got " +
                          core::quote(text) + " (" + why + ")");
    };
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) throw bad("no '/'");
    if (text.find('/', slash + 1) != std::string_view::npos) throw bad("more than one '/'");
    const auto number = [&](std::string_view part, const char* what) {
        std::size_t v = 0;
        const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (part.empty() || ec != std::errc{} || end != part.data() + part.size())
            throw bad(std::string(what) + " is not a whole number");
        return v;
    };
    Shard s;
    s.index = number(text.substr(0, slash), "I");
    s.count = number(text.substr(slash + 1), "N");
    if (s.count == 0) throw bad("N must be at least 1");
    if (s.index >= s.count) throw bad("I must be less than N");
    return s;
}

std::optional<std::size_t> conversation_owner(const std::vector<ExporterPlan>& plans, const ConversationKey& key) {
    for (std::size_t e = 0; e < plans.size(); ++e)
        if (observe(plans[e], key)) return e;
    return std::nullopt;
}

ExporterPlan make_exporter_plan(const Scenario& s, std::size_t index, std::int64_t start_us) {
    const Exporter& e = s.exporters[index];
    const core::Protocol proto = to_core(e.protocol);
    ExporterPlan plan;
    plan.name = e.name;
    core::ExporterConfig& x = plan.exporter;
    x.protocol = proto;
    x.address = e.address;
    x.domain = e.domain;
    x.boot_ms = floor_div(start_us - e.boot_us, 1000);
    x.max_payload = e.mtu - core::udp_overhead(e.address.is_v6());
    if (e.max_message) x.max_payload = std::min<std::size_t>(x.max_payload, e.max_message);
    if (e.custom_templates) {
        x.template_v4 = e.template_v4;
        x.template_v6 = e.template_v6;
        x.template_v4_icmp = e.template_v4_icmp;
        x.template_v6_icmp = e.template_v6_icmp;
    } else if (proto != core::Protocol::v5) {
        // 8-byte counters: a 30-minute slice of a backup overflows 32 bits at 20 Mbit/s.
        x.template_v4 = core::default_template(proto, false, 256, to_core(e.time_style), true);
        x.template_v6 = core::default_template(proto, true, 257, to_core(e.time_style), true);
    }
    if (e.sampling != SamplingMode::none && e.sampling_rate > 1) {
        x.sampling_interval = e.sampling_rate;
        x.sampling_algorithm = e.sampling == SamplingMode::deterministic ? 1 : 2;
    }
    if (!e.options && e.custom_templates) {
        // flowlab's sampling options take the first id the data templates leave free
        // (NetScaler AppFlow's data templates hold 258, the default).
        const auto taken = [&](std::uint16_t v) {
            for (const auto* t : {&x.template_v4, &x.template_v6, &x.template_v4_icmp, &x.template_v6_icmp})
                if (!t->fields.empty() && t->id == v) return true;
            return false;
        };
        while (taken(x.options_template_id)) ++x.options_template_id;
    }
    if (e.options) {
        x.options = *e.options;
        for (std::size_t k = 0; k < x.options.size(); ++k)
            if (x.options[k].table != core::OptionsTable::none)
                for (auto& r : detail::table_rows(e, k)) x.options[k].rows.push_back(std::move(r.row));
        // Sampling must be announced somewhere: in the records (34/50/305) or in an options
        // record; when the dialect's layout has neither, flowlab's sampling options go along.
        bool announced = false;
        for (const auto& o : x.options)
            for (const auto& f : o.tmpl.fields)
                announced = announced || (f.enterprise == 0 && (f.id == 34 || f.id == 50 || f.id == 305));
        for (const auto* t : {&x.template_v4, &x.template_v6})
            for (const auto& f : t->fields) announced = announced || (f.enterprise == 0 && (f.id == 34 || f.id == 50 || f.id == 305));
        if (!announced && x.sampling_interval > 1) {
            std::uint16_t id = x.options_template_id;
            auto taken = [&](std::uint16_t v) {
                for (const auto* t : {&x.template_v4, &x.template_v6, &x.template_v4_icmp, &x.template_v6_icmp})
                    if (!t->fields.empty() && t->id == v) return true;
                for (const auto& o : x.options)
                    if (o.tmpl.id == v) return true;
                return false;
            };
            while (taken(id)) ++id;
            x.options.push_back({core::sampling_options_template(proto, id), true});
        }
    }
    if (e.pad_sets_given) {
        x.pad_sets = e.pad_sets;
        x.pad_ipfix_sets = e.pad_sets;
    }
    if (proto != core::Protocol::v5) {
        x.template_placement = e.template_placement;
        x.one_data_set = e.one_data_set;
        x.v9_count = e.v9_count;
        x.sequence = e.sequence;
    }
    x.active_timeout_s = static_cast<std::uint32_t>(e.active_timeout_us / 1'000'000);
    x.idle_timeout_s = static_cast<std::uint32_t>(e.inactive_timeout_us / 1'000'000);
    x.template_refresh_packets = e.template_refresh_packets;
    x.template_refresh_ms = e.template_refresh_interval_us / 1000;
    plan.source_port = e.port;
    plan.meter.active_timeout_us = e.active_timeout_us;
    plan.meter.inactive_timeout_us = e.inactive_timeout_us;
    plan.meter.cache_size = e.cache_size;
    plan.meter.sampling = e.sampling == SamplingMode::deterministic ? MeterSampling::deterministic
                          : e.sampling == SamplingMode::random      ? MeterSampling::random
                                                                    : MeterSampling::none;
    plan.meter.sampling_interval = e.sampling_rate;
    for (const auto& o : e.observes) {
        const Network& n = s.networks[o.network];
        plan.observes.push_back(ObservedNetwork{o.block, o.if_index, n.asn.value_or(0), o.vrf});
    }
    plan.default_if = e.default_if;
    if (e.next_hop) plan.next_hop = *e.next_hop;
    plan.export_delay_us = e.export_delay_us;
    plan.value_rules = e.value_rules;
    return plan;
}

GenSummary run_gen(const Scenario& scenario, const GenOptions& options, const RunHooks& hooks) {
    const auto wall_start = std::chrono::steady_clock::now();
    // The checks `scenarios validate` runs, and the memory estimate, before anything is written.
    check_run(scenario, RunSpan::of(scenario, options.source), options.memory_limit);
    const std::optional<Shard> shard = options.shard;
    if (shard && (shard->count == 0 || shard->index >= shard->count))
        throw UsageError("--shard " + std::to_string(shard->index) + "/" + std::to_string(shard->count) +
                         ": expected 0 <= I < N");
    // packets.pcap numbers its IPv4 packets across all conversations: a shard's could not be
    // the unsharded file's.
    if (shard && options.packets) throw UsageError("--shard cannot be combined with --packets");
    if (shard && options.truth_jsonl) throw UsageError("--shard cannot be combined with --truth-jsonl");
    // A fault's truth follows the whole stream of its exporter; the shards would each need
    // their own may-lose and discard files, which merge does not join.
    if (shard && !scenario.faults.empty()) throw UsageError("--shard cannot be combined with faults");
    check_faults(scenario);
    const fs::path target = fs::path(options.output_dir).lexically_normal();
    if (target.empty()) throw UsageError("gen: the output directory (-o) is empty");
    std::error_code ec;
    if (fs::exists(target, ec) && !core::is_flowlab_output(target))
        throw UsageError(target.string() + " exists and is not a flowlab output directory (no manifest.json); "
                         "choose another -o or remove it");

    if (!options.answer_key_file.empty()) {
        if (!scenario.lesson || scenario.lesson->answer.is_null())
            throw UsageError("--answer-key: scenario " + scenario.name + " has no lesson answer");
        const fs::path key = fs::weakly_canonical(fs::absolute(options.answer_key_file), ec);
        const fs::path out = fs::weakly_canonical(fs::absolute(target), ec);
        const auto rel = key.lexically_relative(out);
        if (!rel.empty() && *rel.begin() != "..")
            throw UsageError("--answer-key " + options.answer_key_file + ": the key must not go into the output directory " +
                             target.string() + " (students get that directory); put it beside it, e.g. " +
                             answer_key_path(target.string()));
    }
    TrafficSource source(scenario, options.source);  // validates span and options first
    std::vector<ExporterPlan> plans;
    for (std::size_t i = 0; i < scenario.exporters.size(); ++i)
        plans.push_back(make_exporter_plan(scenario, i, source.start_us()));

    core::AtomicDir out_dir(target);
    fs::create_directories(out_dir.path() / "truth", ec);
    if (ec) throw IoError("cannot create " + (out_dir.path() / "truth").string() + ": " + ec.message());

    const fs::path pcap_path = out_dir.path() / "exports.pcap";
    const fs::path records_path = out_dir.path() / "truth" / "records.csv";
    const fs::path convs_path = out_dir.path() / "truth" / "conversations.csv";
    // Each file is hashed as it is written (on the output thread), not read back afterwards.
    Sha256 pcap_hash, records_hash, convs_hash;
    core::PcapWriter pcap(pcap_path.string(), core::TimePrecision::nano, static_cast<int>(core::LinkType::ethernet),
                          262144, [&](std::span<const std::uint8_t> b) { pcap_hash.update(b.data(), b.size()); });
    File records_file = open_file(records_path);
    File convs_file = open_file(convs_path);
    core::RecordWriter records(records_file.get(), core::RecordFormat::csv, records_path.string());
    records.set_tap([&](std::span<const std::uint8_t> b) { records_hash.update(b.data(), b.size()); });
    records.begin();
    ConversationWriter conversations(convs_file.get(), convs_hash, convs_path.string());
    const fs::path records_jsonl_path = out_dir.path() / "truth" / "records.jsonl";
    Sha256 records_jsonl_hash;
    File records_jsonl_file;
    std::optional<core::RecordWriter> records_jsonl;
    if (options.truth_jsonl) {
        records_jsonl_file = open_file(records_jsonl_path);
        records_jsonl.emplace(records_jsonl_file.get(), core::RecordFormat::jsonl, records_jsonl_path.string());
        records_jsonl->set_tap([&](std::span<const std::uint8_t> b) { records_jsonl_hash.update(b.data(), b.size()); });
    }

    // With faults: the records a correct decoder may lose, and those it must not output,
    // beside records.csv (which then holds what it must output). Without, no such files.
    const bool faulted = !scenario.faults.empty();
    const fs::path may_lose_path = out_dir.path() / "truth" / "may-lose.csv";
    const fs::path discard_path = out_dir.path() / "truth" / "discard.csv";
    Sha256 may_lose_hash, discard_hash;
    File may_lose_file, discard_file;
    std::optional<core::RecordWriter> may_lose_records, discard_records;
    if (faulted) {
        may_lose_file = open_file(may_lose_path);
        discard_file = open_file(discard_path);
        may_lose_records.emplace(may_lose_file.get(), core::RecordFormat::csv, may_lose_path.string());
        may_lose_records->set_tap([&](std::span<const std::uint8_t> b) { may_lose_hash.update(b.data(), b.size()); });
        may_lose_records->begin();
        discard_records.emplace(discard_file.get(), core::RecordFormat::csv, discard_path.string());
        discard_records->set_tap([&](std::span<const std::uint8_t> b) { discard_hash.update(b.data(), b.size()); });
        discard_records->begin();
    }

    // packets.pcap: microsecond timestamps are the truth's resolution (and what most probes
    // and replay tools expect).
    const fs::path packets_path = out_dir.path() / "packets.pcap";
    const fs::path packet_convs_path = out_dir.path() / "truth" / "packet-conversations.csv";
    const bool packet_rows_needed = options.packets && options.packet_budget.limited();
    Sha256 packets_hash, packet_convs_hash;
    std::optional<core::PcapWriter> packets_pcap;
    std::optional<PacketStream> packet_stream;
    File packet_convs_file;
    std::optional<ConversationWriter> packet_rows;
    PacketAdmission admission(options.packet_budget);
    if (options.packets) {
        packets_pcap.emplace(packets_path.string(), core::TimePrecision::micro, static_cast<int>(core::LinkType::ethernet),
                             262144,
                             [&](std::span<const std::uint8_t> b) { packets_hash.update(b.data(), b.size()); });
        packet_stream.emplace(*packets_pcap);
    }
    if (packet_rows_needed) {
        packet_convs_file = open_file(packet_convs_path);
        packet_rows.emplace(packet_convs_file.get(), packet_convs_hash, packet_convs_path.string());
    }

    const core::UdpEndpoint collector{scenario.collector.address, scenario.collector.port};
    std::vector<core::UdpEndpoint> sources;
    for (const auto& p : plans) sources.push_back({p.exporter.address, p.source_port});
    // Without a shard everything is written; with one, the whole run is still simulated (the
    // random streams and every exporter's state are those of the unsharded run) and only the
    // shard's share reaches the files.
    const auto exporter_written = [&](std::size_t e) { return !shard || shard->holds_exporter(e); };
    const auto conversation_written = [&](const Conversation& c) {
        if (!shard) return true;
        const auto owner = conversation_owner(plans, c.key);
        return owner ? shard->holds_exporter(*owner) : shard->index == 0;
    };
    GenSummary summary;
    std::uint64_t written_packets = 0, written_bytes = 0;
    std::int64_t written_first_ns = 0, written_last_ns = 0;

    OutputThread output(pcap, records, conversations, sources, collector, packet_stream ? &*packet_stream : nullptr,
                        packet_rows ? &*packet_rows : nullptr, records_jsonl ? &*records_jsonl : nullptr);
    SimulationSinks sinks;
    AnswerKeyBuilder answer_key(scenario, source.start_us());
    sinks.conversation = [&](const Conversation& c) {
        answer_key.observe(c);
        if (!conversation_written(c)) return;
        ++summary.conversations_written;
        written_packets += c.packets();
        written_bytes += c.bytes();
        output.conversation(c);
        if (!options.packets) return;
        const std::uint64_t n = admission.admit(c);
        if (n == 0) return;
        if (!packet_rows_needed) return output.packets(c, n, nullptr);
        const WrittenPart w = written_part(c, n);
        ConversationRow row{c.id, c.activity, c.key, w.tcp_flags, w.packets, w.bytes, w.first_us, w.last_us};
        output.packets(c, n, &row);
    };
    const auto write_message = [&](std::size_t e, const core::EncodedMessage& m) {
        ++summary.messages_written;
        summary.records_written += m.records.size();
        if (!written_first_ns) written_first_ns = m.export_ns;
        written_last_ns = m.export_ns;
        output.message(e, m);
    };
    std::optional<FaultStream> fault_stream;
    if (faulted)
        fault_stream.emplace(scenario, plans, source.start_us(),
                             FaultStream::Sinks{write_message, [&](const core::FlowRecord& r) { may_lose_records->write(r); },
                                                [&](const core::FlowRecord& r) { discard_records->write(r); }});
    sinks.message = [&](std::size_t e, const core::EncodedMessage& m) {
        if (!exporter_written(e)) return;
        if (fault_stream) fault_stream->message(e, m);
        else write_message(e, m);
    };
    const double span = static_cast<double>(source.end_us() - source.start_us());
    if (hooks.progress) {
        sinks.progress = [&](std::int64_t sim_us, const SimulationStats& st) {
            const auto now = std::chrono::steady_clock::now();
            std::string detail = "at " + format_time(sim_us) + ", " + std::to_string(st.conversations) + " conversations";
            if (options.packets) detail += ", " + std::to_string(admission.admitted_packets()) + " packets admitted";
            Progress p;
            p.task = "gen";
            p.unit = "records";
            p.done = st.records;
            p.fraction = std::clamp(static_cast<double>(sim_us - source.start_us()) / span, 0.0, 1.0);
            p.elapsed_s = std::chrono::duration<double>(now - wall_start).count();
            p.detail = detail;
            hooks.report(p);
        };
    }

    summary.seed = source.seed();
    summary.start_us = source.start_us();
    summary.end_us = source.end_us();
    // The source's streams are its own (no state shared with the simulation), so running it
    // ahead on another thread leaves every conversation and its order as they were; the
    // exporters then run on `jobs` threads (simulate keeps the messages' order).
    const std::size_t jobs = options.jobs ? options.jobs : std::max(1u, std::thread::hardware_concurrency());
    std::optional<ConversationPump> pump;
    if (jobs > 1) pump.emplace([&source](Conversation& c) { return source.next(c); });
    std::uint64_t pulled = 0;
    summary.stats = simulate(plans, source.seed(), [&](Conversation& c) {
        if (hooks.cancelled())
            throw Interrupted(hooks.cancel->signal(), "after " + std::to_string(pulled) +
                                                          " conversations; nothing was written to " + target.string() +
                                                          " (the partial files were removed)");
        const bool got = pump ? pump->next(c) : source.next(c);
        pulled += got ? 1 : 0;
        return got;
    }, sinks, jobs);
    pump.reset();
    if (fault_stream) fault_stream->finish();
    output.finish();
    if (packet_stream) {
        packet_stream->finish();
        summary.packets_written = packet_stream->packets_written();
        summary.packet_conversations_truncated = admission.conversations_truncated();
        summary.packet_conversations_omitted = admission.conversations_omitted();
        packets_pcap->commit();
    }
    if (packet_rows) {
        packet_rows->flush();
        close_file(packet_convs_file, packet_convs_path);
    }

    if (records_jsonl) {
        records_jsonl->flush();
        close_file(records_jsonl_file, records_jsonl_path);
    }
    records.flush();
    conversations.flush();
    close_file(records_file, records_path);
    close_file(convs_file, convs_path);
    if (faulted) {
        may_lose_records->flush();
        discard_records->flush();
        close_file(may_lose_file, may_lose_path);
        close_file(discard_file, discard_path);
    }
    pcap.commit();

    // manifest.json: a pure function of (scenario, options, flowlab version) like every output.
    Json m;
    m["flowlab_version"] = kVersion;
    m["scenario"] = {{"name", scenario.name}, {"summary", scenario.summary}, {"sha256", scenario.sha256}};
    m["seed"] = summary.seed;
    m["scale"] = source.scale();
    m["span"] = {{"start", format_time(summary.start_us)},
                 {"end", format_time(summary.end_us)},
                 {"start_ms", floor_div(summary.start_us, 1000)},
                 {"end_ms", floor_div(summary.end_us, 1000)},
                 {"start_us", summary.start_us},
                 {"end_us", summary.end_us}};
    m["collector"] = {{"address", address_text(scenario.collector.address)}, {"port", scenario.collector.port}};
    const SimulationStats& st = summary.stats;
    m["shard"] = shard ? Json{{"index", shard->index},
                              {"count", shard->count},
                              {"rule", "exporter index mod count"},
                              {"conversations", "shard of the lowest-indexed exporter that observes it; "
                                                "shard 0 when no exporter does"}}
                       : Json(nullptr);
    // The counts are those of the files written (with a shard, its share).
    m["counts"] = {{"conversations", summary.conversations_written},
                   {"conversation_packets", written_packets},
                   {"conversation_bytes", written_bytes},
                   {"records", summary.records_written},
                   {"messages", summary.messages_written},
                   {"first_export_ms", written_first_ns / 1'000'000},
                   {"last_export_ms", written_last_ns / 1'000'000}};
    Json exporters = Json::array();
    for (std::size_t i = 0; i < plans.size(); ++i) {
        if (!exporter_written(i)) continue;
        summary.exporters_written.push_back(i);
        const Exporter& e = scenario.exporters[i];
        const ExporterStats& es = st.exporters[i];
        exporters.push_back({{"index", i},
                             {"name", e.name},
                             {"protocol", to_string(e.protocol)},
                             {"dialect", e.dialect.empty() ? Json(nullptr) : Json(e.dialect)},
                             {"address", address_text(e.address)},
                             {"port", e.port},
                             {"domain", e.domain},
                             {"active_timeout_ms", e.active_timeout_us / 1000},
                             {"inactive_timeout_ms", e.inactive_timeout_us / 1000},
                             {"sampling", {{"mode", to_string(e.sampling)}, {"interval", e.sampling_rate}}},
                             {"conversations_observed", es.cache.conversations},
                             {"conversations_unseen_after_sampling", es.cache.unseen},
                             {"ipv6_conversations_not_exportable", es.ipv6_not_exportable},
                             {"records", es.packetizer.records},
                             {"messages", es.packetizer.messages},
                             {"packets", es.cache.packets},
                             {"bytes", es.cache.bytes},
                             {"emergency_expiries", es.cache.emergency_expiries},
                             {"peak_cache_entries", es.cache.peak_entries},
                             {"clamped_values", es.packetizer.clamped},
                             {"records_not_encodable", es.packetizer.rejected}});
    }
    m["exporters"] = exporters;
    if (fault_stream) m["faults"] = fault_stream->report();
    if (options.packets) {
        const PacketBudget& b = options.packet_budget;
        const auto limit = [](std::uint64_t v) {
            return v == std::numeric_limits<std::uint64_t>::max() ? Json(nullptr) : Json(v);
        };
        m["packets"] = {{"file", "packets.pcap"},
                        {"truth", packet_rows_needed ? "truth/packet-conversations.csv" : "truth/conversations.csv"},
                        {"written", summary.packets_written},
                        {"max_packets", limit(b.max_packets)},
                        {"budget_per_conversation", limit(b.per_conversation)},
                        {"conversations_complete", admission.conversations_full()},
                        {"conversations_truncated", admission.conversations_truncated()},
                        {"conversations_omitted", admission.conversations_omitted()}};
    }
    // The lesson (story, question, answer) stays out of the directory a student gets.
    Json key;
    if (!options.answer_key_file.empty()) {
        key["flowlab_version"] = kVersion;
        key["scenario"] = m["scenario"];
        key["seed"] = m["seed"];
        key["scale"] = m["scale"];
        key["span"] = m["span"];
        key["lesson"] = {{"story", scenario.lesson->story}, {"question", scenario.lesson->question},
                         {"answer", answer_key.answer()}};
    }
    std::vector<std::tuple<const char*, fs::path, Sha256*>> written{
        {"exports.pcap", pcap_path, &pcap_hash},
        {"truth/records.csv", records_path, &records_hash},
        {"truth/conversations.csv", convs_path, &convs_hash}};
    if (options.packets) written.emplace_back("packets.pcap", packets_path, &packets_hash);
    if (packet_rows_needed) written.emplace_back("truth/packet-conversations.csv", packet_convs_path, &packet_convs_hash);
    if (records_jsonl) written.emplace_back("truth/records.jsonl", records_jsonl_path, &records_jsonl_hash);
    if (faulted) {
        written.emplace_back("truth/may-lose.csv", may_lose_path, &may_lose_hash);
        written.emplace_back("truth/discard.csv", discard_path, &discard_hash);
    }
    Json files = Json::object();
    for (const auto& [name, path, hash] : written) files[name] = {{"bytes", fs::file_size(path)}, {"sha256", hash->hex()}};
    m["files"] = files;
    {
        const fs::path manifest = out_dir.path() / "manifest.json";
        std::ofstream out(manifest, std::ios::binary);
        out << m.dump(2) << '\n';
        out.flush();
        if (!out) throw IoError("cannot write " + manifest.string() + ": " + std::strerror(errno));
    }

    // Into place: replace an earlier flowlab output only now that this one is complete.
    out_dir.commit();
    if (!key.is_null()) {
        core::AtomicFile out(options.answer_key_file);
        const std::string text = key.dump(2) + "\n";
        if (std::fwrite(text.data(), 1, text.size(), out.get()) != text.size())
            throw IoError("cannot write " + options.answer_key_file + ": " + std::strerror(errno));
        out.commit();
    }
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    return summary;
}

}  // namespace flowlab::gen

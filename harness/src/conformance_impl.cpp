/// @brief The implementations a conformance card is made for: decoders that read a capture
/// (flowlab, tshark, libfixbuf's ipfixDump, any command line) and collectors started fresh
/// for every case from a verify profile (nfcapd, nfacctd, a profile file).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "flowlab/core/error.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/harness/conformance.hpp"
#include "flowlab/core/process.hpp"
#include "flowlab/harness/collector.hpp"
#include "flowlab/verify/profile.hpp"
#include "ipfixdump_reader.hpp"

namespace flowlab::harness {

namespace fs = std::filesystem;
using core::Field;
using core::FieldSet;
using core::FlowRecord;

namespace {

constexpr std::int64_t kDecoderTimeoutMs = 20'000;

struct ProcessResult {
    bool started = false;
    bool timed_out = false;
    int exit_code = -1;
    int signal = 0;
};

/// Runs argv with stdout to `out_path` and stderr to `err_path`, killing it (and its process
/// group) after timeout_ms.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path,
                          std::int64_t timeout_ms, const std::vector<std::string>& env = {}) {
    ProcessResult r;
    core::Process::Options po;
    po.argv = argv;
    po.env = env;
    po.out = core::Process::Stream::file(out_path, false);
    po.err = core::Process::Stream::file(err_path, false);
    core::Process p = core::Process::start(po);  // IoError: not installed, cannot open a file
    r.started = true;
    const auto st = p.wait_for(std::chrono::milliseconds(timeout_ms));
    if (!st) {
        r.timed_out = true;
        p.stop(SIGKILL, std::chrono::milliseconds(1000));
        return r;
    }
    r.exit_code = st->code;
    r.signal = st->signal;
    return r;
}

std::string tail_of(const std::string& path, std::size_t max = 600) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    if (s.size() > max) s = "..." + s.substr(s.size() - max);
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

/// The case as a capture: every message a UDP datagram from its exporter to the collector.
void write_capture(const Case& c, const std::string& path) {
    core::PcapWriter w(path);
    std::int64_t ts = 0;
    for (const auto& m : c.script.messages) {
        // Capture time follows the send order (a reordered message keeps its header time).
        const std::int64_t t = std::max<std::int64_t>(m.export_ms * 1'000'000, ts + 1000);
        ts = t;
        w.write_udp(t, {m.exporter, static_cast<std::uint16_t>(m.port + 1000 * m.connection)},
                    {c.script.collector, c.script.collector_port}, m.bytes);
    }
    w.commit();
}

/// The case as an IPFIX file (RFC 5655): the messages back to back.
void write_ipfix_file(const Case& c, const std::string& path) {
    std::ofstream out(path, std::ios::binary);
    for (const auto& m : c.script.messages) out.write(reinterpret_cast<const char*>(m.bytes.data()), static_cast<std::streamsize>(m.bytes.size()));
    if (!out) throw IoError("cannot write " + path);
}

bool has_withdrawal(const Case& c) {
    for (const auto& m : c.script.messages)
        for (const auto& s : m.sets)
            if (s.kind == gen::SetInfo::Kind::withdrawal) return true;
    return false;
}

bool breaks_stream(const Case& c) {
    for (const auto& m : c.script.messages)
        if (m.breaks_stream) return true;
    return false;
}

/// More than one transport session (exporter address and port) among the case's own
/// messages: an IPFIX file keeps no addresses, so such a case has no truth for a file.
bool several_sessions(const Case& c) {
    std::set<std::pair<core::IpAddress, std::uint16_t>> s;
    for (const auto& m : c.script.messages)
        if (!m.canary) s.insert({m.exporter, m.port});
    return s.size() > 1;
}

bool has_reconnect(const Case& c) {
    for (const auto& m : c.script.messages)
        if (m.connection) return true;
    return false;
}

class CommandDecoder : public Implementation {
public:
    enum class Kind { flowlab, tshark, ipfixdump, command };

    CommandDecoder(Kind kind, std::string spec, std::string format, std::string flowlab_program)
        : kind_(kind), spec_(std::move(spec)), format_(std::move(format)), flowlab_(std::move(flowlab_program)) {
        if (kind_ == Kind::command) {
            // Split on spaces, keeping "quoted parts" together.
            std::string cur;
            bool quoted = false;
            for (char ch : spec_) {
                if (ch == '"') quoted = !quoted;
                else if (ch == ' ' && !quoted) {
                    if (!cur.empty()) argv_.push_back(cur);
                    cur.clear();
                } else cur += ch;
            }
            if (!cur.empty()) argv_.push_back(cur);
            if (argv_.empty()) throw UsageError("--decoder: empty command line");
            const auto tool = verify::tool_from_name(format_.empty() ? "flowlab" : format_);
            if (!tool) throw UsageError("--decoder-format: unknown format '" + format_ + "' (flowlab, nfdump, pmacct, tshark, goflow2)");
            tool_ = *tool;
        }
    }

    std::string name() const override {
        switch (kind_) {
            case Kind::flowlab: return "flowlab decode";
            case Kind::tshark: return "tshark";
            case Kind::ipfixdump: return "ipfixDump (libfixbuf)";
            case Kind::command: return spec_;
        }
        return spec_;
    }

    std::optional<std::string> unsupported(const Case& c) const override {
        const bool tcp = c.script.transport == gen::Transport::tcp;
        switch (kind_) {
            case Kind::flowlab:
            case Kind::tshark:
            case Kind::command:
                if (tcp) return "reads UDP captures; the case runs over TCP";
                return std::nullopt;
            case Kind::ipfixdump:
                if (c.script.protocol != core::Protocol::ipfix) return "reads IPFIX files only";
                // A file is a stream: UDP-only rules (withdrawals ignored) do not apply to it.
                if (!tcp && has_withdrawal(c)) return "an IPFIX file is a stream, so UDP's withdrawal rule (RFC 7011 8.4) does not apply";
                if (has_reconnect(c) || several_sessions(c)) return "an IPFIX file has one transport session (no exporter addresses)";
                if (breaks_stream(c)) return "the case breaks message framing, which a reader of a byte stream cannot recover from (RFC 7011 9.1 allows it to stop)";
                return std::nullopt;
        }
        return std::nullopt;
    }

    Observed run(const Case& c, const std::string& dir) override {
        Observed o;
        const std::string pcap = dir + "/case.pcap", ipfix = dir + "/case.ipfix", out = dir + "/out", err = dir + "/stderr";
        std::vector<std::string> argv, env;
        std::optional<verify::Tool> tool;
        bool ipfixdump = false;
        const std::string port = std::to_string(c.script.collector_port);
        switch (kind_) {
            case Kind::flowlab:
                write_capture(c, pcap);
                argv = {flowlab_, "decode", pcap, "--port", port, "-f", "csv", "-o", out};
                tool = verify::Tool::flowlab;
                break;
            case Kind::tshark:
                write_capture(c, pcap);
                argv = {"tshark", "-r", pcap, "-d", "udp.port==" + port + ",cflow", "-T", "json", "--no-duplicate-keys", "-J", "ip ipv6 cflow"};
                env = {"TZ=UTC"};
                tool = verify::Tool::tshark;
                break;
            case Kind::ipfixdump:
                write_ipfix_file(c, ipfix);
                argv = {"ipfixDump", "--in", ipfix};
                env = {"TZ=UTC"};
                ipfixdump = true;
                break;
            case Kind::command: {
                write_capture(c, pcap);
                if (c.script.protocol == core::Protocol::ipfix) write_ipfix_file(c, ipfix);
                bool names_out = false;
                for (std::string a : argv_) {
                    for (const auto& [k, v] : {std::pair<std::string, std::string>{"{pcap}", pcap}, {"{ipfix}", ipfix}, {"{port}", port}, {"{out}", out}}) {
                        if (k == "{out}" && a.find(k) != std::string::npos) names_out = true;
                        for (std::size_t at; (at = a.find(k)) != std::string::npos;) a.replace(at, k.size(), v);
                    }
                    argv.push_back(a);
                }
                tool = tool_;
                (void)names_out;
                break;
            }
        }
        const std::string stdout_path = (kind_ == Kind::flowlab) ? dir + "/stdout" : out;
        const ProcessResult pr = run_process(argv, kind_ == Kind::command ? dir + "/stdout" : stdout_path, err, kDecoderTimeoutMs, env);
        std::string collected = out;
        if (kind_ == Kind::command && !fs::exists(out)) collected = dir + "/stdout";
        if (!pr.started) throw IoError("cannot start " + argv[0]);
        if (pr.exit_code == 127) throw IoError(argv[0] + " is not installed (or not on PATH): " + tail_of(err));
        if (pr.timed_out) {
            o.status = Observed::Status::hang;
            o.log = "no result after " + std::to_string(kDecoderTimeoutMs / 1000) + " s; killed";
            return o;
        }
        if (pr.signal) {
            o.status = Observed::Status::crash;
            o.log = std::string("killed by signal ") + strsignal(pr.signal) + ": " + tail_of(err);
        }
        if (ipfixdump) {
            o.carried = ipfixdump_carried();
            o.time_netflow = o.time_ipfix = verify::TimeRule{1, 0};
            try {
                o.records = read_ipfixdump(collected);
            } catch (const std::exception& e) {
                o.log += std::string(o.log.empty() ? "" : "; ") + e.what();
            }
            if (o.log.empty() && pr.exit_code != 0) o.log = "exit " + std::to_string(pr.exit_code) + ": " + tail_of(err);
            return o;
        }
        std::error_code ec;
        if (!fs::exists(collected, ec) || fs::file_size(collected, ec) == 0) {
            if (o.status == Observed::Status::ok && pr.exit_code != 0) o.log = "exit " + std::to_string(pr.exit_code) + ": " + tail_of(err);
            o.carried = FieldSet::all();
            return o;
        }
        try {
            verify::CollectedSpec spec;
            spec.tool = tool;
            spec.path = collected;
            auto reader = verify::open_collected(spec);
            const auto& tr = reader->traits();
            o.carried = tr.carried;
            // Wireshark dissects each packet on its own and never applies an options record to
            // the data records (by design): sampling from options is not part of its output.
            if (kind_ == Kind::tshark) o.carried.clear(Field::sampling_interval);
            o.time_netflow = tr.flow_time;
            o.time_ipfix = tr.flow_time_ipfix;
            FlowRecord r;
            while (reader->next(r)) o.records.push_back(r);
        } catch (const std::exception& e) {
            // Output that cannot be read is the tool's answer too: say so in the verdict.
            if (o.status == Observed::Status::ok) o.log = std::string("output unreadable: ") + e.what();
            if (o.carried.empty()) o.carried = FieldSet::all();
        }
        if (pr.exit_code != 0 && o.log.empty()) o.log = "exit " + std::to_string(pr.exit_code) + ": " + tail_of(err);
        return o;
    }

private:
    Kind kind_;
    std::string spec_, format_, flowlab_;
    std::vector<std::string> argv_;
    verify::Tool tool_ = verify::Tool::flowlab;
};

/// Sends the case's datagrams over UDP to 127.0.0.1:port, each exporter from its own
/// loopback address (127.0.0.2, ...) and each exporter port from its own socket. Returns
/// local address -> case exporter, for mapping the collector's exporter column back.
std::vector<std::pair<core::IpAddress, core::IpAddress>> send_udp(const Case& c, std::uint16_t port) {
    std::map<core::IpAddress, std::uint32_t> local;  // case exporter -> 127.0.0.x
    std::map<std::pair<core::IpAddress, std::uint32_t>, int> sockets;
    std::vector<std::pair<core::IpAddress, core::IpAddress>> map;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(0x7F000001);
    for (const auto& m : c.script.messages) {
        auto [it, fresh] = local.emplace(m.exporter, 0x7F000002u + static_cast<std::uint32_t>(local.size()));
        if (fresh) map.emplace_back(core::IpAddress::v4(it->second), m.exporter);
        const auto key = std::make_pair(m.exporter, static_cast<std::uint32_t>(m.port) << 8 | m.connection);
        int& fd = sockets[key];
        if (!fd) {
            fd = socket(AF_INET, SOCK_DGRAM, 0);
            if (fd < 0) throw IoError(std::string("socket: ") + std::strerror(errno));
            sockaddr_in from{};
            from.sin_family = AF_INET;
            from.sin_addr.s_addr = htonl(it->second);
            if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0)
                throw IoError("bind to " + core::IpAddress::v4(it->second).to_string() + ": " + std::strerror(errno));
        }
        if (sendto(fd, m.bytes.data(), m.bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
            throw IoError(std::string("sendto: ") + std::strerror(errno));
        // A little air between datagrams: the case is about decoding, not about the socket buffer.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    for (auto& [k, fd] : sockets) close(fd);
    return map;
}

class CollectorImpl : public Implementation {
public:
    explicit CollectorImpl(const std::string& profile)
        : profile_(verify::load_profile(profile)), spec_(parse_run_spec(profile_)) {}
    std::string name() const override { return profile_.name; }
    std::optional<std::string> unsupported(const Case& c) const override {
        if (c.script.transport == gen::Transport::tcp) return profile_.name + " is run listening on UDP; the case runs over TCP";
        return std::nullopt;
    }
    Observed run(const Case& c, const std::string& dir) override {
        Observed o;
        CollectorRunOptions co;
        co.dir = dir;
        // A case is at most one 64 kB datagram and a few small ones: a collector that has not
        // read them in 10 s, or is still writing 10 s later, is stuck (a hang), and one that
        // writes more than 64 MB for them loops (nfcapd on 7.5: 23 GB in 50 s unchecked).
        co.drain_timeout = std::chrono::seconds(10);
        co.output_limit = std::uintmax_t{64} << 20;
        co.stop_timeout = std::chrono::seconds(10);
        std::unique_ptr<CollectorRun> run;
        try {
            run = std::make_unique<CollectorRun>(profile_, co);
        } catch (const IoError& e) {
            throw;  // not installed or cannot start at all: the whole card is impossible
        }
        std::vector<std::pair<core::IpAddress, core::IpAddress>> map;
        try {
            map = send_udp(c, run->port());
        } catch (const std::exception& e) {
            o.status = Observed::Status::crash;
            o.log = e.what();
            return o;
        }
        // A collector that writes on a timer (nfacctd's print plugin) may take a while for the
        // first write on a busy machine; its quiet-file rule must not start counting before.
        if (spec_.quiet_file && !spec_.flush_log && c.script.record_count() > 0) {
            std::string file = *spec_.quiet_file;
            for (std::size_t at; (at = file.find("{dir}")) != std::string::npos;) file.replace(at, 5, run->data_dir());
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            std::error_code ec;
            while (std::chrono::steady_clock::now() < until && !(fs::exists(file, ec) && fs::file_size(file, ec) > 0))
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        verify::CollectedSpec spec;
        try {
            spec = run->finish();
        } catch (const std::exception& e) {
            o.status = Observed::Status::crash;
            o.log = std::string(e.what()) + ": " + run->log_tail(5);
            return o;
        }
        if (run->stuck()) {
            o.status = Observed::Status::hang;
            o.log = profile_.name + " " + *run->stuck() + "; stopped; its log ends:\n" + run->log_tail(5);
            std::error_code ec;
            fs::remove_all(run->data_dir(), ec);  // what a looping collector wrote is not worth keeping
            return o;
        }
        // Only what the collector is configured to store counts; the profile's per-version
        // "drops" are deviations the card must find on its own, so they are not applied.
        o.carried = profile_.keeps;
        try {
            auto reader = verify::open_collected(spec);
            const auto& tr = reader->traits();
            o.time_netflow = profile_.flow_time ? *profile_.flow_time : tr.flow_time;
            o.time_ipfix = profile_.flow_time ? *profile_.flow_time : tr.flow_time_ipfix;
            o.carried = o.carried & tr.carried;
            o.sums_equal_records = profile_.sums_equal_records.value_or(tr.sums_equal_records);
            FlowRecord r;
            while (reader->next(r)) {
                if (const auto* a = r.address(Field::exporter); a && r.has(Field::exporter))
                    for (const auto& [from, to] : map)
                        if (*a == from) r.set_address(Field::exporter, to);
                o.records.push_back(r);
            }
        } catch (const std::exception& e) {
            // nfdump prints "No matching flows" for nothing stored; readers say so as an error.
            o.log = e.what();
        }
        return o;
    }

private:
    verify::CollectorProfile profile_;
    RunSpec spec_;
};

}  // namespace

std::unique_ptr<Implementation> make_decoder(const std::string& spec, const std::string& format, const std::string& flowlab_program) {
    using K = CommandDecoder::Kind;
    if (spec == "flowlab") return std::make_unique<CommandDecoder>(K::flowlab, spec, format, flowlab_program);
    if (spec == "tshark") return std::make_unique<CommandDecoder>(K::tshark, spec, format, flowlab_program);
    if (spec == "ipfixdump" || spec == "ipfixDump") return std::make_unique<CommandDecoder>(K::ipfixdump, spec, format, flowlab_program);
    return std::make_unique<CommandDecoder>(K::command, spec, format, flowlab_program);
}

std::unique_ptr<Implementation> make_collector(const std::string& profile) { return std::make_unique<CollectorImpl>(profile); }

}  // namespace flowlab::harness

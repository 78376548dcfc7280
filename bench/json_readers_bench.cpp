/// @brief One way to read JSON in verify: the hand-written streaming scanner (verify/src/json_scanner)
/// against simdjson's On Demand API and nlohmann/json (SAX, its fastest mode, and DOM), on the
/// inputs the readers take: nfdump -o json (one array of pretty-printed objects), pmacct and
/// goflow2 (JSON lines), tshark -T json (one array of deeply nested packets).
///
/// Each input is the captured fixture (tests/verify/fixtures/crafted) repeated to about 16 MB
/// and written to a file, because the readers read files (or a child's output) and the scanner
/// streams it in 1 MB blocks, while simdjson needs the whole document in memory, padded. Every
/// parser does the readers' work: walk every member, look the key up in the reader's key set,
/// and take the value of the keys it knows (string text, or the number). The benchmark fails
/// unless all parsers took the same values (count and checksum), so a faster parser that reads
/// differently does not count.
///
/// Run: build/bench/flowlab_bench_verify --benchmark_filter=Json
/// Results in bench/README-verify.md ("Reading JSON").
#include <benchmark/benchmark.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "json_scanner.hpp"

namespace {

using flowlab::verify::detail::InputStream;
using flowlab::verify::detail::JsonScanner;
using flowlab::verify::detail::JsonToken;

/// What the readers take from a document: the number of known scalar members and a checksum.
struct Taken {
    std::uint64_t values = 0;
    std::uint64_t sum = 0;
    void string(std::string_view s) {
        ++values;
        sum += s.size() * 31 + (s.empty() ? 0 : static_cast<unsigned char>(s.front()));
    }
    void number(double d) {
        ++values;
        sum += static_cast<std::uint64_t>(d);
    }
    void number_text(std::string_view t) {
        while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t' || t.back() == ','))
            t.remove_suffix(1);
        std::uint64_t u = 0;
        const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), u);
        if (ec == std::errc() && p == t.data() + t.size()) {
            ++values;
            sum += u;
            return;
        }
        number(std::strtod(std::string(t).c_str(), nullptr));
    }
    bool operator==(const Taken&) const = default;
};

/// The member names each reader looks up (its table), by input.
struct Input {
    const char* name;
    const char* fixture;
    bool lines;  ///< JSON lines (else one top-level array)
    std::unordered_set<std::string_view> keys;
    std::string path;  ///< the generated ~16 MB file
    std::uint64_t bytes = 0;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Repeats the records of a fixture (the elements of its array, or its lines) to about `target` bytes.
std::string repeated(const std::string& text, bool lines, std::size_t target) {
    std::string body;
    if (lines) {
        body = text;
        if (!body.empty() && body.back() != '\n') body += '\n';
    } else {
        const auto open = text.find('[');
        const auto close = text.rfind(']');
        body = text.substr(open + 1, close - open - 1);
        while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
    }
    std::string out = lines ? "" : "[\n";
    bool first = true;
    while (out.size() < target) {
        if (!lines && !first) out += ",\n";
        out += body;
        first = false;
    }
    if (!lines) out += "\n]\n";
    return out;
}

std::vector<Input>& inputs() {
    static std::vector<Input> all = [] {
        std::vector<Input> v;
        v.push_back({"nfdump", "nfdump.json", false,
                     {"first", "last", "in_packets", "in_bytes", "proto", "tcp_flags", "src_port", "dst_port", "icmp_type",
                      "icmp_code", "src_tos", "src4_addr", "src6_addr", "dst4_addr", "dst6_addr", "input_snmp",
                      "output_snmp", "src_mask", "dst_mask", "src_as", "dst_as", "ip4_next_hop", "ip6_next_hop",
                      "ip4_router", "ip6_router", "type"},
                     {}});
        v.push_back({"pmacct", "pmacct.json", true,
                     {"ip_src", "ip_dst", "port_src", "port_dst", "ip_proto", "tos", "tcp_flags", "iface_in", "iface_out",
                      "as_src", "as_dst", "mask_src", "mask_dst", "peer_ip_src", "sampling_rate", "timestamp_start",
                      "timestamp_end", "timestamp_export", "export_proto_seqno", "export_proto_version",
                      "export_proto_sysid", "packets", "bytes", "event_type"},
                     {}});
        v.push_back({"goflow2", "goflow2.json", true,
                     {"type", "time_received_ns", "sequence_num", "sampling_rate", "sampler_address", "time_flow_start_ns",
                      "time_flow_end_ns", "bytes", "packets", "src_addr", "dst_addr", "etype", "proto", "src_port",
                      "dst_port", "in_if", "out_if", "ip_tos", "tcp_flags", "icmp_type", "icmp_code", "src_as", "dst_as",
                      "src_net", "dst_net", "next_hop"},
                     {}});
        v.push_back({"tshark", "tshark.json", false,
                     {"ip.src", "ipv6.src", "cflow.version", "cflow.sysuptime", "cflow.unix_secs", "cflow.unix_nsecs",
                      "cflow.exporttime", "cflow.sequence", "cflow.source_id", "cflow.od_id", "cflow.flowset_id",
                      "cflow.srcaddr", "cflow.dstaddr", "cflow.nexthop", "cflow.srcport", "cflow.dstport",
                      "cflow.protocol", "cflow.tos", "cflow.tcpflags", "cflow.packets", "cflow.octets",
                      "cflow.packets64", "cflow.octets64", "cflow.inputint", "cflow.outputint", "cflow.srcas",
                      "cflow.dstas", "cflow.srcmask", "cflow.dstmask", "cflow.timestart", "cflow.timeend",
                      "cflow.abstimestart", "cflow.abstimeend"},
                     {}});
        const char* tmp = std::getenv("TMPDIR");
        const std::filesystem::path dir = std::filesystem::path(tmp ? tmp : "/tmp") / ("flowlab-json-bench-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        for (auto& in : v) {
            const std::string text = repeated(slurp(std::string(FLOWLAB_FIXTURES) + "/" + in.fixture), in.lines, 16u << 20);
            in.path = (dir / in.fixture).string();
            std::ofstream(in.path, std::ios::binary) << text;
            in.bytes = text.size();
        }
        std::atexit([] {
            std::error_code ec;
            if (!inputs().empty()) std::filesystem::remove_all(std::filesystem::path(inputs().front().path).parent_path(), ec);
        });
        return v;
    }();
    return all;
}

// ------------------------------------------------------------------ the three walks

Taken with_scanner(const Input& in) {
    Taken t;
    JsonScanner json(InputStream::open_file(in.path));
    struct Frame {
        bool array;
        std::string key;
    };
    std::vector<Frame> stack;
    std::string key;
    auto wanted = [&] {
        const std::string& k = !stack.empty() && stack.back().array ? stack.back().key : key;
        return in.keys.count(k) > 0;
    };
    for (JsonToken tok; (tok = json.next()) != JsonToken::end;) {
        switch (tok) {
            case JsonToken::key: key.assign(json.text()); break;
            case JsonToken::begin_object: stack.push_back({false, key}); break;
            case JsonToken::begin_array: stack.push_back({true, !stack.empty() && stack.back().array ? stack.back().key : key}); break;
            case JsonToken::end_object:
            case JsonToken::end_array: stack.pop_back(); break;
            case JsonToken::string:
                if (wanted()) t.string(json.text());
                break;
            case JsonToken::number:
                if (wanted()) t.number_text(json.text());
                break;
            default: break;
        }
    }
    return t;
}

void simd_walk(simdjson::ondemand::value v, std::string_view key, const Input& in, Taken& t) {
    using simdjson::ondemand::json_type;
    const json_type type = v.type();
    switch (type) {
        case json_type::object:
            for (auto field : v.get_object()) {
                const std::string_view k = field.unescaped_key();
                simd_walk(field.value(), k, in, t);
            }
            break;
        case json_type::array:
            for (auto e : v.get_array()) simd_walk(e.value(), key, in, t);
            break;
        case json_type::string:
            if (in.keys.count(key)) t.string(v.get_string());
            break;
        case json_type::number:
            if (in.keys.count(key)) t.number_text(v.raw_json_token());
            break;
        default: break;
    }
}

Taken with_simdjson(const Input& in, simdjson::ondemand::parser& parser) {
    Taken t;
    // The whole file, padded: On Demand cannot stream a document larger than memory.
    const simdjson::padded_string text = simdjson::padded_string::load(in.path);
    if (in.lines) {
        simdjson::ondemand::document_stream docs = parser.iterate_many(text);
        for (auto doc : docs) {
            for (auto field : doc.get_object()) {
                const std::string_view k = field.unescaped_key();
                simd_walk(field.value(), k, in, t);
            }
        }
    } else {
        simdjson::ondemand::document doc = parser.iterate(text);
        for (auto e : doc.get_array()) simd_walk(e.value(), "", in, t);
    }
    return t;
}

/// nlohmann's SAX interface: no DOM, but a std::string for every key and string value.
struct Sax : nlohmann::json_sax<nlohmann::json> {
    const Input& in;
    Taken& t;
    std::string current;
    std::vector<std::pair<bool, std::string>> stack;
    Sax(const Input& i, Taken& out) : in(i), t(out) {}
    bool wanted() const {
        const std::string& k = !stack.empty() && stack.back().first ? stack.back().second : current;
        return in.keys.count(k) > 0;
    }
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t v) override {
        if (wanted()) t.number(static_cast<double>(v));
        return true;
    }
    bool number_unsigned(number_unsigned_t v) override {
        if (wanted()) {
            ++t.values;
            t.sum += v;
        }
        return true;
    }
    bool number_float(number_float_t v, const string_t&) override {
        if (wanted()) t.number(v);
        return true;
    }
    bool string(string_t& s) override {
        if (wanted()) t.string(s);
        return true;
    }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override {
        stack.emplace_back(false, current);
        return true;
    }
    bool key(string_t& k) override {
        current = k;
        return true;
    }
    bool end_object() override {
        stack.pop_back();
        return true;
    }
    bool start_array(std::size_t) override {
        stack.emplace_back(true, !stack.empty() && stack.back().first ? stack.back().second : current);
        return true;
    }
    bool end_array() override {
        stack.pop_back();
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override { throw e; }
};

Taken with_nlohmann_sax(const Input& in) {
    Taken t;
    std::ifstream file(in.path, std::ios::binary);
    if (in.lines) {
        std::string line;
        while (std::getline(file, line)) {
            if (line.empty()) continue;
            Sax sax(in, t);
            nlohmann::json::sax_parse(line, &sax);
        }
    } else {
        Sax sax(in, t);
        nlohmann::json::sax_parse(file, &sax);
    }
    return t;
}

void dom_walk(const nlohmann::json& j, const std::string& key, const Input& in, Taken& t) {
    if (j.is_object()) {
        for (const auto& [k, v] : j.items()) dom_walk(v, k, in, t);
    } else if (j.is_array()) {
        for (const auto& e : j) dom_walk(e, key, in, t);
    } else if (in.keys.count(key)) {
        if (j.is_string()) t.string(j.get_ref<const std::string&>());
        else if (j.is_number_unsigned()) {
            ++t.values;
            t.sum += j.get<std::uint64_t>();
        } else if (j.is_number()) t.number(j.get<double>());
    }
}

Taken with_nlohmann_dom(const Input& in) {
    Taken t;
    std::ifstream file(in.path, std::ios::binary);
    if (in.lines) {
        std::string line;
        while (std::getline(file, line))
            if (!line.empty()) dom_walk(nlohmann::json::parse(line), "", in, t);
    } else {
        dom_walk(nlohmann::json::parse(file), "", in, t);
    }
    return t;
}

// ------------------------------------------------------------------ benchmarks

/// Every parser must take what the scanner takes (checked once per input, outside the timing).
bool agree(benchmark::State& state, const Input& in, const Taken& got) {
    static std::map<std::string, Taken> reference;
    auto it = reference.find(in.name);
    if (it == reference.end()) it = reference.emplace(in.name, with_scanner(in)).first;
    if (got == it->second && got.values > 0) return true;
    state.SkipWithError(("took " + std::to_string(got.values) + " values, the scanner " + std::to_string(it->second.values)).c_str());
    return false;
}

template <typename Walk>
void run(benchmark::State& state, Walk walk) {
    const Input& in = inputs().at(static_cast<std::size_t>(state.range(0)));
    state.SetLabel(in.name);
    if (!agree(state, in, walk(in))) return;
    for (auto _ : state) benchmark::DoNotOptimize(walk(in));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * in.bytes));
}

void BM_JsonScanner(benchmark::State& state) { run(state, with_scanner); }
void BM_JsonSimdjson(benchmark::State& state) {
    simdjson::ondemand::parser parser;
    run(state, [&](const Input& in) { return with_simdjson(in, parser); });
}
void BM_JsonNlohmannSax(benchmark::State& state) { run(state, with_nlohmann_sax); }
void BM_JsonNlohmannDom(benchmark::State& state) { run(state, with_nlohmann_dom); }

BENCHMARK(BM_JsonScanner)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JsonSimdjson)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JsonNlohmannSax)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_JsonNlohmannDom)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

}  // namespace

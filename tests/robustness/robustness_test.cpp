/// @brief The robustness suite (ctest label `robustness`): seeded mutations of scenario files
/// (structure, types, sizes, depth), of export captures (truncation, bit flips, length fields)
/// and of every collector-output reader's input (truncation, bytes, out-of-range values, lines
/// lost or repeated, binary junk, huge lines), each run through the real binary. Every case must end in exit 0, 1 or 2 within a
/// time bound, with a message naming the file and the place when it is refused; a crash, a
/// hang, exit 3 (internal error) or a message without a place fails the suite, and so does a
/// peak memory above the bound.
///
/// The seed is printed and can be set with FLOWLAB_ROBUSTNESS_SEED to replay a failure; the
/// number of cases per family with FLOWLAB_ROBUSTNESS_CASES (default 40).
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <regex>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "flowlab/core/process.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr auto kCaseTimeout = std::chrono::seconds(20);
constexpr long kMaxRssKiB = 1024 * 1024;  // 1 GiB for any one run

std::uint64_t seed() {
    const char* s = std::getenv("FLOWLAB_ROBUSTNESS_SEED");
    return s ? std::strtoull(s, nullptr, 10) : 20261205;
}

int cases() {
    const char* s = std::getenv("FLOWLAB_ROBUSTNESS_CASES");
    return s ? std::atoi(s) : 40;
}

struct Outcome {
    int exit_code;
    std::string err;
};

/// Runs flowlab; fails the test on a hang, a crash or exit 3, and returns the outcome.
Outcome run_case(const std::vector<std::string>& args, const std::string& label) {
    core::Process::Options o;
    o.argv = {flowlab_bin()};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    const core::RunOutput r = core::run_to_end(o, kCaseTimeout);
    const int code = r.status.shell_code();
    EXPECT_FALSE(r.timed_out) << label << ": no answer within " << kCaseTimeout.count() << " s";
    EXPECT_TRUE(code == 0 || code == 1 || code == 2) << label << ": exit " << code << "\n" << r.err.substr(0, 2000);
    return {code, r.err};
}

/// The peak resident memory of any child so far must stay within the bound. ru_maxrss of a
/// spawned child starts at this process's own peak (Linux keeps it across exec), so the figure
/// can only overstate a run's peak: a pass is a pass.
void expect_children_within_memory(const std::string& what) {
    struct rusage ru {};
    ASSERT_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0);
    EXPECT_LE(ru.ru_maxrss, kMaxRssKiB) << what << ": a run peaked at " << ru.ru_maxrss / 1024 << " MiB";
    fmt::print("{}: peak RSS of any run {} MiB\n", what, ru.ru_maxrss / 1024);
}

// ---- scenario files ----

/// Every value of a document, by JSON pointer.
void pointers(const Json& j, const std::string& at, std::vector<std::string>& out) {
    out.push_back(at);
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            std::string key;
            for (char c : it.key()) key += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
            pointers(it.value(), at + "/" + key, out);
        }
    } else if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) pointers(j[i], at + "/" + std::to_string(i), out);
    }
}

class ScenarioMutator {
public:
    ScenarioMutator(std::string text, std::uint64_t seed) : text_(std::move(text)), doc_(Json::parse(text_)), rng_(seed) {
        pointers(doc_, "", pointers_);
    }

    /// One mutant and what was done, cycling through the families.
    std::pair<std::string, std::string> next(int i) {
        switch (i % 5) {
            case 0: return structure();
            case 1: return types();
            case 2: return sizes();
            case 3: return depth();
            default: return values();
        }
    }

private:
    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
    const std::string& some_pointer() { return pointers_[1 + pick(pointers_.size() - 1)]; }

    std::pair<std::string, std::string> structure() {
        std::string t = text_;
        const std::size_t at = pick(t.size());
        switch (pick(5)) {
            case 0:
                t.resize(at);
                return {t, "truncated at byte " + std::to_string(at)};
            case 1: {
                const std::size_t n = 1 + pick(std::min<std::size_t>(64, t.size() - at));
                t.erase(at, n);
                return {t, "deleted " + std::to_string(n) + " bytes at " + std::to_string(at)};
            }
            case 2: {
                static const char* kTokens[] = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\x00", "\xff\xfe", "\x1b[2J"};
                const std::string tok = kTokens[pick(std::size(kTokens))];
                t.insert(at, tok);
                return {t, "inserted a token at " + std::to_string(at)};
            }
            case 3: {
                const std::size_t n = 1 + pick(std::min<std::size_t>(200, t.size() - at));
                t.insert(at, t.substr(at, n));
                return {t, "duplicated " + std::to_string(n) + " bytes at " + std::to_string(at)};
            }
            default:
                t[at] = static_cast<char>(pick(256));
                return {t, "replaced byte " + std::to_string(at)};
        }
    }

    std::pair<std::string, std::string> replace(const std::string& ptr, Json v, const std::string& what) {
        Json d = doc_;
        d[Json::json_pointer(ptr)] = std::move(v);
        return {d.dump(1), ptr + " := " + what};
    }

    std::pair<std::string, std::string> types() {
        const std::string& p = some_pointer();
        switch (pick(7)) {
            case 0: return replace(p, nullptr, "null");
            case 1: return replace(p, true, "true");
            case 2: return replace(p, -1, "-1");
            case 3: return replace(p, "x", "\"x\"");
            case 4: return replace(p, Json::array(), "[]");
            case 5: return replace(p, Json::object(), "{}");
            default: return replace(p, Json::object({{"bogus", 1}}), "{\"bogus\":1}");
        }
    }

    std::pair<std::string, std::string> sizes() {
        const std::string& p = some_pointer();
        switch (pick(9)) {
            case 0: return replace(p, 1e308, "1e308");
            case 1: return replace(p, 18446744073709551615ull, "2^64-1");
            case 2: return replace(p, 4294967297ull, "2^32+1");
            case 3: return replace(p, "1000000000000/s", "a rate of 1e12/s");
            case 4: return replace(p, "99999999d", "a duration of 1e8 days");
            case 5: return replace(p, "2106-03-01T00:00:00Z", "a time in 2106");
            case 6: return replace(p, std::string(200'000, 'a'), "a 200 kB string");
            case 7: return replace(p, Json(std::vector<int>(20'000, 1)), "an array of 20k elements");
            default: {
                Json o = Json::object();
                for (int i = 0; i < 20'000; ++i) o["k" + std::to_string(i)] = i;
                return replace(p, o, "an object of 20k members");
            }
        }
    }

    /// Changes that keep the document's shape, so that some mutants are valid scenarios that
    /// validate accepts and gen must then run: a number scaled or zeroed, a member removed (an
    /// optional one falls back to its default), an array element repeated.
    std::pair<std::string, std::string> values() {
        std::vector<std::string> numbers, members, elements;
        for (std::size_t k = 1; k < pointers_.size(); ++k) {
            const Json& v = doc_[Json::json_pointer(pointers_[k])];
            if (v.is_number()) numbers.push_back(pointers_[k]);
            const std::string parent = pointers_[k].substr(0, pointers_[k].rfind('/'));
            (doc_[Json::json_pointer(parent)].is_array() ? elements : members).push_back(pointers_[k]);
        }
        switch (pick(3)) {
            case 0: {
                const std::string& p = numbers[pick(numbers.size())];
                const Json& v = doc_[Json::json_pointer(p)];
                static const double kScale[] = {0.0, 0.5, 2.0, 10.0, 1000.0};
                const double f = kScale[pick(std::size(kScale))];
                Json n = v.is_number_integer() ? Json(static_cast<std::int64_t>(v.get<double>() * f)) : Json(v.get<double>() * f);
                return replace(p, n, "x" + std::to_string(f));
            }
            case 1: {
                const std::string& p = members[pick(members.size())];
                Json d = doc_;
                const std::string parent = p.substr(0, p.rfind('/'));
                std::string key = p.substr(p.rfind('/') + 1);
                for (std::size_t at; (at = key.find("~1")) != std::string::npos;) key.replace(at, 2, "/");
                for (std::size_t at; (at = key.find("~0")) != std::string::npos;) key.replace(at, 2, "~");
                d[Json::json_pointer(parent)].erase(key);
                return {d.dump(1), p + " removed"};
            }
            default: {
                const std::string& p = elements[pick(elements.size())];
                Json d = doc_;
                const std::string parent = p.substr(0, p.rfind('/'));
                Json& array = d[Json::json_pointer(parent)];
                array.push_back(doc_[Json::json_pointer(p)]);
                return {d.dump(1), p + " repeated at the end of its array"};
            }
        }
    }

    std::pair<std::string, std::string> depth() {
        const std::size_t levels = std::size_t{1} << (3 + pick(18));  // 8 .. 1M
        const bool arrays = pick(2) == 0;
        std::string open, close;
        for (std::size_t i = 0; i < levels; ++i) {
            open += arrays ? "[" : "{\"a\":";
            close += arrays ? "]" : "}";
        }
        // Wrap the value of a random key (in the text: the first occurrence of its last token).
        const std::string& p = some_pointer();
        Json d = doc_;
        d[Json::json_pointer(p)] = "@@HERE@@";
        std::string t = d.dump(1);
        const auto at = t.find("\"@@HERE@@\"");
        t.replace(at, 10, open + "1" + close);
        return {t, p + " nested " + std::to_string(levels) + (arrays ? " arrays" : " objects") + " deep"};
    }

    std::string text_;
    Json doc_;
    std::mt19937_64 rng_;
    std::vector<std::string> pointers_;
};

TEST(Robustness, MutatedScenarios) {
    const std::uint64_t s = seed();
    fmt::print("seed {} (FLOWLAB_ROBUSTNESS_SEED), {} cases per scenario\n", s, cases());
    TempDir dir;
    int refused = 0, accepted = 0, generated = 0;
    for (const char* name : {"example-office", "port-scan"}) {
        ScenarioMutator m(read_file(source_dir() + "/scenarios/" + name + ".json"), s);
        for (int i = 0; i < cases(); ++i) {
            const auto [text, what] = m.next(i);
            const std::string path = dir / (std::string(name) + "-" + std::to_string(i) + ".json");
            write_file(path, text);
            const std::string label = std::string(name) + " case " + std::to_string(i) + " (" + what + ")";
            const Outcome v = run_case({"scenarios", "validate", path}, "validate " + label);
            if (v.exit_code == 2) {
                ++refused;
                // Every line names the file, then a place: line:column, or the whole file.
                static const std::regex place(R"(^flowlab: .*\.json(:\d+:\d+: |: the file |: ))");
                std::istringstream lines(v.err);
                for (std::string line; std::getline(lines, line);) {
                    if (line.rfind("flowlab: ", 0) != 0) continue;  // excerpt and caret lines
                    EXPECT_NE(line.find(path), std::string::npos) << label << ": " << line;
                    EXPECT_TRUE(std::regex_search(line, place)) << label << ": " << line;
                    EXPECT_LT(line.size(), 2000u) << label << ": a message this long hides the cause";
                }
            } else if (v.exit_code == 0) {
                ++accepted;
                // What validate accepts, gen runs (an hour, so the suite stays fast).
                if (generated < 6) {
                    ++generated;
                    const Outcome g = run_case({"gen", path, "-o", dir / ("out-" + std::to_string(i)), "--duration", "10m",
                                                "--memory-limit", "512MiB"},
                                               "gen " + label);
                    EXPECT_EQ(g.exit_code, 0) << "gen " << label << " after validate accepted it:\n" << g.err;
                }
            }
        }
    }
    fmt::print("scenarios: {} refused, {} accepted ({} generated)\n", refused, accepted, generated);
    EXPECT_GT(refused, 0);
    expect_children_within_memory("scenarios");
}

// ---- export captures ----

struct Capture {
    std::string bytes;
    std::vector<std::size_t> record_offsets;  ///< where each pcap record header starts
};

Capture read_capture(const std::string& path) {
    Capture c{read_file(path), {}};
    const auto u32 = [&](std::size_t at) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(c.bytes[at])) |
               static_cast<std::uint32_t>(static_cast<unsigned char>(c.bytes[at + 1])) << 8 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(c.bytes[at + 2])) << 16 |
               static_cast<std::uint32_t>(static_cast<unsigned char>(c.bytes[at + 3])) << 24;
    };
    for (std::size_t at = 24; at + 16 <= c.bytes.size(); at += 16 + u32(at + 8)) c.record_offsets.push_back(at);
    return c;
}

TEST(Robustness, MutatedCaptures) {
    const std::uint64_t s = seed();
    fmt::print("seed {} (FLOWLAB_ROBUSTNESS_SEED)\n", s);
    TempDir dir;
    // A small capture with v5, v9 and IPFIX exports.
    const auto g = run({flowlab_bin(), "gen", source_dir() + "/scenarios/example-incidents.json", "-o", dir / "g",
                        "--duration", "20m"});
    ASSERT_EQ(g.exit_code, 0) << g.err;
    const Capture c = read_capture(dir / "g/exports.pcap");
    ASSERT_GT(c.record_offsets.size(), 20u);
    std::mt19937_64 rng(s);
    const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    int refused = 0;
    for (int i = 0; i < cases(); ++i) {
        std::string b = c.bytes;
        std::string what;
        const std::size_t rec = c.record_offsets[pick(c.record_offsets.size())];
        switch (i % 3) {
            case 0: {  // truncation: in the file header, a record header or a record's data
                const std::size_t at = pick(3) == 0 ? pick(24) : rec + pick(16 + 60);
                b.resize(std::min(at, b.size()));
                what = "truncated at byte " + std::to_string(at);
                break;
            }
            case 1: {  // bit flips anywhere in one record (headers, UDP, NetFlow/IPFIX)
                const int flips = 1 + static_cast<int>(pick(16));
                for (int f = 0; f < flips; ++f) {
                    const std::size_t at = std::min(b.size() - 1, rec + pick(16 + 120));
                    b[at] = static_cast<char>(b[at] ^ (1 << pick(8)));
                }
                what = std::to_string(flips) + " bit flips in the record at byte " + std::to_string(rec);
                break;
            }
            default: {  // a length field: the record's captured/original length, IP, UDP, set
                static const std::size_t kLengthAt[] = {8, 12, 16 + 14 + 2, 16 + 14 + 20 + 4, 16 + 14 + 20 + 8 + 2,
                                                        16 + 14 + 20 + 8 + 16 + 2, 16 + 14 + 20 + 8 + 20 + 2};
                const std::size_t at = rec + kLengthAt[pick(std::size(kLengthAt))];
                static const std::uint16_t kValues[] = {0, 1, 3, 4, 0x7FFF, 0xFFFF};
                const std::uint16_t v = kValues[pick(std::size(kValues))];
                if (at + 2 <= b.size()) {
                    b[at] = static_cast<char>(v >> 8);
                    b[at + 1] = static_cast<char>(v);
                }
                what = "length field at byte " + std::to_string(at) + " := " + std::to_string(v);
                break;
            }
        }
        const std::string path = dir / ("m" + std::to_string(i) + ".pcap");
        write_file(path, b);
        const std::string label = "capture case " + std::to_string(i) + " (" + what + ")";
        const Outcome d = run_case({"decode", path, "-o", dir / ("m" + std::to_string(i) + ".csv")}, "decode " + label);
        if (d.exit_code == 2) {
            ++refused;
            EXPECT_NE(d.err.find(path), std::string::npos) << label << ": " << d.err;
            static const std::regex place(R"(packet \d+|byte \d+|offset \d+|capture|pcap|empty file)");
            EXPECT_TRUE(std::regex_search(d.err, place)) << label << ": " << d.err;
            EXPECT_FALSE(fs::exists(dir / ("m" + std::to_string(i) + ".csv"))) << label << ": half an output left behind";
        }
    }
    fmt::print("captures: {} refused of {}\n", refused, cases());
    expect_children_within_memory("captures");
}

// ---- collector outputs ----

/// Every reader verify has, on the captured outputs of the real tools (tests/verify/fixtures).
struct CollectedFixture {
    const char* tool;
    const char* file;
};

constexpr CollectedFixture kCollected[] = {
    {"nfdump", "nfdump.json"}, {"nfdump", "nfdump.csv"},   {"pmacct", "pmacct.json"}, {"pmacct", "pmacct_wide.csv"},
    {"tshark", "tshark.json"}, {"goflow2", "goflow2.json"}, {"", "nfdump.pipe"},
};

TEST(Robustness, MutatedCollectorOutputs) {
    const std::uint64_t s = seed();
    fmt::print("seed {} (FLOWLAB_ROBUSTNESS_SEED)\n", s);
    TempDir dir;
    const std::string fixtures = source_dir() + "/tests/verify/fixtures/crafted";
    std::mt19937_64 rng(s);
    const auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); };
    int refused = 0, runs = 0;
    for (const auto& fx : kCollected) {
        const std::string text = read_file(fixtures + "/" + fx.file);
        // The spans of digits: where a value can be pushed out of its range.
        std::vector<std::pair<std::size_t, std::size_t>> numbers;
        for (std::size_t i = 0; i < text.size();) {
            if (!std::isdigit(static_cast<unsigned char>(text[i]))) { ++i; continue; }
            std::size_t j = i;
            while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
            numbers.emplace_back(i, j - i);
            i = j;
        }
        std::vector<std::size_t> line_starts{0};
        for (std::size_t i = 0; i + 1 < text.size(); ++i)
            if (text[i] == '\n') line_starts.push_back(i + 1);
        const int n = std::max(4, cases() / 4);
        for (int i = 0; i < n; ++i) {
            std::string t = text;
            std::string what;
            switch (i % 6) {
                case 0: {
                    const std::size_t at = pick(t.size());
                    t.resize(at);
                    what = "truncated at byte " + std::to_string(at);
                    break;
                }
                case 1: {
                    const std::size_t at = pick(t.size());
                    t[at] = static_cast<char>(pick(256));
                    what = "replaced byte " + std::to_string(at);
                    break;
                }
                case 2: {  // a value out of range: a port of 70000, a negative count, 2^64, a huge exponent
                    static const char* kValues[] = {"70000", "-1", "18446744073709551616", "1e999", "4294967296", ""};
                    const auto [at, len] = numbers[pick(numbers.size())];
                    const std::string v = kValues[pick(std::size(kValues))];
                    t.replace(at, len, v);
                    what = "number at byte " + std::to_string(at) + " := '" + v + "'";
                    break;
                }
                case 3: {  // a line deleted or repeated
                    const std::size_t l = pick(line_starts.size());
                    const std::size_t from = line_starts[l];
                    const std::size_t to = l + 1 < line_starts.size() ? line_starts[l + 1] : t.size();
                    if (pick(2) == 0) {
                        t.erase(from, to - from);
                        what = "line " + std::to_string(l + 1) + " deleted";
                    } else {
                        t.insert(from, t.substr(from, to - from));
                        what = "line " + std::to_string(l + 1) + " repeated";
                    }
                    break;
                }
                case 4: {  // binary junk, escape sequences, a NUL
                    const std::size_t at = line_starts[pick(line_starts.size())];
                    std::string junk("\x00\xff\xfe\x1b[2J\x07", 8);
                    for (int k = 0; k < 32; ++k) junk += static_cast<char>(pick(256));
                    t.insert(at, junk + "\n");
                    what = "binary junk before byte " + std::to_string(at);
                    break;
                }
                default: {  // a huge line: readers must not take it whole into a message
                    const std::size_t at = line_starts[pick(line_starts.size())];
                    t.insert(at, std::string(300'000, 'x') + "\n");
                    what = "a 300 kB line before byte " + std::to_string(at);
                    break;
                }
            }
            const std::string path = dir / (std::string(fx.file) + "." + std::to_string(i));
            write_file(path, t);
            const std::string label = std::string(fx.file) + " case " + std::to_string(i) + " (" + what + ")";
            const std::string collected = *fx.tool ? std::string(fx.tool) + ":" + path : path;
            const Outcome v = run_case({"verify", "--truth", fixtures + "/records.csv", "--collected", collected, "-q"},
                                       "verify " + label);
            ++runs;
            if (v.exit_code != 2) continue;
            ++refused;
            // One message, naming the file and a place in it (line, byte, or the file as a whole).
            EXPECT_NE(v.err.find(path), std::string::npos) << label << ": " << v.err.substr(0, 2000);
            EXPECT_LT(v.err.size(), 4000u) << label << ": a message this long hides the cause";
            EXPECT_EQ(v.err.find_first_of(std::string("\x1b\0\xff", 3)), std::string::npos)
                << label << ": raw bytes of the input echoed: " << v.err.substr(0, 300);
        }
    }
    fmt::print("collector outputs: {} refused of {}\n", refused, runs);
    EXPECT_GT(refused, 0);
    expect_children_within_memory("collector outputs");
}

}  // namespace
}  // namespace flowlab::test

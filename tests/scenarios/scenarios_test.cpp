/// @brief The canned teaching scenarios. Each one validates and generates deterministically;
/// then its question is answered the way a student would, from collector-side data alone
/// (exports decoded by `flowlab decode`, or what nfcapd stored, read back with nfdump), never
/// from truth/, and the answer is checked with `flowlab scenarios answer`.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "flowlab/core/ip_address.hpp"
#include "flowlab/core/record_format.hpp"
#include "flowlab/gen/units.hpp"
#include "flowlab/gen/answer_key.hpp"
#include "test_support.hpp"

namespace flowlab {
namespace {

using core::IpAddress;
using test::run;

constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 86'400'000;

/// What a collector shows of a flow record.
struct Flow {
    IpAddress exporter;
    int version = 0;
    IpAddress src, dst;
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t proto = 0;
    std::uint16_t tcp_flags = 0;  ///< decoded exports only (16 bits, RFC 7125)
    std::uint64_t packets = 0, bytes = 0;
    std::int64_t first_ms = 0, last_ms = 0;
};

const char* const kScenarios[] = {"trading-floor", "nightly-backup", "worm-outbreak", "ddos",
                                  "port-scan",     "metered-billing", "dual-stack"};

std::string scenario_file(const std::string& name) { return test::source_dir() + "/scenarios/" + name + ".json"; }

/// gen with the teacher's key written beside the output (OUT.answer-key.json).
void gen(const std::string& name, const std::string& out) {
    const auto r = run({test::flowlab_bin(), "gen", scenario_file(name), "-o", out, "--answer-key"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

nlohmann::json manifest(const std::string& dir) { return nlohmann::json::parse(test::read_file(dir + "/manifest.json")); }

/// The teacher's key of a gen output: the file beside it, or recomputed from scenario and seed
/// (outputs of `flowlab check`, which writes none).
nlohmann::json key(const std::string& dir) {
    return gen::find_answer_key(dir, "", {test::source_dir() + "/scenarios"});
}

/// The exports as `flowlab decode` prints them: what any collector would receive.
std::vector<Flow> decoded(const std::string& gen_dir, const test::TempDir& tmp) {
    const std::string csv = tmp / "decoded.csv";
    const auto r = run({test::flowlab_bin(), "decode", gen_dir + "/exports.pcap", "-o", csv});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<Flow> out;
    core::RecordCsvReader reader(csv);
    core::FlowRecord x;
    while (reader.next(x))
        out.push_back({x.exporter, x.version, x.src, x.dst, x.sport, x.dport, x.proto, x.tcp_flags, x.packets, x.bytes, x.first_ms,
                       x.last_ms});
    return out;
}

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(' ');
    const auto e = s.find_last_not_of(' ');
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/// What nfcapd stored, read back with nfdump (times in UTC, numbers unscaled).
std::vector<Flow> nfdump_flows(const std::string& data_dir) {
    const auto r = run({*test::find_tool("nfdump"), "-R", data_dir, "-N", "-q", "-o",
                        "fmt:%ts|%te|%sa|%da|%sp|%dp|%pr|%pkt|%byt|%ra"},
                       {"TZ=UTC"}, std::chrono::seconds(300));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<Flow> out;
    std::istringstream in(r.out);
    std::string line;
    auto ms = [](std::string t) {
        t = trim(t);
        t[10] = 'T';
        return gen::parse_time(t + "Z") / 1000;
    };
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ls(line);
        for (std::string x; std::getline(ls, x, '|');) f.push_back(trim(x));
        if (f.size() != 10) continue;
        Flow fl;
        fl.first_ms = ms(f[0]);
        fl.last_ms = ms(f[1]);
        fl.src = *IpAddress::parse(f[2]);
        fl.dst = *IpAddress::parse(f[3]);
        fl.sport = static_cast<std::uint16_t>(std::stoul(f[4]));
        fl.dport = static_cast<std::uint16_t>(std::stoul(f[5]));
        fl.proto = f[6] == "TCP" ? 6 : f[6] == "UDP" ? 17 : f[6] == "ICMP" ? 1 : 0;
        fl.packets = std::stoull(f[7]);
        fl.bytes = std::stoull(f[8]);
        fl.exporter = *IpAddress::parse(f[9]);
        out.push_back(fl);
    }
    return out;
}

std::string iso(std::int64_t ms) { return gen::format_time(ms * 1000); }
std::int64_t floor_to(std::int64_t ms, std::int64_t unit) { return ms / unit * unit; }

test::RunResult answer(const std::string& name, const std::string& dir, std::vector<std::string> args) {
    std::vector<std::string> argv{test::flowlab_bin(), "scenarios", "answer", name, "--from", dir};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
}

template <class Map>
typename Map::key_type argmax(const Map& m) {
    typename Map::key_type best{};
    typename Map::mapped_type most{};
    for (const auto& [k, v] : m)
        if (v > most) best = k, most = v;
    return best;
}

/// Consecutive keys (times) closer than `gap` form one episode: [first, last].
std::vector<std::pair<std::int64_t, std::int64_t>> episodes(const std::vector<std::int64_t>& sorted_times, std::int64_t gap) {
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (std::int64_t t : sorted_times) {
        if (out.empty() || t > out.back().second + gap) out.push_back({t, t});
        else out.back().second = std::max(out.back().second, t);
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Every scenario: valid, shown without its answer, deterministic.

class EveryScenario : public ::testing::TestWithParam<const char*> {};

TEST_P(EveryScenario, ValidatesAndShowsStoryAndQuestionButNotTheAnswer) {
    const std::string name = GetParam();
    auto r = run({test::flowlab_bin(), "scenarios", "validate", scenario_file(name)});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    r = run({test::flowlab_bin(), "scenarios", "show", name});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(test::read_file(scenario_file(name)));
    EXPECT_NE(r.out.find(doc["lesson"]["question"].get<std::string>()), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("from_truth"), std::string::npos) << r.out;
    // Issue 15: the lesson's "look at the data" step is the report, made as a student would
    // (without --answers) ...
    EXPECT_NE(r.out.find("flowlab gen " + name + " -o " + name + "\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Look at the data: flowlab report " + name + " -o " + name + ".html"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("--answers"), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("answer-key"), std::string::npos) << r.out;
    // ... and nothing of the answer: no activity name (the answer is about one of them) beyond
    // the words of the public story, question and summary, and none of the answer's texts.
    const std::string public_text = doc["lesson"]["story"].get<std::string>() + doc["lesson"]["question"].get<std::string>() +
                                    doc.value("summary", std::string());
    for (const auto& a : doc["activities"]) {
        const std::string n = a["name"];
        if (public_text.find(n) == std::string::npos) {
            EXPECT_EQ(r.out.find(n), std::string::npos) << n << ": " << r.out;
        }
    }
    const auto& answer = doc["lesson"]["answer"];
    for (auto it = answer.begin(); it != answer.end(); ++it)
        if (it.value().is_string() && public_text.find(it.value().get<std::string>()) == std::string::npos) {
            EXPECT_EQ(r.out.find(it.value().get<std::string>()), std::string::npos) << it.key() << ": " << r.out;
        }
    r = run({test::flowlab_bin(), "scenarios", "list"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find(name + " "), std::string::npos) << r.out;
}

TEST_P(EveryScenario, SameSeedGivesIdenticalOutputsAndAnswerKey) {
    const std::string name = GetParam();
    test::TempDir tmp;
    gen(name, tmp / "a");
    gen(name, tmp / "b");
    const auto a = manifest(tmp / "a");
    const auto b = manifest(tmp / "b");
    EXPECT_EQ(a["files"], b["files"]);
    EXPECT_EQ(key(tmp / "a"), key(tmp / "b"));
    EXPECT_TRUE(key(tmp / "a").is_object());
    // Default sizes stay modest so gen + a collector run end to end in well under a minute.
    EXPECT_LE(a["counts"]["records"].get<std::uint64_t>(), 320'000u);
}

// Issue 16: the student's directory held the answer (manifest.json) and named every
// conversation's activity (conversations.csv). Nothing in it may give the lesson away.
TEST_P(EveryScenario, StudentDirectoryHoldsNoAnswer) {
    const std::string name = GetParam();
    test::TempDir tmp;
    const std::string out = tmp / "out";
    auto r = run({test::flowlab_bin(), "gen", scenario_file(name), "-o", out, "--duration", "2h", "--packets",
                  "--max-packets", "20000", "--answer-key"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto doc = nlohmann::json::parse(test::read_file(scenario_file(name)));
    std::vector<std::string> secrets;
    for (const auto& a : doc["activities"]) secrets.push_back(a["name"].get<std::string>());
    const std::string story = doc["lesson"]["story"].get<std::string>();
    const std::string question = doc["lesson"]["question"].get<std::string>();
    std::size_t files = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(out)) {
        if (!e.is_regular_file()) continue;
        ++files;
        const std::string path = e.path().string();
        const std::string text = test::read_file(path);
        EXPECT_EQ(text.find(story.substr(0, 40)), std::string::npos) << path << ": holds the story";
        EXPECT_EQ(text.find(question.substr(0, 40)), std::string::npos) << path << ": holds the question";
        EXPECT_EQ(text.find("from_truth"), std::string::npos) << path;
        if (e.path().extension() == ".pcap") {
            // Classic pcap has no comment blocks (pcapng's opt_comment would be a place to leak).
            ASSERT_GE(text.size(), 4u);
            const std::uint32_t magic = static_cast<std::uint8_t>(text[0]) | static_cast<std::uint8_t>(text[1]) << 8 |
                                        static_cast<std::uint8_t>(text[2]) << 16 | static_cast<std::uint32_t>(static_cast<std::uint8_t>(text[3])) << 24;
            EXPECT_TRUE(magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) << path << ": not a classic pcap";
            for (const auto& s : secrets) {
                if (s.size() < 6) continue;  // short names match binary bytes by chance
                EXPECT_EQ(text.find(s), std::string::npos) << path << ": holds activity " << s;
            }
        } else {
            // Text files: no cell or JSON string is an activity's name.
            for (const auto& s : secrets) {
                EXPECT_EQ(text.find("," + s + ","), std::string::npos) << path << ": names activity " << s;
                EXPECT_EQ(text.find("\"" + s + "\""), std::string::npos) << path << ": names activity " << s;
            }
        }
    }
    EXPECT_GE(files, 5u);  // exports.pcap, packets.pcap, manifest.json, two truth files
    EXPECT_FALSE(manifest(out).contains("lesson"));
    // The key went beside the directory, and answers are judged with it.
    const auto k = nlohmann::json::parse(test::read_file(out + ".answer-key.json"));
    EXPECT_EQ(k["lesson"]["question"], question);
    EXPECT_TRUE(k["lesson"]["answer"].is_object());
    // It cannot be written into the student's directory.
    r = run({test::flowlab_bin(), "gen", scenario_file(name), "-o", tmp / "out2", "--duration", "1h", "--answer-key",
             tmp / "out2/key.json"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_FALSE(std::filesystem::exists(tmp / "out2"));
}

INSTANTIATE_TEST_SUITE_P(Canned, EveryScenario, ::testing::ValuesIn(kScenarios),
                         [](const auto& p) {
                             std::string n = p.param;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

// ---------------------------------------------------------------------------------------------
// The questions, answered from collector-side data.

TEST(TradingFloor, FlowCountsFindTheReportGeneratorThroughNfcapd) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    test::TempDir tmp;
    const auto c = run({test::flowlab_bin(), "check", scenario_file("trading-floor"), "--collector", "nfcapd",
                        "--workdir", tmp / "work", "-q"},
                       {}, std::chrono::seconds(600));
    ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
    const auto flows = nfdump_flows(tmp / "work/collector/data");
    ASSERT_GT(flows.size(), 100'000u);

    // Disruptions: minutes with far more flows than usual.
    std::map<std::int64_t, std::uint64_t> per_minute;
    for (const auto& f : flows) ++per_minute[floor_to(f.first_ms, kMinute)];
    std::vector<std::uint64_t> counts;
    for (const auto& [m, n] : per_minute) counts.push_back(n);
    std::nth_element(counts.begin(), counts.begin() + counts.size() / 2, counts.end());
    const std::uint64_t median = counts[counts.size() / 2];
    std::vector<std::int64_t> busy;
    for (const auto& [m, n] : per_minute)
        if (n > 200 && n > 10 * median) busy.push_back(m);
    const auto eps = episodes(busy, 10 * kMinute);
    ASSERT_GE(eps.size(), 2u) << "median " << median;

    // In each episode one host owns nearly all flows; it is the same host every time.
    std::set<IpAddress> culprits;
    for (const auto& [from, to] : eps) {
        std::map<IpAddress, std::uint64_t> by_host;
        std::uint64_t total = 0;
        for (const auto& f : flows)
            if (f.first_ms >= from && f.first_ms < to + kMinute) {
                ++by_host[f.src];
                if (f.dst != f.src) ++by_host[f.dst];
                ++total;
            }
        const IpAddress top = argmax(by_host);
        EXPECT_GT(by_host[top] * 10, total * 9) << "episode at " << iso(from);
        culprits.insert(top);
    }
    ASSERT_EQ(culprits.size(), 1u);
    const IpAddress culprit = *culprits.begin();

    // Bytes hide it: on every episode's day the top host by bytes is another one (the backups).
    for (const auto& [from, to] : eps) {
        std::map<IpAddress, std::uint64_t> bytes;
        const std::int64_t day = floor_to(from, kDay);
        for (const auto& f : flows)
            if (f.first_ms >= day && f.first_ms < day + kDay) {
                bytes[f.src] += f.bytes;
                bytes[f.dst] += f.bytes;
            }
        EXPECT_NE(argmax(bytes), culprit) << "day of " << iso(from);
    }

    // The shape of the weeks, without the report generator: per-hour aggregates.
    std::map<int, std::uint64_t> weekday_flows, weekend_flows, bytes_by_hour;
    std::map<int, std::uint64_t> tokyo, london, ny;
    const auto tokyo_gw = gen::parse_cidr("192.0.2.0/26");
    const auto london_gw = gen::parse_cidr("192.0.2.64/26");
    const auto ny_gw = gen::parse_cidr("192.0.2.128/26");
    for (const auto& f : flows) {
        if (f.src == culprit || f.dst == culprit) continue;
        const int hour = static_cast<int>(f.first_ms % kDay / kHour);
        const int weekday = static_cast<int>((f.first_ms / kDay + 3) % 7);  // 0 = Monday (1970-01-01 was a Thursday)
        (weekday < 5 ? weekday_flows : weekend_flows)[hour]++;
        bytes_by_hour[hour] += f.bytes;
        if (weekday < 5) {
            if (tokyo_gw.contains(f.dst)) ++tokyo[hour];
            if (london_gw.contains(f.dst)) ++london[hour];
            if (ny_gw.contains(f.dst)) ++ny[hour];
        }
    }
    // Ten weekdays, four weekend days: weekdays are far busier per day at 10:00.
    EXPECT_GT(weekday_flows[10] / 10, 5 * (weekend_flows[10] / 4 + 1));
    // The lunch dip (London 12:20-13:50).
    EXPECT_LT(weekday_flows[12] * 10, weekday_flows[11] * 8);
    EXPECT_LT(weekday_flows[12], weekday_flows[15]);
    // The nightly backups make the byte graph peak in the small hours.
    EXPECT_EQ(argmax(bytes_by_hour), 1) << "bytes peak at hour " << argmax(bytes_by_hour);
    // Markets open city by city: Tokyo, then London, then New York.
    EXPECT_LT(argmax(tokyo), argmax(london));
    EXPECT_LT(argmax(london), argmax(ny));

    // The student's answer: the host and each episode to the minute.
    std::vector<std::string> args{"--host", culprit.to_string()};
    for (const auto& [from, to] : eps) {
        args.push_back("--window");
        args.push_back(iso(from) + "/" + iso(to + kMinute));
    }
    auto r = answer("trading-floor", tmp / "work/gen", args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(key(tmp / "work/gen")["windows"].size(), eps.size());
    // A wrong host is wrong, and the key is not revealed.
    args[1] = "10.10.8.250";
    r = answer("trading-floor", tmp / "work/gen", args);
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_EQ(r.out.find(culprit.to_string()), std::string::npos) << r.out;
}

TEST(NightlyBackup, BytesPeakAtNightFlowsByDayAndElephantsAreSplit) {
    test::TempDir tmp;
    gen("nightly-backup", tmp / "gen");
    const auto flows = decoded(tmp / "gen", tmp);
    ASSERT_FALSE(flows.empty());
    std::map<int, std::uint64_t> bytes_by_hour, flows_by_hour;
    std::map<IpAddress, std::uint64_t> bytes_to;
    for (const auto& f : flows) {
        const int hour = static_cast<int>(f.first_ms % kDay / kHour);
        bytes_by_hour[hour] += f.bytes;
        ++flows_by_hour[hour];
        bytes_to[f.dst] += f.bytes;
    }
    EXPECT_EQ(argmax(bytes_by_hour), 2);
    const int busiest = argmax(flows_by_hour);
    EXPECT_GE(busiest, 8);
    EXPECT_LE(busiest, 17);
    const IpAddress backup = argmax(bytes_to);

    // Elephants: records to the backup host of more than 100 MB. A transfer of minutes under a
    // 2-minute active timeout arrives as several records of one 5-tuple.
    std::map<std::pair<IpAddress, std::uint16_t>, int> records_per_transfer;
    std::vector<std::int64_t> times;
    for (const auto& f : flows)
        if (f.dst == backup && f.bytes > 100'000'000) {
            ++records_per_transfer[{f.src, f.sport}];
            times.push_back(f.first_ms);
            times.push_back(f.last_ms);
        }
    ASSERT_FALSE(records_per_transfer.empty());
    for (const auto& [k, n] : records_per_transfer) EXPECT_GE(n, 2) << k.first.to_string();
    std::sort(times.begin(), times.end());
    const auto eps = episodes(times, 20 * kMinute);
    std::vector<std::string> args{"--host", backup.to_string()};
    for (const auto& [from, to] : eps) {
        args.push_back("--window");
        args.push_back(iso(from) + "/" + iso(to));
    }
    const auto r = answer("nightly-backup", tmp / "gen", args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(WormOutbreak, TheEarliestScannerIsPatientZero) {
    test::TempDir tmp;
    gen("worm-outbreak", tmp / "gen");
    const auto flows = decoded(tmp / "gen", tmp);
    // Scanners: sources reaching many distinct addresses on 445/tcp (file-share users reach one
    // server). A scanner's entry is its first 445 flow that starts a burst of new addresses:
    // five or more distinct destinations within five minutes (share sessions earlier that day
    // do not count).
    std::map<IpAddress, std::vector<std::pair<std::int64_t, IpAddress>>> by_src;
    for (const auto& f : flows)
        if (f.proto == 6 && f.dport == 445) by_src[f.src].push_back({f.first_ms, f.dst});
    std::vector<std::pair<std::int64_t, IpAddress>> scanners;
    for (auto& [src, list] : by_src) {
        std::sort(list.begin(), list.end());
        std::set<IpAddress> all;
        for (const auto& x : list) all.insert(x.second);
        if (all.size() < 20) continue;
        for (std::size_t i = 0; i < list.size(); ++i) {
            std::set<IpAddress> soon;
            for (std::size_t j = i; j < list.size() && list[j].first < list[i].first + 5 * kMinute; ++j)
                soon.insert(list[j].second);
            if (soon.size() >= 5) {
                scanners.push_back({list[i].first, src});
                break;
            }
        }
    }
    ASSERT_GE(scanners.size(), 3u) << "the worm spreads";
    std::sort(scanners.begin(), scanners.end());
    const auto [entry, patient_zero] = scanners.front();
    auto r = answer("worm-outbreak", tmp / "gen", {"--host", patient_zero.to_string(), "--start", iso(entry), "--port", "445"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    // The second scanner is not patient zero.
    r = answer("worm-outbreak", tmp / "gen", {"--host", scanners[1].second.to_string(), "--start", iso(entry)});
    EXPECT_EQ(r.exit_code, 1) << r.out;
}

TEST(Ddos, VictimStartAndPeakRateFromFlowsPerMinute) {
    test::TempDir tmp;
    gen("ddos", tmp / "gen");
    const auto flows = decoded(tmp / "gen", tmp);
    std::map<IpAddress, std::uint64_t> per_dst;
    for (const auto& f : flows) ++per_dst[f.dst];
    const IpAddress victim = argmax(per_dst);
    std::map<std::int64_t, std::uint64_t> per_minute;
    for (const auto& f : flows)
        if (f.dst == victim) ++per_minute[floor_to(f.first_ms, kMinute)];
    std::vector<std::uint64_t> counts;
    for (const auto& [m, n] : per_minute) counts.push_back(n);
    std::nth_element(counts.begin(), counts.begin() + counts.size() / 2, counts.end());
    const std::uint64_t median = counts[counts.size() / 2];
    std::int64_t start = -1;
    for (const auto& [m, n] : per_minute)
        if (n > 10 * median + 50) {
            start = m;
            break;
        }
    ASSERT_GE(start, 0);
    const double peak = static_cast<double>(per_minute[argmax(per_minute)]) / 60.0;
    auto r = answer("ddos", tmp / "gen",
                    {"--host", victim.to_string(), "--start", iso(start), "--peak-rate", std::to_string(peak)});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    r = answer("ddos", tmp / "gen",
               {"--host", victim.to_string(), "--start", iso(start), "--peak-rate", std::to_string(peak * 2)});
    EXPECT_EQ(r.exit_code, 1) << r.out;
}

TEST(PortScan, TheSlowHorizontalScannerTouchesTheMostAddressesOnOnePort) {
    test::TempDir tmp;
    gen("port-scan", tmp / "gen");
    const auto flows = decoded(tmp / "gen", tmp);
    // Probes are SYNs never followed by an ACK (at most a RST); the scanner's own logins are not.
    auto probe = [](const Flow& f) { return f.proto == 6 && (f.tcp_flags & 0x02) && !(f.tcp_flags & 0x10); };
    std::map<std::pair<IpAddress, std::uint16_t>, std::set<IpAddress>> reach;
    for (const auto& f : flows)
        if (probe(f)) reach[{f.src, f.dport}].insert(f.dst);
    std::pair<IpAddress, std::uint16_t> top{};
    std::size_t most = 0;
    for (const auto& [k, d] : reach)
        if (d.size() > most) top = k, most = d.size();
    ASSERT_GT(most, 300u);
    std::int64_t from = INT64_MAX, to = 0;
    for (const auto& f : flows)
        if (f.src == top.first && f.dport == top.second && probe(f)) {
            from = std::min(from, f.first_ms);
            to = std::max(to, f.last_ms);
        }
    // Slow: well under one new address per second on average.
    EXPECT_LT(static_cast<double>(most) / (static_cast<double>(to - from) / 1000.0), 0.2);
    const auto r = answer("port-scan", tmp / "gen",
                          {"--host", top.first.to_string(), "--port", std::to_string(top.second), "--start", iso(from),
                           "--end", iso(to)});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(MeteredBilling, PerCustomerBytesFromRecordsAreTheBill) {
    test::TempDir tmp;
    gen("metered-billing", tmp / "gen");
    const auto flows = decoded(tmp / "gen", tmp);
    // The provider knows which blocks belong to whom: the network plan, not the truth.
    const auto doc = nlohmann::json::parse(test::read_file(scenario_file("metered-billing")));
    std::vector<std::pair<gen::Cidr, std::string>> blocks;
    for (const auto& [name, n] : doc["networks"].items())
        if (n.contains("customer")) blocks.push_back({gen::parse_cidr(n["cidr"].get<std::string>()), n["customer"]});
    std::map<std::string, std::uint64_t> bill;
    for (const auto& [b, c] : blocks) bill[c] += 0;
    for (const auto& f : flows) {
        std::set<std::string> who;
        for (const auto& [b, c] : blocks)
            if (b.contains(f.src) || b.contains(f.dst)) who.insert(c);
        for (const auto& c : who) bill[c] += f.bytes;
    }
    nlohmann::json j = bill;
    test::write_file(tmp / "bill.json", j.dump());
    auto r = answer("metered-billing", tmp / "gen", {"--bill", tmp / "bill.json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto totals = key(tmp / "gen")["totals"];
    for (const auto& [c, v] : bill) EXPECT_EQ(v, totals[c].get<std::uint64_t>()) << c;  // unsampled: exact
    // Forgetting ACME's second block is a wrong bill.
    j["acme"] = j["acme"].get<std::uint64_t>() / 2;
    test::write_file(tmp / "bill2.json", j.dump());
    r = answer("metered-billing", tmp / "gen", {"--bill", tmp / "bill2.json"});
    EXPECT_EQ(r.exit_code, 1) << r.out;
}

TEST(DualStack, BothFamiliesFromBothExportProtocols) {
    test::TempDir tmp;
    gen("dual-stack", tmp / "gen");
    const auto flows = decoded(tmp / "gen", tmp);
    std::map<std::pair<int, bool>, std::uint64_t> records;  // (version, v6)
    std::map<std::string, std::uint64_t> totals{{"ipv4", 0}, {"ipv6", 0}};
    for (const auto& f : flows) {
        ++records[{f.version, f.src.is_v6()}];
        totals[f.src.is_v6() ? "ipv6" : "ipv4"] += f.bytes;
    }
    EXPECT_GT((records[{9, false}]), 0u);
    EXPECT_GT((records[{9, true}]), 0u);
    EXPECT_GT((records[{10, false}]), 0u);
    EXPECT_GT((records[{10, true}]), 0u);
    test::write_file(tmp / "totals.json", nlohmann::json(totals).dump());
    const auto r = answer("dual-stack", tmp / "gen", {"--totals", tmp / "totals.json"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// ---------------------------------------------------------------------------------------------
// `flowlab scenarios answer` on bad input: exit 2 with a message.

TEST(ScenariosAnswer, BadInputIsExitTwo) {
    test::TempDir tmp;
    gen("dual-stack", tmp / "gen");
    auto r = answer("ddos", tmp / "gen", {"--host", "203.0.113.17"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("not \"ddos\""), std::string::npos) << r.err;
    r = answer("dual-stack", tmp / "nowhere", {"--host", "10.0.0.1"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("manifest.json"), std::string::npos) << r.err;
    r = answer("dual-stack", tmp / "gen", {"--host", "not-an-address"});
    EXPECT_EQ(r.exit_code, 2);
    r = answer("dual-stack", tmp / "gen", {"--window", "2024-10-01T10:00Z"});
    EXPECT_EQ(r.exit_code, 2);
    r = answer("dual-stack", tmp / "gen", {});
    EXPECT_EQ(r.exit_code, 2);
    // A part of the key left unanswered is not right.
    r = answer("dual-stack", tmp / "gen", {"--port", "80"});
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.out.find("missing"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace flowlab

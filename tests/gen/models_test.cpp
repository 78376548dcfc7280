/// @brief Each activity kind on its own: what its conversations look like packet by packet,
/// and that the schedule, rates and shares it was given come out (fixed seeds).
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <map>
#include <set>

#include "flowlab/gen/scenario.hpp"
#include "models/kinds.hpp"
#include "stats.hpp"

namespace flowlab::gen {
namespace {

using models::kAck;
using models::kFin;
using models::kPsh;
using models::kRst;
using models::kSyn;

const std::int64_t kMonday = 1709510400LL * kUsPerSecond;  // 2024-03-04T00:00:00Z

const Scenario& scenario() {
    static const Scenario s = parse_scenario(Json::parse(R"({
  "name": "kinds", "summary": "every kind",
  "time": {"start": "2024-03-04T00:00:00Z", "duration": "8w"},
  "networks": {
    "lan": {"cidr": "10.1.0.0/24"}, "lan6": {"cidr": "2001:db8:1::/64"},
    "srv": {"cidr": "10.2.0.0/24"},
    "wan": {"cidr": "198.51.100.0/24"}, "wan6": {"cidr": "2001:db8:2::/64"}
  },
  "hosts": {
    "pcs": {"networks": ["lan", "lan6"], "count": 50},
    "terms": {"network": "lan", "count": 10, "offset": 100},
    "mainframe": {"network": "srv", "count": 1, "offset": 5},
    "reportgen": {"network": "srv", "count": 1, "offset": 10},
    "sources": {"network": "srv", "count": 80, "offset": 100},
    "backup": {"network": "srv", "count": 1, "offset": 200},
    "websites": {"networks": ["wan", "wan6"], "count": 20},
    "attacker": {"network": "wan", "count": 1, "offset": 66}
  },
  "activities": [
    {"name": "tn", "kind": "interactive", "clients": "terms", "servers": "mainframe", "rate": "20/h",
     "session": "2h", "think": {"dist": "exponential", "mean": "40s"}, "keys": {"dist": "uniform", "min": 3, "max": 10}},
    {"name": "web", "kind": "web", "clients": "pcs", "servers": "websites", "rate": "30/s", "requests": 3,
     "request": "500B", "response": "100KB", "rtt": "10ms", "server_time": "2ms", "bandwidth": "10Mbps", "v6_share": "50%"},
    {"name": "dns", "kind": "dns", "clients": "pcs", "servers": "mainframe", "rate": "50/s", "unanswered": "20%",
     "rtt": "3ms"},
    {"name": "backup", "kind": "bulk", "clients": "pcs", "servers": "backup", "bandwidth": "400Mbps", "size": "3GB",
     "schedule": {"at": "01:30", "days": "weekday", "stagger": "1m", "jitter": {"dist": "uniform", "min": "0s", "max": "30s"},
                  "hosts": 5}},
    {"name": "dl", "kind": "bulk", "clients": "pcs", "servers": "websites", "direction": "download",
     "bandwidth": "50Mbps", "duration": "10m", "variation": "20%", "rate": "2/h"},
    {"name": "report", "kind": "burst", "clients": "reportgen", "servers": "sources", "zipf": 0.5, "per_week": 2,
     "window": {"from": "10:00", "to": "15:00"}, "length": "5m", "rate": "40/s"},
    {"name": "scan", "kind": "scan", "scanner": "attacker", "targets": "lan", "ports": [22, 80, 443], "rate": "10/s",
     "start": "1h", "open": "10%", "closed": "50%"},
    {"name": "udpscan", "kind": "scan", "scanner": "attacker", "targets": "pcs", "ports": "1-100", "order": "vertical",
     "proto": "udp", "rate": "50/s", "start": "2h", "duration": "10m", "closed": "100%", "open": 0},
    {"name": "flood", "kind": "ddos", "sources": "203.0.113.0/24", "source_count": 100, "victim": "websites", "host": 3,
     "proto": "tcp", "port": 443, "start": "3h", "ramp_up": "10m", "peak": "20m", "ramp_down": "10m", "rate": "200/s",
     "replies": "50%"},
    {"name": "worm", "kind": "worm", "patient_zero": "pcs", "host": 7, "at": "4h", "targets": "lan", "vulnerable": "pcs",
     "susceptible": "50%", "port": 445, "rate": "2/s", "delay": "30s", "closed": "100%"}
  ],
  "exporters": [{"name": "gw", "protocol": "ipfix", "address": "192.0.2.1", "observes": [{"network": "lan", "if": 1}]}]
})"),
                                             "kinds.json");
    return s;
}

struct Collect final : models::Sink {
    std::deque<Conversation> all;  // deque: references stay valid
    Conversation& open(const ConversationKey& k) override {
        all.emplace_back();
        all.back().key = k;
        return all.back();
    }
};

models::Context context(const std::string& activity, std::int64_t begin, std::int64_t end, double scale = 1.0,
                        std::uint64_t seed = 1) {
    const Scenario& s = scenario();
    const std::size_t i = s.find_activity(activity);
    models::Context ctx;
    ctx.scenario = &s;
    ctx.activity = &s.activities.at(i);
    ctx.index = static_cast<std::uint32_t>(i);
    ctx.begin = begin;
    ctx.end = end;
    ctx.scale = scale;
    ctx.key = stream_key(seed, {fnv1a64(activity)});
    return ctx;
}

std::vector<Conversation> run(models::Model& m) {
    Collect c;
    std::int64_t last = 0;
    while (m.next_time() != kNever) {
        const std::int64_t t = m.next_time();
        EXPECT_GE(t, last);
        last = t;
        const std::size_t before = c.all.size();
        m.generate(c);
        for (std::size_t k = before; k < c.all.size(); ++k) {
            if (!c.all[k].bursts.empty()) {
                EXPECT_GE(c.all[k].start_us(), t);
            }
        }
    }
    std::vector<Conversation> out;
    for (auto& x : c.all)
        if (!x.bursts.empty()) out.push_back(std::move(x));
    return out;
}

std::vector<Conversation> run(const std::string& activity, std::int64_t begin, std::int64_t end, double scale = 1.0) {
    const auto ctx = context(activity, begin, end, scale);
    auto m = models::make_model(ctx);
    return run(*m);
}

std::string addr(const core::IpAddress& a) { return address_text(a); }

/// Invariants every conversation keeps.
void check_wire(const Conversation& c) {
    ASSERT_FALSE(c.bursts.empty());
    for (std::size_t i = 0; i < c.bursts.size(); ++i) {
        const Burst& b = c.bursts[i];
        ASSERT_GE(b.packets, 1u);
        ASSERT_GE(b.end_us, b.start_us);
        if (b.packets == 1) {
            ASSERT_EQ(b.end_us, b.start_us);
        }
        if (i > 0) {
            ASSERT_GT(b.start_us, c.bursts[i - 1].end_us);
        }
        ASSERT_GE(b.bytes / b.packets, 28u);
        ASSERT_LE((b.bytes + b.packets - 1) / b.packets, 1500u);
        if (c.key.proto == 6) {
            ASSERT_GE(b.bytes / b.packets, c.key.src.is_v6() ? 60u : 40u);
        }
        if (b.tcp_flags & (kSyn | kFin | kRst)) {
            ASSERT_EQ(b.packets, 1u);
        }
    }
}

TEST(Interactive, LongSessionsOfTinyPacketsWithIdleGaps) {
    const auto convs = run("tn", kMonday, kMonday + kUsPerDay);
    ASSERT_GT(convs.size(), 2u * 300);  // 20/h over a day: ~480 sessions
    std::size_t long_gaps = 0, keystroke_bursts = 0;
    for (std::size_t i = 0; i < convs.size(); ++i) {
        const Conversation& c = convs[i];
        check_wire(c);
        EXPECT_EQ(c.key.proto, 6);
        const bool client = addr(c.key.dst) == "10.2.0.5";
        EXPECT_EQ(client ? c.key.dport : c.key.sport, 23);
        EXPECT_EQ(c.bursts.front().tcp_flags, client ? kSyn : (kSyn | kAck));
        EXPECT_EQ(c.bursts.back().tcp_flags, client ? kAck : (kFin | kAck));
        const std::int64_t span = c.end_us() - c.start_us();
        if (c.end_us() < kMonday + kUsPerDay - kUsPerHour) {
            // Not cut short by the end of the span: a full two-hour session of commands.
            EXPECT_EQ(c.tcp_flags(), kSyn | kAck | kPsh | kFin);
            EXPECT_GE(span, 2 * kUsPerHour);
            EXPECT_LT(span, 2 * kUsPerHour + 10 * kUsPerMinute);
        }
        for (std::size_t k = 1; k < c.bursts.size(); ++k) {
            if (c.bursts[k].start_us - c.bursts[k - 1].end_us > 15 * kUsPerSecond) ++long_gaps;
        }
        if (client) {
            for (const Burst& b : c.bursts) {
                if (b.tcp_flags == (kAck | kPsh) && b.packets >= 3) {
                    ++keystroke_bursts;
                    EXPECT_GE(b.bytes / b.packets, 41u);
                    EXPECT_LE((b.bytes + b.packets - 1) / b.packets, 60u);
                }
            }
        }
    }
    // Exponential think times with a 40 s mean: most gaps exceed a 15 s inactive timeout.
    EXPECT_GT(long_gaps, convs.size() * 50);
    EXPECT_GT(keystroke_bursts, convs.size() * 50);
}

TEST(Web, RequestResponseBytesAreExact) {
    const auto convs = run("web", kMonday + 12 * kUsPerHour, kMonday + 12 * kUsPerHour + 2 * kUsPerMinute);
    ASSERT_NEAR(static_cast<double>(convs.size()), 2 * 30 * 120, 4 * std::sqrt(2.0 * 3600));
    std::size_t v6 = 0;
    for (const Conversation& c : convs) {
        check_wire(c);
        const bool is_v6 = c.key.src.is_v6();
        const bool client = c.key.dport == 443;
        v6 += is_v6 ? 1 : 0;
        EXPECT_EQ(c.tcp_flags(), kSyn | kAck | kPsh | kFin);
        if (client) {
            // SYN, ACK, 3 × (request + ACKs of a 100 KB response), FIN, ACK.
            EXPECT_EQ(c.bytes(), is_v6 ? 8240u : 6000u);
        } else {
            // SYN-ACK, 3 × 100 KB in MSS segments, FIN.
            EXPECT_EQ(c.bytes(), is_v6 ? 312740u : 308380u);
            EXPECT_EQ(c.packets(), is_v6 ? 2u + 3 * 70 : 2u + 3 * 69);
            // 100 KB at 10 Mbps: the full segments of one response take ~82 ms.
            const Burst& data = c.bursts[1];
            EXPECT_NEAR(static_cast<double>(data.end_us - data.start_us), 82000.0, 2500.0);
        }
    }
    EXPECT_NEAR(static_cast<double>(v6) / static_cast<double>(convs.size()), 0.5, 0.05);
}

TEST(Dns, UdpQueriesAndAnswers) {
    const auto convs = run("dns", kMonday, kMonday + 10 * kUsPerMinute);
    std::size_t queries = 0, answers = 0;
    std::set<std::uint16_t> sports;
    for (const Conversation& c : convs) {
        check_wire(c);
        EXPECT_EQ(c.key.proto, 17);
        EXPECT_EQ(c.packets(), 1u);
        EXPECT_EQ(c.tcp_flags(), 0);
        if (c.key.dport == 53) {
            ++queries;
            sports.insert(c.key.sport);
            EXPECT_GE(c.bytes(), 28u + 20);
            EXPECT_LE(c.bytes(), 28u + 60);
        } else {
            ++answers;
        }
    }
    EXPECT_NEAR(static_cast<double>(queries), 50 * 600, 4 * std::sqrt(30000.0));
    EXPECT_NEAR(static_cast<double>(answers) / static_cast<double>(queries), 0.8, 0.01);
    EXPECT_GT(sports.size(), 10000u);  // randomized source ports
}

TEST(Bulk, NightlyBackupsAtTheScheduledTimeWithExactVolume) {
    const auto convs = run("backup", kMonday, kMonday + 14 * kUsPerDay);
    std::map<std::int64_t, int> runs_per_day;
    std::uint64_t transfers = 0;
    for (const Conversation& c : convs) {
        check_wire(c);
        if (addr(c.key.dst) != "10.2.0.200") continue;  // the uploading direction
        ++transfers;
        const std::int64_t day = floor_div(c.start_us(), kUsPerDay);
        const int wd = weekday_from_days(day);
        EXPECT_LT(wd, 5) << "backups run on weekdays only";
        const int k = runs_per_day[day]++;
        const std::int64_t offset = c.start_us() - (day * kUsPerDay + 90 * kUsPerMinute + k * kUsPerMinute);
        EXPECT_GE(offset, 0);
        EXPECT_LE(offset, 31 * kUsPerSecond);
        // Exactly 3 GB of payload in MSS segments.
        std::uint64_t payload = 0, data_packets = 0;
        for (const Burst& b : c.bursts) {
            if (b.tcp_flags == (kAck | kPsh)) {
                payload += b.bytes - b.packets * 40;
                data_packets += b.packets;
            }
        }
        EXPECT_EQ(payload, 3'000'000'000u);
        EXPECT_EQ(data_packets, (3'000'000'000u + 1459) / 1460);
        // 3 GB + headers at 400 Mbps: ~61.6 s, an elephant an active timeout splits.
        EXPECT_NEAR(static_cast<double>(c.end_us() - c.start_us()) / 1e6, 61.6, 0.5);
    }
    EXPECT_EQ(transfers, 10u * 5u);
    EXPECT_EQ(runs_per_day.size(), 10u);
}

TEST(Bulk, DownloadsWithVaryingThroughput) {
    const auto convs = run("dl", kMonday, kMonday + 7 * kUsPerDay);
    std::size_t transfers = 0;
    test::Moments per_minute;
    for (const Conversation& c : convs) {
        check_wire(c);
        if (c.key.sport != 22) continue;  // server → client carries the data
        ++transfers;
        const std::int64_t span = c.end_us() - c.start_us();
        if (c.end_us() < kMonday + 7 * kUsPerDay - kUsPerHour) {
            EXPECT_NEAR(static_cast<double>(span), 10.0 * kUsPerMinute, 2.0 * kUsPerSecond);
        }
        for (const Burst& b : c.bursts) {
            if (b.tcp_flags == (kAck | kPsh) && b.packets > 1000 && b.end_us - b.start_us > 59 * kUsPerSecond)
                per_minute.add(static_cast<double>(b.bytes) * 8 / static_cast<double>(b.end_us - b.start_us));
        }
    }
    EXPECT_NEAR(static_cast<double>(transfers), 2.0 * 24 * 7, 4 * std::sqrt(2.0 * 24 * 7));
    // Minute-by-minute throughput: mean 50 Mbps, coefficient of variation 20%.
    EXPECT_NEAR(per_minute.mean, 50.0, 1.5);
    EXPECT_NEAR(std::sqrt(per_minute.variance()) / per_minute.mean, 0.2, 0.03);
}

TEST(Burst, TwoRandomWorkingDaysAWeekInsideTheWindow) {
    const auto ctx = context("report", kMonday, kMonday + 8 * 7 * kUsPerDay);
    models::BurstModel model(ctx);
    std::map<std::int64_t, int> days_per_week;
    for (std::int64_t d = kMonday / kUsPerDay; d < kMonday / kUsPerDay + 56; ++d) {
        if (model.chosen(d)) {
            EXPECT_LT(weekday_from_days(d), 5);
            ++days_per_week[(d - kMonday / kUsPerDay) / 7];
        }
    }
    ASSERT_EQ(days_per_week.size(), 8u);
    for (const auto& [w, n] : days_per_week) EXPECT_EQ(n, 2) << "week " << w;

    models::BurstModel fresh(ctx);
    const auto convs = run(fresh);
    std::map<std::int64_t, std::vector<const Conversation*>> by_day;
    for (const Conversation& c : convs) {
        check_wire(c);
        if (addr(c.key.src) == "10.2.0.10") by_day[floor_div(c.start_us(), kUsPerDay)].push_back(&c);
    }
    ASSERT_EQ(by_day.size(), 16u);
    for (const auto& [day, cs] : by_day) {
        EXPECT_TRUE(model.chosen(day));
        std::set<std::string> servers;
        std::int64_t first = kNever, last = 0;
        for (const Conversation* c : cs) {
            servers.insert(addr(c->key.dst));
            first = std::min(first, c->start_us());
            last = std::max(last, c->start_us());
        }
        EXPECT_GE(first, day * kUsPerDay + 10 * kUsPerHour);
        EXPECT_LT(last, day * kUsPerDay + 15 * kUsPerHour);
        EXPECT_LE(last - first, 5 * kUsPerMinute);
        // 40 connections/s for 5 minutes to many of the 80 data sources.
        EXPECT_NEAR(static_cast<double>(cs.size()), 12000.0, 4 * std::sqrt(12000.0));
        EXPECT_GE(servers.size(), 70u);
    }
}

TEST(Scan, HorizontalTcpScanVisitsEveryTargetOnceAndOnlyHostsAnswer) {
    const std::int64_t start = kMonday + kUsPerHour;
    const auto convs = run("scan", kMonday, kMonday + 3 * kUsPerHour);
    const Scenario& s = scenario();
    std::vector<const Conversation*> probes;
    std::map<std::string, const Conversation*> replies;
    for (const Conversation& c : convs) {
        check_wire(c);
        EXPECT_GE(c.start_us(), start);
        if (addr(c.key.src) == "198.51.100.66") {
            probes.push_back(&c);
        } else {
            replies[addr(c.key.src) + ":" + std::to_string(c.key.sport) + ">" + std::to_string(c.key.dport)] = &c;
        }
    }
    ASSERT_EQ(probes.size(), 254u * 3);
    std::set<std::pair<std::string, std::uint16_t>> seen;
    std::size_t existing = 0, answered = 0, open = 0;
    for (std::size_t i = 0; i < probes.size(); ++i) {
        const Conversation& p = *probes[i];
        EXPECT_TRUE(seen.insert({addr(p.key.dst), p.key.dport}).second);
        EXPECT_EQ(p.bursts.front().tcp_flags, kSyn);
        // Horizontal: one port across all addresses, then the next port.
        EXPECT_EQ(p.key.dport, probes[i / 254 * 254]->key.dport);
        const bool host = s.find_host(p.key.dst).pool != kNone;
        existing += host ? 1 : 0;
        const auto it = replies.find(addr(p.key.dst) + ":" + std::to_string(p.key.dport) + ">" + std::to_string(p.key.sport));
        if (it == replies.end()) continue;
        EXPECT_TRUE(host) << addr(p.key.dst) << " does not exist but answered";
        ++answered;
        if (it->second->tcp_flags() == (kSyn | kAck)) {
            ++open;
            EXPECT_EQ(p.tcp_flags(), kSyn | kRst);  // the scanner resets the half-open connection
        } else {
            EXPECT_EQ(it->second->tcp_flags(), kRst | kAck);
        }
    }
    EXPECT_EQ(existing, 60u * 3);  // pcs (50) and terms (10) live on lan
    EXPECT_NEAR(static_cast<double>(answered) / static_cast<double>(existing), 0.6, 0.12);
    EXPECT_GT(open, 5u);
    // The shuffled order is not the address order.
    EXPECT_NE(addr(probes[0]->key.dst), "10.1.0.1");
    // Ten probes a second: 762 probes take about 76 s.
    EXPECT_NEAR(static_cast<double>(probes.back()->start_us() - start) / 1e6, 76.2, 15.0);
}

TEST(Scan, VerticalUdpScanGetsIcmpUnreachable) {
    const auto convs = run("udpscan", kMonday, kMonday + 3 * kUsPerHour);
    std::vector<const Conversation*> probes;
    std::size_t icmp = 0;
    for (const Conversation& c : convs) {
        check_wire(c);
        if (addr(c.key.src) == "198.51.100.66") {
            EXPECT_EQ(c.key.proto, 17);
            probes.push_back(&c);
        } else {
            ++icmp;
            EXPECT_EQ(c.key.proto, 1);
            EXPECT_EQ(c.key.dport, 3 << 8 | 3);
            EXPECT_EQ(c.bytes(), 20u + 8 + 28);
        }
    }
    // 50 hosts × 100 ports at 50/s: all 5000 probes fit in the 10-minute window.
    ASSERT_EQ(probes.size(), 5000u);
    EXPECT_EQ(icmp, 5000u);  // closed 100%, all targets exist
    for (std::size_t i = 0; i < 100; ++i) EXPECT_EQ(addr(probes[i]->key.dst), addr(probes[0]->key.dst));
    EXPECT_NE(addr(probes[100]->key.dst), addr(probes[0]->key.dst));
}

TEST(Ddos, RampPeakAndSpoofedSources) {
    const std::int64_t start = kMonday + 3 * kUsPerHour;
    const auto convs = run("flood", kMonday, kMonday + 5 * kUsPerHour);
    std::vector<double> per_minute(40, 0);
    std::set<std::string> sources;
    std::size_t attack = 0, backscatter = 0;
    for (const Conversation& c : convs) {
        check_wire(c);
        if (c.key.dport == 443) {
            ++attack;
            EXPECT_EQ(addr(c.key.dst), "198.51.100.4");
            EXPECT_EQ(c.tcp_flags(), kSyn);
            sources.insert(addr(c.key.src));
            ASSERT_GE(c.start_us(), start);
            ASSERT_LT(c.start_us(), start + 40 * kUsPerMinute);
            per_minute[static_cast<std::size_t>((c.start_us() - start) / kUsPerMinute)] += 1;
        } else {
            ++backscatter;
            EXPECT_EQ(c.tcp_flags(), kSyn | kAck);
            EXPECT_EQ(c.key.sport, 443);
        }
    }
    EXPECT_EQ(sources.size(), 100u);  // a botnet of exactly source_count distinct addresses
    EXPECT_NEAR(static_cast<double>(backscatter) / static_cast<double>(attack), 0.5, 0.02);
    // Minute k of the ramp up expects 200·60·(k + 0.5)/10 flows; the peak 12000 a minute.
    std::vector<double> expected(40);
    for (std::size_t k = 0; k < 40; ++k) {
        const double level = k < 10 ? (static_cast<double>(k) + 0.5) / 10 : k < 30 ? 1.0 : (39.5 - static_cast<double>(k)) / 10;
        expected[k] = 12000.0 * level;
    }
    int df = 0;
    const double stat = test::chi2(per_minute, expected, df);
    EXPECT_LT(stat, test::chi2_critical(df)) << stat;
}

TEST(Worm, SpreadsFromPatientZeroAfterEntry) {
    const auto ctx = context("worm", kMonday, kMonday + 8 * kUsPerHour);
    models::WormModel worm(ctx);
    const auto convs = run(worm);
    const auto& inf = worm.infections();
    ASSERT_GT(inf.size(), 5u);
    EXPECT_EQ(addr(inf[0].second), "10.1.0.8");  // pcs host 7
    EXPECT_EQ(inf[0].first, kMonday + 4 * kUsPerHour);
    const Scenario& s = scenario();
    std::map<std::string, std::int64_t> infected_at;
    for (const auto& [t, a] : inf) {
        EXPECT_EQ(s.find_host(a).pool, s.find_pool("pcs"));
        infected_at[addr(a)] = t;
    }
    // About half of the 50 pcs are susceptible; all of them are found within 4 hours.
    EXPECT_GT(inf.size(), 15u);
    EXPECT_LT(inf.size(), 40u);
    std::map<std::string, std::int64_t> first_probe;
    for (const Conversation& c : convs) {
        check_wire(c);
        EXPECT_GE(c.start_us(), kMonday + 4 * kUsPerHour);
        if (c.key.dport != 445) continue;
        const std::string src = addr(c.key.src);
        if (!first_probe.count(src)) first_probe[src] = c.start_us();
    }
    EXPECT_EQ(convs.front().start_us(), kMonday + 4 * kUsPerHour);
    EXPECT_EQ(addr(convs.front().key.src), "10.1.0.8");
    for (const auto& [src, t] : first_probe) {
        ASSERT_TRUE(infected_at.count(src)) << src << " probes but was never infected";
        if (src != "10.1.0.8") {
            EXPECT_GE(t, infected_at[src] + 30 * kUsPerSecond) << src;
        }
    }
}

TEST(IndexPermutation, IsABijection) {
    for (std::uint64_t n : {1ull, 2ull, 3ull, 7ull, 64ull, 1000ull, 65537ull}) {
        const models::IndexPermutation p(n, 99);
        std::vector<bool> hit(n, false);
        for (std::uint64_t i = 0; i < n; ++i) {
            const std::uint64_t v = p(i);
            ASSERT_LT(v, n);
            ASSERT_FALSE(hit[v]) << n;
            hit[v] = true;
        }
    }
    const models::IndexPermutation big(~std::uint64_t{0}, 5);
    EXPECT_NE(big(0), big(1));
}

TEST(Train, KeepsBurstsOrderedAndDisjoint) {
    Conversation c;
    models::Train t(c);
    t.one(100, 60, kSyn);
    t.add(100, 200, 5, 300, kAck);  // would overlap: moved after the SYN
    t.add(150, 150, 2, 80, kAck);   // same
    ASSERT_EQ(c.bursts.size(), 3u);
    EXPECT_EQ(c.bursts[1].start_us, 101);
    EXPECT_EQ(c.bursts[1].end_us, 201);
    EXPECT_EQ(c.bursts[2].start_us, 202);
    const models::Wire w{false};
    const std::int64_t end = t.data(1000, 3000, w, 1e6, kAck | kPsh);
    ASSERT_EQ(c.bursts.size(), 5u);
    EXPECT_EQ(c.bursts[3].packets, 2u);
    EXPECT_EQ(c.bursts[3].bytes, 2u * 1500);
    EXPECT_EQ(c.bursts[4].packets, 1u);
    EXPECT_EQ(c.bursts[4].bytes, 80u + 40);
    EXPECT_EQ(end, c.bursts[4].end_us);
    EXPECT_EQ(t.data(5000, 0, w, 1e6, kAck), end);  // nothing to send
}

}  // namespace
}  // namespace flowlab::gen

/// @brief Conversations per second of the traffic models and the merged stream (the budget of
/// `flowlab gen` is well under 1 µs per conversation), plus the variate kernels underneath.
/// Run: build/bench/flowlab_bench_gen [--benchmark_filter=Stream]
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>

#include "flowlab/gen/rate_curve.hpp"
#include "flowlab/gen/traffic_source.hpp"

namespace {

using namespace flowlab::gen;

/// A busy office: every client/server kind at high rates, diurnal profiles with noise, plus a
/// scan and a flood, so the stream mixes short and long conversations.
const char* const kBusy = R"({
  "name": "bench-busy", "summary": "busy",
  "time": {"start": "2024-03-04T00:00:00Z", "duration": "14d"},
  "sites": {"london": {"utc_offset": "+00:00"}, "tokyo": {"utc_offset": "+09:00"}},
  "networks": {"lan": {"cidr": "10.0.0.0/16", "site": "london"}, "lan6": {"cidr": "2001:db8:1::/64", "site": "london"},
               "srv": {"cidr": "10.1.0.0/24", "site": "london"}, "wan": {"cidr": "198.51.100.0/24", "site": "london"},
               "wan6": {"cidr": "2001:db8:2::/64", "site": "london"}, "bots": {"cidr": "203.0.113.0/24", "site": "london"}},
  "hosts": {"pcs": {"networks": ["lan", "lan6"], "count": 5000}, "terms": {"network": "lan", "count": 300},
            "mainframe": {"network": "srv", "count": 1}, "resolver": {"network": "srv", "count": 2},
            "reportgen": {"network": "srv", "count": 1}, "sources": {"network": "srv", "count": 200},
            "backup": {"network": "srv", "count": 1}, "websites": {"networks": ["wan", "wan6"], "count": 250},
            "attacker": {"network": "wan", "count": 1}},
  "profiles": {
    "office": {"site": "london", "weekday": [["00:00", 0.3], ["09:00", 1.0], ["12:00", 1.0], ["12:30", 0.7],
                                             ["13:30", 0.7], ["14:00", 1.0], ["18:00", 0.6]], "weekend": 0.3},
    "tokyo": {"site": "tokyo", "all": [["00:00", 0.8], ["09:00", 1.0], ["15:00", 1.0], ["16:00", 0.8]]}
  },
  "activities": [
    {"name": "web", "kind": "web", "clients": "pcs", "servers": "websites", "zipf": 1.1, "rate": "4000/s",
     "profiles": ["office", "tokyo"], "noise": {"cv": 0.1},
     "requests": {"dist": "empirical", "values": [[1, 80], [3, 20]]},
     "response": {"dist": "pareto", "scale": "2KB", "shape": 1.3, "cap": "20MB"}},
    {"name": "dns", "kind": "dns", "clients": "pcs", "servers": "resolver", "rate": "3000/s", "profiles": "office"},
    {"name": "tn", "kind": "interactive", "clients": "terms", "servers": "mainframe", "rate": "2/s", "profiles": "office",
     "session": {"dist": "lognormal", "median": "20m", "sigma": 0.5}},
    {"name": "report", "kind": "burst", "clients": "reportgen", "servers": "sources", "days": "weekday",
     "window": {"from": "10:00", "to": "15:00"}, "length": "10m", "rate": "2000/s", "episodes": 3},
    {"name": "backup", "kind": "bulk", "clients": "pcs", "servers": "backup", "bandwidth": "1Gbps", "size": "1GB",
     "variation": "10%", "schedule": {"at": "01:00", "hosts": 200, "stagger": "10s"}},
    {"name": "scan", "kind": "scan", "scanner": "attacker", "targets": "lan", "ports": "1-1024", "rate": "200/s"},
    {"name": "flood", "kind": "ddos", "sources": "bots", "victim": "websites", "start": "1h", "ramp_up": "1h",
     "peak": "12d", "rate": "500/s", "replies": "20%"}
  ],
  "exporters": [{"name": "gw", "protocol": "ipfix", "address": "192.0.2.1", "observes": [{"network": "lan", "if": 1}]}]
})";

const Scenario& busy() {
    static const Scenario s = parse_scenario_text(kBusy, "bench-busy.json");
    return s;
}

/// A scenario with only the named activity of the busy one.
Scenario only(const std::string& activity) {
    Json doc = busy().document;
    Json keep = Json::array();
    for (const auto& a : doc["activities"])
        if (a["name"] == activity) keep.push_back(a);
    doc["activities"] = keep;
    return parse_scenario(doc, "bench-" + activity + ".json");
}

void pull(benchmark::State& state, const Scenario& s) {
    std::uint64_t total = 0, bursts = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto src = std::make_unique<TrafficSource>(s);
        Conversation c;
        state.ResumeTiming();
        // One million conversations per iteration (or the whole span, if shorter).
        for (int i = 0; i < 1'000'000 && src->next(c); ++i) {
            bursts += c.bursts.size();
            ++total;
        }
        benchmark::DoNotOptimize(c);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(total));
    state.counters["bursts/conv"] = static_cast<double>(bursts) / static_cast<double>(total);
}

void BM_StreamBusy(benchmark::State& state) { pull(state, busy()); }
BENCHMARK(BM_StreamBusy)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Kind(benchmark::State& state, const char* activity) {
    static std::map<std::string, Scenario> cache;
    auto it = cache.find(activity);
    if (it == cache.end()) it = cache.emplace(activity, only(activity)).first;
    pull(state, it->second);
}
BENCHMARK_CAPTURE(BM_Kind, web, "web")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Kind, dns, "dns")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Kind, interactive, "tn")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Kind, burst, "report")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Kind, scan, "scan")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Kind, ddos, "flood")->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Arrivals(benchmark::State& state) {
    const Scenario& s = busy();
    const Activity& web = s.activities[s.find_activity("web")];
    const RateCurve curve(s, web.arrival, 1.0, 1);
    std::uint64_t n = 0;
    Arrivals arr(curve, Rng(1), s.start_us, s.end_us());
    for (auto _ : state) {
        std::int64_t t = arr.next();
        if (t == kNever) {
            arr = Arrivals(curve, Rng(n), s.start_us, s.end_us());
            t = arr.next();
        }
        benchmark::DoNotOptimize(t);
        ++n;
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(n));
}
BENCHMARK(BM_Arrivals);

void BM_Variate(benchmark::State& state, int which) {
    Rng rng(3);
    double acc = 0;
    for (auto _ : state) {
        switch (which) {
            case 0:
                acc += static_cast<double>(rng.next() >> 40);
                break;
            case 1:
                acc += rng.lognormal(8.0, 1.0);
                break;
            case 2:
                acc += rng.exponential(1.0);
                break;
            case 3:
                acc += rng.pareto(1.0, 1.2, 1e6);
                break;
            case 4:
                acc += rng.gamma(25.0, 0.04);
                break;
            case 5:
                acc += static_cast<double>(rng.binomial(120'000'000, 0.001));
                break;
            default:
                acc += static_cast<double>(rng.poisson(600.0));
        }
    }
    benchmark::DoNotOptimize(acc);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(BM_Variate, next, 0);
BENCHMARK_CAPTURE(BM_Variate, lognormal, 1);
BENCHMARK_CAPTURE(BM_Variate, exponential, 2);
BENCHMARK_CAPTURE(BM_Variate, pareto, 3);
BENCHMARK_CAPTURE(BM_Variate, gamma, 4);
BENCHMARK_CAPTURE(BM_Variate, binomial_large, 5);
BENCHMARK_CAPTURE(BM_Variate, poisson_large, 6);

}  // namespace

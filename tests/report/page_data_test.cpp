/// @brief The page's data written as a stream: a traffic section is byte for byte what the JSON DOM
/// it replaced dumped, the gzip is what one deflate call over the whole text gives, what the page
/// holds stays within its stated bound and is reported as it grows, and the JSON estimate bounds
/// the data of random traffic.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>

#include "flowlab/core/error.hpp"
#include "flowlab/core/version.hpp"
#include "flowlab/report/page.hpp"
#include "test_support.hpp"
#include "traffic_records.hpp"

namespace flowlab::report {
namespace {

using nlohmann::json;
using namespace test_records;

ChartLibrary fake_library() {
    return {"/nowhere/chart.min.js", "3.9.1", "/*! Chart.js v3.9.1 */"};
}

std::string base64_of(const unsigned char* p, std::size_t n) {
    static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < n; i += 3) {
        std::uint32_t v = std::uint32_t{p[i]} << 16;
        if (i + 1 < n) v |= std::uint32_t{p[i + 1]} << 8;
        if (i + 2 < n) v |= p[i + 2];
        out += k[v >> 18 & 63];
        out += k[v >> 12 & 63];
        out += i + 1 < n ? k[v >> 6 & 63] : '=';
        out += i + 2 < n ? k[v & 63] : '=';
    }
    return out;
}

/// What the pages carried before they were streamed: one deflate call over the whole text.
std::string one_shot_gzip_base64(const std::string& text) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    const std::size_t n = z.total_out;
    deflateEnd(&z);
    return base64_of(reinterpret_cast<const unsigned char*>(out.data()), n);
}

std::string gunzip_base64(const std::string& b64) {
    std::string bytes;
    std::uint32_t v = 0;
    int bits = 0;
    for (const char c : b64) {
        const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char* at = std::strchr(k, c);
        if (c == '=' || !at) break;
        v = v << 6 | static_cast<std::uint32_t>(at - k);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes += static_cast<char>(v >> bits & 0xFF);
        }
    }
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(bytes.data());
    z.avail_in = static_cast<uInt>(bytes.size());
    std::string text;
    char buf[65536];
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        rc = inflate(&z, Z_NO_FLUSH);
        text.append(buf, sizeof buf - z.avail_out);
    }
    inflateEnd(&z);
    EXPECT_EQ(rc, Z_STREAM_END);
    return text;
}

/// The base64 text of a written page's data.
std::string payload_of(const std::string& page) {
    const std::string open = "<script id=\"flowlab-data\" type=\"application/octet-stream\">";
    const auto at = page.find(open);
    if (at == std::string::npos) return {};
    const auto from = at + open.size();
    return page.substr(from, page.find("</script>", from) - from);
}

/// The traffic section's large members as report.cpp built them before they were streamed.
json dom_members(const TrafficData& d) {
    auto counters = [](const std::vector<Counters>& v, std::uint64_t Counters::*f) {
        json a = json::array();
        for (const Counters& c : v) a.push_back(c.*f);
        return a;
    };
    json s;
    json series = json::array();
    for (const SourceSeries& src : d.sources) {
        json per_proto = json::array();
        for (const auto& slots : src.slots)
            per_proto.push_back({counters(slots, &Counters::flows), counters(slots, &Counters::packets),
                                 counters(slots, &Counters::bytes)});
        series.push_back(std::move(per_proto));
    }
    s["series"] = std::move(series);
    json addresses = json::array();
    for (const auto& a : d.addresses) addresses.push_back(a.to_string());
    s["addresses"] = std::move(addresses);
    json convs = json::array();
    for (const auto& [a, b] : d.conversations) {
        convs.push_back(a);
        convs.push_back(b);
    }
    s["conversations"] = std::move(convs);
    json levels = json::array();
    for (const Level& level : d.levels) {
        json start = json::array(), end = json::array(), total = json::array();
        std::array<json, kDims> count, rest, err, key, val;
        for (std::size_t k = 0; k < kDims; ++k) count[k] = rest[k] = err[k] = key[k] = val[k] = json::array();
        auto push2 = [](json& a, const Counters& c) {
            a.push_back(c.flows);
            a.push_back(c.bytes);
        };
        for (const Cell& c : level.cells) {
            start.push_back(c.start);
            end.push_back(c.end);
            total.push_back(c.total.flows);
            total.push_back(c.total.packets);
            total.push_back(c.total.bytes);
            for (std::size_t k = 0; k < kDims; ++k) {
                const DimCell& dc = c.dims[k];
                count[k].push_back(dc.kept.size());
                push2(rest[k], dc.rest);
                push2(err[k], dc.err);
                std::vector<Candidate> sorted = dc.kept;
                std::sort(sorted.begin(), sorted.end(),
                          [](const Candidate& a, const Candidate& b) { return a.key < b.key; });
                std::uint32_t prev = 0;
                for (const Candidate& cand : sorted) {
                    key[k].push_back(cand.key - prev);
                    prev = cand.key;
                    push2(val[k], cand.value);
                }
            }
        }
        json dims = json::array();
        for (std::size_t k = 0; k < kDims; ++k)
            dims.push_back({{"name", std::string(dim_name(static_cast<Dim>(k)))},
                            {"count", std::move(count[k])},
                            {"rest", std::move(rest[k])},
                            {"err", std::move(err[k])},
                            {"key", std::move(key[k])},
                            {"val", std::move(val[k])}});
        levels.push_back({{"name", level.spec.name},
                          {"factor", level.spec.factor},
                          {"offset", level.spec.offset},
                          {"candidates", level.spec.candidates},
                          {"start", std::move(start)},
                          {"end", std::move(end)},
                          {"total", std::move(total)},
                          {"dims", std::move(dims)}});
    }
    s["levels"] = std::move(levels);
    return s;
}

TrafficOptions two_days() {
    TrafficOptions o;
    o.span_ms = std::make_pair(kStart, kStart + 48 * 3'600'000);
    return o;
}

TEST(PageData, ATrafficSectionIsWhatItsDomDumped) {
    test::TempDir dir;
    const std::uint64_t seed = 31;
    SCOPED_TRACE("seed " + std::to_string(seed));
    const TrafficData d = aggregate(random_records(seed, 20'000, 48), two_days());
    // Small members before, between and after the streamed ones, as an object's keys sort.
    const json small = {
        {"aaa", json::array({1, 2})}, {"kind", "traffic"}, {"title", "t \"quoted\" ü"}, {"zzz", nullptr}};
    {
        PageData page(fake_library(), true);
        page.add_section(small, traffic_members(d));
        page.add_section({{"kind", "card"}});
        page.write(dir / "page.html", "a <title>");
    }
    const std::string payload = payload_of(test::read_file(dir / "page.html"));
    ASSERT_FALSE(payload.empty());
    const std::string text = gunzip_base64(payload);

    json section = small;
    const json members = dom_members(d);  // items() of a temporary would dangle
    for (const auto& [k, v] : members.items()) section[k] = v;
    const json expected = {{"title", "a <title>"},
                           {"sections", json::array({section, {{"kind", "card"}}})},
                           {"answers_shown", true},
                           {"generator", {{"flowlab", kVersion}, {"chartjs", "3.9.1"}}}};
    EXPECT_TRUE(text == expected.dump())
        << "streamed " << text.size() << " bytes, the DOM dumps " << expected.dump().size();
    // And its compression is the one the page had when the whole text was compressed at once.
    EXPECT_TRUE(payload == one_shot_gzip_base64(text));
}

TEST(PageData, GzipIsTheOneShotStreamWhateverTheLength) {
    std::mt19937_64 rng(5);
    for (const std::size_t n : {0u, 1u, 2u, 3u, 4u, 65535u, 65536u, 65537u, 400'000u}) {
        SCOPED_TRACE(n);
        std::string text;
        for (std::size_t i = 0; i < n; ++i) text += static_cast<char>('0' + rng() % 11);
        EXPECT_TRUE(gzip_base64(text) == one_shot_gzip_base64(text));
        EXPECT_TRUE(gunzip_base64(gzip_base64(text)) == text);
    }
}

TEST(PageData, WhatItHoldsStaysWithinTheBoundAndIsReportedAsItGrows) {
    test::TempDir dir;
    PageData page(fake_library(), false);
    std::vector<std::uint64_t> reported;
    page.on_growth = [&](std::uint64_t held) { reported.push_back(held); };
    std::mt19937_64 rng(9);
    page.add_section({{"kind", "numbers"}}, {{"values", [&](JsonText& t) {
                                                  t.raw("[");
                                                  for (int i = 0; i < 500'000; ++i) {
                                                      if (i) t.raw(",");
                                                      t.number(std::uint64_t{rng() % 1'000'000'007});
                                                  }
                                                  t.raw("]");
                                              }}});
    ASSERT_GE(reported.size(), 10u);
    EXPECT_TRUE(std::is_sorted(reported.begin(), reported.end()));
    page.on_growth = nullptr;
    page.write(dir / "numbers.html", "numbers");
    const std::string text = gunzip_base64(payload_of(test::read_file(dir / "numbers.html")));
    ASSERT_GT(text.size(), 4'000'000u);
    EXPECT_GE(page.peak_bytes(), reported.back());
    EXPECT_LE(page.peak_bytes(), page_data_bound(text.size()));
    // Compressed, never the whole text: even random digits, in base64, take less.
    EXPECT_LT(page.peak_bytes(), text.size());
}

TEST(PageData, AStopFromTheGrowthReportEndsTheSectionAndWritesNothing) {
    test::TempDir dir;
    {
        PageData page(fake_library(), false);
        page.on_growth = [](std::uint64_t held) {
            throw UsageError("the report holds " + std::to_string(held) + " bytes, more than --memory-limit");
        };
        EXPECT_THROW(page.add_section({{"kind", "numbers"}}, {{"values",
                                                               [](JsonText& t) {
                                                                   t.raw("[");
                                                                   for (std::uint64_t i = 0; i < 100'000;
                                                                        ++i) {
                                                                       if (i) t.raw(",");
                                                                       t.number(i);
                                                                   }
                                                                   t.raw("]");
                                                               }}}),
                     UsageError);
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(PageData, TheJsonEstimateBoundsTheDataOfRandomTraffic) {
    for (const std::uint64_t seed : {11u, 12u, 13u}) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const auto records = random_records(seed, 30'000, 48, seed == 12 ? 20'000 : 300);
        TrafficOptions o = two_days();
        o.candidates = seed == 13 ? 50 : 10;
        const TrafficData d = aggregate(records, o);
        test::TempDir dir;
        PageData page(fake_library(), false);
        page.add_section({{"kind", "traffic"}}, traffic_members(d));
        page.write(dir / "t.html", "t");
        const std::string text = gunzip_base64(payload_of(test::read_file(dir / "t.html")));
        EXPECT_LE(text.size(), estimate_traffic_json_bytes(o, records.size(), 3));
        EXPECT_LE(page.peak_bytes(), page_data_bound(estimate_traffic_json_bytes(o, records.size(), 3)));
        // While its section is written the result is held, within what the aggregation held.
        EXPECT_LE(held_bytes(d), d.peak_bytes);
    }
}

}  // namespace
}  // namespace flowlab::report

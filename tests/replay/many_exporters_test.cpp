/// @brief Thousands of emulated exporters in one replay, each from its own loopback address
/// (`--exporter-src auto`), even when the soft limit on open files is far below one socket each:
/// replay raises it up to the hard limit, and says so plainly when the hard limit is too low.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "replay_fixtures.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kExporters = 2000;
constexpr std::size_t kPerExporter = 3;

/// 2,000 exporters (10.0.0.1 ...) sending three v5 datagrams each.
std::string capture(const TempDir& dir) {
    std::vector<core::IpAddress> exporters;
    for (std::size_t k = 0; k < kExporters; ++k) exporters.push_back(core::IpAddress::v4(0x0A000001 + static_cast<std::uint32_t>(k)));
    const std::string path = dir / "many.pcap";
    write_capture(path, v5_stream(kExporters * kPerExporter, exporters, 1));
    return path;
}

/// prlimit's --nofile value: `soft` and the hard limit this process has.
std::string nofile(rlim_t soft, rlim_t hard) {
    return "--nofile=" + std::to_string(soft) + ":" + (hard == RLIM_INFINITY ? "unlimited" : std::to_string(hard));
}

TEST(ManyExporters, EachSendsFromItsOwnAddressPastALowSoftLimitOnOpenFiles) {
    FLOWLAB_REQUIRE_TOOL("prlimit");
    rlimit limit{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < kExporters + 200)
        GTEST_SKIP() << "the hard limit on open files here is " << limit.rlim_max << ", below one socket per exporter";
    TempDir dir;
    const std::string pcap = capture(dir);
    UdpReceiver rx;
    // A soft limit of 256, as tight as a default shell's 1024 is for 10,000 exporters.
    const auto r = run({"prlimit", nofile(256, limit.rlim_max), flowlab_bin(), "replay", pcap, "--to", rx.target(),
                        "--exporter-src", "auto", "--pps", "20000", "--stats-json", dir / "stats.json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto got = rx.wait_for(kExporters * kPerExporter);
    ASSERT_EQ(got.size(), kExporters * kPerExporter);

    std::map<std::string, std::size_t> per_source;
    for (const auto& d : got) {
        EXPECT_EQ(d.src.to_string().rfind("127.", 0), 0u) << d.src.to_string();
        ++per_source[d.src.to_string()];
    }
    EXPECT_EQ(per_source.size(), kExporters);
    for (const auto& [src, n] : per_source) EXPECT_EQ(n, kPerExporter) << src;

    // The stats name each exporter's own local address, no two alike.
    const Json stats = Json::parse(read_file(dir / "stats.json"));
    ASSERT_EQ(stats["sources"].size(), kExporters);
    std::set<std::string> locals;
    for (const auto& s : stats["sources"]) {
        const std::string local = s["local"].get<std::string>();
        locals.insert(local.substr(0, local.rfind(':')));
    }
    EXPECT_EQ(locals.size(), kExporters);
}

TEST(ManyExporters, AHardLimitBelowOneSocketPerExporterIsAUsageError) {
    FLOWLAB_REQUIRE_TOOL("prlimit");
    TempDir dir;
    const std::string pcap = capture(dir);
    UdpReceiver rx;
    const auto r = run({"prlimit", nofile(256, 512), flowlab_bin(), "replay", pcap, "--to", rx.target(), "--exporter-src",
                        "auto", "--stats-json", dir / "stats.json"});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("needs 2000 open sockets, but the hard limit on open files is 512 (ulimit -Hn)"), std::string::npos)
        << r.err;
    EXPECT_TRUE(rx.wait_for(1, std::chrono::milliseconds(300)).empty()) << "sent although it could not send from all";
    EXPECT_FALSE(std::filesystem::exists(dir / "stats.json"));
}

}  // namespace
}  // namespace flowlab::test

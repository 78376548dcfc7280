/// @brief The scenario of the IOS XR table tests (dialect_test, dialect_peer_test, faults_test):
/// dual-stack with its first exporter, building-a (192.0.2.41), on a dialect, written once.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace flowlab::test {

/// Writes dual-stack to `path` with `patch` (a JSON object's text) merged into its first
/// exporter, whose own wire keys (protocol, time_style, template_refresh, domain) are left out
/// so that a dialect in the patch decides them.
inline void write_scenario(const std::string& path, const std::string& patch) {
    auto doc = nlohmann::ordered_json::parse(read_file(source_dir() + "/scenarios/dual-stack.json"));
    doc.erase("$schema");
    auto& e = doc["exporters"][0];
    for (const char* k : {"protocol", "time_style", "template_refresh", "domain"}) e.erase(k);
    e.merge_patch(nlohmann::ordered_json::parse(patch));
    write_file(path, doc.dump(1));
}

/// building-a (ifIndex 1, 2 and default_if 9) naming interface 1, adding an interface (7) and a
/// VRF (5) that no record uses.
inline constexpr const char* kIosXrNames = R"("interface_names": {"1": "TenGigE0_0_1_0", "7": "Bundle-Ether7"},
                                       "vrf_names": {"5": "CUSTOMER-A"})";

/// building-a with its networks in two VRFs: a4 and a6 in 10 ("RED"), printers in 20 (named by
/// the dialect's pattern), everything else (default_if 9) in VRF 0.
inline constexpr const char* kTwoVrfs = R"("observes": [{"network": "a4", "if": 1, "vrf": 10}, {"network": "a6", "if": 1, "vrf": 10},
                                                 {"network": "printers", "if": 2, "vrf": 20}],
                                    "vrf_names": {"10": "RED"})";

/// gen of that scenario (tmp/s.json) with building-a on `dialect` and the members `members`
/// (kIosXrNames, kTwoVrfs) for `duration`, `extra` appended; returns the output directory,
/// tmp/g. A failing gen fails the test.
inline std::string ios_xr_run(const std::string& dialect, const TempDir& tmp, const char* members = kIosXrNames,
                              const std::string& duration = "5m", const std::vector<std::string>& extra = {}) {
    write_scenario(tmp / "s.json", R"({"dialect": ")" + dialect + "\", " + members + "}");
    std::vector<std::string> argv{flowlab_bin(), "gen", tmp / "s.json", "-o", tmp / "g", "--duration", duration};
    argv.insert(argv.end(), extra.begin(), extra.end());
    const auto r = run(argv);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    return tmp / "g";
}

}  // namespace flowlab::test

/// @brief The distributed load run (deploy/): the Kubernetes manifests are Jobs that run the pod
/// scripts with what they need, and the same pod command run as N local processes against one
/// real nfcapd (scripts/shards-local.sh, then deploy/verify-run.sh) verifies as MATCH.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "flowlab/core/udp_port.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using namespace std::chrono_literals;

bool contains(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

/// The YAML documents of a file as JSON (python3-yaml, installed by setup.sh).
std::vector<Json> yaml_documents(const std::string& path) {
    const auto r =
        run({"python3", "-c",
             "import json, sys, yaml\n"
             "print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d is not None]))",
             path});
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
    return Json::parse(r.out).get<std::vector<Json>>();
}

std::string env_value(const Json& container, const std::string& name) {
    for (const auto& e : container["env"])
        if (e["name"] == name) return e["value"].get<std::string>();
    ADD_FAILURE() << "no " << name << " in " << container["name"];
    return {};
}

std::string mount_path(const Json& pod, const Json& container, const std::string& claim) {
    for (const auto& v : pod["volumes"]) {
        if (!v.contains("persistentVolumeClaim") || v["persistentVolumeClaim"]["claimName"] != claim)
            continue;
        for (const auto& m : container["volumeMounts"])
            if (m["name"] == v["name"]) return m["mountPath"].get<std::string>();
    }
    ADD_FAILURE() << "claim " << claim << " is not mounted in " << container["name"];
    return {};
}

TEST(Deploy, KubernetesJobsRunThePodScriptsOnOneSharedVolume) {
    const std::string dir = source_dir() + "/deploy/kubernetes";
    const auto pvc = yaml_documents(dir + "/results-pvc.yaml");
    ASSERT_EQ(pvc.size(), 1u);
    EXPECT_EQ(pvc[0]["kind"], "PersistentVolumeClaim");
    // Every shard's pod writes at once.
    EXPECT_EQ(pvc[0]["spec"]["accessModes"], Json::array({"ReadWriteMany"}));
    const std::string claim = pvc[0]["metadata"]["name"];

    const auto shards = yaml_documents(dir + "/shards-job.yaml");
    ASSERT_EQ(shards.size(), 1u);
    const Json& job = shards[0];
    EXPECT_EQ(job["apiVersion"], "batch/v1");
    EXPECT_EQ(job["kind"], "Job");
    EXPECT_EQ(job["spec"]["completionMode"], "Indexed");  // JOB_COMPLETION_INDEX names the shard
    // All shards at once, each once, and as many as SHARD_COUNT says.
    EXPECT_EQ(job["spec"]["completions"], job["spec"]["parallelism"]);
    const Json& pod = job["spec"]["template"]["spec"];
    EXPECT_EQ(pod["restartPolicy"], "Never");
    ASSERT_EQ(pod["containers"].size(), 1u);
    const Json& shard = pod["containers"][0];
    EXPECT_EQ(shard["command"], Json::array({"flowlab-shard-run"}));
    EXPECT_EQ(env_value(shard, "SHARD_COUNT"), std::to_string(job["spec"]["completions"].get<int>()));
    for (const char* name : {"SCENARIO", "COLLECTOR", "START_AT"})
        EXPECT_FALSE(env_value(shard, name).empty()) << name;
    EXPECT_TRUE(fs::exists(source_dir() + "/scenarios/" + env_value(shard, "SCENARIO") + ".json"));
    const std::string results = env_value(shard, "RESULTS");
    EXPECT_EQ(mount_path(pod, shard, claim), results);

    const auto verify = yaml_documents(dir + "/verify-job.yaml");
    ASSERT_EQ(verify.size(), 1u);
    const Json& vpod = verify[0]["spec"]["template"]["spec"];
    const Json& v = vpod["containers"][0];
    EXPECT_EQ(v["command"], Json::array({"flowlab-verify-run"}));
    EXPECT_EQ(env_value(v, "RESULTS"), results);
    EXPECT_EQ(mount_path(vpod, v, claim), results);
    EXPECT_TRUE(contains(env_value(v, "COLLECTED"), ":"));

    // The image installs the two scripts under the names the Jobs run, with setup.sh's packages.
    const std::string image = read_file(dir + "/Dockerfile");
    EXPECT_TRUE(contains(image, "FROM debian:12"));
    EXPECT_TRUE(contains(image, "scripts/setup.sh"));
    EXPECT_TRUE(contains(image, "deploy/shard-run.sh /usr/local/bin/flowlab-shard-run"));
    EXPECT_TRUE(contains(image, "deploy/verify-run.sh /usr/local/bin/flowlab-verify-run"));
}

TEST(Deploy, LocalShardsAgainstOneNfcapdVerifyAsMatch) {
    FLOWLAB_REQUIRE_TOOL("nfcapd");
    FLOWLAB_REQUIRE_TOOL("nfdump");
    TempDir dir;
    const std::string flows = dir / "flows", results = dir / "results";
    fs::create_directories(flows);
    const std::uint16_t port = free_udp_port();
    Process nfcapd(
        {"nfcapd", "-b", "127.0.0.1", "-p", std::to_string(port), "-w", flows, "-t", "3600", "-B", "4194304"},
        "", dir / "nfcapd.log");
    ASSERT_TRUE(
        wait_until([&] { return core::udp_socket_state(port).has_value() || !nfcapd.running(); }, 10000ms) &&
        nfcapd.running())
        << read_file_if_exists(dir / "nfcapd.log");
    const std::vector<std::string> env = {"FLOWLAB=" + flowlab_bin(), "GEN_ARGS=--duration 20m",
                                          "REPLAY_ARGS=--pps 20000"};
    // example-office has two exporters: the third shard sends nothing and must still succeed.
    // The common start leaves the shards 12 s to generate: under AddressSanitizer on a busy
    // machine, 2 s was not always enough, and a start that has passed is refused.
    auto r = run({"bash", source_dir() + "/scripts/shards-local.sh", "3", "example-office",
                  "127.0.0.1:" + std::to_string(port), results, "12"},
                 env);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "3 shards sent")) << r.err;
    for (int i = 0; i < 3; ++i) {
        const std::string shard = results + "/shard-" + std::to_string(i);
        ASSERT_TRUE(fs::exists(shard + "/replay.json")) << i;
        const Json stats = Json::parse(read_file(shard + "/replay.json"));
        if (i == 2) {
            EXPECT_EQ(stats["packets"], 0);  // no exporter: nothing sent
            continue;
        }
        // Each sent from the common start on, not before it.
        EXPECT_EQ(stats["transport"], "udp") << i;
        ASSERT_TRUE(stats.contains("start_at") && stats["start_at"].is_object()) << stats.dump();
        EXPECT_GE(stats["start_at"]["late_us"].get<double>(), 0) << stats.dump();
    }
    // SIGTERM makes nfcapd write what it holds; then the verify step, as the verify Job runs it.
    nfcapd.stop(SIGTERM);
    r = run({"bash", source_dir() + "/deploy/verify-run.sh"},
            {"FLOWLAB=" + flowlab_bin(), "RESULTS=" + results, "COLLECTED=nfdump:" + flows,
             "VERIFY_ARGS=--collector nfcapd"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(contains(r.out, "MATCH")) << r.out;
    const Json report = Json::parse(read_file(results + "/report.json"));
    EXPECT_TRUE(report.dump().find("MATCH") != std::string::npos);
    const Json merged = Json::parse(read_file(results + "/merged/manifest.json"));
    EXPECT_EQ(merged["merged_from"]["count"], 3);
    EXPECT_EQ(merged["exporters"].size(), 2u);
}

}  // namespace
}  // namespace flowlab::test

/// @brief harness::CollectorRun's stop rules on a stand-in collector (python3): one that, like
/// nfacctd's print plugin, holds what it receives and writes it out on a timer, logging each
/// write and how many records it wrote. With flush_log/idle_log the run must not stop it before
/// everything sent is in its output, even with KILL; the profile checks reject rules that
/// would lose data; a collector that writes without end is stopped at the output limit.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "flowlab/core/error.hpp"
#include "flowlab/harness/collector.hpp"
#include "test_support.hpp"

namespace flowlab::harness {
namespace {

// Binds UDP 127.0.0.1:PORT, keeps what arrives, and every PERIOD seconds appends it to FILE
// and logs "write END QN: n/n," (the write is done, then logged, as pmacct does).
const char* kStandIn = R"(
import socket, sys, time
port, out, period = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.01)
held, next_write = [], time.monotonic() + period
print("taking data", flush=True)
while True:
    try:
        held.append(s.recv(65535).decode())
    except socket.timeout:
        pass
    if time.monotonic() >= next_write:
        with open(out, "a") as f:
            f.writelines(h + "\n" for h in held)
        print(f"write END QN: {len(held)}/{len(held)}, ET: 0", flush=True)
        held, next_write = [], time.monotonic() + period
)";

verify::CollectorProfile profile(const nlohmann::json& stop, const std::string& script) {
    nlohmann::json doc = {{"name", "stand-in"},
                          {"reader", "flowlab"},
                          {"keeps", {"src"}},
                          {"run",
                           {{"start", {"python3", script, "{port}", "{dir}/out.txt", "0.5"}},
                            {"ready_log", "taking data"},
                            {"stop", stop},
                            {"collected", "flowlab:{dir}/out.txt"}}}};
    return verify::parse_profile(doc, "stand-in.json");
}

void send(std::uint16_t port, const std::vector<std::string>& datagrams) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (const auto& d : datagrams)
        ASSERT_EQ(::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to), static_cast<ssize_t>(d.size()));
    ::close(fd);
}

TEST(CollectorRun, FlushLogStopsOnlyOnceEverythingSentIsWritten) {
    FLOWLAB_REQUIRE_TOOL("python3");
    test::TempDir dir;
    test::write_file(dir / "stand_in.py", kStandIn);
    const auto p = profile({{"signal", "KILL"}, {"flush_log", "write END"}, {"idle_log", "QN: 0/0,"}}, dir / "stand_in.py");
    // Several rounds: the datagrams land at different points of the stand-in's write period.
    for (int round = 0; round < 3; ++round) {
        CollectorRunOptions o;
        o.dir = dir / ("run" + std::to_string(round));
        CollectorRun run(p, o);
        std::this_thread::sleep_for(std::chrono::milliseconds(170 * round));
        send(run.port(), {"one", "two", "three"});
        const auto spec = run.finish();
        EXPECT_EQ(test::read_file_if_exists(spec.path), "one\ntwo\nthree\n") << "round " << round << "; log:\n" << run.log_tail();
        const std::string log = test::read_file(o.dir + "/collector.log");
        EXPECT_NE(log.find("QN: 0/0,"), std::string::npos) << "stopped before an empty write:\n" << log;
    }
}

TEST(CollectorRun, ACollectorThatWritesWithoutEndIsStoppedAtTheOutputLimit) {
    FLOWLAB_REQUIRE_TOOL("python3");
    test::TempDir dir;
    // Takes data, then writes without end, as nfcapd 1.7.1 does for conformance case 7.5.
    test::write_file(dir / "loop.py", R"(
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("taking data", flush=True)
s.recv(65535)
with open(sys.argv[2], "w") as f:
    while True:
        f.write("x" * 65536)
)");
    nlohmann::json doc = {{"name", "looping"},
                          {"reader", "flowlab"},
                          {"keeps", {"src"}},
                          {"run",
                           {{"start", {"python3", dir / "loop.py", "{port}", "{dir}/out.txt"}},
                            {"ready_log", "taking data"},
                            {"stop", {{"signal", "TERM"}, {"quiet_file", "{dir}/out.txt"}, {"quiet_for", "1s"}}},
                            {"collected", "flowlab:{dir}/out.txt"}}}};
    CollectorRunOptions o;
    o.dir = dir / "run";
    o.output_limit = 4u << 20;
    CollectorRun run(verify::parse_profile(doc, "looping.json"), o);
    send(run.port(), {"go"});
    run.finish();
    ASSERT_TRUE(run.stuck().has_value());
    EXPECT_NE(run.stuck()->find("wrote more than 4 MB"), std::string::npos) << *run.stuck();
}

TEST(CollectorRun, StopRulesThatWouldLoseDataAreRejected) {
    auto message = [](const nlohmann::json& stop) {
        try {
            profile(stop, "x.py");
            parse_run_spec(profile(stop, "x.py"));
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_NE(message({{"signal", "KILL"}}).find("/run/stop/signal"), std::string::npos) << message({{"signal", "KILL"}});
    EXPECT_NE(message({{"signal", "KILL"}, {"flush_log", "END"}}).find("KILL needs flush_log and idle_log"), std::string::npos);
    EXPECT_NE(message({{"idle_log", "QN: 0/0,"}}).find("/run/stop/idle_log"), std::string::npos);
    EXPECT_NE(message({{"flush_log", ""}}).find("/run/stop/flush_log"), std::string::npos);
    EXPECT_EQ(message({{"signal", "KILL"}, {"flush_log", "END"}, {"idle_log", "QN: 0/0,"}}), "accepted");
}

}  // namespace
}  // namespace flowlab::harness

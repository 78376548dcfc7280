#include "netns.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace flowlab::test {
namespace {

bool ok(const std::vector<std::string>& argv) { return run(argv, {}, std::chrono::seconds(20)).exit_code == 0; }

}  // namespace

VethPair::VethPair() {
    static std::atomic<int> counter{0};
    const std::string id = std::to_string(getpid() % 100000) + "x" + std::to_string(counter++);
    inject_ns = "flowlab-inj-" + id;
    capture_ns = "flowlab-cap-" + id;
    inject_if = "fli" + id;  // interface names: at most 15 characters
    capture_if = "flc" + id;
}

VethPair::~VethPair() {
    // Deleting a namespace destroys the veth end in it, and with it the pair.
    if (made_inject_) run({"ip", "netns", "del", inject_ns});
    if (made_capture_) run({"ip", "netns", "del", capture_ns});
}

std::string VethPair::create() {
    if (!(made_inject_ = ok({"ip", "netns", "add", inject_ns}))) return "cannot create network namespace " + inject_ns;
    if (!(made_capture_ = ok({"ip", "netns", "add", capture_ns}))) return "cannot create network namespace " + capture_ns;
    if (!ok({"ip", "link", "add", inject_if, "netns", inject_ns, "type", "veth", "peer", "name", capture_if, "netns",
             capture_ns}))
        return "cannot create a veth pair";
    for (const auto& [ns, ifc] : {std::pair{inject_ns, inject_if}, std::pair{capture_ns, capture_if}}) {
        run({"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf." + ifc + ".disable_ipv6=1"});
        if (!ok({"ip", "-n", ns, "link", "set", ifc, "up"})) return "cannot bring up " + ifc;
    }
    if (!ok({"ip", "-n", capture_ns, "link", "set", "lo", "up"})) return "cannot bring up lo in " + capture_ns;
    for (const auto& [ns, ifc] : {std::pair{inject_ns, inject_if}, std::pair{capture_ns, capture_if}}) {
        const bool up = wait_until(
            [&] { return run({"ip", "-n", ns, "link", "show", "dev", ifc}).out.find("state UP") != std::string::npos; },
            std::chrono::milliseconds(10000));
        if (!up) return ifc + " did not come up";
    }
    return {};
}

}  // namespace flowlab::test

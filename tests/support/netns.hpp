/// @brief Two network namespaces joined by a veth pair, made by a test and always deleted, so
/// that tests that inject frames or run a probe on an interface never touch the host's own.
/// Needs root (the tests skip without it) and iproute2.
#pragma once

#include <string>

namespace flowlab::test {

class VethPair {
public:
    /// Names unique to this process and object: tests running at the same time do not meet.
    VethPair();
    ~VethPair();
    VethPair(const VethPair&) = delete;
    VethPair& operator=(const VethPair&) = delete;

    /// Creates both namespaces and the pair, with IPv6 off on both ends (its router
    /// solicitations would be frames nobody sent) and both ends up (waited for: until the link
    /// watcher marks them up, a veth drops what it is given), and the capture side's loopback up
    /// (for a collector there). Empty on success, otherwise why it could not be set up.
    std::string create();

    std::string inject_ns, capture_ns, inject_if, capture_if;

private:
    bool made_inject_ = false;
    bool made_capture_ = false;
};

}  // namespace flowlab::test

/// @brief Reading a gen output directory in tests: datagrams per exporter endpoint, CSV rows,
/// truth rows per exporter, and a scenario with five exporters that share what can be shared.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace flowlab::test {

struct Datagram {
    std::int64_t ts_ns = 0;
    std::vector<std::uint8_t> frame;    ///< the whole Ethernet frame
    std::vector<std::uint8_t> payload;  ///< the export message
    bool operator==(const Datagram&) const = default;
};

/// A datagram's source address and port.
using Endpoint = std::pair<std::string, std::uint16_t>;

/// A capture's UDP datagrams per source endpoint, in file order (a frame that is not UDP fails
/// the test).
std::map<Endpoint, std::vector<Datagram>> datagrams_by_source(const std::string& pcap);

/// Every line of a text file.
std::vector<std::string> lines(const std::string& path);

/// The data rows of a CSV file, in file order; a header other than `header` fails the test.
std::vector<std::string> csv_rows(const std::string& path, const std::string& header);

/// The rows of a truth/records.csv per exporter (its address and domain, the first two
/// columns), each exporter's in file order.
std::map<std::string, std::vector<std::string>> records_by_exporter(const std::string& records_csv);

/// example-office (two exporters that share the servers' conversations) with three more, written
/// into `dir`: one on the edge's address with another port and domain, a second sampled core
/// (first in the list, so the servers' conversations belong to it, not to the edge), and a
/// NetFlow v5 edge that cannot export the IPv6 conversations it observes. Returns its path.
std::string five_exporters_scenario(const TempDir& dir);

}  // namespace flowlab::test

/// @brief Reading a gen output directory in tests (see gen_output.hpp).
#include "gen_output.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"

namespace flowlab::test {

std::map<Endpoint, std::vector<Datagram>> datagrams_by_source(const std::string& pcap) {
    std::map<Endpoint, std::vector<Datagram>> out;
    core::PcapReader reader(pcap);
    core::Frame f;
    core::UdpDatagram d;
    while (reader.next_frame(f)) {
        EXPECT_TRUE(reader.parse_udp(f, d)) << pcap << ": frame " << f.number << " is not UDP";
        out[{d.src.to_string(), d.sport}].push_back(
            {f.ts_ns, {f.data.begin(), f.data.end()}, {d.payload.begin(), d.payload.end()}});
    }
    return out;
}

std::vector<std::string> lines(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in) << "cannot read " << path;
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

std::vector<std::string> csv_rows(const std::string& path, const std::string& header) {
    std::vector<std::string> all = lines(path);
    EXPECT_FALSE(all.empty()) << path << ": no header";
    if (all.empty()) return all;
    EXPECT_EQ(all.front(), header) << path;
    all.erase(all.begin());
    return all;
}

std::map<std::string, std::vector<std::string>> records_by_exporter(const std::string& records_csv) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& r : csv_rows(records_csv, core::csv_header())) {
        const auto second = r.find(',', r.find(',') + 1);
        out[r.substr(0, second)].push_back(r);
    }
    return out;
}

std::string five_exporters_scenario(const TempDir& dir) {
    using Json = nlohmann::json;
    Json s = Json::parse(read_file(source_dir() + "/scenarios/example-office.json"));
    s.erase("$schema");
    const Json edge = s["exporters"][0], core = s["exporters"][1];
    Json edge2 = edge;
    edge2["name"] = "edge-2";
    edge2["port"] = 2056;
    edge2["domain"] = 2;
    Json core2 = core;
    core2["name"] = "core-2";
    core2["address"] = "192.0.2.3";
    Json v5 = edge;
    v5["name"] = "edge-v5";
    v5["protocol"] = "v5";
    v5["address"] = "192.0.2.4";
    v5.erase("domain");
    s["exporters"] = Json::array({core2, edge, core, edge2, v5});
    const std::string path = dir / "five-exporters.json";
    write_file(path, s.dump(2));
    return path;
}

}  // namespace flowlab::test

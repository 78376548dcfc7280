/// @brief --stats-json: the run's figures for machines, written atomically.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/replay/replay.hpp"

namespace flowlab::replay {

void write_stats_json(const ReplayStats& s, const std::string& path) {
    using nlohmann::json;
    json j;
    j["mode"] = s.mode;
    j["transport"] = s.transport.empty() ? json(nullptr) : json(s.transport);
    j["file"] = s.file;
    j["target"] = s.target;
    j["packets"] = s.packets;
    j["bytes"] = s.bytes;
    j["wire_bytes"] = s.wire_bytes;
    j["duration_s"] = s.seconds();
    j["pps"] = s.pps();
    j["mbps"] = s.mbps();
    j["loops_completed"] = s.loops_completed;
    j["interrupted"] = s.interrupted;
    j["duration_reached"] = s.duration_reached;
    if (s.paced && s.lateness.count()) {
        j["lateness_ns"] = {{"p50", s.lateness.quantile(0.5)},
                            {"p99", s.lateness.quantile(0.99)},
                            {"max", s.lateness.max()},
                            {"mean", s.lateness.mean()},
                            {"count", s.lateness.count()}};
    } else {
        j["lateness_ns"] = nullptr;
    }
    json errors = json::object();
    for (const auto& [name, n] : s.errors.list()) errors[name] = n;
    j["errors"] = errors;
    j["not_sent"] = s.errors.skipped;
    j["capture"] = {{"packets", s.file_packets},
                    {"memory_bytes", s.memory_bytes},
                    {"mapped_bytes", s.mapped_bytes},
                    {"load_s", static_cast<double>(s.load_ns) / 1e9},
                    {"truncated_frames", s.truncated_frames}};
    json sources = json::array();
    for (const auto& [exporter, local] : s.sources)
        sources.push_back({{"exporter", exporter}, {"local", local}});
    j["sources"] = sources;
    if (s.transport == "tcp") {
        json conns = json::array();
        for (const ConnectionStats& c : s.connections) {
            conns.push_back({{"exporter", c.exporter},
                             {"exporter_port", c.exporter_port},
                             {"local", c.local},
                             {"messages", c.messages},
                             {"bytes", c.bytes}});
        }
        j["connections"] = conns;
    } else {
        j["connections"] = nullptr;
    }
    if (s.start_at_us) {
        const bool sent = s.first_send_us >= 0;
        j["start_at"] = {{"requested", core::format_time(*s.start_at_us)},
                         {"requested_us", *s.start_at_us},
                         {"first_send", sent ? json(core::format_time(s.first_send_us)) : json(nullptr)},
                         {"first_send_us", sent ? json(s.first_send_us) : json(nullptr)},
                         {"late_us", sent ? json(s.first_send_us - *s.start_at_us) : json(nullptr)}};
    } else {
        j["start_at"] = nullptr;
    }
    if (s.rebased) {
        j["rebase"] = {{"shift_s", s.shift_s},
                       {"loop_shift_s", s.loop_shift_s},
                       {"messages", s.rebase.messages},
                       {"time_fields", s.rebase.time_fields},
                       {"not_flow", s.rebase.not_flow},
                       {"sets_without_template", s.rebase.sets_without_template},
                       {"odd_length_times", s.rebase.odd_length_times},
                       {"sessions", s.rebase.sessions}};
    } else {
        j["rebase"] = nullptr;
    }
    const std::string text = j.dump(2) + "\n";
    core::AtomicFile f(path);
    if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size()) {
        throw IoError(path + ": cannot write the stats");
    }
    f.commit();
}

}  // namespace flowlab::replay

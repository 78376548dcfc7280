/// @brief See tshark_elements.hpp.
#include "tshark_elements.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include "flowlab/core/decoder.hpp"
#include "flowlab/core/pcap_io.hpp"
#include "flowlab/core/record_format.hpp"
#include "test_support.hpp"

namespace flowlab::test {
namespace {

using nlohmann::json;

struct TsField {
    std::string name;
    std::size_t pos = 0, len = 0;  ///< relative to the cflow header
    std::string value;
};
struct TsRecord {
    std::string title;
    std::vector<TsField> fields;
    std::size_t start() const {
        std::size_t m = SIZE_MAX;
        for (const auto& f : fields) m = std::min(m, f.pos);
        return m;
    }
};

struct FlElement {
    std::string name, text;
    std::size_t pos = 0, len = 0;
    bool numeric = false;
};
struct FlRecord {
    std::size_t start = 0, end = 0;
    std::uint16_t template_id = 0;
    std::vector<FlElement> elements;
};

/// Records under a cflow tree: objects named "Flow N" (data and options records).
void collect_records(const json& node, std::size_t base, std::vector<TsRecord>& out);

/// One "Flow N" object (or, with --no-duplicate-keys, each of an array of them).
void collect_flow(const std::string& key, const json& flow, std::size_t base, std::vector<TsRecord>& out);

void collect_records(const json& node, std::size_t base, std::vector<TsRecord>& out) {
    if (node.is_array()) {
        for (const auto& x : node) collect_records(x, base, out);
        return;
    }
    if (!node.is_object()) return;
    for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string& key = it.key();
        if (key.rfind("Flow ", 0) == 0) {
            if (it->is_array())
                for (const auto& x : *it) collect_flow(key, x, base, out);
            else
                collect_flow(key, *it, base, out);
            continue;
        }
        if (it->is_object() || it->is_array()) collect_records(*it, base, out);
    }
}

/// The fields of one record: "<abbrev>_raw" entries at any depth (tshark nests some, e.g.
/// times under a duration subtree), with the displayed value beside each.
void collect_fields(const json& node, std::size_t base, TsRecord& r) {
    if (node.is_array()) {
        for (const auto& x : node) collect_fields(x, base, r);
        return;
    }
    if (!node.is_object()) return;
    for (auto f = node.begin(); f != node.end(); ++f) {
        const std::string& k = f.key();
        if (k.size() < 5 || k.compare(k.size() - 4, 4, "_raw") != 0) {
            if (f->is_object() || (f->is_array() && !f->empty() && (*f)[0].is_object())) collect_fields(*f, base, r);
            continue;
        }
        const json& raw = *f;
        if (!raw.is_array() || raw.size() < 4 || !raw[1].is_number() || !raw[2].is_number()) continue;
        if (raw[3].is_number() && raw[3].get<std::int64_t>() != 0) continue;  // a bit field of a byte
        const std::string name = k.substr(0, k.size() - 4);
        const auto pos = raw[1].get<std::int64_t>(), len = raw[2].get<std::int64_t>();
        if (pos < static_cast<std::int64_t>(base)) continue;
        TsField tf{name, static_cast<std::size_t>(pos) - base, static_cast<std::size_t>(len), {}};
        if (auto v = node.find(name); v != node.end()) {
            if (v->is_string()) tf.value = v->get<std::string>();
            else if (v->is_array() && !v->empty() && (*v)[0].is_string()) tf.value = (*v)[0].get<std::string>();
        }
        r.fields.push_back(std::move(tf));
    }
}

void collect_flow(const std::string& key, const json& flow, std::size_t base, std::vector<TsRecord>& out) {
    if (!flow.is_object()) return;
    TsRecord r;
    r.title = key;
    collect_fields(flow, base, r);
    if (!r.fields.empty()) out.push_back(std::move(r));
}

bool is_integer(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

TsharkComparison compare_with_tshark(const std::string& pcap, const std::vector<std::string>& extra) {
    TsharkComparison out;
    auto problem = [&](std::string s) {
        if (out.problems.size() < 200) out.problems.push_back(std::move(s));
    };
    std::vector<std::string> argv = {"tshark"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (std::string a : {"-r", pcap.c_str(), "-T", "json", "-x", "-J", "cflow _ws.malformed", "--no-duplicate-keys"}) argv.push_back(a);
    const RunResult tr = run(argv, {"TZ=UTC"});
    if (tr.exit_code != 0) {
        problem("tshark failed: " + tr.err.substr(0, 500));
        return out;
    }
    const json packets = json::parse(tr.out);

    // flowlab: every datagram decoded, with where each record's elements are.
    core::PcapReader reader(pcap);
    core::DecoderOptions dopts;
    dopts.max_error_messages = 1'000'000;
    core::Decoder decoder(dopts);
    std::map<std::uint64_t, std::vector<FlRecord>> fl;  // by packet number
    core::UdpDatagram dg;
    std::vector<core::FlowRecord> records;
    std::vector<core::RecordView> views;
    const std::uint8_t* payload = nullptr;
    std::uint64_t number = 0;
    auto add = [&](const core::RecordView& v) {
        FlRecord r;
        r.start = static_cast<std::size_t>(v.bytes.data() - payload);
        r.end = r.start + v.bytes.size();
        r.template_id = v.layout->template_id;
        core::for_each_element(v, [&](std::size_t i, const core::FieldSpec& spec, const core::IeInfo* info,
                                      std::span<const std::uint8_t> value) {
            const bool v9_scope = v.layout->protocol == core::Protocol::v9 && i < v.layout->scope_count;
            FlElement e;
            e.name = core::element_name(spec, v9_scope ? nullptr : info, v9_scope);
            bool quoted = true;
            core::element_text(spec, v9_scope ? nullptr : info, value, e.text, quoted, v.layout->netscaler_micro);
            e.numeric = !quoted;
            e.pos = static_cast<std::size_t>(value.data() - payload);
            e.len = value.size();
            r.elements.push_back(std::move(e));
        });
        fl[number].push_back(std::move(r));
    };
    decoder.set_options_sink([&](const core::OptionsRecordView& o) { add(o.record); });
    while (reader.next_udp(dg)) {
        records.clear();
        views.clear();
        payload = dg.payload.data();
        number = dg.number;
        decoder.decode(core::ExportDatagram{dg.payload, dg.src, dg.sport, dg.number}, records, &views);
        for (const auto& v : views)
            if (v.layout) add(v);
    }
    // Packets whose v9 header count is below the records they hold: tshark stops there.
    std::map<std::uint64_t, bool> count_short;
    for (const auto& e : decoder.errors())
        if (e.kind == core::DecodeErrorKind::count_mismatch) count_short[e.packet] = true;
    for (auto& [n, list] : fl) {
        std::sort(list.begin(), list.end(), [](const FlRecord& a, const FlRecord& b) { return a.start < b.start; });
        out.flowlab_records += list.size();
    }

    for (std::size_t i = 0; i < packets.size(); ++i) {
        const std::uint64_t frame = i + 1;
        const json& layers = packets[i]["_source"]["layers"];
        if (!layers.contains("cflow")) continue;
        ++out.packets;
        const json& cflow = layers["cflow"].is_array() ? layers["cflow"][0] : layers["cflow"];
        if (!cflow.contains("cflow.version_raw")) continue;
        const std::size_t base = cflow["cflow.version_raw"][1].get<std::size_t>();
        std::vector<TsRecord> ts;
        collect_records(cflow, base, ts);
        out.tshark_records += ts.size();
        const auto& mine = fl[frame];
        // Two documented tshark defects end its dissection early, so it shows fewer records:
        // an exception on a known element in a length its type does not have ("Trying to fetch
        // an IPv4 address with length 2", H3C's IE 43) ends the packet; and in v9 it stops
        // after the header's record count, which some exporters set too low.
        const bool stopped = layers.contains("_ws.malformed") || count_short.count(frame);
        if (stopped && ts.size() < mine.size()) {
            out.notes.push_back("packet " + std::to_string(frame) + ": tshark stopped after " + std::to_string(ts.size()) +
                                " of " + std::to_string(mine.size()) + " records (" +
                                (layers.contains("_ws.malformed") ? "malformed-field exception" : "v9 header count") + ")");
        } else if (ts.size() != mine.size())
            problem("packet " + std::to_string(frame) + ": tshark shows " + std::to_string(ts.size()) +
                    " records, flowlab decoded " + std::to_string(mine.size()));
        for (const TsRecord& t : ts) {
            const std::size_t at = t.start();
            const FlRecord* r = nullptr;
            for (const auto& m : mine)
                if (at >= m.start && at < m.end) r = &m;
            if (!r) {
                problem("packet " + std::to_string(frame) + ": tshark's " + t.title + " at byte " + std::to_string(at) +
                        " is in no record flowlab decoded");
                continue;
            }
            for (const TsField& f : t.fields) {
                if (f.name == "cflow.string_len_short" || f.name == "cflow.string_len_long") {
                    // The length prefix of a variable-length element (RFC 7011 7): the element
                    // follows it, as long as the prefix says (255 announces the 3-byte form).
                    const bool escape = f.name == "cflow.string_len_short" && f.value == "255";
                    const std::size_t at_value = f.pos + (escape ? 3 : f.len);
                    bool ok = false;
                    for (const auto& el : r->elements)
                        if (el.pos == at_value && (escape || std::to_string(el.len) == f.value)) ok = true;
                    ++out.fields;
                    if (!ok)
                        problem("packet " + std::to_string(frame) + " template " + std::to_string(r->template_id) + " " +
                                t.title + ": tshark's length prefix " + f.name + " " + f.value + " at byte " +
                                std::to_string(f.pos) + " announces no element flowlab read there");
                    continue;
                }
                // A variable-length field: tshark's raw bytes may include the length prefix.
                const FlElement* e = nullptr;
                for (const auto& el : r->elements)
                    if ((el.pos == f.pos && el.len == f.len) || (el.pos + el.len == f.pos + f.len && el.pos > f.pos &&
                                                                  el.pos - f.pos <= 3))
                        e = &el;
                if (!e) {
                    // tshark splits some elements into parts (e.g. a 16-bit ICMP type/code into
                    // type and code); a field inside one element is that element's part.
                    for (const auto& el : r->elements)
                        if (f.pos >= el.pos && f.pos + f.len <= el.pos + el.len) e = &el;
                    if (e) continue;
                    problem("packet " + std::to_string(frame) + " template " + std::to_string(r->template_id) + " " +
                            t.title + ": tshark's " + f.name + " (bytes " + std::to_string(f.pos) + "+" +
                            std::to_string(f.len) + ") is no element flowlab read");
                    continue;
                }
                ++out.fields;
                // Values: integers against integers, the rest where tshark's text is the plain value.
                if (e->numeric && is_integer(e->text) && is_integer(f.value) && e->len == f.len) {
                    ++out.values;
                    if (e->text != f.value)
                        problem("packet " + std::to_string(frame) + " template " + std::to_string(r->template_id) + " " +
                                t.title + ": " + e->name + " is " + e->text + ", tshark's " + f.name + " says " + f.value);
                } else if (!e->numeric && !f.value.empty() && (e->text == f.value)) {
                    ++out.values;
                } else if (!e->numeric && !f.value.empty() && e->text.find('.') != std::string::npos &&
                           f.value.find('.') != std::string::npos && e->text.find(':') == std::string::npos &&
                           std::count(e->text.begin(), e->text.end(), '.') == 3 &&
                           std::count(f.value.begin(), f.value.end(), '.') == 3) {
                    ++out.values;  // IPv4 text that differs
                    problem("packet " + std::to_string(frame) + " template " + std::to_string(r->template_id) + " " +
                            t.title + ": " + e->name + " is " + e->text + ", tshark's " + f.name + " says " + f.value);
                }
            }
        }
    }
    return out;
}

}  // namespace flowlab::test

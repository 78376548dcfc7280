/// @brief Verdict, sweep and card sections from result JSON, checked where the page relies on them.
#include "results.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "flowlab/core/error.hpp"

namespace flowlab::report::detail {

using nlohmann::json;

namespace {

/// Type checks that name the file and the JSON pointer of the offending value.
class Doc {
public:
    explicit Doc(const std::string& file) : file_(file) {}
    [[noreturn]] void fail(const std::string& ptr, const std::string& what) const {
        throw InputError(file_, (ptr.empty() ? std::string("/") : ptr) + ": " + what);
    }
    const json& member(const json& obj, const std::string& ptr, const char* key) const {
        if (!obj.is_object()) fail(ptr, "expected an object");
        if (!obj.contains(key)) fail(ptr + "/" + key, "missing");
        return obj[key];
    }
    const json& object(const json& obj, const std::string& ptr, const char* key) const {
        const json& v = member(obj, ptr, key);
        if (!v.is_object()) fail(ptr + "/" + key, "expected an object");
        return v;
    }
    const json& array(const json& obj, const std::string& ptr, const char* key) const {
        const json& v = member(obj, ptr, key);
        if (!v.is_array()) fail(ptr + "/" + key, "expected an array");
        return v;
    }
    std::string string(const json& obj, const std::string& ptr, const char* key) const {
        const json& v = member(obj, ptr, key);
        if (!v.is_string()) fail(ptr + "/" + key, "expected a string");
        return v.get<std::string>();
    }
    std::uint64_t count(const json& obj, const std::string& ptr, const char* key) const {
        const json& v = member(obj, ptr, key);
        if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
            fail(ptr + "/" + key, "expected a count (a non-negative integer)");
        return v.get<std::uint64_t>();
    }
    double number(const json& obj, const std::string& ptr, const char* key) const {
        const json& v = member(obj, ptr, key);
        if (!v.is_number()) fail(ptr + "/" + key, "expected a number");
        return v.get<double>();
    }
    /// Optional members: absent is fine, present must have the type.
    void optional_type(const json& obj, const std::string& ptr, const char* key, json::value_t t, const char* what) const {
        if (obj.contains(key) && obj[key].type() != t &&
            !(t == json::value_t::number_integer && obj[key].is_number()))
            fail(ptr + "/" + key, std::string("expected ") + what);
    }

private:
    const std::string& file_;
};

bool is_verify_result(const json& j) {
    return j.is_object() && j.contains("verdict") && j.contains("level") && (j.contains("counts") || j.contains("totals"));
}

void check_records_result(const Doc& d, const json& j, const std::string& p) {
    const json& c = d.object(j, p, "counts");
    for (const char* k : {"truth", "collected", "matched", "altered", "missing", "duplicated", "unexpected"})
        d.count(c, p + "/counts", k);
    if (j.contains("per_exporter")) {
        const json& per = d.array(j, p, "per_exporter");
        for (std::size_t i = 0; i < per.size(); ++i) {
            const std::string q = p + "/per_exporter/" + std::to_string(i);
            d.string(per[i], q, "exporter");
            for (const char* k : {"truth", "matched", "missing", "altered", "duplicated", "unexpected"}) d.count(per[i], q, k);
        }
    }
    if (j.contains("loss")) {
        const json& loss = d.array(j, p, "loss");
        for (std::size_t i = 0; i < loss.size(); ++i) {
            const std::string q = p + "/loss/" + std::to_string(i);
            d.string(loss[i], q, "exporter");
            for (const char* k : {"messages", "records", "messages_hit", "records_missing"}) d.count(loss[i], q, k);
            const json& ranges = d.array(loss[i], q, "ranges");
            for (std::size_t r = 0; r < ranges.size(); ++r) {
                const std::string rq = q + "/ranges/" + std::to_string(r);
                for (const char* k : {"first_sequence", "last_sequence", "messages", "records_missing"}) d.count(ranges[r], rq, k);
                d.number(ranges[r], rq, "first_export_ms");
                d.number(ranges[r], rq, "last_export_ms");
            }
        }
    }
    if (j.contains("timeline")) {
        const json& t = d.object(j, p, "timeline");
        d.number(t, p + "/timeline", "slot_ms");
        const json& slots = d.array(t, p + "/timeline", "slots");
        for (std::size_t i = 0; i < slots.size(); ++i) {
            const json& s = slots[i];
            if (!s.is_array() || s.size() != 7 || !std::all_of(s.begin(), s.end(), [](const json& v) { return v.is_number(); }))
                d.fail(p + "/timeline/slots/" + std::to_string(i),
                       "expected [start_ms, truth, matched, altered, missing, duplicated, unexpected]");
        }
    }
    d.optional_type(j, p, "altered_fields", json::value_t::object, "an object of counts per field");
    d.optional_type(j, p, "notes", json::value_t::array, "an array of strings");
    d.optional_type(j, p, "examples", json::value_t::object, "an object");
}

json verdict_section(const Doc& d, const json& j) {
    d.string(j, "", "verdict");
    const std::string level = d.string(j, "", "level");
    if (level == "records") check_records_result(d, j, "");
    else if (level == "totals") {
        const json& t = d.object(j, "", "totals");
        d.array(t, "/totals", "metrics");
        for (const char* k : {"keys", "keys_outside"}) d.count(t, "/totals", k);
    } else
        d.fail("/level", "expected \"records\" or \"totals\"");
    json s = j;
    s["kind"] = "verdict";
    return s;
}

/// "25k pps", "1.5M pps", "800 pps" -> packets per second.
std::optional<double> rate_from_label(const std::string& label) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(label, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (used < label.size() && (label[used] == 'k' || label[used] == 'K')) v *= 1e3, ++used;
    else if (used < label.size() && label[used] == 'M') v *= 1e6, ++used;
    return label.compare(used, std::string::npos, " pps") == 0 ? std::optional<double>(v) : std::nullopt;
}

json sweep_section(const Doc& d, const json& j) {
    json rows = json::array();
    for (std::size_t i = 0; i < j.size(); ++i) {
        const std::string p = "/" + std::to_string(i);
        const json& r = j[i];
        const std::string label = d.string(r, p, "rate");
        std::optional<double> pps;
        if (r.contains("rate_pps")) pps = d.number(r, p, "rate_pps");
        else pps = rate_from_label(label);
        if (!pps) d.fail(p + "/rate", "expected a rate such as \"25k pps\"");
        check_records_result(d, r, p);
        const json& c = r["counts"];
        const bool match = r.contains("match") && r["match"].is_boolean() ? r["match"].get<bool>()
                                                                           : d.string(r, p, "verdict").rfind("MATCH", 0) == 0;
        rows.push_back({{"label", label},
                        {"pps", *pps},
                        {"achieved_pps", r.contains("achieved_pps") ? d.number(r, p, "achieved_pps") : 0.0},
                        {"messages_sent", r.contains("messages_sent") ? d.count(r, p, "messages_sent") : 0},
                        {"truth", c["truth"]},
                        {"collected", c["collected"]},
                        {"matched", c["matched"]},
                        {"missing", c["missing"]},
                        {"altered", c["altered"]},
                        {"extra", c["duplicated"].get<std::uint64_t>() + c["unexpected"].get<std::uint64_t>()},
                        {"verdict", d.string(r, p, "verdict")},
                        {"match", match},
                        {"loss", r.contains("loss") ? r["loss"] : json::array()}});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const json& a, const json& b) { return a["pps"].get<double>() < b["pps"].get<double>(); });
    // Capacity: the highest rate up to which every rate of the sweep was loss-free (a lucky
    // loss-free run above a lossy one does not count).
    json capacity = nullptr;
    json loss_free_above = json::array();
    bool lossy_seen = false;
    for (const json& r : rows) {
        const bool ok = r["match"].get<bool>() && r["missing"].get<std::uint64_t>() == 0;
        if (ok && !lossy_seen) capacity = r["label"];
        else if (ok) loss_free_above.push_back(r["label"]);
        else lossy_seen = true;
    }
    return {{"kind", "sweep"}, {"rows", rows}, {"capacity", capacity}, {"loss_free_above", loss_free_above}};
}

json card_section(const Doc& d, const json& j) {
    static const std::vector<std::string> kKnown = {"pass", "fail", "lost", "crash", "hang", "informational", "skipped"};
    json s = {{"kind", "card"}, {"implementation", nullptr}, {"suite", nullptr}, {"cases", json::array()}, {"notes", json::array()}};
    if (j.contains("implementation")) s["implementation"] = d.string(j, "", "implementation");
    if (j.contains("suite")) s["suite"] = d.string(j, "", "suite");
    const json& cases = d.array(j, "", "cases");
    std::map<std::string, std::uint64_t> counts;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const std::string p = "/cases/" + std::to_string(i);
        json c = {{"id", d.string(cases[i], p, "id")}, {"verdict", d.string(cases[i], p, "verdict")}};
        for (const char* k : {"group", "title", "rfc", "detail"})
            c[k] = cases[i].contains(k) ? json(d.string(cases[i], p, k)) : json("");
        c["diffs"] = cases[i].contains("diffs") ? cases[i]["diffs"] : json::array();
        const std::string v = c["verdict"].get<std::string>();
        if (std::find(kKnown.begin(), kKnown.end(), v) == kKnown.end())
            s["notes"].push_back("case " + c["id"].get<std::string>() + ": verdict \"" + v + "\" is not one this page knows");
        ++counts[v];
        s["cases"].push_back(std::move(c));
    }
    s["summary"] = counts;
    if (j.contains("summary")) {
        const json& given = d.object(j, "", "summary");
        for (const auto& [v, n] : given.items()) {
            if (!n.is_number_unsigned() && !n.is_number_integer()) d.fail("/summary/" + v, "expected a count");
            const auto it = counts.find(v);
            const std::uint64_t mine = it == counts.end() ? 0 : it->second;
            if (n.get<std::uint64_t>() != mine)
                s["notes"].push_back("summary says " + std::to_string(n.get<std::uint64_t>()) + " " + v + ", the cases have " +
                                     std::to_string(mine));
        }
    }
    return s;
}

}  // namespace

std::optional<std::string> result_kind(const json& j) {
    if (j.is_array() && !j.empty() &&
        std::all_of(j.begin(), j.end(), [](const json& e) { return is_verify_result(e) && e.contains("rate"); }))
        return "sweep";
    if (is_verify_result(j)) return "verdict";
    if (j.is_object() && j.contains("cases") && j["cases"].is_array()) return "card";
    return std::nullopt;
}

json result_section(const json& j, const std::string& kind, const std::string& file) {
    const Doc d(file);
    if (kind == "verdict") return verdict_section(d, j);
    if (kind == "sweep") return sweep_section(d, j);
    if (kind == "card") return card_section(d, j);
    throw InputError(file, "/: not a result flowlab report knows");
}

std::string result_line(const json& s) {
    const std::string kind = s["kind"].get<std::string>();
    if (kind == "verdict") return "verdict " + s["verdict"].get<std::string>();
    if (kind == "sweep") {
        std::string line = "rate sweep of " + std::to_string(s["rows"].size()) + " rates";
        line += s["capacity"].is_string() ? ", loss-free up to " + s["capacity"].get<std::string>() : ", lossy at every rate";
        return line;
    }
    std::string line = "conformance card";
    if (s["implementation"].is_string()) line += " of " + s["implementation"].get<std::string>();
    line += ": " + std::to_string(s["cases"].size()) + " cases";
    for (const auto& [v, n] : s["summary"].items()) line += ", " + std::to_string(n.get<std::uint64_t>()) + " " + v;
    return line;
}

}  // namespace flowlab::report::detail

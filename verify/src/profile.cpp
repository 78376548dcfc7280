/// @brief Collector profiles: parsing with precise errors, lookup by name.
#include "flowlab/verify/profile.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "flowlab/core/data_dirs.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/units.hpp"
#include "text_util.hpp"

namespace flowlab::verify {

using nlohmann::json;

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
    try {
        return core::floor_div(core::parse_duration(text), 1000);
    } catch (const core::UnitError&) {
        return std::nullopt;
    }
}

namespace {

const std::set<std::string, std::less<>> kProfileKeys = {"name",      "description", "reader", "keeps", "drops",
                                                          "flow_time", "sums_equal_records", "run", "$schema"};

[[noreturn]] void bad(const std::string& file, const std::string& ptr, const std::string& msg) {
    throw ConfigError(file, ptr, msg);
}

core::FieldSet field_list(const json& v, const std::string& file, const std::string& ptr) {
    if (!v.is_array()) bad(file, ptr, "expected an array of field names");
    core::FieldSet s;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string p = ptr + "/" + std::to_string(i);
        if (!v[i].is_string()) bad(file, p, "expected a field name (a string)");
        const auto f = core::field_from_name(v[i].get<std::string>());
        if (!f) bad(file, p, "unknown field '" + v[i].get<std::string>() + "' (expected one of the CSV columns: exporter, domain, src, ...)");
        s.set(*f);
    }
    return s;
}

/// A case number as conformance/ names its files: group, a dot, two digits ("2.14").
bool is_case_number(const std::string& s) {
    const auto dot = s.find('.');
    if (dot == std::string::npos || dot == 0 || s.size() - dot - 1 != 2) return false;
    return std::all_of(s.begin(), s.end(), [](char c) { return c == '.' || (c >= '0' && c <= '9'); }) &&
           std::count(s.begin(), s.end(), '.') == 1;
}

/// Entries are field names or {"field", "kind", "shown_by", "why"}.
core::FieldSet drop_list(const json& v, std::uint8_t version, const std::string& file, const std::string& ptr,
                         std::vector<ProfileDrop>& reasons) {
    if (!v.is_array()) bad(file, ptr, "expected an array of field names or {\"field\", \"kind\", \"shown_by\", \"why\"} objects");
    core::FieldSet s;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string p = ptr + "/" + std::to_string(i);
        ProfileDrop d;
        d.version = version;
        const json* name = &v[i];
        if (v[i].is_object()) {
            for (const auto& [k, x] : v[i].items()) {
                if (k != "field" && k != "kind" && k != "shown_by" && k != "why")
                    bad(file, p + "/" + k, "unknown key '" + k + "' (expected field, kind, shown_by, why)");
                if (!x.is_string()) bad(file, p + "/" + k, "expected a string");
            }
            if (!v[i].contains("field")) bad(file, p, "missing \"field\"");
            name = &v[i]["field"];
            d.kind = v[i].value("kind", "");
            if (!d.kind.empty() && d.kind != "not stored" && d.kind != "deviation")
                bad(file, p + "/kind", "expected \"not stored\" (by design) or \"deviation\" (from the RFC), got '" + d.kind + "'");
            d.shown_by = v[i].value("shown_by", "");
            if (!d.shown_by.empty() && !is_case_number(d.shown_by))
                bad(file, p + "/shown_by", "expected a conformance case number such as \"2.14\", got '" + d.shown_by + "'");
            d.why = v[i].value("why", "");
        } else if (!v[i].is_string()) {
            bad(file, p, "expected a field name (a string) or an object {\"field\": ...}");
        }
        const std::string field_ptr = v[i].is_object() ? p + "/field" : p;
        const auto f = core::field_from_name(name->get<std::string>());
        if (!f) bad(file, field_ptr, "unknown field '" + name->get<std::string>() + "' (expected one of the CSV columns: exporter, domain, src, ...)");
        d.field = *f;
        s.set(*f);
        reasons.push_back(std::move(d));
    }
    return s;
}

std::int64_t duration(const json& v, const std::string& file, const std::string& ptr) {
    if (v.is_number_unsigned()) return v.get<std::int64_t>();
    if (v.is_string())
        if (auto d = parse_duration_ms(v.get<std::string>())) return *d;
    bad(file, ptr, "expected a duration such as \"1ms\", \"1s\" or a number of milliseconds");
}

std::string line_column(const std::string& text, std::size_t byte) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return std::to_string(line) + ":" + std::to_string(col);
}

std::vector<std::string> profile_dirs() {
    return core::data_dirs(core::DataKind::collectors);
}

bool is_file(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

CollectorProfile parse_profile(const json& doc, const std::string& file) {
    if (!doc.is_object()) bad(file, "", "expected a JSON object");
    for (const auto& [k, v] : doc.items()) {
        (void)v;
        if (!kProfileKeys.count(k)) {
            std::string all;
            for (const auto& n : kProfileKeys)
                if (n != "$schema") all += (all.empty() ? "" : ", ") + n;
            bad(file, "/" + k, "unknown key '" + k + "' (expected one of: " + all + ")");
        }
    }
    CollectorProfile p;
    p.file = file;
    auto str = [&](const char* key, bool required) -> std::string {
        if (!doc.contains(key)) {
            if (required) bad(file, "", std::string("missing \"") + key + "\"");
            return {};
        }
        if (!doc[key].is_string()) bad(file, std::string("/") + key, "expected a string");
        return doc[key].get<std::string>();
    };
    p.name = str("name", true);
    p.description = str("description", false);
    const std::string reader = str("reader", true);
    const auto tool = tool_from_name(reader);
    if (!tool) bad(file, "/reader", "unknown reader '" + reader + "' (expected flowlab, nfdump, pmacct, tshark or goflow2)");
    p.reader = *tool;
    if (!doc.contains("keeps")) bad(file, "", "missing \"keeps\" (the fields this collector stores)");
    p.keeps = field_list(doc["keeps"], file, "/keeps");
    if (doc.contains("drops")) {
        const json& d = doc["drops"];
        if (!d.is_object()) bad(file, "/drops", "expected an object {\"5\": [fields], \"9\": [...], \"10\": [...]}");
        for (const auto& [k, v] : d.items()) {
            if (k != "5" && k != "9" && k != "10") bad(file, "/drops/" + k, "expected an export version: 5, 9 or 10");
            const auto version = static_cast<std::uint8_t>(std::stoi(k));
            p.drops[version] = drop_list(v, version, file, "/drops/" + k, p.drop_reasons);
        }
    }
    if (doc.contains("flow_time")) {
        const json& t = doc["flow_time"];
        if (!t.is_object()) bad(file, "/flow_time", "expected {\"granularity\": \"1s\", \"slack\": \"0ms\"}");
        TimeRule rule;
        for (const auto& [k, v] : t.items()) {
            if (k == "granularity") rule.granularity_ms = std::max<std::int64_t>(1, duration(v, file, "/flow_time/granularity"));
            else if (k == "slack") rule.slack_ms = duration(v, file, "/flow_time/slack");
            else bad(file, "/flow_time/" + k, "unknown key '" + k + "' (expected granularity, slack)");
        }
        p.flow_time = rule;
    }
    if (doc.contains("sums_equal_records")) {
        if (!doc["sums_equal_records"].is_boolean()) bad(file, "/sums_equal_records", "expected true or false");
        p.sums_equal_records = doc["sums_equal_records"].get<bool>();
    }
    if (doc.contains("run")) {
        if (!doc["run"].is_object()) bad(file, "/run", "expected an object (read by flowlab check)");
        p.run = doc["run"];
    }
    return p;
}

CollectorProfile load_profile(const std::string& name_or_path) {
    std::string path;
    if (name_or_path.find('/') != std::string::npos || is_file(name_or_path)) {
        path = name_or_path;
    } else {
        for (const auto& d : profile_dirs()) {
            const std::string candidate = d + "/" + name_or_path + ".json";
            if (is_file(candidate)) {
                path = candidate;
                break;
            }
        }
    }
    if (path.empty() || !is_file(path)) {
        std::string names;
        for (const auto& n : available_profiles()) names += (names.empty() ? "" : ", ") + n;
        throw UsageError("no collector profile '" + name_or_path + "'" + (names.empty() ? "" : " (available: " + names + ")"));
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::parse_error& e) {
        throw ConfigError(path, "", "JSON syntax error at " + line_column(text, e.byte == 0 ? 0 : e.byte - 1) + ": " + e.what());
    }
    return parse_profile(doc, path);
}

std::vector<std::string> available_profiles() {
    std::set<std::string> names;
    for (const auto& d : profile_dirs()) {
        DIR* dir = ::opendir(d.c_str());
        if (!dir) continue;
        while (const dirent* e = ::readdir(dir)) {
            const std::string n = e->d_name;
            if (n.size() > 5 && n.substr(n.size() - 5) == ".json") names.insert(n.substr(0, n.size() - 5));
        }
        ::closedir(dir);
    }
    return {names.begin(), names.end()};
}

}  // namespace flowlab::verify

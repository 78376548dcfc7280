/// @brief Conformance cases: loading, judging an implementation's output against the truth,
/// running the suite (cases in parallel), report cards and baselines.
#include <atomic>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "flowlab/core/data_dirs.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/xml_text.hpp"
#include "flowlab/harness/conformance.hpp"

namespace flowlab::harness {

namespace fs = std::filesystem;
using core::Field;
using core::FieldSet;
using core::FlowRecord;
using Json = nlohmann::ordered_json;

std::string_view to_string(Verdict v) noexcept {
    switch (v) {
        case Verdict::pass: return "pass";
        case Verdict::fail: return "fail";
        case Verdict::lost: return "lost";
        case Verdict::crash: return "crash";
        case Verdict::hang: return "hang";
        case Verdict::informational: return "informational";
        case Verdict::skipped: return "skipped";
    }
    return "?";
}

std::optional<Verdict> verdict_from_string(std::string_view s) noexcept {
    for (Verdict v : {Verdict::pass, Verdict::fail, Verdict::lost, Verdict::crash, Verdict::hang, Verdict::informational,
                      Verdict::skipped})
        if (to_string(v) == s) return v;
    return std::nullopt;
}

namespace {

bool is_bad(Verdict v) { return v == Verdict::fail || v == Verdict::lost || v == Verdict::crash || v == Verdict::hang; }

std::string str_at(const Json& doc, const std::string& file, const char* key, bool required = true) {
    auto it = doc.find(key);
    if (it == doc.end()) {
        if (required) throw ConfigError(file, "", std::string("required key is missing: \"") + key + "\"");
        return {};
    }
    if (!it->is_string() || it->get_ref<const std::string&>().empty())
        throw ConfigError(file, std::string("/") + key, "expected a non-empty string");
    return it->get<std::string>();
}

}  // namespace

Case parse_case(const Json& doc, const std::string& file) {
    if (!doc.is_object()) throw ConfigError(file, "", "a conformance case is a JSON object");
    static const std::set<std::string> allowed = {"id", "group", "title", "rfc", "rule", "motivation", "informational", "export", "$comment"};
    for (auto it = doc.begin(); it != doc.end(); ++it)
        if (!allowed.count(it.key()))
            throw ConfigError(file, "/" + it.key(),
                              "unknown key (expected id, group, title, rfc, rule, motivation, informational, export)");
    Case c;
    c.file = file;
    c.id = str_at(doc, file, "id");
    c.group = str_at(doc, file, "group");
    c.title = str_at(doc, file, "title");
    c.rfc = str_at(doc, file, "rfc");
    c.rule = str_at(doc, file, "rule");
    c.motivation = str_at(doc, file, "motivation", false);
    const auto group_it = std::find_if(std::begin(kGroups), std::end(kGroups), [&](const char* g) { return c.group == g; });
    if (group_it == std::end(kGroups))
        throw ConfigError(file, "/group", "unknown group \"" + c.group + "\" (expected templates, encoding, framing, time, sampling, sequence or robustness)");
    const std::string prefix = std::to_string(group_it - std::begin(kGroups) + 1) + ".";
    bool id_ok = c.id.rfind(prefix, 0) == 0 && c.id.size() > prefix.size();
    for (std::size_t i = prefix.size(); id_ok && i < c.id.size(); ++i) id_ok = c.id[i] >= '0' && c.id[i] <= '9';
    if (!id_ok) throw ConfigError(file, "/id", "id \"" + c.id + "\" must be \"" + prefix + "N\" for group " + c.group);
    if (!c.rfc.starts_with("RFC ") && !c.rfc.starts_with("Cisco "))
        throw ConfigError(file, "/rfc", "expected the text the case tests, e.g. \"RFC 7011 3.3.1\" (NetFlow v5: \"Cisco NetFlow v5 format\")");
    if (auto it = doc.find("informational"); it != doc.end()) {
        if (!it->is_boolean()) throw ConfigError(file, "/informational", "expected true or false");
        c.informational = it->get<bool>();
    }
    auto ex = doc.find("export");
    if (ex == doc.end()) throw ConfigError(file, "", "required key is missing: \"export\" (the messages the case sends)");
    c.script = gen::build_export_script(*ex, file, "/export");
    return c;
}

std::vector<Case> load_cases(const std::vector<std::string>& paths) {
    std::vector<std::string> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            for (const auto& e : fs::recursive_directory_iterator(p))
                if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
        } else if (fs::exists(p, ec)) {
            files.push_back(p);
        } else {
            throw UsageError("no conformance case file or directory " + p);
        }
    }
    std::sort(files.begin(), files.end());
    std::vector<Case> out;
    std::map<std::string, std::string> ids;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        if (!in) throw IoError("cannot read " + f);
        std::stringstream ss;
        ss << in.rdbuf();
        Json doc;
        try {
            doc = Json::parse(ss.str());
        } catch (const nlohmann::json::parse_error& e) {
            // nlohmann reports a byte offset; turn it into line:column.
            const std::string text = ss.str();
            std::size_t line = 1, col = 1;
            for (std::size_t i = 0; i < std::min<std::size_t>(e.byte ? e.byte - 1 : 0, text.size()); ++i) {
                if (text[i] == '\n') {
                    ++line;
                    col = 1;
                } else {
                    ++col;
                }
            }
            throw ConfigError(f, "", "line " + std::to_string(line) + ", column " + std::to_string(col) + ": malformed JSON");
        }
        Case c = parse_case(doc, f);
        if (auto [it, fresh] = ids.emplace(c.id, f); !fresh)
            throw ConfigError(f, "/id", "case " + c.id + " is also defined in " + it->second);
        out.push_back(std::move(c));
    }
    auto num = [](const std::string& id) {
        const auto dot = id.find('.');
        return std::make_pair(std::stoi(id.substr(0, dot)), std::stoi(id.substr(dot + 1)));
    };
    std::sort(out.begin(), out.end(), [&](const Case& a, const Case& b) { return num(a.id) < num(b.id); });
    return out;
}

std::vector<std::string> default_case_paths() {
    std::vector<std::string> out;
    if (const auto& chosen = core::user_data().conformance; !chosen.empty()) return chosen;
    std::error_code ec;
    if (fs::is_directory(FLOWLAB_CONFORMANCE_SOURCE_DIR, ec)) out.emplace_back(FLOWLAB_CONFORMANCE_SOURCE_DIR);
    else if (fs::is_directory(FLOWLAB_CONFORMANCE_INSTALL_DIR, ec)) out.emplace_back(FLOWLAB_CONFORMANCE_INSTALL_DIR);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Judging

namespace {

std::string value_text(const FlowRecord& r, Field f) {
    if (!r.has(f)) return "(absent)";
    if (core::is_address_field(f)) {
        const auto* a = r.address(f);
        return a ? a->to_string() : "(absent)";
    }
    if (core::is_signed_field(f)) {
        const std::int64_t v = f == Field::first_ms ? r.first_ms : f == Field::last_ms ? r.last_ms : r.export_ms;
        return std::to_string(v);
    }
    return std::to_string(r.number(f));
}

std::string record_text(const FlowRecord& r) {
    std::string s;
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (!r.has(f)) continue;
        if (!s.empty()) s += ' ';
        s += std::string(core::field_name(f)) + "=" + value_text(r, f);
    }
    return s;
}

bool time_ok(const FlowRecord& e, std::int64_t truth, std::int64_t got, const Observed& o) {
    const verify::TimeRule& rule = e.has(Field::version) && e.version == 10 ? o.time_ipfix : o.time_netflow;
    return rule.accepts(truth, got);
}

FieldSet compared_fields(const FlowRecord& expected, const Observed& o) {
    FieldSet f = expected.present & o.carried;
    if (expected.has(Field::version)) {
        auto it = o.drops.find(expected.version);
        if (it != o.drops.end()) f = f - it->second;
    }
    return f;
}

FieldSet differing(const FlowRecord& e, const FlowRecord& got, FieldSet fields, const Observed& o) {
    FieldSet d;
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (!fields.has(f)) continue;
        if (!got.has(f)) {
            d.set(f);
            continue;
        }
        if (core::is_address_field(f)) {
            if (*e.address(f) != *got.address(f)) d.set(f);
        } else if (f == Field::first_ms || f == Field::last_ms) {
            if (!time_ok(e, f == Field::first_ms ? e.first_ms : e.last_ms, f == Field::first_ms ? got.first_ms : got.last_ms, o)) d.set(f);
        } else if (f == Field::export_ms) {
            if (!time_ok(e, e.export_ms, got.export_ms, o)) d.set(f);
        } else if (e.number(f) != got.number(f)) {
            d.set(f);
        }
    }
    return d;
}

bool same_key(const FlowRecord& e, const FlowRecord& got) {
    for (Field f : {Field::src, Field::dst}) {
        if (!e.has(f) || !got.has(f)) return false;
        if (*e.address(f) != *got.address(f)) return false;
    }
    if (e.has(Field::sport) && got.has(Field::sport) && !e.is_icmp() && e.sport != got.sport) return false;
    return true;
}

}  // namespace

CaseResult judge(const Case& c, const Observed& o) {
    CaseResult r;
    r.id = c.id;
    r.group = c.group;
    r.title = c.title;
    r.rfc = c.rfc;
    r.file = c.file;
    for (const auto& m : c.script.messages) {
        std::string line = m.label + " (" + std::to_string(m.bytes.size()) + " bytes from " + m.exporter.to_string() + ":" +
                           std::to_string(m.port) + ", domain " + std::to_string(m.domain) + "):";
        for (const auto& s : m.sets) {
            line += " [";
            switch (s.kind) {
                case gen::SetInfo::Kind::templates: line += "templates"; break;
                case gen::SetInfo::Kind::options_templates: line += "options templates"; break;
                case gen::SetInfo::Kind::withdrawal: line += "withdrawal"; break;
                case gen::SetInfo::Kind::data: line += "data"; break;
                case gen::SetInfo::Kind::raw: line += "set"; break;
            }
            line += " id " + std::to_string(s.id);
            for (std::size_t k = 0; k < s.template_ids.size() && s.kind != gen::SetInfo::Kind::data; ++k)
                line += (k ? "," : ": ") + std::to_string(s.template_ids[k]);
            if (s.kind == gen::SetInfo::Kind::data)
                line += s.options_records ? ", " + std::to_string(s.options_records) + " options records"
                                          : ", " + std::to_string(s.records.size()) + " records";
            line += "]";
        }
        if (c.script.protocol == core::Protocol::v5) line += " [" + std::to_string(m.records.size()) + " v5 records]";
        for (const auto& f : m.faults) line += "; fault: " + f;
        std::map<gen::Expect, int> by;
        for (const auto& e : m.records) ++by[e.expect];
        if (!m.records.empty()) {
            line += "; truth:";
            for (auto [k, n] : by) line += " " + std::to_string(n) + " " + std::string(gen::to_string(k));
        }
        r.sent.push_back(line);
    }
    if (o.status == Observed::Status::unsupported) {
        r.verdict = Verdict::skipped;
        r.detail = o.log;
        return r;
    }

    struct Slot {
        const gen::ExpectedRecord* e;
        std::uint32_t copies = 0;
    };
    std::vector<Slot> slots;
    for (const auto& m : c.script.messages)
        for (const auto& e : m.records) slots.push_back({&e});
    bool failed = false;
    for (const FlowRecord& got : o.records) {
        // The candidate with the fewest differences that still has room for a copy.
        Slot* best = nullptr;
        FieldSet best_diff;
        int best_n = 1 << 30;
        for (Slot& s : slots) {
            if (!same_key(s.e->record, got)) continue;
            const FieldSet d = differing(s.e->record, got, compared_fields(s.e->record, o), o);
            int n = 0;
            for (std::size_t i = 0; i < core::kFieldCount; ++i) n += d.has(static_cast<Field>(i));
            if (s.copies >= s.e->max_copies) n += 1000;
            if (n < best_n) {
                best = &s;
                best_n = n;
                best_diff = d;
            }
        }
        if (!best) {
            ++r.unexpected;
            failed = true;
            r.diffs.push_back({"unexpected", "record", "(no such record was sent)", record_text(got)});
            continue;
        }
        ++best->copies;
        if (o.sums_equal_records && !best_diff.empty() && (best_diff - FieldSet{Field::packets, Field::bytes}).empty()) {
            // Copies summed into one row: packets and bytes are k times the record's.
            const FlowRecord& e = best->e->record;
            for (std::uint32_t k = 2; k <= best->e->max_copies; ++k)
                if (got.packets == k * e.packets && got.bytes == k * e.bytes) {
                    best->copies += k - 1;
                    best_diff = FieldSet{};
                    break;
                }
        }
        if (best->e->expect == gen::Expect::discard) {
            failed = true;
            r.diffs.push_back({best->e->where, "record", "(must not be output)", record_text(got)});
            continue;
        }
        if (best->copies > best->e->max_copies) {
            failed = true;
            r.diffs.push_back({best->e->where, "record", "output " + std::to_string(best->e->max_copies) + " time(s)",
                               "output again: " + record_text(got)});
            continue;
        }
        if (!best_diff.empty()) {
            failed = true;
            ++r.altered;
            for (std::size_t i = 0; i < core::kFieldCount; ++i) {
                const auto f = static_cast<Field>(i);
                if (best_diff.has(f))
                    r.diffs.push_back({best->e->where, std::string(core::field_name(f)), value_text(best->e->record, f), value_text(got, f)});
            }
        }
    }
    std::vector<std::string> lost_where;
    for (const Slot& s : slots) {
        if (s.e->expect == gen::Expect::discard) continue;
        if (s.e->expect == gen::Expect::keep) ++r.expected;
        if (s.copies > 0) {
            if (s.e->expect == gen::Expect::keep) ++r.kept;
            continue;
        }
        if (s.e->expect == gen::Expect::keep) {
            ++r.lost;
            lost_where.push_back(s.e->where);
            r.diffs.push_back({s.e->where, "record", record_text(s.e->record), "(missing)"});
        } else {
            ++r.may_lose_lost;
        }
    }
    if (o.status == Observed::Status::crash) {
        r.verdict = Verdict::crash;
        r.detail = o.log;
    } else if (o.status == Observed::Status::hang) {
        r.verdict = Verdict::hang;
        r.detail = o.log;
    } else if (failed) {
        r.verdict = Verdict::fail;
        r.detail = std::to_string(r.altered) + " altered, " + std::to_string(r.unexpected) + " unexpected; " +
                   std::to_string(r.kept) + " of " + std::to_string(r.expected) + " records kept";
    } else if (r.lost > 0) {
        r.verdict = c.informational ? Verdict::informational : Verdict::lost;
        r.detail = std::to_string(r.lost) + " of " + std::to_string(r.expected) + " records lost (first: " + lost_where.front() + ")";
    } else {
        r.verdict = c.informational ? Verdict::informational : Verdict::pass;
        r.detail = std::to_string(r.kept) + " of " + std::to_string(r.expected) + " records kept";
        if (r.may_lose_lost) r.detail += "; " + std::to_string(r.may_lose_lost) + " that may be lost were lost";
    }
    if (c.informational && r.verdict == Verdict::informational && r.lost > 0) {
        r.diffs.clear();  // either outcome is allowed: say what happened, do not list as failures
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// Running

std::map<Verdict, std::uint64_t> Card::summary() const {
    std::map<Verdict, std::uint64_t> s;
    for (const auto& c : cases) ++s[c.verdict];
    return s;
}

bool Card::any(Verdict v) const {
    return std::any_of(cases.begin(), cases.end(), [&](const CaseResult& c) { return c.verdict == v; });
}

Card run_suite(const std::vector<Case>& cases, Implementation& impl, const RunOptions& options) {
    Card card;
    card.implementation = impl.name();
    card.cases.resize(cases.size());
    std::string work = options.workdir;
    bool remove = false;
    if (work.empty()) {
        std::error_code ec;
        const fs::path tmp = fs::temp_directory_path(ec);  // TMPDIR, else /tmp
        std::string tmpl = (ec ? std::string("/tmp") : tmp.string()) + "/flowlab-conformance-XXXXXX";
        if (!mkdtemp(tmpl.data())) throw IoError("cannot create a work directory " + tmpl);
        work = tmpl;
        remove = true;
    }
    std::atomic<std::size_t> next{0};
    std::mutex mu;
    auto worker = [&] {
        while (true) {
            if (options.stop && options.stop->load()) return;
            const std::size_t i = next.fetch_add(1);
            if (i >= cases.size()) return;
            const Case& c = cases[i];
            const auto t0 = std::chrono::steady_clock::now();
            Observed o;
            if (auto why = impl.unsupported(c)) {
                o.status = Observed::Status::unsupported;
                o.log = *why;
            } else {
                const std::string dir = work + "/case-" + c.id;
                fs::create_directories(dir);
                o = impl.run(c, dir);
            }
            CaseResult r = judge(c, o);
            r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::lock_guard lock(mu);
            card.cases[i] = std::move(r);
            if (options.on_result) options.on_result(card.cases[i]);
        }
    };
    const unsigned jobs = impl.parallel() ? std::max(1u, options.jobs) : 1u;
    std::vector<std::thread> threads;
    for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (remove) {
        std::error_code ec;
        fs::remove_all(work, ec);
    }
    if (options.stop && options.stop->load()) throw Error("interrupted");
    return card;
}

// ---------------------------------------------------------------------------------------------
// Cards

std::string card_text(const Card& card, bool failures_only_detail) {
    std::string s;
    const auto sum = card.summary();
    s += card.suite + ": " + card.implementation + ": " + std::to_string(card.cases.size()) + " cases:";
    for (auto [v, n] : sum) s += " " + std::to_string(n) + " " + std::string(to_string(v)) + ",";
    s.pop_back();
    s += "\n\n";
    constexpr auto kRow = "{:<6} {:<11} {:<14} {:<20} {}\n";
    fmt::format_to(std::back_inserter(s), kRow, "case", "group", "verdict", "rfc", "title");
    for (const auto& c : card.cases)
        fmt::format_to(std::back_inserter(s), kRow, c.id, c.group, to_string(c.verdict), c.rfc, c.title);
    bool header = false;
    for (const auto& c : card.cases) {
        const bool show = !failures_only_detail || is_bad(c.verdict) || c.verdict == Verdict::informational;
        if (!show) continue;
        if (!header) {
            s += "\nDetails:\n";
            header = true;
        }
        s += "\n" + c.id + " " + c.title + " (" + c.rfc + "): " + std::string(to_string(c.verdict)) + ": " + c.detail + "\n";
        s += "  case file: " + c.file + "\n";
        for (const auto& line2 : c.sent) s += "  sent: " + line2 + "\n";
        std::size_t shown = 0;
        for (const auto& d : c.diffs) {
            if (++shown > 12) {
                s += "  ... " + std::to_string(c.diffs.size() - 12) + " more\n";
                break;
            }
            if (d.field == "record")
                s += "  " + d.record + ": expected " + d.expected + "\n      got " + d.got + "\n";
            else
                s += "  " + d.record + ": " + d.field + " expected " + d.expected + ", got " + d.got + "\n";
        }
    }
    return s;
}

nlohmann::json card_json(const Card& card) {
    nlohmann::json j;
    j["implementation"] = card.implementation;
    j["suite"] = card.suite;
    if (!card.version.empty()) j["version"] = card.version;
    j["cases"] = nlohmann::json::array();
    for (const auto& c : card.cases) {
        nlohmann::json cj;
        cj["id"] = c.id;
        cj["group"] = c.group;
        cj["title"] = c.title;
        cj["rfc"] = c.rfc;
        cj["verdict"] = std::string(to_string(c.verdict));
        cj["detail"] = c.detail;
        cj["diffs"] = nlohmann::json::array();
        for (const auto& d : c.diffs)
            cj["diffs"].push_back({{"record", d.record}, {"field", d.field}, {"expected", d.expected}, {"got", d.got}});
        cj["sent"] = c.sent;
        cj["file"] = c.file;
        cj["counts"] = {{"expected", c.expected}, {"kept", c.kept}, {"lost", c.lost}, {"unexpected", c.unexpected}, {"altered", c.altered}};
        cj["seconds"] = c.seconds;
        j["cases"].push_back(std::move(cj));
    }
    nlohmann::json sum = nlohmann::json::object();
    for (Verdict v : {Verdict::pass, Verdict::fail, Verdict::lost, Verdict::crash, Verdict::hang, Verdict::informational, Verdict::skipped})
        sum[std::string(to_string(v))] = 0;
    for (auto [v, n] : card.summary()) sum[std::string(to_string(v))] = n;
    j["summary"] = sum;
    return j;
}

std::string card_junit(const Card& card) {
    const auto sum = card.summary();
    auto count = [&](Verdict v) { auto it = sum.find(v); return it == sum.end() ? 0ull : static_cast<unsigned long long>(it->second); };
    std::string s = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    s += "<testsuites><testsuite name=\"" + core::xml_escape(card.suite + ": " + card.implementation) + "\" tests=\"" +
         std::to_string(card.cases.size()) + "\" failures=\"" + std::to_string(count(Verdict::fail) + count(Verdict::lost)) +
         "\" errors=\"" + std::to_string(count(Verdict::crash) + count(Verdict::hang)) + "\" skipped=\"" +
         std::to_string(count(Verdict::skipped)) + "\">\n";
    for (const auto& c : card.cases) {
        const std::string secs = fmt::format("{:.3f}", c.seconds);
        s += "  <testcase classname=\"" + core::xml_escape(c.group) + "\" name=\"" + core::xml_escape(c.id + " " + c.title) + "\" time=\"" + secs + "\">";
        std::string body = c.rfc + ": " + c.detail + "\n";
        for (const auto& l : c.sent) body += "sent: " + l + "\n";
        for (const auto& d : c.diffs) body += d.record + " " + d.field + ": expected " + d.expected + ", got " + d.got + "\n";
        if (c.verdict == Verdict::fail || c.verdict == Verdict::lost)
            s += "<failure message=\"" + core::xml_escape(std::string(to_string(c.verdict)) + ": " + c.detail) + "\">" + core::xml_escape(body) + "</failure>";
        else if (c.verdict == Verdict::crash || c.verdict == Verdict::hang)
            s += "<error message=\"" + core::xml_escape(std::string(to_string(c.verdict)) + ": " + c.detail) + "\">" + core::xml_escape(body) + "</error>";
        else if (c.verdict == Verdict::skipped)
            s += "<skipped message=\"" + core::xml_escape(c.detail) + "\"/>";
        else if (c.verdict == Verdict::informational)
            s += "<system-out>" + core::xml_escape("informational: " + c.detail) + "</system-out>";
        s += "</testcase>\n";
    }
    s += "</testsuite></testsuites>\n";
    return s;
}

std::string card_html(const Card& card) {
    std::string s = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>" + core::xml_escape(card.suite + ": " + card.implementation) +
                    "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
                    "padding:2px 6px;text-align:left;vertical-align:top}.pass{background:#cfc}.fail,.crash,.hang{background:#f99}"
                    ".lost{background:#fc9}.informational{background:#ddf}.skipped{background:#eee}pre{margin:0;white-space:pre-wrap}"
                    "</style></head><body>";
    s += "<h1>" + core::xml_escape(card.suite) + ": " + core::xml_escape(card.implementation) + "</h1><p>";
    for (auto [v, n] : card.summary()) s += std::to_string(n) + " " + std::string(to_string(v)) + " &nbsp; ";
    s += "</p><table><tr><th>case</th><th>group</th><th>verdict</th><th>RFC</th><th>title</th><th>detail</th></tr>";
    for (const auto& c : card.cases) {
        const std::string v(to_string(c.verdict));
        s += "<tr><td>" + core::xml_escape(c.id) + "</td><td>" + core::xml_escape(c.group) + "</td><td class=\"" + v + "\">" + v + "</td><td>" +
             core::xml_escape(c.rfc) + "</td><td>" + core::xml_escape(c.title) + "</td><td>" + core::xml_escape(c.detail);
        if (is_bad(c.verdict) || c.verdict == Verdict::informational) {
            std::string body;
            for (const auto& l : c.sent) body += "sent: " + l + "\n";
            for (const auto& d : c.diffs) body += d.record + " " + d.field + ": expected " + d.expected + ", got " + d.got + "\n";
            s += "<details><summary>what was sent and what came back</summary><pre>" + core::xml_escape(body) + "</pre></details>";
        }
        s += "</td></tr>";
    }
    s += "</table></body></html>\n";
    return s;
}

Card read_card_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read " + path);
    nlohmann::json j;
    try {
        in >> j;
    } catch (const std::exception& e) {
        throw InputError(path, std::string("not a JSON report card: ") + e.what());
    }
    Card card;
    try {
        card.implementation = j.at("implementation").get<std::string>();
        card.suite = j.value("suite", card.suite);
        for (std::size_t i = 0; i < j.at("cases").size(); ++i) {
            const auto& cj = j["cases"][i];
            CaseResult c;
            c.id = cj.at("id").get<std::string>();
            c.title = cj.value("title", "");
            c.group = cj.value("group", "");
            c.rfc = cj.value("rfc", "");
            const auto v = verdict_from_string(cj.at("verdict").get<std::string>());
            if (!v) throw ConfigError(path, "/cases/" + std::to_string(i) + "/verdict", "unknown verdict");
            c.verdict = *v;
            c.detail = cj.value("detail", "");
            card.cases.push_back(std::move(c));
        }
    } catch (const nlohmann::json::exception& e) {
        throw ConfigError(path, "", std::string("not a report card written by --report-json: ") + e.what());
    }
    return card;
}

std::vector<Change> compare_cards(const Card& baseline, const Card& now) {
    std::map<std::string, Verdict> before;
    for (const auto& c : baseline.cases) before[c.id] = c.verdict;
    std::vector<Change> out;
    std::set<std::string> seen;
    for (const auto& c : now.cases) {
        seen.insert(c.id);
        auto it = before.find(c.id);
        Change ch{c.id, c.title, std::nullopt, c.verdict, false};
        if (it != before.end()) {
            if (it->second == c.verdict) continue;
            ch.before = it->second;
        }
        ch.regression = is_bad(c.verdict) && (!ch.before || !is_bad(*ch.before) ||
                                              (*ch.before != c.verdict && c.verdict != Verdict::lost));
        out.push_back(std::move(ch));
    }
    for (const auto& c : baseline.cases)
        if (!seen.count(c.id)) out.push_back(Change{c.id, c.title, c.verdict, std::nullopt, false});
    return out;
}

std::string changes_text(const std::vector<Change>& changes) {
    if (changes.empty()) return "no change since the baseline\n";
    std::string s;
    for (const auto& c : changes) {
        s += c.regression ? "NEW FAILURE " : "changed     ";
        s += c.id + " " + c.title + ": " + (c.before ? std::string(to_string(*c.before)) : "(new case)") + " -> " +
             (c.after ? std::string(to_string(*c.after)) : "(case removed)") + "\n";
    }
    return s;
}

}  // namespace flowlab::harness

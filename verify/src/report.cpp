/// @brief Text, JSON and JUnit reports of a verification.
#include "flowlab/verify/report.hpp"

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "flowlab/core/atomic_file.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/xml_text.hpp"
#include "text_util.hpp"

namespace flowlab::verify {

using core::Field;
using core::FieldSet;
using core::FlowRecord;
using nlohmann::json;

namespace {

bool is_time(Field f) { return f == Field::first_ms || f == Field::last_ms || f == Field::export_ms; }

std::string value_text(const FlowRecord& r, Field f) {
    if ((f == Field::icmp_type || f == Field::icmp_code) && !r.has(f) && r.has(Field::dport))
        return std::to_string(f == Field::icmp_type ? r.dport >> 8 : r.dport & 0xFF) + " (in dport " + std::to_string(r.dport) + ")";
    if (!r.has(f)) return "(absent)";
    if (core::is_address_field(f)) return r.address(f)->to_string();
    if (is_time(f)) {
        const auto ms = static_cast<std::int64_t>(r.number(f));
        return std::to_string(ms) + " (" + detail::format_time_ms(ms) + ")";
    }
    return std::to_string(r.number(f));
}

std::string endpoint(const core::IpAddress& a, const FlowRecord& r, std::optional<Field> port) {
    std::string s = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
    if (port && r.has(*port)) s += ":" + std::to_string(r.number(*port));
    return s;
}

const char* version_name(std::uint8_t v) noexcept {
    return v == 5 ? "NetFlow v5" : v == 9 ? "NetFlow v9" : "IPFIX";
}

/// "in IPFIX: tcp_flags (nfacctd deviates from the RFC; conformance case 2.14: why)".
std::string drop_text(const std::string& profile, const ProfileDrop& d) {
    std::string s = std::string("in ") + version_name(d.version) + ": " +
                    std::string(core::kFieldNames[static_cast<std::size_t>(d.field)]);
    std::string because;
    if (d.kind == "deviation") because = profile + " deviates from the RFC";
    else if (d.kind == "not stored") because = profile + " does not store it";
    if (!d.shown_by.empty()) because += (because.empty() ? "" : "; ") + std::string("conformance case ") + d.shown_by;
    if (!d.why.empty()) because += (because.empty() ? "" : ": ") + d.why;
    return because.empty() ? s : s + " (" + because + ")";
}

std::string field_list(FieldSet s) {
    std::string out;
    for (std::size_t i = 0; i < core::kFieldCount; ++i)
        if (s.has(static_cast<Field>(i))) out += (out.empty() ? "" : ", ") + std::string(core::kFieldNames[i]);
    return out.empty() ? "(none)" : out;
}

json field_array(FieldSet s) {
    json a = json::array();
    for (std::size_t i = 0; i < core::kFieldCount; ++i)
        if (s.has(static_cast<Field>(i))) a.push_back(core::kFieldNames[i]);
    return a;
}

/// One line: where it came from in the export, then the flow.
std::string describe(const FlowRecord& r) {
    std::string s;
    if (r.has(Field::exporter)) s += r.exporter.to_string();
    if (r.has(Field::domain)) s += "/" + std::to_string(r.domain);
    if (r.has(Field::version)) s += (s.empty() ? "" : " ") + std::string("v") + std::to_string(r.version);
    if (r.has(Field::sequence)) s += " seq " + std::to_string(r.sequence);
    if (!s.empty()) s += ": ";
    const bool icmp = r.is_icmp();
    const auto no_port = std::optional<Field>();
    s += endpoint(r.src, r, icmp ? no_port : Field::sport) + " -> " + endpoint(r.dst, r, icmp ? no_port : Field::dport);
    if (r.has(Field::proto)) s += " proto " + std::to_string(r.proto);
    if (icmp && r.has(Field::icmp_type)) s += " icmp " + std::to_string(r.icmp_type) + "/" + std::to_string(r.icmp_code);
    else if (icmp && r.has(Field::dport)) s += " icmp " + std::to_string(r.dport >> 8) + "/" + std::to_string(r.dport & 0xFF);
    if (r.has(Field::packets)) s += ", " + std::to_string(r.packets) + " packets";
    if (r.has(Field::bytes)) s += ", " + std::to_string(r.bytes) + " bytes";
    if (r.has(Field::first_ms)) s += ", " + detail::format_time_ms(r.first_ms);
    if (r.has(Field::last_ms)) s += " - " + detail::format_time_ms(r.last_ms).substr(11);
    return s;
}

json record_json(const FlowRecord& r) {
    json o = json::object();
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (!r.has(f)) continue;
        if (core::is_address_field(f)) o[std::string(core::kFieldNames[i])] = r.address(f)->to_string();
        else if (core::is_signed_field(f)) o[std::string(core::kFieldNames[i])] = static_cast<std::int64_t>(r.number(f));
        else o[std::string(core::kFieldNames[i])] = r.number(f);
    }
    return o;
}

json example_json(const RecordExample& e) {
    json o = json::object();
    if (e.truth) {
        o["truth"] = record_json(*e.truth);
        o["truth_line"] = e.truth_line;
    }
    if (e.collected) {
        o["collected"] = record_json(*e.collected);
        o["collected_line"] = e.collected_line;
    }
    if (!e.differing.empty()) {
        json d = json::object();
        for (std::size_t i = 0; i < core::kFieldCount; ++i) {
            const auto f = static_cast<Field>(i);
            if (!e.differing.has(f)) continue;
            d[std::string(core::kFieldNames[i])] = {{"truth", value_text(*e.truth, f)}, {"collected", value_text(*e.collected, f)}};
        }
        o["differences"] = d;
    }
    if (e.copies) o["copies"] = e.copies;
    if (!e.note.empty()) o["note"] = e.note;
    return o;
}

std::string stream_name(const StreamLoss& s) {
    return s.exporter.to_string() + " domain " + std::to_string(s.domain) + " " +
           (s.version == 10 ? std::string("IPFIX") : "v" + std::to_string(s.version));
}

std::string unit_of(std::uint8_t version) {
    // What the sequence number counts (RFC 3954 / RFC 7011 / v5 format).
    return version == 9 ? "export packets" : "flow records";
}

void text_records(std::string& out, const VerifyResult& v, const RecordsResult& r) {
    auto line = [&](const std::string& s) { out += s + "\n"; };
    line("truth      " + v.truth_path + ": " + std::to_string(r.truth_records) + " records");
    line("collected  " + v.collected_source + " (" + std::string(format_name(v.format)) + (v.profile.empty() ? "" : ", profile " + v.profile) +
         "): " + std::to_string(r.collected_records) + " records");
    std::string matched = "matched    " + std::to_string(r.matched);
    if (r.merged_records) matched += " (" + std::to_string(r.merged_records) + " of them summed into " + std::to_string(r.merged_rows) + " collected rows)";
    line(matched);
    std::string altered = "altered    " + std::to_string(r.altered);
    if (r.altered) {
        std::string fields;
        for (std::size_t i = 0; i < core::kFieldCount; ++i)
            if (r.altered_by_field[i]) fields += (fields.empty() ? "" : ", ") + std::string(core::kFieldNames[i]) + " " + std::to_string(r.altered_by_field[i]);
        altered += " (" + fields + ")";
    }
    line(altered);
    line("missing    " + std::to_string(r.missing));
    if (r.may_lose_records)
        line("may lose   " + std::to_string(r.may_lose_records) + " more records the faults let a decoder lose: " +
             std::to_string(r.may_lose_received) + " received, " + std::to_string(r.may_lose_missing) +
             " not (not counted as missing)");
    line("duplicated " + std::to_string(r.duplicated));
    line("unexpected " + std::to_string(r.unexpected));
    line("key        " + field_list(r.key));
    line("compared   " + field_list(r.compared));
    FieldSet never, partly;
    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
        if (!r.unchecked[i]) continue;
        (r.unchecked[i] == r.pairs ? never : partly).set(static_cast<Field>(i));
    }
    if (!never.empty()) line("not checked (absent from every collected record): " + field_list(never));
    if (!partly.empty()) line("not checked in some records (absent there): " + field_list(partly));
    if (!r.excluded.empty()) line("not compared (the collector does not keep them, or excluded): " + field_list(r.excluded));
    for (const ProfileDrop& d : v.profile_drops) line("not compared " + drop_text(v.profile, d));
    if (!v.format_note.empty()) line("reader     " + v.format_note);
    if (v.estimated_peak_bytes)
        line("memory     estimated peak " + std::to_string((v.estimated_peak_bytes + (1u << 20) - 1) >> 20) + " MB (limit " +
             std::to_string(v.memory_limit >> 20) + " MB)");
    for (const auto& n : r.notes) line("note: " + n);

    if (!r.loss.empty()) {
        line("");
        line("loss by export sequence number:");
        for (const StreamLoss& s : r.loss) {
            line("  " + stream_name(s) + ": " + std::to_string(s.records_missing) + " of " + std::to_string(s.records) +
                 " records missing, in " + std::to_string(s.messages_hit) + " of " + std::to_string(s.messages) + " messages");
            for (const SequenceRange& g : s.ranges) {
                std::string seq = g.first_sequence == g.last_sequence
                                      ? "sequence " + std::to_string(g.first_sequence)
                                      : "sequence " + std::to_string(g.first_sequence) + "-" + std::to_string(g.last_sequence);
                std::string how = std::to_string(g.messages) + (g.messages == 1 ? " message" : " messages");
                if (g.messages_whole == g.messages) how += g.messages == 1 ? ", whole" : ", all whole";
                else if (g.messages_whole) how += ", " + std::to_string(g.messages_whole) + " whole";
                else how += g.messages == 1 ? ", partly" : ", all partly";
                std::string when = "exported " + detail::format_time_ms(g.first_export_ms);
                if (g.last_export_ms != g.first_export_ms) when += " - " + detail::format_time_ms(g.last_export_ms);
                std::string flows;
                if (g.first_flow_ms <= g.last_flow_ms)
                    flows = "; flows starting " + detail::format_time_ms(g.first_flow_ms) + " - " + detail::format_time_ms(g.last_flow_ms);
                line("    " + seq + " (" + how + "): " + std::to_string(g.records_missing) +
                     (g.records_missing == 1 ? " record; " : " records; ") + when + flows);
            }
            if (s.ranges_total > s.ranges.size())
                line("    ... " + std::to_string(s.ranges_total - s.ranges.size()) + " more runs");
            if (s.messages_unseen && *s.messages_unseen > 0)
                line("    messages whose sequence number the collected data never shows: " + std::to_string(*s.messages_unseen) +
                     " (the sequence counts " + unit_of(s.version) + ")");
        }
    }
    auto examples = [&](const char* title, std::uint64_t total, const std::vector<RecordExample>& list, Outcome kind) {
        if (total == 0) return;
        line("");
        line(std::string(title) + " (" + std::to_string(total) + (list.size() < total ? ", first " + std::to_string(list.size()) : "") + "):");
        for (const RecordExample& e : list) {
            switch (kind) {
                case Outcome::missing: line("  truth line " + std::to_string(e.truth_line) + ": " + describe(*e.truth)); break;
                case Outcome::unexpected:
                    line("  collected line " + std::to_string(e.collected_line) + ": " + describe(*e.collected));
                    break;
                case Outcome::duplicated:
                    line("  truth line " + std::to_string(e.truth_line) + " received " + std::to_string(e.copies) +
                         " times (again at collected line " + std::to_string(e.collected_line) + "): " + describe(*e.truth));
                    break;
                case Outcome::altered:
                    line("  truth line " + std::to_string(e.truth_line) + ", collected line " + std::to_string(e.collected_line) +
                         ": " + describe(*e.truth));
                    for (std::size_t i = 0; i < core::kFieldCount; ++i) {
                        const auto f = static_cast<Field>(i);
                        if (e.differing.has(f))
                            line("    " + std::string(core::kFieldNames[i]) + ": truth " + value_text(*e.truth, f) +
                                 ", collected " + value_text(*e.collected, f));
                    }
                    if (!e.note.empty()) line("    (" + e.note + ")");
                    break;
            }
        }
    };
    examples("missing", r.missing, r.missing_examples, Outcome::missing);
    examples("altered", r.altered, r.altered_examples, Outcome::altered);
    examples("duplicated", r.duplicated, r.duplicated_examples, Outcome::duplicated);
    examples("unexpected", r.unexpected, r.unexpected_examples, Outcome::unexpected);
}

std::string tolerance_text(double t) {
    return fmt::format("{:g}%", t * 100);
}

void text_totals(std::string& out, const VerifyResult& v, const TotalsResult& t) {
    auto line = [&](const std::string& s) { out += s + "\n"; };
    line("truth      " + v.truth_path + " (" + (t.against == TotalsTruth::records ? "records" : "conversations") + "): " +
         std::to_string(t.truth_rows) + " rows");
    line("collected  " + v.collected_source + " (" + std::string(format_name(v.format)) + "): " + std::to_string(t.collected_rows) + " records");
    std::string by;
    for (TotalsKey k : t.by) by += (by.empty() ? "" : ",") + std::string(totals_key_name(k));
    if (t.bin_ms) by += (by.empty() ? "" : ",") + std::string("bin ") + std::to_string(t.bin_ms / 1000) + "s";
    std::string metrics;
    for (Metric m : t.metrics) metrics += (metrics.empty() ? "" : ", ") + std::string(metric_name(m));
    line("by         " + by + "; " + metrics + " within " + tolerance_text(t.tolerance));
    line("keys       " + std::to_string(t.keys) + " (" + std::to_string(t.keys_outside) + " outside, " +
         std::to_string(t.keys_only_truth) + " only in truth, " + std::to_string(t.keys_only_collected) + " only collected)");
    for (Metric m : t.metrics) {
        const auto i = static_cast<std::size_t>(m);
        line("total " + std::string(metric_name(m)) + ": truth " + std::to_string(t.truth_sum[i]) + ", collected " +
             std::to_string(t.collected_sum[i]));
    }
    if (!v.format_note.empty()) line("reader     " + v.format_note);
    for (const auto& n : t.notes) line("note: " + n);
    if (t.keys_outside) {
        line("");
        line("outside the tolerance (" + std::to_string(t.keys_outside) +
             (t.outside.size() < t.keys_outside ? ", largest " + std::to_string(t.outside.size()) : "") + "):");
        for (const TotalsRow& row : t.outside) {
            std::string s = "  " + row.key + ":";
            for (Metric m : t.metrics) {
                const auto i = static_cast<std::size_t>(m);
                s += " " + std::string(metric_name(m)) + " " + std::to_string(row.truth[i]) + " -> " + std::to_string(row.collected[i]) +
                     (row.within[i] ? "" : " !");
            }
            line(s);
        }
    }
}

}  // namespace

std::string format_text(const VerifyResult& v) {
    std::string out = v.verdict() + "\n";
    if (v.records) text_records(out, v, *v.records);
    if (v.totals) text_totals(out, v, *v.totals);
    return out;
}

json to_json(const VerifyResult& v) {
    json j;
    j["verdict"] = v.verdict();
    j["match"] = v.match();
    j["level"] = v.level == Level::records ? "records" : "totals";
    j["truth"] = v.truth_path;
    j["collected"] = {{"source", v.collected_source}, {"format", std::string(format_name(v.format))}, {"note", v.format_note}};
    if (!v.profile.empty()) j["profile"] = v.profile;
    if (!v.profile_drops.empty()) {
        json drops = json::array();
        for (const ProfileDrop& d : v.profile_drops) {
            json e = {{"version", d.version}, {"field", std::string(core::kFieldNames[static_cast<std::size_t>(d.field)])}};
            if (!d.kind.empty()) e["kind"] = d.kind;
            if (!d.shown_by.empty()) e["shown_by"] = d.shown_by;
            if (!d.why.empty()) e["why"] = d.why;
            drops.push_back(std::move(e));
        }
        j["profile_drops"] = std::move(drops);
    }
    j["seconds"] = v.seconds;
    j["memory"] = {{"estimated_peak_bytes", v.estimated_peak_bytes}, {"limit_bytes", v.memory_limit}};
    if (v.records) {
        const RecordsResult& r = *v.records;
        json c = {{"truth", r.truth_records},       {"collected", r.collected_records}, {"matched", r.matched},
                  {"merged_records", r.merged_records}, {"merged_rows", r.merged_rows}, {"altered", r.altered},
                  {"missing", r.missing},           {"duplicated", r.duplicated},       {"unexpected", r.unexpected}};
        if (r.may_lose_records)
            c["may_lose"] = {{"records", r.may_lose_records}, {"received", r.may_lose_received}, {"missing", r.may_lose_missing}};
        j["counts"] = c;
        json by_field = json::object();
        for (std::size_t i = 0; i < core::kFieldCount; ++i)
            if (r.altered_by_field[i]) by_field[std::string(core::kFieldNames[i])] = r.altered_by_field[i];
        j["altered_fields"] = by_field;
        j["key"] = field_array(r.key);
        j["compared"] = field_array(r.compared);
        j["excluded"] = field_array(r.excluded);
        json unchecked = json::object();
        for (std::size_t i = 0; i < core::kFieldCount; ++i)
            if (r.unchecked[i]) unchecked[std::string(core::kFieldNames[i])] = r.unchecked[i];
        j["unchecked"] = {{"pairs", r.pairs}, {"by_field", unchecked}};
        json loss = json::array();
        for (const StreamLoss& s : r.loss) {
            json ranges = json::array();
            for (const SequenceRange& g : s.ranges)
                ranges.push_back({{"first_sequence", g.first_sequence}, {"last_sequence", g.last_sequence},
                                  {"messages", g.messages}, {"messages_whole", g.messages_whole},
                                  {"records_missing", g.records_missing}, {"first_export_ms", g.first_export_ms},
                                  {"last_export_ms", g.last_export_ms}, {"first_flow_ms", g.first_flow_ms},
                                  {"last_flow_ms", g.last_flow_ms}});
            json sj = {{"exporter", s.exporter.to_string()}, {"domain", s.domain}, {"version", s.version},
                       {"messages", s.messages}, {"records", s.records}, {"messages_hit", s.messages_hit},
                       {"records_missing", s.records_missing}, {"ranges", ranges}, {"ranges_total", s.ranges_total}};
            if (s.messages_unseen) sj["messages_unseen"] = *s.messages_unseen;
            loss.push_back(sj);
        }
        j["loss"] = loss;
        json per = json::array();
        for (const ExporterCounts& e : r.per_exporter)
            per.push_back({{"exporter", e.exporter.to_string()}, {"truth", e.truth}, {"matched", e.matched},
                           {"missing", e.missing}, {"altered", e.altered}, {"duplicated", e.duplicated},
                           {"unexpected", e.unexpected}});
        j["per_exporter"] = per;
        json slots = json::array();
        for (const TimelineSlot& t : r.timeline)
            slots.push_back({t.start_ms, t.truth, t.matched, t.altered, t.missing, t.duplicated, t.unexpected});
        j["timeline"] = {{"slot_ms", r.timeline_slot_ms}, {"slots", slots}};
        json ex = json::object();
        auto list = [](const std::vector<RecordExample>& v2) {
            json a = json::array();
            for (const auto& e : v2) a.push_back(example_json(e));
            return a;
        };
        ex["missing"] = list(r.missing_examples);
        ex["altered"] = list(r.altered_examples);
        ex["duplicated"] = list(r.duplicated_examples);
        ex["unexpected"] = list(r.unexpected_examples);
        j["examples"] = ex;
        j["notes"] = r.notes;
    }
    if (v.totals) {
        const TotalsResult& t = *v.totals;
        json by = json::array();
        for (TotalsKey k : t.by) by.push_back(std::string(totals_key_name(k)));
        json metrics = json::array();
        for (Metric m : t.metrics) metrics.push_back(std::string(metric_name(m)));
        j["totals"] = {{"against", t.against == TotalsTruth::records ? "records" : "conversations"},
                       {"by", by},
                       {"bin_ms", t.bin_ms},
                       {"tolerance", t.tolerance},
                       {"metrics", metrics},
                       {"truth_rows", t.truth_rows},
                       {"collected_rows", t.collected_rows},
                       {"keys", t.keys},
                       {"keys_outside", t.keys_outside},
                       {"keys_only_truth", t.keys_only_truth},
                       {"keys_only_collected", t.keys_only_collected},
                       {"notes", t.notes}};
        json sums = json::object();
        for (Metric m : t.metrics) {
            const auto i = static_cast<std::size_t>(m);
            sums[std::string(metric_name(m))] = {{"truth", t.truth_sum[i]}, {"collected", t.collected_sum[i]}};
        }
        j["totals"]["sums"] = sums;
        json rows = json::array();
        for (const TotalsRow& row : t.outside) {
            json rj = {{"key", row.key}};
            for (Metric m : t.metrics) {
                const auto i = static_cast<std::size_t>(m);
                rj[std::string(metric_name(m))] = {{"truth", row.truth[i]}, {"collected", row.collected[i]}, {"within", row.within[i]}};
            }
            rows.push_back(rj);
        }
        j["totals"]["outside"] = rows;
    }
    return j;
}

std::string format_junit(const VerifyResult& v, const std::string& suite) {
    struct Case {
        std::string classname, name, failure, detail;
    };
    std::vector<Case> cases;
    if (v.records) {
        const RecordsResult& r = *v.records;
        cases.push_back({"verify.records", "records", v.match() ? "" : v.verdict(), format_text(v)});
        for (const ExporterCounts& e : r.per_exporter) {
            const bool ok = e.missing == 0 && e.altered == 0 && e.duplicated == 0 && e.unexpected == 0;
            cases.push_back({"verify.exporter", "exporter " + (e.exporter.is_set() ? e.exporter.to_string() : std::string("(none)")),
                             ok ? "" : std::to_string(e.missing) + " missing, " + std::to_string(e.altered) + " altered, " +
                                           std::to_string(e.duplicated) + " duplicated, " + std::to_string(e.unexpected) + " unexpected of " +
                                           std::to_string(e.truth) + " records",
                             ""});
        }
        for (const StreamLoss& s : r.loss) {
            std::string detail;
            for (const SequenceRange& g : s.ranges)
                detail += "sequence " + std::to_string(g.first_sequence) + "-" + std::to_string(g.last_sequence) + ": " +
                          std::to_string(g.records_missing) + " records\n";
            cases.push_back({"verify.sequence", "loss " + stream_name(s),
                             std::to_string(s.records_missing) + " records missing in " + std::to_string(s.messages_hit) + " messages",
                             detail});
        }
        for (std::size_t i = 0; i < core::kFieldCount; ++i) {
            const auto f = static_cast<Field>(i);
            if (!r.compared.has(f)) continue;
            cases.push_back({"verify.field", std::string("field ") + std::string(core::kFieldNames[i]),
                             r.altered_by_field[i] ? std::to_string(r.altered_by_field[i]) + " records differ" : "", ""});
        }
    }
    if (v.totals) {
        const TotalsResult& t = *v.totals;
        cases.push_back({"verify.totals", "totals", v.match() ? "" : v.verdict(), format_text(v)});
        for (Metric m : t.metrics) {
            std::uint64_t bad = 0;
            for (const TotalsRow& row : t.outside)
                if (!row.within[static_cast<std::size_t>(m)]) ++bad;
            cases.push_back({"verify.totals", std::string("totals ") + std::string(metric_name(m)),
                             bad ? std::to_string(bad) + " of the listed keys outside " + tolerance_text(t.tolerance) : "", ""});
        }
    }
    std::size_t failures = 0;
    for (const Case& c : cases) failures += c.failure.empty() ? 0 : 1;
    const std::string secs = fmt::format("{:.3f}", v.seconds);
    std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    x += "<testsuites name=\"flowlab verify\" tests=\"" + std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
         "\" time=\"" + secs + "\">\n";
    std::string name = suite;
    if (name.empty() && !v.scenario.empty()) name = v.scenario + (v.profile.empty() ? "" : " on " + v.profile);
    if (name.empty()) name = "verify " + v.collected_source;
    x += "  <testsuite name=\"" + core::xml_escape(name) + "\" tests=\"" + std::to_string(cases.size()) +
         "\" failures=\"" + std::to_string(failures) + "\" errors=\"0\" skipped=\"0\" time=\"" + secs + "\">\n";
    for (const Case& c : cases) {
        x += "    <testcase classname=\"" + core::xml_escape(c.classname) + "\" name=\"" + core::xml_escape(c.name) + "\"";
        if (c.failure.empty()) {
            x += "/>\n";
            continue;
        }
        x += ">\n      <failure message=\"" + core::xml_escape(c.failure) + "\">" + core::xml_escape(c.detail) + "</failure>\n    </testcase>\n";
    }
    x += "  </testsuite>\n</testsuites>\n";
    return x;
}

void write_file_atomic(const std::string& path, const std::string& text) {
    core::AtomicFile f(path, "wb");
    if (std::fwrite(text.data(), 1, text.size(), f.get()) != text.size())
        throw IoError(f.temp_path() + " (for " + path + "): write failed: " + std::strerror(errno));
    f.commit();
}

}  // namespace flowlab::verify

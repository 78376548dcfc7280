/// @brief Faults on gen's export stream: parsing (scenario and --fault), selection, the
/// message transformations, and the truth of the damaged stream from the reference model.
#include "flowlab/gen/faults.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <map>
#include <set>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/decoder.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/excerpt.hpp"
#include "flowlab/gen/scenario.hpp"
#include "flowlab/gen/simulation.hpp"
#include "reference_model.hpp"
#include "scenario_internal.hpp"
#include "template_records.hpp"

namespace flowlab::gen {

using core::Protocol;

namespace {

struct KindInfo {
    FaultKind kind;
    std::string_view name;
};
constexpr KindInfo kKinds[] = {
    {FaultKind::drop, "drop"},
    {FaultKind::duplicate, "duplicate"},
    {FaultKind::reorder, "reorder"},
    {FaultKind::sequence_gap, "sequence_gap"},
    {FaultKind::sequence_reset, "sequence_reset"},
    {FaultKind::sequence_wrap, "sequence_wrap"},
    {FaultKind::uptime_wrap, "uptime_wrap"},
    {FaultKind::restart, "restart"},
    {FaultKind::export_time_back, "export_time_back"},
    {FaultKind::missing_template, "missing_template"},
    {FaultKind::data_before_template, "data_before_template"},
    {FaultKind::truncate, "truncate"},
    {FaultKind::message_length, "message_length"},
    {FaultKind::template_withdraw, "template_withdraw"},
    {FaultKind::template_redefine, "template_redefine"},
    {FaultKind::template_reuse, "template_reuse"},
    {FaultKind::template_refresh_never, "template_refresh_never"},
    {FaultKind::zero_length_set, "zero_length_set"},
    {FaultKind::short_set, "short_set"},
    {FaultKind::set_length_past, "set_length_past"},
    {FaultKind::padding, "padding"},
    {FaultKind::field_count_large, "field_count_large"},
    {FaultKind::unknown_element, "unknown_element"},
    {FaultKind::enterprise_element, "enterprise_element"},
    {FaultKind::varlen_3byte, "varlen_3byte"},
    {FaultKind::options_scope_zero, "options_scope_zero"},
};

/// RFC 5612's documentation PEN: no decoder knows its elements.
constexpr std::uint32_t kExamplePen = 32473;
/// An IANA element number that is not assigned; carries varlen_3byte's value.
constexpr std::uint16_t kUnassignedVarlen = 32001;

std::string kind_list() {
    std::string s;
    for (const auto& k : kKinds) s += (s.empty() ? "" : ", ") + std::string(k.name);
    return s;
}

/// The protocols a kind can damage (what it changes must exist in the message).
bool applies_to(FaultKind k, Protocol p) noexcept {
    switch (k) {
        case FaultKind::missing_template:
        case FaultKind::data_before_template: return p != Protocol::v5;
        case FaultKind::message_length:
        case FaultKind::template_withdraw:  // RFC 7011 8.1; v9 has no withdrawal
        case FaultKind::enterprise_element:
        case FaultKind::varlen_3byte: return p == Protocol::ipfix;  // v9 has no PEN and no variable length
        case FaultKind::unknown_element:
        case FaultKind::template_redefine:
        case FaultKind::template_reuse:
        case FaultKind::template_refresh_never:
        case FaultKind::zero_length_set:
        case FaultKind::short_set:
        case FaultKind::set_length_past:
        case FaultKind::padding:
        case FaultKind::field_count_large:
        case FaultKind::options_scope_zero: return p != Protocol::v5;  // v5 has no sets
        case FaultKind::uptime_wrap:
        case FaultKind::restart: return p != Protocol::ipfix;  // IPFIX headers carry no sysUptime
        default: return true;
    }
}

bool moves_uptime(FaultKind k) noexcept { return k == FaultKind::uptime_wrap || k == FaultKind::restart; }

/// For a fault that applies to none of the exporters: what it needs.
std::string needs(FaultKind k) {
    if (k == FaultKind::message_length || k == FaultKind::template_withdraw || k == FaultKind::enterprise_element ||
        k == FaultKind::varlen_3byte)
        return "it needs IPFIX";
    if (moves_uptime(k)) return "it needs NetFlow v5 or v9";
    return "it needs NetFlow v9 or IPFIX";
}

Protocol protocol_of(ExportProtocol p) noexcept {
    return p == ExportProtocol::v5 ? Protocol::v5 : p == ExportProtocol::v9 ? Protocol::v9 : Protocol::ipfix;
}

bool samples(const Exporter& e) noexcept { return e.sampling != SamplingMode::none && e.sampling_rate > 1; }

/// Whether the exporter sends an options template: its own or its dialect's ("when":
/// "sampling" only when it samples), else flowlab's sampling options when it samples.
bool sends_options(const Exporter& e) noexcept {
    if (!e.options) return samples(e);
    return std::any_of(e.options->begin(), e.options->end(),
                       [&](const core::OptionsSpec& o) { return !o.only_when_sampling || samples(e); });
}

}  // namespace

std::string_view to_string(FaultKind k) noexcept {
    for (const auto& i : kKinds)
        if (i.kind == k) return i.name;
    return "?";
}

bool Fault::selects(std::uint64_t n, std::int64_t offset_us) const noexcept {
    if (n < first || n > last || (n - first) % every != 0) return false;
    if (from_us && offset_us < *from_us) return false;
    if (to_us && offset_us >= *to_us) return false;
    return true;
}

void Fault::fail(const std::string& what) const {
    if (from_option) throw UsageError(origin + ": " + what);
    throw ConfigError(origin, pointer, what);
}

namespace detail {

Fault parse_fault(const Node& n, const Scenario& s) {
    n.expect_object({"fault", "exporter", "messages", "every", "from", "to", "by", "note"}, {"fault"});
    Fault f;
    f.spec = n.json();
    f.origin = n.file();
    f.pointer = n.pointer();
    const std::string kind = n.at("fault").string();
    const auto k = std::find_if(std::begin(kKinds), std::end(kKinds), [&](const KindInfo& i) { return i.name == kind; });
    if (k == std::end(kKinds)) n.at("fault").fail("unknown fault " + core::quote(kind) + " (expected one of " + kind_list() + ")");
    f.kind = k->kind;
    if (auto v = n.get("exporter")) {
        const std::string name = v->string();
        std::string names;
        for (std::size_t i = 0; i < s.exporters.size(); ++i) {
            if (s.exporters[i].name == name) f.exporter = i;
            names += (names.empty() ? "" : ", ") + s.exporters[i].name;
        }
        if (!f.exporter) v->fail("no exporter " + core::quote(name) + " (the scenario has " + names + ")");
    }
    if (auto v = n.get("messages")) {
        // "7", "7-9" or "7-": message numbers of the exporter's stream, from 1.
        const std::string text = v->is_number() ? std::to_string(v->integer(1, UINT64_MAX)) : v->string();
        const auto number = [&](std::string_view part, std::uint64_t& out) {
            const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
            return !part.empty() && ec == std::errc{} && end == part.data() + part.size() && out >= 1;
        };
        const auto dash = text.find('-');
        const bool ok = dash == std::string::npos
                            ? number(text, f.first) && (f.last = f.first, true)
                            : number(std::string_view(text).substr(0, dash), f.first) &&
                                  (dash + 1 == text.size() || number(std::string_view(text).substr(dash + 1), f.last));
        if (!ok) v->fail("expected message numbers (from 1) as \"N\", \"N-M\" or \"N-\", got " + v->shown());
        if (f.last < f.first) v->fail("the range " + text + " is empty (its end is before its start)");
    }
    if (auto v = n.get("every")) f.every = v->integer(1, UINT64_MAX);
    if (auto v = n.get("from")) f.from_us = v->duration();
    if (auto v = n.get("to")) f.to_us = v->duration();
    if (f.from_us && f.to_us && *f.to_us <= *f.from_us) n.fail_at("to", "the window ends before it starts (\"to\" <= \"from\")");
    const auto by = n.get("by");
    const auto no_amount = [&] {
        if (by) by->fail("fault " + kind + " takes no \"by\"");
    };
    switch (f.kind) {
        case FaultKind::drop:
        case FaultKind::duplicate:
        case FaultKind::sequence_reset:
        case FaultKind::sequence_wrap:
        case FaultKind::missing_template:
        case FaultKind::data_before_template:
        case FaultKind::template_withdraw:
        case FaultKind::template_redefine:
        case FaultKind::template_refresh_never:
        case FaultKind::zero_length_set:
        case FaultKind::options_scope_zero: no_amount(); break;
        case FaultKind::short_set:
            f.by = by ? static_cast<std::int64_t>(by->integer(0, 65535)) : 2;
            if (f.by < 1 || f.by > 3)
                by->fail("expected a set length from 1 to 3 (shorter than the 4-byte set header; 0 is zero_length_set), got " +
                         by->shown());
            break;
        case FaultKind::set_length_past:
        case FaultKind::field_count_large: f.by = by ? static_cast<std::int64_t>(by->integer(1, 65535)) : 1; break;
        case FaultKind::padding: f.by = by ? static_cast<std::int64_t>(by->integer(1, 65535)) : 3; break;
        case FaultKind::unknown_element: {
            f.by = by ? static_cast<std::int64_t>(by->integer(1, 32767)) : 32000;
            if (const core::IeInfo* known = core::find_ie(static_cast<std::uint16_t>(f.by)))
                (by ? *by : n).fail("element " + std::to_string(f.by) + " is " + std::string(known->name) +
                                    ", which a decoder knows; choose an unassigned number");
            break;
        }
        case FaultKind::enterprise_element: f.by = by ? static_cast<std::int64_t>(by->integer(1, 32767)) : 1; break;
        case FaultKind::varlen_3byte: f.by = by ? static_cast<std::int64_t>(by->integer(0, 1000)) : 5; break;
        case FaultKind::template_reuse:
            // The other observation domain; -1: the exporter's own plus one.
            f.by = by ? static_cast<std::int64_t>(by->integer(0, 0xFFFFFFFFu)) : -1;
            break;
        case FaultKind::reorder: f.by = by ? static_cast<std::int64_t>(by->integer(1, 1000)) : 1; break;
        case FaultKind::sequence_gap: f.by = by ? static_cast<std::int64_t>(by->integer(1, 0xFFFFFFFFu)) : 1000; break;
        case FaultKind::truncate: f.by = by ? static_cast<std::int64_t>(by->integer(1, 65535)) : 1; break;
        case FaultKind::uptime_wrap:
        case FaultKind::restart: {
            // Kept in milliseconds, sysUptime's unit; it is 32 bits wide (49.7 days).
            const bool wrap = f.kind == FaultKind::uptime_wrap;
            const std::int64_t us = by ? by->duration() : (wrap ? 1'000'000 : 0);
            f.by = us / 1000;
            if (us % 1000 != 0 || f.by < (wrap ? 1 : 0) || f.by > 0xFFFFFFFFll)
                (by ? *by : n).fail(std::string("expected whole milliseconds from ") + (wrap ? "1ms" : "0s") +
                                    " to 49d (sysUptime counts milliseconds in 32 bits)");
            break;
        }
        case FaultKind::export_time_back:
            f.by = by ? by->duration() : 60'000'000;
            if (f.by <= 0 || f.by % 1'000'000 != 0)
                (by ? *by : n).fail("expected whole seconds greater than zero: the headers carry seconds");
            break;
        case FaultKind::message_length: {
            f.by = 1;
            if (by) {
                const double d = by->number(-65535, 65535);
                if (d == 0 || std::floor(d) != d) by->fail("expected a whole number of bytes other than 0, got " + by->shown());
                f.by = static_cast<std::int64_t>(d);
            }
            break;
        }
    }
    if (auto v = n.get("note")) (void)v->string(true);
    return f;
}

}  // namespace detail

Fault parse_fault_option(std::string_view text, const Scenario& s) {
    const std::string origin = "--fault " + core::quote(text);
    const auto colon = text.find(':');
    Json j = Json::object();
    j["fault"] = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
        std::string_view rest = text.substr(colon + 1);
        while (true) {
            const auto comma = rest.find(',');
            const std::string_view item = rest.substr(0, comma);
            const auto eq = item.find('=');
            if (eq == std::string_view::npos || eq == 0)
                throw UsageError(origin + ": expected KIND[:KEY=VALUE[,KEY=VALUE...]], got " + core::quote(item) +
                                 " where a KEY=VALUE belongs");
            const std::string key(item.substr(0, eq));
            const std::string value(item.substr(eq + 1));
            if (j.contains(key)) throw UsageError(origin + ": " + key + " given twice");
            // Whole numbers as numbers, everything else ("10-20", "5s", names) as text.
            std::int64_t number = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
            if (!value.empty() && ec == std::errc{} && end == value.data() + value.size()) j[key] = number;
            else j[key] = value;
            if (comma == std::string_view::npos) break;
            rest = rest.substr(comma + 1);
        }
    }
    try {
        const detail::Node n(j, "", origin);
        Fault f = detail::parse_fault(n, s);
        f.from_option = true;
        return f;
    } catch (const ConfigError& e) {
        const std::string key = e.pointer().empty() ? "" : " (" + e.pointer().substr(1) + ")";
        throw UsageError(origin + key + ": " + e.detail());
    }
}

namespace {

/// options_scope_zero needs options templates to damage.
void check_scope_zero(const Scenario& s, const Fault& f) {
    const auto fail = [&](const std::string& what) {
        if (!f.exporter) f.fail(what);
        if (f.from_option) throw UsageError(f.origin + " (exporter): " + what);
        throw ConfigError(f.origin, f.pointer + "/exporter", what);
    };
    bool any = false;
    for (std::size_t i = 0; i < s.exporters.size(); ++i) {
        const Exporter& e = s.exporters[i];
        if ((f.exporter && *f.exporter != i) || !applies_to(f.kind, protocol_of(e.protocol))) continue;
        if (!sends_options(e)) {
            if (f.exporter)
                fail("options_scope_zero needs an exporter that sends an options template; " + e.name +
                     " sends none (no \"options\", from itself or its dialect, and no sampling)");
            continue;
        }
        any = true;
    }
    if (!any && !f.exporter)
        f.fail("fault options_scope_zero applies to none of the scenario's exporters (it needs a NetFlow v9 or IPFIX "
               "exporter that sends an options template)");
}

}  // namespace

void check_faults(const Scenario& s) {
    for (const Fault& f : s.faults) {
        if (f.exporter) {
            if (*f.exporter >= s.exporters.size()) f.fail("no such exporter");
            const Exporter& e = s.exporters[*f.exporter];
            if (!applies_to(f.kind, protocol_of(e.protocol)))
                f.fail("fault " + std::string(to_string(f.kind)) + " does not apply to exporter " + e.name + " (" +
                       std::string(to_string(e.protocol)) + ")");
        }
        if (f.kind == FaultKind::template_reuse)
            for (std::size_t i = 0; i < s.exporters.size(); ++i) {
                const Exporter& e = s.exporters[i];
                if ((f.exporter && *f.exporter != i) || !applies_to(f.kind, protocol_of(e.protocol))) continue;
                // Options data (sampling, interface names) reach a collector per domain: the
                // other domain would lack them, and the records decoded there would differ.
                const bool options = e.options ? !e.options->empty() : e.sampling != SamplingMode::none;
                if (options)
                    f.fail("template_reuse cannot apply to exporter " + e.name +
                           ": it sends options data (sampling or interface names) that the records depend on, "
                           "and the other observation domain would not have them" +
                           (f.exporter ? "" : " (choose an exporter with \"exporter\")"));
            }
        if (f.kind == FaultKind::template_reuse && f.by >= 0)
            for (std::size_t i = 0; i < s.exporters.size(); ++i) {
                const Exporter& e = s.exporters[i];
                if ((!f.exporter || *f.exporter == i) && applies_to(f.kind, protocol_of(e.protocol)) &&
                    e.domain == static_cast<std::uint32_t>(f.by))
                {
                    const std::string what = "template_reuse needs another observation domain than the exporter's own: " +
                                             e.name + " exports domain " + std::to_string(e.domain);
                    if (f.from_option) throw UsageError(f.origin + " (by): " + what);
                    throw ConfigError(f.origin, f.pointer + "/by", what);
                }
            }
        if (f.kind == FaultKind::options_scope_zero) check_scope_zero(s, f);
        if (f.exporter) continue;
        const bool any = std::any_of(s.exporters.begin(), s.exporters.end(),
                                     [&](const Exporter& e) { return applies_to(f.kind, protocol_of(e.protocol)); });
        if (!any)
            f.fail("fault " + std::string(to_string(f.kind)) + " applies to none of the scenario's exporters (" +
                   needs(f.kind) + ")");
    }
}

// ---------------------------------------------------------------------------------------------

namespace {

/// Finds where each data record of a message sits, keeping the templates as a decoder does.
class RecordPlaces : public core::DecodeVisitor {
public:
    struct Place {
        std::size_t offset;
        bool uptime;  ///< v9 First/LastSwitched: relative to the header's sysUptime and time
        std::size_t first_switched = 0, last_switched = 0;  ///< their offsets (0: not in the record)
        bool rate_from_options = false;  ///< no rate element of its own (see gives_rate)
        /// IPFIX flowStart/EndSysUpTime (22/21) as the record's only start/end time and no 160
        /// of its own: a decoder needs systemInitTimeMilliseconds from options data for them.
        bool start_from_init = false, end_from_init = false;
        std::uint32_t start_uptime = 0, end_uptime = 0;  ///< their values as sent
    };
    std::vector<Place> flow;  ///< flow (not options) records in wire order
    /// Interface and VRF table records (options data naming an ifIndex or VRF id), in wire order.
    struct TableRow {
        std::size_t offset;
        bool vrf;
        std::uint32_t index;
        std::string_view name;  ///< interned, up to the first NUL as the decoder reads it
    };
    std::vector<TableRow> rows;
    std::vector<std::size_t> sampling_rows;  ///< offsets of options records that give a rate
    /// Options records carrying systemInitTimeMilliseconds (160): offset, value.
    std::vector<std::pair<std::size_t, std::int64_t>> system_init_rows;
    Protocol protocol = Protocol::ipfix;
    /// Whether a record has an element from which a decoder derives a sampling rate (core's
    /// field codec roles).
    static bool gives_rate(std::span<const core::FieldLocation> fields) {
        return std::any_of(fields.begin(), fields.end(), [](const core::FieldLocation& f) {
            if (f.spec->enterprise != 0) return false;
            const core::IeInfo* info = core::find_ie(f.spec->id);
            if (!info) return false;
            switch (info->role) {
                case core::IeRole::sampling:
                case core::IeRole::sampling_space:
                case core::IeRole::sampling_size:
                case core::IeRole::sampling_population:
                case core::IeRole::sampling_probability: return true;
                default: return false;
            }
        });
    }
    const std::uint8_t* bytes = nullptr;  ///< the message being visited
    /// Which of a record's times core's field codec can only resolve from a session's 160: an
    /// uptime time with no other element for the same end and no 160 in the record.
    void times_from_init(std::span<const core::FieldLocation> fields, Place& place) const {
        bool start_uptime = false, end_uptime = false, start_other = false, end_other = false, own_init = false;
        for (const auto& f : fields) {
            if (f.spec->enterprise != 0) continue;
            const core::IeInfo* info = core::find_ie(f.spec->id);
            if (!info) continue;
            switch (info->role) {
                case core::IeRole::system_init_ms: own_init = true; break;
                case core::IeRole::start_uptime:
                    start_uptime = f.length == 4;
                    if (start_uptime) place.start_uptime = core::load_be32(bytes + f.offset);
                    break;
                case core::IeRole::end_uptime:
                    end_uptime = f.length == 4;
                    if (end_uptime) place.end_uptime = core::load_be32(bytes + f.offset);
                    break;
                case core::IeRole::field:
                case core::IeRole::start_seconds: case core::IeRole::end_seconds:
                case core::IeRole::start_micro: case core::IeRole::end_micro:
                case core::IeRole::start_nano: case core::IeRole::end_nano:
                case core::IeRole::start_delta_micro: case core::IeRole::end_delta_micro:
                    if (info->field == core::Field::first_ms) start_other = true;
                    if (info->field == core::Field::last_ms) end_other = true;
                    break;
                default: break;
            }
        }
        place.start_from_init = start_uptime && !start_other && !own_init;
        place.end_from_init = end_uptime && !end_other && !own_init;
    }
    void on_data_record(const core::Template& t, std::span<const core::FieldLocation> fields) override {
        if (fields.empty()) return;
        if (t.is_options()) {
            if (gives_rate(fields)) sampling_rows.push_back(fields.front().offset);
            for (const auto& f : fields)
                if (f.spec->enterprise == 0 && f.spec->id == core::ie::systemInitTimeMilliseconds && f.length == 8)
                    system_init_rows.emplace_back(fields.front().offset, static_cast<std::int64_t>(core::load_be64(bytes + f.offset)));
            std::optional<std::uint32_t> interface, vrf;
            std::optional<std::string_view> if_name, vrf_name;
            for (std::size_t i = t.scope_count; i < fields.size(); ++i) {
                const auto& f = fields[i];
                if (f.spec->enterprise != 0 || f.length == 0) continue;
                const std::uint8_t* v = bytes + f.offset;
                const auto text = [&] {
                    const std::string s(reinterpret_cast<const char*>(v), f.length);
                    return core::intern_name(std::string_view(s).substr(0, s.find('\0')));
                };
                switch (f.spec->id) {
                    case 10: case 14: if (f.length <= 4) interface = static_cast<std::uint32_t>(core::load_be_n(v, f.length)); break;
                    case 234: case 235: if (f.length <= 4) vrf = static_cast<std::uint32_t>(core::load_be_n(v, f.length)); break;
                    case 82: case 83: if_name = text(); break;
                    case 236: vrf_name = text(); break;
                    default: break;
                }
            }
            if (interface && if_name && !if_name->empty()) rows.push_back({fields.front().offset, false, *interface, *if_name});
            if (vrf && vrf_name && !vrf_name->empty()) rows.push_back({fields.front().offset, true, *vrf, *vrf_name});
            return;
        }
        Place place{fields.front().offset, protocol == Protocol::v9 && (t.contains(21) || t.contains(22))};
        place.rate_from_options = !gives_rate(fields);
        for (const auto& f : fields) {
            if (f.spec->enterprise != 0 || f.length != 4) continue;
            if (f.spec->id == 22) place.first_switched = f.offset;
            if (f.spec->id == 21) place.last_switched = f.offset;
        }
        if (protocol == Protocol::ipfix) times_from_init(fields, place);
        flow.push_back(place);
    }
};

/// The sets of a v9/IPFIX message as the reference model reads them.
std::vector<SetInfo> describe_sets(const std::vector<std::uint8_t>& b, Protocol p, const RecordPlaces& places,
                                   std::vector<std::size_t>& template_records) {
    std::vector<SetInfo> sets;
    template_records.clear();
    std::size_t pos = p == Protocol::ipfix ? 16 : 20;
    const std::uint16_t tmpl_id = p == Protocol::ipfix ? 2 : 0, opt_id = p == Protocol::ipfix ? 3 : 1;
    std::size_t next_record = 0;
    while (pos + 4 <= b.size()) {
        SetInfo s;
        s.offset = pos;
        s.id = core::load_be16(b.data() + pos);
        s.length = core::load_be16(b.data() + pos + 2);
        if (s.length < 4 || pos + s.length > b.size()) break;  // the encoder writes none such
        std::size_t count = 0;
        if (s.id == tmpl_id || s.id == opt_id) {
            s.kind = s.id == tmpl_id ? SetInfo::Kind::templates : SetInfo::Kind::options_templates;
            for (const auto& t : detail::template_records_of(b, s, p)) {
                s.template_ids.push_back(t.id);
                s.templates.push_back(std::to_string(t.id));
                ++count;
            }
        } else if (s.id >= 256) {
            s.kind = SetInfo::Kind::data;
            s.templates.push_back(std::to_string(s.id));
            while (next_record < places.flow.size() && places.flow[next_record].offset < pos + s.length) {
                if (places.flow[next_record].rate_from_options) s.rate_from_options = true;
                s.records.push_back(next_record++);
            }
            s.sampling_options = std::any_of(places.sampling_rows.begin(), places.sampling_rows.end(),
                                             [&](std::size_t at) { return at >= pos && at < pos + s.length; });
            for (const auto& [at, ms] : places.system_init_rows)
                if (at >= pos && at < pos + s.length) s.system_init_ms = ms;
            for (const auto& row : places.rows)
                if (row.offset >= pos && row.offset < pos + s.length)
                    (row.vrf ? s.vrf_names : s.interface_names).emplace_back(row.index, row.name);
        } else {
            s.kind = SetInfo::Kind::raw;
        }
        template_records.push_back(count);
        sets.push_back(std::move(s));
        pos += sets.back().length;
    }
    return sets;
}

/// Rebuilds a message from its header and the sets in `order` (indexes into m.sets).
void rebuild(ScriptMessage& m, Protocol p, const std::vector<std::size_t>& order) {
    const std::size_t header = p == Protocol::ipfix ? 16 : 20;
    std::vector<std::uint8_t> b(m.bytes.begin(), m.bytes.begin() + static_cast<std::ptrdiff_t>(header));
    std::vector<SetInfo> sets;
    for (std::size_t i : order) {
        SetInfo s = m.sets[i];
        const auto from = m.bytes.begin() + static_cast<std::ptrdiff_t>(s.offset);
        s.offset = b.size();
        b.insert(b.end(), from, from + static_cast<std::ptrdiff_t>(s.length));
        sets.push_back(std::move(s));
    }
    m.bytes = std::move(b);
    m.sets = std::move(sets);
    if (p == Protocol::ipfix) core::store_be16(m.bytes.data() + 2, static_cast<std::uint16_t>(m.bytes.size()));
}

bool is_template_set(const SetInfo& s) noexcept {
    return s.kind == SetInfo::Kind::templates || s.kind == SetInfo::Kind::options_templates;
}

bool rewrites_layout(FaultKind k) noexcept {
    return k == FaultKind::template_redefine || k == FaultKind::template_reuse || k == FaultKind::unknown_element ||
           k == FaultKind::enterprise_element || k == FaultKind::varlen_3byte;
}

/// An element a fault adds to templates and records: its specifier and each record's value.
struct Extra {
    core::FieldSpec spec;
    std::vector<std::uint8_t> value;
};

Extra extra_of(const Fault& f) {
    Extra x;
    const auto id = static_cast<std::uint16_t>(f.by);
    switch (f.kind) {
        case FaultKind::unknown_element: x = {{id, 4, 0}, {0xDE, 0xAD, 0xBE, 0xEF}}; break;
        case FaultKind::enterprise_element: x = {{id, 4, kExamplePen}, {0xCA, 0xFE, 0xF0, 0x0D}}; break;
        default: {
            // RFC 7011 7: the 3-byte form (255, then 16 bits) is allowed for any length.
            x.spec = {kUnassignedVarlen, core::kVariableLength, 0};
            core::ByteWriter w(x.value);
            w.u8(255);
            w.u16(static_cast<std::uint16_t>(f.by));
            for (std::int64_t i = 0; i < f.by; ++i) x.value.push_back(static_cast<std::uint8_t>('a' + i % 26));
        }
    }
    return x;
}

/// A layout of the exporter's templates that faults write: fields reversed, elements added.
struct Variant {
    bool reversed = false;
    std::vector<Extra> extras;
    std::uint64_t number = 0;  ///< tells layouts apart for the reference model

    std::vector<core::FieldSpec> fields(const std::vector<core::FieldSpec>& own) const {
        std::vector<core::FieldSpec> out = own;
        if (reversed) std::reverse(out.begin(), out.end());
        for (const auto& e : extras) out.push_back(e.spec);
        return out;
    }
};

void put16(std::vector<std::uint8_t>& b, std::size_t v) { core::ByteWriter(b).u16(static_cast<std::uint16_t>(v)); }

/// A template record (id, field count, field specifiers) as RFC 3954 5.2 / RFC 7011 3.4.1 write it.
void put_template(std::vector<std::uint8_t>& b, std::uint16_t id, const std::vector<core::FieldSpec>& fields) {
    put16(b, id);
    put16(b, fields.size());
    for (const auto& f : fields) {
        put16(b, f.enterprise != 0 ? (f.id | 0x8000u) : f.id);
        put16(b, f.length);
        if (f.enterprise != 0) {
            put16(b, f.enterprise >> 16);
            put16(b, f.enterprise & 0xFFFFu);
        }
    }
}

/// The template's name for the reference model: the id, then the variant ("" as the exporter
/// writes it; "r" reversed, "x3" with fault 3's element, ...).
std::string layout_name(std::uint16_t id, const std::string& variant) { return std::to_string(id) + variant; }
std::string variant_of(const std::string& name) {
    const auto digits = name.find_first_not_of("0123456789");
    return digits == std::string::npos ? std::string() : name.substr(digits);
}

/// Writes one data record (at `at`, fields as the template lists them) in a variant's layout
/// to `out`; returns its length in `b` (0: it runs past `end`, nothing written).
std::size_t rewrite_record(const std::vector<std::uint8_t>& b, std::size_t at, std::size_t end,
                           const std::vector<core::FieldSpec>& fields, const Variant& v, std::vector<std::uint8_t>& out) {
    std::vector<std::pair<std::size_t, std::size_t>> parts;  // offset, length
    std::size_t q = at;
    for (const auto& f : fields) {
        std::size_t n = f.length;
        if (f.length == core::kVariableLength) {
            if (q + 1 > end) return 0;
            n = b[q] < 255 ? 1 + b[q] : (q + 3 <= end ? 3 + core::load_be16(b.data() + q + 1) : end + 1);
        }
        if (q + n > end) return 0;
        parts.emplace_back(q, n);
        q += n;
    }
    if (v.reversed) std::reverse(parts.begin(), parts.end());
    for (const auto& [o, n] : parts)
        out.insert(out.end(), b.begin() + static_cast<std::ptrdiff_t>(o), b.begin() + static_cast<std::ptrdiff_t>(o + n));
    for (const auto& e : v.extras) out.insert(out.end(), e.value.begin(), e.value.end());
    return q - at;
}

/// Inserts a set (bytes with its header) at offset `at` of the message, before set `index`.
void insert_set(ScriptMessage& m, Protocol p, std::size_t index, std::size_t at, std::vector<std::uint8_t> bytes, SetInfo info,
                std::vector<std::size_t>& template_records, std::size_t records) {
    m.bytes.insert(m.bytes.begin() + static_cast<std::ptrdiff_t>(at), bytes.begin(), bytes.end());
    for (auto& s : m.sets)
        if (s.offset >= at) s.offset += bytes.size();
    info.offset = at;
    info.length = bytes.size();
    m.sets.insert(m.sets.begin() + static_cast<std::ptrdiff_t>(index), std::move(info));
    template_records.insert(template_records.begin() + static_cast<std::ptrdiff_t>(index), records);
    if (p == Protocol::ipfix) core::store_be16(m.bytes.data() + 2, static_cast<std::uint16_t>(m.bytes.size()));
}

/// Adds `delta` to a v9 header count that counts every record (RFC 3954 5.1); a dialect that
/// counts data records only, or writes 1, keeps its count.
void recount_v9(ScriptMessage& m, Protocol p, core::V9Count style, std::ptrdiff_t delta) {
    if (p != Protocol::v9 || style != core::V9Count::records) return;
    const std::ptrdiff_t c = core::load_be16(m.bytes.data() + 2);
    core::store_be16(m.bytes.data() + 2, static_cast<std::uint16_t>(std::clamp<std::ptrdiff_t>(c + delta, 0, 65535)));
}

}  // namespace

struct FaultStream::Impl {
    struct Held {
        ScriptMessage m;
        bool duplicate = false;
        std::int64_t remaining = 0;
    };
    struct PerExporter {
        Protocol protocol = Protocol::ipfix;
        std::uint64_t messages = 0;
        std::uint32_t sequence_shift = 0;  ///< added to every header sequence number from now on
        std::uint32_t uptime_shift = 0;    ///< ms added to sysUptime and the times relative to it
        core::SequenceHabit sequence = core::SequenceHabit::rfc;
        /// The previous message's sequence number as built: for the habits that count this
        /// message's own packet or records, the counter before this message.
        std::uint32_t last_sequence = 0;
        core::Decoder decoder;
        std::unique_ptr<detail::ReferenceModel> model;
        std::deque<Held> held;
        /// Flow templates as the exporter defines them (before any fault), by id.
        std::map<std::uint16_t, std::vector<core::FieldSpec>> templates;
        std::set<std::uint16_t> sent_templates;  ///< template ids an earlier message carried
    };
    const Scenario& scenario;
    std::int64_t start_us;
    Sinks sinks;
    std::vector<PerExporter> exporters;
    std::vector<std::uint64_t> hits;  ///< per fault: messages it selected
    std::uint64_t keep = 0, may_lose = 0, discard = 0, sent = 0, dropped = 0, copies = 0;
    std::int64_t last_ns = 0;
    std::vector<core::FlowRecord> kept;  ///< scratch: one message's kept records
    bool layouts = false;                ///< some fault rewrites layouts: every message is checked
    std::map<std::string, Variant> variants;  ///< by name suffix; "" is the exporter's own

    Impl(const Scenario& s, const std::vector<ExporterPlan>& plans, std::int64_t start, Sinks k)
        : scenario(s), start_us(start), sinks(std::move(k)), exporters(plans.size()), hits(s.faults.size(), 0) {
        for (std::size_t e = 0; e < plans.size(); ++e) {
            exporters[e].protocol = plans[e].exporter.protocol;
            exporters[e].sequence = plans[e].exporter.sequence;
            exporters[e].model = std::make_unique<detail::ReferenceModel>(plans[e].exporter.protocol, Transport::udp,
                                                                          s.file);
            for (const auto& o : plans[e].exporter.options)
                if (o.table != core::OptionsTable::none) exporters[e].model->track_names();
            exporters[e].model->track_sampling();
            exporters[e].model->track_system_init();
        }
        layouts = std::any_of(s.faults.begin(), s.faults.end(), [](const Fault& f) { return rewrites_layout(f.kind); });
        variants[""] = Variant{};
    }

    void send(std::size_t e, ScriptMessage& m, std::int64_t ns, bool copy) {
        PerExporter& x = exporters[e];
        for (const SetInfo& s : m.sets)
            for (const auto& name : s.templates)
                x.model->layout(name, std::stoul(name) + 0x10000u * variants.at(variant_of(name)).number);
        x.model->judge(m);
        kept.clear();
        for (const ExpectedRecord& r : m.records) {
            Expect ex = r.expect;
            // A correct decoder outputs a copy as it came; whether it tells copies apart by
            // sequence number is its own choice.
            if (copy && ex == Expect::keep) ex = Expect::may_lose;
            if (ex == Expect::keep) {
                kept.push_back(r.record);
                ++keep;
            } else if (ex == Expect::may_lose) {
                ++may_lose;
                if (sinks.may_lose) sinks.may_lose(r.record);
            } else {
                ++discard;
                if (sinks.discard) sinks.discard(r.record);
            }
        }
        ++sent;
        core::EncodedMessage out;
        out.bytes = m.bytes;
        out.export_ns = ns;
        out.records = kept;
        sinks.message(e, out);
    }

    void send_with_copy(std::size_t e, ScriptMessage& m, bool duplicate, std::int64_t ns) {
        if (layouts) ensure_layouts(e, m);  // before the copy: both carry what it adds
        ScriptMessage copy;
        if (duplicate) copy = m;
        send(e, m, ns, false);
        if (duplicate) {
            ++copies;
            send(e, copy, ns, true);
        }
    }

    /// After a message of e went out: held messages whose wait is over follow it.
    void release(std::size_t e, std::int64_t ns) {
        auto& held = exporters[e].held;
        for (auto& h : held) --h.remaining;
        while (!held.empty() && held.front().remaining <= 0) {
            Held h = std::move(held.front());
            held.pop_front();
            send_with_copy(e, h.m, h.duplicate, ns);
        }
    }

    void message(std::size_t e, const core::EncodedMessage& em) {
        PerExporter& x = exporters[e];
        const Protocol p = x.protocol;
        const std::uint64_t n = ++x.messages;
        last_ns = std::max(last_ns, em.export_ns);
        const std::int64_t offset_us = em.export_ns / 1000 - start_us;
        const Exporter& ex = scenario.exporters[e];

        ScriptMessage m;
        m.bytes.assign(em.bytes.begin(), em.bytes.end());
        m.exporter = ex.address;
        m.port = ex.port;
        m.domain = ex.domain;
        m.export_ms = em.export_ns / 1'000'000;
        m.label = "message " + std::to_string(n);
        RecordPlaces places;
        places.protocol = p;
        places.bytes = nullptr;
        std::vector<std::size_t> template_records;
        if (p != Protocol::v5) {
            std::vector<std::uint8_t> scratch = m.bytes;
            places.bytes = scratch.data();
            x.decoder.visit(scratch, m.exporter, m.port, n, places);
            m.sets = describe_sets(m.bytes, p, places, template_records);
        }
        m.records.reserve(em.records.size());
        for (std::size_t i = 0; i < em.records.size(); ++i) {
            ExpectedRecord er;
            er.record = em.records[i];
            // The reference model gives these times back once the session received 160.
            if (i < places.flow.size() && places.flow[i].start_from_init) {
                er.start_uptime = places.flow[i].start_uptime;
                er.record.present.clear(core::Field::first_ms);
                er.record.first_ms = 0;
            }
            if (i < places.flow.size() && places.flow[i].end_from_init) {
                er.end_uptime = places.flow[i].end_uptime;
                er.record.present.clear(core::Field::last_ms);
                er.record.last_ms = 0;
            }
            m.records.push_back(std::move(er));
        }

        bool drop = false, duplicate = false;
        std::int64_t hold = 0;
        const std::uint32_t seq = core::load_be32(m.bytes.data() + detail::sequence_offset(p));
        const auto selected = [&](const Fault& f) {
            return (!f.exporter || *f.exporter == e) && applies_to(f.kind, p) && f.selects(n, offset_us);
        };
        // sysUptime first, on the message as built: the offsets of the times relative to it are
        // known only before other faults move or cut its sets.
        for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
            const Fault& f = scenario.faults[i];
            if (!moves_uptime(f.kind) || !selected(f)) continue;
            ++hits[i];
            const std::uint32_t uptime = core::load_be32(m.bytes.data() + 4);
            if (f.kind == FaultKind::uptime_wrap) {
                x.uptime_shift = static_cast<std::uint32_t>(0x100000000ll - f.by) - uptime;
            } else {
                x.uptime_shift = static_cast<std::uint32_t>(f.by) - uptime;
                // The exporter's counter starts again where it starts at boot: at 0, so the
                // message carries what the first message of a run carries for this message
                // (0; 1 for packets_from_1; its own records for records_including).
                const std::uint32_t counted_before = x.sequence == core::SequenceHabit::rfc ? seq : x.last_sequence;
                x.sequence_shift = 0u - counted_before;
                m.faults.push_back("exporter restarted");
            }
        }
        x.last_sequence = seq;
        if (x.uptime_shift != 0) shift_uptime(m, p, places, x.uptime_shift);
        if (p != Protocol::v5)
            for (const SetInfo& set : m.sets)
                if (set.kind == SetInfo::Kind::templates)
                    for (auto& t : detail::template_records_of(m.bytes, set, p)) x.templates[t.id] = std::move(t.fields);
        if (layouts && p != Protocol::v5) {
            // Layout next, on the sets as built, before other faults move or cut them.
            Variant v;
            std::string extras;
            std::uint32_t domain = ex.domain;
            for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
                const Fault& f = scenario.faults[i];
                if (!rewrites_layout(f.kind) || !selected(f)) continue;
                ++hits[i];
                if (f.kind == FaultKind::template_redefine || f.kind == FaultKind::template_reuse) {
                    v.reversed = true;
                } else {
                    v.extras.push_back(extra_of(f));
                    extras += "x" + std::to_string(i);
                }
                if (f.kind == FaultKind::template_reuse)
                    domain = f.by >= 0 ? static_cast<std::uint32_t>(f.by) : ex.domain + 1;
            }
            const std::string name = (v.reversed ? "r" : "") + extras;
            if (variants.count(name) == 0) {
                v.number = variants.size();
                variants[name] = v;
            }
            relayout(m, x, p, ex, name, domain);
        }
        for (std::size_t i = 0; i < scenario.faults.size(); ++i) {
            const Fault& f = scenario.faults[i];
            if (moves_uptime(f.kind) || rewrites_layout(f.kind) || !selected(f)) continue;
            ++hits[i];
            switch (f.kind) {
                case FaultKind::drop: drop = true; break;
                case FaultKind::duplicate: duplicate = true; break;
                case FaultKind::reorder: hold = std::max(hold, f.by); break;
                case FaultKind::sequence_gap: x.sequence_shift += static_cast<std::uint32_t>(f.by); break;
                case FaultKind::sequence_reset: x.sequence_shift = 0u - seq; break;
                case FaultKind::sequence_wrap: x.sequence_shift = 0xFFFFFFFFu - seq; break;
                case FaultKind::uptime_wrap:
                case FaultKind::restart: break;  // above
                case FaultKind::export_time_back: move_export_time(m, p, places, f.by / 1000); break;
                case FaultKind::missing_template: {
                    std::vector<std::size_t> order;
                    std::size_t removed = 0;
                    for (std::size_t s = 0; s < m.sets.size(); ++s) {
                        if (is_template_set(m.sets[s])) removed += template_records[s];
                        else order.push_back(s);
                    }
                    std::vector<std::size_t> counts;
                    for (std::size_t s : order) counts.push_back(template_records[s]);
                    rebuild(m, p, order);
                    template_records = std::move(counts);
                    if (p == Protocol::v9 && ex.v9_count == core::V9Count::records) {
                        // The RFC count covers template records too; a count of data records
                        // only, or always 1, stays as the exporter writes it.
                        const auto c = core::load_be16(m.bytes.data() + 2);
                        core::store_be16(m.bytes.data() + 2, static_cast<std::uint16_t>(c - std::min<std::size_t>(c, removed)));
                    }
                    m.faults.push_back("templates left out");
                    break;
                }
                case FaultKind::data_before_template: {
                    std::vector<std::size_t> order, templates;
                    for (std::size_t s = 0; s < m.sets.size(); ++s) (is_template_set(m.sets[s]) ? templates : order).push_back(s);
                    std::vector<std::size_t> counts;
                    order.insert(order.end(), templates.begin(), templates.end());
                    for (std::size_t s : order) counts.push_back(template_records[s]);
                    rebuild(m, p, order);
                    template_records = std::move(counts);
                    m.faults.push_back("templates after the data");
                    break;
                }
                case FaultKind::template_redefine:
                case FaultKind::template_reuse:
                case FaultKind::unknown_element:
                case FaultKind::enterprise_element:
                case FaultKind::varlen_3byte: break;  // above
                case FaultKind::template_withdraw: withdraw(m, x, template_records); break;
                case FaultKind::template_refresh_never: refresh_never(m, x, p, ex, template_records); break;
                case FaultKind::zero_length_set:
                case FaultKind::short_set:
                case FaultKind::set_length_past: {
                    SetInfo* set = first_data_set(m, x);
                    if (!set) break;
                    std::size_t v = f.kind == FaultKind::zero_length_set ? 0 : static_cast<std::size_t>(f.by);
                    if (f.kind == FaultKind::set_length_past) v = std::min<std::size_t>(m.bytes.size() - set->offset + v, 65535);
                    detail::set_set_length(m, p, *set, static_cast<std::uint16_t>(v));
                    break;
                }
                case FaultKind::padding: {
                    SetInfo* set = first_data_set(m, x);
                    if (!set) break;
                    const std::size_t smallest = core::Template{set->id, x.templates.at(set->id), 0, {}}.min_record_length();
                    if (static_cast<std::size_t>(f.by) >= smallest)
                        f.fail("padding of " + std::to_string(f.by) + " bytes is not shorter than the smallest record (" +
                               std::to_string(smallest) + " bytes) of template " + std::to_string(set->id) + " in message " +
                               std::to_string(n) + " of exporter " + ex.name +
                               ": RFC 7011 3.3.1 forbids it, and a collector would read it as a record");
                    detail::pad_set(m, p, static_cast<std::size_t>(set - m.sets.data()), static_cast<std::size_t>(f.by));
                    break;
                }
                case FaultKind::field_count_large: {
                    const auto set = std::find_if(m.sets.begin(), m.sets.end(),
                                                  [](const SetInfo& t) { return t.kind == SetInfo::Kind::templates; });
                    if (set == m.sets.end()) break;
                    // More field specifiers (4 bytes at least) than the rest of the set holds.
                    const std::size_t room = (set->length - 8) / 4;
                    detail::set_field_count(m, p, *set, static_cast<std::uint16_t>(std::min<std::size_t>(room + f.by, 65535)));
                    break;
                }
                case FaultKind::options_scope_zero:
                    for (SetInfo& set : m.sets)
                        if (set.kind == SetInfo::Kind::options_templates && !set.template_ids.empty())
                            detail::set_scope_zero(m, p, set);
                    break;
                case FaultKind::truncate:
                    detail::truncate_message(m, p, std::min<std::size_t>(static_cast<std::size_t>(f.by), m.bytes.size() - 1));
                    break;
                case FaultKind::message_length: {
                    const auto v = std::clamp<std::int64_t>(static_cast<std::int64_t>(m.bytes.size()) + f.by, 0, 65535);
                    detail::set_message_length(m, static_cast<std::uint16_t>(v));
                    break;
                }
            }
        }
        for (const SetInfo& set : m.sets)
            if (is_template_set(set)) x.sent_templates.insert(set.template_ids.begin(), set.template_ids.end());
        if (x.sequence_shift != 0 && m.bytes.size() >= detail::sequence_offset(p) + 4)
            detail::set_sequence(m, p, seq + x.sequence_shift);

        if (drop) {
            ++dropped;
            for (const ExpectedRecord& r : m.records) {
                ++discard;
                if (sinks.discard) sinks.discard(r.record);
            }
        } else if (hold > 0) {
            x.held.push_back({std::move(m), duplicate, hold});
            return;  // not sent: does not count towards the wait of earlier held messages
        } else {
            send_with_copy(e, m, duplicate, em.export_ns);
        }
        if (!drop) release(e, em.export_ns);
    }

    /// Writes the message's flow templates and their data in the layout `variant` names, from
    /// observation domain `domain`; names each layout for the reference model.
    void relayout(ScriptMessage& m, PerExporter& x, Protocol p, const Exporter& ex, const std::string& variant,
                  std::uint32_t domain) const {
        if (domain != ex.domain) {
            core::store_be32(m.bytes.data() + (p == Protocol::ipfix ? 12 : 16), domain);
            m.domain = domain;
            for (auto& r : m.records) r.record.domain = domain;
            m.faults.push_back("sent by observation domain " + std::to_string(domain));
        }
        if (variant.empty()) return;
        const Variant& v = variants.at(variant);
        if (v.reversed) m.faults.push_back("templates and data with the fields in reverse order");
        for (const auto& e : v.extras) m.faults.push_back("element " + std::to_string(e.spec.id) + " added");
        const std::size_t header = p == Protocol::ipfix ? 16 : 20;
        std::vector<std::uint8_t> b(m.bytes.begin(), m.bytes.begin() + static_cast<std::ptrdiff_t>(header));
        std::vector<SetInfo> sets;
        for (const SetInfo& old : m.sets) {
            SetInfo set = old;
            const auto from = m.bytes.begin() + static_cast<std::ptrdiff_t>(old.offset);
            const std::size_t end = old.offset + old.length;
            std::vector<std::uint8_t> body;
            const auto t = x.templates.find(old.id);
            if (old.kind == SetInfo::Kind::templates) {
                set.templates.clear();
                set.template_ids.clear();
                for (const auto& r : detail::template_records_of(m.bytes, old, p)) {
                    put_template(body, r.id, v.fields(r.fields));
                    set.template_ids.push_back(r.id);
                    set.templates.push_back(layout_name(r.id, variant));
                }
            } else if (old.kind == SetInfo::Kind::data && t != x.templates.end()) {
                std::size_t at = old.offset + 4;
                for (std::size_t k = 0; k < old.records.size(); ++k) {
                    const std::size_t n = rewrite_record(m.bytes, at, end, t->second, v, body);
                    if (n == 0) break;
                    at += n;
                }
                // What followed the records (padding) stays, as long as it was; v9 pads anew below.
                if (p != Protocol::v9 || !ex.pad_sets)
                    body.insert(body.end(), m.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                m.bytes.begin() + static_cast<std::ptrdiff_t>(end));
                set.templates.assign(1, layout_name(old.id, variant));
            } else {
                set.offset = b.size();
                b.insert(b.end(), from, from + static_cast<std::ptrdiff_t>(old.length));
                sets.push_back(std::move(set));
                continue;
            }
            // v9 flowsets end on a 32-bit boundary (RFC 3954 5.3) where the exporter pads them.
            if (p == Protocol::v9 && ex.pad_sets)
                while ((body.size() + 4) % 4 != 0) body.push_back(0);
            set.offset = b.size();
            set.length = body.size() + 4;
            b.insert(b.end(), from, from + 2);
            put16(b, set.length);
            b.insert(b.end(), body.begin(), body.end());
            sets.push_back(std::move(set));
        }
        m.bytes = std::move(b);
        m.sets = std::move(sets);
        if (p == Protocol::ipfix) core::store_be16(m.bytes.data() + 2, static_cast<std::uint16_t>(m.bytes.size()));
    }

    /// Just before a message goes out (after reordering): where a data set's layout is not the
    /// one the reference model's session holds at that point (a change of layout, a domain that
    /// never defined it), a template set defining it goes in front, as an exporter that changes
    /// a template sends it before the data. A message a collector discards whole needs none.
    void ensure_layouts(std::size_t e, ScriptMessage& m) {
        PerExporter& x = exporters[e];
        const Protocol p = x.protocol;
        const Exporter& ex = scenario.exporters[e];
        if (p == Protocol::v5 || m.malformed) return;
        std::map<std::uint16_t, std::string> here;  // defined earlier in this message
        std::vector<std::pair<std::uint16_t, std::string>> needed;
        for (const SetInfo& set : m.sets) {
            if (set.broken) break;
            if (set.kind == SetInfo::Kind::templates)
                for (std::size_t k = 0; k < set.template_ids.size(); ++k) here[set.template_ids[k]] = set.templates[k];
            if (set.kind != SetInfo::Kind::data || set.templates.empty() || x.templates.count(set.id) == 0) continue;
            const std::string& name = set.templates.front();
            const auto local = here.find(set.id);
            const std::string* held =
                local != here.end() ? &local->second : x.model->defined(m.exporter, m.port, m.domain, set.id);
            if (held ? *held == name : m.domain == ex.domain) continue;
            here[set.id] = name;
            needed.emplace_back(set.id, name);
        }
        if (needed.empty()) return;
        std::vector<std::uint8_t> b{0, 0, 0, 0};
        core::store_be16(b.data(), p == Protocol::ipfix ? 2 : 0);
        SetInfo info;
        info.kind = SetInfo::Kind::templates;
        info.id = p == Protocol::ipfix ? 2 : 0;
        for (const auto& [id, name] : needed) {
            const auto& fields = x.templates.at(id);
            put_template(b, id, variants.at(variant_of(name)).fields(fields));
            info.template_ids.push_back(id);
            info.templates.push_back(name);
        }
        core::store_be16(b.data() + 2, static_cast<std::uint16_t>(b.size()));
        std::vector<std::size_t> counts(m.sets.size(), 0);
        insert_set(m, p, 0, p == Protocol::ipfix ? 16 : 20, std::move(b), std::move(info), counts, needed.size());
        recount_v9(m, p, ex.v9_count, static_cast<std::ptrdiff_t>(needed.size()));
        m.faults.push_back("template set added for the layout");
    }

    /// The first data set of a flow template the exporter defined (set faults leave options
    /// data alone: their layout is not tracked), or null.
    static SetInfo* first_data_set(ScriptMessage& m, const PerExporter& x) {
        for (SetInfo& s : m.sets)
            if (s.kind == SetInfo::Kind::data && x.templates.count(s.id) != 0) return &s;
        return nullptr;
    }

    /// IPFIX: a withdrawal (RFC 7011 8.1: the template id with field count 0) of every flow
    /// template the exporter has defined, after the message's data. Over UDP a collector must
    /// ignore it (RFC 7011 8.4), so the records that follow keep their template.
    static void withdraw(ScriptMessage& m, PerExporter& x, std::vector<std::size_t>& template_records) {
        if (x.templates.empty()) return;
        std::vector<std::uint8_t> b{0, 2, 0, 0};
        SetInfo info;
        info.kind = SetInfo::Kind::withdrawal;
        info.id = 2;
        for (const auto& [id, fields] : x.templates) {
            put_template(b, id, {});
            info.template_ids.push_back(id);
            info.templates.push_back(std::to_string(id));
        }
        core::store_be16(b.data() + 2, static_cast<std::uint16_t>(b.size()));
        insert_set(m, Protocol::ipfix, m.sets.size(), m.bytes.size(), std::move(b), std::move(info), template_records, 0);
        m.faults.push_back("templates withdrawn");
    }

    /// Leaves out the template and options template records whose id an earlier message of the
    /// exporter already carried (a set left without records goes with them).
    static void refresh_never(ScriptMessage& m, PerExporter& x, Protocol p, const Exporter& ex,
                              std::vector<std::size_t>& template_records) {
        std::vector<std::uint8_t> b(m.bytes.begin(), m.bytes.begin() + (p == Protocol::ipfix ? 16 : 20));
        std::vector<SetInfo> sets;
        std::vector<std::size_t> counts;
        std::size_t removed = 0;
        for (std::size_t si = 0; si < m.sets.size(); ++si) {
            SetInfo set = m.sets[si];
            const auto from = m.bytes.begin() + static_cast<std::ptrdiff_t>(set.offset);
            if (!is_template_set(set)) {
                set.offset = b.size();
                b.insert(b.end(), from, from + static_cast<std::ptrdiff_t>(set.length));
                sets.push_back(std::move(set));
                counts.push_back(template_records[si]);
                continue;
            }
            std::vector<std::uint8_t> body;
            SetInfo kept = set;
            kept.templates.clear();
            kept.template_ids.clear();
            const auto records = detail::template_records_of(m.bytes, set, p);
            for (std::size_t k = 0; k < records.size(); ++k) {
                const auto& t = records[k];
                if (x.sent_templates.count(t.id) != 0) {
                    ++removed;
                    continue;
                }
                const auto at = m.bytes.begin() + static_cast<std::ptrdiff_t>(t.offset);
                body.insert(body.end(), at, at + static_cast<std::ptrdiff_t>(t.length));
                kept.template_ids.push_back(t.id);
                kept.templates.push_back(k < set.templates.size() ? set.templates[k] : std::to_string(t.id));
            }
            if (kept.template_ids.empty()) continue;
            // v9 flowsets end on a 32-bit boundary (RFC 3954 5.3); the padding is zeros.
            while (p == Protocol::v9 && (body.size() + 4) % 4 != 0) body.push_back(0);
            kept.offset = b.size();
            kept.length = body.size() + 4;
            b.insert(b.end(), from, from + 2);
            put16(b, kept.length);
            b.insert(b.end(), body.begin(), body.end());
            counts.push_back(kept.template_ids.size());
            sets.push_back(std::move(kept));
        }
        if (removed == 0) return;
        m.bytes = std::move(b);
        m.sets = std::move(sets);
        template_records = std::move(counts);
        if (p == Protocol::ipfix) core::store_be16(m.bytes.data() + 2, static_cast<std::uint16_t>(m.bytes.size()));
        recount_v9(m, p, ex.v9_count, -static_cast<std::ptrdiff_t>(removed));
        m.faults.push_back(std::to_string(removed) + " template records not refreshed");
    }

    /// Export time `back_ms` earlier in the header; a v5/v9 decoder derives flow times from it
    /// and sysUptime, so those records' truth moves with it.
    static void move_export_time(ScriptMessage& m, Protocol p, const RecordPlaces& places, std::int64_t back_ms) {
        const std::size_t at = p == Protocol::ipfix ? 4 : 8;
        const auto secs = core::load_be32(m.bytes.data() + at);
        const auto back_s = static_cast<std::uint32_t>(back_ms / 1000);
        core::store_be32(m.bytes.data() + at, secs - back_s);
        for (std::size_t i = 0; i < m.records.size(); ++i) {
            core::FlowRecord& r = m.records[i].record;
            r.export_ms -= back_ms;
            const bool relative = p == Protocol::v5 || (i < places.flow.size() && places.flow[i].uptime);
            if (!relative) continue;
            r.first_ms -= back_ms;
            r.last_ms -= back_ms;
        }
        m.faults.push_back("export time " + std::to_string(back_ms / 1000) + " s back");
    }

    /// Adds `shift` ms (mod 2^32) to sysUptime and to every time relative to it: the times a
    /// decoder derives (modulo 2^32, nearest the export time) stay those of the truth.
    static void shift_uptime(ScriptMessage& m, Protocol p, const RecordPlaces& places, std::uint32_t shift) {
        const auto add = [&](std::size_t at) {
            if (at + 4 <= m.bytes.size()) core::store_be32(m.bytes.data() + at, core::load_be32(m.bytes.data() + at) + shift);
        };
        add(4);
        if (p == Protocol::v5) {
            const std::size_t count = core::load_be16(m.bytes.data() + 2);
            for (std::size_t i = 0; i < count; ++i) {
                add(24 + 48 * i + 24);  // First
                add(24 + 48 * i + 28);  // Last
            }
            return;
        }
        for (const auto& place : places.flow) {
            if (place.first_switched != 0) add(place.first_switched);
            if (place.last_switched != 0) add(place.last_switched);
        }
    }

    void finish() {
        for (std::size_t e = 0; e < exporters.size(); ++e)
            while (!exporters[e].held.empty()) {
                Held h = std::move(exporters[e].held.front());
                exporters[e].held.pop_front();
                send_with_copy(e, h.m, h.duplicate, last_ns);
            }
    }
};

FaultStream::FaultStream(const Scenario& s, const std::vector<ExporterPlan>& plans, std::int64_t start_us, Sinks sinks)
    : impl_(std::make_unique<Impl>(s, plans, start_us, std::move(sinks))) {}
FaultStream::~FaultStream() = default;

void FaultStream::message(std::size_t exporter, const core::EncodedMessage& m) { impl_->message(exporter, m); }
void FaultStream::finish() { impl_->finish(); }

Json FaultStream::report() const {
    const Impl& x = *impl_;
    Json faults = Json::array();
    for (std::size_t i = 0; i < x.scenario.faults.size(); ++i) {
        const Fault& f = x.scenario.faults[i];
        faults.push_back({{"fault", f.spec},
                          {"from", f.from_option ? f.origin : f.origin + " " + f.pointer},
                          {"messages_hit", x.hits[i]}});
    }
    return {{"applied", faults},
            {"messages_sent", x.sent},
            {"messages_dropped", x.dropped},
            {"copies_sent", x.copies},
            {"records", {{"keep", x.keep}, {"may_lose", x.may_lose}, {"discard", x.discard}}},
            {"truth", {{"keep", "truth/records.csv"}, {"may_lose", "truth/may-lose.csv"}, {"discard", "truth/discard.csv"}}}};
}

}  // namespace flowlab::gen

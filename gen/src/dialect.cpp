/// @brief Exporter dialects and an exporter's own templates: parsing, checking, lookup.
#include "flowlab/gen/dialect.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <utility>
#include <sstream>

#include "dialect_internal.hpp"
#include "flowlab/core/data_dirs.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/excerpt.hpp"
#include "flowlab/core/ie_catalog.hpp"
#include "flowlab/gen/export_script.hpp"
#include "scenario_json.hpp"

namespace flowlab::gen {

namespace fs = std::filesystem;
using core::FieldSpec;
using core::IeRole;
using core::Template;

namespace {

core::Protocol core_protocol(ExportProtocol p) {
    return p == ExportProtocol::v5 ? core::Protocol::v5 : p == ExportProtocol::v9 ? core::Protocol::v9 : core::Protocol::ipfix;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError(path + ": cannot open for reading");
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().size() > (1u << 20)) throw ConfigError(path, "", "a dialect file is limited to 1 MiB");
    return ss.str();
}

constexpr const char* kTemplateKeys[] = {"v4", "v6", "icmp_v4", "icmp_v6"};

Template& template_slot(Exporter& e, std::size_t k) {
    switch (k) {
        case 0: return e.template_v4;
        case 1: return e.template_v6;
        case 2: return e.template_v4_icmp;
        default: return e.template_v6_icmp;
    }
}

/// The element a "values" key names: a catalog name, "ID" or "PEN:ID".
FieldSpec value_key(const std::string& key, core::Protocol p, const detail::Node& at) {
    const bool by_number = !key.empty() && key.find_first_not_of("0123456789:") == std::string::npos;
    return parse_field_spec(by_number ? key + ":1" : key, p, false, at.file(), at.pointer());
}

/// A constant value in the field's wire form: integers big-endian in the field's length,
/// addresses in network order, strings NUL-padded to a fixed length (as exporters send names)
/// or as they are in a variable-length field.
core::ExtraField encode_value(const FieldSpec& f, const detail::Node& v) {
    core::ExtraField out;
    out.id = f.id;
    out.enterprise = f.enterprise;
    const core::IeInfo* info = core::find_ie(f.enterprise, f.id);
    if (v.is_number()) {
        if (f.length == core::kVariableLength) v.fail("a variable-length field needs a string value");
        const std::uint64_t max = f.length >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * f.length)) - 1;
        const std::uint64_t n = v.integer(0, max);
        out.value.resize(f.length);
        for (std::size_t i = 0; i < f.length; ++i) out.value[f.length - 1 - i] = static_cast<std::uint8_t>(i < 8 ? n >> (8 * i) : 0);
        return out;
    }
    if (!v.is_string()) v.fail("expected a number or a string");
    const std::string text = v.string(true);
    if (info && (info->type == core::IeType::ipv4_address || info->type == core::IeType::ipv6_address)) {
        const auto a = core::IpAddress::parse(text);
        if (!a || a->is_v4() != (info->type == core::IeType::ipv4_address)) v.fail("expected an address of the element's family");
        const auto& b = a->bytes();
        out.value.assign(b.begin(), b.begin() + (a->is_v4() ? 4 : 16));
        if (f.length != out.value.size()) v.fail("the field is " + std::to_string(f.length) + " bytes, the address " + std::to_string(out.value.size()));
        return out;
    }
    out.value.assign(text.begin(), text.end());
    if (f.length != core::kVariableLength) {
        if (out.value.size() > f.length)
            v.fail("\"" + text + "\" is longer than the field's " + std::to_string(f.length) + " bytes");
        out.value.resize(f.length, 0);
    }
    return out;
}

bool is_rule(const detail::Node& v) { return v.is_object(); }

/// A value of field `f` as bytes (encode_value), NUL-terminated when asked (AppFlow's strings).
std::vector<std::uint8_t> rule_value(const FieldSpec& f, const detail::Node& v, bool nul) {
    std::vector<std::uint8_t> out = encode_value(f, v).value;
    if (nul) out.push_back(0);
    return out;
}

/// A "values" entry drawn per conversation (docs/scenario-format.md, "Per-record values"):
/// {"choose": [v, ...] or [[v, weight], ...]} or {"range": [lo, hi]} or {"value": v}, with an
/// optional "when" ({"protocol", "ports"}), "otherwise" and "nul_terminated".
ValueRule parse_value_rule(const FieldSpec& f, const detail::Node& v) {
    v.expect_object({"choose", "range", "value", "when", "otherwise", "nul_terminated"});
    const int kinds = int(v.has("choose")) + int(v.has("range")) + int(v.has("value"));
    if (kinds != 1) v.fail("give exactly one of \"choose\", \"range\" and \"value\"");
    ValueRule r;
    r.enterprise = f.enterprise;
    r.id = f.id;
    const bool variable = f.length == core::kVariableLength;
    bool nul = false;
    if (auto n = v.get("nul_terminated")) {
        nul = n->boolean();
        if (nul && !variable) n->fail("only variable-length fields are NUL-terminated (fixed ones are NUL-padded)");
    }
    if (auto c = v.get("choose")) {
        const auto list = c->elements(1);
        if (list.size() > 65536) c->fail("at most 65536 values to choose from");
        const bool weighted = list.front().is_array();
        std::uint64_t total = 0;
        for (const auto& x : list) {
            if (x.is_array() != weighted)
                x.fail(weighted ? "expected [value, weight] like the first entry" : "expected a value like the first entry");
            if (!weighted) {
                r.choices.push_back(rule_value(f, x, nul));
                continue;
            }
            const auto pair = x.elements();
            if (pair.size() != 2) x.fail("expected [value, weight]");
            r.choices.push_back(rule_value(f, pair[0], nul));
            total += pair[1].integer(1, 1'000'000'000);
            r.cumulative.push_back(total);
        }
    } else if (auto rg = v.get("range")) {
        if (variable || f.length > 8) rg->fail("a range needs an integer field of 1 to 8 bytes");
        const core::IeInfo* info = core::find_ie(f.enterprise, f.id);
        if (info && (info->type == core::IeType::string || info->type == core::IeType::ipv4_address ||
                     info->type == core::IeType::ipv6_address || info->type == core::IeType::mac_address))
            rg->fail("a range needs an integer element; this one is " + std::string(core::ie_type_name(info->type)));
        const auto ends = rg->elements();
        if (ends.size() != 2) rg->fail("expected [lowest, highest]");
        const std::uint64_t max = f.length >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * f.length)) - 1;
        r.lo = ends[0].integer(0, max);
        r.hi = ends[1].integer(r.lo, max);
        r.length = f.length;
    } else {
        r.choices.push_back(rule_value(f, v.at("value"), nul));
    }
    if (auto w = v.get("when")) {
        w->expect_object({"protocol", "ports"});
        if (!w->has("protocol") && !w->has("ports")) w->fail("give \"protocol\" and/or \"ports\"");
        if (auto pr = w->get("protocol")) {
            if (pr->is_string()) {
                const std::string name = pr->string();
                if (name == "tcp") r.protocol = 6;
                else if (name == "udp") r.protocol = 17;
                else if (name == "icmp") r.protocol = 1;
                else if (name == "icmpv6") r.protocol = 58;
                else pr->fail("expected a protocol number or tcp, udp, icmp, icmpv6, got " + core::quote(name));
            } else {
                r.protocol = static_cast<std::uint8_t>(pr->integer(0, 255));
            }
        }
        if (auto ps = w->get("ports")) {
            if (ps->is_array()) {
                for (const auto& x : ps->elements(1)) r.ports.push_back(static_cast<std::uint16_t>(x.integer(0, 65535)));
            } else {
                r.ports.push_back(static_cast<std::uint16_t>(ps->integer(0, 65535)));
            }
        }
        if (auto o = v.get("otherwise")) r.otherwise = rule_value(f, *o, nul);
        else if (variable) r.otherwise = nul ? std::vector<std::uint8_t>{0} : std::vector<std::uint8_t>{};
        else r.otherwise.assign(f.length, 0);
    } else if (v.has("otherwise")) {
        v.fail_at("otherwise", "\"otherwise\" is the value of conversations that \"when\" does not match; give \"when\"");
    }
    return r;
}

/// Applies a "values" object to the templates given (those carrying a named element get it).
/// Objects are per-record rules (into `rules`; null: not allowed here); a constant or a rule
/// replaces what an earlier layer gave the same element. A key no template carries is an error.
void apply_values(const detail::Node& values, core::Protocol p, std::vector<Template*> templates,
                  std::vector<ValueRule>* rules = nullptr, std::size_t data_templates = 0) {
    if (!values.is_object()) values.fail("expected an object of element: value, e.g. {\"forwardingStatus\": 64}");
    for (const auto& [key, v] : values.members()) {
        const FieldSpec f = value_key(key, p, v);
        const auto same = [&](const auto& x) { return x.id == f.id && x.enterprise == f.enterprise; };
        if (is_rule(v)) {
            if (!rules) v.fail("values drawn per conversation go in the exporter's (or dialect's) \"values\", not a template's");
            const FieldSpec* field = nullptr;
            for (std::size_t k = 0; k < data_templates; ++k)
                for (const FieldSpec& x : templates[k]->fields) {
                    if (!same(x)) continue;
                    if (field && field->length != x.length)
                        v.fail("element \"" + key + "\" has different lengths in the templates (" + std::to_string(field->length) +
                               " and " + std::to_string(x.length) + "); one rule cannot fit both");
                    field = &x;
                }
            if (!field) v.fail("no data template here carries element \"" + key + "\" (options records have no conversation)");
            ValueRule r = parse_value_rule(*field, v);
            for (std::size_t k = 0; k < data_templates; ++k) std::erase_if(templates[k]->values, same);
            std::erase_if(*rules, same);
            rules->push_back(std::move(r));
            continue;
        }
        bool used = false;
        for (Template* t : templates) {
            for (const FieldSpec& field : t->fields) {
                if (field.id != f.id || field.enterprise != f.enterprise) continue;
                core::ExtraField x = encode_value(field, v);
                std::erase_if(t->values, [&](const core::ExtraField& old) { return old.id == x.id && old.enterprise == x.enterprise; });
                t->values.push_back(std::move(x));
                used = true;
                break;
            }
        }
        if (!used) v.fail("no template here carries element \"" + key + "\"");
        if (rules) std::erase_if(*rules, same);
    }
}

Template parse_template(const detail::Node& n, core::Protocol p, bool options, detail::TemplateOrigin& origin) {
    if (options) n.expect_object({"id", "scope", "fields", "values", "when", "names"}, {"id", "scope", "fields"});
    else n.expect_object({"id", "fields", "values"}, {"id", "fields"});
    Template t;
    t.id = static_cast<std::uint16_t>(n.at("id").integer(256, 65535));
    origin.file = n.file();
    origin.pointer = n.pointer();
    origin.field_pointers.clear();
    const auto fields = n.at("fields").elements(1);
    if (options) {
        const auto scope = n.at("scope");
        t.scope_count = static_cast<std::uint16_t>(scope.integer(1, fields.size()));
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto& fn = fields[i];
        if (!fn.is_string()) fn.fail("expected an element such as \"octetDeltaCount\", \"octetDeltaCount:4\" or \"5951:130:var\"");
        FieldSpec f = parse_field_spec(fn.string(), p, options && i < t.scope_count, fn.file(), fn.pointer());
        if (f.length == 0 && !(options && i < t.scope_count)) fn.fail("a field of length 0 carries nothing");
        if (f.length == core::kVariableLength && p != core::Protocol::ipfix) fn.fail("variable-length fields exist only in IPFIX");
        if (f.length == core::kVariableLength && options) fn.fail("variable-length fields are not supported in options templates");
        if (f.enterprise == 0 && !(options && i < t.scope_count && p == core::Protocol::v9)) {
            if (const core::IeInfo* info = core::find_ie(f.id); info && f.length != core::kVariableLength &&
                                                              !core::ie_length_allowed(*info, f.length))
                fn.fail(std::string(info->name) + " (" + std::to_string(f.id) + ") cannot be sent in " + std::to_string(f.length) +
                        " bytes (RFC 7011 6.2 allows reduced size for integers only)");
        }
        t.fields.push_back(f);
        origin.field_pointers.push_back(fn.pointer());
    }
    if (auto v = n.get("values")) apply_values(*v, p, {&t});
    return t;
}

bool is_start_time(std::uint16_t id) { return id == 22 || id == 150 || id == 152 || id == 154 || id == 156; }
bool is_end_time(std::uint16_t id) { return id == 21 || id == 151 || id == 153 || id == 155 || id == 157; }

/// Rewrites a template's flow start/end elements to time style `ts`, in place.
void apply_time_style(Template& t, detail::TemplateOrigin& o, TimeStyle ts, ExportProtocol p, bool options_have_160,
                      const std::string& pointer) {
    std::uint16_t start = 22, end = 21, len = 4;
    switch (ts) {
        case TimeStyle::uptime: break;
        case TimeStyle::seconds: start = 150, end = 151; break;
        case TimeStyle::milliseconds: start = 152, end = 153, len = 8; break;
        case TimeStyle::microseconds: start = 154, end = 155, len = 8; break;
        case TimeStyle::nanoseconds: start = 156, end = 157, len = 8; break;
    }
    std::size_t first = t.fields.size();
    bool any = false;
    for (std::size_t i = 0; i < t.fields.size(); ++i) {
        FieldSpec& f = t.fields[i];
        if (f.enterprise) continue;
        if (is_start_time(f.id) || is_end_time(f.id)) {
            f = {is_start_time(f.id) ? start : end, len, 0};
            o.field_pointers[i] = pointer;
            first = std::min(first, i);
            any = true;
        }
    }
    if (!any) return;
    for (std::size_t i = t.fields.size(); i-- > 0;)
        if (t.fields[i].enterprise == 0 && t.fields[i].id == core::ie::systemInitTimeMilliseconds && ts != TimeStyle::uptime) {
            t.fields.erase(t.fields.begin() + static_cast<std::ptrdiff_t>(i));
            o.field_pointers.erase(o.field_pointers.begin() + static_cast<std::ptrdiff_t>(i));
            if (i < first) --first;
        }
    if (ts == TimeStyle::uptime && p == ExportProtocol::ipfix && !options_have_160 &&
        !t.contains(core::ie::systemInitTimeMilliseconds)) {
        t.fields.insert(t.fields.begin() + static_cast<std::ptrdiff_t>(first), FieldSpec{core::ie::systemInitTimeMilliseconds, 8, 0});
        o.field_pointers.insert(o.field_pointers.begin() + static_cast<std::ptrdiff_t>(first), pointer);
    }
}

bool options_carry(const Exporter& e, std::uint16_t id) {
    if (!e.options) return false;
    for (const auto& o : *e.options)
        if (o.tmpl.contains(id)) return true;
    return false;
}

/// Why gen cannot fill data field `f` (empty when it can): the flow model carries the value,
/// or the template holds a constant for it.
std::string data_field_problem(const FieldSpec& f, const Template& t, const std::vector<ValueRule>& rules) {
    const core::IeInfo* info = core::find_ie(f.enterprise, f.id);
    const std::string name = info ? std::string(info->qualified) + " (" + (f.enterprise ? std::to_string(f.enterprise) + ":" : "") +
                                        std::to_string(f.id) + ")"
                                  : "element " + (f.enterprise ? std::to_string(f.enterprise) + ":" : std::string()) + std::to_string(f.id);
    const bool ruled = std::any_of(rules.begin(), rules.end(), [&](const ValueRule& r) { return r.id == f.id && r.enterprise == f.enterprise; });
    if (ruled) {
        if (info && info->role != IeRole::none && info->role != IeRole::padding && f.enterprise == 0)
            return name + " is filled from the flow model; values drawn for it would be ignored";
        return {};
    }
    if (const core::ExtraField* c = core::find_value(t.values, f.id, f.enterprise)) {
        if (f.length != core::kVariableLength && c->value.size() != f.length) return name + ": the value has the wrong length";
        if (info && info->role != IeRole::none && info->role != IeRole::padding && f.enterprise == 0)
            return name + " is filled from the flow model; a constant value for it would be ignored";
        return {};
    }
    const std::string no_value = name + ": gen has no value for it (the flow model does not carry it); give a constant or a rule in \"values\"";
    if (!info) return no_value;
    if (f.length == core::kVariableLength) return name + ": variable length needs a constant or a rule in \"values\"";
    using core::Field;
    switch (info->role) {
        case IeRole::field:
            switch (info->field) {
                case Field::src: case Field::dst: case Field::sport: case Field::dport: case Field::proto: case Field::tos:
                case Field::tcp_flags: case Field::packets: case Field::bytes: case Field::first_ms: case Field::last_ms:
                case Field::in_if: case Field::out_if: case Field::src_as: case Field::dst_as: case Field::src_mask:
                case Field::dst_mask: case Field::next_hop: case Field::icmp_type: case Field::icmp_code: case Field::end_reason:
                case Field::vrf_in_id: case Field::vrf_out_id:
                    return {};
                default: return no_value;
            }
        case IeRole::start_uptime: case IeRole::end_uptime: case IeRole::start_seconds: case IeRole::end_seconds:
        case IeRole::start_micro: case IeRole::end_micro: case IeRole::start_nano: case IeRole::end_nano:
        case IeRole::system_init_ms: case IeRole::icmp_type_code: case IeRole::sampling: case IeRole::sampling_space:
        case IeRole::sampler_id: case IeRole::padding:
            return {};
        default: return no_value;
    }
}

}  // namespace

namespace detail {

void parse_wire_keys(const Node& n, Exporter& e, WireState& state) {
    if (auto v = n.get("protocol")) {
        const std::string p = v->string();
        ExportProtocol proto;
        if (p == "v5") proto = ExportProtocol::v5;
        else if (p == "v9") proto = ExportProtocol::v9;
        else if (p == "ipfix") proto = ExportProtocol::ipfix;
        else v->fail("expected \"v5\", \"v9\" or \"ipfix\", got " + core::quote(p));
        if (state.protocol_set && proto != e.protocol && e.custom_templates && !n.has("templates"))
            v->fail("the templates of " + state.protocol_origin + " are for another protocol; give \"templates\" for this one too");
        e.protocol = proto;
        e.time_style = Exporter::default_time_style(proto);
        state.protocol_set = true;
        state.protocol_origin = "the exporter";
    }
    if (!state.protocol_set) {
        if (n.has("templates") || n.has("options") || n.has("values"))
            n.fail_at("protocol", "required key is missing: the protocol the templates are for (or a \"dialect\")");
    }
    const core::Protocol p = core_protocol(e.protocol);
    if (auto v = n.get("domain")) e.domain = static_cast<std::uint32_t>(v->integer(0, 4294967295u));
    if (auto v = n.get("template_refresh")) {
        v->expect_object({"packets", "interval"});
        if (auto k = v->get("packets")) e.template_refresh_packets = static_cast<std::uint32_t>(k->integer(0, 1u << 30));
        if (auto k = v->get("interval")) e.template_refresh_interval_us = k->duration();
    }
    if (auto v = n.get("pad_sets")) {
        e.pad_sets = v->boolean();
        e.pad_sets_given = true;
    }
    if (auto v = n.get("max_message")) e.max_message = static_cast<std::uint32_t>(v->integer(64, 65535));
    if (auto v = n.get("template_messages")) {
        const std::string m = v->string();
        if (m == "with_data") e.template_placement = core::TemplatePlacement::with_data;
        else if (m == "apart") e.template_placement = core::TemplatePlacement::apart;
        else if (m == "each_apart") e.template_placement = core::TemplatePlacement::each_apart;
        else v->fail("expected \"with_data\", \"apart\" (templates in a message of their own) or \"each_apart\" (each template in its own message), got " + core::quote(m));
    }
    if (auto v = n.get("data_sets")) {
        const std::string m = v->string();
        if (m == "any") e.one_data_set = false;
        else if (m == "one") e.one_data_set = true;
        else v->fail("expected \"any\" or \"one\" (one data set per message), got " + core::quote(m));
    }
    if (auto v = n.get("v9_count")) {
        const std::string m = v->string();
        if (m == "records") e.v9_count = core::V9Count::records;
        else if (m == "data_records") e.v9_count = core::V9Count::data_records;
        else if (m == "one") e.v9_count = core::V9Count::one;
        else v->fail("expected \"records\" (RFC 3954), \"data_records\" or \"one\", got " + core::quote(m));
        state.v9_count_file = v->file();
        state.v9_count_pointer = v->pointer();
    }
    if (auto v = n.get("sequence")) {
        const std::string m = v->string();
        if (m == "rfc") e.sequence = core::SequenceHabit::rfc;
        else if (m == "packets_from_1") e.sequence = core::SequenceHabit::packets_from_1;
        else if (m == "records_including") e.sequence = core::SequenceHabit::records_including;
        else v->fail("expected \"rfc\", \"packets_from_1\" or \"records_including\", got " + core::quote(m));
        state.sequence_file = v->file();
        state.sequence_pointer = v->pointer();
    }
    if (auto v = n.get("templates")) {
        if (e.protocol == ExportProtocol::v5) v->fail("NetFlow v5 has a fixed record; templates need v9 or ipfix");
        v->expect_object({"v4", "v6", "icmp_v4", "icmp_v6"});
        if (!v->has("v4") && !v->has("v6")) v->fail("give at least one of \"v4\" and \"v6\"");
        for (std::size_t k = 0; k < 4; ++k) template_slot(e, k) = Template{};
        e.value_rules.clear();  // like the constants, they belonged to the templates replaced
        for (std::size_t k = 0; k < 4; ++k) {
            if (auto t = v->get(kTemplateKeys[k])) template_slot(e, k) = parse_template(*t, p, false, state.templates[k]);
        }
        if (!e.template_v4_icmp.fields.empty() && e.template_v4.fields.empty()) v->fail_at("icmp_v4", "an ICMP template needs a \"v4\" template");
        if (!e.template_v6_icmp.fields.empty() && e.template_v6.fields.empty()) v->fail_at("icmp_v6", "an ICMPv6 template needs a \"v6\" template");
        e.custom_templates = true;
    }
    if (auto v = n.get("options")) {
        if (e.protocol == ExportProtocol::v5) v->fail("NetFlow v5 has no options");
        std::vector<core::OptionsSpec> list;
        state.options.clear();
        std::vector<TableNames> names;
        for (const auto& o : v->elements()) {
            core::OptionsSpec spec;
            state.options.emplace_back();
            spec.tmpl = parse_template(o, p, true, state.options.back());
            if (auto w = o.get("when")) {
                const std::string when = w->string();
                if (when == "sampling") spec.only_when_sampling = true;
                else if (when == "interface_table") spec.table = core::OptionsTable::interfaces;
                else if (when == "vrf_table") spec.table = core::OptionsTable::vrfs;
                else if (when != "always")
                    w->fail("expected \"always\", \"sampling\" (only when the exporter samples), \"interface_table\" (a record "
                            "per interface) or \"vrf_table\" (a record per VRF), got " + core::quote(when));
            }
            if (const auto tf = core::options_table_fields(spec.tmpl, spec.table); !tf.problem.empty()) o.fail_at("fields", tf.problem);
            names.emplace_back();
            if (auto nm = o.get("names")) {
                if (spec.table == core::OptionsTable::none) nm->fail("\"names\" belong to an interface or VRF table (\"when\": \"interface_table\" or \"vrf_table\")");
                names.back() = parse_table_names(*nm, true);
            }
            list.push_back(std::move(spec));
        }
        e.options = std::move(list);
        e.options_names = std::move(names);
    }
    if (auto v = n.get("values")) {
        std::vector<Template*> all;
        for (std::size_t k = 0; k < 4; ++k)
            if (!template_slot(e, k).fields.empty()) all.push_back(&template_slot(e, k));
        const std::size_t data = all.size();
        if (e.options)
            for (auto& o : *e.options) all.push_back(&o.tmpl);
        if (all.empty()) v->fail("there are no templates to give values to");
        apply_values(*v, p, all, &e.value_rules, data);
    }
    // Options records hold only what the encoder can fill (checked once the values are in).
    if (n.has("options") || n.has("values")) {
        for (std::size_t k = 0; e.options && k < e.options->size(); ++k) {
            const Template& t = (*e.options)[k].tmpl;
            const core::OptionsTable table = (*e.options)[k].table;
            const core::OptionsTableFields tf = core::options_table_fields(t, table);
            for (std::size_t i = 0; i < t.fields.size(); ++i) {
                if (table != core::OptionsTable::none && (i == tf.key || i == tf.name)) continue;  // the rows fill them
                if (const std::string why = core::options_field_problem(t.fields[i], i < t.scope_count, p, t.values); !why.empty())
                    throw ConfigError(state.options[k].file, state.options[k].field_pointers[i], why);
            }
        }
    }
    if (auto v = n.get("time_style")) {
        const std::string t = v->string();
        if (t == "uptime") e.time_style = TimeStyle::uptime;
        else if (t == "seconds") e.time_style = TimeStyle::seconds;
        else if (t == "milliseconds") e.time_style = TimeStyle::milliseconds;
        else if (t == "microseconds") e.time_style = TimeStyle::microseconds;
        else if (t == "nanoseconds") e.time_style = TimeStyle::nanoseconds;
        else v->fail("expected uptime, seconds, milliseconds, microseconds or nanoseconds, got " + core::quote(t));
        for (std::size_t k = 0; k < 4; ++k)
            if (!template_slot(e, k).fields.empty())
                apply_time_style(template_slot(e, k), state.templates[k], e.time_style, e.protocol,
                                 options_carry(e, core::ie::systemInitTimeMilliseconds), v->pointer());
    }
}

TableNames parse_table_names(const Node& n, bool pattern) {
    if (!n.is_object()) n.fail(pattern ? "expected an object of index: name, e.g. {\"1\": \"TenGigE0_0_1_0\", \"*\": \"GigabitEthernet0_0_0_{index}\"}"
                                       : "expected an object of index: name, e.g. {\"1\": \"TenGigE0_0_1_0\"}");
    TableNames out;
    for (const auto& [key, v] : n.members()) {
        const std::string name = v.string(true);
        if (name.empty()) v.fail("a name cannot be empty (decoders read an empty name as none)");
        for (const char c : name)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) v.fail("a name cannot hold control characters");
        TableNames::Entry entry{name, v.file(), v.pointer()};
        if (key == "*" && pattern) {
            if (name.find("{index}") == std::string::npos) v.fail("a pattern needs \"{index}\" (names must differ per index)");
            out.pattern = std::move(entry);
            continue;
        }
        const bool digits = !key.empty() && key.size() <= 10 && key.find_first_not_of("0123456789") == std::string::npos;
        const std::uint64_t index = digits ? std::stoull(key) : 0;
        if (!digits || index > 0xFFFFFFFFu)
            v.fail("expected an index (0 to 4294967295) as the key" + std::string(pattern ? " or \"*\" for the others" : "") +
                   ", got " + core::quote(key));
        out.by_index[static_cast<std::uint32_t>(index)] = std::move(entry);
    }
    return out;
}

std::vector<TableRow> table_rows(const Exporter& e, std::size_t k) {
    const core::OptionsSpec& spec = e.options->at(k);
    const bool interfaces = spec.table == core::OptionsTable::interfaces;
    const TableNames& own = interfaces ? e.interface_names : e.vrf_names;
    static const TableNames kNone;
    const TableNames& table = k < e.options_names.size() ? e.options_names[k] : kNone;
    std::set<std::uint32_t> indexes;
    if (interfaces) {
        for (const auto& o : e.observes) indexes.insert(o.if_index);
        indexes.insert(e.default_if);
        indexes.erase(0);
    } else {
        indexes.insert(0);  // default_if, and every network without a "vrf"
        for (const auto& o : e.observes) indexes.insert(o.vrf);
    }
    for (const auto& [index, entry] : own.by_index) indexes.insert(index);
    std::vector<TableRow> out;
    for (const std::uint32_t index : indexes) {
        TableRow r;
        r.row.index = index;
        const TableNames::Entry* given = nullptr;
        if (auto it = own.by_index.find(index); it != own.by_index.end()) given = &it->second;
        else if (auto jt = table.by_index.find(index); jt != table.by_index.end()) given = &jt->second;
        if (given) {
            r.row.name = given->name;
        } else {
            const TableNames::Entry* p = own.pattern ? &*own.pattern : table.pattern ? &*table.pattern : nullptr;
            std::string text = p ? p->name : interfaces ? "if{index}" : "vrf{index}";
            std::size_t at = 0;
            while ((at = text.find("{index}", at)) != std::string::npos) text.replace(at, 7, std::to_string(index));
            r.row.name = std::move(text);
            given = p;
        }
        if (given) r.file = given->file, r.pointer = given->pointer;
        out.push_back(std::move(r));
    }
    return out;
}

void apply_dialect(const Node& at, Exporter& e, WireState& state) {
    const std::string name = at.string();
    std::string file;
    try {
        file = find_dialect(name);
    } catch (const UsageError& err) {
        at.fail(err.what());
    }
    const std::string text = read_text(file);
    const Json doc = parse_json(text, file);
    const Node root(doc, "", file);
    root.expect_object({"name", "description", "source", "protocol", "domain", "time_style", "template_refresh", "templates",
                        "options", "values", "pad_sets", "max_message", "template_messages", "data_sets", "v9_count",
                        "sequence", "note"},
                       {"name", "source", "protocol"});
    const std::string declared = root.at("name").string();
    if (!fs::path(name).has_extension() && declared != name)
        root.fail_at("name", "the file of dialect \"" + name + "\" names itself \"" + declared + "\"");
    if (root.at("source").string().size() < 10) root.fail_at("source", "cite the public source of the layout (code, capture or document)");
    if (auto d = root.get("description")) d->string();
    parse_wire_keys(root, e, state);
    state.protocol_origin = "dialect " + core::quote(declared);
    e.dialect = declared;
}

void finish_wire(const Node& exporter, Exporter& e, const WireState& state) {
    if (!state.protocol_set) exporter.fail_at("protocol", "required key is missing: \"v5\", \"v9\" or \"ipfix\" (or a \"dialect\")");
    // The habits are checked here: an exporter's "protocol" may change the dialect's.
    if (e.v9_count != core::V9Count::records && e.protocol != ExportProtocol::v9)
        throw ConfigError(state.v9_count_file, state.v9_count_pointer, "the header count habit is for NetFlow v9 only (IPFIX has a length there)");
    if (e.sequence == core::SequenceHabit::packets_from_1 && e.protocol != ExportProtocol::v9)
        throw ConfigError(state.sequence_file, state.sequence_pointer, "\"packets_from_1\" is for NetFlow v9 only (an IPFIX sequence counts data records)");
    if (e.sequence != core::SequenceHabit::rfc && e.protocol == ExportProtocol::v5)
        throw ConfigError(state.sequence_file, state.sequence_pointer, "NetFlow v5 counts flows as its header defines; no sequence habit applies");
    if (!e.custom_templates) return;
    for (std::size_t k = 0; k < 4; ++k) {
        const Template& t = template_slot(e, k);
        const TemplateOrigin& o = state.templates[k];
        for (std::size_t i = 0; i < t.fields.size(); ++i)
            if (const std::string why = data_field_problem(t.fields[i], t, e.value_rules); !why.empty())
                throw ConfigError(o.file, i < o.field_pointers.size() ? o.field_pointers[i] : o.pointer, why);
    }
    // The time style the templates use (for the sysUptime wrap check and v5 rules).
    const Template& t = e.template_v4.fields.empty() ? e.template_v6 : e.template_v4;
    for (const FieldSpec& f : t.fields) {
        if (f.enterprise) continue;
        if (f.id == 22 || f.id == 21) e.time_style = TimeStyle::uptime;
        else if (f.id == 150 || f.id == 151) e.time_style = TimeStyle::seconds;
        else if (f.id == 152 || f.id == 153) e.time_style = TimeStyle::milliseconds;
        else if (f.id == 154 || f.id == 155) e.time_style = TimeStyle::microseconds;
        else if (f.id == 156 || f.id == 157) e.time_style = TimeStyle::nanoseconds;
    }
}

}  // namespace detail

std::vector<std::string> dialect_dirs() {
    return core::data_dirs(core::DataKind::dialects);
}

std::string find_dialect(const std::string& name) {
    if (fs::path(name).extension() == ".json" && fs::is_regular_file(name)) return name;
    std::vector<std::string> known;
    for (const auto& dir : dialect_dirs()) {
        const fs::path p = fs::path(dir) / (name + ".json");
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p.string();
        for (const auto& entry : fs::directory_iterator(dir, ec))
            if (entry.path().extension() == ".json") known.push_back(entry.path().stem().string());
    }
    std::sort(known.begin(), known.end());
    known.erase(std::unique(known.begin(), known.end()), known.end());
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    const std::string hint = detail::closest_match(name, known);
    throw UsageError("no dialect named \"" + name + "\"" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") +
                     "; known: " + (list.empty() ? "none (searched $FLOWLAB_DIALECTS and the installed ones)" : list));
}

DialectInfo load_dialect_info(const std::string& file) {
    const std::string text = read_text(file);
    const Json doc = detail::parse_json(text, file);
    // Applying the dialect to a blank exporter checks everything an exporter would.
    Exporter e;
    detail::WireState state;
    const Json name = file;
    detail::Node at(name, "", file);
    detail::apply_dialect(at, e, state);
    detail::finish_wire(at, e, state);
    DialectInfo info;
    info.file = file;
    info.name = doc.value("name", "");
    info.description = doc.value("description", "");
    info.source = doc.value("source", "");
    info.protocol = doc.value("protocol", "");
    return info;
}

std::vector<DialectInfo> list_dialects() {
    std::map<std::string, std::string> files;
    for (const auto& dir : dialect_dirs()) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir, ec))
            if (entry.path().extension() == ".json") files.emplace(entry.path().stem().string(), entry.path().string());
    }
    std::vector<DialectInfo> out;
    for (const auto& [name, file] : files) out.push_back(load_dialect_info(file));
    return out;
}

Scenario with_dialect(const Scenario& s, const std::string& name) {
    find_dialect(name);  // a usage error before anything else
    Json doc = s.document;
    // Exporters that share an address and port are told apart by their domain alone; taking
    // the dialect's domain for all of them would make them one exporter to a collector.
    std::map<std::pair<std::array<std::uint8_t, 16>, std::uint16_t>, int> sharing;
    for (const auto& e : s.exporters) ++sharing[{e.address.bytes(), e.port}];
    if (doc.contains("exporters") && doc["exporters"].is_array()) {
        std::size_t i = 0;
        for (auto& x : doc["exporters"]) {
            if (!x.is_object()) continue;
            const bool keep_domain = i < s.exporters.size() &&
                                     sharing[{s.exporters[i].address.bytes(), s.exporters[i].port}] > 1;
            ++i;
            for (const auto& k : detail::kWireKeys)
                if (!(keep_domain && k == "domain")) x.erase(std::string(k));
            x.erase("dialect");
            x["dialect"] = name;
        }
    }
    Scenario out = parse_scenario(doc, s.file);
    out.sha256 = s.sha256;
    return out;
}

}  // namespace flowlab::gen

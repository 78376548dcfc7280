/// @brief Export scripts: building exact v5/v9/IPFIX message sequences from data, the faults
/// that damage them, and the reference model that says what a correct decoder outputs.
#include "flowlab/gen/export_script.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/ie_catalog.hpp"
#include "flowlab/core/wire_writer.hpp"
#include "json_node.hpp"
#include "reference_model.hpp"
#include "template_records.hpp"

namespace flowlab::gen {

using core::Field;
using core::FieldSpec;
using core::FlowRecord;
using core::IpAddress;
using core::Protocol;
using detail::Node;

std::string_view to_string(Expect e) noexcept {
    switch (e) {
        case Expect::keep: return "keep";
        case Expect::may_lose: return "may_lose";
        case Expect::discard: return "discard";
    }
    return "?";
}

std::string_view to_string(Transport t) noexcept { return t == Transport::tcp ? "tcp" : "udp"; }

std::size_t ExportScript::record_count() const noexcept {
    std::size_t n = 0;
    for (const auto& m : messages) n += m.records.size();
    return n;
}

namespace {

constexpr std::uint16_t kVar = core::kVariableLength;
constexpr std::int64_t kNtpUnixOffset = 2208988800;

/// What a field of a data record carries, for writing it and for the truth. This table is
/// the script's own reading of RFC 7012 / the IANA registry, written apart from the decoder
/// (core/field_codec) on purpose: the truth must not be the decoder's opinion of itself.
enum class Role : std::uint8_t {
    other, src, dst, sport, dport, proto, tos, flags, packets, bytes, in_if, out_if, src_as, dst_as,
    src_mask, dst_mask, next_hop, end_reason, icmp_type_code, icmp_type, icmp_code,
    start_s, end_s, start_ms, end_ms, start_us, end_us, start_ns, end_ns, start_up, end_up,
    start_delta_us, end_delta_us, system_init, sampling_interval, padding,
};

Role role_of(const FieldSpec& f, bool scope) {
    if (f.enterprise != 0 || scope) return Role::other;
    switch (f.id) {
        case 1: return Role::bytes;
        case 2: return Role::packets;
        case 4: return Role::proto;
        case 5: return Role::tos;
        case 6: return Role::flags;
        case 7: return Role::sport;
        case 8: case 27: return Role::src;
        case 9: case 29: return Role::src_mask;
        case 10: return Role::in_if;
        case 11: return Role::dport;
        case 12: case 28: return Role::dst;
        case 13: case 30: return Role::dst_mask;
        case 14: return Role::out_if;
        case 15: case 62: return Role::next_hop;
        case 16: return Role::src_as;
        case 17: return Role::dst_as;
        case 21: return Role::end_up;
        case 22: return Role::start_up;
        case 32: case 139: return Role::icmp_type_code;
        case 34: return Role::sampling_interval;
        case 136: return Role::end_reason;
        case 150: return Role::start_s;
        case 151: return Role::end_s;
        case 152: return Role::start_ms;
        case 153: return Role::end_ms;
        case 154: return Role::start_us;
        case 155: return Role::end_us;
        case 156: return Role::start_ns;
        case 157: return Role::end_ns;
        case 158: return Role::start_delta_us;
        case 159: return Role::end_delta_us;
        case 160: return Role::system_init;
        case 176: case 178: return Role::icmp_type;
        case 177: case 179: return Role::icmp_code;
        case 210: return Role::padding;
        default: return Role::other;
    }
}

/// The lengths RFC 7011 6.2 / RFC 7012 allow for the roles the truth relies on: integers may
/// be reduced; addresses and timestamps may not.
std::string check_length(const FieldSpec& f, Role r, Protocol p) {
    const std::uint16_t n = f.length;
    auto need = [&](std::initializer_list<std::uint16_t> ok) -> std::string {
        for (auto v : ok)
            if (v == n) return {};
        return "element " + std::to_string(f.id) + " cannot be written in " + std::to_string(n) + " bytes";
    };
    switch (r) {
        case Role::src: case Role::dst: case Role::next_hop:
            return need({static_cast<std::uint16_t>((f.id == 27 || f.id == 28 || f.id == 62) ? 16 : 4)});
        case Role::start_s: case Role::end_s: return need({4});
        case Role::start_ms: case Role::end_ms: case Role::start_us: case Role::end_us:
        case Role::start_ns: case Role::end_ns: case Role::system_init: return need({8});
        case Role::start_up: case Role::end_up: case Role::start_delta_us: case Role::end_delta_us:
            return need({4});
        case Role::other: case Role::padding: return {};
        default:
            if (n == kVar && p == Protocol::ipfix) return "element " + std::to_string(f.id) + " is an integer, not variable-length";
            if (n == 0 || (n > 8 && n != kVar)) return "element " + std::to_string(f.id) + " cannot be an integer of " + std::to_string(n) + " bytes";
            return {};
    }
}

struct Tmpl {
    std::string name;
    core::Template t;
    std::vector<Role> roles;
    std::vector<bool> long_form;  ///< variable-length field always in the 3-byte form
    bool options = false;
};

std::uint16_t v9_scope_type(std::string_view s) {
    if (s == "system") return 1;
    if (s == "interface") return 2;
    if (s == "linecard") return 3;
    if (s == "cache") return 4;
    if (s == "template") return 5;
    return 0;
}

const core::IeInfo* ie_by_name(std::string_view name) {
    static const std::unordered_map<std::string_view, const core::IeInfo*> by_name = [] {
        std::unordered_map<std::string_view, const core::IeInfo*> m;
        // Scripts name IANA elements only; enterprise elements are spelled PEN:ID.
        for (const core::IeInfo* ie : core::Registry::standard().elements())
            if (ie->enterprise == 0) m.emplace(ie->name, ie);
        return m;
    }();
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
}

bool parse_uint(std::string_view s, std::uint64_t max, std::uint64_t& out) {
    if (s.empty() || s.size() > 10) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return false;
    out = v;
    return true;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (true) {
        const auto at = s.find(sep, pos);
        out.push_back(s.substr(pos, at == std::string::npos ? std::string::npos : at - pos));
        if (at == std::string::npos) break;
        pos = at + 1;
    }
    return out;
}

}  // namespace

core::FieldSpec parse_field_spec(const std::string& text, Protocol p, bool scope, const std::string& file,
                                 const std::string& pointer) {
    auto fail = [&](const std::string& why) -> core::FieldSpec {
        throw ConfigError(file, pointer,
                          "field \"" + text + "\": " + why +
                              " (expected NAME, NAME:LENGTH, ID:LENGTH, PEN:ID:LENGTH, LENGTH 'var' or 'var3' for "
                              "variable length; v9 option scopes: system|interface|linecard|cache|template:LENGTH)");
    };
    const auto parts = split(text, ':');
    if (parts.empty() || parts.size() > 3 || parts[0].empty()) return fail("malformed");
    FieldSpec f;
    std::string len_text;
    std::uint64_t v = 0;
    if (parts.size() == 3) {
        if (!parse_uint(parts[0], 0xFFFFFFFFu, v) || v == 0) return fail("enterprise number must be 1..4294967295");
        f.enterprise = static_cast<std::uint32_t>(v);
        if (!parse_uint(parts[1], 0x7FFF, v)) return fail("element id must be 0..32767");
        f.id = static_cast<std::uint16_t>(v);
        len_text = parts[2];
        if (p != Protocol::ipfix) return fail("enterprise elements exist only in IPFIX");
    } else {
        const std::string& head = parts[0];
        if (scope && p == Protocol::v9 && v9_scope_type(head)) {
            f.id = v9_scope_type(head);
        } else if (parse_uint(head, 0x7FFF, v)) {
            f.id = static_cast<std::uint16_t>(v);
        } else if (const core::IeInfo* ie = ie_by_name(head)) {
            f.id = ie->id;
            f.length = ie->default_length;
        } else {
            return fail("unknown element name (not in the catalog)");
        }
        if (parts.size() == 2) len_text = parts[1];
        else if (f.length == 0) return fail("a length is required for an element given by number");
    }
    if (!len_text.empty()) {
        if (len_text == "var" || len_text == "var3") {
            f.length = kVar;
        } else if (parse_uint(len_text, 65534, v)) {
            f.length = static_cast<std::uint16_t>(v);
        } else {
            return fail("length must be 0..65534, 'var' or 'var3'");
        }
    }
    if (f.length == kVar && p == Protocol::v5) return fail("NetFlow v5 has no templates");
    return f;
}

namespace {

/// Byte values of a non-vocabulary element: given in the record's "values", else a filler
/// derived from the record index (deterministic, never all zero so misalignment shows).
std::vector<std::uint8_t> filler(const FieldSpec& f, std::size_t record_index, std::size_t field_index) {
    if (f.length == kVar) {
        const std::string s = "flowlab-" + std::to_string(record_index);
        return {s.begin(), s.end()};
    }
    std::vector<std::uint8_t> b(f.length);
    for (std::size_t i = 0; i < b.size(); ++i)
        b[i] = static_cast<std::uint8_t>(0x11 * ((record_index + field_index + i) % 15 + 1));
    return b;
}

struct RecordInput {
    FlowRecord r;        ///< vocabulary values (present = given or generated)
    std::map<std::string, Json> values;  ///< other elements by spec text / name
    std::string json_pointer;
};

struct Builder {
    const std::string& file;
    Protocol protocol = Protocol::ipfix;
    Transport transport = Transport::udp;
    IpAddress exporter = IpAddress::v4(0xC0000201);
    std::uint16_t port = 50000;
    std::uint32_t domain = 1;
    std::int64_t start_ms = 1709546400000;  // 2024-03-04T10:00:00Z
    std::int64_t boot_ms = 0;
    bool pad_sets = false;
    std::map<std::string, Tmpl> templates;
    std::size_t next_record = 0;
    // sequence per (exporter, port, domain)
    std::map<std::tuple<IpAddress, std::uint16_t, std::uint32_t>, std::uint32_t> sequences;
    std::map<std::pair<IpAddress, std::uint16_t>, std::uint32_t> connections;
    std::int64_t now_ms = 0;
    // Set by write_record: what the record carried beyond the vocabulary.
    std::optional<std::uint32_t> uptime_start, uptime_end;
    std::optional<std::int64_t> wrote_system_init;
    std::size_t first_varlen_prefix = 0;

    explicit Builder(const std::string& f) : file(f) {}

    [[noreturn]] void fail(const std::string& ptr, const std::string& what) const { throw ConfigError(file, ptr, what); }

    Tmpl parse_template(const std::string& name, const Node& n) {
        n.expect_object({"id", "fields", "scope"}, {"id", "fields"});
        Tmpl t;
        t.name = name;
        t.t.id = static_cast<std::uint16_t>(n.at("id").integer(0, 65535));
        const auto fields = n.at("fields").elements(0);
        std::uint64_t scope = 0;
        if (auto s = n.get("scope")) scope = s->integer(0, 65535);
        t.options = scope > 0;
        t.t.scope_count = static_cast<std::uint16_t>(scope);
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const Node& fn = fields[i];
            if (!fn.is_string()) fn.fail("expected a field specification string such as \"octetDeltaCount:4\"");
            const std::string text = fn.string();
            const bool is_scope = i < scope;
            FieldSpec f = parse_field_spec(text, protocol, is_scope, file, fn.pointer());
            const Role role = role_of(f, is_scope);
            if (const std::string why = check_length(f, role, protocol); !why.empty()) fn.fail(why);
            if (f.length == kVar && protocol != Protocol::ipfix && !(protocol == Protocol::v9)) fn.fail("variable length needs IPFIX");
            t.t.fields.push_back(f);
            t.roles.push_back(role);
            t.long_form.push_back(text.size() > 5 && text.substr(text.size() - 5) == ":var3");
        }
        if (scope > fields.size()) n.at("scope").fail("scope count " + std::to_string(scope) + " exceeds the " + std::to_string(fields.size()) + " fields");
        return t;
    }

    const Tmpl& find_template(const Node& n) const {
        const std::string name = n.string();
        auto it = templates.find(name);
        if (it == templates.end()) {
            std::vector<std::string> names;
            for (const auto& [k, v] : templates) names.push_back(k);
            std::string hint = detail::closest_match(name, names);
            n.fail("no template named \"" + name + "\" in /export/templates" + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)"));
        }
        return it->second;
    }

    /// The generated record number k, then the overrides of `over` (if an object).
    RecordInput make_record(const Tmpl& t, const std::optional<Node>& over, std::int64_t export_ms) {
        const std::size_t k = next_record++;
        RecordInput in;
        FlowRecord& r = in.r;
        const bool v6 = t.t.contains(27) || t.t.contains(28);
        if (v6) {
            std::array<std::uint8_t, 16> s{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0};
            core::store_be16(s.data() + 14, static_cast<std::uint16_t>(k));
            std::array<std::uint8_t, 16> d{0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
            std::array<std::uint8_t, 16> h{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xfe};
            r.set_address(Field::src, IpAddress::v6_bytes(s.data()));
            r.set_address(Field::dst, IpAddress::v6_bytes(d.data()));
            r.set_address(Field::next_hop, IpAddress::v6_bytes(h.data()));
        } else {
            r.set_address(Field::src, IpAddress::v4(0xC0000200u + 10 + static_cast<std::uint32_t>(k % 200)));
            r.set_address(Field::dst, IpAddress::v4(0xC6336400u + 10 + static_cast<std::uint32_t>(k % 7)));
            r.set_address(Field::next_hop, IpAddress::v4(0xC00002FEu));
        }
        r.set_number(Field::sport, 20000 + k);
        r.set_number(Field::dport, 443);
        r.set_number(Field::proto, 6);
        r.set_number(Field::tos, 0);
        r.set_number(Field::tcp_flags, 0x1b);
        r.set_number(Field::packets, 10 + k);
        r.set_number(Field::bytes, 1500 + 100 * k);
        r.set_number(Field::in_if, 3);
        r.set_number(Field::out_if, 7);
        r.set_number(Field::src_as, 64496);
        r.set_number(Field::dst_as, 64511);
        r.set_number(Field::src_mask, 24);
        r.set_number(Field::dst_mask, 24);
        r.set_number(Field::end_reason, 3);
        r.first_ms = export_ms - 30'000 - 10 * static_cast<std::int64_t>(k) + 123;
        r.last_ms = export_ms - 2'000 + 7;
        r.present.set(Field::first_ms);
        r.present.set(Field::last_ms);
        if (!over) return in;
        in.json_pointer = over->pointer();
        over->expect_object({"src", "dst", "next_hop", "sport", "dport", "proto", "tos", "tcp_flags", "packets", "bytes",
                             "first_ms", "last_ms", "in_if", "out_if", "src_as", "dst_as", "src_mask", "dst_mask",
                             "icmp_type", "icmp_code", "end_reason", "first", "last", "values"});
        for (const auto& [key, node] : over->members()) {
            if (key == "values") {
                if (!node.is_object()) node.fail("expected an object: element name (or PEN:ID) -> value");
                continue;
            }
            if (key == "first" || key == "last") {
                // offsets from the export time ("-30s")
                std::string s = node.string();
                const bool neg = !s.empty() && s[0] == '-';
                if (neg) s.erase(0, 1);
                std::int64_t us = 0;
                try {
                    us = parse_duration(s);
                } catch (const std::exception& e) {
                    node.fail(std::string("expected a signed duration such as \"-30s\": ") + e.what());
                }
                (key == "first" ? r.first_ms : r.last_ms) = export_ms + (neg ? -1 : 1) * us / 1000;
                continue;
            }
            const auto f = core::field_from_name(key);
            if (core::is_address_field(*f)) {
                r.set_address(*f, node.address());
            } else if (*f == Field::first_ms || *f == Field::last_ms) {
                (*f == Field::first_ms ? r.first_ms : r.last_ms) = static_cast<std::int64_t>(node.integer(0, 1ull << 52));
            } else {
                r.set_number(*f, node.integer(0, *f == Field::packets || *f == Field::bytes ? ~0ull : 0xFFFFFFFFull));
            }
        }
        return in;
    }

    // Values of the "values" object are read while writing (they need the field spec).
    static std::optional<Node> values_node(const std::optional<Node>& over) {
        if (!over) return std::nullopt;
        return over->get("values");
    }

    std::uint64_t number_for(Role role, const FlowRecord& r) const {
        switch (role) {
            case Role::sport: return r.sport;
            case Role::dport: return r.dport;
            case Role::proto: return r.proto;
            case Role::tos: return r.tos;
            case Role::flags: return r.tcp_flags;
            case Role::packets: return r.packets;
            case Role::bytes: return r.bytes;
            case Role::in_if: return r.in_if;
            case Role::out_if: return r.out_if;
            case Role::src_as: return r.src_as;
            case Role::dst_as: return r.dst_as;
            case Role::src_mask: return r.src_mask;
            case Role::dst_mask: return r.dst_mask;
            case Role::end_reason: return r.end_reason;
            case Role::icmp_type_code: return std::uint64_t{r.icmp_type} << 8 | r.icmp_code;
            case Role::icmp_type: return r.icmp_type;
            case Role::icmp_code: return r.icmp_code;
            case Role::sampling_interval: return r.sampling_interval;
            default: return 0;
        }
    }

    /// Writes one record; fills `exp` with what a decoder reads back. `varlen_at` receives the
    /// offsets (within `out`) of variable-length prefixes.
    void write_record(const Tmpl& t, const RecordInput& in, const std::optional<Node>& values, std::int64_t export_ms,
                      std::vector<std::uint8_t>& out, FlowRecord& exp, const std::string& ptr) {
        const FlowRecord& r = in.r;
        uptime_start.reset();
        uptime_end.reset();
        wrote_system_init.reset();
        first_varlen_prefix = 0;
        bool has_sysinit_in_record = false;
        for (std::size_t i = 0; i < t.t.fields.size(); ++i)
            if (t.roles[i] == Role::system_init) has_sysinit_in_record = true;
        for (std::size_t i = 0; i < t.t.fields.size(); ++i) {
            const FieldSpec& f = t.t.fields[i];
            const Role role = t.roles[i];
            const std::size_t at = out.size();
            auto put_number = [&](std::uint64_t v, Field col) {
                if (f.length < 8 && v >> (8 * f.length))
                    fail(ptr, "value " + std::to_string(v) + " of " + std::string(core::field_name(col)) + " does not fit element " +
                                  std::to_string(f.id) + " of " + std::to_string(f.length) + " bytes");
                out.resize(at + f.length);
                core::store_be_n(out.data() + at, v, f.length);
            };
            auto put_u32 = [&](std::uint32_t v) {
                out.resize(at + 4);
                core::store_be32(out.data() + at, v);
            };
            auto put_u64 = [&](std::uint64_t v) {
                out.resize(at + 8);
                core::store_be64(out.data() + at, v);
            };
            // Elements outside the vocabulary: from "values", else filler.
            std::string key_text;
            if (f.enterprise) key_text = std::to_string(f.enterprise) + ":" + std::to_string(f.id);
            std::optional<Node> given;
            if (values) {
                for (const auto& [k, node] : values->members()) {
                    const core::IeInfo* ie = f.enterprise ? nullptr : core::find_ie(f.id);
                    if ((f.enterprise && k == key_text) || (!f.enterprise && (k == std::to_string(f.id) || (ie && k == ie->name))))
                        given = node;
                }
            }
            if (role == Role::other || role == Role::padding || given) {
                std::vector<std::uint8_t> b;
                if (role == Role::padding) {
                    b.assign(f.length == kVar ? 0 : f.length, 0);
                } else if (given && given->is_string() && f.length == kVar) {
                    const std::string s = given->string(true);
                    b.assign(s.begin(), s.end());
                } else if (given && given->is_string()) {
                    const std::string s = given->string(true);
                    if (const auto a = IpAddress::parse(s); a && a->size() == f.length) {
                        b.assign(a->bytes().begin(), a->bytes().begin() + static_cast<std::ptrdiff_t>(f.length));
                    } else {
                        if (s.size() > f.length) given->fail("string of " + std::to_string(s.size()) + " bytes does not fit " + std::to_string(f.length));
                        b.assign(f.length, 0);
                        std::copy(s.begin(), s.end(), b.begin());
                    }
                } else if (given) {
                    const std::uint64_t v = given->integer(0, ~0ull);
                    const std::size_t n = f.length == kVar ? 8 : f.length;
                    if (n < 8 && v >> (8 * n)) given->fail("value does not fit " + std::to_string(n) + " bytes");
                    b.resize(n);
                    core::store_be_n(b.data(), v, n);
                } else {
                    b = filler(f, next_record, i);
                }
                if (f.length == kVar) {
                    if (!first_varlen_prefix) first_varlen_prefix = out.size();
                    std::uint8_t prefix[3];
                    out.insert(out.end(), prefix, prefix + core::store_field_length_prefix(prefix, b.size(), t.long_form[i]));
                }
                out.insert(out.end(), b.begin(), b.end());
                if (role == Role::sampling_interval && given) {
                    exp.set_number(Field::sampling_interval, core::load_be_n(b.data(), b.size()));
                }
                continue;
            }
            switch (role) {
                case Role::src:
                case Role::dst:
                case Role::next_hop: {
                    const Field col = role == Role::src ? Field::src : role == Role::dst ? Field::dst : Field::next_hop;
                    const IpAddress* a = r.address(col);
                    const bool want_v6 = f.length == 16;
                    if (!a || !a->is_set() || a->is_v6() != want_v6)
                        fail(ptr, std::string(core::field_name(col)) + " must be an IPv" + (want_v6 ? "6" : "4") + " address for element " + std::to_string(f.id));
                    out.insert(out.end(), a->bytes().begin(), a->bytes().begin() + f.length);
                    exp.set_address(col, *a);
                    break;
                }
                case Role::start_s: case Role::end_s: {
                    const bool start = role == Role::start_s;
                    const std::int64_t ms = start ? r.first_ms : r.last_ms;
                    const std::int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
                    put_u32(static_cast<std::uint32_t>(s));
                    (start ? exp.first_ms : exp.last_ms) = s * 1000;
                    exp.present.set(start ? Field::first_ms : Field::last_ms);
                    break;
                }
                case Role::start_ms: case Role::end_ms: {
                    const bool start = role == Role::start_ms;
                    const std::int64_t ms = start ? r.first_ms : r.last_ms;
                    put_u64(static_cast<std::uint64_t>(ms));
                    (start ? exp.first_ms : exp.last_ms) = ms;
                    exp.present.set(start ? Field::first_ms : Field::last_ms);
                    break;
                }
                case Role::start_us: case Role::end_us: case Role::start_ns: case Role::end_ns: {
                    const bool start = role == Role::start_us || role == Role::start_ns;
                    const bool micro = role == Role::start_us || role == Role::end_us;
                    const std::int64_t ms = start ? r.first_ms : r.last_ms;
                    const std::int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
                    const std::uint64_t rem = static_cast<std::uint64_t>(ms - secs * 1000);
                    // RFC 7011 6.1.9/6.1.10: NTP format. The fraction is rounded up so that a
                    // decoder truncating to ms reads the exact ms back; microseconds leave the
                    // lower 11 bits zero.
                    std::uint64_t frac = ((rem << 32) + 999) / 1000;
                    if (micro) frac = (frac + 0x7FF) & ~std::uint64_t{0x7FF};
                    if (frac > 0xFFFFFFFFu) frac = 0xFFFFFFFFu & ~std::uint64_t{0x7FF};
                    const std::uint64_t ntp_secs = static_cast<std::uint64_t>(secs + kNtpUnixOffset) & 0xFFFFFFFFu;
                    put_u64(ntp_secs << 32 | frac);
                    (start ? exp.first_ms : exp.last_ms) = ms;
                    exp.present.set(start ? Field::first_ms : Field::last_ms);
                    break;
                }
                case Role::start_up: case Role::end_up: {
                    const bool start = role == Role::start_up;
                    const std::int64_t ms = start ? r.first_ms : r.last_ms;
                    put_u32(static_cast<std::uint32_t>(static_cast<std::uint64_t>(ms - boot_ms) & 0xFFFFFFFFu));
                    // v9/v5: the header's sysUptime resolves it; IPFIX: systemInitTimeMilliseconds
                    // in this record (else the reference model resolves it from options data).
                    if (protocol != Protocol::ipfix || has_sysinit_in_record) {
                        (start ? exp.first_ms : exp.last_ms) = ms;
                        exp.present.set(start ? Field::first_ms : Field::last_ms);
                    } else {
                        (start ? uptime_start : uptime_end) = static_cast<std::uint32_t>(ms - boot_ms);
                    }
                    break;
                }
                case Role::start_delta_us: case Role::end_delta_us: {
                    const bool start = role == Role::start_delta_us;
                    const std::int64_t ms = start ? r.first_ms : r.last_ms;
                    const std::int64_t export_s_ms = (export_ms / 1000) * 1000;
                    if (ms > export_s_ms) fail(ptr, "a flow time after the export time cannot be written as a delta (158/159)");
                    put_u32(static_cast<std::uint32_t>((export_s_ms - ms) * 1000));
                    (start ? exp.first_ms : exp.last_ms) = ms;
                    exp.present.set(start ? Field::first_ms : Field::last_ms);
                    break;
                }
                case Role::system_init:
                    put_u64(static_cast<std::uint64_t>(boot_ms));
                    wrote_system_init = boot_ms;
                    break;
                default: {
                    Field col = Field::bytes;
                    switch (role) {
                        case Role::sport: col = Field::sport; break;
                        case Role::dport: col = Field::dport; break;
                        case Role::proto: col = Field::proto; break;
                        case Role::tos: col = Field::tos; break;
                        case Role::flags: col = Field::tcp_flags; break;
                        case Role::packets: col = Field::packets; break;
                        case Role::bytes: col = Field::bytes; break;
                        case Role::in_if: col = Field::in_if; break;
                        case Role::out_if: col = Field::out_if; break;
                        case Role::src_as: col = Field::src_as; break;
                        case Role::dst_as: col = Field::dst_as; break;
                        case Role::src_mask: col = Field::src_mask; break;
                        case Role::dst_mask: col = Field::dst_mask; break;
                        case Role::end_reason: col = Field::end_reason; break;
                        case Role::icmp_type: col = Field::icmp_type; break;
                        case Role::icmp_code: col = Field::icmp_code; break;
                        case Role::sampling_interval: col = Field::sampling_interval; break;
                        case Role::icmp_type_code: col = Field::icmp_type; break;
                        default: break;
                    }
                    const std::uint64_t v = number_for(role, r);
                    put_number(v, col);
                    if (role == Role::icmp_type_code) {
                        exp.set_number(Field::icmp_type, r.icmp_type);
                        exp.set_number(Field::icmp_code, r.icmp_code);
                    } else {
                        exp.set_number(col, v);
                    }
                }
            }
        }
    }
};

}  // namespace

namespace {

void write_header_v9_ipfix(std::vector<std::uint8_t>& b, Protocol p) {
    b.assign(p == Protocol::ipfix ? 16 : 20, 0);
}

/// Applies the faults of the script to the built messages (before canaries are appended).
void apply_faults(std::vector<ScriptMessage>& msgs, Protocol p, const Node& faults, const std::string& file);

}  // namespace

ExportScript build_export_script(const Json& script, const std::string& file, const std::string& pointer, bool canaries) {
    const Node root(script, pointer, file);
    root.expect_object({"protocol", "transport", "exporter", "port", "domain", "start", "boot", "pad_sets", "templates",
                        "messages", "faults", "collector_port"},
                       {"protocol", "messages"});
    Builder b(file);
    ExportScript out;
    {
        const std::string p = root.at("protocol").string();
        if (p == "v5") b.protocol = Protocol::v5;
        else if (p == "v9") b.protocol = Protocol::v9;
        else if (p == "ipfix") b.protocol = Protocol::ipfix;
        else root.at("protocol").fail("expected \"v5\", \"v9\" or \"ipfix\"");
    }
    out.protocol = b.protocol;
    out.collector_port = b.protocol == Protocol::ipfix ? 4739 : 2055;
    if (auto n = root.get("collector_port")) out.collector_port = static_cast<std::uint16_t>(n->integer(1, 65535));
    if (auto n = root.get("transport")) {
        const std::string t = n->string();
        if (t == "udp") b.transport = Transport::udp;
        else if (t == "tcp") b.transport = Transport::tcp;
        else n->fail("expected \"udp\" or \"tcp\"");
        if (b.transport == Transport::tcp && b.protocol != Protocol::ipfix)
            n->fail("only IPFIX runs over TCP (RFC 7011 10.4); NetFlow v5/v9 are UDP only");
    }
    out.transport = b.transport;
    if (auto n = root.get("exporter")) b.exporter = n->address();
    if (auto n = root.get("port")) b.port = static_cast<std::uint16_t>(n->integer(1, 65535));
    if (auto n = root.get("domain")) b.domain = static_cast<std::uint32_t>(n->integer(0, 0xFFFFFFFFu));
    if (auto n = root.get("start")) b.start_ms = n->time() / 1000;
    if (b.start_ms % 1000 != 0) root.at("start").fail("the start must be a whole second (NetFlow headers carry seconds)");
    std::int64_t boot_before_ms = 3'600'000;
    if (auto n = root.get("boot")) boot_before_ms = n->duration() / 1000;
    b.boot_ms = b.start_ms - boot_before_ms;
    b.pad_sets = b.protocol == Protocol::v9;
    if (auto n = root.get("pad_sets")) b.pad_sets = n->boolean();
    std::map<std::string, std::uint64_t> layouts;
    if (auto tn = root.get("templates")) {
        if (b.protocol == Protocol::v5) tn->fail("NetFlow v5 has no templates");
        std::uint64_t layout = 0;
        for (const auto& [name, node] : tn->members()) {
            Tmpl t = b.parse_template(name, node);
            layouts[name] = layout++;
            b.templates.emplace(name, std::move(t));
        }
    }

    // Messages
    const auto mnodes = root.at("messages").elements(1);
    b.now_ms = b.start_ms;
    std::vector<ScriptMessage>& msgs = out.messages;
    auto finish_header = [&](ScriptMessage& m, std::uint32_t v9_count, std::uint32_t data_records, std::uint32_t v5_count,
                             std::optional<std::uint32_t> seq_override, std::uint16_t v5_sampling) {
        auto& seq = b.sequences[{m.exporter, m.port, m.domain}];
        const std::uint32_t s = seq_override ? *seq_override : seq;
        std::uint8_t* h = m.bytes.data();
        const auto secs = static_cast<std::uint32_t>(m.export_ms / 1000);
        const auto uptime = static_cast<std::uint32_t>(static_cast<std::uint64_t>(m.export_ms - b.boot_ms) & 0xFFFFFFFFu);
        switch (b.protocol) {
            case Protocol::ipfix:
                core::store_be16(h, 10);
                core::store_be16(h + 2, static_cast<std::uint16_t>(m.bytes.size()));
                core::store_be32(h + 4, secs);
                core::store_be32(h + 8, s);
                core::store_be32(h + 12, m.domain);
                seq = s + data_records;
                break;
            case Protocol::v9:
                core::store_be16(h, 9);
                core::store_be16(h + 2, static_cast<std::uint16_t>(v9_count));
                core::store_be32(h + 4, uptime);
                core::store_be32(h + 8, secs);
                core::store_be32(h + 12, s);
                core::store_be32(h + 16, m.domain);
                seq = s + 1;
                break;
            case Protocol::v5:
                core::store_be16(h, 5);
                core::store_be16(h + 2, static_cast<std::uint16_t>(v5_count));
                core::store_be32(h + 4, uptime);
                core::store_be32(h + 8, secs);
                core::store_be32(h + 12, static_cast<std::uint32_t>((m.export_ms % 1000) * 1'000'000));
                core::store_be32(h + 16, s);
                core::store_be16(h + 20, static_cast<std::uint16_t>(m.domain));  // engine type, engine id
                core::store_be16(h + 22, v5_sampling);
                seq = s + v5_count;
                break;
        }
        for (auto& e : m.records) {
            e.record.set_address(Field::exporter, m.exporter);
            e.record.set_number(Field::domain, m.domain);
            e.record.set_number(Field::version, static_cast<std::uint64_t>(b.protocol));
            e.record.set_number(Field::sequence, s);
            e.record.export_ms = b.protocol == Protocol::v5 ? m.export_ms : static_cast<std::int64_t>(secs) * 1000;
            e.record.present.set(Field::export_ms);
        }
    };

    for (std::size_t mi = 0; mi < mnodes.size(); ++mi) {
        const Node& mn = mnodes[mi];
        mn.expect_object({"sets", "records", "exporter", "port", "domain", "after", "sequence", "reconnect", "sampling", "note", "reboot"});
        ScriptMessage m;
        m.label = "message " + std::to_string(mi + 1);
        m.exporter = b.exporter;
        m.port = b.port;
        m.domain = b.domain;
        if (auto n = mn.get("exporter")) m.exporter = n->address();
        if (auto n = mn.get("port")) m.port = static_cast<std::uint16_t>(n->integer(1, 65535));
        if (auto n = mn.get("domain")) {
            m.domain = static_cast<std::uint32_t>(n->integer(0, 0xFFFFFFFFu));
            if (b.protocol == Protocol::v5 && m.domain > 0xFFFF) n->fail("v5 engine type/id is 16 bits");
        }
        if (auto n = mn.get("reconnect")) {
            if (b.transport != Transport::tcp) n->fail("\"reconnect\" needs \"transport\": \"tcp\"");
            if (n->boolean()) ++b.connections[{m.exporter, m.port}];
        }
        m.connection = b.connections[{m.exporter, m.port}];
        if (mi > 0) {
            std::int64_t step = 1000;
            if (auto n = mn.get("after")) {
                std::string s = n->string();
                const bool neg = !s.empty() && s[0] == '-';
                if (neg) s.erase(0, 1);
                std::int64_t us = 0;
                try {
                    us = parse_duration(s);
                } catch (const std::exception& e) {
                    n->fail(std::string("expected a signed duration such as \"1s\" or \"-5s\": ") + e.what());
                }
                if (us % 1'000'000 != 0) n->fail("message times are whole seconds (NetFlow headers carry seconds)");
                step = (neg ? -1 : 1) * us / 1000;
            }
            b.now_ms += step;
        }
        m.export_ms = b.now_ms;
        if (auto n = mn.get("reboot")) b.boot_ms = m.export_ms - n->duration() / 1000;  // exporter restarted: uptime since then
        if (m.export_ms <= b.boot_ms) mn.fail("export time is before the exporter's boot");
        std::optional<std::uint32_t> seq;
        if (auto n = mn.get("sequence")) seq = static_cast<std::uint32_t>(n->integer(0, 0xFFFFFFFFu));

        std::uint32_t v9_count = 0, data_records = 0, v5_count = 0;
        std::uint16_t v5_sampling = 0;
        if (b.protocol == Protocol::v5) {
            if (mn.has("sets")) mn.at("sets").fail("NetFlow v5 has no sets: give \"records\"");
            if (auto n = mn.get("sampling")) v5_sampling = static_cast<std::uint16_t>(n->integer(0, 0xFFFF));
            m.bytes.assign(24, 0);
            const Node rn = mn.at("records");
            std::vector<std::optional<Node>> overs;
            if (rn.is_array()) {
                for (const auto& e : rn.elements(1)) overs.emplace_back(e);
            } else {
                overs.assign(rn.integer(1, 30), std::nullopt);
            }
            Tmpl dummy;  // v5 records are IPv4
            for (std::size_t i = 0; i < overs.size(); ++i) {
                RecordInput in = b.make_record(dummy, overs[i], m.export_ms);
                const FlowRecord& r = in.r;
                if (!r.src.is_v4() || !r.dst.is_v4()) (overs[i] ? *overs[i] : rn).fail("NetFlow v5 carries IPv4 only");
                const std::size_t at = m.bytes.size();
                m.bytes.resize(at + 48, 0);
                std::uint8_t* p = m.bytes.data() + at;
                core::store_be32(p, r.src.v4_value());
                core::store_be32(p + 4, r.dst.v4_value());
                core::store_be32(p + 8, r.next_hop.v4_value());
                core::store_be16(p + 12, static_cast<std::uint16_t>(r.in_if));
                core::store_be16(p + 14, static_cast<std::uint16_t>(r.out_if));
                core::store_be32(p + 16, static_cast<std::uint32_t>(r.packets));
                core::store_be32(p + 20, static_cast<std::uint32_t>(r.bytes));
                core::store_be32(p + 24, static_cast<std::uint32_t>(static_cast<std::uint64_t>(r.first_ms - b.boot_ms) & 0xFFFFFFFFu));
                core::store_be32(p + 28, static_cast<std::uint32_t>(static_cast<std::uint64_t>(r.last_ms - b.boot_ms) & 0xFFFFFFFFu));
                core::store_be16(p + 32, r.sport);
                core::store_be16(p + 34, r.dport);
                // v5 carries the low 8 bits of the flags (no ECN/NS bits); the truth says the same.
                p[37] = static_cast<std::uint8_t>(r.tcp_flags & 0xFFu);
                p[38] = r.proto;
                p[39] = r.tos;
                core::store_be16(p + 40, static_cast<std::uint16_t>(r.src_as));
                core::store_be16(p + 42, static_cast<std::uint16_t>(r.dst_as));
                p[44] = r.src_mask;
                p[45] = r.dst_mask;
                ExpectedRecord e;
                FlowRecord& x = e.record;
                x.set_address(Field::src, r.src);
                x.set_address(Field::dst, r.dst);
                x.set_address(Field::next_hop, r.next_hop);
                for (Field f : {Field::sport, Field::dport, Field::proto, Field::tos, Field::tcp_flags, Field::packets,
                                Field::bytes, Field::in_if, Field::out_if, Field::src_as, Field::dst_as, Field::src_mask,
                                Field::dst_mask})
                    x.set_number(f, r.number(f));
                x.set_number(Field::tcp_flags, r.tcp_flags & 0xFFu);
                x.first_ms = r.first_ms;
                x.last_ms = r.last_ms;
                x.present.set(Field::first_ms);
                x.present.set(Field::last_ms);
                if (v5_sampling & 0x3FFF) x.set_number(Field::sampling_interval, v5_sampling & 0x3FFFu);
                e.where = m.label + ", record " + std::to_string(i + 1);
                m.records.push_back(std::move(e));
            }
            v5_count = static_cast<std::uint32_t>(overs.size());
            finish_header(m, 0, 0, v5_count, seq, v5_sampling);
            msgs.push_back(std::move(m));
            continue;
        }

        write_header_v9_ipfix(m.bytes, b.protocol);
        const auto snodes = mn.at("sets").elements(0);
        for (std::size_t si = 0; si < snodes.size(); ++si) {
            const Node& sn = snodes[si];
            sn.expect_object({"templates", "withdraw", "withdraw_all", "data", "records", "expect", "expect_fields", "raw", "id"});
            SetInfo info;
            info.offset = m.bytes.size();
            m.bytes.resize(info.offset + 4, 0);
            const std::string where = m.label + ", set " + std::to_string(si + 1);
            if (auto tn = sn.get("templates")) {
                const auto names = tn->elements(1);
                bool options = false;
                for (std::size_t k = 0; k < names.size(); ++k) {
                    const Tmpl& t = b.find_template(names[k]);
                    if (k == 0) options = t.options;
                    else if (t.options != options) names[k].fail("data and options templates go in different sets");
                    info.templates.push_back(t.name);
                    info.template_ids.push_back(t.t.id);
                    core::ByteWriter o(m.bytes);
                    o.u16(t.t.id);
                    const auto n_fields = static_cast<std::uint16_t>(t.t.fields.size());
                    if (!t.options) {
                        o.u16(n_fields);
                    } else if (b.protocol == Protocol::ipfix) {
                        o.u16(n_fields);
                        o.u16(t.t.scope_count);
                    } else {
                        o.u16(static_cast<std::uint16_t>(4 * t.t.scope_count));
                        o.u16(static_cast<std::uint16_t>(4 * (n_fields - t.t.scope_count)));
                    }
                    for (const auto& f : t.t.fields) core::write_field_specifier(o, f, b.protocol == Protocol::ipfix);
                    ++v9_count;
                }
                info.kind = options ? SetInfo::Kind::options_templates : SetInfo::Kind::templates;
                info.id = b.protocol == Protocol::ipfix ? (options ? 3 : 2) : (options ? 1 : 0);
            } else if (sn.has("withdraw") || sn.has("withdraw_all")) {
                if (b.protocol != Protocol::ipfix) sn.fail("template withdrawal exists only in IPFIX (RFC 7011 8.1)");
                info.kind = SetInfo::Kind::withdrawal;
                bool options = false;
                core::ByteWriter o(m.bytes);
                if (auto wn = sn.get("withdraw")) {
                    const auto names = wn->elements(1);
                    for (std::size_t k = 0; k < names.size(); ++k) {
                        const Tmpl& t = b.find_template(names[k]);
                        if (k == 0) options = t.options;
                        info.templates.push_back(t.name);
                        info.template_ids.push_back(t.t.id);
                        o.u16(t.t.id);
                        o.u16(0);
                    }
                } else {
                    const std::string which = sn.at("withdraw_all").string();
                    if (which != "templates" && which != "options") sn.at("withdraw_all").fail("expected \"templates\" or \"options\"");
                    options = which == "options";
                    info.withdraw_all = true;
                    o.u16(options ? 3 : 2);
                    o.u16(0);
                }
                info.id = options ? 3 : 2;
            } else if (auto dn = sn.get("data")) {
                const Tmpl& t = b.find_template(*dn);
                info.kind = SetInfo::Kind::data;
                info.id = t.t.id;
                info.templates.push_back(t.name);
                info.template_ids.push_back(t.t.id);
                for (const auto& f : t.t.fields) info.min_record += f.length == kVar ? 1 : f.length;
                if (auto en = sn.get("expect")) {
                    const std::string e = en->string();
                    if (e == "keep") info.forced = Expect::keep;
                    else if (e == "may_lose") info.forced = Expect::may_lose;
                    else if (e == "discard") info.forced = Expect::discard;
                    else en->fail("expected \"keep\", \"may_lose\" or \"discard\"");
                    info.has_forced = true;
                }
                const Node rn = sn.at("records");
                std::vector<std::optional<Node>> overs;
                if (rn.is_array()) {
                    for (const auto& e : rn.elements(1)) overs.emplace_back(e);
                } else {
                    overs.assign(rn.integer(1, 10000), std::nullopt);
                }
                for (std::size_t ri = 0; ri < overs.size(); ++ri) {
                    RecordInput in = b.make_record(t, overs[ri], m.export_ms);
                    ExpectedRecord e;
                    const std::string rptr = overs[ri] ? overs[ri]->pointer() : rn.pointer();
                    b.write_record(t, in, Builder::values_node(overs[ri]), m.export_ms, m.bytes, e.record, rptr);
                    ++v9_count;
                    ++data_records;
                    if (b.first_varlen_prefix && !info.varlen_prefix) info.varlen_prefix = b.first_varlen_prefix;
                    if (t.options) {  // options data: no flow record
                        ++info.options_records;
                        if (b.wrote_system_init) info.system_init_ms = b.wrote_system_init;
                        continue;
                    }
                    e.start_uptime = b.uptime_start;
                    e.end_uptime = b.uptime_end;
                    e.record.set_number(Field::template_id, t.t.id);
                    if (auto fn = sn.get("expect_fields")) {
                        fn->expect_object({"sampling_interval"});
                        if (auto si2 = fn->get("sampling_interval")) e.record.set_number(Field::sampling_interval, si2->integer(1, 0xFFFFFFFFu));
                    }
                    e.where = where + ", record " + std::to_string(ri + 1);
                    info.records.push_back(m.records.size());
                    m.records.push_back(std::move(e));
                }
            } else if (auto rn = sn.get("raw")) {
                info.kind = SetInfo::Kind::raw;
                info.id = static_cast<std::uint16_t>(sn.at("id").integer(0, 65535));
                const std::string hex = rn->string(true);
                if (hex.size() % 2) rn->fail("hex text must have an even number of digits");
                for (std::size_t k = 0; k < hex.size(); k += 2) {
                    auto nib = [&](char c) -> int {
                        if (c >= '0' && c <= '9') return c - '0';
                        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
                        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
                        rn->fail("not a hex digit: '" + std::string(1, c) + "'");
                    };
                    m.bytes.push_back(static_cast<std::uint8_t>(nib(hex[k]) << 4 | nib(hex[k + 1])));
                }
            } else {
                sn.fail("a set needs one of \"templates\", \"withdraw\", \"withdraw_all\", \"data\", \"raw\"");
            }
            if (b.pad_sets)
                while ((m.bytes.size() - info.offset) % 4) m.bytes.push_back(0);
            info.length = m.bytes.size() - info.offset;
            if (info.length > 0xFFFF) sn.fail("set of " + std::to_string(info.length) + " bytes exceeds 65535");
            core::store_be16(m.bytes.data() + info.offset, info.id);
            core::store_be16(m.bytes.data() + info.offset + 2, static_cast<std::uint16_t>(info.length));
            m.sets.push_back(std::move(info));
        }
        if (m.bytes.size() > 65535) mn.fail("message of " + std::to_string(m.bytes.size()) + " bytes exceeds 65535");
        finish_header(m, v9_count, data_records, 0, seq, 0);
        msgs.push_back(std::move(m));
    }

    if (auto fn = root.get("faults")) apply_faults(msgs, b.protocol, *fn, file);

    if (canaries) {
        // Two known-good messages: the same exporter (its decoder state must have survived the
        // case) and a second exporter (the decoder as a whole must have survived it).
        const IpAddress second = b.exporter.is_v4() ? IpAddress::v4(b.exporter.v4_value() == 0xC00002FAu ? 0xC00002F9u : 0xC00002FAu)
                                                    : IpAddress::v4(0xC00002FAu);
        Tmpl canary;
        canary.name = "(canary)";
        canary.t.id = 65000;
        for (const char* f : {"sourceIPv4Address", "destinationIPv4Address", "sourceTransportPort", "destinationTransportPort",
                              "protocolIdentifier", "packetDeltaCount", "octetDeltaCount"}) {
            canary.t.fields.push_back(parse_field_spec(f, b.protocol == Protocol::v5 ? Protocol::ipfix : b.protocol, false, file, pointer));
            canary.roles.push_back(role_of(canary.t.fields.back(), false));
            canary.long_form.push_back(false);
        }
        b.templates.emplace(canary.name, canary);
        layouts[canary.name] = 1'000'000;
        const std::uint32_t last_conn = b.connections[{b.exporter, b.port}];
        for (int c = 0; c < 2; ++c) {
            ScriptMessage m;
            m.canary = true;
            m.label = c == 0 ? "canary (same exporter)" : "canary (second exporter)";
            m.exporter = c == 0 ? b.exporter : second;
            m.port = b.port;
            m.domain = b.protocol == Protocol::v5 ? (b.domain & 0xFFFF) : b.domain;
            m.connection = c == 0 ? last_conn : 0;
            b.now_ms += 1000;
            m.export_ms = b.now_ms;
            RecordInput in = b.make_record(canary, std::nullopt, m.export_ms);
            in.r.set_address(Field::src, IpAddress::v4(0xCB007100u + 1 + static_cast<std::uint32_t>(c)));  // 203.0.113.x
            ExpectedRecord e;
            e.where = m.label;
            if (b.protocol == Protocol::v5) {
                m.bytes.assign(24 + 48, 0);
                std::uint8_t* p = m.bytes.data() + 24;
                const FlowRecord& r = in.r;
                core::store_be32(p, r.src.v4_value());
                core::store_be32(p + 4, r.dst.v4_value());
                core::store_be32(p + 16, static_cast<std::uint32_t>(r.packets));
                core::store_be32(p + 20, static_cast<std::uint32_t>(r.bytes));
                core::store_be32(p + 24, static_cast<std::uint32_t>(r.first_ms - b.boot_ms));
                core::store_be32(p + 28, static_cast<std::uint32_t>(r.last_ms - b.boot_ms));
                core::store_be16(p + 32, r.sport);
                core::store_be16(p + 34, r.dport);
                p[38] = r.proto;
                FlowRecord& x = e.record;
                x.set_address(Field::src, r.src);
                x.set_address(Field::dst, r.dst);
                for (Field f : {Field::sport, Field::dport, Field::proto, Field::packets, Field::bytes}) x.set_number(f, r.number(f));
                x.first_ms = r.first_ms;
                x.last_ms = r.last_ms;
                x.present.set(Field::first_ms);
                x.present.set(Field::last_ms);
                m.records.push_back(std::move(e));
                finish_header(m, 0, 0, 1, std::nullopt, 0);
            } else {
                write_header_v9_ipfix(m.bytes, b.protocol);
                SetInfo ts;
                ts.kind = SetInfo::Kind::templates;
                ts.id = b.protocol == Protocol::ipfix ? 2 : 0;
                ts.offset = m.bytes.size();
                ts.templates = {canary.name};
                ts.template_ids = {canary.t.id};
                m.bytes.resize(ts.offset + 4);
                core::ByteWriter o(m.bytes);
                o.u16(canary.t.id);
                o.u16(static_cast<std::uint16_t>(canary.t.fields.size()));
                for (const auto& f : canary.t.fields) {
                    o.u16(f.id);
                    o.u16(f.length);
                }
                ts.length = m.bytes.size() - ts.offset;
                core::store_be16(m.bytes.data() + ts.offset, ts.id);
                core::store_be16(m.bytes.data() + ts.offset + 2, static_cast<std::uint16_t>(ts.length));
                SetInfo ds;
                ds.kind = SetInfo::Kind::data;
                ds.id = canary.t.id;
                ds.offset = m.bytes.size();
                ds.templates = {canary.name};
                ds.template_ids = {canary.t.id};
                m.bytes.resize(ds.offset + 4);
                b.write_record(canary, in, std::nullopt, m.export_ms, m.bytes, e.record, pointer);
                e.record.set_number(Field::template_id, canary.t.id);
                if (b.pad_sets)
                    while ((m.bytes.size() - ds.offset) % 4) m.bytes.push_back(0);
                ds.length = m.bytes.size() - ds.offset;
                ds.min_record = 21;
                core::store_be16(m.bytes.data() + ds.offset, ds.id);
                core::store_be16(m.bytes.data() + ds.offset + 2, static_cast<std::uint16_t>(ds.length));
                ds.records.push_back(0);
                m.records.push_back(std::move(e));
                m.sets.push_back(ts);
                m.sets.push_back(ds);
                finish_header(m, 2, 1, 0, std::nullopt, 0);
            }
            msgs.push_back(std::move(m));
        }
    }
    detail::ReferenceModel model(b.protocol, b.transport, file, layouts);
    for (ScriptMessage& m : msgs) model.judge(m);
    return out;
}

namespace {

void fix_ipfix_length(ScriptMessage& m, Protocol p) {
    if (p == Protocol::ipfix && !m.malformed) core::store_be16(m.bytes.data() + 2, static_cast<std::uint16_t>(m.bytes.size()));
}

void apply_faults(std::vector<ScriptMessage>& msgs, Protocol p, const Node& faults, const std::string& file) {
    (void)file;
    const std::size_t n_messages = msgs.size();
    // Faults name messages by their number in the case file; drops and reorders come last so
    // that every other fault still finds its message.
    struct Move {
        std::size_t from, after;
    };
    std::vector<std::size_t> drops, dups;
    std::vector<Move> moves;
    for (const Node& fn : faults.elements(0)) {
        fn.expect_object({"fault", "message", "set", "value", "bytes", "after", "past_end", "note"}, {"fault"});
        const std::string kind = fn.at("fault").string();
        auto message = [&]() -> ScriptMessage& {
            const auto i = fn.at("message").integer(1, n_messages);
            return msgs[i - 1];
        };
        auto set_of = [&](ScriptMessage& m) -> SetInfo& {
            if (m.sets.empty()) fn.fail(m.label + " has no sets (NetFlow v5)");
            const auto i = fn.at("set").integer(1, m.sets.size());
            return m.sets[i - 1];
        };
        if (kind == "drop") {
            drops.push_back(fn.at("message").integer(1, n_messages) - 1);
        } else if (kind == "duplicate") {
            dups.push_back(fn.at("message").integer(1, n_messages) - 1);
        } else if (kind == "reorder") {
            const auto from = fn.at("message").integer(1, n_messages) - 1;
            const auto after = fn.at("after").integer(1, n_messages) - 1;
            if (after == from) fn.at("after").fail("a message cannot move after itself");
            moves.push_back({from, after});
        } else if (kind == "truncate") {
            ScriptMessage& m = message();
            detail::truncate_message(m, p, fn.at("bytes").integer(1, m.bytes.size() - 1));
        } else if (kind == "trailing") {
            ScriptMessage& m = message();
            const auto n = fn.at("bytes").integer(1, 60000);
            m.bytes.insert(m.bytes.end(), n, 0);
            m.faults.push_back(std::to_string(n) + " zero bytes after the message");
            m.breaks_stream = true;
        } else if (kind == "message_length") {
            ScriptMessage& m = message();
            if (p != Protocol::ipfix) fn.fail("only IPFIX headers carry a length");
            detail::set_message_length(m, static_cast<std::uint16_t>(fn.at("value").integer(0, 65535)));
        } else if (kind == "version") {
            ScriptMessage& m = message();
            const auto v = fn.at("value").integer(0, 65535);
            core::store_be16(m.bytes.data(), static_cast<std::uint16_t>(v));
            m.faults.push_back("version " + std::to_string(v));
            m.breaks_stream = true;
            m.malformed = true;
        } else if (kind == "set_length") {
            ScriptMessage& m = message();
            SetInfo& s = set_of(m);
            std::uint64_t v = 0;
            if (auto over = fn.get("past_end")) {
                v = m.bytes.size() - s.offset + over->integer(1, 65535);
                if (v > 65535) over->fail("the set length would exceed 65535");
            } else {
                v = fn.at("value").integer(0, 65535);
            }
            if (v >= 4 && s.offset + v <= m.bytes.size())
                fn.at("value").fail("a set length of " + std::to_string(v) + " stays inside the message; the fault is for lengths below 4 or past the message end");
            detail::set_set_length(m, p, s, static_cast<std::uint16_t>(v));
        } else if (kind == "set_id") {
            ScriptMessage& m = message();
            SetInfo& s = set_of(m);
            const auto v = fn.at("value").integer(0, 65535);
            core::store_be16(m.bytes.data() + s.offset, static_cast<std::uint16_t>(v));
            m.faults.push_back("set at byte " + std::to_string(s.offset) + " has id " + std::to_string(v));
            s.id = static_cast<std::uint16_t>(v);
            s.kind = SetInfo::Kind::raw;  // whatever it was, it is not interpreted any more
        } else if (kind == "pad") {
            ScriptMessage& m = message();
            SetInfo& s = set_of(m);
            const auto n = fn.at("bytes").integer(1, 65535);
            const std::size_t smallest = s.kind == SetInfo::Kind::data ? s.min_record : 8;
            if (s.kind == SetInfo::Kind::data && n >= smallest)
                fn.at("bytes").fail("RFC 7011 3.3.1: padding must be shorter than any record of the set (" + std::to_string(smallest) + " bytes)");
            detail::pad_set(m, p, static_cast<std::size_t>(&s - m.sets.data()), n);
        } else if (kind == "field_count") {
            ScriptMessage& m = message();
            SetInfo& s = set_of(m);
            if (s.kind != SetInfo::Kind::templates) fn.at("set").fail("field_count applies to a template set");
            detail::set_field_count(m, p, s, static_cast<std::uint16_t>(fn.at("value").integer(1, 65535)));
        } else if (kind == "varlen_length") {
            ScriptMessage& m = message();
            SetInfo& s = set_of(m);
            if (!s.varlen_prefix) fn.at("set").fail("the set has no variable-length field");
            const auto v = fn.at("value").integer(0, 254);
            m.bytes[s.varlen_prefix] = static_cast<std::uint8_t>(v);
            m.faults.push_back("first variable-length field claims " + std::to_string(v) + " bytes");
            const std::size_t end = s.offset + s.length;
            if (s.varlen_prefix + 1 + v > end) {
                s.broken = true;
                if (p == Protocol::ipfix) m.malformed = true;  // RFC 7011 9.1
            } else {
                fn.at("value").fail("the fault is for a length running past the set end");
            }
        } else if (kind == "sequence") {
            ScriptMessage& m = message();
            detail::set_sequence(m, p, static_cast<std::uint32_t>(fn.at("value").integer(0, 0xFFFFFFFFu)));
        } else if (kind == "count") {
            ScriptMessage& m = message();
            if (p == Protocol::ipfix) fn.fail("IPFIX headers have no count");
            const auto v = fn.at("value").integer(0, 65535);
            core::store_be16(m.bytes.data() + 2, static_cast<std::uint16_t>(v));
            m.faults.push_back("header count " + std::to_string(v));
            if (p == Protocol::v5 && 24 + 48 * v > m.bytes.size()) m.lossy = true;  // no RFC says which records survive
        } else {
            fn.at("fault").fail("unknown fault \"" + kind +
                                "\" (expected drop, duplicate, reorder, truncate, trailing, message_length, version, "
                                "set_length, set_id, pad, field_count, varlen_length, sequence, count)");
        }
        if (auto note = fn.get("note")) (void)note->string(true);
    }
    for (std::size_t i : dups) {
        msgs[i].faults.push_back("sent twice");
        for (auto& e : msgs[i].records) e.max_copies = 2;
    }
    // Build the new order: moves, duplicates, drops.
    std::vector<std::size_t> order(n_messages);
    for (std::size_t i = 0; i < n_messages; ++i) order[i] = i;
    for (const Move& mv : moves) {
        order.erase(std::find(order.begin(), order.end(), mv.from));
        order.insert(std::find(order.begin(), order.end(), mv.after) + 1, mv.from);
        msgs[mv.from].faults.push_back("sent after message " + std::to_string(mv.after + 1));
    }
    std::vector<ScriptMessage> out;
    for (std::size_t i : order) {
        if (std::find(drops.begin(), drops.end(), i) != drops.end()) continue;
        out.push_back(msgs[i]);
        if (std::find(dups.begin(), dups.end(), i) != dups.end()) {
            out.push_back(msgs[i]);
            out.back().records.clear();  // the truth counts the copies once (max_copies = 2)
            for (auto& s : out.back().sets) s.records.clear();
            out.back().label += " (copy)";
        }
    }
    for (std::size_t i : drops) msgs[i].faults.push_back("never sent");
    msgs = std::move(out);
}

}  // namespace

namespace detail {

ReferenceModel::ReferenceModel(Protocol p, Transport t, std::string file, std::map<std::string, std::uint64_t> layouts)
    : protocol_(p), transport_(t), file_(std::move(file)), layouts_(std::move(layouts)) {}

void ReferenceModel::name_record(const Names& n, core::FlowRecord& r) {
    const auto name = [&](const std::map<std::uint32_t, std::string_view>& table, Field id, Field text) {
        r.set_text(text, {});
        r.present.clear(text);
        if (!r.has(id)) return;
        const std::uint32_t index = static_cast<std::uint32_t>(r.number(id));
        if (auto it = table.find(index); it != table.end()) r.set_text(text, it->second);
    };
    name(n.interfaces, Field::in_if, Field::in_if_name);
    name(n.interfaces, Field::out_if, Field::out_if_name);
    name(n.vrfs, Field::vrf_in_id, Field::vrf_in);
    name(n.vrfs, Field::vrf_out_id, Field::vrf_out);
}

void ReferenceModel::judge(ScriptMessage& m) {
    const Protocol p = protocol_;
    const Transport t = transport_;
    const SessionKey key{m.exporter, m.port, m.domain, t == Transport::tcp ? m.connection : 0};
    if (p == Protocol::v5) {
        for (auto& e : m.records) e.expect = m.malformed ? Expect::discard : m.lossy ? Expect::may_lose : Expect::keep;
        return;
    }
    if (m.malformed) {
        // RFC 7011 9.1: discard the message; nothing in it counts (templates included).
        for (auto& e : m.records) e.expect = Expect::discard;
        return;
    }
    auto& defs = state_[key];
    bool broken_seen = false;
    std::size_t broken_at = m.sets.size();
    for (std::size_t si = 0; si < m.sets.size(); ++si) {
        SetInfo& s = m.sets[si];
        if (s.broken && !broken_seen) {
            broken_seen = true;
            broken_at = si;
        }
        if (broken_seen) {
            for (std::size_t r : s.records) m.records[r].expect = Expect::discard;
            continue;
        }
        switch (s.kind) {
            case SetInfo::Kind::templates:
            case SetInfo::Kind::options_templates:
                // RFC 7011 3.4.2.2: without a scope the template cannot be used; nothing says it
                // replaces or withdraws what the session held for its id.
                if (s.no_scope) break;
                // RFC 7011 3.4.1 / RFC 3954 5.2: ids 0-255 are not template ids.
                for (std::size_t k = 0; k < s.templates.size(); ++k)
                    if (s.template_ids[k] >= 256) defs[s.template_ids[k]] = s.templates[k];
                break;
            case SetInfo::Kind::withdrawal:
                // RFC 7011 8.1 (TCP/SCTP) and 8.4 (UDP: MUST be ignored).
                if (t == Transport::tcp) {
                    if (s.withdraw_all) defs.clear();
                    for (auto id : s.template_ids) defs.erase(id);
                }
                break;
            case SetInfo::Kind::data: {
                auto it = defs.find(s.id);
                Expect e = Expect::keep;
                if (s.id < 256) {
                    e = Expect::discard;  // a reserved set id, not a data set (RFC 7011 3.3.2)
                } else if (it == defs.end()) {
                    e = Expect::may_lose;  // RFC 7011 9.3 / RFC 3954 9: no template (yet)
                } else if (layouts_.at(it->second) != layouts_.at(s.templates.front())) {
                    throw ConfigError(file_, "",
                                      m.label + ": data written with template \"" + s.templates.front() +
                                          "\" arrives while id " + std::to_string(s.id) + " is defined as \"" + it->second +
                                          "\": a correct decoder would read garbage, so the case has no truth");
                }
                if (s.system_init_ms && (track_system_init_ ? e == Expect::keep : e != Expect::discard))
                    system_init_[key] = *s.system_init_ms;
                if (e == Expect::keep && track_sampling_ && s.sampling_options) sampling_known_.insert(key);
                const bool no_rate = track_sampling_ && s.rate_from_options && !sampling_known_.contains(key);
                if (e == Expect::keep && track_names_) {
                    Names& n = names_[key];
                    for (const auto& [index, name] : s.interface_names) n.interfaces[index] = name;
                    for (const auto& [index, name] : s.vrf_names) n.vrfs[index] = name;
                }
                for (std::size_t r : s.records) {
                    ExpectedRecord& x = m.records[r];
                    x.expect = e;
                    if (track_names_) name_record(names_[key], x.record);
                    if (no_rate) {
                        x.record.sampling_interval = 0;
                        x.record.sampling_algorithm = 0;
                        x.record.present.clear(Field::sampling_interval);
                        x.record.present.clear(Field::sampling_algorithm);
                    }
                    auto base = system_init_.find(key);
                    if (base == system_init_.end()) continue;
                    if (x.start_uptime) {
                        x.record.first_ms = base->second + *x.start_uptime;
                        x.record.present.set(Field::first_ms);
                    }
                    if (x.end_uptime) {
                        x.record.last_ms = base->second + *x.end_uptime;
                        x.record.present.set(Field::last_ms);
                    }
                }
                break;
            }
            case SetInfo::Kind::raw:
                for (std::size_t r : s.records) m.records[r].expect = Expect::discard;
                break;
        }
    }
    if (broken_seen && p == Protocol::v9) {
        // RFC 3954 has no rule for a broken flowset: what came before it may be kept.
        for (std::size_t si = 0; si < broken_at; ++si)
            for (std::size_t r : m.sets[si].records)
                if (m.records[r].expect == Expect::keep) m.records[r].expect = Expect::may_lose;
    }
    for (SetInfo& s : m.sets)
        if (s.has_forced)
            for (std::size_t r : s.records) m.records[r].expect = s.forced;
}

const std::string* ReferenceModel::defined(const core::IpAddress& exporter, std::uint16_t port, std::uint32_t domain,
                                           std::uint16_t id) const {
    const auto session = state_.find(SessionKey{exporter, port, domain, 0});
    if (session == state_.end()) return nullptr;
    const auto it = session->second.find(id);
    return it == session->second.end() ? nullptr : &it->second;
}

std::size_t sequence_offset(Protocol p) noexcept { return p == Protocol::ipfix ? 8 : p == Protocol::v9 ? 12 : 16; }

void truncate_message(ScriptMessage& m, Protocol p, std::size_t n) {
    m.bytes.resize(m.bytes.size() - n);
    m.faults.push_back("truncated by " + std::to_string(n) + " bytes");
    m.breaks_stream = true;
    if (p == Protocol::ipfix) {
        m.malformed = true;  // header length now exceeds the datagram (RFC 7011 9.1)
    } else if (p == Protocol::v5) {
        m.malformed = true;  // count needs more bytes than the datagram holds
    } else {
        for (auto& s : m.sets)
            if (s.offset + s.length > m.bytes.size()) s.broken = true;
    }
}

void set_message_length(ScriptMessage& m, std::uint16_t v) {
    core::store_be16(m.bytes.data() + 2, v);
    m.faults.push_back("header length " + std::to_string(v) + " for a " + std::to_string(m.bytes.size()) + "-byte datagram");
    m.breaks_stream = true;
    if (v != m.bytes.size()) m.malformed = true;
}

void set_set_length(ScriptMessage& m, Protocol p, SetInfo& s, std::uint16_t v) {
    core::store_be16(m.bytes.data() + s.offset + 2, v);
    m.faults.push_back("set at byte " + std::to_string(s.offset) + " claims length " + std::to_string(v));
    s.broken = true;
    if (p == Protocol::ipfix) m.malformed = true;
}

void pad_set(ScriptMessage& m, Protocol p, std::size_t index, std::size_t n) {
    SetInfo& s = m.sets.at(index);
    const std::size_t end = s.offset + s.length;
    m.bytes.insert(m.bytes.begin() + static_cast<std::ptrdiff_t>(end), n, 0);
    s.length += n;
    core::store_be16(m.bytes.data() + s.offset + 2, static_cast<std::uint16_t>(s.length));
    for (auto& o : m.sets)
        if (o.offset > s.offset) o.offset += n;
    fix_ipfix_length(m, p);
    m.faults.push_back(std::to_string(n) + " padding bytes at the end of the set at byte " + std::to_string(s.offset));
}

void set_field_count(ScriptMessage& m, Protocol p, SetInfo& s, std::uint16_t v) {
    core::store_be16(m.bytes.data() + s.offset + 6, v);
    m.faults.push_back("first template record claims " + std::to_string(v) + " fields");
    s.broken = true;
    if (p == Protocol::ipfix) m.malformed = true;
}

void set_scope_zero(ScriptMessage& m, Protocol p, SetInfo& s) {
    std::uint8_t* b = m.bytes.data();
    std::size_t n = 0;
    for (const TemplateRecord& r : template_records_of(m.bytes, s, p)) {
        if (r.offset + 6 > s.offset + s.length) break;  // no room for the scope field
        std::uint8_t* q = b + r.offset;
        if (p == Protocol::ipfix) {
            core::store_be16(q + 4, 0);
        } else {
            const std::uint16_t scope = core::load_be16(q + 2), option = core::load_be16(q + 4);
            core::store_be16(q + 2, 0);
            core::store_be16(q + 4, static_cast<std::uint16_t>(scope + option));
        }
        ++n;
    }
    s.no_scope = true;
    m.faults.push_back(std::to_string(n) + " options template records declare no scope");
}

void set_sequence(ScriptMessage& m, Protocol p, std::uint32_t v) {
    core::store_be32(m.bytes.data() + sequence_offset(p), v);
    for (auto& e : m.records) e.record.sequence = v;
    m.faults.push_back("sequence number " + std::to_string(v));
}

}  // namespace detail

namespace {

}  // namespace

}  // namespace flowlab::gen

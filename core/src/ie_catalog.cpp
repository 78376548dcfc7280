/// @brief The information-element registry loader and flowlab's mapping of IANA elements to
/// FlowRecord columns.
#include "flowlab/core/ie_catalog.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "flowlab/core/data_dirs.hpp"
#include "flowlab/core/error.hpp"
#include "registry_data.hpp"

namespace flowlab::core {
namespace {

using R = IeRole;
using F = Field;

/// What an IANA element means to FlowRecord. Everything not listed is shown in JSON lines
/// only. `family` marks elements of one address family, for records that carry both.
struct Meaning {
    std::uint16_t id;
    IeRole role;
    Field field;
    std::uint8_t family;
};

constexpr Meaning kMeanings[] = {
    {1, R::field, F::bytes, 0},
    {2, R::field, F::packets, 0},
    {4, R::field, F::proto, 0},
    {5, R::field, F::tos, 0},
    {6, R::field, F::tcp_flags, 0},
    {7, R::field, F::sport, 0},
    {8, R::field, F::src, 4},
    {9, R::field, F::src_mask, 4},
    {10, R::field, F::in_if, 0},
    {11, R::field, F::dport, 0},
    {12, R::field, F::dst, 4},
    {13, R::field, F::dst_mask, 4},
    {14, R::field, F::out_if, 0},
    {15, R::field, F::next_hop, 4},
    {16, R::field, F::src_as, 0},
    {17, R::field, F::dst_as, 0},
    {21, R::end_uptime, F::last_ms, 0},
    {22, R::start_uptime, F::first_ms, 0},
    {27, R::field, F::src, 6},
    {28, R::field, F::dst, 6},
    {29, R::field, F::src_mask, 6},
    {30, R::field, F::dst_mask, 6},
    {32, R::icmp_type_code, F::icmp_type, 4},
    {34, R::sampling, F::sampling_interval, 0},
    {35, R::sampling_algorithm, F::sampling_algorithm, 0},
    {48, R::sampler_id, F::exporter, 0},
    {49, R::sampling_algorithm, F::sampling_algorithm, 0},
    {50, R::sampling, F::sampling_interval, 0},
    {62, R::field, F::next_hop, 6},
    {82, R::interface_name, F::exporter, 0},
    {83, R::interface_description, F::exporter, 0},
    {136, R::field, F::end_reason, 0},
    {139, R::icmp_type_code, F::icmp_type, 6},
    {150, R::start_seconds, F::first_ms, 0},
    {151, R::end_seconds, F::last_ms, 0},
    {152, R::field, F::first_ms, 0},
    {153, R::field, F::last_ms, 0},
    {154, R::start_micro, F::first_ms, 0},
    {155, R::end_micro, F::last_ms, 0},
    {156, R::start_nano, F::first_ms, 0},
    {157, R::end_nano, F::last_ms, 0},
    {158, R::start_delta_micro, F::first_ms, 0},
    {159, R::end_delta_micro, F::last_ms, 0},
    {160, R::system_init_ms, F::exporter, 0},
    {176, R::field, F::icmp_type, 4},
    {177, R::field, F::icmp_code, 4},
    {178, R::field, F::icmp_type, 6},
    {179, R::field, F::icmp_code, 6},
    {210, R::padding, F::exporter, 0},
    {234, R::field, F::vrf_in_id, 0},
    {235, R::field, F::vrf_out_id, 0},
    {236, R::vrf_name, F::exporter, 0},
    {302, R::sampler_id, F::exporter, 0},
    {304, R::sampling_algorithm, F::sampling_algorithm, 0},
    {305, R::sampling, F::sampling_interval, 0},
    {306, R::sampling_space, F::sampling_interval, 0},
    {309, R::sampling_size, F::sampling_interval, 0},
    {310, R::sampling_population, F::sampling_interval, 0},
    {311, R::sampling_probability, F::sampling_interval, 0},
};

constexpr std::array<std::string_view, 24> kTypeNames = {
    "octetArray",       "unsigned8",           "unsigned16",           "unsigned32",
    "unsigned64",       "signed8",             "signed16",             "signed32",
    "signed64",         "float32",             "float64",              "boolean",
    "macAddress",       "string",              "dateTimeSeconds",      "dateTimeMilliseconds",
    "dateTimeMicroseconds", "dateTimeNanoseconds", "ipv4Address",      "ipv6Address",
    "basicList",        "subTemplateList",     "subTemplateMultiList", "unsigned256"};

std::uint16_t default_length(IeType t) noexcept {
    switch (t) {
        case IeType::unsigned8:
        case IeType::signed8:
        case IeType::boolean: return 1;
        case IeType::unsigned16:
        case IeType::signed16: return 2;
        case IeType::unsigned32:
        case IeType::signed32:
        case IeType::float32:
        case IeType::date_time_seconds:
        case IeType::ipv4_address: return 4;
        case IeType::mac_address: return 6;
        case IeType::unsigned64:
        case IeType::signed64:
        case IeType::float64:
        case IeType::date_time_milliseconds:
        case IeType::date_time_microseconds:
        case IeType::date_time_nanoseconds: return 8;
        case IeType::ipv6_address: return 16;
        case IeType::unsigned256: return 32;
        default: return kVariableLength;
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
        if (pos >= line.size()) break;
        std::size_t end = pos;
        while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
        out.push_back(line.substr(pos, end - pos));
        pos = end;
    }
    return out;
}

bool parse_uint(std::string_view s, std::uint64_t max, std::uint64_t& out) {
    if (s.empty() || s.size() > 20) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        if (v > (max - static_cast<unsigned>(c - '0')) / 10) return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    out = v;
    return true;
}

}  // namespace

Registry::Registry() : iana_(32768, nullptr) {}
Registry::~Registry() = default;

IeInfo& Registry::add(const IeInfo& info) {
    IeInfo& e = elements_.emplace_back(info);
    if (e.enterprise == 0 && e.id < iana_.size()) iana_[e.id] = &e;
    else other_[(std::uint64_t{e.enterprise} << 16) | e.id] = &e;
    return e;
}

void Registry::load_text(std::string_view text, const std::string& origin) {
    auto where = [&](std::uint64_t line) {
        InputError::Place p;
        p.line = line;
        return p;
    };
    std::string name;
    std::uint64_t pen = 0;
    std::optional<std::uint32_t> reverse_pen;
    bool have_name = false, have_pen = false;
    std::vector<IeInfo*> added;
    std::uint64_t line_no = 0;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::string_view raw = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
        ++line_no;
        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        const auto f = split_fields(line);
        if (f[0] == "registry" || f[0] == "pen" || f[0] == "reverse-pen") {
            if (f.size() != 2)
                throw InputError(origin, where(line_no), "'" + std::string(f[0]) + "' takes one value");
            if (!added.empty())
                throw InputError(origin, where(line_no), "'" + std::string(f[0]) + "' must come before the elements");
            if (f[0] == "registry") {
                name = std::string(f[1]);
                have_name = true;
            } else {
                std::uint64_t v;
                if (!parse_uint(f[1], 0xFFFFFFFFu, v))
                    throw InputError(origin, where(line_no),
                                     "expected a private enterprise number 0..4294967295, found '" + std::string(f[1]) + "'");
                if (f[0] == "pen") {
                    pen = v;
                    have_pen = true;
                } else {
                    reverse_pen = static_cast<std::uint32_t>(v);
                }
            }
            continue;
        }
        if (!have_name || !have_pen)
            throw InputError(origin, where(line_no), "the file must start with 'registry NAME' and 'pen N' lines");
        if (f.size() != 6)
            throw InputError(origin, where(line_no),
                             "expected 6 fields (id, name, type, semantics, units, status; '-' for none), found " +
                                 std::to_string(f.size()));
        std::uint64_t id;
        if (!parse_uint(f[0], 32767, id))
            throw InputError(origin, where(line_no), "element id must be 0..32767, found '" + std::string(f[0]) + "'");
        const auto type = ie_type_from_name(f[2]);
        if (!type)
            throw InputError(origin, where(line_no), "unknown abstract data type '" + std::string(f[2]) + "' (RFC 7012 3.1)");
        if (f[5] != "current" && f[5] != "deprecated" && f[5] != "obsolete" && f[5] != "-")
            throw InputError(origin, where(line_no),
                             "status must be current, deprecated or obsolete, found '" + std::string(f[5]) + "'");
        IeInfo e;
        e.id = static_cast<std::uint16_t>(id);
        e.enterprise = static_cast<std::uint32_t>(pen);
        e.type = *type;
        e.default_length = default_length(*type);
        e.name = strings_.emplace_back(f[1]);
        e.registry = strings_.emplace_back(name);
        e.qualified = pen == 0 ? e.name : std::string_view(strings_.emplace_back(name + ":" + std::string(f[1])));
        e.semantics = f[3] == "-" ? std::string_view() : std::string_view(strings_.emplace_back(f[3]));
        e.units = f[4] == "-" ? std::string_view() : std::string_view(strings_.emplace_back(f[4]));
        e.deprecated = f[5] != "current" && f[5] != "-";
        if (pen == 0) {
            for (const Meaning& m : kMeanings)
                if (m.id == e.id) {
                    e.role = m.role;
                    e.field = m.field;
                    e.family = m.family;
                }
        }
        added.push_back(&add(e));
    }
    if (reverse_pen) {
        // RFC 5103: the reverse of element X is X under the reverse PEN, named reverseX.
        for (const IeInfo* e : added) {
            IeInfo r = *e;
            std::string n = std::string(e->name);
            if (!n.empty()) n[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(n[0])));
            r.enterprise = *reverse_pen;
            r.name = strings_.emplace_back("reverse" + n);
            r.qualified = r.name;
            r.role = IeRole::none;
            r.field = Field::exporter;
            r.family = 0;
            add(r);
        }
    }
}

void Registry::load_path(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        std::vector<std::string> files;
        for (const auto& entry : fs::directory_iterator(path, ec))
            if (entry.path().extension() == ".ies") files.push_back(entry.path().string());
        if (ec) throw InputError(path, "cannot list the directory: " + ec.message());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) load_path(f);
        return;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(path, "cannot open the registry file");
    std::stringstream ss;
    ss << in.rdbuf();
    load_text(ss.str(), path);
}

const IeInfo* Registry::find(std::uint32_t enterprise, std::uint16_t id) const noexcept {
    if (enterprise == 0) return id < iana_.size() ? iana_[id] : nullptr;
    auto it = other_.find((std::uint64_t{enterprise} << 16) | id);
    return it == other_.end() ? nullptr : it->second;
}

std::vector<const IeInfo*> Registry::elements() const {
    std::vector<const IeInfo*> out;
    out.reserve(elements_.size());
    for (const auto& e : elements_) out.push_back(&e);
    return out;
}

std::unique_ptr<Registry> Registry::builtin() {
    auto r = std::make_unique<Registry>();
    for (const auto& file : detail::builtin_registries()) r->load_text(file.text, "built-in registry " + std::string(file.name));
    return r;
}

const Registry& Registry::standard() {
    static const std::unique_ptr<Registry> instance = [] {
        auto r = builtin();
        for (const auto& path : user_data().registry_files) r->load_path(path);
        return r;
    }();
    return *instance;
}

const IeInfo* find_ie(std::uint16_t id) noexcept { return Registry::standard().find(0, id); }
const IeInfo* find_ie(std::uint32_t enterprise, std::uint16_t id) noexcept {
    return Registry::standard().find(enterprise, id);
}

std::string_view ie_type_name(IeType t) noexcept {
    const auto i = static_cast<std::size_t>(t);
    return i < kTypeNames.size() ? kTypeNames[i] : std::string_view("?");
}

std::optional<IeType> ie_type_from_name(std::string_view name) noexcept {
    for (std::size_t i = 0; i < kTypeNames.size(); ++i)
        if (kTypeNames[i] == name) return static_cast<IeType>(i);
    return std::nullopt;
}

bool ie_length_allowed(const IeInfo& info, std::uint16_t length) noexcept {
    switch (info.type) {
        case IeType::unsigned8:
        case IeType::unsigned16:
        case IeType::unsigned32:
        case IeType::unsigned64:
        case IeType::signed8:
        case IeType::signed16:
        case IeType::signed32:
        case IeType::signed64:
            // Reduced-size encoding (RFC 7011 6.2); v9 exporters also send wider-than-default
            // fields (8-byte uptime fields, 8-byte counters), so any 1..8 is accepted.
            return length >= 1 && length <= 8;
        case IeType::float32: return length == 4;
        case IeType::float64: return length == 4 || length == 8;
        case IeType::boolean: return length == 1;
        case IeType::mac_address: return length == 6;
        case IeType::ipv4_address: return length == 4;
        case IeType::ipv6_address: return length == 16;
        case IeType::date_time_seconds: return length == 4;
        case IeType::date_time_milliseconds:
        case IeType::date_time_microseconds:
        case IeType::date_time_nanoseconds: return length == 8;
        case IeType::unsigned256: return length >= 1 && length <= 32;
        case IeType::string:
        case IeType::octet_array:
        case IeType::basic_list:
        case IeType::sub_template_list:
        case IeType::sub_template_multi_list: return true;
    }
    return false;
}

}  // namespace flowlab::core

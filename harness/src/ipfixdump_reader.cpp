/// @brief Reader of ipfixDump's text: "--- Message Header ---" blocks with the export time and
/// observation domain, then "--- data record N ---" blocks of "(ID) name : value" or
/// "(PEN/ID) name : value" lines. Times print as "YYYY-MM-DD HH:MM:SS[.fraction]" (run it
/// with TZ=UTC). Uptime-relative times (21/22) are resolved with systemInitTimeMilliseconds
/// (160) from the same record or from an earlier options record of the same domain.
#include "ipfixdump_reader.hpp"

#include <ctime>
#include <fstream>
#include <map>
#include <optional>

#include "flowlab/core/error.hpp"

namespace flowlab::harness {

using core::Field;
using core::FlowRecord;

namespace {

std::optional<std::int64_t> parse_time_ms(const std::string& s) {
    std::tm tm{};
    int y, mo, d, h, mi, sec;
    if (std::sscanf(s.c_str(), "%d-%d-%d %d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6) return std::nullopt;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
    const auto dot = s.find('.');
    if (dot != std::string::npos) {
        std::string frac = s.substr(dot + 1, 3);
        while (frac.size() < 3) frac += '0';
        ms += std::stoi(frac);
    }
    return ms;
}

struct Pending {
    FlowRecord r;
    bool has_addr = false;
    std::optional<std::uint64_t> start_up, end_up;
    std::optional<std::int64_t> sysinit;
    std::optional<std::uint64_t> start_delta_us, end_delta_us;
};

}  // namespace

core::FieldSet ipfixdump_carried() {
    return {Field::src, Field::dst, Field::sport, Field::dport, Field::proto, Field::tos, Field::tcp_flags, Field::packets,
            Field::bytes, Field::first_ms, Field::last_ms, Field::in_if, Field::out_if, Field::src_as, Field::dst_as,
            Field::src_mask, Field::dst_mask, Field::next_hop, Field::icmp_type, Field::icmp_code, Field::end_reason,
            Field::domain, Field::sequence, Field::template_id, Field::export_ms, Field::version};
}

std::vector<FlowRecord> read_ipfixdump(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw IoError("cannot read " + path);
    std::vector<FlowRecord> out;
    std::map<std::uint32_t, std::int64_t> sysinit_by_domain;
    std::uint32_t domain = 0, sequence = 0;
    std::int64_t export_ms = 0;
    std::optional<Pending> cur;
    std::string line;
    std::uint64_t lineno = 0;
    auto flush = [&] {
        if (!cur) return;
        Pending& p = *cur;
        if (p.sysinit) sysinit_by_domain[domain] = *p.sysinit;
        if (p.has_addr) {
            std::optional<std::int64_t> base = p.sysinit;
            if (!base) {
                auto it = sysinit_by_domain.find(domain);
                if (it != sysinit_by_domain.end()) base = it->second;
            }
            if (base && p.start_up) {
                p.r.first_ms = *base + static_cast<std::int64_t>(*p.start_up);
                p.r.present.set(Field::first_ms);
            }
            if (base && p.end_up) {
                p.r.last_ms = *base + static_cast<std::int64_t>(*p.end_up);
                p.r.present.set(Field::last_ms);
            }
            if (p.start_delta_us) {
                p.r.first_ms = export_ms - static_cast<std::int64_t>(*p.start_delta_us / 1000);
                p.r.present.set(Field::first_ms);
            }
            if (p.end_delta_us) {
                p.r.last_ms = export_ms - static_cast<std::int64_t>(*p.end_delta_us / 1000);
                p.r.present.set(Field::last_ms);
            }
            p.r.set_number(Field::domain, domain);
            p.r.set_number(Field::sequence, sequence);
            p.r.set_number(Field::version, 10);
            p.r.export_ms = export_ms;
            p.r.present.set(Field::export_ms);
            out.push_back(p.r);
        }
        cur.reset();
    };
    while (std::getline(in, line)) {
        ++lineno;
        if (line.rfind("--- ", 0) == 0) {
            flush();
            if (line.find("data record") != std::string::npos) cur.emplace();
            continue;
        }
        if (line.rfind("export time:", 0) == 0) {
            const auto tab = line.find('\t');
            if (auto t = parse_time_ms(line.substr(13, tab == std::string::npos ? std::string::npos : tab - 13))) export_ms = *t;
            const auto od = line.find("observation domain id:");
            if (od != std::string::npos) domain = static_cast<std::uint32_t>(std::stoul(line.substr(od + 22)));
            continue;
        }
        if (line.find("sequence number:") != std::string::npos) {
            sequence = static_cast<std::uint32_t>(std::stoul(line.substr(line.find("sequence number:") + 16)));
            continue;
        }
        if (!cur) continue;
        const auto tid = line.find("tid:");
        if (tid != std::string::npos) {
            cur->r.set_number(Field::template_id, std::stoul(line.substr(tid + 4)));
            continue;
        }
        // "\t(8)       sourceIPv4Address : 192.0.2.10"
        const auto open = line.find('(');
        const auto close = line.find(')');
        const auto colon = line.find(" : ");
        if (open == std::string::npos || close == std::string::npos || colon == std::string::npos || close > colon) continue;
        const std::string idtext = line.substr(open + 1, close - open - 1);
        if (idtext.find('/') != std::string::npos) continue;  // enterprise element
        std::uint16_t id = 0;
        try {
            id = static_cast<std::uint16_t>(std::stoul(idtext));
        } catch (const std::exception&) {
            throw InputError(path, InputError::Place{std::nullopt, lineno, std::nullopt}, "expected \"(ID) name : value\"");
        }
        const std::string v = line.substr(colon + 3);
        FlowRecord& r = cur->r;
        auto num = [&]() -> std::uint64_t {
            try {
                return std::stoull(v);
            } catch (const std::exception&) {
                throw InputError(path, InputError::Place{std::nullopt, lineno, std::nullopt}, "expected a number, got '" + v + "'");
            }
        };
        auto addr = [&](Field f) {
            if (auto a = core::IpAddress::parse(v)) {
                r.set_address(f, *a);
                if (f == Field::src || f == Field::dst) cur->has_addr = true;
            }
        };
        auto time = [&](Field f) {
            if (auto t = parse_time_ms(v)) {
                (f == Field::first_ms ? r.first_ms : r.last_ms) = *t;
                r.present.set(f);
            }
        };
        switch (id) {
            case 8: case 27: addr(Field::src); break;
            case 12: case 28: addr(Field::dst); break;
            case 15: case 62: addr(Field::next_hop); break;
            case 7: r.set_number(Field::sport, num()); break;
            case 11: r.set_number(Field::dport, num()); break;
            case 4: r.set_number(Field::proto, num()); break;
            case 5: r.set_number(Field::tos, num()); break;
            case 6: r.set_number(Field::tcp_flags, num()); break;
            case 2: r.set_number(Field::packets, num()); break;
            case 1: r.set_number(Field::bytes, num()); break;
            case 10: r.set_number(Field::in_if, num()); break;
            case 14: r.set_number(Field::out_if, num()); break;
            case 16: r.set_number(Field::src_as, num()); break;
            case 17: r.set_number(Field::dst_as, num()); break;
            case 9: case 29: r.set_number(Field::src_mask, num()); break;
            case 13: case 30: r.set_number(Field::dst_mask, num()); break;
            case 136: r.set_number(Field::end_reason, num()); break;
            case 32: case 139: {
                const auto tc = num();
                r.set_number(Field::icmp_type, tc >> 8);
                r.set_number(Field::icmp_code, tc & 0xFF);
                break;
            }
            case 150: case 152: case 154: case 156: time(Field::first_ms); break;
            case 151: case 153: case 155: case 157: time(Field::last_ms); break;
            case 22: cur->start_up = num(); break;
            case 21: cur->end_up = num(); break;
            case 160: cur->sysinit = parse_time_ms(v); break;
            case 158: cur->start_delta_us = num(); break;
            case 159: cur->end_delta_us = num(); break;
            default: break;
        }
    }
    flush();
    return out;
}

}  // namespace flowlab::harness

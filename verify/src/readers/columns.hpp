/// @brief Collector-output readers as tables: each tool's column or key names mapped to a field
/// of the shared vocabulary and to the way its text is written, and one function that parses,
/// range-checks and stores a value for all of them.
///
/// A reader is then its table plus what is truly its own (nfdump's address words, goflow2's
/// time resolutions, tshark's uptime-relative times). Every value that reaches a FlowRecord
/// passes set_checked, so a port of 70000 or a mask of 200 is bad input (exit 2) whichever tool
/// wrote it, never an "altered" record.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "flowlab/core/flow_record.hpp"

namespace flowlab::verify::detail {

/// How a tool writes a value.
enum class Syntax : std::uint8_t {
    uint,              ///< decimal
    uint_or_hex,       ///< decimal or 0x-prefixed hexadecimal (tshark)
    address,           ///< IPv4 or IPv6 text
    address_or_empty,  ///< pmacct prints "" for an address it does not have: absent
    protocol,          ///< number or name (TCP, udp, ICMP6, ...)
    nfdump_flags,      ///< "...AP.SF" or a number
    datetime,          ///< YYYY-MM-DD[T ]HH:MM:SS[.frac] in UTC
    seconds,           ///< epoch seconds[.fraction]
    seconds_or_datetime,
    tshark_time,       ///< "Nov 14, 2023 22:13:20.123000000 UTC"
};

struct Column {
    core::Field field;
    Syntax syntax;
};

/// Name -> Column, built once per reader type.
class ColumnTable {
public:
    ColumnTable() = default;
    ColumnTable(std::initializer_list<std::pair<std::string_view, Column>> rows) : map_(rows.begin(), rows.end()) {}
    void add(std::string_view name, Column c) { map_.emplace(name, c); }
    const Column* find(std::string_view name) const noexcept {
        const auto it = map_.find(name);
        return it == map_.end() ? nullptr : &it->second;
    }

private:
    std::unordered_map<std::string_view, Column> map_;
};

/// A member a flow object reader takes: a column of its table, or one of the reader's own keys
/// (`own` says which, from 1).
struct JsonMember {
    const Column* column = nullptr;
    int own = 0;
    explicit operator bool() const noexcept { return column || own; }
};

/// A headed CSV's columns (nfdump -o csv, pmacct's CSV): the header's names looked up once in the
/// reader's table, then each row split and applied by them.
class CsvColumns {
public:
    /// The most columns a header may have.
    static constexpr std::size_t kMaxColumns = 256;
    /// Takes the header line; returns what is wrong with it (too many columns).
    std::optional<std::string> set_header(std::string_view header, const ColumnTable& table);
    const std::string& header() const noexcept { return header_; }
    std::size_t size() const noexcept { return columns_.size(); }
    std::string_view name(std::size_t i) const noexcept { return names_[i]; }
    /// Resets r, then splits `line` and applies each column the table knows. Returns what is
    /// wrong: a row whose cell count is not the header's, or a column's bad value.
    std::optional<std::string> apply(std::string_view line, core::FlowRecord& r);

private:
    std::string header_;
    std::vector<std::string_view> names_;  ///< views into header_
    std::vector<const Column*> columns_;   ///< nullptr: a column flowlab does not read
    std::vector<std::string_view> cells_;
};

/// Latest flow time flowlab accepts from a collector: 9999-12-31T23:59:59.999Z.
inline constexpr std::int64_t kMaxTimeMs = 253402300799999;

/// A piece of bad input for a message: quoted, at most 60 characters, bytes outside printable
/// ASCII as \xNN (collector output may hold binary junk; it must not reach the terminal raw).
std::string excerpt(std::string_view text);

/// Stores v in field f if it is within the field's range (its width in FlowRecord, masks up to
/// 128, versions 5/9/10); otherwise leaves r alone and returns what is wrong.
std::optional<std::string> set_checked(core::FlowRecord& r, core::Field f, std::uint64_t v);
/// Stores a time (epoch ms) if it lies between 1970 and 9999; otherwise returns what is wrong.
std::optional<std::string> set_time_checked(core::FlowRecord& r, core::Field f, std::int64_t ms);

/// Parses text by the column's syntax and stores it. Returns the problem, phrased to follow
/// the name of the column or key ("'70000' is out of range for sport (0-65535)").
std::optional<std::string> apply_column(const Column& c, std::string_view text, core::FlowRecord& r);

}  // namespace flowlab::verify::detail

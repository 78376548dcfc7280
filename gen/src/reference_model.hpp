/// @brief The reference model of what a correct decoder outputs after faults, and the
/// message-level faults themselves, shared by export scripts (conformance cases) and by
/// `gen`'s fault stream.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "flowlab/gen/export_script.hpp"

namespace flowlab::gen::detail {

/// Judges messages one at a time, in sending order, keeping the decoder state a correct
/// decoder keeps (templates per session, systemInitTimeMilliseconds): sets each record's
/// `expect` from the RFC rules listed in export_script.hpp.
class ReferenceModel {
public:
    /// `layouts`: template name -> a number that differs between different layouts (data that
    /// arrives under a redefined template has no truth). `file` names the case in errors.
    ReferenceModel(core::Protocol p, Transport t, std::string file, std::map<std::string, std::uint64_t> layouts = {});
    /// Adds or replaces one template's layout number.
    void layout(const std::string& name, std::uint64_t id) { layouts_[name] = id; }
    /// Throws ConfigError when data arrives under a template redefined with another layout.
    void judge(ScriptMessage& m);
    /// Names interfaces and VRFs in the truth only from the tables a decoder received
    /// (SetInfo::interface_names, vrf_names), replacing the names the records came with.
    void track_names() { track_names_ = true; }
    /// Gives records that take their sampling rate from options data (SetInfo::rate_from_options)
    /// a rate only once the session received sampling options; the exporter's sampler is
    /// fixed for the run, so the rate a decoder learns is the one the records came with.
    void track_sampling() { track_sampling_ = true; }
    /// Learns systemInitTimeMilliseconds (SetInfo::system_init_ms) only from options data a
    /// decoder received (kept, not data it may lose for want of its template); without it,
    /// from any options data not discarded.
    void track_system_init() { track_system_init_ = true; }
    /// The template name a session defines for `id` now (UDP: connection 0), or null.
    const std::string* defined(const core::IpAddress& exporter, std::uint16_t port, std::uint32_t domain,
                               std::uint16_t id) const;

private:
    struct SessionKey {
        core::IpAddress exporter;
        std::uint16_t port;
        std::uint32_t domain;
        std::uint32_t connection;
        auto operator<=>(const SessionKey&) const = default;
    };
    core::Protocol protocol_;
    Transport transport_;
    std::string file_;
    std::map<std::string, std::uint64_t> layouts_;
    /// Session -> template id -> template name (layout) currently defined.
    std::map<SessionKey, std::map<std::uint16_t, std::string>> state_;
    std::map<SessionKey, std::int64_t> system_init_;
    bool track_names_ = false;
    bool track_sampling_ = false;
    bool track_system_init_ = false;
    std::set<SessionKey> sampling_known_;
    struct Names {
        std::map<std::uint32_t, std::string_view> interfaces, vrfs;
    };
    std::map<SessionKey, Names> names_;
    static void name_record(const Names& n, core::FlowRecord& r);
};

/// Header offset of the sequence number (v5 16, v9 12, IPFIX 8).
std::size_t sequence_offset(core::Protocol p) noexcept;
/// Cuts `n` bytes (0 < n < size) from the end and marks what a decoder can no longer use.
void truncate_message(ScriptMessage& m, core::Protocol p, std::size_t n);
/// IPFIX: writes `v` into the header's length; a length that disagrees with the datagram
/// makes the message malformed (RFC 7011 9.1).
void set_message_length(ScriptMessage& m, std::uint16_t v);
/// Writes `v` into the length field of set `s` (below 4, or past the message end): the set is
/// broken; an IPFIX message with it is malformed (RFC 7011 9.1).
void set_set_length(ScriptMessage& m, core::Protocol p, SetInfo& s, std::uint16_t v);
/// Appends `n` zero bytes of padding to set `index` (RFC 7011 3.3.1, RFC 3954 5.3); the sets
/// after it move, an IPFIX header length follows.
void pad_set(ScriptMessage& m, core::Protocol p, std::size_t index, std::size_t n);
/// Writes `v` as the field count of the first record of template set `s`: a count its set
/// cannot hold breaks the set; an IPFIX message with it is malformed (RFC 7011 9.1).
void set_field_count(ScriptMessage& m, core::Protocol p, SetInfo& s, std::uint16_t v);
/// Makes every record of options template set `s` declare no scope (IPFIX: scope field count
/// 0; v9: scope length 0, its fields counted in the option length, so the record keeps its
/// extent). RFC 7011 3.4.2.2 says the count MUST NOT be zero: such a template cannot be used,
/// and a decoder keeps what it held for the id. RFC 3954 6.1 has no rule for a scope length
/// of 0; the model reads it as IPFIX's, as flowlab's decoder does.
void set_scope_zero(ScriptMessage& m, core::Protocol p, SetInfo& s);
/// Writes `v` as the header's sequence number and into every record's truth.
void set_sequence(ScriptMessage& m, core::Protocol p, std::uint32_t v);

}  // namespace flowlab::gen::detail

/// @brief Decoding NetFlow v5, v9 and IPFIX messages into flow records.
///
/// The decoder is written for untrusted input: it never reads outside the datagram, never
/// throws for anything in the bytes, and turns every malformation into a counted DecodeError
/// with the packet number and byte offset, then goes on. Policy follows nfcapd and nfacctd:
/// a v5 packet whose count does not fit its length is rejected whole; an IPFIX message whose
/// header or set lengths lie is discarded whole (RFC 7011 9.1); in v9 (RFC 3954 has no such
/// rule) a flowset whose length lies ends the packet and the sets before it still decode.
/// Template withdrawals count only for messages from a stream (RFC 7011 8.4: ignored over UDP).
///
/// Templates are scoped as RFC 7011 8 / RFC 3954 5 say: transport session (exporter address
/// and port) + observation domain / source id + template id. Data that arrives before its
/// template is counted, never guessed at.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/flow_record.hpp"
#include "flowlab/core/ie_catalog.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::core {

enum class DecodeErrorKind : std::uint8_t {
    unknown_version,     ///< first two bytes are not 5, 9 or 10
    truncated_header,    ///< datagram shorter than the message header
    v5_count,            ///< v5 count is 0, above 30, or needs more bytes than the datagram has
    message_length,      ///< IPFIX header length disagrees with the datagram
    set_length,          ///< set/flowset length below 4 or past the end of the message
    bad_template,        ///< template record that cannot be used (see the message)
    short_set,           ///< data set holds bytes but less than one record
    bad_varlen,          ///< variable-length field runs past the end of its set
    field_length,        ///< known element sent in a length its type does not allow
    count_mismatch,      ///< v9 header count disagrees with the records found (records kept)
    trailing_bytes,      ///< bytes after the last v5 record or the last set
};
inline constexpr std::size_t kDecodeErrorKinds = static_cast<std::size_t>(DecodeErrorKind::trailing_bytes) + 1;
std::string_view decode_error_name(DecodeErrorKind k) noexcept;

struct DecodeError {
    DecodeErrorKind kind;
    std::uint64_t packet = 0;  ///< 1-based packet number given to decode()
    std::size_t offset = 0;    ///< byte offset within the UDP payload
    std::string message;
};

struct DecodeStats {
    std::uint64_t packets = 0;
    std::array<std::uint64_t, 3> messages{};  ///< by protocol: v5, v9, IPFIX
    std::uint64_t records = 0;                ///< flow records produced
    std::uint64_t templates = 0;              ///< template records accepted (incl. refreshes)
    std::uint64_t options_templates = 0;
    std::uint64_t template_withdrawals = 0;
    std::uint64_t withdrawals_ignored = 0;    ///< of those, received in UDP datagrams (RFC 7011 8.4)
    std::uint64_t options_records = 0;        ///< options data records consumed
    std::uint64_t sets_without_template = 0;  ///< data sets whose template was not (yet) known
    std::uint64_t bytes_without_template = 0;
    std::uint64_t unknown_fields = 0;         ///< field values of elements not in the registry (kept raw)
    std::uint64_t enterprise_fields = 0;      ///< enterprise-specific field values
    std::uint64_t unknown_sets = 0;           ///< sets with a reserved id (v9 2-255, IPFIX 4-255), skipped
    std::uint64_t unresolved_times = 0;       ///< records with uptime-relative times and no base to resolve them
    std::uint64_t sequence_gaps = 0;          ///< times a session's sequence jumped forward
    std::uint64_t sequence_missing = 0;       ///< units (v5/IPFIX records, v9 packets) skipped by those jumps
    std::uint64_t sequence_backwards = 0;     ///< times a sequence went back (reordering, restart)
    std::uint64_t sampling_from_record = 0;   ///< records whose own fields gave the sampling rate
    std::uint64_t sampling_from_named = 0;    ///< rate from the options sampler/selector the record names
    std::uint64_t sampling_from_only = 0;     ///< rate from the domain's only sampler
    std::uint64_t sampling_from_header = 0;   ///< rate from the v5 header
    std::uint64_t sampling_unknown_id = 0;    ///< named a sampler no options record gave a rate for
    std::uint64_t sampling_none = 0;          ///< no sampling information at all
    std::array<std::uint64_t, kDecodeErrorKinds> errors{};
    std::uint64_t error_total() const noexcept;
};

/// The field layout of a template as the decoder read it: specs and their registry entries.
struct ElementLayout {
    Protocol protocol = Protocol::ipfix;
    std::uint16_t template_id = 0;
    std::uint16_t scope_count = 0;  ///< options templates: leading scope fields
    std::vector<FieldSpec> specs;
    std::vector<const IeInfo*> infos;  ///< null: not in the registry (or a v9 scope type)
    /// The template carries a NetScaler AppFlow element (PEN 5951): its flowStart/End-
    /// Microseconds count microseconds below the second, not 2^-32 (see element_text).
    bool netscaler_micro = false;
};

/// Where one decoded record's bytes sit, for writers that show every element (JSON lines,
/// --options). Valid until the next call to Decoder::decode().
struct RecordView {
    const ElementLayout* layout = nullptr;
    std::span<const std::uint8_t> bytes;
};

/// Calls f(index, spec, info, value) for every field of the record, in template order
/// (repeated elements once per occurrence).
template <class F>
void for_each_element(const RecordView& v, F&& f) {
    if (!v.layout) return;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < v.layout->specs.size(); ++i) {
        const FieldSpec& spec = v.layout->specs[i];
        std::size_t len = spec.length;
        if (!read_field_extent(v.bytes, spec.length == kVariableLength, pos, len)) return;
        f(i, spec, v.layout->infos[i], v.bytes.subspan(pos, len));
        pos += len;
    }
}

/// An options data record and the message it came in (decode --options).
struct OptionsRecordView {
    RecordView record;
    IpAddress exporter;
    std::uint32_t domain = 0;
    std::uint32_t sequence = 0;
    std::int64_t export_ms = 0;
};

/// One UDP datagram carrying an export, as the pcap reader or a socket delivers it.
struct ExportDatagram {
    std::span<const std::uint8_t> payload;
    IpAddress exporter;
    std::uint16_t exporter_port = 0;
    std::uint64_t packet_number = 0;  ///< for error messages; 1-based
    /// The message came from a TCP/SCTP stream or a file rather than a UDP datagram: template
    /// withdrawals apply (over UDP they are ignored, RFC 7011 8.4).
    bool stream = false;
};

/// Where a data record's fields sit in a message, for tools that rewrite messages in place
/// (replay --rebase-time). `offset` is relative to the start of the payload.
struct FieldLocation {
    const FieldSpec* spec;
    std::size_t offset;
    std::size_t length;
};

class DecodeVisitor {
public:
    virtual ~DecodeVisitor() = default;
    /// Called once per message after its header was read.
    virtual void on_header(Protocol, std::span<std::uint8_t> header) { (void)header; }
    /// Called for each data record (flow or options) with the location of every field.
    virtual void on_data_record(const Template&, std::span<const FieldLocation> fields) { (void)fields; }
};

struct DecoderOptions {
    bool keep_extra = false;           ///< keep unmodelled fields in FlowRecord::extra
    std::size_t max_error_messages = 100;  ///< described errors kept; all are counted
    const Registry* registry = nullptr;    ///< null: Registry::standard()
};

class Decoder {
public:
    explicit Decoder(DecoderOptions options = {});
    ~Decoder();
    Decoder(Decoder&&) noexcept;
    Decoder& operator=(Decoder&&) noexcept;

    /// Decodes one datagram, appending its flow records to `out`. Returns the number appended.
    /// With `views`, also appends where each record's bytes are (one per record), valid until
    /// the next decode().
    std::size_t decode(const ExportDatagram& d, std::vector<FlowRecord>& out, std::vector<RecordView>* views = nullptr);
    /// Every options data record decoded from now on is also shown to `sink`.
    void set_options_sink(std::function<void(const OptionsRecordView&)> sink);
    /// Walks one datagram, keeping templates as decode() does, and reports field locations to
    /// `visitor` instead of producing records. The payload is mutable so visitors may rewrite it.
    void visit(std::span<std::uint8_t> payload, const IpAddress& exporter, std::uint16_t port,
               std::uint64_t packet_number, DecodeVisitor& visitor);

    const DecodeStats& stats() const noexcept;
    /// The first max_error_messages described errors, in the order found.
    const std::vector<DecodeError>& errors() const noexcept;
    /// One line: packets, records, templates, errors by kind.
    std::string summary() const;
    /// Lines about what the options tables resolved: sampling per exporter/domain/template
    /// (which records had none), interface and VRF names, exporter statistics (40-42, 163-168,
    /// any totalCounter element in options data). Empty when there is nothing to say.
    std::vector<std::string> options_report() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowlab::core

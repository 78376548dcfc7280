/// @brief Decoding NetFlow v5, v9 and IPFIX messages into flow records.
///
/// The decoder is written for untrusted input: it never reads outside the datagram, never
/// throws for anything in the bytes, and turns every malformation into a counted DecodeError
/// with the packet number and byte offset, then goes on. Policy follows nfcapd and nfacctd:
/// a v5 packet whose count does not fit its length is rejected whole; in v9/IPFIX a set
/// whose length lies is rejected while the well-formed sets of the same message still decode.
///
/// Templates are scoped as RFC 7011 8 / RFC 3954 5 say: transport session (exporter address
/// and port) + observation domain / source id + template id. Data that arrives before its
/// template is counted, never guessed at.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flowlab/core/flow_record.hpp"
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
    std::uint64_t options_records = 0;        ///< options data records consumed
    std::uint64_t sets_without_template = 0;  ///< data sets whose template was not (yet) known
    std::uint64_t bytes_without_template = 0;
    std::uint64_t unknown_fields = 0;         ///< IANA fields not in the catalog, skipped
    std::uint64_t enterprise_fields = 0;      ///< enterprise-specific fields, skipped
    std::uint64_t unknown_sets = 0;           ///< sets with a reserved id (v9 2-255, IPFIX 4-255), skipped
    std::uint64_t unresolved_times = 0;       ///< records with uptime-relative times and no base to resolve them
    std::uint64_t sequence_gaps = 0;          ///< times a session's sequence jumped forward
    std::uint64_t sequence_missing = 0;       ///< units (v5/IPFIX records, v9 packets) skipped by those jumps
    std::uint64_t sequence_backwards = 0;     ///< times a sequence went back (reordering, restart)
    std::array<std::uint64_t, kDecodeErrorKinds> errors{};
    std::uint64_t error_total() const noexcept;
};

/// One UDP datagram carrying an export, as the pcap reader or a socket delivers it.
struct ExportDatagram {
    std::span<const std::uint8_t> payload;
    IpAddress exporter;
    std::uint16_t exporter_port = 0;
    std::uint64_t packet_number = 0;  ///< for error messages; 1-based
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
};

class Decoder {
public:
    explicit Decoder(DecoderOptions options = {});
    ~Decoder();
    Decoder(Decoder&&) noexcept;
    Decoder& operator=(Decoder&&) noexcept;

    /// Decodes one datagram, appending its flow records to `out`. Returns the number appended.
    std::size_t decode(const ExportDatagram& d, std::vector<FlowRecord>& out);
    /// Walks one datagram, keeping templates as decode() does, and reports field locations to
    /// `visitor` instead of producing records. The payload is mutable so visitors may rewrite it.
    void visit(std::span<std::uint8_t> payload, const IpAddress& exporter, std::uint16_t port,
               std::uint64_t packet_number, DecodeVisitor& visitor);

    const DecodeStats& stats() const noexcept;
    /// The first max_error_messages described errors, in the order found.
    const std::vector<DecodeError>& errors() const noexcept;
    /// One line: packets, records, templates, errors by kind.
    std::string summary() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowlab::core

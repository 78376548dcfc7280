/// @brief What every writer of v9/IPFIX messages shares beyond ByteWriter: the field specifiers
/// of a template record and the length prefix of a variable-length field. core's encoder and
/// gen's export scripts (which write faulty messages on purpose) both write through these.
#pragma once

#include <cstddef>
#include <cstdint>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/template.hpp"

namespace flowlab::core {

/// Writes the length prefix of an IPFIX variable-length field (RFC 7011 7) at `p`: one byte below
/// 255, else 255 and two bytes; `long_form` asks for the three-byte form at any length (an
/// exporter may use it, and decoders must accept it). `length` must be at most 65535. Returns the
/// bytes written, 1 or 3: the inverse of byte_io's read_field_extent.
constexpr std::size_t store_field_length_prefix(std::uint8_t* p, std::size_t length, bool long_form = false) noexcept {
    if (length < 255 && !long_form) {
        p[0] = static_cast<std::uint8_t>(length);
        return 1;
    }
    p[0] = 255;
    store_be16(p + 1, static_cast<std::uint16_t>(length));
    return 3;
}

/// Writes one field specifier of a template record (RFC 7011 3.2, RFC 3954 5.2): id and length,
/// and for an enterprise element in IPFIX the enterprise bit and number. NetFlow v9 has no
/// enterprise form, so without `ipfix` only the id and length are written.
inline void write_field_specifier(ByteWriter& w, const FieldSpec& f, bool ipfix) {
    if (ipfix && f.enterprise) {
        w.u16(static_cast<std::uint16_t>(f.id | 0x8000));
        w.u16(f.length);
        w.u32(f.enterprise);
    } else {
        w.u16(f.id);
        w.u16(f.length);
    }
}

}  // namespace flowlab::core

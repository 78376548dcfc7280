/// @brief Bounds-checked big-endian byte access: the only way flowlab reads untrusted bytes.
///
/// ByteReader never throws and never reads past its span: every read either succeeds or
/// returns false and leaves the position unchanged, so a decoder can report the exact offset
/// of the field that did not fit. The load_be*/store_be* helpers are for inner loops that have
/// already checked the whole extent (a template record of known length).
///
/// Nothing else in flowlab assembles or splits wire or file bytes by shifting (a SourceRules
/// test holds to that), so every byte-order decision is here. The exceptions are the sockaddr
/// fields handed to the socket API (htons, which is that API's own contract) and shifts of
/// host-order integers that are not bytes of a message (ICMP type << 8 | code, hash keys).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <vector>

namespace flowlab::core {

/// Sees every byte a writer puts into its file, in order (for hashing output as it is made).
using ByteTap = std::function<void(std::span<const std::uint8_t>)>;

constexpr std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
constexpr std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
constexpr std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
/// Unsigned big-endian integer of 1..8 bytes (IPFIX reduced-size encoding, RFC 7011 6.2).
constexpr std::uint64_t load_be_n(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
}
/// Little-endian, for the few file fields written in the writer's host order (pcap's DLT_NULL
/// family, a pcap header from a little-endian machine).
constexpr std::uint32_t load_le32(const std::uint8_t* p) noexcept {
    return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
}
constexpr void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
constexpr void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}
constexpr void store_be64(std::uint8_t* p, std::uint64_t v) noexcept {
    store_be32(p, static_cast<std::uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<std::uint32_t>(v));
}
/// Low n bytes of v, big-endian (n in 1..8).
constexpr void store_be_n(std::uint8_t* p, std::uint64_t v, std::size_t n) noexcept {
    for (std::size_t i = n; i-- > 0;) {
        p[i] = static_cast<std::uint8_t>(v);
        v >>= 8;
    }
}

/// The next field of an IPFIX data record, starting at `pos` in `record`: `length` bytes, or when
/// `variable`, as many as its length prefix says (RFC 7011 7: one byte, or 255 and then two
/// bytes). On success `pos` is where the value starts and `length` its length (the field ends at
/// pos + length). Returns false, changing neither, when the prefix or the value would run past
/// the end of `record`: callers report that as a record that does not fit.
constexpr bool read_field_extent(std::span<const std::uint8_t> record, bool variable, std::size_t& pos,
                                 std::size_t& length) noexcept {
    std::size_t at = pos;
    std::size_t n = length;
    if (variable) {
        if (at + 1 > record.size()) return false;
        n = record[at++];
        if (n == 255) {
            if (at + 2 > record.size()) return false;
            n = load_be16(record.data() + at);
            at += 2;
        }
    }
    if (at + n > record.size()) return false;
    pos = at;
    length = n;
    return true;
}

class ByteReader {
public:
    ByteReader() = default;
    /// `base` is the offset of data[0] within the enclosing unit (e.g. the UDP payload), so
    /// offset() reports positions a user can find in a hex dump.
    explicit ByteReader(std::span<const std::uint8_t> data, std::size_t base = 0) noexcept
        : data_(data), base_(base) {}

    std::size_t offset() const noexcept { return base_ + pos_; }
    std::size_t position() const noexcept { return pos_; }
    std::size_t remaining() const noexcept { return data_.size() - pos_; }
    bool empty() const noexcept { return pos_ == data_.size(); }
    bool can_read(std::size_t n) const noexcept { return n <= remaining(); }
    const std::uint8_t* cursor() const noexcept { return data_.data() + pos_; }

    bool read_u8(std::uint8_t& v) noexcept {
        if (!can_read(1)) return false;
        v = data_[pos_++];
        return true;
    }
    bool read_u16(std::uint16_t& v) noexcept {
        if (!can_read(2)) return false;
        v = load_be16(cursor());
        pos_ += 2;
        return true;
    }
    bool read_u32(std::uint32_t& v) noexcept {
        if (!can_read(4)) return false;
        v = load_be32(cursor());
        pos_ += 4;
        return true;
    }
    bool read_u64(std::uint64_t& v) noexcept {
        if (!can_read(8)) return false;
        v = load_be64(cursor());
        pos_ += 8;
        return true;
    }
    bool skip(std::size_t n) noexcept {
        if (!can_read(n)) return false;
        pos_ += n;
        return true;
    }
    /// A reader over the next n bytes (offsets stay absolute); advances this reader past them.
    bool take(std::size_t n, ByteReader& out) noexcept {
        if (!can_read(n)) return false;
        out = ByteReader(data_.subspan(pos_, n), base_ + pos_);
        pos_ += n;
        return true;
    }
    std::span<const std::uint8_t> rest() const noexcept { return data_.subspan(pos_); }

private:
    std::span<const std::uint8_t> data_{};
    std::size_t base_ = 0;
    std::size_t pos_ = 0;
};

/// Appends big-endian values to a byte vector; patch_* fill in lengths once they are known.
class ByteWriter {
public:
    explicit ByteWriter(std::vector<std::uint8_t>& out) noexcept : out_(out) {}
    std::size_t size() const noexcept { return out_.size(); }
    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v) {
        const std::size_t at = grow(2);
        store_be16(out_.data() + at, v);
    }
    void u32(std::uint32_t v) {
        const std::size_t at = grow(4);
        store_be32(out_.data() + at, v);
    }
    void u64(std::uint64_t v) {
        const std::size_t at = grow(8);
        store_be64(out_.data() + at, v);
    }
    void uint_n(std::uint64_t v, std::size_t n) {
        const std::size_t at = grow(n);
        store_be_n(out_.data() + at, v, n);
    }
    void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
    void zeros(std::size_t n) { out_.resize(out_.size() + n, 0); }
    void patch_u16(std::size_t at, std::uint16_t v) noexcept { store_be16(out_.data() + at, v); }
    void patch_u32(std::size_t at, std::uint32_t v) noexcept { store_be32(out_.data() + at, v); }
    /// Reserves n bytes and returns their offset, for writers that fill a record in place.
    std::size_t grow(std::size_t n) {
        const std::size_t at = out_.size();
        out_.resize(at + n);
        return at;
    }
    std::uint8_t* at(std::size_t offset) noexcept { return out_.data() + offset; }

private:
    std::vector<std::uint8_t>& out_;
};

}  // namespace flowlab::core

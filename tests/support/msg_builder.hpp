/// @brief Builders of raw NetFlow v9 / IPFIX messages for decoder tests, including broken ones
/// (in the spirit of ipfixcol2's MsgGen): lengths are filled in unless a test overrides them.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace flowlab::test {

class MsgBuilder {
public:
    static MsgBuilder ipfix(std::uint32_t domain, std::uint32_t sequence = 0, std::uint32_t export_secs = 1'700'000'000) {
        MsgBuilder b;
        b.version_ = 10;
        b.u16(10).u16(0).u32(export_secs).u32(sequence).u32(domain);
        return b;
    }
    static MsgBuilder v9(std::uint32_t source_id, std::uint32_t sequence = 0, std::uint32_t uptime_ms = 3'600'000,
                         std::uint32_t unix_secs = 1'700'000'000) {
        MsgBuilder b;
        b.version_ = 9;
        b.u16(9).u16(0).u32(uptime_ms).u32(unix_secs).u32(sequence).u32(source_id);
        return b;
    }

    MsgBuilder& u8(std::uint8_t v) {
        bytes_.push_back(v);
        return *this;
    }
    MsgBuilder& u16(std::uint16_t v) { return u8(static_cast<std::uint8_t>(v >> 8)).u8(static_cast<std::uint8_t>(v)); }
    MsgBuilder& u32(std::uint32_t v) { return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v)); }
    MsgBuilder& u64(std::uint64_t v) { return u32(static_cast<std::uint32_t>(v >> 32)).u32(static_cast<std::uint32_t>(v)); }
    MsgBuilder& raw(std::initializer_list<std::uint8_t> b) {
        bytes_.insert(bytes_.end(), b);
        return *this;
    }

    /// Opens a set; end_set() fills its length (or `length_override` if given).
    MsgBuilder& set(std::uint16_t id) {
        set_at_ = bytes_.size();
        return u16(id).u16(0);
    }
    MsgBuilder& end_set(int length_override = -1) {
        const std::size_t len = length_override >= 0 ? static_cast<std::size_t>(length_override) : bytes_.size() - set_at_;
        bytes_[set_at_ + 2] = static_cast<std::uint8_t>(len >> 8);
        bytes_[set_at_ + 3] = static_cast<std::uint8_t>(len);
        ++records_in_sets_;
        return *this;
    }
    /// A template record: id, field count, (id, length) pairs.
    MsgBuilder& template_record(std::uint16_t id, std::initializer_list<std::pair<std::uint16_t, std::uint16_t>> fields) {
        u16(id).u16(static_cast<std::uint16_t>(fields.size()));
        for (auto [ie, len] : fields) u16(ie).u16(len);
        ++count_;
        return *this;
    }
    /// Counts a data record for the v9 header count.
    MsgBuilder& record() {
        ++count_;
        return *this;
    }

    /// Fills the IPFIX length / v9 count unless overridden.
    std::vector<std::uint8_t> build(int header_override = -1) const {
        std::vector<std::uint8_t> out = bytes_;
        std::size_t v = header_override >= 0 ? static_cast<std::size_t>(header_override)
                                              : (version_ == 10 ? out.size() : count_);
        out[2] = static_cast<std::uint8_t>(v >> 8);
        out[3] = static_cast<std::uint8_t>(v);
        return out;
    }

private:
    std::vector<std::uint8_t> bytes_;
    std::size_t set_at_ = 0;
    std::size_t count_ = 0;
    std::size_t records_in_sets_ = 0;
    int version_ = 10;
};

}  // namespace flowlab::test

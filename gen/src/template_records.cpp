/// @brief One walker over the records of template and options template sets in a message.
#include "template_records.hpp"

#include <algorithm>

#include "flowlab/core/byte_io.hpp"

namespace flowlab::gen::detail {

using core::Protocol;

std::vector<TemplateRecord> template_records_of(const std::vector<std::uint8_t>& b, const SetInfo& s, Protocol p) {
    std::vector<TemplateRecord> out;
    const std::size_t end = s.offset + s.length;
    std::size_t q = s.offset + 4;
    while (q + 4 <= end) {
        TemplateRecord t;
        t.id = core::load_be16(b.data() + q);
        if (t.id < 256) break;  // padding
        t.offset = q;
        std::size_t fields = core::load_be16(b.data() + q + 2);
        std::size_t head = 4;
        if (s.kind == SetInfo::Kind::options_templates) {
            head = 6;
            if (p == Protocol::v9) fields = (fields + (q + 6 <= end ? core::load_be16(b.data() + q + 4) : 0)) / 4;
        }
        q += head;
        for (std::size_t i = 0; i < fields && q + 4 <= end; ++i) {
            core::FieldSpec f;
            f.id = core::load_be16(b.data() + q);
            f.length = core::load_be16(b.data() + q + 2);
            q += 4;
            if (p == Protocol::ipfix && (f.id & 0x8000) && q + 4 <= end) {
                f.id &= 0x7FFF;
                f.enterprise = core::load_be32(b.data() + q);
                q += 4;
            }
            if (s.kind == SetInfo::Kind::templates) t.fields.push_back(f);
        }
        t.length = std::min(q, end) - t.offset;
        out.push_back(std::move(t));
    }
    return out;
}

}  // namespace flowlab::gen::detail

/// @brief libFuzzer target for the decoder: one input is a sequence of datagrams, so template
/// state carries from one to the next as it does on a real collector socket.
///
/// Input framing: [u16 length][length bytes]... from up to three exporters (the low two bits
/// of the first length byte pick the exporter), each datagram both decoded and visited.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "flowlab/core/decoder.hpp"

namespace {

class CountingVisitor : public flowlab::core::DecodeVisitor {
public:
    void on_header(flowlab::core::Protocol, std::span<std::uint8_t> header) override {
        // Touch every byte the decoder hands out, so an out-of-bounds span is caught by ASan.
        for (auto b : header) sum_ += b;
    }
    void on_data_record(const flowlab::core::Template&, std::span<const flowlab::core::FieldLocation> fields) override {
        for (const auto& f : fields) sum_ += f.offset + f.length;
    }
    std::size_t sum_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace flowlab::core;
    Decoder decoder;
    Decoder walker;
    CountingVisitor visitor;
    std::vector<FlowRecord> out;
    std::uint64_t packet = 0;
    std::size_t pos = 0;
    while (pos + 2 <= size) {
        const std::size_t len = (std::size_t{data[pos]} << 8 | data[pos + 1]) & 0x3FFF;
        const auto exporter = IpAddress::v4(0xC0000201u + (data[pos] >> 6));
        pos += 2;
        const std::size_t n = len < size - pos ? len : size - pos;
        // A fresh exact-size allocation: ASan then flags any read one byte past the datagram.
        std::vector<std::uint8_t> copy(data + pos, data + pos + n);
        out.clear();
        decoder.decode(ExportDatagram{copy, exporter, 2055, ++packet}, out);
        walker.visit(copy, exporter, 2055, packet, visitor);
        pos += n;
    }
    (void)decoder.summary();
    return 0;
}

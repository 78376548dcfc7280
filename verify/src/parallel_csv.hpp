/// @brief flowlab CSV read with every core: blocks cut at line starts, parsed concurrently,
/// handed out in file order.
///
/// Verification of tens of millions of records is bound by parsing text; one thread parses
/// ~1M rows/s, so a regular file is cut into fixed-size blocks that worker threads parse while
/// the caller consumes earlier blocks (matching). Order is kept so that results, line numbers
/// and the first error reported do not depend on thread timing.
#pragma once

#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "flowlab/core/flow_record.hpp"
#include "readers/flowlab_csv.hpp"
#include "record_store.hpp"

namespace flowlab::verify::detail {

struct CsvBatch {
    std::vector<core::FlowRecord> records;      ///< Output::records
    std::vector<PackedRecord> packed;           ///< Output::packed (address ids of `addresses`)
    std::vector<std::uint64_t> hashes;          ///< per record, when a hasher was given
    AddressTable addresses;                     ///< the block's own interned addresses
    std::vector<std::uint32_t> line_in_block;  ///< per record: 0-based line within the block
    std::uint64_t lines = 0;                   ///< lines that start in the block (blank ones too)
    std::optional<std::uint64_t> error_line;   ///< 0-based line within the block
    std::string error;
};

class ParallelCsvReader {
public:
    /// What the workers produce: FlowRecords (to stream through a matcher) or PackedRecords
    /// (to be stored: packing then runs on the workers too).
    enum class Output { records, packed };
    /// Opens a flowlab CSV file for parallel reading; the workers start at once and parse up to
    /// `window` blocks ahead of the consumer (0: two per thread). Returns nullptr when that does not apply
    /// (standard input, not a regular file, small files): the caller then reads sequentially.
    /// Throws IoError if unreadable, InputError for a bad header.
    static std::unique_ptr<ParallelCsvReader> open(const std::string& path, unsigned threads,
                                                   Output output = Output::records,
                                                   std::uint64_t min_size = 8u << 20,
                                                   std::size_t block_size = 8u << 20, std::size_t window = 0,
                                                   std::function<std::uint64_t(const core::FlowRecord&)> hasher = {});
    ~ParallelCsvReader();
    ParallelCsvReader(const ParallelCsvReader&) = delete;
    ParallelCsvReader& operator=(const ParallelCsvReader&) = delete;

    /// The next block's records in file order; false at the end. `first_line` receives the
    /// 1-based line number of the block's first line. Throws InputError (file, line) for the
    /// first malformed line in file order.
    bool next(CsvBatch& batch, std::uint64_t& first_line);
    std::uint64_t file_size() const noexcept { return size_; }
    std::size_t block_size() const noexcept { return block_; }

private:
    ParallelCsvReader() = default;
    void work();
    void parse_block(std::uint64_t k, CsvBatch& out, std::vector<char>& buf);

    std::string path_;
    int fd_ = -1;
    std::uint64_t size_ = 0, data_start_ = 0, header_lines_ = 0;
    std::size_t block_ = 0;
    Output output_ = Output::records;
    std::function<std::uint64_t(const core::FlowRecord&)> hasher_;
    std::uint64_t nblocks_ = 0;
    FlowlabColumns columns_;

    std::mutex mu_;
    std::condition_variable cv_work_, cv_ready_;
    std::uint64_t next_block_ = 0, consumed_ = 0, window_ = 0;
    bool stop_ = false;
    std::map<std::uint64_t, CsvBatch> ready_;
    std::vector<CsvBatch> pool_;  ///< consumed batches, kept for their capacity (no page faults per block)
    std::exception_ptr worker_error_;
    std::vector<std::thread> workers_;
    std::uint64_t line_ = 0;
};

}  // namespace flowlab::verify::detail

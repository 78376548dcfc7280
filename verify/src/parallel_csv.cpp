/// @brief ParallelCsvReader: pread blocks, worker threads, ordered hand-out.
#include "parallel_csv.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "flowlab/core/error.hpp"
#include "input_stream.hpp"
#include "readers/flowlab_csv.hpp"

namespace flowlab::verify::detail {

static std::size_t pread_full(int fd, char* out, std::size_t n, std::uint64_t off, const std::string& path) {
    std::size_t got = 0;
    while (got < n) {
        const ssize_t r = ::pread(fd, out + got, n - got, static_cast<off_t>(off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw IoError(path + ": read failed: " + std::strerror(errno));
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return got;
}

std::unique_ptr<ParallelCsvReader> ParallelCsvReader::open(const std::string& path, unsigned threads, Output output,
                                                           std::uint64_t min_size, std::size_t block_size,
                                                           std::size_t window,
                                                           std::function<std::uint64_t(const core::FlowRecord&)> hasher) {
    if (path == "-" || threads < 2) return nullptr;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || static_cast<std::uint64_t>(st.st_size) < min_size)
        return nullptr;
    std::unique_ptr<ParallelCsvReader> r(new ParallelCsvReader());
    r->path_ = path;
    r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (r->fd_ < 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
    r->size_ = static_cast<std::uint64_t>(st.st_size);
    r->block_ = block_size;
    r->output_ = output;
    r->hasher_ = std::move(hasher);

    // Header: the first non-blank line.
    std::vector<char> head(std::min<std::uint64_t>(r->size_, 1u << 20));
    const std::size_t n = pread_full(r->fd_, head.data(), head.size(), 0, path);
    std::size_t pos = 0;
    std::uint64_t line = 0;
    while (true) {
        const char* nl = static_cast<const char*>(std::memchr(head.data() + pos, '\n', n - pos));
        if (!nl) throw InputError(path, line_place(line + 1), "no complete header line in the first megabyte");
        std::string_view l(head.data() + pos, static_cast<std::size_t>(nl - head.data()) - pos);
        ++line;
        pos = static_cast<std::size_t>(nl - head.data()) + 1;
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l.empty()) continue;
        r->columns_ = parse_flowlab_header(l, path, line);
        break;
    }
    r->data_start_ = pos;
    r->header_lines_ = line;
    r->line_ = line + 1;
    r->nblocks_ = (r->size_ - r->data_start_ + block_size - 1) / block_size;
    r->window_ = window ? window : std::max<std::uint64_t>(4, 2ull * threads);
    for (unsigned i = 0; i < threads; ++i) r->workers_.emplace_back([p = r.get()] { p->work(); });
    return r;
}

ParallelCsvReader::~ParallelCsvReader() {
    {
        std::lock_guard<std::mutex> g(mu_);
        stop_ = true;
    }
    cv_work_.notify_all();
    for (auto& t : workers_) t.join();
    if (fd_ >= 0) ::close(fd_);
}

void ParallelCsvReader::work() {
    std::vector<char> buf;
    while (true) {
        std::uint64_t k;
        {
            std::unique_lock<std::mutex> g(mu_);
            cv_work_.wait(g, [&] { return stop_ || next_block_ >= nblocks_ || next_block_ < consumed_ + window_; });
            if (stop_ || next_block_ >= nblocks_) return;
            k = next_block_++;
        }
        CsvBatch batch;
        {
            std::lock_guard<std::mutex> g(mu_);
            if (!pool_.empty()) {
                batch = std::move(pool_.back());
                pool_.pop_back();
            }
        }
        batch.records.clear();
        batch.packed.clear();
        batch.line_in_block.clear();
        batch.hashes.clear();
        batch.addresses = AddressTable();
        batch.lines = 0;
        batch.error_line.reset();
        batch.error.clear();
        try {
            parse_block(k, batch, buf);
        } catch (...) {
            std::lock_guard<std::mutex> g(mu_);
            if (!worker_error_) worker_error_ = std::current_exception();
            stop_ = true;
            cv_ready_.notify_all();
            return;
        }
        {
            std::lock_guard<std::mutex> g(mu_);
            ready_.emplace(k, std::move(batch));
        }
        cv_ready_.notify_all();
    }
}

void ParallelCsvReader::parse_block(std::uint64_t k, CsvBatch& out, std::vector<char>& buf) {
    const std::uint64_t lo = data_start_ + k * block_;
    const std::uint64_t hi = std::min<std::uint64_t>(lo + block_, size_);
    // Read from one byte before the block (to see whether a line starts at lo) to a little past
    // its end (to finish the last line), growing until that line is complete.
    const std::uint64_t from = k == 0 ? lo : lo - 1;
    std::size_t want = static_cast<std::size_t>(hi - from) + (64u << 10);
    // Grown only (resize would write zeros over 8 MB for every block, to be read over at once).
    if (buf.size() < want) buf.resize(want);
    std::size_t have = pread_full(fd_, buf.data(), want, from, path_);
    std::size_t p = 0;
    if (k > 0) {
        const char* nl = static_cast<const char*>(std::memchr(buf.data(), '\n', have));
        while (!nl && from + have < size_) {  // a line longer than the block
            buf.resize(buf.size() * 2);
            have += pread_full(fd_, buf.data() + have, buf.size() - have, from + have, path_);
            nl = static_cast<const char*>(std::memchr(buf.data(), '\n', have));
        }
        if (!nl) return;  // no line starts in this block
        p = static_cast<std::size_t>(nl - buf.data()) + 1;
    }
    const std::size_t end_rel = static_cast<std::size_t>(hi - from);
    if (output_ == Output::records) out.records.reserve(block_ / 100);
    else out.packed.reserve(block_ / 100);
    core::FlowRecord r;
    while (p < end_rel && from + p < size_) {
        const char* nl = static_cast<const char*>(std::memchr(buf.data() + p, '\n', have - p));
        while (!nl && from + have < size_) {
            const std::size_t old = have;
            buf.resize(buf.size() * 2);
            have += pread_full(fd_, buf.data() + have, buf.size() - have, from + have, path_);
            nl = static_cast<const char*>(std::memchr(buf.data() + old, '\n', have - old));
        }
        const std::size_t e = nl ? static_cast<std::size_t>(nl - buf.data()) : have;
        std::string_view line(buf.data() + p, e - p);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::uint64_t here = out.lines++;
        p = e + 1;
        if (line.empty()) continue;
        // FlowRecords are parsed in place (no copy of ~190 bytes per row); packed ones through r.
        core::FlowRecord& dst = output_ == Output::records ? out.records.emplace_back() : r;
        if (output_ == Output::packed) r = core::FlowRecord{};
        if (auto err = parse_flowlab_row(columns_, line, dst)) {
            out.error_line = here;
            out.error = std::move(*err);
            if (output_ == Output::records) out.records.pop_back();
            return;
        }
        if (output_ == Output::packed) out.packed.push_back(pack(r, out.addresses));
        if (hasher_) out.hashes.push_back(hasher_(dst));
        out.line_in_block.push_back(static_cast<std::uint32_t>(here));
    }
}

bool ParallelCsvReader::next(CsvBatch& batch, std::uint64_t& first_line) {
    std::unique_lock<std::mutex> g(mu_);
    if (consumed_ >= nblocks_) return false;
    cv_ready_.wait(g, [&] { return worker_error_ || ready_.count(consumed_) != 0; });
    if (worker_error_) std::rethrow_exception(worker_error_);
    auto node = ready_.extract(consumed_);
    ++consumed_;
    // Hand the caller's previous batch back to the workers: its buffers keep their capacity.
    std::swap(batch, node.mapped());
    if (pool_.size() < 4) pool_.push_back(std::move(node.mapped()));
    g.unlock();
    cv_work_.notify_all();
    first_line = line_;
    line_ += batch.lines;
    if (batch.error_line) throw InputError(path_, line_place(first_line + *batch.error_line), batch.error);
    return true;
}

}  // namespace flowlab::verify::detail

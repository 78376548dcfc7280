/// @brief Buffered byte input from a file, standard input or a child process, with line counting.
///
/// Collector outputs are large (a day of flows is millions of lines) and some come from a child
/// process (`nfdump -R DIR -o json`), so readers pull lines or JSON tokens from one big buffer
/// instead of iostreams, and a child's exit status is checked when its output ends.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/core/process.hpp"
#include "flowlab/core/run_control.hpp"

namespace flowlab::verify::detail {

/// The place of an error on a line (InputError::Place with only the line set).
inline InputError::Place line_place(std::uint64_t line) {
    InputError::Place p;
    p.line = line;
    return p;
}

/// A child process whose standard output is read (`nfdump -R DIR -o json`). Its exit status
/// and its standard error are both checked once its output has been read: finish().
class ChildProcess {
public:
    /// Starts argv (no shell) with extra environment entries ("NAME=value"); its standard
    /// error is appended to `log_path` (or an unlinked temporary file). Throws IoError.
    ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env, std::string name,
                 const std::string& log_path);
    ~ChildProcess();  ///< stops it by PID if it still runs
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    int stdout_fd() const noexcept { return process_.stdout_fd(); }
    /// Reads what is left of its output, waits for it, and throws InputError (naming the input
    /// and quoting its standard error) if it did not exit with status 0 or printed anything on
    /// standard error. Once; later calls do nothing.
    void finish();

private:
    core::Process process_;
    std::string name_, command_, log_path_;
    int err_fd_ = -1;
    off_t err_from_ = 0;  ///< where this child's part of the log starts
    bool finished_ = false;
};

/// A readable source of bytes. Owns the descriptor (and shares the child process, if any).
class InputStream {
public:
    /// Opens a file; "-" is standard input. Throws IoError if it cannot be opened.
    static InputStream open_file(const std::string& path);
    /// Reads the standard output of a ChildProcess (see there). Throws IoError.
    static InputStream open_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                    std::string name_for_errors, const std::string& log_path = {});

    InputStream(InputStream&& o) noexcept;
    InputStream& operator=(InputStream&& o) noexcept;
    InputStream(const InputStream&) = delete;
    InputStream& operator=(const InputStream&) = delete;
    ~InputStream();

    /// Reads up to n bytes; 0 at the end. At the end of a child's output: ChildProcess::finish().
    /// Throws Interrupted once the cancel token (if any) is set, even while waiting for input.
    std::size_t read(char* out, std::size_t n);
    /// A stop request ends a read that waits on a pipe (standard input, a child's output): the
    /// signal may land on another thread, so the wait itself looks at the token every 100 ms.
    void set_cancel(const CancelToken* cancel) noexcept { cancel_ = cancel; }
    const std::string& name() const noexcept { return name_; }
    /// Makes `bytes` the next bytes read (format detection reads ahead, then gives them back).
    void unread(std::string bytes) { pending_ = std::move(bytes) + pending_.substr(pending_pos_); pending_pos_ = 0; }
    /// The child behind this stream (null for a file): whoever hands the stream to a reader
    /// that may stop early keeps it to finish() the child.
    std::shared_ptr<ChildProcess> child() const noexcept { return child_; }

private:
    InputStream() = default;
    int fd_ = -1;
    bool owns_fd_ = false;
    std::shared_ptr<ChildProcess> child_;
    std::string name_;
    std::string pending_;
    std::size_t pending_pos_ = 0;
    const CancelToken* cancel_ = nullptr;
};

/// The unread bytes of an InputStream, [begin_, end_) of a buffer that moves them to the front
/// before each read and doubles when one item (a line, a JSON token) fills it: what LineReader
/// and JsonScanner read through.
class ReadWindow {
protected:
    ReadWindow(InputStream in, std::size_t block) : in_(std::move(in)), buf_(block) {}
    /// Reads more after the unread bytes; false at the end of input.
    bool fill();

    InputStream in_;
    std::vector<char> buf_;
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
};

/// Line reader over an InputStream. Lines are returned without the newline (and without a
/// trailing '\r'); views stay valid until the next call.
class LineReader : private ReadWindow {
public:
    explicit LineReader(InputStream in, std::size_t block = 1 << 20) : ReadWindow(std::move(in), block) {}
    /// Next line; false at the end of input. A last line without newline is returned too.
    bool next(std::string_view& line);
    /// 1-based number of the line returned last.
    std::uint64_t line() const noexcept { return line_no_; }
    const std::string& name() const noexcept { return in_.name(); }
    /// Looks at the first bytes without consuming them (for format detection).
    std::string_view peek(std::size_t n);

private:
    std::uint64_t line_no_ = 0;
};

/// Splits a line on a separator into at most `max` views; returns the number of fields found
/// (which may exceed max: the rest is not split).
std::size_t split(std::string_view line, char sep, std::string_view* out, std::size_t max) noexcept;

}  // namespace flowlab::verify::detail

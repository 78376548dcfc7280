/// @brief InputStream (file, stdin, child process) and LineReader.
#include "input_stream.hpp"

#include <fcntl.h>
#include <poll.h>
#include <csignal>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "flowlab/core/error.hpp"
#include "flowlab/core/process.hpp"

namespace flowlab::verify::detail {

InputStream InputStream::open_file(const std::string& path) {
    InputStream s;
    s.name_ = path;
    if (path == "-") {
        s.fd_ = STDIN_FILENO;
        s.name_ = "standard input";
        return s;
    }
    s.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (s.fd_ < 0) throw IoError(path + ": cannot open: " + std::strerror(errno));
    s.owns_fd_ = true;
    return s;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env, std::string name,
                           const std::string& log_path)
    : name_(std::move(name)), log_path_(log_path) {
    for (const auto& a : argv) command_ += (command_.empty() ? "" : " ") + a;
    // Its stderr goes to the run's log (appended: what this run wrote starts at err_from_), or
    // to an unlinked temporary file; either way it is read back when the output ends.
    if (log_path.empty()) {
        char tmpl[] = "/tmp/flowlab-stderr-XXXXXX";
        err_fd_ = ::mkostemp(tmpl, O_CLOEXEC);
        if (err_fd_ < 0) throw IoError(std::string("cannot create a temporary file in /tmp: ") + std::strerror(errno));
        ::unlink(tmpl);
    } else {
        err_fd_ = ::open(log_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (err_fd_ < 0) throw IoError("cannot open " + log_path + " for appending: " + std::strerror(errno));
        err_from_ = ::lseek(err_fd_, 0, SEEK_END);
    }
    core::Process::Options o;
    o.argv = argv;
    o.env = env;
    o.out = core::Process::Stream::pipe();
    o.err = core::Process::Stream::descriptor(err_fd_);
    try {
        process_ = core::Process::start(o);
    } catch (...) {
        ::close(err_fd_);
        throw;
    }
}

ChildProcess::~ChildProcess() {
    // Abandoned early (an error elsewhere, an interrupt): stopped by PID and reaped.
    process_.stop(SIGTERM, std::chrono::milliseconds(500));
    if (err_fd_ >= 0) ::close(err_fd_);
}

void ChildProcess::finish() {
    if (finished_) return;
    finished_ = true;
    // A reader may stop before the end (nfdump's "No matching flows"): drain the rest so the
    // child can exit, and so whatever it printed afterwards is seen.
    char buf[65536];
    while (true) {
        const ssize_t got = ::read(process_.stdout_fd(), buf, sizeof buf);
        if (got > 0) continue;
        if (got < 0 && errno == EINTR) continue;
        break;
    }
    const core::ExitStatus st = process_.wait();
    std::string err;
    {
        ssize_t got;
        off_t at = err_from_;
        while ((got = ::pread(err_fd_, buf, sizeof buf, at)) > 0 && err.size() < 16384) {
            err.append(buf, static_cast<std::size_t>(got));
            at += got;
        }
        while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    }
    // Both count: nfdump says "bad magic" about a damaged file and still exits 0.
    if (st.ok() && err.empty()) return;
    std::string text = "`" + command_ + "` " + (st.ok() ? "reported problems" : st.describe());
    if (!err.empty()) text += ": " + err;
    if (!log_path_.empty()) text += " (also in " + log_path_ + ")";
    throw InputError(name_, text);
}

InputStream InputStream::open_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                      std::string name_for_errors, const std::string& log_path) {
    InputStream s;
    s.name_ = name_for_errors;
    s.child_ = std::make_shared<ChildProcess>(argv, env, std::move(name_for_errors), log_path);
    s.fd_ = s.child_->stdout_fd();
    return s;
}

InputStream::InputStream(InputStream&& o) noexcept
    : fd_(o.fd_), owns_fd_(o.owns_fd_), child_(std::move(o.child_)), name_(std::move(o.name_)),
      pending_(std::move(o.pending_)), pending_pos_(o.pending_pos_), cancel_(o.cancel_) {
    o.fd_ = -1;
    o.owns_fd_ = false;
}

InputStream& InputStream::operator=(InputStream&& o) noexcept {
    if (this != &o) {
        this->~InputStream();
        new (this) InputStream(std::move(o));
    }
    return *this;
}

InputStream::~InputStream() {
    if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

std::size_t InputStream::read(char* out, std::size_t n) {
    if (pending_pos_ < pending_.size()) {
        const std::size_t k = std::min(n, pending_.size() - pending_pos_);
        std::memcpy(out, pending_.data() + pending_pos_, k);
        pending_pos_ += k;
        if (pending_pos_ == pending_.size()) {
            pending_.clear();
            pending_pos_ = 0;
        }
        return k;
    }
    if (fd_ < 0) return 0;
    while (true) {
        if (cancel_) {
            cancel_->check("while reading " + name_);
            pollfd p{fd_, POLLIN, 0};
            const int ready = ::poll(&p, 1, 100);
            if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
        }
        const ssize_t got = ::read(fd_, out, n);
        if (got > 0) return static_cast<std::size_t>(got);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw IoError(name_ + ": read failed: " + std::strerror(errno));
        if (child_) child_->finish();
        return 0;
    }
}

bool ReadWindow::fill() {
    if (eof_) return false;
    if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
    const std::size_t got = in_.read(buf_.data() + end_, buf_.size() - end_);
    if (got == 0) {
        eof_ = true;
        return false;
    }
    end_ += got;
    return true;
}

std::string_view LineReader::peek(std::size_t n) {
    while (end_ - begin_ < n && fill()) {
    }
    return std::string_view(buf_.data() + begin_, std::min(n, end_ - begin_));
}

bool LineReader::next(std::string_view& line) {
    std::size_t scanned = 0;
    while (true) {
        const char* s = buf_.data() + begin_;
        const void* nl = std::memchr(s + scanned, '\n', end_ - begin_ - scanned);
        if (nl) {
            const std::size_t len = static_cast<std::size_t>(static_cast<const char*>(nl) - s);
            line = std::string_view(s, len);
            begin_ += len + 1;
            break;
        }
        scanned = end_ - begin_;
        if (!fill()) {
            if (begin_ == end_) return false;
            line = std::string_view(buf_.data() + begin_, end_ - begin_);
            begin_ = end_;
            break;
        }
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no_;
    return true;
}

std::size_t split(std::string_view line, char sep, std::string_view* out, std::size_t max) noexcept {
    std::size_t n = 0;
    std::size_t pos = 0;
    while (true) {
        const std::size_t next = line.find(sep, pos);
        if (n < max) out[n] = line.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        ++n;
        if (next == std::string_view::npos) return n;
        pos = next + 1;
    }
}

}  // namespace flowlab::verify::detail

/// @brief InputStream (file, stdin, child process) and LineReader.
#include "input_stream.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "flowlab/core/error.hpp"

extern char** environ;

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

InputStream InputStream::open_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                      std::string name_for_errors) {
    InputStream s;
    s.name_ = std::move(name_for_errors);
    for (const auto& a : argv) s.command_ += (s.command_.empty() ? "" : " ") + a;

    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw IoError(std::string("pipe: ") + std::strerror(errno));
    char tmpl[] = "/tmp/flowlab-stderr-XXXXXX";
    int err = mkostemp(tmpl, O_CLOEXEC);
    if (err < 0) {
        ::close(out[0]);
        ::close(out[1]);
        throw IoError(std::string("temporary file: ") + std::strerror(errno));
    }
    ::unlink(tmpl);

    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e) {
        std::string_view kv(*e);
        bool overridden = false;
        for (const auto& x : env)
            if (kv.substr(0, kv.find('=') + 1) == std::string_view(x).substr(0, x.find('=') + 1)) overridden = true;
        if (!overridden) envs.emplace_back(kv);
    }
    envs.insert(envs.end(), env.begin(), env.end());
    std::vector<char*> cargv, cenv;
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    for (const auto& e : envs) cenv.push_back(const_cast<char*>(e.c_str()));
    cenv.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, err, STDERR_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), cenv.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        ::close(err);
        throw IoError("cannot run " + argv[0] + ": " + std::strerror(rc));
    }
    s.fd_ = out[0];
    s.owns_fd_ = true;
    s.child_ = pid;
    s.err_fd_ = err;
    return s;
}

InputStream::InputStream(InputStream&& o) noexcept
    : fd_(o.fd_), owns_fd_(o.owns_fd_), child_(o.child_), err_fd_(o.err_fd_), name_(std::move(o.name_)),
      command_(std::move(o.command_)), pending_(std::move(o.pending_)), pending_pos_(o.pending_pos_) {
    o.fd_ = -1;
    o.owns_fd_ = false;
    o.child_ = -1;
    o.err_fd_ = -1;
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
    if (child_ > 0) {
        // Abandoned early (an error elsewhere): do not leave the child running or a zombie.
        ::kill(child_, SIGTERM);
        int st = 0;
        while (::waitpid(child_, &st, 0) < 0 && errno == EINTR) {
        }
    }
    if (err_fd_ >= 0) ::close(err_fd_);
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
        const ssize_t got = ::read(fd_, out, n);
        if (got > 0) return static_cast<std::size_t>(got);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw IoError(name_ + ": read failed: " + std::strerror(errno));
        if (child_ > 0) finish_child();
        return 0;
    }
}

void InputStream::finish_child() {
    int st = 0;
    while (::waitpid(child_, &st, 0) < 0 && errno == EINTR) {
    }
    child_ = -1;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return;
    std::string err;
    if (err_fd_ >= 0) {
        char buf[4096];
        ::lseek(err_fd_, 0, SEEK_SET);
        ssize_t got;
        while ((got = ::read(err_fd_, buf, sizeof buf)) > 0 && err.size() < 16384) err.append(buf, static_cast<std::size_t>(got));
        while (!err.empty() && (err.back() == '\n' || err.back() == '\r')) err.pop_back();
    }
    std::string how = WIFEXITED(st) ? "exited with status " + std::to_string(WEXITSTATUS(st))
                                    : "was killed by signal " + std::to_string(WTERMSIG(st));
    throw InputError(name_, "`" + command_ + "` " + how + (err.empty() ? "" : ": " + err));
}

LineReader::LineReader(InputStream in, std::size_t block) : in_(std::move(in)), buf_(block) {}

bool LineReader::fill() {
    if (eof_) return false;
    if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);  // one line longer than the buffer
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

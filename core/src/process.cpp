/// @brief posix_spawn-based child processes: start, wait with deadlines, stop by PID.
#include "flowlab/core/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "flowlab/core/error.hpp"
#include "flowlab/core/run_control.hpp"

extern char** environ;

namespace flowlab::core {

namespace {

constexpr auto kPoll = std::chrono::milliseconds(10);

/// Closes a descriptor on scope exit unless released.
struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
    int release() noexcept { return std::exchange(fd, -1); }
};

/// posix_spawn's attribute and file-action objects, destroyed on every path.
struct SpawnSetup {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
};

std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
    std::vector<std::string> out;
    auto name_of = [](std::string_view kv) { return kv.substr(0, kv.find('=')); };
    for (char** e = environ; e && *e; ++e) {
        const std::string_view kv(*e);
        bool replaced = false;
        for (const auto& x : extra) replaced = replaced || name_of(x) == name_of(kv);
        if (!replaced) out.emplace_back(kv);
    }
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

/// posix_spawnp searches PATH; collectors such as nfacctd live in /usr/sbin, which a normal
/// user's PATH often lacks.
int spawn_searching(pid_t& pid, std::string& program, const SpawnSetup& s, char* const* argv, char* const* envp) {
    int rc = posix_spawnp(&pid, program.c_str(), &s.actions, &s.attr, argv, envp);
    if (rc != ENOENT || program.find('/') != std::string::npos) return rc;
    for (const char* dir : {"/usr/sbin/", "/sbin/"}) {
        const std::string candidate = dir + program;
        if (::access(candidate.c_str(), X_OK) != 0) continue;
        rc = posix_spawn(&pid, candidate.c_str(), &s.actions, &s.attr, argv, envp);
        if (rc != ENOENT) {
            program = candidate;
            return rc;
        }
    }
    return ENOENT;
}

void add_stream(SpawnSetup& s, const Process::Stream& st, int target, int pipe_child_end) {
    using Kind = Process::Stream::Kind;
    switch (st.kind) {
        case Kind::inherit:
            break;
        case Kind::null:
            posix_spawn_file_actions_addopen(&s.actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0);
            break;
        case Kind::pipe:
            posix_spawn_file_actions_adddup2(&s.actions, pipe_child_end, target);
            break;
        case Kind::file:
            posix_spawn_file_actions_addopen(&s.actions, target, st.path.c_str(),
                                             target == 0 ? O_RDONLY
                                                         : (O_WRONLY | O_CREAT | (st.append ? O_APPEND : O_TRUNC)),
                                             0644);
            break;
        case Kind::descriptor:
            posix_spawn_file_actions_adddup2(&s.actions, st.fd, target);
            break;
        case Kind::same_as_stdout:
            posix_spawn_file_actions_adddup2(&s.actions, 1, target);
            break;
    }
}

}  // namespace

std::string signal_name(int signal) {
    switch (signal) {
        case SIGHUP: return "SIGHUP";
        case SIGINT: return "SIGINT";
        case SIGQUIT: return "SIGQUIT";
        case SIGABRT: return "SIGABRT";
        case SIGKILL: return "SIGKILL";
        case SIGSEGV: return "SIGSEGV";
        case SIGPIPE: return "SIGPIPE";
        case SIGTERM: return "SIGTERM";
        case SIGUSR1: return "SIGUSR1";
        case SIGUSR2: return "SIGUSR2";
        case SIGBUS: return "SIGBUS";
        case SIGXFSZ: return "SIGXFSZ";
        default: return "signal " + std::to_string(signal);
    }
}

std::string ExitStatus::describe() const {
    if (signal) return "was killed by " + signal_name(signal);
    return "exited with status " + std::to_string(code);
}

ExitStatus ExitStatus::from_wait_status(int status) noexcept {
    ExitStatus s;
    if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
    return s;
}

Process Process::start(const Options& o) {
    if (o.argv.empty() || o.argv[0].empty()) throw IoError("cannot start a process without a program name");
    for (const Stream* st : {&o.in, &o.out})
        if (st->kind == Stream::Kind::same_as_stdout) throw IoError("only stderr can go where stdout goes");

    // The parent's ends are close-on-exec, so no other child inherits them.
    std::array<Fd, 2> in_pipe, out_pipe, err_pipe;
    auto make_pipe = [](std::array<Fd, 2>& p) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw IoError(std::string("cannot create a pipe: ") + std::strerror(errno));
        p[0].fd = fds[0];
        p[1].fd = fds[1];
    };
    if (o.in.kind == Stream::Kind::pipe) make_pipe(in_pipe);
    if (o.out.kind == Stream::Kind::pipe) make_pipe(out_pipe);
    if (o.err.kind == Stream::Kind::pipe) make_pipe(err_pipe);

    // Passed descriptors are first copied above every target number, so that moving one into
    // place cannot overwrite another still to be moved (ours 3 as their 4 and ours 4 as their 3).
    int first_unused = 3;
    for (const auto& pf : o.pass_fds) {
        if (pf.theirs < 3 || pf.ours < 0)
            throw IoError("cannot pass descriptor " + std::to_string(pf.ours) + " as " + std::to_string(pf.theirs) +
                          " to " + o.argv[0] + ": 0-2 are the standard streams");
        for (const auto& other : o.pass_fds)
            if (&other != &pf && other.theirs == pf.theirs)
                throw IoError("cannot pass two descriptors as " + std::to_string(pf.theirs) + " to " + o.argv[0]);
        first_unused = std::max(first_unused, pf.theirs + 1);
    }
    std::vector<Fd> passed(o.pass_fds.size());
    for (std::size_t i = 0; i < o.pass_fds.size(); ++i) {
        passed[i].fd = ::fcntl(o.pass_fds[i].ours, F_DUPFD_CLOEXEC, first_unused);
        if (passed[i].fd < 0)
            throw IoError("cannot pass descriptor " + std::to_string(o.pass_fds[i].ours) + " to " + o.argv[0] + ": " +
                          std::strerror(errno));
    }

    SpawnSetup s;
    add_stream(s, o.in, 0, in_pipe[0].fd);
    add_stream(s, o.out, 1, out_pipe[1].fd);
    add_stream(s, o.err, 2, err_pipe[1].fd);
    // dup2 clears close-on-exec on the target, so exactly these survive exec.
    for (std::size_t i = 0; i < o.pass_fds.size(); ++i)
        posix_spawn_file_actions_adddup2(&s.actions, passed[i].fd, o.pass_fds[i].theirs);
    // A descriptor of ours opened without O_CLOEXEC (by a library, say) must not reach a
    // collector that runs for minutes: it could hold a port or a file open behind our back.
    posix_spawn_file_actions_addclosefrom_np(&s.actions, first_unused);
    if (!o.cwd.empty()) posix_spawn_file_actions_addchdir_np(&s.actions, o.cwd.c_str());

    // The child starts with default handlers for the signals flowlab catches or ignores and
    // nothing blocked, whatever thread of ours spawns it.
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ, SIGCHLD}) sigaddset(&defaults, sig);
    sigemptyset(&empty);
    posix_spawnattr_setsigdefault(&s.attr, &defaults);
    posix_spawnattr_setsigmask(&s.attr, &empty);
    if (o.own_group) {
        flags |= POSIX_SPAWN_SETPGROUP;
        posix_spawnattr_setpgroup(&s.attr, 0);
    }
    posix_spawnattr_setflags(&s.attr, flags);

    std::vector<std::string> argv = o.argv;
    std::vector<std::string> env;
    if (!o.env.empty()) env = merged_environment(o.env);
    auto cargv = c_strings(argv);
    auto cenv = c_strings(env);

    Process p;
    p.program_ = o.argv[0];
    const int rc = spawn_searching(p.pid_, p.program_, s, cargv.data(), o.env.empty() ? environ : cenv.data());
    if (rc != 0) {
        p.pid_ = -1;
        if (rc == ENOENT && o.argv[0].find('/') == std::string::npos)
            throw IoError(o.argv[0] + " is not installed (not found on PATH, /usr/sbin or /sbin)");
        std::string what = "cannot start " + o.argv[0] + ": " + std::strerror(rc);
        if (!o.cwd.empty()) what += " (in " + o.cwd + ")";
        for (const Stream* st : {&o.in, &o.out, &o.err})
            if (st->kind == Stream::Kind::file) what += " (output " + st->path + ")";
        throw IoError(what);
    }
    p.own_group_ = o.own_group;
    p.in_fd_ = in_pipe[1].release();
    p.out_fd_ = out_pipe[0].release();
    p.err_fd_ = err_pipe[0].release();
    return p;
}

Process::~Process() {
    if (pid_ > 0 && !status_) stop(SIGKILL, std::chrono::milliseconds(0));
    close_fds();
}

Process::Process(Process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)), own_group_(o.own_group_), status_(o.status_), program_(std::move(o.program_)),
      in_fd_(std::exchange(o.in_fd_, -1)), out_fd_(std::exchange(o.out_fd_, -1)), err_fd_(std::exchange(o.err_fd_, -1)) {}

Process& Process::operator=(Process&& o) noexcept {
    if (this != &o) {
        if (pid_ > 0 && !status_) stop(SIGKILL, std::chrono::milliseconds(0));
        close_fds();
        pid_ = std::exchange(o.pid_, -1);
        own_group_ = o.own_group_;
        status_ = o.status_;
        program_ = std::move(o.program_);
        in_fd_ = std::exchange(o.in_fd_, -1);
        out_fd_ = std::exchange(o.out_fd_, -1);
        err_fd_ = std::exchange(o.err_fd_, -1);
    }
    return *this;
}

void Process::close_fds() noexcept {
    for (int* fd : {&in_fd_, &out_fd_, &err_fd_}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
}

void Process::close_stdin() noexcept {
    if (in_fd_ >= 0) ::close(in_fd_);
    in_fd_ = -1;
}

bool Process::exited_unreaped() {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno != EINTR) return true;  // ECHILD: someone reaped it; treat as gone
    }
    return info.si_pid == pid_;
}

ExitStatus Process::reap() {
    // The leader is a zombie now, so its PID (and the group id) cannot be reused yet: kill what
    // it left behind in its group, then collect it.
    if (own_group_) ::kill(-pid_, SIGKILL);
    int st = 0;
    pid_t r;
    while ((r = ::waitpid(pid_, &st, 0)) < 0 && errno == EINTR) {
    }
    status_ = r == pid_ ? ExitStatus::from_wait_status(st) : ExitStatus{};
    return *status_;
}

bool Process::running() {
    if (pid_ <= 0 || status_) return false;
    if (!exited_unreaped()) return true;
    reap();
    return false;
}

ExitStatus Process::wait() {
    if (pid_ <= 0) return {};
    if (status_) return *status_;
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    return reap();
}

std::optional<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout, const CancelToken* cancel) {
    if (pid_ <= 0) return ExitStatus{};
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (!running()) return status_;
        if (cancel && cancel->cancelled()) return std::nullopt;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(kPoll, deadline - now));
    }
}

ExitStatus Process::stop(int signal, std::chrono::milliseconds grace) {
    if (pid_ <= 0) return {};
    if (status_) return *status_;
    if (!exited_unreaped()) {
        ::kill(pid_, signal);
        const auto deadline = std::chrono::steady_clock::now() + grace;
        while (!exited_unreaped()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                if (own_group_) ::kill(-pid_, SIGKILL);
                ::kill(pid_, SIGKILL);
                break;
            }
            std::this_thread::sleep_for(kPoll);
        }
    }
    return wait();
}

RunOutput run_to_end(Process::Options options, std::chrono::milliseconds timeout, std::string_view stdin_text,
                     const CancelToken* cancel) {
    options.in = stdin_text.empty() ? Process::Stream::null() : Process::Stream::pipe();
    options.out = Process::Stream::pipe();
    options.err = Process::Stream::pipe();
    Process p = Process::start(options);
    if (p.stdin_fd() >= 0) ::fcntl(p.stdin_fd(), F_SETFL, O_NONBLOCK);

    RunOutput r;
    std::size_t written = 0;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    bool out_open = true, err_open = true;
    std::array<char, 65536> buf;
    while (out_open || err_open) {
        if (cancel && cancel->cancelled()) {
            p.stop(SIGTERM, std::chrono::milliseconds(500));
            cancel->check("while running " + options.argv[0]);
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            break;
        }
        pollfd fds[3];
        nfds_t n = 0;
        if (out_open) fds[n++] = {p.stdout_fd(), POLLIN, 0};
        if (err_open) fds[n++] = {p.stderr_fd(), POLLIN, 0};
        if (p.stdin_fd() >= 0) fds[n++] = {p.stdin_fd(), POLLOUT, 0};
        // Short slices so a cancel request is seen promptly.
        if (::poll(fds, n, static_cast<int>(std::min<long long>(left.count(), 100))) < 0) {
            if (errno == EINTR) continue;
            throw IoError(std::string("poll: ") + std::strerror(errno));
        }
        for (nfds_t i = 0; i < n; ++i) {
            if (!fds[i].revents) continue;
            if (fds[i].fd == p.stdin_fd()) {
                const ssize_t w = ::write(p.stdin_fd(), stdin_text.data() + written, stdin_text.size() - written);
                if (w > 0) written += static_cast<std::size_t>(w);
                if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_text.size()) p.close_stdin();
                continue;
            }
            const bool is_out = fds[i].fd == p.stdout_fd();
            const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
            if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (got <= 0) {
                (is_out ? out_open : err_open) = false;
                continue;
            }
            (is_out ? r.out : r.err).append(buf.data(), static_cast<std::size_t>(got));
        }
    }
    p.close_stdin();
    r.status = r.timed_out ? p.stop(SIGKILL, std::chrono::milliseconds(0)) : p.wait();
    return r;
}

}  // namespace flowlab::core

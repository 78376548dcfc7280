/// @brief Child processes, started one way: posix_spawn (no code of ours runs between fork and
/// exec, so nothing but the C library's async-signal-safe steps happens in the child), each in
/// its own process group, stopped by PID, their output going where the caller says (a log
/// file in the run's work directory, a pipe, /dev/null).
///
/// Every collector, dump tool and peer flowlab or its tests start goes through this file.
///
///     core::Process::Options o;
///     o.argv = {"nfcapd", "-b", "127.0.0.1", "-p", "9995", "-w", dir};
///     o.out = o.err = core::Process::Stream::file(work + "/collector.log");
///     auto p = core::Process::start(o);                 // throws IoError: not installed, ...
///     ...
///     const core::ExitStatus st = p.stop(SIGTERM, 5s);  // then SIGKILL to its group if needed
///
/// Errors: start() throws IoError naming the program ("X is not installed" when it is nowhere
/// on PATH, /usr/sbin or /sbin) or the file it could not open.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowlab {
class CancelToken;
}

namespace flowlab::core {

/// How a child ended.
struct ExitStatus {
    int code = -1;   ///< exit status when it exited, else -1
    int signal = 0;  ///< the signal that ended it, else 0
    bool ok() const noexcept { return signal == 0 && code == 0; }
    /// As a shell reports it: the status, or 128 + signal.
    int shell_code() const noexcept { return signal ? 128 + signal : code; }
    /// "exited with status 1", "was killed by SIGKILL".
    std::string describe() const;
    static ExitStatus from_wait_status(int status) noexcept;
};

/// "SIGTERM" for 15, "signal N" for what has no name here.
std::string signal_name(int signal);

class Process {
public:
    /// Where one of the child's standard streams goes.
    struct Stream {
        enum class Kind : std::uint8_t { null, inherit, pipe, file, descriptor, same_as_stdout };
        Kind kind = Kind::null;
        std::string path;    ///< Kind::file
        bool append = true;  ///< Kind::file: append (a log shared by several children) or truncate
        int fd = -1;         ///< Kind::descriptor: one of ours (it stays ours)
        static Stream null() { return {}; }
        static Stream inherit() { return {Kind::inherit, {}, true, -1}; }
        /// The parent reads (stdout, stderr) or writes (stdin) the other end: *_fd().
        static Stream pipe() { return {Kind::pipe, {}, true, -1}; }
        static Stream file(std::string path, bool append = true) { return {Kind::file, std::move(path), append, -1}; }
        static Stream descriptor(int fd) { return {Kind::descriptor, {}, true, fd}; }
        /// stderr only: into whatever stdout goes to.
        static Stream same_as_stdout() { return {Kind::same_as_stdout, {}, true, -1}; }
    };
    struct Options {
        std::vector<std::string> argv;  ///< argv[0] is looked up on PATH, then /usr/sbin and /sbin
        std::vector<std::string> env;   ///< "NAME=value" entries added to (or replacing in) ours
        std::string cwd;                ///< working directory; empty: ours
        Stream in = Stream::null(), out = Stream::null(), err = Stream::null();
        /// More descriptors of ours the child gets, each under the number it expects (3 and up,
        /// each at most once), e.g. Chromium's --remote-debugging-pipe reads 3 and writes 4.
        /// Ours stay ours. Whatever else is open in flowlab is closed in the child.
        struct PassedFd {
            int ours = -1;
            int theirs = -1;
        };
        std::vector<PassedFd> pass_fds;
        /// Its own process group: a terminal's Ctrl-C then reaches only flowlab, which stops the
        /// child by PID (and the group, for helpers the child started) after cleaning up.
        bool own_group = true;
    };

    Process() = default;
    /// Starts the child. Throws IoError (see the file comment).
    static Process start(const Options& options);
    ~Process();  ///< a child still running is killed (SIGKILL) and reaped
    Process(Process&& o) noexcept;
    Process& operator=(Process&& o) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const noexcept { return pid_; }
    /// The program as started (argv[0] resolved), for messages.
    const std::string& program() const noexcept { return program_; }
    /// Parent's ends of Stream::pipe() streams (-1 otherwise); close_stdin() ends the input.
    int stdin_fd() const noexcept { return in_fd_; }
    int stdout_fd() const noexcept { return out_fd_; }
    int stderr_fd() const noexcept { return err_fd_; }
    void close_stdin() noexcept;

    /// True until the child has exited (reaps it when it has).
    bool running();
    /// The exit status once known (after running() returned false, wait(), stop()).
    std::optional<ExitStatus> status() const noexcept { return status_; }
    /// Waits until the child exits.
    ExitStatus wait();
    /// Waits at most `timeout` (polling, so a cancel token set by a signal handler is seen
    /// within 10 ms); nullopt if it still runs, or if `cancel` was set.
    std::optional<ExitStatus> wait_for(std::chrono::milliseconds timeout, const CancelToken* cancel = nullptr);
    /// Sends `signal` to the child, waits up to `grace` for it to exit, then SIGKILLs it and its
    /// process group; reaps it. Returns how it ended. Harmless once it has exited.
    ExitStatus stop(int signal, std::chrono::milliseconds grace);

private:
    void close_fds() noexcept;
    /// Waits without reaping (so its PID, and its group's, stay ours), kills the group's
    /// stragglers, then reaps.
    ExitStatus reap();
    bool exited_unreaped();
    pid_t pid_ = -1;
    bool own_group_ = false;
    std::optional<ExitStatus> status_;
    std::string program_;
    int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
};

/// What run_to_end() collected.
struct RunOutput {
    ExitStatus status;
    std::string out;
    std::string err;
    bool timed_out = false;  ///< killed after the timeout
};

/// Runs a program to its end, feeding `stdin_text` and collecting stdout and stderr (the
/// options' streams are replaced by pipes). Kills it after `timeout`, or when `cancel` is set
/// (then throws Interrupted). Throws IoError if it cannot start.
RunOutput run_to_end(Process::Options options, std::chrono::milliseconds timeout, std::string_view stdin_text = {},
                     const CancelToken* cancel = nullptr);

}  // namespace flowlab::core

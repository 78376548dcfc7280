/// @brief Shared test helpers: hex fixtures, temp dirs, running flowlab and peer tools.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <thread>
#include <vector>

#include "flowlab/core/process.hpp"

namespace flowlab::test {

/// Bytes from hex text; whitespace is ignored and '#' starts a comment to the end of the line,
/// so fixtures can annotate each field.
std::vector<std::uint8_t> hex(std::string_view text);
std::string to_hex(const std::vector<std::uint8_t>& bytes);

/// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const noexcept { return path_; }
    std::string operator/(std::string_view name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

/// Absolute path of an executable on PATH (or the standard sbin dirs), if installed.
std::optional<std::string> find_tool(std::string_view name);

/// Skips the current test with a clear message when a peer tool is not installed.
/// True when FLOWLAB_CI=1 (set by .ci/run): packages a test needs must then be installed.
bool in_ci();

/// A test that cannot run because a package is missing: skipped on a developer's machine, but a
/// failure in CI (FLOWLAB_CI=1), where scripts/setup.sh must have installed the package.
#define FLOWLAB_MISSING_PACKAGE(message)                                                                     \
    do {                                                                                                     \
        if (::flowlab::test::in_ci())                                                                        \
            GTEST_FAIL() << message << " (FLOWLAB_CI=1: scripts/setup.sh should have installed it)";         \
        GTEST_SKIP() << message << " (scripts/setup.sh installs it)";                                        \
    } while (0)

#define FLOWLAB_REQUIRE_TOOL(name)                                                        \
    do {                                                                                  \
        if (!::flowlab::test::find_tool(name)) FLOWLAB_MISSING_PACKAGE((name) << " is not installed"); \
    } while (0)

struct RunResult {
    int exit_code = -1;  ///< exit status, or 128+signal
    std::string out;
    std::string err;
};

/// Runs argv to completion (no shell), capturing stdout and stderr. Extra environment
/// entries are "NAME=value". Kills the child after `timeout`.
RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
              std::chrono::seconds timeout = std::chrono::seconds(300), const std::string& stdin_text = {});

/// The flowlab binary under test (FLOWLAB_BIN, set by CTest).
std::string flowlab_bin();
/// The source tree (FLOWLAB_SOURCE_DIR, set by CTest).
std::string source_dir();

/// A background process (a collector, a probe) that the test starts and stops by PID
/// (core::Process: posix_spawn, its own process group).
class Process {
public:
    Process() = default;
    /// Starts argv with stdout/stderr appended to the given files ("" = /dev/null).
    Process(const std::vector<std::string>& argv, const std::string& stdout_path = {},
            const std::string& stderr_path = {}, const std::vector<std::string>& env = {});
    pid_t pid() const noexcept { return p_.pid(); }
    bool running();
    /// Sends `sig`, waits up to `timeout`, then SIGKILLs; returns the exit status (128+signal
    /// if killed by a signal).
    int stop(int sig, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

private:
    core::Process p_;
};

/// A UDP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_udp_port();

std::string read_file(const std::string& path);
/// The file's content, or "" when it does not exist (yet).
std::string read_file_if_exists(const std::string& path);
void write_file(const std::string& path, std::string_view content);

/// Polls `pred` every 50 ms until it holds or `timeout` passes; returns its last value.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (pred()) return true;
        if (std::chrono::steady_clock::now() >= end) return pred();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace flowlab::test

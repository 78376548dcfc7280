/// @brief ensure_open_files: the soft limit on descriptors raised as far as the hard one allows.
#include "flowlab/core/open_files.hpp"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "flowlab/core/error.hpp"

namespace flowlab::core {

namespace {

/// Descriptors open now (/proc/self/fd less the one the listing itself opens).
std::size_t open_now() {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n > 0 ? n - 1 : 0;
}

}  // namespace

void ensure_open_files(std::size_t needed, const std::string& what) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;  // nothing to learn: let the opens say
    // Room for what the run opens besides (capture, outputs, logs, pipes).
    constexpr std::size_t kSpare = 64;
    const std::size_t want = open_now() + needed + kSpare;
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= want) return;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < want)
        throw UsageError(what + " needs " + std::to_string(needed) + " open sockets, but the hard limit on open files is " +
                         std::to_string(limit.rlim_max) + " (ulimit -Hn): raise it to at least " + std::to_string(want));
    limit.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        throw IoError("cannot raise the limit on open files to " + std::to_string(want) + " for " + what + ": " +
                      std::strerror(errno));
}

}  // namespace flowlab::core

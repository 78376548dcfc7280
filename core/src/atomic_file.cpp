/// @brief AtomicFile: write under a hidden temporary name, rename into place when complete.
#include "flowlab/core/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "flowlab/core/error.hpp"

namespace flowlab::core {

std::string temp_name_for(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    return dir + "." + base + ".tmp-" + std::to_string(::getpid());
}

AtomicFile::AtomicFile(std::string path, const char* mode) : path_(std::move(path)), tmp_(temp_name_for(path_)) {
    if (path_.empty() || path_.back() == '/') throw IoError("'" + path_ + "' is not a file name");
    file_ = std::fopen(tmp_.c_str(), mode);
    if (!file_) throw IoError("cannot create " + tmp_ + " (for " + path_ + "): " + std::strerror(errno));
    // Outputs are large and written sequentially: fewer, larger writes.
    std::setvbuf(file_, nullptr, _IOFBF, std::size_t{1} << 20);
}

AtomicFile::~AtomicFile() {
    if (file_) {
        std::fclose(file_);
        std::remove(tmp_.c_str());
    }
}

// No fsync: the promise is that an interrupted or failed run never leaves a file under the
// final name that looks whole. fflush + rename keeps it, because every reader on this host
// sees the page cache, where the data is complete before the rename. Surviving a power loss
// is not the goal, and an fsync would cost every run seconds on multi-gigabyte pcaps.
void AtomicFile::commit() {
    if (!file_) throw IoError(path_ + ": already committed");
    std::FILE* f = file_;
    file_ = nullptr;
    const bool flushed = std::fflush(f) == 0 && !std::ferror(f);
    const int flush_errno = errno;
    const bool closed = std::fclose(f) == 0;
    if (!flushed || !closed) {
        const int e = !flushed ? flush_errno : errno;
        std::remove(tmp_.c_str());
        throw IoError(path_ + ": write failed: " + std::strerror(e));
    }
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const int e = errno;
        std::remove(tmp_.c_str());
        throw IoError("cannot rename " + tmp_ + " to " + path_ + ": " + std::strerror(e));
    }
}

}  // namespace flowlab::core

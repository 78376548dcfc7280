/// @brief AtomicFile: write under a hidden temporary name, rename into place when complete.
#include "flowlab/core/atomic_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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

namespace fs = std::filesystem;

bool is_flowlab_output(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return false;
    if (fs::exists(dir / "manifest.json", ec)) return true;
    return fs::is_empty(dir, ec);
}

namespace {

/// `.<name>.<what>-<pid>` beside `target`.
fs::path sibling(const fs::path& target, const char* what) {
    return target.parent_path() /
           ("." + target.filename().string() + "." + what + "-" + std::to_string(::getpid()));
}

}  // namespace

AtomicDir::AtomicDir(fs::path target) : target_(fs::absolute(std::move(target)).lexically_normal()) {
    // "out/" names the directory "out", not an entry "" inside it.
    if (!target_.has_filename()) target_ = target_.parent_path();
    if (target_.empty() || target_ == target_.root_path())
        throw UsageError("'" + target_.string() + "' cannot be an output directory");
    std::error_code ec;
    if (fs::exists(target_, ec) && !is_flowlab_output(target_))
        throw UsageError(target_.string() +
                         " exists and is not a flowlab output directory (no manifest.json); choose another "
                         "output directory or remove it");
    fs::create_directories(target_.parent_path(), ec);
    if (ec) throw IoError("cannot create " + target_.parent_path().string() + ": " + ec.message());
    tmp_ = sibling(target_, "tmp");
    fs::remove_all(tmp_, ec);
    fs::create_directories(tmp_, ec);
    if (ec) throw IoError("cannot create " + tmp_.string() + ": " + ec.message());
}

AtomicDir::~AtomicDir() {
    if (committed_) return;
    std::error_code ec;
    fs::remove_all(tmp_, ec);
}

void AtomicDir::commit() {
    if (committed_) throw IoError(target_.string() + ": already committed");
    std::error_code ec;
    // rename(2) cannot replace a non-empty directory: the earlier output steps aside first and
    // goes only once the new one is in place.
    fs::path old;
    if (fs::exists(target_, ec)) {
        old = sibling(target_, "old");
        fs::remove_all(old, ec);
        fs::rename(target_, old, ec);
        if (ec) throw IoError("cannot replace " + target_.string() + ": " + ec.message());
    }
    fs::rename(tmp_, target_, ec);
    if (ec) {
        const std::string why = ec.message();
        if (!old.empty()) fs::rename(old, target_, ec);  // the earlier output back where it was
        throw IoError("cannot rename " + tmp_.string() + " to " + target_.string() + ": " + why);
    }
    committed_ = true;
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace flowlab::core

/// @brief Output that appears under its final name only when complete (temp name + rename).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>

namespace flowlab::core {

/// A stdio file written as `<dir>/.<name>.tmp-<pid>` and renamed to `path` by commit().
/// Destroying it uncommitted removes the temporary. Throws IoError when the OS refuses.
class AtomicFile {
public:
    explicit AtomicFile(std::string path, const char* mode = "wb");
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    std::FILE* get() const noexcept { return file_; }
    const std::string& path() const noexcept { return path_; }
    const std::string& temp_path() const noexcept { return tmp_; }
    void commit();

private:
    std::string path_;
    std::string tmp_;
    std::FILE* file_ = nullptr;
};

/// The temporary name AtomicFile and PcapWriter use for `path`.
std::string temp_name_for(const std::string& path);

/// A directory flowlab may replace: one holding a manifest.json, or an empty one. Anything
/// else under the output's name is the user's, and no run removes it.
bool is_flowlab_output(const std::filesystem::path& dir);

/// An output directory (gen's, merge's) written as `<parent>/.<name>.tmp-<pid>` and put in
/// place by commit(), which replaces an earlier flowlab output only then, so an interrupted
/// or failed run leaves the earlier output as it was. Destroying it uncommitted removes the
/// temporary.
class AtomicDir {
public:
    /// Creates the temporary (and the parent); UsageError when `target` exists and is not a
    /// flowlab output (see is_flowlab_output), IoError when the OS refuses.
    explicit AtomicDir(std::filesystem::path target);
    ~AtomicDir();
    AtomicDir(const AtomicDir&) = delete;
    AtomicDir& operator=(const AtomicDir&) = delete;

    /// Where to write: the temporary directory until commit().
    const std::filesystem::path& path() const noexcept { return tmp_; }
    const std::filesystem::path& target() const noexcept { return target_; }
    /// Renames the temporary to the target, replacing an earlier output there.
    void commit();

private:
    std::filesystem::path target_;
    std::filesystem::path tmp_;
    bool committed_ = false;
};

}  // namespace flowlab::core

/// @brief Output that appears under its final name only when complete (temp name + rename).
#pragma once

#include <cstdio>
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

}  // namespace flowlab::core

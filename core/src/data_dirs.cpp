/// @brief The lookup of shipped data: caller's directories, install prefix, then the source tree.
#include "flowlab/core/data_dirs.hpp"

#include <filesystem>
#include <system_error>
#include <utility>

namespace flowlab::core {

namespace fs = std::filesystem;

namespace {

struct KindRow {
    DataKind kind;
    std::string_view name;
    std::string_view source_subdir;  ///< relative to the source tree
};

constexpr KindRow kKinds[] = {
    {DataKind::scenarios, "scenarios", "scenarios"},
    {DataKind::collectors, "collectors", "verify/collectors"},
    {DataKind::dialects, "dialects", "gen/dialects"},
    {DataKind::conformance, "conformance", "conformance"},
};

const KindRow& row(DataKind kind) noexcept {
    for (const auto& r : kKinds)
        if (r.kind == kind) return r;
    return kKinds[0];
}

fs::path executable() {
    std::error_code ec;
    auto p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : p;
}

/// True if `p` lies inside `dir` (both absolute and normalised).
bool inside(const fs::path& p, const fs::path& dir) {
    auto d = dir.begin();
    for (auto it = p.begin(); d != dir.end(); ++it, ++d)
        if (it == p.end() || *it != *d) return false;
    return true;
}

}  // namespace

std::string_view data_kind_name(DataKind kind) noexcept { return row(kind).name; }

namespace {
UserData& user_data_storage() noexcept {
    static UserData data;
    return data;
}
}  // namespace

void set_user_data(UserData data) { user_data_storage() = std::move(data); }

const UserData& user_data() noexcept { return user_data_storage(); }

std::vector<std::string> split_dir_list(std::string_view list) {
    std::vector<std::string> out;
    std::size_t from = 0;
    while (from <= list.size()) {
        const std::size_t colon = list.find(':', from);
        const std::string_view d = list.substr(from, colon == std::string_view::npos ? std::string_view::npos : colon - from);
        if (!d.empty()) out.emplace_back(d);
        if (colon == std::string_view::npos) break;
        from = colon + 1;
    }
    return out;
}

std::vector<std::string> data_dirs(DataKind kind, const std::vector<std::string>& first) {
    const KindRow& k = row(kind);
    std::vector<fs::path> candidates(first.begin(), first.end());
    const UserData& user = user_data();
    const std::vector<std::string>* mine = kind == DataKind::scenarios    ? &user.scenarios
                                           : kind == DataKind::collectors ? &user.collectors
                                           : kind == DataKind::dialects   ? &user.dialects
                                                                          : nullptr;
    if (mine) candidates.insert(candidates.end(), mine->begin(), mine->end());
    const fs::path exe = executable();
    if (!exe.empty()) {
        // <prefix>/<bindir>/flowlab: strip as many components as <bindir> has.
        fs::path prefix = exe.parent_path();
        for (const auto& part : fs::path(FLOWLAB_INSTALL_BINDIR)) {
            (void)part;
            prefix = prefix.parent_path();
        }
        candidates.push_back(prefix / FLOWLAB_INSTALL_DATADIR / "flowlab" / k.name);
    }
    candidates.push_back(fs::path(FLOWLAB_INSTALL_FULL_DATADIR) / "flowlab" / k.name);
    // The source tree only for executables of this build tree: an installed flowlab must never
    // prefer (or depend on) the checkout it was built from.
    if (!exe.empty() && inside(exe.lexically_normal(), fs::path(FLOWLAB_BINARY_DIR).lexically_normal()))
        candidates.push_back(fs::path(FLOWLAB_SOURCE_DIR) / k.source_subdir);

    std::vector<std::string> out;
    for (const auto& c : candidates) {
        std::error_code ec;
        if (!fs::is_directory(c, ec)) continue;
        const fs::path canonical = fs::weakly_canonical(c, ec);
        const std::string s = (ec ? c : canonical).string();
        bool seen = false;
        for (const auto& o : out) seen = seen || o == s;
        if (!seen) out.push_back(s);
    }
    return out;
}

std::optional<std::string> find_data_file(DataKind kind, std::string_view relative, const std::vector<std::string>& first) {
    for (const auto& d : data_dirs(kind, first)) {
        const fs::path p = fs::path(d) / relative;
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return p.string();
    }
    return std::nullopt;
}

}  // namespace flowlab::core

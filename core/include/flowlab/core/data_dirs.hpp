/// @brief Where flowlab finds the data it ships (scenarios, schema, collector profiles, ...).
///
/// One lookup for every kind, so an installed flowlab finds its own data under its install
/// prefix before anything else, and a new kind of shipped data (dialects, conformance cases)
/// is one more enumerator and one more row in data_dirs.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace flowlab::core {

/// The kinds of shipped data; each is installed under <datadir>/flowlab/<name>.
enum class DataKind : std::uint8_t { scenarios, collectors, dialects, conformance };

/// "scenarios", "collectors", "dialects", "conformance".
std::string_view data_kind_name(DataKind kind) noexcept;

/// What the user adds to the data flowlab ships. Libraries never read the environment: the app
/// fills this once at start (from FLOWLAB_SCENARIOS, FLOWLAB_COLLECTORS, FLOWLAB_DIALECTS,
/// FLOWLAB_CONFORMANCE, FLOWLAB_REGISTRY, FLOWLAB_CHARTJS), before it starts any thread.
struct UserData {
    std::vector<std::string> scenarios, collectors, dialects;  ///< searched before the shipped ones
    std::vector<std::string> conformance;       ///< case files or directories run instead of the shipped cases
    std::vector<std::string> registry_files;    ///< information-element registries loaded after the built-in ones
    std::string chart_library;                  ///< Chart.js to embed instead of the packaged one
};
void set_user_data(UserData data);
const UserData& user_data() noexcept;

/// Directories searched for data of a kind, in this order:
/// 1. `first` (the caller's own list, e.g. from an option), then the user's directories of
///    that kind (user_data(); for conformance cases see harness::default_case_paths);
/// 2. <prefix>/<datadir>/flowlab/<kind>, where <prefix> is the running executable's directory
///    without its <bindir> (so a relocated installation finds its own data);
/// 3. the configured install directory (CMAKE_INSTALL_FULL_DATADIR/flowlab/<kind>);
/// 4. only for an executable inside this build tree (tests, a build run in place): the source
///    tree's directory of that kind.
/// Directories that do not exist are left out; duplicates are listed once.
std::vector<std::string> data_dirs(DataKind kind, const std::vector<std::string>& first = {});

/// The first regular file `relative` (e.g. "nfcapd.json") in data_dirs(kind, first); nullopt if none.
std::optional<std::string> find_data_file(DataKind kind, std::string_view relative,
                                          const std::vector<std::string>& first = {});

/// Splits a colon-separated list of directories ("a:b::c" -> a, b, c).
std::vector<std::string> split_dir_list(std::string_view list);

}  // namespace flowlab::core

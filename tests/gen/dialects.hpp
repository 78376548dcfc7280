/// @brief The dialects shipped in gen/dialects, for tests parameterised over every one of them.
#pragma once

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace flowlab::test {

/// Names of gen/dialects/*.json, sorted so test instances keep a stable order.
inline std::vector<std::string> dialect_names() {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(FLOWLAB_DIALECTS_DIR))
        if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
    std::sort(out.begin(), out.end());
    return out;
}

/// A gtest instance name for a dialect: dashes are not allowed there.
inline std::string dialect_test_name(std::string name) {
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

}  // namespace flowlab::test

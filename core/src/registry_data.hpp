/// @brief The registry files of core/registry/, built into the library as text by CMake
/// (cmake/embed_registry.cmake), so flowlab needs no installed data to start.
#pragma once

#include <span>
#include <string_view>

namespace flowlab::core::detail {

struct BuiltinRegistry {
    std::string_view name;  ///< file name, e.g. "iana.ies"
    std::string_view text;
};

/// Every core/registry/*.ies file, in name order (iana first: it sorts before the enterprises).
std::span<const BuiltinRegistry> builtin_registries() noexcept;

}  // namespace flowlab::core::detail

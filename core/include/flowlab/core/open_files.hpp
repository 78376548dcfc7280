/// @brief Room for many open descriptors: one socket per emulated exporter is thousands of them.
#pragma once

#include <cstddef>
#include <string>

namespace flowlab::core {

/// Makes room for `needed` more open descriptors than the process holds now: raises the soft
/// RLIMIT_NOFILE (Debian's default soft limit is 1024) up to the hard limit when it must.
/// UsageError naming `what` and both limits when even the hard limit leaves too little room.
void ensure_open_files(std::size_t needed, const std::string& what);

}  // namespace flowlab::core

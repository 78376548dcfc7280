/// @brief Text inside XML and HTML (JUnit reports, report cards): the five reserved characters
/// as entities, and control characters, which XML 1.0 does not allow, as spaces.
#pragma once

#include <string>
#include <string_view>

namespace flowlab::core {

/// `s` safe as element text and as a double- or single-quoted attribute value.
std::string xml_escape(std::string_view s);

}  // namespace flowlab::core

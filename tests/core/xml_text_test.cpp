/// @brief xml_escape: what JUnit reports and report cards put between tags and in attributes.
#include "flowlab/core/xml_text.hpp"

#include <gtest/gtest.h>

namespace flowlab::core {
namespace {

TEST(XmlEscape, ReservedCharactersBecomeEntities) {
    EXPECT_EQ(xml_escape(R"(<a href="x">Tom & 'Jerry'</a>)"),
              "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;");
}

TEST(XmlEscape, ControlCharactersXmlForbidsBecomeSpaces) {
    EXPECT_EQ(xml_escape(std::string("a\0b\x1b[2Jc\x07", 9)), "a b [2Jc ");
    EXPECT_EQ(xml_escape("line\nnext\tcolumn"), "line\nnext\tcolumn");
    EXPECT_EQ(xml_escape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through
}

}  // namespace
}  // namespace flowlab::core

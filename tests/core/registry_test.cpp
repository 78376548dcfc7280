/// @brief The information-element registries as data: the IANA file is what the committed script
/// makes of IANA's CSV, every element of that CSV is in the built-in registry with its name and
/// type, the enterprise files load, a user's file adds or redefines elements, and a malformed file
/// is refused naming the file and line.
#include "flowlab/core/ie_catalog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "flowlab/core/error.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

/// RFC 4180 records: quoted cells may hold commas, doubled quotes and line breaks.
std::vector<std::vector<std::string>> csv_records(const std::string& text) {
    std::vector<std::vector<std::string>> out(1);
    std::string cell;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                cell += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cell += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.back().push_back(std::move(cell));
            cell.clear();
        } else if (c == '\n') {
            out.back().push_back(std::move(cell));
            cell.clear();
            out.emplace_back();
        } else if (c != '\r') {
            cell += c;
        }
    }
    if (!cell.empty() || !out.back().empty()) out.back().push_back(std::move(cell));
    if (out.back().empty()) out.pop_back();
    return out;
}

std::string registry_dir() { return test::source_dir() + "/core/registry"; }

TEST(Registry, IanaFileIsWhatTheCommittedScriptMakesOfIanasCsv) {
    FLOWLAB_REQUIRE_TOOL("python3");
    TempDir dir;
    // From the source tree, as its header line names the CSV by its path there.
    const auto r = test::run({"env", "-C", test::source_dir(), "python3", "scripts/registry/iana_csv_to_registry.py",
                              "core/registry/ipfix-information-elements.csv", dir / "iana.ies"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(test::read_file(dir / "iana.ies") == test::read_file(registry_dir() + "/iana.ies"))
        << "core/registry/iana.ies differs from what scripts/registry/iana_csv_to_registry.py writes: regenerate it";
}

TEST(Registry, AnEnterpriseFileInLibfdsLayoutBecomesARegistryFlowlabLoads) {
    FLOWLAB_REQUIRE_TOOL("python3");
    TempDir dir;
    test::write_file(dir / "lab.xml",
                     "<ipfix-elements>\n"
                     "  <scope><pen>32473</pen><name>lab</name></scope>\n"
                     "  <element><id>7</id><name>siteName</name><dataType>string</dataType>"
                     "<dataSemantics>default</dataSemantics><status>deprecated</status></element>\n"
                     "  <element><id>3</id><name>queueDepth</name><dataType>UNSIGNED32</dataType>"
                     "<units>packets</units></element>\n"
                     "</ipfix-elements>\n");
    const auto r = test::run({"python3", test::source_dir() + "/scripts/registry/libfds_xml_to_registry.py",
                              dir / "lab.xml", dir / "lab.ies", "a test"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto registry = Registry::builtin();
    registry->load_text(test::read_file(dir / "lab.ies"), "lab.ies");
    const IeInfo* depth = registry->find(32473, 3);
    ASSERT_NE(depth, nullptr);
    EXPECT_EQ(depth->qualified, "lab:queueDepth");
    EXPECT_EQ(depth->units, "packets");
    EXPECT_FALSE(depth->deprecated);
    ASSERT_NE(registry->find(32473, 7), nullptr);
    EXPECT_TRUE(registry->find(32473, 7)->deprecated);
}

TEST(Registry, BuiltInHoldsEveryElementOfIanasCsvWithItsNameAndType) {
    const auto rows = csv_records(test::read_file(registry_dir() + "/ipfix-information-elements.csv"));
    ASSERT_GT(rows.size(), 400u);
    const auto& header = rows.front();
    auto column = [&](const std::string& name) {
        for (std::size_t i = 0; i < header.size(); ++i)
            if (header[i] == name) return i;
        ADD_FAILURE() << "no column " << name;
        return std::size_t{0};
    };
    const std::size_t id_col = column("ElementID"), name_col = column("Name"), type_col = column("Abstract Data Type");
    const auto registry = Registry::builtin();
    std::size_t checked = 0;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const auto& row = rows[i];
        ASSERT_GT(row.size(), type_col) << "CSV record " << i;
        const std::string& id_text = row[id_col];
        // Ranges ("34-35") and reserved or unassigned ids name no element.
        if (id_text.empty() || id_text.find_first_not_of("0123456789") != std::string::npos) continue;
        if (row[type_col].empty()) continue;
        const auto id = static_cast<std::uint16_t>(std::stoul(id_text));
        const IeInfo* e = registry->find(0, id);
        ASSERT_NE(e, nullptr) << "element " << id << " (" << row[name_col] << ") is missing";
        EXPECT_EQ(e->name, row[name_col]) << "element " << id;
        EXPECT_EQ(ie_type_name(e->type), row[type_col]) << "element " << id;
        EXPECT_EQ(e->enterprise, 0u);
        ++checked;
    }
    EXPECT_GT(checked, 400u);
    // RFC 5103: each element's reverse, under PEN 29305, derived at load time.
    const IeInfo* reverse = registry->find(29305, 1);
    ASSERT_NE(reverse, nullptr);
    EXPECT_EQ(reverse->name, "reverseOctetDeltaCount");
    EXPECT_EQ(reverse->type, registry->find(0, 1)->type);
}

TEST(Registry, EnterpriseFilesLoadUnderTheirPens) {
    const auto registry = Registry::builtin();
    const IeInfo* url = registry->find(5951, 130);  // NetScaler AppFlow
    ASSERT_NE(url, nullptr);
    EXPECT_EQ(url->name, "httpReqUrl");
    EXPECT_EQ(url->type, IeType::string);
    EXPECT_EQ(url->qualified, "netscaler:httpReqUrl");
    const IeInfo* cisco = registry->find(9, 9252);
    ASSERT_NE(cisco, nullptr);
    EXPECT_EQ(cisco->name, "servicesWaasSegment");
    EXPECT_EQ(registry->find(5951, 130 | 0x4000), nullptr);
}

TEST(Registry, AUserFileAddsElementsAndALaterDefinitionWins) {
    auto registry = Registry::builtin();
    // 32473: the private enterprise number RFC 5612 sets aside for documentation.
    registry->load_text("# a lab's elements\n"
                        "registry lab\n"
                        "pen 32473\n"
                        "# id\tname\ttype\tsemantics\tunits\tstatus\n"
                        "1\tqueueDepth\tunsigned32\tquantity\tpackets\tcurrent\n"
                        "2\tsiteName\tstring\tdefault\t-\tdeprecated\n",
                        "lab.ies");
    const IeInfo* depth = registry->find(32473, 1);
    ASSERT_NE(depth, nullptr);
    EXPECT_EQ(depth->name, "queueDepth");
    EXPECT_EQ(depth->qualified, "lab:queueDepth");
    EXPECT_EQ(depth->units, "packets");
    EXPECT_FALSE(depth->deprecated);
    ASSERT_NE(registry->find(32473, 2), nullptr);
    EXPECT_TRUE(registry->find(32473, 2)->deprecated);
    EXPECT_EQ(registry->find(32473, 2)->units, "");

    registry->load_text("registry fixes\npen 0\n482\tvpnId\tunsigned32\tidentifier\t-\tcurrent\n", "fixes.ies");
    ASSERT_NE(registry->find(0, 482), nullptr);
    EXPECT_EQ(registry->find(0, 482)->name, "vpnId");
    EXPECT_EQ(registry->find(0, 482)->type, IeType::unsigned32);
}

TEST(Registry, ADirectoryLoadsItsIesFilesInNameOrder) {
    TempDir dir;
    test::write_file(dir / "b.ies", "registry b\npen 32473\n7\tfromB\tunsigned8\t-\t-\tcurrent\n");
    test::write_file(dir / "a.ies", "registry a\npen 32473\n7\tfromA\tunsigned8\t-\t-\tcurrent\n");
    test::write_file(dir / "notes.txt", "not a registry");
    Registry registry;
    registry.load_path(dir.path().string());
    ASSERT_NE(registry.find(32473, 7), nullptr);
    EXPECT_EQ(registry.find(32473, 7)->name, "fromB");
    EXPECT_EQ(registry.size(), 2u);
    try {
        registry.load_path(dir / "missing.ies");
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_EQ(std::string(e.what()), dir / "missing.ies" + ": cannot open the registry file");
    }
}

TEST(Registry, AMalformedFileIsRefusedNamingTheFileAndLine) {
    struct Case {
        const char* text;
        const char* message;  ///< the whole message after "bad.ies:"
    };
    const Case cases[] = {
        {"1\tx\tunsigned8\t-\t-\tcurrent\n", "1: the file must start with 'registry NAME' and 'pen N' lines"},
        {"registry r\n1\tx\tunsigned8\t-\t-\tcurrent\n", "2: the file must start with 'registry NAME' and 'pen N' lines"},
        {"registry r\npen 1 2\n", "2: 'pen' takes one value"},
        {"registry r\npen 4294967296\n", "2: expected a private enterprise number 0..4294967295, found '4294967296'"},
        {"registry r\npen 1\n1\tx\tunsigned8\t-\t-\tcurrent\npen 2\n", "4: 'pen' must come before the elements"},
        {"registry r\npen 1\n\n# comment\n32768\tx\tunsigned8\t-\t-\tcurrent\n",
         "5: element id must be 0..32767, found '32768'"},
        {"registry r\npen 1\n1\tx\tunsigned12\t-\t-\tcurrent\n", "3: unknown abstract data type 'unsigned12' (RFC 7012 3.1)"},
        {"registry r\npen 1\n1\tx\tunsigned8\t-\t-\tfuture\n", "3: status must be current, deprecated or obsolete, found 'future'"},
        {"registry r\npen 1\n1\tx\tunsigned8\t-\tcurrent\n",
         "3: expected 6 fields (id, name, type, semantics, units, status; '-' for none), found 5"},
    };
    for (const Case& c : cases) {
        Registry registry;
        try {
            registry.load_text(c.text, "bad.ies");
            ADD_FAILURE() << "accepted: " << c.text;
        } catch (const InputError& e) {
            EXPECT_EQ(std::string(e.what()), std::string("bad.ies:") + c.message) << c.text;
            EXPECT_EQ(e.file(), "bad.ies");
        }
    }
}

}  // namespace
}  // namespace flowlab::core

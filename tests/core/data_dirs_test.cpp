/// @brief core::data_dirs: the caller's directories first, then the install prefix, and the
/// source tree only for executables of the build tree (this test is one).
#include <gtest/gtest.h>

#include <filesystem>

#include "flowlab/core/data_dirs.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

namespace fs = std::filesystem;

TEST(DataDirs, CallerFirstSourceTreeLastForBuildTreeExecutables) {
    test::TempDir dir;
    fs::create_directories(dir / "mine");
    const auto dirs = data_dirs(DataKind::collectors, {dir / "mine", dir / "absent"});
    ASSERT_GE(dirs.size(), 2u);
    EXPECT_EQ(dirs.front(), fs::weakly_canonical(dir / "mine").string());
    EXPECT_EQ(dirs.back(), fs::weakly_canonical(test::source_dir() + "/verify/collectors").string());
    for (const auto& d : dirs) EXPECT_EQ(d.find("absent"), std::string::npos) << d;
}

TEST(DataDirs, FindsFilesInOrder) {
    test::TempDir dir;
    fs::create_directories(dir / "a");
    test::write_file(dir / "a/nfcapd.json", "{}");
    EXPECT_EQ(find_data_file(DataKind::collectors, "nfcapd.json", {dir / "a"}), (dir / "a/nfcapd.json"));
    const auto shipped = find_data_file(DataKind::collectors, "nfcapd.json");
    ASSERT_TRUE(shipped);
    EXPECT_NE(shipped->find("verify/collectors"), std::string::npos) << *shipped;
    EXPECT_FALSE(find_data_file(DataKind::scenarios, "no-such-scenario.json"));
    EXPECT_TRUE(find_data_file(DataKind::scenarios, "schema.json"));
}

TEST(DataDirs, SplitsColonLists) {
    EXPECT_EQ(split_dir_list("a:b::c:"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(split_dir_list("").empty());
    EXPECT_EQ(data_kind_name(DataKind::conformance), "conformance");
}

}  // namespace
}  // namespace flowlab::core

/// @brief core::data_dirs: the caller's directories first, then the install prefix, and the
/// source tree only for executables of the build tree (this test is one).
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

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

TEST(DataDirs, TheUsersDirectoriesComeFromTheAppNotFromTheEnvironment) {
    test::TempDir dir;
    fs::create_directories(dir / "from-env");
    fs::create_directories(dir / "from-app");
    // What a library sees of the environment is only what the app handed it.
    ::setenv("FLOWLAB_DIALECTS", (dir / "from-env").c_str(), 1);
    for (const auto& d : data_dirs(DataKind::dialects)) EXPECT_EQ(d.find("from-env"), std::string::npos) << d;
    UserData user;
    user.dialects = {dir / "from-app"};
    set_user_data(user);
    const auto dirs = data_dirs(DataKind::dialects, {});
    ::unsetenv("FLOWLAB_DIALECTS");
    set_user_data({});
    ASSERT_FALSE(dirs.empty());
    EXPECT_EQ(dirs.front(), fs::weakly_canonical(dir / "from-app").string());
    for (const auto& d : dirs) EXPECT_EQ(d.find("from-env"), std::string::npos) << d;
    // A kind's directories are its own: dialect directories are not searched for profiles.
    user.collectors.clear();
    set_user_data(user);
    for (const auto& d : data_dirs(DataKind::collectors)) EXPECT_EQ(d.find("from-app"), std::string::npos) << d;
    set_user_data({});
}

/// Libraries never print and never read the environment (the app renders what they report
/// and hands them the user's settings), and text is formatted through fmt, not printf.
TEST(SourceRules, LibrariesDoNotPrintOrReadTheEnvironmentAndNothingUsesPrintf) {
    const fs::path root = test::source_dir();
    const std::vector<std::string> library_bans = {"getenv(", "std::cout", "std::cerr", "fmt::print(", "puts("};
    const std::vector<std::string> everywhere_bans = {"printf("};
    std::vector<std::string> found;
    for (const char* dir : {"core", "gen", "replay", "verify", "report", "harness", "app", "tests", "bench", "fuzz"}) {
        const bool library = std::string_view(dir) != "app" && std::string_view(dir) != "tests" &&
                             std::string_view(dir) != "bench" && std::string_view(dir) != "fuzz";
        for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
            const auto ext = e.path().extension();
            if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
            // This file names what it bans.
            if (e.path().filename() == "data_dirs_test.cpp") continue;
            std::istringstream lines(test::read_file(e.path()));
            int number = 0;
            for (std::string line; std::getline(lines, line);) {
                ++number;
                const auto code = line.find_first_not_of(' ');
                if (code == std::string::npos || line.compare(code, 2, "//") == 0) continue;  // comments may name them
                const std::string where = e.path().string() + ":" + std::to_string(number) + ": ";
                for (const auto& ban : everywhere_bans)
                    if (line.find(ban) != std::string::npos) found.push_back(where + ban);
                if (!library) continue;
                for (const auto& ban : library_bans)
                    if (line.find(ban) != std::string::npos) found.push_back(where + ban);
            }
        }
    }
    EXPECT_TRUE(found.empty()) << [&] {
        std::string s;
        for (const auto& f : found) s += f + "\n";
        return s;
    }();
}

TEST(DataDirs, SplitsColonLists) {
    EXPECT_EQ(split_dir_list("a:b::c:"), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(split_dir_list("").empty());
    EXPECT_EQ(data_kind_name(DataKind::conformance), "conformance");
}

}  // namespace
}  // namespace flowlab::core

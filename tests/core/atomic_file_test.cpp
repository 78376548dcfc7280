/// @brief AtomicFile: nothing under the final name until commit, no temporary left behind.
#include "flowlab/core/atomic_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "flowlab/core/error.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(AtomicFile, TempNameIsHiddenBesideTheTarget) {
    const std::string pid = std::to_string(getpid());
    EXPECT_EQ(temp_name_for("/a/b/out.csv"), "/a/b/.out.csv.tmp-" + pid);
    EXPECT_EQ(temp_name_for("out.csv"), ".out.csv.tmp-" + pid);
    EXPECT_EQ(temp_name_for("dir/x"), "dir/.x.tmp-" + pid);
    EXPECT_EQ(temp_name_for("/x"), "/.x.tmp-" + pid);
}

TEST(AtomicFile, CommitRenamesIntoPlace) {
    TempDir dir;
    const std::string path = dir / "out.txt";
    {
        AtomicFile f(path);
        EXPECT_EQ(f.path(), path);
        EXPECT_EQ(f.temp_path(), temp_name_for(path));
        std::fputs("hello\n", f.get());
        EXPECT_FALSE(fs::exists(path));
        EXPECT_TRUE(fs::exists(f.temp_path()));
        f.commit();
        EXPECT_TRUE(fs::exists(path));
        EXPECT_FALSE(fs::exists(f.temp_path()));
    }
    EXPECT_EQ(test::read_file(path), "hello\n");
    EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(AtomicFile, CommitReplacesAnExistingFile) {
    TempDir dir;
    const std::string path = dir / "out.txt";
    test::write_file(path, "old contents that are longer");
    AtomicFile f(path);
    std::fputs("new", f.get());
    EXPECT_EQ(test::read_file(path), "old contents that are longer");
    f.commit();
    EXPECT_EQ(test::read_file(path), "new");
}

TEST(AtomicFile, UncommittedFileLeavesNothing) {
    TempDir dir;
    const std::string path = dir / "out.txt";
    test::write_file(path, "previous");
    {
        AtomicFile f(path);
        std::fputs("partial", f.get());
    }
    EXPECT_EQ(test::read_file(path), "previous");  // untouched
    EXPECT_EQ(entries(dir.path()), 1u);             // and no temporary
}

TEST(AtomicFile, UnwritableDirectoryIsAnIoError) {
    TempDir dir;
    const std::string path = dir / "no-such-dir/out.txt";
    try {
        AtomicFile f(path);
        FAIL() << "no error";
    } catch (const IoError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot create " + temp_name_for(path) + " (for " + path + "): No such file or directory");
    }
}

TEST(AtomicFile, RenameOntoADirectoryFailsAndCleansUp) {
    TempDir dir;
    const std::string path = dir / "taken";
    fs::create_directory(path);
    fs::create_directory(path + "/inside");  // a non-empty directory cannot be replaced
    AtomicFile f(path);
    std::fputs("x", f.get());
    EXPECT_THROW(f.commit(), IoError);
    EXPECT_FALSE(fs::exists(temp_name_for(path)));
    EXPECT_TRUE(fs::is_directory(path));
}

TEST(AtomicFile, FullDiskIsReportedAtCommit) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "/dev/full is not available";
    // The temporary name of /dev/full would be /dev/.full.tmp-PID, a regular file: instead
    // write through a symlink so the data really goes to /dev/full.
    TempDir dir;
    const std::string path = dir / "out";
    fs::create_symlink("/dev/full", temp_name_for(path));
    AtomicFile f(path);
    std::fputs("data", f.get());
    try {
        f.commit();
        FAIL() << "no error";
    } catch (const IoError& e) {
        EXPECT_EQ(std::string(e.what()), path + ": write failed: No space left on device");
    }
    EXPECT_FALSE(fs::exists(path));
}

TEST(AtomicFile, DirectoryNameIsRefused) { EXPECT_THROW(AtomicFile("some/dir/"), IoError); }

TEST(AtomicDir, NothingUnderTheTargetUntilCommitThenItReplacesAnEarlierOutput) {
    TempDir dir;
    const fs::path target = dir.path() / "out";
    fs::create_directory(target);
    test::write_file((target / "manifest.json").string(), "earlier");
    test::write_file((target / "stale.csv").string(), "from the earlier run");
    {
        AtomicDir out(target);
        EXPECT_EQ(out.target(), target);
        EXPECT_EQ(out.path(), dir.path() / (".out.tmp-" + std::to_string(getpid())));
        test::write_file((out.path() / "manifest.json").string(), "new");
        EXPECT_EQ(test::read_file((target / "manifest.json").string()), "earlier");
        out.commit();
    }
    EXPECT_EQ(test::read_file((target / "manifest.json").string()), "new");
    EXPECT_FALSE(fs::exists(target / "stale.csv"));  // replaced, not merged into
    EXPECT_EQ(entries(dir.path()), 1u);              // no temporary, no earlier output left aside
}

TEST(AtomicDir, UncommittedLeavesTheEarlierOutputAndNoTemporary) {
    TempDir dir;
    const fs::path target = dir.path() / "out";
    fs::create_directory(target);
    test::write_file((target / "manifest.json").string(), "earlier");
    {
        AtomicDir out(target);
        test::write_file((out.path() / "manifest.json").string(), "half");
    }
    EXPECT_EQ(test::read_file((target / "manifest.json").string()), "earlier");
    EXPECT_EQ(entries(dir.path()), 1u);
    {
        AtomicDir fresh(dir.path() / "new/deeper");  // parents are made
        EXPECT_TRUE(fs::is_directory(fresh.path()));
    }
    EXPECT_FALSE(fs::exists(dir.path() / "new/deeper"));
}

TEST(AtomicDir, ADirectoryThatIsNotAFlowlabOutputIsNeverReplaced) {
    TempDir dir;
    const fs::path users = dir.path() / "home";
    fs::create_directory(users);
    test::write_file((users / "thesis.tex").string(), "keep me");
    EXPECT_FALSE(is_flowlab_output(users));
    try {
        AtomicDir out(users);
        FAIL() << "no error";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find(users.string() + " exists and is not a flowlab output directory"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_EQ(test::read_file((users / "thesis.tex").string()), "keep me");
    EXPECT_EQ(entries(dir.path()), 1u);

    const fs::path file = dir.path() / "a-file";
    test::write_file(file.string(), "x");
    EXPECT_FALSE(is_flowlab_output(file));
    EXPECT_THROW(AtomicDir{file}, UsageError);

    const fs::path empty = dir.path() / "empty";
    fs::create_directory(empty);
    EXPECT_TRUE(is_flowlab_output(empty));
    AtomicDir out((empty.string() + "/"));  // a trailing slash names the same directory
    EXPECT_EQ(out.target(), empty);
    out.commit();
    EXPECT_TRUE(fs::is_empty(empty));
}

}  // namespace
}  // namespace flowlab::core

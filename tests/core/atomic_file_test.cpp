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

}  // namespace
}  // namespace flowlab::core

/// @brief core::Process and run_to_end: started by posix_spawn in their own process group,
/// stopped by PID (with whatever they started), output where asked, cancellable.
#include "flowlab/core/process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

#include "flowlab/core/error.hpp"
#include "flowlab/core/run_control.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

using namespace std::chrono_literals;

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

Process::Options sh(const std::string& script) {
    Process::Options o;
    o.argv = {"/bin/sh", "-c", script};
    return o;
}

TEST(Process, RunsToTheEndWithOutputAndStatus) {
    auto o = sh("echo out; echo err >&2; read line; echo \"got $line\"; exit 3");
    const RunOutput r = run_to_end(o, 10s, "hello\n");
    EXPECT_EQ(r.status.code, 3);
    EXPECT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.describe(), "exited with status 3");
    EXPECT_EQ(r.out, "out\ngot hello\n");
    EXPECT_EQ(r.err, "err\n");
    EXPECT_FALSE(r.timed_out);
}

TEST(Process, EnvironmentEntriesAreAddedOrReplaced) {
    auto o = sh("echo \"$FLOWLAB_T1 $HOME\"");
    o.env = {"FLOWLAB_T1=one", "HOME=/nowhere"};
    EXPECT_EQ(run_to_end(o, 10s).out, "one /nowhere\n");
}

TEST(Process, WorkingDirectoryAndLogFile) {
    test::TempDir dir;
    auto o = sh("pwd; echo oops >&2");
    o.cwd = dir.path().string();
    o.out = Process::Stream::file(dir / "log");
    o.err = Process::Stream::same_as_stdout();
    Process p = Process::start(o);
    EXPECT_TRUE(p.wait().ok());
    EXPECT_EQ(test::read_file(dir / "log"), dir.path().string() + "\noops\n");
}

/// A pipe whose two ends this test closes.
struct TestPipe {
    int read_end = -1, write_end = -1;
    TestPipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
        read_end = fds[0];
        write_end = fds[1];
    }
    ~TestPipe() {
        if (read_end >= 0) ::close(read_end);
        if (write_end >= 0) ::close(write_end);
    }
    std::string drain() {
        ::close(std::exchange(write_end, -1));
        std::string text;
        char buf[256];
        ssize_t n;
        while ((n = ::read(read_end, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
        return text;
    }
};

TEST(Process, PassedDescriptorsArriveUnderTheirNumbersEvenWhenTheNumbersCross) {
    // Ours at 13 goes to their 14 and ours at 14 to their 13: moved in place one after the
    // other, the first move would overwrite the second's source.
    TestPipe a, b;
    ASSERT_EQ(::dup3(a.write_end, 13, O_CLOEXEC), 13);
    ASSERT_EQ(::dup3(b.write_end, 14, O_CLOEXEC), 14);
    Process::Options o;
    o.argv = {"/bin/bash", "-c", "echo to-14 >&14; echo to-13 >&13"};
    o.pass_fds = {{13, 14}, {14, 13}};
    EXPECT_TRUE(Process::start(o).wait().ok());
    ::close(13);
    ::close(14);
    EXPECT_EQ(a.drain(), "to-14\n");
    EXPECT_EQ(b.drain(), "to-13\n");
}

TEST(Process, NothingElseOfOursReachesTheChild) {
    // A descriptor opened without close-on-exec, as a library might, stays out of the child.
    const int opened = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(opened, 0);
    const int leaky = ::fcntl(opened, F_DUPFD, 20);  // clear of the number passed below
    ::close(opened);
    ASSERT_GE(leaky, 20);
    TestPipe passed;
    auto o = sh("for fd in " + std::to_string(leaky) + " 3; do if [ -e /proc/self/fd/$fd ]; then echo \"$fd open\"; "
                "else echo \"$fd closed\"; fi; done");
    o.pass_fds = {{passed.write_end, 3}};
    const RunOutput r = run_to_end(o, 10s);
    ::close(leaky);
    EXPECT_EQ(r.out, std::to_string(leaky) + " closed\n3 open\n");
}

TEST(Process, PassingAsAStandardStreamOrTwiceAsOneNumberIsRefused) {
    TestPipe p;
    Process::Options o = sh("true");
    o.pass_fds = {{p.write_end, 1}};
    EXPECT_THROW(Process::start(o), IoError);
    o.pass_fds = {{p.write_end, 5}, {p.read_end, 5}};
    EXPECT_THROW(Process::start(o), IoError);
}

TEST(Process, AProgramThatIsNotInstalledIsNamed) {
    Process::Options o;
    o.argv = {"flowlab-no-such-program-x", "--help"};
    try {
        Process::start(o);
        FAIL() << "expected IoError";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("flowlab-no-such-program-x is not installed"), std::string::npos) << e.what();
    }
}

TEST(Process, StopBySignalThenKillAfterTheGrace) {
    Process p = Process::start(sh("exec sleep 100"));
    ASSERT_TRUE(p.running());
    const ExitStatus st = p.stop(SIGTERM, 5s);
    EXPECT_EQ(st.signal, SIGTERM);
    EXPECT_EQ(st.shell_code(), 143);
    EXPECT_FALSE(alive(p.pid()));

    // A child that ignores the polite signal is killed once the grace is over.
    test::TempDir dir;
    auto o = sh("trap '' TERM; echo ready; while :; do sleep 1; done");
    o.out = Process::Stream::file(dir / "out");
    Process stubborn = Process::start(o);
    ASSERT_TRUE(test::wait_until([&] { return test::read_file_if_exists(dir / "out") == "ready\n"; }, 10s));
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(stubborn.stop(SIGTERM, 300ms).signal, SIGKILL);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(Process, StopAlsoEndsWhatTheChildStartedInItsGroup) {
    test::TempDir dir;
    // The shell starts a helper in the background, writes its PID, then waits.
    auto o = sh("sleep 100 & echo $! > " + dir / "helper" + "; wait");
    Process p = Process::start(o);
    ASSERT_TRUE(test::wait_until([&] { return test::read_file_if_exists(dir / "helper").find('\n') != std::string::npos; },
                                 10s));
    const pid_t helper = static_cast<pid_t>(std::stol(test::read_file(dir / "helper")));
    ASSERT_TRUE(alive(helper));
    EXPECT_EQ(::getpgid(helper), p.pid());  // its own group, led by the child
    p.stop(SIGTERM, 2s);
    EXPECT_TRUE(test::wait_until([&] { return !alive(helper); }, 5s)) << "helper " << helper << " survived";
}

TEST(Process, DestroyingARunningChildKillsIt) {
    pid_t pid = -1;
    {
        Process p = Process::start(sh("exec sleep 100"));
        pid = p.pid();
        ASSERT_TRUE(alive(pid));
    }
    EXPECT_FALSE(alive(pid));
}

TEST(Process, WaitForTimesOutOrSeesTheCancel) {
    Process p = Process::start(sh("exec sleep 100"));
    EXPECT_FALSE(p.wait_for(50ms).has_value());
    CancelToken stop;
    stop.cancel(SIGINT);
    EXPECT_FALSE(p.wait_for(100s, &stop).has_value());  // returns at once
    EXPECT_TRUE(p.running());
    Process quick = Process::start(sh("exit 0"));
    const auto st = quick.wait_for(10s);
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(st->ok());
}

TEST(Process, RunToEndTimesOutAndKills) {
    const RunOutput r = run_to_end(sh("echo partial; exec sleep 100"), 300ms);
    EXPECT_TRUE(r.timed_out);
    EXPECT_EQ(r.status.signal, SIGKILL);
    EXPECT_EQ(r.out, "partial\n");
}

TEST(Process, RunToEndStopsOnCancelAndThrowsInterrupted) {
    CancelToken stop;
    stop.cancel(SIGTERM);
    try {
        run_to_end(sh("exec sleep 100"), 100s, {}, &stop);
        FAIL() << "expected Interrupted";
    } catch (const Interrupted& e) {
        EXPECT_EQ(e.signal(), SIGTERM);
        EXPECT_EQ(e.exit_code(), 143);
    }
}

TEST(CancelToken, CheckThrowsOnlyOnceCancelled) {
    CancelToken t;
    EXPECT_NO_THROW(t.check("x"));
    t.cancel(SIGINT);
    EXPECT_TRUE(t.cancelled());
    EXPECT_TRUE(t.flag()->load());
    try {
        t.check("after 3 things");
        FAIL();
    } catch (const Interrupted& e) {
        EXPECT_EQ(e.exit_code(), 130);
        EXPECT_EQ(e.done(), "after 3 things");
    }
}

}  // namespace
}  // namespace flowlab::core

/// @brief BatchPipe: every item reaches the worker once and in order; a worker's error reaches
/// the producer; the producer waits when the worker falls behind; and a producer that gives up
/// (an exception, a stop) does not leave the thread behind.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <vector>

#include "flowlab/core/batch_pipe.hpp"

namespace flowlab::core {
namespace {

struct Numbers {
    std::vector<int> items;
    void clear() { items.clear(); }
};

TEST(BatchPipe, EveryItemArrivesOnceInOrder) {
    std::vector<int> seen;
    std::size_t batches = 0;
    {
        BatchPipe<Numbers> pipe([&](Numbers& b) {
            ++batches;
            seen.insert(seen.end(), b.items.begin(), b.items.end());
        });
        for (int i = 0; i < 100'000; ++i) {
            pipe.current().items.push_back(i);
            if (pipe.current().items.size() == 333) pipe.submit();
        }
        pipe.finish();
    }
    ASSERT_EQ(seen.size(), 100'000u);
    for (int i = 0; i < 100'000; ++i) ASSERT_EQ(seen[static_cast<std::size_t>(i)], i);
    EXPECT_EQ(batches, 100'000u / 333 + 1);
}

TEST(BatchPipe, RecycledBatchesArriveEmpty) {
    std::vector<std::size_t> sizes;
    BatchPipe<Numbers> pipe([&](Numbers& b) { sizes.push_back(b.items.size()); }, 1);
    for (int round = 0; round < 50; ++round) {
        for (int i = 0; i <= round % 7; ++i) pipe.current().items.push_back(i);
        pipe.submit();
    }
    pipe.finish();
    ASSERT_EQ(sizes.size(), 51u);  // finish() submits the last, empty batch too
    for (int round = 0; round < 50; ++round) EXPECT_EQ(sizes[static_cast<std::size_t>(round)], static_cast<std::size_t>(round % 7 + 1));
}

TEST(BatchPipe, TheWorkersErrorReachesTheProducer) {
    BatchPipe<Numbers> pipe([](Numbers& b) {
        if (!b.items.empty() && b.items.front() == 3) throw std::runtime_error("disk full");
    });
    bool thrown = false;
    try {
        for (int i = 0; i < 1000; ++i) {
            pipe.current().items.push_back(i);
            pipe.submit();
        }
        pipe.finish();
    } catch (const std::runtime_error& e) {
        thrown = true;
        EXPECT_STREQ(e.what(), "disk full");
    }
    EXPECT_TRUE(thrown);
}

TEST(BatchPipe, TheProducerWaitsWhileTheQueueIsFull) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<int> consumed{0};
    BatchPipe<Numbers> pipe(
        [&](Numbers&) {
            released.wait();
            ++consumed;
        },
        2);
    // The worker holds one batch and two wait: the fourth submit cannot return until released.
    for (int i = 0; i < 3; ++i) pipe.submit();
    auto fourth = std::async(std::launch::async, [&] { pipe.submit(); });
    EXPECT_EQ(fourth.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
    release.set_value();
    fourth.get();
    pipe.finish();
    EXPECT_EQ(consumed.load(), 5);
}

TEST(BatchPipe, AProducerThatGivesUpJoinsTheWorker) {
    std::atomic<int> consumed{0};
    try {
        BatchPipe<Numbers> pipe([&](Numbers&) { ++consumed; });
        pipe.submit();
        pipe.submit();
        throw std::runtime_error("interrupted");
    } catch (const std::runtime_error&) {
    }
    // The destructor let the worker take what was queued and joined it.
    EXPECT_EQ(consumed.load(), 2);
}

}  // namespace
}  // namespace flowlab::core

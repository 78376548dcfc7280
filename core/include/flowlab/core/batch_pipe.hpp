#pragma once
/// @brief One producer fills batches, one worker thread consumes them in order: the output half
/// of a pipeline (formatting and writing) runs beside the input half (generating, decoding), so
/// a two-core machine does both at once. Batches are recycled, so their buffers keep their
/// capacity; at most `queued` full batches wait, so memory stays bounded when the worker is
/// the slower half.
///
/// Errors: an exception in the worker stops it; the producer's next submit() or finish()
/// rethrows it. The destructor (on the producer's own error or a stop) lets the worker finish
/// what was queued and joins it, so no thread outlives the pipe.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace flowlab::core {

/// `Batch` is default-constructible and has clear(), which keeps its buffers' capacity.
template <class Batch>
class BatchPipe {
public:
    using Consume = std::function<void(Batch&)>;

    explicit BatchPipe(Consume consume, std::size_t queued = 4) : consume_(std::move(consume)), queued_(queued) {
        worker_ = std::thread([this] { run(); });
    }
    ~BatchPipe() { close_and_join(); }
    BatchPipe(const BatchPipe&) = delete;
    BatchPipe& operator=(const BatchPipe&) = delete;

    /// The batch being filled.
    Batch& current() noexcept { return current_; }

    /// Hands the current batch to the worker (waiting while `queued` batches wait) and starts
    /// an empty one. Rethrows the worker's error, if it had one.
    void submit() {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [&] { return queue_.size() < queued_ || error_; });
        if (error_) std::rethrow_exception(error_);
        queue_.push_back(std::move(current_));
        if (!spare_.empty()) {
            current_ = std::move(spare_.back());
            spare_.pop_back();
        } else {
            current_ = Batch{};
        }
        current_.clear();
        lock.unlock();
        ready_.notify_one();
    }

    /// Submits the current batch, waits until the worker has consumed everything, and rethrows
    /// its error, if any.
    void finish() {
        submit();
        close_and_join();
        if (error_) std::rethrow_exception(error_);
    }

private:
    void close_and_join() {
        {
            std::lock_guard lock(mutex_);
            closing_ = true;
        }
        ready_.notify_all();
        if (worker_.joinable()) worker_.join();
    }

    void run() {
        while (true) {
            Batch b;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [&] { return !queue_.empty() || closing_; });
                if (queue_.empty()) return;
                b = std::move(queue_.front());
                queue_.pop_front();
            }
            space_.notify_one();
            try {
                consume_(b);
            } catch (...) {
                std::lock_guard lock(mutex_);
                error_ = std::current_exception();
                space_.notify_all();
                return;
            }
            b.clear();
            std::lock_guard lock(mutex_);
            spare_.push_back(std::move(b));
        }
    }

    Consume consume_;
    std::size_t queued_;
    Batch current_;
    std::deque<Batch> queue_;
    std::vector<Batch> spare_;
    std::mutex mutex_;
    std::condition_variable ready_, space_;
    bool closing_ = false;
    std::exception_ptr error_;
    std::thread worker_;
};

}  // namespace flowlab::core

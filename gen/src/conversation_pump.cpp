/// @brief The traffic source's thread: batches of conversations through a bounded queue.
#include "flowlab/gen/conversation_pump.hpp"

#include <utility>

namespace flowlab::gen {

ConversationPump::ConversationPump(Pull pull, std::size_t batch, std::size_t queued)
    : pull_(std::move(pull)), batch_size_(batch ? batch : 1), queued_(queued ? queued : 1) {
    worker_ = std::thread([this] { run(); });
}

ConversationPump::~ConversationPump() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    room_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void ConversationPump::run() {
    while (true) {
        Batch b;
        {
            std::unique_lock lock(mutex_);
            room_.wait(lock, [&] { return full_.size() < queued_ || stopping_; });
            if (stopping_) return;
            if (!spare_.empty()) {
                b = std::move(spare_.back());
                spare_.pop_back();
            }
        }
        // Recycled conversations keep their bursts' capacity, which next() fills again.
        b.resize(batch_size_);
        std::size_t n = 0;
        bool more = true;
        std::exception_ptr error;
        try {
            while (n < batch_size_ && (more = pull_(b[n]))) ++n;
        } catch (...) {
            error = std::current_exception();
            more = false;
        }
        b.resize(n);
        {
            std::lock_guard lock(mutex_);
            if (n) full_.push_back(std::move(b));
            if (!more) {
                ended_ = true;
                error_ = error;
            }
        }
        filled_.notify_one();
        if (!more) return;
    }
}

bool ConversationPump::next(Conversation& out) {
    if (taken_ == taking_.size()) {
        std::unique_lock lock(mutex_);
        if (!taking_.empty()) spare_.push_back(std::move(taking_));
        taking_ = {};
        taken_ = 0;
        filled_.wait(lock, [&] { return !full_.empty() || ended_; });
        if (full_.empty()) {
            if (error_) std::rethrow_exception(error_);
            return false;
        }
        taking_ = std::move(full_.front());
        full_.pop_front();
        lock.unlock();
        room_.notify_one();
    }
    std::swap(out, taking_[taken_++]);
    return true;
}

}  // namespace flowlab::gen

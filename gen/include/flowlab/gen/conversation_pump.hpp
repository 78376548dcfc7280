/// @brief Runs a conversation stream (the traffic source) on a thread of its own, ahead of its
/// consumer (the simulation), in batches through a bounded queue: `gen -j 2` and more.
///
/// The stream is a pure function of its inputs, so pulling it ahead on another thread changes
/// neither the conversations nor their order: the consumer sees exactly what pulling it
/// directly would give. At most `queued` full batches wait, plus the one being filled and the
/// one being taken, so memory is bounded by (queued + 2) * batch conversations (see
/// kPumpConversations, which the memory estimate counts).
///
/// Errors: an exception in the producer ends the stream there; the consumer gets every
/// conversation pulled before it, then the exception itself from next(). The destructor stops
/// the producer (also while it waits for room) and joins it, so no thread outlives the pump.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "flowlab/gen/conversation.hpp"

namespace flowlab::gen {

class ConversationPump {
public:
    using Pull = std::function<bool(Conversation&)>;
    static constexpr std::size_t kBatch = 1024;
    static constexpr std::size_t kQueued = 4;

    /// Starts pulling at once. `pull` runs on the pump's thread only, until it returns false,
    /// throws, or the pump is destroyed.
    explicit ConversationPump(Pull pull, std::size_t batch = kBatch, std::size_t queued = kQueued);
    ~ConversationPump();
    ConversationPump(const ConversationPump&) = delete;
    ConversationPump& operator=(const ConversationPump&) = delete;

    /// The next conversation, as `pull` gave it (out's bursts storage goes back for reuse).
    /// False at the end of the stream; rethrows the producer's exception where it stopped.
    bool next(Conversation& out);

private:
    using Batch = std::vector<Conversation>;
    void run();

    Pull pull_;
    std::size_t batch_size_;
    std::size_t queued_;
    Batch taking_;            ///< the consumer's batch
    std::size_t taken_ = 0;   ///< conversations of taking_ already handed out
    std::deque<Batch> full_;  ///< filled, in stream order
    std::vector<Batch> spare_;
    std::mutex mutex_;
    std::condition_variable filled_, room_;
    bool ended_ = false;     ///< the producer is done (end of stream or error)
    bool stopping_ = false;  ///< the consumer is going away
    std::exception_ptr error_;
    std::thread worker_;  ///< last: it uses the members above
};

/// Conversations the pump holds at most (batches queued, filling and being taken).
inline constexpr std::size_t kPumpConversations = (ConversationPump::kQueued + 2) * ConversationPump::kBatch;

}  // namespace flowlab::gen

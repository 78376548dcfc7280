/// @brief What every activity model is built from: the context it runs in, the sink it writes
/// conversations to, endpoint choice (pools, Zipf servers, ephemeral ports), and helpers that
/// lay out TCP/UDP packet trains as bursts.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "flowlab/gen/conversation.hpp"
#include "flowlab/gen/random.hpp"
#include "flowlab/gen/rate_curve.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen::models {

inline constexpr std::uint8_t kFin = 0x01;
inline constexpr std::uint8_t kSyn = 0x02;
inline constexpr std::uint8_t kRst = 0x04;
inline constexpr std::uint8_t kPsh = 0x08;
inline constexpr std::uint8_t kAck = 0x10;

inline constexpr std::uint8_t kTcp = 6;
inline constexpr std::uint8_t kUdp = 17;
inline constexpr std::uint8_t kIcmp = 1;
inline constexpr std::uint8_t kIcmpV6 = 58;

/// Ephemeral source ports (Linux's default net.ipv4.ip_local_port_range).
inline constexpr std::uint16_t kEphemeralLow = 32768;
inline constexpr std::uint16_t kEphemeralHigh = 60999;

/// Everything a model needs to know about where it runs.
struct Context {
    const Scenario* scenario = nullptr;
    const Activity* activity = nullptr;
    std::uint32_t index = 0;   ///< activity index (Conversation::activity)
    std::int64_t begin = 0;    ///< window start (µs)
    std::int64_t end = 0;      ///< window end (µs, exclusive for starts)
    double scale = 1.0;
    std::uint64_t key = 0;     ///< the activity's stream key: stream_key(seed, {fnv1a64(name)})

    /// An independent stream for a purpose and index within this activity.
    Rng rng(std::uint64_t purpose, std::uint64_t n = 0) const noexcept {
        return Rng(stream_key(key, {purpose, n}));
    }
};

/// Stream purposes (labels in the stream-key path).
enum Purpose : std::uint64_t {
    kArrivalStream = 1,
    kNoiseStream = 2,
    kSessionStream = 3,
    kPortStream = 4,
    kDayStream = 5,
    kWeekStream = 6,
    kEpisodeStream = 7,
    kHostStream = 8,
    kScannerStream = 9,
    kPermutationStream = 10,
    kSourceStream = 11,
};

/// Where a model's conversations go. open() hands out a cleared Conversation owned by the
/// runner (its bursts vector keeps its capacity across uses: no allocation in steady state).
class Sink {
public:
    virtual ~Sink() = default;
    virtual Conversation& open(const ConversationKey& key) = 0;
};

/// A model yields "arrivals" in time order; each arrival writes conversations that all start at
/// or after its time.
class Model {
public:
    virtual ~Model() = default;
    /// Lower bound of the start of every conversation not generated yet; kNever when done.
    virtual std::int64_t next_time() = 0;
    /// Generates the arrival at next_time().
    virtual void generate(Sink& sink) = 0;
};

std::unique_ptr<Model> make_model(const Context& ctx);

/// IP/transport header sizes of one address family.
struct Wire {
    bool v6 = false;
    std::uint32_t ip() const noexcept { return v6 ? 40 : 20; }
    std::uint32_t tcp() const noexcept { return ip() + 20; }          ///< pure ACK/FIN/RST
    std::uint32_t tcp_syn() const noexcept { return ip() + 40; }      ///< SYN with MSS, SACK, TS, WS options
    std::uint32_t udp() const noexcept { return ip() + 8; }
    std::uint32_t mss() const noexcept { return 1500 - tcp(); }       ///< 1460 / 1440
    std::uint32_t udp_max_payload() const noexcept { return 1500 - udp(); }
    std::uint8_t icmp_proto() const noexcept { return v6 ? kIcmpV6 : kIcmp; }
};

/// Appends bursts to a conversation keeping them ordered and disjoint: a burst that would start
/// at or before the previous one's end is moved just after it (by whole µs).
class Train {
public:
    explicit Train(Conversation& c) : c_(&c) {}
    /// `packets` packets of `bytes` total from `start` to `end` (end >= start).
    /// Returns the time of the last packet.
    std::int64_t add(std::int64_t start, std::int64_t end, std::uint64_t packets, std::uint64_t bytes,
                     std::uint8_t flags);
    std::int64_t one(std::int64_t at, std::uint64_t bytes, std::uint8_t flags) { return add(at, at, 1, bytes, flags); }
    /// Payload split into MSS-sized segments (+ one short segment) paced over [start, start +
    /// payload·8/bps]; returns the time of the last packet. Nothing for payload 0.
    std::int64_t data(std::int64_t start, std::uint64_t payload, const Wire& w, double bps, std::uint8_t flags);
    std::int64_t last() const noexcept { return c_->bursts.empty() ? kNever : c_->bursts.back().end_us; }
    Conversation& conversation() const noexcept { return *c_; }

private:
    Conversation* c_;
};

/// Data segments of a payload (for ACK counts).
inline std::uint64_t segments(std::uint64_t payload, const Wire& w) noexcept { return (payload + w.mss() - 1) / w.mss(); }

/// Microseconds to send `bytes` at `bps`, at least 1 per packet gap.
inline std::int64_t transmit_us(double bytes, double bps) noexcept {
    const double us = bytes * 8.0 / bps * 1e6;
    return us < 9e18 ? static_cast<std::int64_t>(us) : (std::int64_t{1} << 62);
}

/// Hosts of a pool list, numbered across the pools in order.
class HostSet {
public:
    HostSet() = default;
    HostSet(const Scenario& s, const std::vector<std::size_t>& pools);
    std::uint64_t size() const noexcept { return total_; }
    /// Address of host i in the family (v6 true/false); unset if the host has none.
    core::IpAddress address(std::uint64_t i, bool v6) const noexcept;
    /// Bit 0: has IPv4, bit 1: has IPv6 (of the pool holding host i).
    unsigned families(std::uint64_t i) const noexcept;

private:
    struct Part {
        std::uint64_t first;  ///< global index of the pool's host 0
        std::uint64_t count;
        std::uint64_t offset;
        const Cidr* v4 = nullptr;
        const Cidr* v6 = nullptr;
    };
    const Part& part(std::uint64_t i) const noexcept;
    std::vector<Part> parts_;
    std::uint64_t total_ = 0;
};

/// Client and server choice for client/server kinds: uniform clients, Zipf servers, a server
/// port per session, an address family both ends have, and ephemeral ports counted per client
/// so that live 5-tuples of one activity do not collide.
class Endpoints {
public:
    Endpoints(const Context& ctx);
    struct Pair {
        ConversationKey c2s;  ///< client → server
        std::uint64_t client = 0;
        std::uint64_t server = 0;
        bool v6 = false;
        bool ok = false;  ///< false when the two hosts share no address family
    };
    /// A session's endpoints; `client` fixed when < size, else drawn.
    Pair pick(Rng& rng, std::uint64_t client = ~std::uint64_t{0});
    const HostSet& clients() const noexcept { return clients_; }
    const HostSet& servers() const noexcept { return servers_; }
    std::uint16_t next_port(std::uint64_t client) noexcept;
    static constexpr std::uint64_t kPortCounterLimit = std::uint64_t{1} << 20;

private:
    const Context* ctx_;
    HostSet clients_;
    HostSet servers_;
    Zipf zipf_;
    std::vector<std::uint16_t> port_;
    std::uint64_t port_draws_ = 0;
};

/// Reverse key (server → client) of a conversation key.
inline ConversationKey reversed(const ConversationKey& k) {
    ConversationKey r = k;
    r.src = k.dst;
    r.dst = k.src;
    r.sport = k.dport;
    r.dport = k.sport;
    return r;
}

/// TCP exchanges shared by web, burst, bulk and worm: handshake, request/response rounds and
/// close, with client ACKs for server data (one per two segments) and server ACKs for
/// multi-segment requests. Times are as seen at an exporter next to the client.
struct TcpExchange {
    Train c2s;
    Train s2c;
    Wire wire;
    std::int64_t rtt = 1000;
    std::int64_t t = 0;  ///< when the client can act next

    /// SYN, SYN-ACK, ACK from t; t moves past the handshake.
    void open();
    /// One request/response round from t; returns the response's last packet time.
    void round(std::uint64_t request, std::uint64_t response, std::int64_t server_time, double bps);
    /// Client FIN, server FIN, client ACK at t.
    void close();
};

/// A full exchange per ExchangeSpec, starting at t0.
void run_exchange(const ExchangeSpec& spec, Rng& rng, Conversation& c2s, Conversation& s2c, const Wire& w,
                  std::int64_t t0);

}  // namespace flowlab::gen::models

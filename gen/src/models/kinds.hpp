/// @brief The activity kinds (docs/scenario-format.md, "Activities"): one small class each.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <queue>
#include <unordered_set>
#include <vector>

#include "model.hpp"

namespace flowlab::gen::models {

/// Sessions arriving as a non-homogeneous Poisson process (thinning against the rate curve);
/// session k draws from its own stream, so arrival times and session contents do not disturb
/// each other.
class PoissonModel : public Model {
public:
    PoissonModel(const Context& ctx, Envelope envelope = {});
    std::int64_t next_time() override;
    void generate(Sink& sink) override;

protected:
    virtual void session(std::int64_t t, Rng& rng, Sink& sink) = 0;
    Context ctx_;

private:
    RateCurve curve_;
    Arrivals arrivals_;
    std::int64_t next_ = 0;
    bool have_next_ = false;
    std::uint64_t sessions_ = 0;
};

/// Telnet/ssh-like: a long TCP session of commands (keystroke trains echoed by the server, then
/// a screen update) separated by idle gaps long enough for an inactive timeout to split it.
class InteractiveModel final : public PoissonModel {
public:
    explicit InteractiveModel(const Context& ctx);

private:
    void session(std::int64_t t, Rng& rng, Sink& sink) override;
    const InteractiveSpec& spec_;
    Endpoints ends_;
};

/// A TCP connection with one or more request/response rounds.
class WebModel final : public PoissonModel {
public:
    explicit WebModel(const Context& ctx);

private:
    void session(std::int64_t t, Rng& rng, Sink& sink) override;
    const WebSpec& spec_;
    Endpoints ends_;
};

/// One UDP query and (unless unanswered) one answer.
class DnsModel final : public PoissonModel {
public:
    explicit DnsModel(const Context& ctx);

private:
    void session(std::int64_t t, Rng& rng, Sink& sink) override;
    const DnsSpec& spec_;
    Endpoints ends_;
};

/// One bulk TCP transfer from t0 (client `client`, or drawn when out of range).
void bulk_transfer(const Context& ctx, const BulkSpec& spec, Endpoints& ends, Rng& rng, Sink& sink, std::int64_t t0,
                   std::uint64_t client);

/// Bulk transfers at Poisson times.
class BulkPoissonModel final : public PoissonModel {
public:
    explicit BulkPoissonModel(const Context& ctx);

private:
    void session(std::int64_t t, Rng& rng, Sink& sink) override;
    const BulkSpec& spec_;
    Endpoints ends_;
};

/// Bulk transfers at fixed local times on chosen days (nightly backups), each taking client
/// k at at + k × stagger + jitter.
class BulkScheduleModel final : public Model {
public:
    explicit BulkScheduleModel(const Context& ctx);
    std::int64_t next_time() override;
    void generate(Sink& sink) override;

private:
    struct Run {
        std::int64_t at;
        std::uint64_t client;
        std::uint64_t key;
        bool operator>(const Run& o) const noexcept { return at != o.at ? at > o.at : key > o.key; }
    };
    void expand(std::int64_t day);
    Context ctx_;
    const BulkSpec& spec_;
    const BulkSchedule& sched_;
    const Site& site_;
    Endpoints ends_;
    std::int64_t next_day_;
    std::int64_t last_day_;
    std::priority_queue<Run, std::vector<Run>, std::greater<>> runs_;
};

/// Episodes on chosen days inside a daily window, in which one host opens short connections
/// to many servers at a high rate (the report generator).
class BurstModel final : public Model {
public:
    explicit BurstModel(const Context& ctx);
    std::int64_t next_time() override;
    void generate(Sink& sink) override;

    /// Whether local day `day` is an episode day (public for tests).
    bool chosen(std::int64_t day);

private:
    struct Episode {
        std::int64_t next;  ///< next connection
        std::int64_t end;
        std::uint64_t client;
        std::uint64_t id;
        std::uint64_t connections;
        Rng rng;
        bool operator>(const Episode& o) const noexcept { return next != o.next ? next > o.next : id > o.id; }
    };
    void expand(std::int64_t day);
    Context ctx_;
    const BurstSpec& spec_;
    const Site& site_;
    Endpoints ends_;
    std::int64_t next_day_;
    std::int64_t last_day_;
    std::priority_queue<Episode, std::vector<Episode>, std::greater<>> episodes_;
    std::int64_t week_monday_ = kNever;
    std::vector<std::int64_t> week_days_;
};

/// A bijection of [0, n) (4-round Feistel network with cycle walking), so a scan can visit
/// every address once in a random order without storing the order.
class IndexPermutation {
public:
    IndexPermutation() = default;
    IndexPermutation(std::uint64_t n, std::uint64_t key);
    std::uint64_t operator()(std::uint64_t i) const noexcept;
    std::uint64_t size() const noexcept { return n_; }

private:
    std::uint64_t n_ = 1;
    unsigned half_ = 1;
    std::uint64_t mask_ = 1;
    std::uint64_t keys_[4]{};
};

/// Addresses of several ranges numbered in order.
class RangeSet {
public:
    RangeSet() = default;
    explicit RangeSet(const std::vector<AddressRange>& ranges);
    std::uint64_t size() const noexcept { return total_; }
    core::IpAddress at(std::uint64_t i) const noexcept;
    bool v6() const noexcept { return v6_; }

private:
    std::vector<const AddressRange*> ranges_;
    std::vector<std::uint64_t> first_;
    std::uint64_t total_ = 0;
    bool v6_ = false;
};

/// Probes from one scanner across targets × ports at the activity's rate; existing hosts
/// answer some probes (open: SYN-ACK then the scanner's RST; closed: RST, or ICMP port
/// unreachable for UDP); addresses without a host never answer.
class ScanModel final : public PoissonModel {
public:
    explicit ScanModel(const Context& ctx);
    std::int64_t next_time() override;

private:
    void session(std::int64_t t, Rng& rng, Sink& sink) override;
    const ScanSpec& spec_;
    RangeSet targets_;
    IndexPermutation perm_;
    std::vector<std::uint16_t> ports_;
    core::IpAddress scanner_;
    std::uint64_t total_ = 0;
    std::uint64_t probe_ = 0;
};

/// Flood flows from spoofed sources to one victim under a ramp-up / peak / ramp-down envelope.
class DdosModel final : public PoissonModel {
public:
    explicit DdosModel(const Context& ctx);

private:
    void session(std::int64_t t, Rng& rng, Sink& sink) override;
    const DdosSpec& spec_;
    RangeSet sources_;
    IndexPermutation botnet_;
    core::IpAddress victim_;
};

/// A worm: patient zero starts probing at the time of entry; a probe reaching a susceptible
/// host infects it, and the new host starts probing after a delay.
class WormModel final : public Model {
public:
    explicit WormModel(const Context& ctx);
    std::int64_t next_time() override;
    void generate(Sink& sink) override;
    /// Infections so far, in order: (time, address) — for tests and lessons.
    const std::vector<std::pair<std::int64_t, core::IpAddress>>& infections() const noexcept { return infections_; }

private:
    struct Scanner {
        std::int64_t next;
        std::uint64_t id;
        bool operator>(const Scanner& o) const noexcept { return next != o.next ? next > o.next : id > o.id; }
    };
    struct Infected {
        core::IpAddress address;
        const Cidr* network = nullptr;  ///< own network, for local probes
        Rng rng;
    };
    void infect(const core::IpAddress& a, std::int64_t at, Rng& rng);
    core::IpAddress pick_target(Infected& who);
    bool susceptible(const core::IpAddress& a) const;
    Context ctx_;
    const WormSpec& spec_;
    RangeSet targets_;
    std::deque<Infected> infected_;  // deque: references stay valid while infections are added
    std::unordered_set<core::IpAddress> infected_set_;
    std::unordered_set<std::size_t> vulnerable_pools_;
    std::priority_queue<Scanner, std::vector<Scanner>, std::greater<>> scanners_;
    std::vector<std::pair<std::int64_t, core::IpAddress>> infections_;
    double rate_per_us_ = 0;
    bool v6_ = false;
};

}  // namespace flowlab::gen::models

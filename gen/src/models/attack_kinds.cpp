/// @brief Hostile kinds: scans, DDoS floods and a spreading worm.
#include <algorithm>
#include <cmath>

#include "kinds.hpp"

namespace flowlab::gen::models {
namespace {

constexpr std::uint64_t kAll = ~std::uint64_t{0};

/// ICMP "port unreachable" as v5 carries it in dport: type << 8 | code.
std::uint16_t icmp_unreachable(bool v6) { return v6 ? (1 << 8 | 4) : (3 << 8 | 3); }
std::uint16_t icmp_echo_request(bool v6) { return v6 ? (128 << 8) : (8 << 8); }
std::uint16_t icmp_echo_reply(bool v6) { return v6 ? (129 << 8) : 0; }

/// Bytes of an ICMP error quoting an IP header + 8 bytes of the offending packet (IPv6 quotes
/// the whole packet up to the minimum MTU; probes are small).
std::uint64_t icmp_error_bytes(const Wire& w, std::uint64_t offending) {
    return w.ip() + 8 + (w.v6 ? std::min<std::uint64_t>(offending, 1232) : std::min<std::uint64_t>(offending, 28));
}

/// The conversation of the "port unreachable" errors the target of `probe` sends back.
ConversationKey unreachable_reply(const ConversationKey& probe, const Wire& w) {
    ConversationKey icmp;
    icmp.src = probe.dst;
    icmp.dst = probe.src;
    icmp.proto = w.icmp_proto();
    icmp.dport = icmp_unreachable(w.v6);
    icmp.tos = probe.tos;
    return icmp;
}

std::uint16_t random_port(Rng& rng, std::uint16_t lo = 1024) {
    return static_cast<std::uint16_t>(lo + rng.below(65536u - lo));
}

/// The host (if any) whose address this is, and whether it is answering at all.
bool host_exists(const Scenario& s, const core::IpAddress& a) { return s.find_host(a).pool != kNone; }

core::IpAddress pool_host(const Scenario& s, std::size_t pool, std::uint64_t i, bool v6) {
    const HostPool& p = s.pools[pool];
    for (std::size_t k = 0; k < p.networks.size(); ++k) {
        if (s.networks[p.networks[k]].cidr.is_v4() != v6) return s.host_address(pool, i, k);
    }
    return {};
}

}  // namespace

IndexPermutation::IndexPermutation(std::uint64_t n, std::uint64_t key) : n_(std::max<std::uint64_t>(n, 1)) {
    unsigned bits = 1;
    while (bits < 64 && (std::uint64_t{1} << bits) < n_) ++bits;
    half_ = (bits + 1) / 2;
    mask_ = half_ >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << half_) - 1;
    for (int i = 0; i < 4; ++i) keys_[i] = stream_key(key, {static_cast<std::uint64_t>(i)});
}

std::uint64_t IndexPermutation::operator()(std::uint64_t i) const noexcept {
    // Feistel on 2·half bits; values >= n walk the cycle until they land inside [0, n). The
    // domain is < 4n, so the expected number of steps is below 4.
    std::uint64_t x = i;
    do {
        std::uint64_t l = (x >> half_) & mask_;
        std::uint64_t r = x & mask_;
        for (std::uint64_t k : keys_) {
            const std::uint64_t f = mix64(r ^ k) & mask_;
            const std::uint64_t nl = r;
            r = l ^ f;
            l = nl;
        }
        x = (l << half_) | r;
    } while (x >= n_);
    return x;
}

RangeSet::RangeSet(const std::vector<AddressRange>& ranges) {
    for (const auto& r : ranges) {
        ranges_.push_back(&r);
        first_.push_back(total_);
        total_ = r.count > ~std::uint64_t{0} - total_ ? ~std::uint64_t{0} : total_ + r.count;
    }
    v6_ = !ranges.empty() && !ranges.front().block.is_v4();
}

core::IpAddress RangeSet::at(std::uint64_t i) const noexcept {
    const auto it = std::upper_bound(first_.begin(), first_.end(), i);
    const auto k = static_cast<std::size_t>(it - first_.begin()) - 1;
    const AddressRange& r = *ranges_[k];
    return r.block.at(r.first + (i - first_[k]));
}

// ---------------------------------------------------------------------------------------------
// scan

namespace {
Envelope window_envelope(std::int64_t from, std::int64_t to) {
    Envelope e;
    if (to > from) e.points = {{from, 1.0}, {to, 1.0}};
    return e;
}
}  // namespace

namespace {
Envelope scan_envelope(const Context& ctx) {
    const ScanSpec& x = std::get<ScanSpec>(ctx.activity->spec);
    const std::int64_t from = x.start.resolve(ctx.scenario->start_us);
    return window_envelope(from, x.duration_us ? from + *x.duration_us : kNever / 2);
}
}  // namespace

ScanModel::ScanModel(const Context& ctx)
    : PoissonModel(ctx, scan_envelope(ctx)),
      spec_(std::get<ScanSpec>(ctx.activity->spec)),
      targets_(spec_.targets),
      ports_(spec_.ports) {
    Rng rng = ctx.rng(kHostStream);
    const HostSet scanners(*ctx.scenario, ctx.activity->clients);
    const std::uint64_t host = spec_.host ? *spec_.host : rng.below(scanners.size());
    scanner_ = scanners.address(host, targets_.v6());
    if (spec_.shuffle) {
        perm_ = IndexPermutation(targets_.size(), stream_key(ctx.key, {kPermutationStream}));
        for (std::size_t i = ports_.size(); i > 1; --i) std::swap(ports_[i - 1], ports_[rng.below(i)]);
    }
    const std::uint64_t p = ports_.size();
    total_ = targets_.size() > kAll / p ? kAll : targets_.size() * p;
}

std::int64_t ScanModel::next_time() { return probe_ >= total_ ? kNever : PoissonModel::next_time(); }

void ScanModel::session(std::int64_t t, Rng& rng, Sink& sink) {
    const std::uint64_t k = probe_++;
    const std::uint64_t a = targets_.size();
    const std::uint64_t p = ports_.size();
    std::uint64_t ai = spec_.vertical ? k / p : k % a;
    const std::uint64_t pi = spec_.vertical ? k % p : (k / a) % p;
    if (spec_.shuffle) ai = perm_(ai);
    const Wire w{targets_.v6()};
    ConversationKey key;
    key.src = scanner_;
    key.dst = targets_.at(ai);
    key.sport = random_port(rng);
    key.dport = ports_[pi];
    key.proto = ctx_.activity->proto;
    key.tos = ctx_.activity->tos;
    const std::int64_t rtt = 1000 + static_cast<std::int64_t>(rng.below(4000));
    const auto payload = static_cast<std::uint64_t>(std::max(0.0, std::round(spec_.payload.sample(rng))));
    Train probe(sink.open(key));
    const bool tcp = key.proto == kTcp;
    const std::uint64_t probe_bytes = tcp ? w.ip() + 24 + payload : w.udp() + payload;  // SYN with an MSS option
    probe.one(t, probe_bytes, tcp ? kSyn : 0);
    if (!host_exists(*ctx_.scenario, key.dst)) return;  // nobody there: no answer
    const double u = rng.uniform();
    if (u < spec_.open) {
        if (tcp) {
            Train(sink.open(reversed(key))).one(t + rtt, w.ip() + 24, kSyn | kAck);
            probe.one(t + rtt + 1, w.tcp(), kRst);  // the scanner resets half-open connections
        } else {
            Train(sink.open(reversed(key))).one(t + rtt, w.udp() + 32, 0);
        }
    } else if (u < spec_.open + spec_.closed) {
        if (tcp) {
            Train(sink.open(reversed(key))).one(t + rtt, w.tcp(), kRst | kAck);
        } else {
            Train(sink.open(unreachable_reply(key, w))).one(t + rtt, icmp_error_bytes(w, probe_bytes), 0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ddos

namespace {
Envelope trapezoid(const DdosSpec& d, std::int64_t scenario_start) {
    const std::int64_t s = d.start.resolve(scenario_start);
    Envelope e;
    if (d.ramp_up_us > 0) e.points.push_back({s, 0.0});
    e.points.push_back({s + d.ramp_up_us, 1.0});
    if (d.peak_us > 0) e.points.push_back({s + d.ramp_up_us + d.peak_us, 1.0});
    if (d.ramp_down_us > 0) e.points.push_back({s + d.ramp_up_us + d.peak_us + d.ramp_down_us, 0.0});
    return e;
}
}  // namespace

DdosModel::DdosModel(const Context& ctx)
    : PoissonModel(ctx, trapezoid(std::get<DdosSpec>(ctx.activity->spec), ctx.scenario->start_us)),
      spec_(std::get<DdosSpec>(ctx.activity->spec)),
      sources_(spec_.sources),
      botnet_(sources_.size(), stream_key(ctx.key, {kSourceStream})) {
    victim_ = pool_host(*ctx.scenario, ctx.activity->servers.front(), spec_.host, sources_.v6());
}

void DdosModel::session(std::int64_t t, Rng& rng, Sink& sink) {
    const Wire w{sources_.v6()};
    ConversationKey key;
    if (spec_.source_count) {
        // A fixed botnet of distinct addresses: source j is the j-th of a random permutation.
        key.src = sources_.at(botnet_(rng.below(*spec_.source_count)));
    } else {
        key.src = sources_.at(rng.below(sources_.size()));
    }
    key.dst = victim_;
    key.proto = ctx_.activity->proto == kIcmp ? w.icmp_proto() : ctx_.activity->proto;
    key.tos = ctx_.activity->tos;
    const auto& ports = ctx_.activity->ports;
    if (ctx_.activity->proto == kIcmp) {
        key.dport = icmp_echo_request(w.v6);
    } else {
        key.sport = random_port(rng);
        key.dport = ports.size() == 1 ? ports[0] : ports[rng.below(ports.size())];
    }
    const std::uint64_t packets = std::min<std::uint64_t>(spec_.packets.sample_count(rng, 1), 1u << 30);
    const auto payload = static_cast<std::uint64_t>(std::max(0.0, std::round(spec_.size.sample(rng))));
    std::uint64_t per_packet = 0;
    std::uint8_t flags = 0;
    if (key.proto == kTcp) {
        per_packet = w.tcp() + std::min<std::uint64_t>(payload, w.mss());
        flags = kSyn;
    } else if (key.proto == kUdp) {
        per_packet = w.udp() + std::min<std::uint64_t>(payload, w.udp_max_payload());
    } else {
        per_packet = w.ip() + 8 + std::min<std::uint64_t>(payload, w.udp_max_payload());
    }
    const std::int64_t dur = packets > 1 ? std::max<std::int64_t>(spec_.flow_duration.sample_us(rng),
                                                                   static_cast<std::int64_t>(packets - 1))
                                         : 0;
    Train(sink.open(key)).add(t, t + dur, packets, packets * per_packet, flags);
    if (rng.chance(spec_.replies)) {
        // Backscatter: the victim answers the spoofed address.
        const std::int64_t delay = 200 + static_cast<std::int64_t>(rng.below(2000));
        if (key.proto == kTcp) {
            Train(sink.open(reversed(key))).add(t + delay, t + delay + dur, packets, packets * w.tcp_syn(), kSyn | kAck);
        } else if (key.proto == kUdp) {
            Train(sink.open(unreachable_reply(key, w)))
                .add(t + delay, t + delay + dur, packets, packets * icmp_error_bytes(w, per_packet), 0);
        } else {
            ConversationKey reply = reversed(key);
            reply.sport = 0;
            reply.dport = icmp_echo_reply(w.v6);
            Train(sink.open(reply)).add(t + delay, t + delay + dur, packets, packets * per_packet, 0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// worm

WormModel::WormModel(const Context& ctx)
    : ctx_(ctx), spec_(std::get<WormSpec>(ctx.activity->spec)), targets_(spec_.targets) {
    v6_ = targets_.v6();
    rate_per_us_ = ctx.activity->arrival.rate_per_s * ctx.scale / 1e6;
    for (std::size_t p : spec_.vulnerable) vulnerable_pools_.insert(p);
    Rng rng = ctx.rng(kHostStream);
    const HostSet zero(*ctx.scenario, ctx.activity->clients);
    const std::uint64_t host = spec_.host ? *spec_.host : rng.below(zero.size());
    const std::int64_t at = spec_.at.resolve(ctx.scenario->start_us);
    if (at < ctx.end) infect(zero.address(host, v6_), at, rng);
}

bool WormModel::susceptible(const core::IpAddress& a) const {
    const auto h = ctx_.scenario->find_host(a);
    if (h.pool == kNone || vulnerable_pools_.count(h.pool) == 0) return false;
    if (spec_.susceptible >= 1.0) return true;
    // Fixed per host (patched or not), independent of when or how often it is probed.
    Rng r(stream_key(ctx_.key, {kHostStream, h.pool, h.index}));
    return r.uniform() < spec_.susceptible;
}

void WormModel::infect(const core::IpAddress& a, std::int64_t at, Rng& rng) {
    if (spec_.max_infected && infected_.size() >= *spec_.max_infected) return;
    if (!infected_set_.insert(a).second) return;
    Infected inf;
    inf.address = a;
    for (const auto& n : ctx_.scenario->networks) {
        if (n.cidr.contains(a)) inf.network = &n.cidr;
    }
    const std::uint64_t id = infected_.size();
    inf.rng = Rng(stream_key(ctx_.key, {kScannerStream, id}));
    infections_.push_back({at, a});
    // Patient zero starts at the time of entry; the others after their incubation delay.
    const std::int64_t start = id == 0 ? at : at + spec_.delay.sample_us(rng);
    infected_.push_back(std::move(inf));
    if (start < ctx_.end) scanners_.push(Scanner{std::max(start, ctx_.begin), id});
}

core::IpAddress WormModel::pick_target(Infected& who) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        core::IpAddress a;
        if (who.network != nullptr && who.rng.chance(spec_.local)) {
            const Cidr& c = *who.network;
            a = c.at(c.first_host_offset() + who.rng.below(std::max<std::uint64_t>(c.host_capacity(), 1)));
        } else {
            a = targets_.at(who.rng.below(targets_.size()));
        }
        if (a != who.address) return a;
    }
    return targets_.at(0);
}

std::int64_t WormModel::next_time() { return scanners_.empty() ? kNever : scanners_.top().next; }

void WormModel::generate(Sink& sink) {
    Scanner sc = scanners_.top();
    scanners_.pop();
    const std::int64_t t = sc.next;
    Infected& who = infected_[sc.id];
    const Wire w{v6_};
    ConversationKey key;
    key.src = who.address;
    key.dst = pick_target(who);
    key.sport = random_port(who.rng);
    key.dport = ctx_.activity->ports.front();
    key.proto = ctx_.activity->proto;
    key.tos = ctx_.activity->tos;
    const std::int64_t rtt = 500 + static_cast<std::int64_t>(who.rng.below(3000));
    const auto exploit = static_cast<std::uint64_t>(std::max(1.0, std::round(spec_.exploit.sample(who.rng))));
    const bool tcp = key.proto == kTcp;
    Conversation& probe = sink.open(key);
    if (susceptible(key.dst)) {
        // A hit: the exploit is delivered (an entire exchange for TCP, one datagram for UDP).
        std::int64_t done = t;
        if (tcp) {
            Conversation& back = sink.open(reversed(key));
            TcpExchange x{Train(probe), Train(back), w, rtt, t};
            x.open();
            x.round(exploit, 60, 1000, 10e6);
            x.close();
            done = x.t;
        } else {
            Train(probe).one(t, w.udp() + std::min<std::uint64_t>(exploit, w.udp_max_payload()), 0);
        }
        infect(key.dst, done, who.rng);
    } else if (tcp) {
        Train(probe).one(t, w.tcp_syn(), kSyn);
        if (host_exists(*ctx_.scenario, key.dst) && who.rng.chance(spec_.closed))
            Train(sink.open(reversed(key))).one(t + rtt, w.tcp(), kRst | kAck);
    } else {
        const std::uint64_t bytes = w.udp() + std::min<std::uint64_t>(exploit, w.udp_max_payload());
        Train(probe).one(t, bytes, 0);
        if (host_exists(*ctx_.scenario, key.dst) && who.rng.chance(spec_.closed)) {
            Train(sink.open(unreachable_reply(key, w))).one(t + rtt, icmp_error_bytes(w, bytes), 0);
        }
    }
    sc.next = t + 1 + static_cast<std::int64_t>(who.rng.exponential(1.0 / rate_per_us_));
    if (sc.next < ctx_.end) scanners_.push(sc);
}

}  // namespace flowlab::gen::models

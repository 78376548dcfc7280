/// @brief Endpoint choice, burst layout and TCP exchanges shared by the activity models.
#include "model.hpp"

#include <algorithm>
#include <cmath>

namespace flowlab::gen::models {

std::int64_t Train::add(std::int64_t start, std::int64_t end, std::uint64_t packets, std::uint64_t bytes,
                        std::uint8_t flags) {
    if (packets == 0) return last();
    if (!c_->bursts.empty() && start <= c_->bursts.back().end_us) {
        const std::int64_t shift = c_->bursts.back().end_us + 1 - start;
        start += shift;
        end += shift;
    }
    if (end < start) end = start;
    if (packets == 1) end = start;
    c_->bursts.push_back(Burst{start, end, packets, bytes, flags});
    return end;
}

std::int64_t Train::data(std::int64_t start, std::uint64_t payload, const Wire& w, double bps, std::uint8_t flags) {
    if (payload == 0) return last();
    const std::uint64_t mss = w.mss();
    const std::uint64_t full = payload / mss;
    const std::uint64_t rest = payload % mss;
    const std::uint64_t packets = full + (rest ? 1 : 0);
    const double wire_bytes = static_cast<double>(payload + packets * w.tcp());
    // Packet k leaves at start + k·gap; the whole payload takes wire_bytes·8/bps.
    const double gap = packets > 1 ? static_cast<double>(transmit_us(wire_bytes, bps)) / static_cast<double>(packets)
                                   : 0.0;
    std::int64_t t = start;
    if (full > 0) {
        const auto span = static_cast<std::int64_t>(gap * static_cast<double>(full - 1));
        t = add(start, start + std::max<std::int64_t>(span, static_cast<std::int64_t>(full - 1)), full,
                full * (mss + w.tcp()), flags);
    }
    if (rest) {
        const std::int64_t at = full > 0 ? t + std::max<std::int64_t>(1, static_cast<std::int64_t>(gap)) : start;
        t = one(at, rest + w.tcp(), flags);
    }
    return t;
}

HostSet::HostSet(const Scenario& s, const std::vector<std::size_t>& pools) {
    for (std::size_t p : pools) {
        const HostPool& hp = s.pools[p];
        Part part{total_, hp.count, hp.offset, nullptr, nullptr};
        for (std::size_t n : hp.networks) {
            const Cidr& c = s.networks[n].cidr;
            (c.is_v4() ? part.v4 : part.v6) = &c;
        }
        parts_.push_back(part);
        total_ += hp.count;
    }
}

const HostSet::Part& HostSet::part(std::uint64_t i) const noexcept {
    // Few pools per list: a linear scan beats a binary search here.
    for (const Part& p : parts_) {
        if (i < p.first + p.count) return p;
    }
    return parts_.back();
}

core::IpAddress HostSet::address(std::uint64_t i, bool v6) const noexcept {
    const Part& p = part(i);
    const Cidr* c = v6 ? p.v6 : p.v4;
    if (c == nullptr) return {};
    return c->at(p.offset + (i - p.first));
}

unsigned HostSet::families(std::uint64_t i) const noexcept {
    const Part& p = part(i);
    return (p.v4 ? 1u : 0u) | (p.v6 ? 2u : 0u);
}

Endpoints::Endpoints(const Context& ctx)
    : ctx_(&ctx),
      clients_(*ctx.scenario, ctx.activity->clients),
      servers_(*ctx.scenario, ctx.activity->servers) {
    if (servers_.size() > 0) zipf_ = Zipf(servers_.size(), ctx.activity->zipf);
    // Counters for up to a million clients; beyond, a host is rarely picked twice while a
    // session is live, so a random port per session does as well without the memory.
    if (clients_.size() <= kPortCounterLimit) port_.assign(clients_.size(), 0);
}

std::uint16_t Endpoints::next_port(std::uint64_t client) noexcept {
    constexpr std::uint32_t kRange = kEphemeralHigh - kEphemeralLow + 1;
    if (port_.empty()) {
        Rng r = ctx_->rng(kPortStream, client ^ (port_draws_++ << 40));
        return static_cast<std::uint16_t>(kEphemeralLow + r.below(kRange));
    }
    std::uint16_t& p = port_[client];
    if (p == 0) {
        // A per-client random starting point, as a host that has been up for a while would have.
        Rng r = ctx_->rng(kPortStream, client);
        p = static_cast<std::uint16_t>(kEphemeralLow + r.below(kRange));
    }
    const std::uint16_t out = p;
    p = static_cast<std::uint16_t>(p >= kEphemeralHigh ? kEphemeralLow : p + 1);
    return out;
}

Endpoints::Pair Endpoints::pick(Rng& rng, std::uint64_t client) {
    Pair pr;
    pr.client = client < clients_.size() ? client : rng.below(clients_.size());
    pr.server = zipf_.sample(rng);
    const unsigned both = clients_.families(pr.client) & servers_.families(pr.server);
    if (both == 0) return pr;
    pr.v6 = both == 2 ? true : both == 1 ? false : rng.chance(ctx_->activity->v6_share);
    pr.c2s.src = clients_.address(pr.client, pr.v6);
    pr.c2s.dst = servers_.address(pr.server, pr.v6);
    const auto& ports = ctx_->activity->ports;
    pr.c2s.dport = ports.size() == 1 ? ports[0] : ports[rng.below(ports.size())];
    pr.c2s.sport = next_port(pr.client);
    pr.c2s.proto = ctx_->activity->proto;
    pr.c2s.tos = ctx_->activity->tos;
    pr.ok = true;
    return pr;
}

void TcpExchange::open() {
    c2s.one(t, wire.tcp_syn(), kSyn);
    s2c.one(t + rtt, wire.tcp_syn(), kSyn | kAck);
    t = c2s.one(t + rtt + 1, wire.tcp(), kAck) + 1;
}

void TcpExchange::round(std::uint64_t request, std::uint64_t response, std::int64_t server_time, double bps) {
    std::int64_t req_end = t;
    if (request > 0) {
        req_end = c2s.data(t, request, wire, bps, kAck | kPsh);
        const std::uint64_t segs = segments(request, wire);
        if (segs > 1) {
            // The server acknowledges every second segment as it arrives.
            const std::uint64_t acks = segs / 2;
            s2c.add(t + rtt, req_end + rtt, acks, acks * wire.tcp(), kAck);
        }
    }
    std::int64_t resp_start = req_end + rtt + std::max<std::int64_t>(server_time, 0);
    if (!s2c.conversation().bursts.empty()) resp_start = std::max(resp_start, s2c.last() + 1);
    std::int64_t resp_end = resp_start;
    if (response > 0) {
        resp_end = s2c.data(resp_start, response, wire, bps, kAck | kPsh);
        const std::uint64_t acks = (segments(response, wire) + 1) / 2;
        c2s.add(resp_start + 1, resp_end + 1, acks, acks * wire.tcp(), kAck);
    } else {
        resp_end = s2c.one(resp_start, wire.tcp(), kAck);
    }
    t = std::max(resp_end, c2s.last()) + 1;
}

void TcpExchange::close() {
    const std::int64_t fin = c2s.one(t, wire.tcp(), kFin | kAck);
    const std::int64_t sfin = s2c.one(fin + rtt, wire.tcp(), kFin | kAck);
    t = c2s.one(sfin + 1, wire.tcp(), kAck) + 1;
}

void run_exchange(const ExchangeSpec& spec, Rng& rng, Conversation& c2s, Conversation& s2c, const Wire& w,
                  std::int64_t t0) {
    TcpExchange x{Train(c2s), Train(s2c), w, std::max<std::int64_t>(1, spec.rtt.sample_us(rng)), t0};
    x.open();
    const std::uint64_t n = std::min<std::uint64_t>(spec.requests.sample_count(rng, 1), 100000);
    for (std::uint64_t r = 0; r < n; ++r) {
        if (r > 0) x.t += spec.think.sample_us(rng);
        const auto req = static_cast<std::uint64_t>(std::llround(spec.request.sample(rng)));
        const auto resp = static_cast<std::uint64_t>(std::llround(spec.response.sample(rng)));
        x.round(req, resp, spec.server_time.sample_us(rng), spec.bandwidth_bps);
    }
    x.close();
}

}  // namespace flowlab::gen::models

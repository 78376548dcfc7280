/// @brief The send loop (deadlines, batching, lateness) and the two modes built on it.
#include "flowlab/replay/replay.hpp"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <map>
#include <memory>

#include "flowlab/core/byte_io.hpp"
#include "flowlab/core/error.hpp"
#include "flowlab/core/excerpt.hpp"
#include "flowlab/core/units.hpp"
#include "flowlab/replay/frame_injector.hpp"
#include "flowlab/replay/pacer.hpp"
#include "flowlab/replay/packet_store.hpp"
#include "flowlab/replay/schedule.hpp"
#include "flowlab/replay/tcp_sender.hpp"

namespace flowlab::replay {

namespace {

constexpr std::size_t kMaxBatch = 1024;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

bool stop_requested(const std::atomic<bool>* stop) noexcept {
    return stop && stop->load(std::memory_order_relaxed);
}

void check_timing(const Timing& t) {
    switch (t.pace) {
        case Pace::original:
            if (!(t.speed > 0) || !std::isfinite(t.speed))
                throw UsageError("--speed must be a number above 0");
            break;
        case Pace::pps:
            if (!(t.rate > 0) || !std::isfinite(t.rate)) throw UsageError("--pps must be a number above 0");
            break;
        case Pace::mbps:
            if (!(t.rate > 0) || !std::isfinite(t.rate)) throw UsageError("--mbps must be a number above 0");
            break;
        case Pace::topspeed:
            break;
    }
    if (t.duration_ns < 0) throw UsageError("--duration must not be negative");
}

/// Sends datagrams of the store over UDP, one socket per source, payloads rewritten under
/// --rebase-time into a scratch area (the store keeps the originals for the next loop).
class UdpSink {
public:
    UdpSink(PacketStore& store, UdpSender& sender, std::vector<std::uint32_t> socket_of,
            const RebasePlan* plan, std::int64_t shift0_s, std::int64_t loop_shift_s, std::size_t max_batch,
            const std::atomic<bool>* stop)
        : store_(store),
          sender_(sender),
          socket_of_(std::move(socket_of)),
          plan_(plan),
          shift0_s_(shift0_s),
          loop_shift_s_(loop_shift_s),
          stop_(stop),
          msgs_(max_batch),
          iov_(max_batch) {
        for (std::size_t i = 0; i < max_batch; ++i) {
            msgs_[i].msg_hdr.msg_iov = &iov_[i];
            msgs_[i].msg_hdr.msg_iovlen = 1;
        }
        if (plan_) {
            stride_ = store_.max_length();
            scratch_.resize(stride_ * max_batch);
        }
    }

    bool same_batch(std::size_t a, std::size_t b) const noexcept {
        return socket_of_.empty() || socket_of_[store_[a].source] == socket_of_[store_[b].source];
    }
    std::exception_ptr failure() const noexcept { return nullptr; }

    std::size_t send(std::size_t first, std::size_t count, std::uint64_t loop) {
        const std::int64_t shift = shift0_s_ + static_cast<std::int64_t>(loop) * loop_shift_s_;
        for (std::size_t m = 0; m < count; ++m) {
            const StoredPacket& p = store_[first + m];
            const auto in = store_.bytes(p);
            if (plan_) {
                std::uint8_t* out = scratch_.data() + m * stride_;
                plan_->apply(first + m, in, out, shift, loop);
                iov_[m].iov_base = out;
            } else {
                iov_[m].iov_base = const_cast<std::uint8_t*>(in.data());
            }
            iov_[m].iov_len = in.size();
        }
        const std::size_t socket = socket_of_.empty() ? 0 : socket_of_[store_[first].source];
        const std::size_t done = sender_.send(socket, std::span<mmsghdr>(msgs_.data(), count), stop_);
        for (std::size_t m = 0; m < done; ++m) bytes_ += msgs_[m].msg_len;
        return done;
    }

    std::uint64_t packets() const noexcept { return sender_.sent(); }
    std::uint64_t bytes() const noexcept { return bytes_; }
    std::uint64_t errors() const noexcept { return sender_.errors().total(); }

private:
    PacketStore& store_;
    UdpSender& sender_;
    std::vector<std::uint32_t> socket_of_;  ///< by exporter index; empty: one socket
    const RebasePlan* plan_;
    std::int64_t shift0_s_;
    std::int64_t loop_shift_s_;
    const std::atomic<bool>* stop_;
    std::vector<mmsghdr> msgs_;
    std::vector<iovec> iov_;
    std::vector<std::uint8_t> scratch_;
    std::size_t stride_ = 0;
    std::uint64_t bytes_ = 0;
};

/// Writes the messages of the store on the connection of their transport session, rewritten
/// under --rebase-time like UdpSink's. A batch never spans two sessions.
class TcpSink {
public:
    TcpSink(PacketStore& store, TcpSender& sender, const std::vector<std::uint32_t>& session_of,
            const RebasePlan* plan, std::int64_t shift0_s, std::int64_t loop_shift_s, std::size_t max_batch,
            const std::atomic<bool>* stop)
        : store_(store),
          sender_(sender),
          session_of_(session_of),
          plan_(plan),
          shift0_s_(shift0_s),
          loop_shift_s_(loop_shift_s),
          stop_(stop),
          iov_(max_batch) {
        if (plan_) {
            stride_ = store_.max_length();
            scratch_.resize(stride_ * max_batch);
        }
    }

    bool same_batch(std::size_t a, std::size_t b) const noexcept { return session_of_[a] == session_of_[b]; }

    std::size_t send(std::size_t first, std::size_t count, std::uint64_t loop) {
        const std::int64_t shift = shift0_s_ + static_cast<std::int64_t>(loop) * loop_shift_s_;
        for (std::size_t m = 0; m < count; ++m) {
            const auto in = store_.bytes(store_[first + m]);
            if (plan_) {
                std::uint8_t* out = scratch_.data() + m * stride_;
                plan_->apply(first + m, in, out, shift, loop);
                iov_[m].iov_base = out;
            } else {
                iov_[m].iov_base = const_cast<std::uint8_t*>(in.data());
            }
            iov_[m].iov_len = in.size();
        }
        const std::size_t done =
            sender_.send(session_of_[first], std::span<const iovec>(iov_.data(), count), stop_);
        for (std::size_t m = 0; m < done; ++m) bytes_ += iov_[m].iov_len;
        return done;
    }

    std::uint64_t packets() const noexcept { return sender_.sent(); }
    std::uint64_t bytes() const noexcept { return bytes_; }
    std::uint64_t errors() const noexcept { return sender_.errors().total(); }
    std::exception_ptr failure() const {
        if (sender_.failure().empty()) return nullptr;
        return std::make_exception_ptr(IoError(sender_.failure()));
    }

private:
    PacketStore& store_;
    TcpSender& sender_;
    const std::vector<std::uint32_t>& session_of_;  ///< by packet index
    const RebasePlan* plan_;
    std::int64_t shift0_s_;
    std::int64_t loop_shift_s_;
    const std::atomic<bool>* stop_;
    std::vector<iovec> iov_;
    std::vector<std::uint8_t> scratch_;
    std::size_t stride_ = 0;
    std::uint64_t bytes_ = 0;
};

/// The transport sessions of a capture for TCP, and whether its datagrams can travel in a
/// byte stream at all: each must be one whole IPFIX message, since the header's length is
/// the stream's only framing (RFC 7011 10.4).
struct TcpFraming {
    std::vector<TcpSession> sessions;       ///< in order of first message
    std::vector<std::uint32_t> session_of;  ///< by packet index
    std::map<std::pair<core::IpAddress, std::uint16_t>, std::uint32_t> index;
    std::optional<std::uint64_t> bad_packet;  ///< the first datagram that cannot be sent
    std::string problem;

    void observe(const PacketStore::Loaded& l) {
        const auto key = std::make_pair(l.datagram->src, l.datagram->sport);
        auto [it, fresh] = index.try_emplace(key, static_cast<std::uint32_t>(sessions.size()));
        if (fresh) sessions.push_back(TcpSession{key.first, key.second, std::nullopt});
        session_of.push_back(it->second);
        if (!bad_packet) {
            if (auto why = check(l.payload)) {
                bad_packet = l.datagram->number;
                problem = *why;
            }
        }
    }

    static std::optional<std::string> check(std::span<const std::uint8_t> p) {
        if (p.size() < 2)
            return "a datagram of " + std::to_string(p.size()) + " bytes holds no NetFlow/IPFIX header";
        const std::uint16_t version = core::load_be16(p.data());
        if (version == 5 || version == 9) {
            return "a NetFlow v" + std::to_string(version) +
                   " message: NetFlow v5/v9 have no framing for a byte stream (a v9 header counts records, "
                   "not "
                   "bytes; RFC 3954 defines no TCP transport), so only IPFIX is sent over TCP (RFC 7011 "
                   "10.4); "
                   "replay this capture over UDP";
        }
        if (version != 10)
            return "no IPFIX message (version " + std::to_string(version) + "): only IPFIX is sent over TCP";
        if (p.size() < 16)
            return "an IPFIX message of " + std::to_string(p.size()) + " bytes, shorter than its header";
        const std::uint16_t length = core::load_be16(p.data() + 2);
        if (length != p.size()) {
            return "its IPFIX header says " + std::to_string(length) + " bytes but the datagram holds " +
                   std::to_string(p.size()) +
                   ": over TCP that length is the only framing, so the message cannot be sent as it is";
        }
        return std::nullopt;
    }
};

/// Injects frames one by one (a packet socket takes one frame per call).
class FrameSink {
public:
    FrameSink(PacketStore& store, FrameInjector& injector, const std::atomic<bool>* stop)
        : store_(store), injector_(injector), stop_(stop) {}

    bool same_batch(std::size_t, std::size_t) const noexcept { return true; }
    std::exception_ptr failure() const noexcept { return nullptr; }

    std::size_t send(std::size_t first, std::size_t count, std::uint64_t) {
        for (std::size_t m = 0; m < count; ++m) {
            const auto frame = store_.bytes(store_[first + m]);
            switch (injector_.inject(frame, stop_)) {
                case FrameInjector::Result::sent:
                    bytes_ += frame.size();
                    break;
                case FrameInjector::Result::skipped:
                    break;
                case FrameInjector::Result::stopped:
                    return m;
            }
        }
        return count;
    }

    std::uint64_t packets() const noexcept { return injector_.sent(); }
    std::uint64_t bytes() const noexcept { return bytes_; }
    std::uint64_t errors() const noexcept { return injector_.errors().total(); }

private:
    PacketStore& store_;
    FrameInjector& injector_;
    const std::atomic<bool>* stop_;
    std::uint64_t bytes_ = 0;
};

std::string format_ns(std::uint64_t ns);

/// Longest single sleep while waiting for --start-at: a stop request is seen within it even
/// when the signal went to another thread and did not interrupt this one's sleep.
constexpr std::int64_t kStartWaitSliceNs = 100'000'000;

/// Sleeps until `start_ns` on CLOCK_REALTIME in absolute steps: a relative sleep would end
/// wherever this process's own start put it, an absolute one on the same tick in every process
/// (and it follows the clock if NTP steps it meanwhile). Returns false when stopped.
bool wait_for_start(std::int64_t start_ns, const RunControl& c) {
    const std::int64_t began = realtime_ns();
    if (began > start_ns) {
        throw UsageError(fmt::format(
            "--start-at {}: passed {:.3f} s ago by the time the capture was loaded and the target ready "
            "(that took longer than the time left); nothing was sent: give a later time",
            core::format_time(start_ns / 1000), static_cast<double>(began - start_ns) / 1e9));
    }
    if (c.note) {
        c.note(fmt::format("ready; waiting {:.3f} s for --start-at {} to send the first packet",
                           static_cast<double>(start_ns - began) / 1e9, core::format_time(start_ns / 1000)));
    }
    std::int64_t next_progress = c.progress ? began : kNever;
    while (true) {
        if (stop_requested(c.stop)) return false;
        const std::int64_t now = realtime_ns();
        if (now >= start_ns) return true;
        if (now >= next_progress) {
            flowlab::Progress pr;
            pr.task = "waiting for --start-at";
            pr.unit = "packets";
            pr.elapsed_s = static_cast<double>(now - began) / 1e9;
            pr.fraction = static_cast<double>(now - began) / static_cast<double>(std::max<std::int64_t>(start_ns - began, 1));
            const std::string detail = fmt::format("first packet at {}, in {:.1f} s", core::format_time(start_ns / 1000),
                                                   static_cast<double>(start_ns - now) / 1e9);
            pr.detail = detail;
            c.progress(pr);
            next_progress = now + c.progress_interval_ns;
        }
        const std::int64_t until = std::min({start_ns, now + kStartWaitSliceNs, next_progress});
        const timespec ts{static_cast<time_t>(until / 1'000'000'000), static_cast<long>(until % 1'000'000'000)};
        // EINTR (a stop signal) and early returns alike go round the loop, which re-checks both.
        clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr);
    }
}

struct LoopPlan {
    Timing timing;
    std::uint32_t overhead = 0;   ///< bytes added per packet for --mbps (IP + UDP headers)
    long double period_ns = -1;  ///< original pace: loop period; -1 = span + one mean gap
};

/// The send loop. Deadline of packet i = start + offset(i), offset from the timing alone, so
/// nothing drifts: a late packet makes the next ones late only until the loop catches up.
template <class Sink>
void run_loop(PacketStore& store, const LoopPlan& plan, Sink& sink, const RunControl& c, ReplayStats& st) {
    const Timing& t = plan.timing;
    const std::size_t max_batch = std::clamp<std::size_t>(c.batch, 1, kMaxBatch);
    std::array<std::int64_t, kMaxBatch> deadlines{};
    Pacer pacer(c.stop);
    const bool paced = t.pace != Pace::topspeed;
    st.paced = paced;

    // Throws if the capture holds nothing to send; nothing has been sent then.
    std::size_t avail = store.wait_for(0, c.stop);
    if (avail == 0) {
        st.interrupted = true;
        return;
    }
    SendSchedule schedule(t, store[0].ts_ns, plan.overhead);
    bool period_known = false;

    std::uint64_t loop = 0;
    std::size_t j = 0;      // index within the capture
    std::uint64_t seq = 0;  // packets scheduled before j, over all loops (--pps)
    std::uint64_t bits = 0; // bits scheduled before j, over all loops (--mbps)
    auto offset = [&](const StoredPacket& p, std::uint64_t s, std::uint64_t b) {
        return schedule.offset(p.ts_ns, loop, s, b);
    };
    auto bits_of = [&](const StoredPacket& p) { return schedule.bits_of(p.length); };

    st.start_at_us = t.start_at_us;
    std::int64_t t0 = 0;
    if (t.start_at_us) {
        if (!wait_for_start(*t.start_at_us * 1000, c)) {
            st.interrupted = true;
            return;
        }
        // The schedule counts from the start time itself, not from this thread's wake-up: the
        // wake-up latency shows as the first packet's lateness instead of shifting every packet.
        const std::int64_t real = realtime_ns();
        const std::int64_t mono = monotonic_ns();
        t0 = mono - (real - *t.start_at_us * 1000);
    } else {
        t0 = monotonic_ns();
    }
    const std::int64_t stop_at = t.duration_ns > 0 ? t0 + t.duration_ns : kNever;
    std::int64_t next_progress = c.progress ? t0 + c.progress_interval_ns : kNever;
    std::int64_t now = t0;
    auto report = [&] {
        flowlab::Progress pr;
        pr.task = "replay";
        pr.unit = "packets";
        pr.done = sink.packets();
        pr.elapsed_s = static_cast<double>(now - t0) / 1e9;
        if (t.duration_ns > 0) {
            pr.fraction = std::min(1.0, static_cast<double>(now - t0) / static_cast<double>(t.duration_ns));
        } else if (t.loops != 0 && store.complete() && store.size() > 0) {
            pr.fraction = static_cast<double>(loop * store.size() + j) / static_cast<double>(t.loops * store.size());
        }
        std::string detail = "loop " + std::to_string(loop + 1);
        if (paced) detail += ", late p99 " + format_ns(st.lateness.quantile(0.99));
        detail += ", send errors " + std::to_string(sink.errors());
        pr.detail = detail;
        c.progress(pr);
        while (next_progress <= now) next_progress += c.progress_interval_ns;
    };

    while (true) {
        if (stop_requested(c.stop)) {
            st.interrupted = true;
            break;
        }
        if (j >= avail) {
            try {
                avail = store.wait_for(j, c.stop);
            } catch (const Error&) {
                // The file is damaged further on: report what was sent, then the error.
                st.error = std::current_exception();
                break;
            }
            if (j >= avail) {
                if (!store.complete()) continue;  // stopped while waiting: the check above ends it
                ++loop;
                st.loops_completed = loop;
                if (t.loops != 0 && loop >= t.loops) break;
                if (t.pace == Pace::original && !period_known) {
                    if (plan.period_ns >= 0) {
                        schedule.set_loop_period_ns(plan.period_ns);
                    } else {
                        const std::int64_t span = std::max<std::int64_t>(store.last_ts_ns() - store[0].ts_ns, 0);
                        const std::int64_t gap = avail > 1 ? span / static_cast<std::int64_t>(avail - 1) : 0;
                        schedule.set_loop_period_ns(schedule.scaled(span + gap));
                    }
                    period_known = true;
                }
                j = 0;
                continue;
            }
        }
        const StoredPacket& p = store[j];
        const std::int64_t d = t0 + offset(p, seq, bits);
        if (d >= stop_at || (!paced && now >= stop_at)) {
            // --duration: run for exactly that long, even if the next packet is due later.
            while (now < stop_at && !stop_requested(c.stop)) {
                now = pacer.wait_until(stop_at, next_progress);
                if (now >= next_progress) report();
            }
            st.duration_reached = !stop_requested(c.stop);
            st.interrupted = !st.duration_reached;
            break;
        }
        if (paced && d > now) {
            now = monotonic_ns();
            if (d > now) {
                now = pacer.wait_until(d, next_progress);
                if (now >= next_progress) report();
                continue;  // re-check stop, then send if due
            }
        }
        // Everything already due goes out in this call, in order, up to the batch size.
        deadlines[0] = d;
        std::size_t k = 1;
        std::uint64_t b = bits + bits_of(p);
        const std::size_t limit = std::min(max_batch, avail - j);
        while (k < limit) {
            const StoredPacket& q = store[j + k];
            if (!sink.same_batch(j, j + k)) break;
            if (paced) {
                const std::int64_t dq = t0 + offset(q, seq + k, b);
                if (dq > now || dq >= stop_at) break;
                deadlines[k] = dq;
            }
            b += bits_of(q);
            ++k;
        }
        if (st.first_send_us < 0) st.first_send_us = realtime_ns() / 1000;
        const std::int64_t sent_at = paced ? monotonic_ns() : 0;
        const std::size_t done = sink.send(j, k, loop);
        if (paced) {
            for (std::size_t m = 0; m < done; ++m) st.lateness.record(sent_at - deadlines[m]);
        }
        for (std::size_t m = 0; m < done; ++m) bits += bits_of(store[j + m]);
        j += done;
        seq += done;
        now = monotonic_ns();
        if (done < k) {
            if (auto failure = sink.failure()) {
                st.error = failure;  // the caller reports what was sent, then this
            } else {
                st.interrupted = true;
            }
            break;
        }
        if (now >= next_progress) report();
    }
    st.duration_ns = now - t0;
    st.packets = sink.packets();
    st.bytes = sink.bytes();
}

std::string format_ns(std::uint64_t ns) {
    const auto v = static_cast<double>(ns);
    if (ns < 1'000) return fmt::format("{} ns", ns);
    if (ns < 1'000'000) return fmt::format("{:.1f} us", v / 1e3);
    if (ns < 1'000'000'000) return fmt::format("{:.2f} ms", v / 1e6);
    return fmt::format("{:.3f} s", v / 1e9);
}

/// The local address each exporter of the capture sends from under --exporter-src (nullopt:
/// the kernel's choice), with the notes the user needs to read the collector's output.
std::vector<std::optional<core::IpAddress>> exporter_locals(const ExportsOptions& o,
                                                            const std::vector<core::IpAddress>& exporters,
                                                            const RunControl& c) {
    std::vector<std::optional<core::IpAddress>> out(exporters.size());
    switch (o.exporter_src.mode) {
        case ExporterSource::Mode::kernel:
            break;
        case ExporterSource::Mode::automatic: {
            const bool v6 = o.target.address.is_v6();
            if (!v6 && exporters.size() > 0x00FFFFFCu)
                throw UsageError("--exporter-src auto: too many exporters for 127/8");
            for (std::size_t i = 0; i < exporters.size(); ++i) {
                // IPv6 has one loopback address: the exporters differ by source port only.
                out[i] = v6 ? *core::IpAddress::parse("::1")
                            : core::IpAddress::v4(0x7F000002u + static_cast<std::uint32_t>(i));
            }
            if (v6 && exporters.size() > 1 && c.note) {
                c.note(
                    "IPv6 has a single loopback address (::1): the " + std::to_string(exporters.size()) +
                    " exporters get their own sockets but differ by source port only; to give them distinct "
                    "addresses, add addresses to this host and use --exporter-src EXPORTER=LOCAL,...");
            }
            break;
        }
        case ExporterSource::Mode::map:
            for (std::size_t i = 0; i < exporters.size(); ++i) {
                for (const auto& [from, to] : o.exporter_src.map) {
                    if (from == exporters[i]) out[i] = to;
                }
            }
            if (c.note) {
                for (const auto& [from, to] : o.exporter_src.map) {
                    if (std::find(exporters.begin(), exporters.end(), from) == exporters.end()) {
                        c.note("--exporter-src: exporter " + from.to_string() + " does not occur in " +
                               o.path);
                    }
                }
            }
            break;
    }
    return out;
}

void store_stats(ReplayStats& st, const PacketStore& store) {
    st.file_packets = store.size();
    st.memory_bytes = store.memory_bytes();
    st.mapped_bytes = store.mapped_bytes();
    st.load_ns = store.load_ns();
}

/// Exports mode over TCP, once the capture is loaded and checked: a connection per transport
/// session, then the send loop.
ReplayStats send_tcp(const ExportsOptions& o, const RunControl& c, PacketStore& store,
                     const TcpFraming& framing, const RebasePlan* plan, std::int64_t shift0,
                     const LoopPlan& lp, const std::vector<std::optional<core::IpAddress>>& local_of,
                     ReplayStats st) {
    const auto& exporters = store.exporters();
    std::vector<TcpSession> sessions = framing.sessions;
    for (TcpSession& s : sessions) {
        const auto at = std::find(exporters.begin(), exporters.end(), s.exporter) - exporters.begin();
        s.bind = local_of[static_cast<std::size_t>(at)];
    }
    TcpSender sender(o.target, sessions, c.stop);
    store_stats(st, store);
    if (sender.connections() < sessions.size()) {  // stopped while connecting: nothing sent
        st.interrupted = true;
        return st;
    }
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        ConnectionStats cs;
        cs.exporter = sessions[i].exporter.to_string();
        cs.exporter_port = sessions[i].exporter_port;
        cs.local = sender.local_endpoint(i);
        st.sources.emplace_back(cs.exporter, cs.local);
        st.connections.push_back(std::move(cs));
    }
    TcpSink sink(store, sender, framing.session_of, plan, shift0, plan ? plan->loop_shift_s() : 0,
                 std::clamp<std::size_t>(c.batch, 1, kMaxBatch), c.stop);
    run_loop(store, lp, sink, c, st);
    sender.close_all();
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        st.connections[i].messages = sender.messages(i);
        st.connections[i].bytes = sender.bytes(i);
    }
    st.wire_bytes = st.bytes;
    st.errors = sender.errors();
    return st;
}

}  // namespace

double ReplayStats::pps() const noexcept {
    return duration_ns > 0 ? static_cast<double>(packets) * 1e9 / static_cast<double>(duration_ns) : 0.0;
}
double ReplayStats::mbps() const noexcept {
    return duration_ns > 0 ? static_cast<double>(wire_bytes) * 8e3 / static_cast<double>(duration_ns) : 0.0;
}

std::int64_t parse_rebase_time(std::string_view text) {
    std::int64_t us = 0;
    try {
        us = core::parse_time_arg(text);
    } catch (const core::UnitError& e) {
        throw UsageError(std::string("--rebase-time: ") + e.what());
    }
    if (us < 0 || us / 1'000'000 > 0xFFFFFFFFLL)
        throw UsageError("--rebase-time " + core::quote(text) + ": outside what NetFlow can carry (1970 to 2106)");
    return core::floor_div(us, 1'000'000);
}

std::int64_t parse_start_at(std::string_view text, std::int64_t now_us) {
    std::int64_t at = 0;
    try {
        if (!text.empty() && text.front() == '+') {
            at = now_us + core::parse_duration(text.substr(1));
        } else if (text == "now") {
            throw UsageError("--start-at now: replays started at different moments would each start at their own "
                             "now; give one time for all, or +DURATION from now (\"+5s\")");
        } else {
            at = core::parse_time_arg(text);
        }
    } catch (const core::UnitError& e) {
        throw UsageError(std::string("--start-at: ") + e.what() + "; or +DURATION from now (\"+5s\", \"+500ms\")");
    }
    if (at <= now_us) {
        throw UsageError(fmt::format("--start-at {}: that was {:.3f} s ago; replays given a time that has passed "
                                     "would not start together: give a later time, or +DURATION (\"+10s\")",
                                     core::format_time(at), static_cast<double>(now_us - at) / 1e6));
    }
    if (at - now_us > kStartAtMaxAheadUs) {
        throw UsageError(fmt::format("--start-at {}: {:.0f} s from now, more than the 24 h allowed (a wrong date "
                                     "or zone?)",
                                     core::format_time(at), static_cast<double>(at - now_us) / 1e6));
    }
    return at;
}

ReplayStats replay_exports(const ExportsOptions& o, const RunControl& c) {
    check_timing(o.timing);
    if (o.exporter_src.mode == ExporterSource::Mode::automatic && !o.target.is_loopback()) {
        throw UsageError(
            "--exporter-src auto gives exporters loopback addresses (127.0.0.2, ...) and works only "
            "with a loopback target; for " +
            o.target.text +
            " map each exporter to an address of this host: --exporter-src EXPORTER=LOCAL,...");
    }
    const bool tcp = o.transport == Transport::tcp;
    ReplayStats st;
    st.mode = "exports";
    st.transport = tcp ? "tcp" : "udp";
    st.file = o.path;
    st.target = o.target.text;

    PacketStore store(o.path, PacketStore::Kind::udp_payloads);
    std::unique_ptr<RebasePlan> plan;
    if (o.rebase_to_s) plan = std::make_unique<RebasePlan>();
    TcpFraming framing;
    if (plan || tcp) {
        store.set_hook([&plan, &framing, tcp](const PacketStore::Loaded& l) {
            if (plan)
                plan->observe(l.index, l.payload, l.datagram->src, l.datagram->sport, l.datagram->number);
            if (tcp) framing.observe(l);
        });
    }
    // Rebasing needs the whole file (first export time, per-session sequence advance),
    // per-exporter sockets need every exporter before the first send, and TCP every session
    // (all connections are made before anything is sent) and a capture it can carry.
    // --start-at promises the first packet at that time and the schedule from it: nothing may
    // wait for the disk then.
    const bool overlap = c.overlap_loading && !plan && !tcp && !o.timing.start_at_us &&
                         o.exporter_src.mode == ExporterSource::Mode::kernel;
    if (overlap) {
        store.start_loading();
    } else {
        store.load();
    }
    if (framing.bad_packet) {
        throw InputError(o.path, InputError::Place{.packet = framing.bad_packet},
                         "cannot be sent over TCP: " + framing.problem);
    }

    LoopPlan lp;
    lp.timing = o.timing;
    // --mbps over UDP counts each datagram's IP and UDP headers; a TCP stream's segments are
    // the kernel's choice, so there it counts message bytes.
    lp.overhead = tcp ? 0 : o.target.address.is_v6() ? 48 : 28;
    std::int64_t shift0 = 0;
    if (plan) {
        const std::size_t n = store.size();
        plan->finish(store.last_ts_ns() - store.first_ts_ns(), n);
        if (!plan->has_export_time()) {
            throw InputError(o.path, "no NetFlow v5/v9 or IPFIX message in " + std::to_string(n) +
                                         " UDP datagrams: --rebase-time has nothing to rewrite");
        }
        shift0 = *o.rebase_to_s - static_cast<std::int64_t>(plan->first_export_s());
        st.rebased = true;
        st.shift_s = shift0;
        st.loop_shift_s = plan->loop_shift_s();
        st.rebase = plan->stats();
        st.sequence_advance = plan->sessions();
        // NetFlow carries export times as unsigned 32-bit seconds: a loop whose times would
        // pass 2106-02-07T06:28:15Z cannot be written (it would wrap to 1970). Loop k's times
        // reach at most rebase + (k + 1) * loop_shift, since the shift covers the capture's span.
        {
            constexpr std::int64_t kLastSecond = 0xFFFF'FFFF;
            const std::int64_t step = plan->loop_shift_s();
            const std::int64_t room = kLastSecond - *o.rebase_to_s - step;
            const std::uint64_t max_loops = room < 0 ? 0 : static_cast<std::uint64_t>(room / step) + 1;
            const std::string why = "export times past 2106-02-07T06:28:15Z, which NetFlow's 32-bit seconds cannot carry";
            if (max_loops == 0)
                throw UsageError("--rebase-time " + core::format_time(*o.rebase_to_s * 1'000'000) + ": the capture spans " +
                                 std::to_string(step) + " s, so its last messages would carry " + why);
            if (lp.timing.loops > max_loops)
                throw UsageError("--loop " + std::to_string(lp.timing.loops) + " with --rebase-time: loop " +
                                 std::to_string(max_loops + 1) + " would carry " + why + " (at most " +
                                 std::to_string(max_loops) + " loops from this start)");
            if (lp.timing.loops == 0) {
                lp.timing.loops = max_loops;
                if (c.note)
                    c.note("--loop 0 with --rebase-time: stops after " + std::to_string(max_loops) +
                           " loops, since the next would carry " + why);
            }
        }
        // Loops follow the shift, so export times keep pace with the clock at --speed 1.
        lp.period_ns = static_cast<long double>(plan->loop_shift_s()) * 1e9L / static_cast<long double>(o.timing.speed);
        if (c.note) {
            const RebaseStats& r = plan->stats();
            if (r.not_flow) {
                c.note(std::to_string(r.not_flow) +
                       " datagrams hold no NetFlow/IPFIX header: sent unchanged");
            }
            if (r.sets_without_template) {
                c.note(std::to_string(r.sets_without_template) +
                       " data sets came before their template: their record times are not rewritten");
            }
            if (r.odd_length_times) {
                c.note(std::to_string(r.odd_length_times) +
                       " time fields have a length their type does not allow: not rewritten");
            }
        }
    }

    // Where each exporter sends from (--exporter-src); nullopt: the kernel's choice.
    const auto& exporters = store.exporters();
    const std::vector<std::optional<core::IpAddress>> local_of = exporter_locals(o, exporters, c);
    if (tcp) return send_tcp(o, c, store, framing, plan.get(), shift0, lp, local_of, std::move(st));

    // Sockets: index 0 is the shared one (kernel's choice of source), unless every exporter
    // gets its own.
    std::vector<std::optional<core::IpAddress>> binds;
    std::vector<std::uint32_t> socket_of;
    switch (o.exporter_src.mode) {
        case ExporterSource::Mode::kernel:
            binds.emplace_back();
            break;
        case ExporterSource::Mode::automatic:
            // One socket each, even where addresses repeat (IPv6: all ::1, distinct ports).
            for (std::size_t i = 0; i < exporters.size(); ++i) {
                binds.push_back(local_of[i]);
                socket_of.push_back(static_cast<std::uint32_t>(i));
            }
            break;
        case ExporterSource::Mode::map: {
            binds.emplace_back();  // unmapped exporters
            std::map<core::IpAddress, std::uint32_t> by_local;
            for (const auto& local : local_of) {
                std::uint32_t sock = 0;
                if (local) {
                    auto [it, fresh] = by_local.try_emplace(*local, static_cast<std::uint32_t>(binds.size()));
                    if (fresh) binds.push_back(local);
                    sock = it->second;
                }
                socket_of.push_back(sock);
            }
            break;
        }
    }
    UdpSender sender(o.target, binds);
    for (std::size_t i = 0; i < socket_of.size(); ++i) {
        st.sources.emplace_back(exporters[i].to_string(), sender.local_endpoint(socket_of[i]));
    }
    UdpSink sink(store, sender, std::move(socket_of), plan.get(), shift0, plan ? plan->loop_shift_s() : 0,
                 std::clamp<std::size_t>(c.batch, 1, kMaxBatch), c.stop);
    run_loop(store, lp, sink, c, st);
    store.cancel();
    st.wire_bytes = st.bytes + st.packets * lp.overhead;
    st.errors = sender.errors();
    store_stats(st, store);
    // After the run: with overlapped loading the exporters are known only at the end.
    if (o.exporter_src.mode == ExporterSource::Mode::kernel) {
        // One shared socket: every exporter arrives from the same address, which the user needs
        // to know to read the collector's output (verify --exporter-map / --ignore exporter).
        const std::string local = sender.local_endpoint(0);
        for (const core::IpAddress& e : exporters) st.sources.emplace_back(e.to_string(), local);
        if (c.note && !exporters.empty()) {
            std::string list;
            for (const core::IpAddress& e : exporters) list += (list.empty() ? "" : ", ") + e.to_string();
            c.note("exporters " + list + " are all sent from " + local +
                   " (the kernel's choice); --exporter-src auto gives each its own loopback address");
        }
    }
    return st;
}

ReplayStats replay_packets(const PacketsOptions& o, const RunControl& c) {
    check_timing(o.timing);
    ReplayStats st;
    st.mode = "packets";
    st.file = o.path;
    st.target = o.iface;
    PacketStore store(o.path, PacketStore::Kind::frames);
    // Open the interface first: a missing interface or privilege fails before any reading.
    FrameInjector injector(o.iface);
    if (c.overlap_loading && !o.timing.start_at_us) {
        store.start_loading();
    } else {
        store.load();
    }
    LoopPlan lp;
    lp.timing = o.timing;
    FrameSink sink(store, injector, c.stop);
    run_loop(store, lp, sink, c, st);
    store.cancel();
    st.wire_bytes = st.bytes;
    st.errors = injector.errors();
    st.file_packets = store.size();
    st.memory_bytes = store.memory_bytes();
    st.mapped_bytes = store.mapped_bytes();
    st.load_ns = store.load_ns();
    st.truncated_frames = store.truncated_frames();
    if (st.truncated_frames && c.note) {
        c.note(std::to_string(st.truncated_frames) +
               " frames were cut short by the capture's snap length: injected as captured");
    }
    return st;
}

std::string summary_line(const ReplayStats& s) {
    // Say what "bytes" count: exports mode counts UDP payloads, while its Mbps (like --mbps)
    // counts the IP layer; over TCP both count message bytes; packets mode counts whole frames.
    const bool exports = s.mode != "packets";
    std::string out;
    if (s.transport == "tcp") {
        out = fmt::format(
            "{}{} messages, {} bytes over {} TCP {} in {:.3f} s: {:.0f} messages/s, {:.2f} Mbps (message "
            "bytes)",
            s.interrupted ? "interrupted: " : "", s.packets, s.bytes, s.connections.size(),
            s.connections.size() == 1 ? "connection" : "connections", s.seconds(), s.pps(), s.mbps());
    } else {
        out = fmt::format("{}{} packets, {} {} ({} {}) in {:.3f} s: {:.0f} pps, {:.2f} Mbps {}",
                          s.interrupted ? "interrupted: " : "", s.packets, s.bytes,
                          exports ? "payload bytes" : "frame bytes", s.wire_bytes,
                          exports ? "with IP and UDP headers" : "Ethernet header included, no FCS",
                          s.seconds(), s.pps(), s.mbps(), exports ? "(IP layer)" : "(frames)");
    }
    if (s.loops_completed > 1 || (s.loops_completed == 1 && s.interrupted)) {
        out += fmt::format(", {} {}", s.loops_completed, s.loops_completed == 1 ? "loop" : "loops");
    }
    if (s.paced && s.lateness.count()) {
        out += fmt::format("; lateness p50 {}, p99 {}, max {}", format_ns(s.lateness.quantile(0.5)),
                           format_ns(s.lateness.quantile(0.99)), format_ns(s.lateness.max()));
    } else {
        out += "; lateness n/a (topspeed)";
    }
    out += "; errors: ";
    const auto errs = s.errors.list();
    if (errs.empty()) out += "none";
    for (std::size_t i = 0; i < errs.size(); ++i) out += fmt::format("{}{} {}", i ? ", " : "", errs[i].first, errs[i].second);
    if (s.errors.skipped) out += fmt::format(" ({} not sent)", s.errors.skipped);
    if (s.errors.lost()) out += fmt::format("; {} datagrams refused by the target or not sent", s.errors.lost());
    return out;
}

}  // namespace flowlab::replay

/// @brief Starting, watching and stopping a real collector from its profile.
#include "flowlab/harness/collector.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "flowlab/core/error.hpp"
#include "flowlab/core/udp_port.hpp"

namespace flowlab::harness {
using verify::CollectorProfile;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

[[noreturn]] void bad(const CollectorProfile& p, const std::string& pointer, const std::string& what) {
    throw ConfigError(p.file.empty() ? p.name : p.file, pointer, what);
}

int signal_number(const std::string& name) {
    if (name == "TERM" || name == "SIGTERM") return SIGTERM;
    if (name == "INT" || name == "SIGINT") return SIGINT;
    if (name == "HUP" || name == "SIGHUP") return SIGHUP;
    if (name == "USR1" || name == "SIGUSR1") return SIGUSR1;
    if (name == "USR2" || name == "SIGUSR2") return SIGUSR2;
    if (name == "KILL" || name == "SIGKILL") return SIGKILL;
    return 0;
}

}  // namespace

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
    return s;
}

}  // namespace

RunSpec parse_run_spec(const CollectorProfile& p) {
    const Json& run = p.run;
    if (run.is_null())
        bad(p, "/run", "this profile has no \"run\" object, so flowlab check cannot start the collector");
    RunSpec s;
    static const std::vector<std::string> allowed = {"start", "config", "ready_log", "stop", "collected"};
    for (auto it = run.begin(); it != run.end(); ++it)
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
            bad(p, "/run/" + it.key(), "unknown key (expected start, config, ready_log, stop, collected)");
    if (run.contains("ready_log")) {
        if (!run["ready_log"].is_string() || run["ready_log"].get<std::string>().empty())
            bad(p, "/run/ready_log", "expected the text the collector logs once it takes data");
        s.ready_log = run["ready_log"].get<std::string>();
    }
    if (!run.contains("start") || !run["start"].is_array() || run["start"].empty())
        bad(p, "/run/start", "expected a non-empty array of strings: the command that starts the collector");
    for (std::size_t i = 0; i < run["start"].size(); ++i) {
        if (!run["start"][i].is_string()) bad(p, "/run/start/" + std::to_string(i), "expected a string");
        s.start.push_back(run["start"][i].get<std::string>());
    }
    if (run.contains("config")) {
        const Json& c = run["config"];
        if (!c.is_object() || !c.contains("file") || !c["file"].is_string() || !c.contains("lines") || !c["lines"].is_array())
            bad(p, "/run/config", "expected {\"file\": NAME, \"lines\": [TEXT, ...]}");
        s.config_file = c["file"].get<std::string>();
        for (std::size_t i = 0; i < c["lines"].size(); ++i) {
            if (!c["lines"][i].is_string()) bad(p, "/run/config/lines/" + std::to_string(i), "expected a string");
            s.config_lines.push_back(c["lines"][i].get<std::string>());
        }
    }
    if (run.contains("stop")) {
        const Json& st = run["stop"];
        if (!st.is_object()) bad(p, "/run/stop", "expected an object");
        for (auto it = st.begin(); it != st.end(); ++it) {
            const std::string& k = it.key();
            if (k == "signal") {
                if (!it->is_string() || !signal_number(it->get<std::string>()))
                    bad(p, "/run/stop/signal", "expected TERM, INT, HUP, USR1, USR2 or KILL");
                s.stop_signal = signal_number(it->get<std::string>());
            } else if (k == "quiet_file") {
                if (!it->is_string()) bad(p, "/run/stop/quiet_file", "expected a path");
                s.quiet_file = it->get<std::string>();
            } else if (k == "quiet_for") {
                const auto ms = it->is_string() ? verify::parse_duration_ms(it->get<std::string>()) : std::nullopt;
                if (!ms || *ms < 0) bad(p, "/run/stop/quiet_for", "expected a duration such as 2s");
                s.quiet_for_ms = *ms;
            } else if (k == "flush_log" || k == "idle_log") {
                if (!it->is_string() || it->get<std::string>().empty())
                    bad(p, "/run/stop/" + k, k == "flush_log" ? "expected the text of the line the collector logs after each write"
                                                              : "expected the text a flush_log line holds when the write was empty");
                (k == "flush_log" ? s.flush_log : s.idle_log) = it->get<std::string>();
            } else {
                bad(p, "/run/stop/" + k, "unknown key (expected signal, quiet_file, quiet_for, flush_log, idle_log)");
            }
        }
    }
    if (s.idle_log && !s.flush_log) bad(p, "/run/stop/idle_log", "needs flush_log (the line it is looked for in)");
    // KILL loses whatever a collector still holds; only a collector that has said it wrote
    // everything out may be stopped that way.
    if (s.stop_signal == SIGKILL && !(s.flush_log && s.idle_log))
        bad(p, "/run/stop/signal", "KILL needs flush_log and idle_log (the collector's word that it holds nothing unwritten)");
    if (!run.contains("collected") || !run["collected"].is_string())
        bad(p, "/run/collected", "expected TOOL:PATH, what verify reads afterwards (e.g. \"nfdump:{dir}\")");
    s.collected = run["collected"].get<std::string>();
    return s;
}


namespace {
constexpr auto kPoll = std::chrono::milliseconds(50);

/// Sleeps one polling interval unless a stop was asked for (then throws Interrupted).
void pause_or_stop(const RunHooks& hooks, const std::string& doing) {
    hooks.check_cancel(doing);
    std::this_thread::sleep_for(kPoll);
    hooks.check_cancel(doing);
}

std::string ms_text(std::chrono::milliseconds ms) {
    return ms.count() % 1000 == 0 ? std::to_string(ms.count() / 1000) + " s" : std::to_string(ms.count()) + " ms";
}
}  // namespace

std::string CollectorRun::expand(const std::string& s) const {
    std::string out = replace_all(s, "{dir}", data_dir_);
    out = replace_all(out, "{work}", options_.dir);
    out = replace_all(out, "{port}", std::to_string(port_));
    out = replace_all(out, "{address}", options_.address.to_string());
    return out;
}

CollectorRun::CollectorRun(const CollectorProfile& profile, CollectorRunOptions options, RunHooks hooks)
    : name_(profile.name), spec_(parse_run_spec(profile)), options_(std::move(options)), hooks_(std::move(hooks)) {
    std::error_code ec;
    fs::create_directories(options_.dir, ec);
    if (ec) throw IoError("cannot create directory " + options_.dir + ": " + ec.message());
    options_.dir = fs::absolute(options_.dir).lexically_normal().string();
    // The collector's output gets a directory of its own: nfdump -R reads every file in it.
    data_dir_ = options_.dir + "/data";
    fs::create_directories(data_dir_, ec);
    if (ec) throw IoError("cannot create directory " + data_dir_ + ": " + ec.message());
    port_ = options_.port ? options_.port : core::free_udp_port(options_.address);
    log_path_ = options_.dir + "/collector.log";

    core::Process::Options po;
    for (const auto& a : spec_.start) po.argv.push_back(expand(a));
    if (spec_.config_file) {
        const std::string path = options_.dir + "/" + expand(*spec_.config_file);  // beside the log, in {work}
        std::ofstream out(path);
        for (const auto& l : spec_.config_lines) out << expand(l) << '\n';
        out.flush();
        if (!out) throw IoError("cannot write collector configuration " + path + ": " + std::strerror(errno));
    }
    po.cwd = data_dir_;
    po.out = core::Process::Stream::file(log_path_);
    po.err = core::Process::Stream::same_as_stdout();
    try {
        process_ = core::Process::start(po);
    } catch (const IoError& e) {
        throw IoError("collector " + name_ + ": " + e.what());
    }

    const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
    const std::string doing = "while waiting for collector " + name_ + " to listen on port " + std::to_string(port_);
    auto ready = [&] {
        if (!core::udp_socket_state(port_)) return false;
        if (!spec_.ready_log) return true;
        std::ifstream log(log_path_);
        for (std::string line; std::getline(log, line);)
            if (line.find(*spec_.ready_log) != std::string::npos) return true;
        return false;
    };
    while (!ready()) {
        check_alive("before listening on port " + std::to_string(port_));
        if (std::chrono::steady_clock::now() > deadline) {
            process_.stop(SIGKILL, std::chrono::milliseconds(0));
            throw IoError("collector " + name_ + " (pid " + std::to_string(process_.pid()) + ") did not bind UDP port " +
                          std::to_string(port_) +
                          (spec_.ready_log ? " and log \"" + *spec_.ready_log + "\"" : std::string()) + " within " +
                          ms_text(options_.ready_timeout) + "; " + log_path_ + ":\n" + log_tail());
        }
        pause_or_stop(hooks_, doing);
    }
}

CollectorRun::~CollectorRun() {
    if (process_.pid() <= 0 || process_.status()) return;
    const pid_t pid = process_.pid();
    process_.stop(SIGKILL, std::chrono::milliseconds(0));
    hooks_.tell("stopped collector " + name_ + " (pid " + std::to_string(pid) + ")");
}

void CollectorRun::check_alive(const std::string& when) {
    if (process_.running()) return;
    const core::ExitStatus st = *process_.status();
    throw IoError("collector " + name_ + " (" + process_.program() + ", pid " + std::to_string(process_.pid()) + ") " +
                  st.describe() + " " + when + "; " + log_path_ + ":\n" + log_tail());
}

void CollectorRun::wait_quiet() {
    // Everything sent must have left the socket's queue before the collector is stopped.
    const std::string doing = "while collector " + name_ + " was taking what was sent";
    const auto drain_deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
    int empty_polls = 0;
    while (empty_polls < 3) {
        check_alive("while receiving");
        const auto s = core::udp_socket_state(port_);
        empty_polls = (!s || s->rx_queue == 0) ? empty_polls + 1 : 0;
        if (over_output_limit()) return;
        if (std::chrono::steady_clock::now() > drain_deadline) {
            give_up("still had data queued after " + ms_text(options_.drain_timeout));
            break;
        }
        pause_or_stop(hooks_, doing);
    }
    if (spec_.flush_log) wait_flushed();
    if (!spec_.quiet_file || over_output_limit()) return;
    const std::string file = expand(*spec_.quiet_file);
    std::error_code ec;
    std::uintmax_t last = static_cast<std::uintmax_t>(-1);
    auto stable_since = std::chrono::steady_clock::now();
    const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        check_alive("while writing its output");
        if (over_output_limit()) return;
        const auto size = fs::exists(file, ec) ? fs::file_size(file, ec) : 0;
        const auto now = std::chrono::steady_clock::now();
        if (size != last) {
            last = size;
            stable_since = now;
        } else if (now - stable_since >= std::chrono::milliseconds(spec_.quiet_for_ms)) {
            return;
        }
        pause_or_stop(hooks_, doing);
    }
    give_up(file + " still grew after " + ms_text(options_.drain_timeout));
}

void CollectorRun::give_up(const std::string& why) {
    if (!stuck_) stuck_ = why;
    hooks_.tell("collector " + name_ + " " + why);
}

bool CollectorRun::over_output_limit() {
    if (stuck_ && stuck_->rfind("wrote more than", 0) == 0) return true;
    if (!options_.output_limit) return false;
    std::uintmax_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(data_dir_, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code fec;
        if (it->is_regular_file(fec)) total += it->file_size(fec);
    }
    if (total <= options_.output_limit) return false;
    give_up("wrote more than " + std::to_string(options_.output_limit >> 20) + " MB into " + data_dir_ + " (" +
            std::to_string(total >> 20) + " MB)");
    return true;
}

std::vector<std::string> CollectorRun::log_lines_with(const std::string& text) const {
    std::vector<std::string> out;
    std::ifstream log(log_path_);
    for (std::string line; std::getline(log, line);)
        if (line.find(text) != std::string::npos) out.push_back(line);
    return out;
}

void CollectorRun::wait_flushed() {
    const std::string doing = "while collector " + name_ + " was writing out what it took";
    const std::size_t before = log_lines_with(*spec_.flush_log).size();
    const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        check_alive("while writing its output");
        if (over_output_limit()) return;
        const auto lines = log_lines_with(*spec_.flush_log);
        // lines[before] may end a write that began before the last datagram reached the
        // writer; every later one began after it.
        for (std::size_t i = before + 1; i < lines.size(); ++i)
            if (!spec_.idle_log || lines[i].find(*spec_.idle_log) != std::string::npos) return;
        pause_or_stop(hooks_, doing);
    }
    give_up("did not log \"" + *spec_.flush_log + "\"" + (spec_.idle_log ? " with \"" + *spec_.idle_log + "\"" : std::string()) +
            " within " + ms_text(options_.drain_timeout) + " of the drain: it kept writing, or its output is incomplete");
}

core::ExitStatus CollectorRun::stop() {
    if (process_.status()) return *process_.status();
    const core::ExitStatus st = process_.stop(spec_.stop_signal, options_.stop_timeout);
    if (st.signal == SIGKILL && spec_.stop_signal != SIGKILL)
        hooks_.tell("collector " + name_ + " (pid " + std::to_string(process_.pid()) + ") did not stop within " +
                    ms_text(options_.stop_timeout) + " of " + core::signal_name(spec_.stop_signal) +
                    " and was killed; its output may be incomplete");
    return st;
}

verify::CollectedSpec CollectorRun::collected() const {
    verify::CollectedSpec c = verify::parse_collected_spec(expand(spec_.collected));
    c.tool_log = options_.dir + "/dump.log";
    return c;
}

verify::CollectedSpec CollectorRun::finish() {
    wait_quiet();
    // A collector past its output limit is looping: nothing it writes is worth a grace period
    // (nfcapd does not even react to TERM then).
    if (stuck_ && stuck_->rfind("wrote more than", 0) == 0 && !process_.status()) process_.stop(SIGKILL, std::chrono::milliseconds(0));
    stop();
    return collected();
}

std::string CollectorRun::log_tail(std::size_t lines) const {
    std::ifstream in(log_path_);
    std::vector<std::string> all;
    std::string l;
    while (std::getline(in, l)) all.push_back(l);
    std::string out;
    for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += "  " + all[i] + "\n";
    return out.empty() ? "  (empty)\n" : out;
}

}  // namespace flowlab::harness

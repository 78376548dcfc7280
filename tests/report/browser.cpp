/// @brief Browser: chromium with --remote-debugging-pipe (commands on its fd 3, answers and events
/// on its fd 4, each message JSON ending in a NUL byte).
#include "browser.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace flowlab::test {

using nlohmann::json;

namespace {

std::string base64_decode(const std::string& in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : in) {
        const int v = value(c);
        if (v < 0) continue;
        buf = buf << 6 | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>(buf >> bits & 0xFF);
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> Browser::executable() {
    if (auto p = find_tool("chromium")) return p;
    return find_tool("chromium-browser");
}

Browser::Browser() {
    const auto exe = executable();
    if (!exe) throw std::runtime_error("chromium is not installed");
    // Ours are close-on-exec: only the numbers chromium is told about reach it.
    int to[2], from[2];
    if (::pipe2(to, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    if (::pipe2(from, O_CLOEXEC) != 0) {
        ::close(to[0]);
        ::close(to[1]);
        throw std::runtime_error("pipe failed");
    }
    to_browser_ = to[1];
    from_browser_ = from[0];
    core::Process::Options o;
    o.argv = {*exe,
              "--headless=new",
              "--no-sandbox",
              "--disable-gpu",
              "--disable-background-networking",
              "--no-first-run",
              "--disable-component-update",
              "--disable-sync",
              "--disable-breakpad",
              "--disable-crash-reporter",
              "--disable-default-apps",
              "--disable-extensions",
              "--host-resolver-rules=MAP * ~NOTFOUND",
              "--user-data-dir=" + profile_.path().string(),
              "--remote-debugging-pipe",
              "about:blank"};
    // Chromium reads commands on its fd 3 and writes answers and events on its fd 4.
    o.pass_fds = {{to[0], 3}, {from[1], 4}};
    try {
        process_ = core::Process::start(o);
    } catch (...) {
        for (int fd : {to[0], to[1], from[0], from[1]}) ::close(fd);
        to_browser_ = from_browser_ = -1;
        throw;
    }
    // Chromium holds its ends now; with ours closed, its exit shows as end of file here.
    ::close(to[0]);
    ::close(from[1]);
}

Browser::~Browser() {
    if (process_.pid() > 0) {
        try {
            call("Browser.close", json::object(), false);
        } catch (const std::exception&) {
        }
        if (!process_.wait_for(std::chrono::seconds(5))) process_.stop(SIGKILL, std::chrono::milliseconds(0));
    }
    if (to_browser_ >= 0) ::close(to_browser_);
    if (from_browser_ >= 0) ::close(from_browser_);
}

json Browser::read_message(std::chrono::steady_clock::time_point deadline) {
    while (true) {
        const auto nul = buffer_.find('\0');
        if (nul != std::string::npos) {
            json m = json::parse(buffer_.substr(0, nul));
            buffer_.erase(0, nul + 1);
            return m;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) throw std::runtime_error("chromium did not answer in time");
        pollfd p{from_browser_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char buf[65536];
        const ssize_t n = ::read(from_browser_, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("chromium closed its pipe");
        buffer_.append(buf, static_cast<std::size_t>(n));
    }
}

json Browser::call(const std::string& method, json params, bool session) {
    const long id = ++next_id_;
    json m = {{"id", id}, {"method", method}, {"params", std::move(params)}};
    if (session && !session_.empty()) m["sessionId"] = session_;
    const std::string text = m.dump() + '\0';
    for (std::size_t off = 0; off < text.size();) {
        const ssize_t n = ::write(to_browser_, text.data() + off, text.size() - off);
        if (n <= 0) throw std::runtime_error("cannot write to chromium");
        off += static_cast<std::size_t>(n);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (true) {
        json r = read_message(deadline);
        if (r.contains("id") && r["id"] == id) {
            if (r.contains("error")) throw std::runtime_error(method + ": " + r["error"].dump());
            return r["result"];
        }
        events_.push_back(std::move(r));
    }
}

void Browser::wait_event(const std::string& method, std::chrono::seconds timeout) {
    for (const auto& e : events_)
        if (e.value("method", "") == method) return;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        json e = read_message(deadline);
        const bool hit = e.value("method", "") == method;
        events_.push_back(std::move(e));
        if (hit) return;
    }
}

void Browser::open(const std::string& path, int width, int height) {
    // One page at a time: a test suite shares the browser (starting it costs more than a page).
    if (!target_.empty()) call("Target.closeTarget", {{"targetId", target_}}, false);
    session_.clear();
    const json target = call("Target.createTarget", {{"url", "about:blank"}}, false);
    target_ = target["targetId"].get<std::string>();
    session_ = call("Target.attachToTarget", {{"targetId", target_}, {"flatten", true}}, false)["sessionId"];
    for (const char* domain : {"Page.enable", "Runtime.enable", "Network.enable", "Log.enable"}) call(domain);
    call("Emulation.setDeviceMetricsOverride", {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
    events_.clear();
    const std::string url = "file://" + std::filesystem::absolute(path).string();
    call("Page.navigate", {{"url", url}});
    wait_event("Page.loadEventFired", std::chrono::seconds(60));
    eval("window.flowlab.ready.then(() => true)");
}

json Browser::eval(const std::string& expression) {
    const json r = call("Runtime.evaluate", {{"expression", expression}, {"awaitPromise", true}, {"returnByValue", true}});
    if (r.contains("exceptionDetails")) {
        const json& d = r["exceptionDetails"];
        std::string text = d.value("text", "exception");
        if (d.contains("exception") && d["exception"].contains("description")) text += ": " + d["exception"]["description"].get<std::string>();
        throw std::runtime_error("script failed: " + text + "\n  in: " + expression.substr(0, 200));
    }
    return r["result"].contains("value") ? r["result"]["value"] : json();
}

std::string Browser::screenshot() {
    const json r = call("Page.captureScreenshot", {{"format", "png"}, {"captureBeyondViewport", true}});
    return base64_decode(r["data"].get<std::string>());
}

void Browser::save_screenshot(const std::string& path) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << screenshot();
}

void Browser::mouse(const std::string& type, double x, double y) {
    call("Input.dispatchMouseEvent", {{"type", type}, {"x", x}, {"y", y}, {"button", "left"}, {"buttons", type == "mouseReleased" ? 0 : 1},
                                      {"clickCount", 1}});
}

std::vector<std::string> Browser::errors() const {
    std::vector<std::string> out;
    for (const auto& e : events_) {
        const std::string m = e.value("method", "");
        const json& p = e.contains("params") ? e["params"] : json::object();
        if (m == "Runtime.exceptionThrown") out.push_back("exception: " + p["exceptionDetails"].dump());
        else if (m == "Runtime.consoleAPICalled" && (p.value("type", "") == "error" || p.value("type", "") == "assert"))
            out.push_back("console." + p.value("type", "") + ": " + p["args"].dump());
        else if (m == "Log.entryAdded" && p["entry"].value("level", "") == "error")
            out.push_back("log: " + p["entry"].value("text", "") + " " + p["entry"].value("url", ""));
    }
    return out;
}

std::vector<std::string> Browser::requests() const {
    std::vector<std::string> out;
    for (const auto& e : events_)
        if (e.value("method", "") == "Network.requestWillBeSent") out.push_back(e["params"]["request"]["url"].get<std::string>());
    return out;
}

Browser* start_suite_browser() {
    try {
        return new Browser();
    } catch (const std::exception& e) {
        ADD_FAILURE() << e.what() << " (scripts/setup.sh installs chromium)";
        return nullptr;
    }
}

std::string artifact(const std::string& name) { return std::string(FLOWLAB_ARTIFACTS_DIR) + "/" + name; }

}  // namespace flowlab::test

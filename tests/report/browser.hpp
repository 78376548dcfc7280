/// @brief Headless Chromium driven over the DevTools protocol on a pipe (no port, no network):
/// open a page, evaluate script, click and drag, take screenshots, and collect console errors
/// and every request the page makes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowlab/core/process.hpp"
#include "test_support.hpp"

namespace flowlab::test {

class Browser {
public:
    /// The Debian chromium binary, if installed.
    static std::optional<std::string> executable();

    /// Starts chromium --headless=new with a fresh profile (removed with the Browser), without
    /// background networking, component updates or sync, and with every host name unresolvable.
    Browser();
    ~Browser();
    Browser(const Browser&) = delete;
    Browser& operator=(const Browser&) = delete;

    /// Opens a local file in a new page of the given viewport size (closing the previous page)
    /// and waits until it has loaded and `window.flowlab.ready` has settled; errors() and
    /// requests() start afresh. Throws std::runtime_error on failure.
    void open(const std::string& path, int width = 1280, int height = 900);

    /// Evaluates an expression (promises awaited) and returns its value as JSON. Throws
    /// std::runtime_error with the exception's text if it throws.
    nlohmann::json eval(const std::string& expression);

    /// A PNG of the whole page (beyond the viewport).
    std::string screenshot();
    void save_screenshot(const std::string& path);

    /// A mouse event at viewport coordinates ("mousePressed", "mouseMoved", "mouseReleased").
    void mouse(const std::string& type, double x, double y);

    /// Console errors, uncaught exceptions and error log entries of the page so far.
    std::vector<std::string> errors() const;
    /// URLs of every request the page made (including the page itself).
    std::vector<std::string> requests() const;

private:
    nlohmann::json call(const std::string& method, nlohmann::json params = nlohmann::json::object(), bool session = true);
    nlohmann::json read_message(std::chrono::steady_clock::time_point deadline);
    void wait_event(const std::string& method, std::chrono::seconds timeout);

    core::Process process_;
    int to_browser_ = -1, from_browser_ = -1;
    std::string buffer_;
    long next_id_ = 0;
    std::string target_;
    std::string session_;
    std::vector<nlohmann::json> events_;
    TempDir profile_;
};

/// One browser for a test suite, started before the suite makes its data (it comes up
/// meanwhile); nullptr, with a test failure naming the cause, when chromium cannot start.
/// The suite deletes it in TearDownTestSuite, which stops chromium by its PID.
Browser* start_suite_browser();

/// Where a test keeps the screenshots a person looks at (tests/report/artifacts in the build tree).
std::string artifact(const std::string& name);

}  // namespace flowlab::test

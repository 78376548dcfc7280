/// @brief Implementation of the shared test helpers (temp dirs, child processes through core::Process).
#include "test_support.hpp"

#include "flowlab/core/udp_port.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace flowlab::test {

bool in_ci() {
    const char* v = std::getenv("FLOWLAB_CI");
    return v && std::string(v) == "1";
}

std::vector<std::uint8_t> hex(std::string_view text) {
    std::vector<std::uint8_t> out;
    int hi = -1;
    bool comment = false;
    for (char c : text) {
        if (comment) {
            if (c == '\n') comment = false;
            continue;
        }
        if (c == '#') {
            comment = true;
            continue;
        }
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ':' || c == '|') continue;
        else throw std::invalid_argument(std::string("hex fixture: unexpected character '") + c + "'");
        if (hi < 0) {
            hi = v;
        } else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
            hi = -1;
        }
    }
    if (hi >= 0) throw std::invalid_argument("hex fixture: odd number of digits");
    return out;
}

std::string to_hex(const std::vector<std::uint8_t>& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i) s += (i % 16 == 0) ? '\n' : ' ';
        s += digits[bytes[i] >> 4];
        s += digits[bytes[i] & 15];
    }
    return s;
}

TempDir::TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/flowlab-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
    path_ = buf.data();
}

TempDir::~TempDir() {
    if (std::getenv("FLOWLAB_KEEP_TEST_DIRS")) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

std::optional<std::string> find_tool(std::string_view name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin:/usr/local/sbin";
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':')) {
        if (dir.empty()) continue;
        std::string candidate = dir + "/" + std::string(name);
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return std::nullopt;
}

RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              std::chrono::seconds timeout, const std::string& stdin_text) {
    core::Process::Options o;
    o.argv = argv;
    o.env = env;
    const core::RunOutput out = core::run_to_end(o, timeout, stdin_text);
    return RunResult{out.status.shell_code(), out.out, out.err};
}

std::string flowlab_bin() {
    const char* p = std::getenv("FLOWLAB_BIN");
    return p ? p : "flowlab";
}

std::string source_dir() {
    const char* p = std::getenv("FLOWLAB_SOURCE_DIR");
    return p ? p : ".";
}

Process::Process(const std::vector<std::string>& argv, const std::string& stdout_path,
                 const std::string& stderr_path, const std::vector<std::string>& env) {
    core::Process::Options o;
    o.argv = argv;
    o.env = env;
    o.out = stdout_path.empty() ? core::Process::Stream::null() : core::Process::Stream::file(stdout_path);
    o.err = stderr_path.empty() ? core::Process::Stream::null() : core::Process::Stream::file(stderr_path);
    p_ = core::Process::start(o);
}

bool Process::running() { return p_.running(); }

int Process::stop(int sig, std::chrono::milliseconds timeout) {
    if (p_.pid() <= 0) return -1;
    return p_.stop(sig, timeout).shell_code();
}

std::uint16_t free_udp_port() { return core::free_udp_port(core::IpAddress::v4(0x7F000001)); }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string read_file_if_exists(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void write_file(const std::string& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace flowlab::test

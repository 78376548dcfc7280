/// @brief The one exception hierarchy of flowlab; only main() catches and maps it to exit codes.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace flowlab {

/// Root of every error flowlab throws on purpose. Exit code 2 unless a subclass says otherwise.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

namespace core {
/// A place in a text file: 1-based line and column (columns count characters).
struct TextPosition {
    std::uint64_t line = 0;
    std::uint64_t column = 0;
};
}  // namespace core

/// A scenario, profile or other configuration is wrong. `where` is a JSON pointer
/// ("/activities/3/size/mean") or "" for the whole document; `file` names the file; the
/// position, when known, is where that value starts in the file ("office.json:12:20: ...").
class ConfigError : public Error {
public:
    ConfigError(std::string file, std::string json_pointer, const std::string& what_expected,
                std::optional<core::TextPosition> at = std::nullopt)
        : Error(format(file, at, json_pointer, what_expected)), file_(std::move(file)),
          pointer_(std::move(json_pointer)), detail_(what_expected), at_(at) {}
    const std::string& file() const noexcept { return file_; }
    const std::string& pointer() const noexcept { return pointer_; }
    /// What was expected, without the place.
    const std::string& detail() const noexcept { return detail_; }
    const std::optional<core::TextPosition>& position() const noexcept { return at_; }

private:
    static std::string format(const std::string& file, const std::optional<core::TextPosition>& at,
                              const std::string& ptr, const std::string& msg) {
        std::string s = file.empty() ? std::string("config") : file;
        if (at) s += ":" + std::to_string(at->line) + ":" + std::to_string(at->column);
        s += ": ";
        if (!ptr.empty()) s += ptr + ": ";
        return s + msg;
    }
    std::string file_;
    std::string pointer_;
    std::string detail_;
    std::optional<core::TextPosition> at_;
};

/// Input data (pcap, collector output, CSV) that cannot be used. Names the file and the place:
/// a packet number (1-based, as Wireshark counts) or a line number, and a byte offset if known.
class InputError : public Error {
public:
    struct Place {
        std::optional<std::uint64_t> packet{};
        std::optional<std::uint64_t> line{};
        std::optional<std::uint64_t> offset{};
    };
    InputError(std::string file, Place place, const std::string& msg)
        : Error(format(file, place, msg)), file_(std::move(file)), place_(place) {}
    InputError(std::string file, const std::string& msg) : InputError(std::move(file), Place{}, msg) {}
    const std::string& file() const noexcept { return file_; }
    const Place& place() const noexcept { return place_; }

private:
    static std::string format(const std::string& file, const Place& p, const std::string& msg) {
        std::string s = file;
        if (p.packet) s += ": packet " + std::to_string(*p.packet);
        if (p.line) s += ":" + std::to_string(*p.line);
        if (p.offset) s += ": byte " + std::to_string(*p.offset);
        return s + ": " + msg;
    }
    std::string file_;
    Place place_;
};

/// The operating system refused something (open, write, rename, socket) for a reason that is
/// not the content of the input.
class IoError : public Error {
public:
    using Error::Error;
};

/// Wrong command-line usage found after parsing (CLI11 handles the rest).
class UsageError : public Error {
public:
    using Error::Error;
};

/// The run was asked to stop (SIGINT, SIGTERM, or a CancelToken set by code). The message says
/// what had been done; main exits 128 + signal (130 for SIGINT, 143 for SIGTERM; 130 without one).
class Interrupted : public Error {
public:
    explicit Interrupted(int signal, std::string done = {})
        : Error(done.empty() ? std::string("interrupted") : "interrupted " + done), signal_(signal), done_(std::move(done)) {}
    int signal() const noexcept { return signal_; }
    /// What had been done when the stop came ("after 1200 conversations; nothing was written").
    const std::string& done() const noexcept { return done_; }
    int exit_code() const noexcept { return 128 + (signal_ > 0 ? signal_ : 2); }

private:
    int signal_;
    std::string done_;
};

}  // namespace flowlab

/// @brief A JSON value together with its JSON pointer and file, so that every check can fail
/// with ConfigError(file, pointer, what was expected): the shared helpers of the scenario
/// parser (allowed keys, types, ranges, values with units).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen::detail {

/// RFC 6901 escaping of one reference token.
std::string escape_pointer_token(std::string_view key);

/// Closest candidate within a small edit distance ("" if none): for "did you mean" hints.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

/// Thrown by a lookup of a name whose element failed to parse: the element that refers to it is
/// skipped without a second error (the first one already says what is wrong).
struct DependsOnFailed {};

/// The errors found in one scenario, so that validation goes on after the first and reports
/// them all (the first kMaxListed; the rest are counted).
class Diagnostics {
public:
    static constexpr std::size_t kMaxListed = 100;
    void add(const ConfigError& e);
    bool empty() const noexcept { return errors_.empty(); }
    bool full() const noexcept { return errors_.size() >= kMaxListed; }
    std::vector<ConfigError>& errors() noexcept { return errors_; }
    std::size_t unlisted() const noexcept { return unlisted_; }

    /// Runs one independent part of the validation (a section, one element of a list): an
    /// error in it is recorded and validation goes on with the next part. False if it failed.
    template <class F>
    bool attempt(F&& part) {
        try {
            part();
            return true;
        } catch (const ConfigError& e) {
            add(e);
        } catch (const DependsOnFailed&) {
        }
        return false;
    }

private:
    std::vector<ConfigError> errors_;
    std::size_t unlisted_ = 0;
};

class Node {
public:
    Node(const Json& j, std::string pointer, const std::string& file, Diagnostics* diagnostics = nullptr)
        : j_(&j), ptr_(std::move(pointer)), file_(&file), diag_(diagnostics) {}

    const Json& json() const noexcept { return *j_; }
    const std::string& pointer() const noexcept { return ptr_; }
    const std::string& file() const noexcept { return *file_; }
    [[noreturn]] void fail(const std::string& what) const { throw ConfigError(*file_, ptr_, what); }
    /// Fails at this node's child `key` (which may be absent).
    [[noreturn]] void fail_at(std::string_view key, const std::string& what) const {
        throw ConfigError(*file_, ptr_ + "/" + escape_pointer_token(key), what);
    }

    /// This must be an object whose keys are all in `allowed` and which has every `required` key.
    /// Unknown keys are reported to the diagnostics (every one of them) without stopping the
    /// parse of this object; without diagnostics the first one throws.
    void expect_object(const std::vector<std::string_view>& allowed,
                       const std::vector<std::string_view>& required = {}) const;
    bool has(std::string_view key) const;
    /// A required member (fails at pointer/key "required key is missing: <hint>").
    Node at(std::string_view key, std::string_view hint = {}) const;
    std::optional<Node> get(std::string_view key) const;
    /// Elements of an array with at least `min_size` elements.
    std::vector<Node> elements(std::size_t min_size = 0) const;
    /// Members of an object, in document order.
    std::vector<std::pair<std::string, Node>> members() const;

    bool is_string() const noexcept { return j_->is_string(); }
    bool is_number() const noexcept { return j_->is_number(); }
    bool is_object() const noexcept { return j_->is_object(); }
    bool is_array() const noexcept { return j_->is_array(); }

    std::string string(bool allow_empty = false) const;
    bool boolean() const;
    double number() const;
    double number(double lo, double hi) const;
    std::uint64_t integer(std::uint64_t lo, std::uint64_t hi) const;
    /// The value, escaped and length-limited, for messages.
    std::string shown() const;
    /// "names" as used for pools, networks, activities: letters, digits, '-', '_', '.'.
    std::string name() const;

    std::int64_t duration() const;          ///< string with unit → µs
    double bytes() const;                   ///< number or string with unit
    double bitrate() const;                 ///< string with unit → bit/s
    double per_time() const;                ///< string "30/min" → events/s
    double probability() const;             ///< "30%" or number in [0, 1]
    std::int64_t time() const;              ///< ISO 8601 → epoch µs
    std::int64_t date() const;              ///< YYYY-MM-DD → days
    std::int64_t time_of_day() const;       ///< "HH:MM[:SS]" → µs
    std::int32_t utc_offset() const;        ///< "+09:00" → s
    core::IpAddress address() const;
    Cidr cidr() const;
    TimeRef time_ref() const;               ///< ISO time, or a duration after the start

    /// Quantities of a distribution's parameters.
    enum class Quantity { bytes, duration, count };
    double quantity(Quantity q) const;
    /// A value (fixed) or {"dist": ...}.
    Distribution distribution(Quantity q) const;

private:
    std::string type_name() const;
    Node child(const Json& j, std::string pointer) const { return Node(j, std::move(pointer), *file_, diag_); }
    const Json* j_;
    std::string ptr_;
    const std::string* file_;
    Diagnostics* diag_;
};

}  // namespace flowlab::gen::detail

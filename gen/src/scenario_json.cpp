/// @brief Scenario JSON: a SAX handler over nlohmann's lexer that builds the document in linear
/// time within kScenarioLimits, and finds where a JSON pointer's value starts (scenario_json.hpp).
#include "scenario_json.hpp"

#include <iterator>
#include <unordered_set>
#include <vector>

#include "flowlab/core/excerpt.hpp"
#include "json_node.hpp"

namespace flowlab::gen::detail {
namespace {

/// A char iterator that publishes how far nlohmann's lexer has read, so the handler knows where
/// each token ends (nlohmann's SAX events carry no position).
class CountingIterator {
public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = char;
    using difference_type = std::ptrdiff_t;
    using pointer = const char*;
    using reference = const char&;

    CountingIterator(const char* p, const char** shared) : p_(p), shared_(shared) {}
    reference operator*() const { return *p_; }
    CountingIterator& operator++() {
        *shared_ = ++p_;
        return *this;
    }
    CountingIterator operator++(int) {
        CountingIterator old = *this;
        ++*this;
        return old;
    }
    friend bool operator==(const CountingIterator& a, const CountingIterator& b) { return a.p_ == b.p_; }

private:
    const char* p_;
    const char** shared_;
};

struct Failure {
    std::size_t offset = 0;
    std::string pointer;
    std::string message;
};

/// Builds the document (or, with `target`, only looks for where that pointer's value starts).
/// Tracks the JSON pointer of the value being read as a string with a stack of lengths, so that
/// a failure names its place without any search.
class Handler {
public:
    /// `targets`: locate these pointers instead of building the document.
    Handler(std::string_view text, const char** read, const std::unordered_set<std::string>* targets)
        : text_(text), read_(read), target_(targets) {}

    bool null() { return scalar(Json(nullptr)); }
    bool boolean(bool v) { return scalar(Json(v)); }
    bool number_integer(Json::number_integer_t v) { return scalar(Json(v)); }
    bool number_unsigned(Json::number_unsigned_t v) { return scalar(Json(v)); }
    bool number_float(Json::number_float_t v, const std::string&) { return scalar(Json(v)); }
    bool string(std::string& v) { return scalar(Json(std::move(v))); }
    bool binary(Json::binary_t&) { return scalar(Json()); }  // never produced by the JSON lexer

    bool start_object(std::size_t) { return open(true); }
    bool start_array(std::size_t) { return open(false); }
    bool end_object() { return close(); }
    bool end_array() { return close(); }

    bool key(std::string& k) {
        Frame& f = frames_.back();
        const std::size_t at = token_start();
        mark();
        if (!target_ && !f.keys.insert(k).second)
            return fail(at, pointer_.substr(0, f.pointer_length) + "/" + escape_pointer_token(k),
                        "the key " + core::quote(k) + " appears twice in this object (JSON readers would keep only the "
                        "last one)");
        f.key = std::move(k);
        return true;
    }

    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
        std::string detail = e.what();
        // Keep nlohmann's explanation, drop its "[json.exception.parse_error.101] parse error at line..." prefix.
        if (const auto p = detail.find(": syntax error"); p != std::string::npos) detail = detail.substr(p + 2);
        // nlohmann quotes the offending token raw: replace it by an escaped excerpt.
        if (const auto p = detail.find("; last read: '"); p != std::string::npos) {
            const auto q = detail.rfind("'; expected ");
            detail = detail.substr(0, p) + (q != std::string::npos && q > p ? detail.substr(q + 1) : std::string());
        }
        const std::size_t at = position == 0 ? 0 : std::min(position - 1, text_.size());
        const std::size_t newline = text_.substr(0, at).rfind('\n');
        const std::size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
        std::size_t line_end = text_.find('\n', at);
        if (line_end == std::string_view::npos) line_end = text_.size();
        const core::MarkedExcerpt m = core::excerpt_at(text_.substr(line_start, line_end - line_start), at - line_start);
        failure_ = Failure{at, "", "invalid JSON: " + detail + "\n  " + m.text + "\n  " + std::string(m.caret, ' ') + "^"};
        return false;
    }

    const std::optional<Failure>& failure() const { return failure_; }
    std::unordered_map<std::string, std::size_t>& found() { return found_; }
    Json take() { return std::move(root_); }

private:
    struct Frame {
        bool object;
        Json* value;                           ///< the container being filled (null when locating)
        std::unordered_set<std::string> keys;  ///< objects: keys seen, for duplicates in linear time
        std::string key;                       ///< objects: the current member's key
        std::size_t index = 0;                 ///< arrays: the current element's index
        std::size_t pointer_length = 0;        ///< length of pointer_ at this container
    };

    std::size_t consumed() const { return static_cast<std::size_t>(*read_ - text_.data()); }

    /// Where the token of the current event starts: the first byte after the previous event's
    /// token that is not whitespace or a separator. (A number's token may have read one byte
    /// beyond it, which is always whitespace, a separator or a closing bracket.)
    std::size_t token_start() const {
        std::size_t i = last_;
        while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\n' || text_[i] == '\r' ||
                                    text_[i] == ',' || text_[i] == ':'))
            ++i;
        return i;
    }
    void mark() { last_ = consumed(); }

    bool fail(std::size_t offset, std::string pointer, std::string message) {
        failure_ = Failure{offset, std::move(pointer), std::move(message)};
        return false;
    }

    /// Enters a value: extends the pointer, counts it, checks for the target.
    bool enter(std::size_t at) {
        if (!frames_.empty()) {
            Frame& f = frames_.back();
            pointer_.resize(f.pointer_length);
            pointer_ += '/';
            pointer_ += f.object ? escape_pointer_token(f.key) : std::to_string(f.index);
        }
        if (target_) {
            if (target_->count(pointer_) != 0) found_.emplace(pointer_, at);
            return found_.size() < target_->size();  // stop when all are found
        }
        if (++values_ > kScenarioLimits.values)
            return fail(at, pointer_,
                        "the document holds more than " + std::to_string(kScenarioLimits.values) +
                            " values; scenarios are limited to that many");
        return true;
    }

    /// Stores a finished value into the current container (or as the root).
    Json* store(Json&& v) {
        if (target_) return nullptr;
        if (frames_.empty()) {
            root_ = std::move(v);
            return &root_;
        }
        Frame& f = frames_.back();
        if (f.object) {
            // Appended without ordered_map's search: keys are unique (checked in key()).
            auto& members = static_cast<Json::object_t::Container&>(f.value->get_ref<Json::object_t&>());
            return &members.emplace_back(f.key, std::move(v)).second;
        }
        return &f.value->get_ref<Json::array_t&>().emplace_back(std::move(v));
    }

    void element_done() {
        if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    }

    bool scalar(Json&& v) {
        const std::size_t at = token_start();
        mark();
        if (!enter(at)) return false;
        store(std::move(v));
        element_done();
        return true;
    }

    bool open(bool object) {
        const std::size_t at = consumed() - 1;  // the '{' or '[' just read
        mark();
        if (!enter(at)) return false;
        if (frames_.size() + 1 > kScenarioLimits.depth)
            return fail(at, pointer_,
                        "nested more than " + std::to_string(kScenarioLimits.depth) +
                            " levels deep; scenarios are limited to that depth");
        Json* j = store(object ? Json(Json::value_t::object) : Json(Json::value_t::array));
        frames_.push_back(Frame{object, j, {}, {}, 0, pointer_.size()});
        return true;
    }

    bool close() {
        mark();
        frames_.pop_back();
        element_done();
        return true;
    }

    std::string_view text_;
    const char** read_;
    const std::unordered_set<std::string>* target_;
    std::size_t last_ = 0;
    std::vector<Frame> frames_;
    std::string pointer_;
    std::size_t values_ = 0;
    Json root_;
    std::optional<Failure> failure_;
    std::unordered_map<std::string, std::size_t> found_;
};

}  // namespace

core::TextPosition position_of(std::string_view text, std::size_t offset) {
    core::TextPosition p{1, 1};
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++p.line;
            p.column = 1;
        } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
            ++p.column;
        }
    }
    return p;
}

Json parse_json(std::string_view text, const std::string& file) {
    if (text.size() > kScenarioLimits.bytes)
        throw ConfigError(file, "",
                          "the file is " + std::to_string(text.size()) + " bytes; scenarios are limited to " +
                              std::to_string(kScenarioLimits.bytes) + " bytes");
    const char* read = text.data();
    Handler h(text, &read, nullptr);
    Json::sax_parse(CountingIterator(text.data(), &read), CountingIterator(text.data() + text.size(), &read), &h);
    if (const auto& f = h.failure()) throw ConfigError(file, f->pointer, f->message, position_of(text, f->offset));
    return h.take();
}

std::unordered_map<std::string, std::size_t> locate(std::string_view text, const std::vector<std::string>& pointers) {
    const std::unordered_set<std::string> targets(pointers.begin(), pointers.end());
    const char* read = text.data();
    Handler h(text, &read, &targets);
    Json::sax_parse(CountingIterator(text.data(), &read), CountingIterator(text.data() + text.size(), &read), &h);
    return std::move(h.found());
}

}  // namespace flowlab::gen::detail

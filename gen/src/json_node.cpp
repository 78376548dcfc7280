/// @brief Shared checks of the scenario parser: keys, types, ranges, units, distributions.
#include "json_node.hpp"

#include <algorithm>
#include <cmath>

#include "flowlab/core/excerpt.hpp"

namespace flowlab::gen::detail {

std::string escape_pointer_token(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::string join(const std::vector<std::string_view>& v) {
    std::string s;
    for (const auto& x : v) {
        if (!s.empty()) s += ", ";
        s += x;
    }
    return s;
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best;
}

void Diagnostics::add(const ConfigError& e) {
    if (full()) {
        ++unlisted_;
        return;
    }
    errors_.push_back(e);
}

std::string Node::shown() const {
    if (j_->is_string()) return core::quote(j_->get_ref<const std::string&>());
    // dump() throws on malformed UTF-8 unless told to replace it.
    return core::excerpt(j_->dump(-1, ' ', false, Json::error_handler_t::replace));
}

std::string Node::type_name() const {
    switch (j_->type()) {
        case Json::value_t::null:
            return "null";
        case Json::value_t::object:
            return "an object";
        case Json::value_t::array:
            return "an array";
        case Json::value_t::string:
            return "a string";
        case Json::value_t::boolean:
            return "a boolean";
        case Json::value_t::number_integer:
        case Json::value_t::number_unsigned:
        case Json::value_t::number_float:
            return "a number";
        default:
            return "an unsupported value";
    }
}

void Node::expect_object(const std::vector<std::string_view>& allowed,
                         const std::vector<std::string_view>& required) const {
    if (!j_->is_object()) fail("expected an object with keys " + join(allowed) + ", got " + type_name());
    for (auto it = j_->begin(); it != j_->end(); ++it) {
        const std::string& k = it.key();
        if (std::find(allowed.begin(), allowed.end(), k) != allowed.end()) continue;
        const std::string where = ptr_ + "/" + escape_pointer_token(k);
        if (diag_ && diag_->full()) {
            diag_->add(ConfigError(*file_, where, ""));  // only counted
            continue;
        }
        std::vector<std::string> cands(allowed.begin(), allowed.end());
        const std::string hint = closest_match(k, cands);
        const ConfigError e(*file_, where,
                            "unknown key " + core::quote(k) + (hint.empty() ? "" : " (did you mean \"" + hint + "\"?)") +
                                "; valid keys here: " + join(allowed));
        if (!diag_) throw e;
        diag_->add(e);
    }
    for (const auto& r : required) {
        if (!j_->contains(r)) fail_at(r, "required key is missing");
    }
}

bool Node::has(std::string_view key) const { return j_->is_object() && j_->contains(key); }

Node Node::at(std::string_view key, std::string_view hint) const {
    if (!has(key))
        fail_at(key, hint.empty() ? std::string("required key is missing") : "required key is missing: " + std::string(hint));
    return child(j_->at(std::string(key)), ptr_ + "/" + escape_pointer_token(key));
}

std::optional<Node> Node::get(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    const Json& v = j_->at(std::string(key));
    return child(v, ptr_ + "/" + escape_pointer_token(key));
}

std::vector<Node> Node::elements(std::size_t min_size) const {
    if (!j_->is_array()) fail("expected an array, got " + type_name());
    if (j_->size() < min_size)
        fail("expected an array of at least " + std::to_string(min_size) + " element" + (min_size == 1 ? "" : "s") +
             ", got " + std::to_string(j_->size()));
    std::vector<Node> out;
    out.reserve(j_->size());
    for (std::size_t i = 0; i < j_->size(); ++i) out.push_back(child((*j_)[i], ptr_ + "/" + std::to_string(i)));
    return out;
}

std::vector<std::pair<std::string, Node>> Node::members() const {
    if (!j_->is_object()) fail("expected an object, got " + type_name());
    std::vector<std::pair<std::string, Node>> out;
    for (auto it = j_->begin(); it != j_->end(); ++it)
        out.emplace_back(it.key(), child(it.value(), ptr_ + "/" + escape_pointer_token(it.key())));
    return out;
}

std::string Node::string(bool allow_empty) const {
    if (!j_->is_string()) fail("expected a string, got " + type_name());
    std::string s = j_->get<std::string>();
    if (!allow_empty && s.empty()) fail("expected a non-empty string");
    return s;
}

bool Node::boolean() const {
    if (!j_->is_boolean()) fail("expected true or false, got " + type_name());
    return j_->get<bool>();
}

double Node::number() const {
    if (!j_->is_number()) fail("expected a number, got " + type_name());
    return j_->get<double>();
}

double Node::number(double lo, double hi) const {
    const double v = number();
    if (!(v >= lo && v <= hi)) {
        auto fmt = [](double x) {
            std::string s = std::to_string(x);
            s.erase(s.find_last_not_of('0') + 1);
            if (!s.empty() && s.back() == '.') s.pop_back();
            return s;
        };
        fail("expected a number from " + fmt(lo) + " to " + fmt(hi) + ", got " + shown());
    }
    return v;
}

std::uint64_t Node::integer(std::uint64_t lo, std::uint64_t hi) const {
    bool ok = false;
    std::uint64_t v = 0;
    if (j_->is_number_unsigned()) {
        v = j_->get<std::uint64_t>();
        ok = true;
    } else if (j_->is_number_integer()) {
        const auto s = j_->get<std::int64_t>();
        if (s >= 0) {
            v = static_cast<std::uint64_t>(s);
            ok = true;
        }
    } else if (j_->is_number_float()) {
        const double d = j_->get<double>();
        if (d >= 0 && d < 1.8e19 && std::floor(d) == d) {
            v = static_cast<std::uint64_t>(d);
            ok = true;
        }
    }
    if (!ok || v < lo || v > hi)
        fail("expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", got " + shown());
    return v;
}

std::string Node::name() const {
    const std::string s = string();
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.';
        if (!ok) fail("expected a name of letters, digits, '-', '_' and '.', got " + core::quote(s));
    }
    return s;
}

namespace {
template <class F>
auto with_unit(const Node& n, F&& f) {
    try {
        return f();
    } catch (const UnitError& e) {
        n.fail(e.what());
    }
}
}  // namespace

std::int64_t Node::duration() const {
    if (!j_->is_string())
        fail("expected a duration as a string with a unit, e.g. \"90s\", \"15m\", got " + type_name());
    return with_unit(*this, [&] { return parse_duration(j_->get_ref<const std::string&>()); });
}

double Node::bytes() const {
    if (j_->is_number()) {
        const double v = j_->get<double>();
        if (!(v >= 0)) fail("expected a size in bytes (>= 0), got " + shown());
        return v;
    }
    if (!j_->is_string()) fail("expected a size in bytes: a number or a string like \"1.5MB\", got " + type_name());
    return with_unit(*this, [&] { return parse_bytes(j_->get_ref<const std::string&>()); });
}

double Node::bitrate() const {
    if (!j_->is_string()) fail("expected a bit rate as a string with a unit, e.g. \"10Mbps\", got " + type_name());
    return with_unit(*this, [&] { return parse_bitrate(j_->get_ref<const std::string&>()); });
}

double Node::per_time() const {
    if (!j_->is_string()) fail("expected a rate of events as a string, e.g. \"30/s\", \"200/min\", got " + type_name());
    return with_unit(*this, [&] { return parse_per_time(j_->get_ref<const std::string&>()); });
}

double Node::probability() const {
    if (j_->is_number()) {
        const double v = j_->get<double>();
        if (!(v >= 0 && v <= 1)) fail("expected a probability from 0 to 1 (or \"30%\"), got " + shown());
        return v;
    }
    if (!j_->is_string()) fail("expected a probability: \"30%\" or a number from 0 to 1, got " + type_name());
    return with_unit(*this, [&] { return parse_probability(j_->get_ref<const std::string&>()); });
}

std::int64_t Node::time() const {
    if (!j_->is_string()) fail("expected an ISO 8601 time string, e.g. \"2024-03-04T09:30:00Z\", got " + type_name());
    return with_unit(*this, [&] { return parse_time(j_->get_ref<const std::string&>()); });
}

std::int64_t Node::date() const {
    if (!j_->is_string()) fail("expected a date string \"YYYY-MM-DD\", got " + type_name());
    return with_unit(*this, [&] { return parse_date(j_->get_ref<const std::string&>()); });
}

std::int64_t Node::time_of_day() const {
    if (!j_->is_string()) fail("expected a time of day \"HH:MM\", got " + type_name());
    return with_unit(*this, [&] { return parse_time_of_day(j_->get_ref<const std::string&>()); });
}

std::int32_t Node::utc_offset() const {
    if (!j_->is_string()) fail("expected a UTC offset string like \"+09:00\", got " + type_name());
    return with_unit(*this, [&] { return parse_utc_offset(j_->get_ref<const std::string&>()); });
}

core::IpAddress Node::address() const {
    if (!j_->is_string()) fail("expected an IP address string, got " + type_name());
    return with_unit(*this, [&] { return parse_address(j_->get_ref<const std::string&>()); });
}

Cidr Node::cidr() const {
    if (!j_->is_string()) fail("expected a CIDR block string like \"10.1.0.0/24\", got " + type_name());
    return with_unit(*this, [&] { return parse_cidr(j_->get_ref<const std::string&>()); });
}

TimeRef Node::time_ref() const {
    if (!j_->is_string())
        fail("expected a time: ISO 8601 (\"2024-03-05T10:00:00Z\") or a duration after the start (\"36h\"), got " +
             type_name());
    const std::string& s = j_->get_ref<const std::string&>();
    const bool absolute = s.size() >= 5 && s[4] == '-' && std::isdigit(static_cast<unsigned char>(s[0]));
    if (absolute) return TimeRef{false, time()};
    std::string_view v = s;
    if (!v.empty() && v.front() == '+') v.remove_prefix(1);
    try {
        return TimeRef{true, parse_duration(v)};
    } catch (const UnitError&) {
        fail("expected a time: ISO 8601 (\"2024-03-05T10:00:00Z\") or a duration after the start (\"36h\"), got " +
             core::quote(s));
    }
}

double Node::quantity(Quantity q) const {
    switch (q) {
        case Quantity::bytes:
            return bytes();
        case Quantity::duration:
            return static_cast<double>(duration());
        case Quantity::count:
            return number(0, 1e15);
    }
    return 0;
}

Distribution Node::distribution(Quantity q) const {
    Distribution d;
    if (!j_->is_object()) {
        if (j_->is_array()) fail("expected a value or a distribution object {\"dist\": ...}, got an array");
        d.a = quantity(q);
        return d;
    }
    const auto kind_node = at("dist", "one of fixed, uniform, lognormal, pareto, exponential, empirical");
    const std::string kind = kind_node.string();
    auto opt_minmax = [&](const Node& n) {
        if (auto m = n.get("min")) d.min = m->quantity(q);
        if (auto m = n.get("max")) d.max = m->quantity(q);
        if (d.min > d.max) n.fail_at("max", "must not be smaller than min");
    };
    if (kind == "fixed") {
        expect_object({"dist", "value"}, {"value"});
        d.kind = Distribution::Kind::fixed;
        d.a = at("value").quantity(q);
    } else if (kind == "uniform") {
        expect_object({"dist", "min", "max"}, {"min", "max"});
        d.kind = Distribution::Kind::uniform;
        d.a = at("min").quantity(q);
        d.b = at("max").quantity(q);
        if (d.b < d.a) fail_at("max", "must not be smaller than min");
    } else if (kind == "lognormal") {
        expect_object({"dist", "median", "mean", "sigma", "min", "max"}, {"sigma"});
        d.kind = Distribution::Kind::lognormal;
        d.b = at("sigma").number(0, 10);
        if (has("median") == has("mean")) fail("expected exactly one of \"median\" and \"mean\"");
        if (auto m = get("median")) {
            const double med = m->quantity(q);
            if (!(med > 0)) m->fail("expected a median greater than zero");
            d.a = std::log(med);
        } else {
            const auto mn = at("mean");
            const double mean = mn.quantity(q);
            if (!(mean > 0)) mn.fail("expected a mean greater than zero");
            d.a = std::log(mean) - 0.5 * d.b * d.b;
        }
        opt_minmax(*this);
    } else if (kind == "pareto") {
        expect_object({"dist", "scale", "shape", "cap"}, {"scale", "shape"});
        d.kind = Distribution::Kind::pareto;
        const auto sc = at("scale");
        d.a = sc.quantity(q);
        if (!(d.a > 0)) sc.fail("expected a scale (the minimum value) greater than zero");
        d.b = at("shape").number(0.01, 100);
        if (auto c = get("cap")) {
            d.max = c->quantity(q);
            if (!(d.max > d.a)) c->fail("expected a cap greater than the scale");
        }
    } else if (kind == "exponential") {
        expect_object({"dist", "mean", "min", "max"}, {"mean"});
        d.kind = Distribution::Kind::exponential;
        const auto mn = at("mean");
        d.a = mn.quantity(q);
        if (!(d.a > 0)) mn.fail("expected a mean greater than zero");
        opt_minmax(*this);
    } else if (kind == "empirical") {
        expect_object({"dist", "values"}, {"values"});
        d.kind = Distribution::Kind::empirical;
        double total = 0;
        std::vector<double> w;
        for (const auto& e : at("values").elements(1)) {
            const auto pair = e.elements(2);
            if (pair.size() != 2) e.fail("expected a [value, weight] pair");
            d.values.push_back(pair[0].quantity(q));
            const double wt = pair[1].number(0, 1e300);
            w.push_back(wt);
            total += wt;
        }
        if (!(total > 0)) at("values").fail("expected weights with a positive sum");
        double acc = 0;
        for (double x : w) {
            acc += x / total;
            d.cumulative.push_back(acc);
        }
        d.cumulative.back() = 1.0;
    } else {
        kind_node.fail("unknown distribution " + core::quote(kind) +
                       "; expected one of fixed, uniform, lognormal, pareto, exponential, empirical");
    }
    return d;
}

}  // namespace flowlab::gen::detail

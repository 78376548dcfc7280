/// @brief JsonScanner: tokens, escapes, JSON lines, skipping, refills across tokens, errors with lines;
/// LineReader over the same refilled window.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "flowlab/core/error.hpp"
#include "json_scanner.hpp"
#include "test_support.hpp"

namespace flowlab::verify::detail {
namespace {

struct Tok {
    JsonToken kind;
    std::string text;
    std::uint64_t line;
    bool operator==(const Tok&) const = default;
    friend std::ostream& operator<<(std::ostream& os, const Tok& t) {
        return os << static_cast<int>(t.kind) << ":'" << t.text << "'@" << t.line;
    }
};

std::vector<Tok> tokens(const std::string& text, std::size_t block = 1 << 20) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "in.json", text);
    JsonScanner s(InputStream::open_file(dir / "in.json"), block);
    std::vector<Tok> out;
    while (true) {
        const JsonToken t = s.next();
        out.push_back({t, std::string(s.text()), s.line()});
        if (t != JsonToken::key && t != JsonToken::string && t != JsonToken::number && t != JsonToken::boolean &&
            t != JsonToken::null)
            out.back().text.clear();
        if (t == JsonToken::end) return out;
    }
}

std::string error_of(const std::string& text, std::size_t block = 1 << 20) {
    try {
        tokens(text, block);
    } catch (const InputError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(JsonScanner, TokensOfEveryKindWithLines) {
    const auto t = tokens("[\n {\"a\" : 1, \"b\": \"x\",\n  \"c\": [true, false, null, -2.5e3]}\n]\n");
    const std::vector<Tok> want = {
        {JsonToken::begin_array, "", 1}, {JsonToken::begin_object, "", 2}, {JsonToken::key, "a", 2},
        {JsonToken::number, "1", 2},     {JsonToken::key, "b", 2},         {JsonToken::string, "x", 2},
        {JsonToken::key, "c", 3},        {JsonToken::begin_array, "", 3},  {JsonToken::boolean, "true", 3},
        {JsonToken::boolean, "false", 3}, {JsonToken::null, "null", 3},    {JsonToken::number, "-2.5e3", 3},
        {JsonToken::end_array, "", 3},   {JsonToken::end_object, "", 3},   {JsonToken::end_array, "", 4},
        {JsonToken::end, "", 5},
    };
    EXPECT_EQ(t, want);
}

TEST(JsonScanner, EscapesAreDecoded) {
    const auto t = tokens(R"({"k\"ey": "a\\b\/c\n\u00e9\ud83d\ude00"})");
    ASSERT_GE(t.size(), 3u);
    EXPECT_EQ(t[1].text, "k\"ey");
    EXPECT_EQ(t[2].text, "a\\b/c\n\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(JsonScanner, JsonLinesAreSeveralTopLevelValues) {
    const auto t = tokens("{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n");
    std::vector<std::string> numbers;
    for (const auto& x : t)
        if (x.kind == JsonToken::number) numbers.push_back(x.text + "@" + std::to_string(x.line));
    EXPECT_EQ(numbers, (std::vector<std::string>{"1@1", "2@2", "3@4"}));
    EXPECT_EQ(t.back().kind, JsonToken::end);
}

TEST(JsonScanner, TinyBufferGivesTheSameTokens) {
    const std::string doc = "[{\"long_member_name_here\": \"a fairly long string value \\u0041\", \"n\": 12345678901234},"
                            " {\"x\": [1, 2, {\"y\": null}]}]";
    EXPECT_EQ(tokens(doc, 7), tokens(doc));
}

TEST(JsonScanner, SkipValueSkipsNestedContainers) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "in.json", "{\"skip\": {\"a\": [1, {\"b\": [2]}]}, \"keep\": 7}");
    JsonScanner s(InputStream::open_file(dir / "in.json"));
    ASSERT_EQ(s.next(), JsonToken::begin_object);
    ASSERT_EQ(s.next(), JsonToken::key);
    s.skip_value(s.next());
    ASSERT_EQ(s.next(), JsonToken::key);
    EXPECT_EQ(s.text(), "keep");
    ASSERT_EQ(s.next(), JsonToken::number);
    EXPECT_EQ(s.text(), "7");
    EXPECT_EQ(s.next(), JsonToken::end_object);
    EXPECT_EQ(s.next(), JsonToken::end);
}

TEST(JsonScanner, ErrorsNameTheFileAndLine) {
    {
        const std::string e = error_of("{\n\"a\": 1,\n\"b\" 2}");
        EXPECT_NE(e.find("in.json:3:"), std::string::npos) << e;
        EXPECT_NE(e.find("expected ':'"), std::string::npos) << e;
    }
    {
        const std::string e = error_of("[1,\n2,\n]");
        EXPECT_NE(e.find(":3:"), std::string::npos) << e;
        EXPECT_NE(e.find("expected a value"), std::string::npos) << e;
    }
    {
        const std::string e = error_of("{\"a\": \"open\n}");
        EXPECT_NE(e.find(":1:"), std::string::npos) << e;
        EXPECT_NE(e.find("string"), std::string::npos) << e;
    }
    {
        const std::string e = error_of("{\"a\": tru}");
        EXPECT_NE(e.find("expected a value"), std::string::npos) << e;
    }
    {
        const std::string e = error_of("[{\"a\": 1}\n");
        EXPECT_NE(e.find("unexpected end of input"), std::string::npos) << e;
    }
    {
        const std::string e = error_of("{\"a\": 1.}");
        EXPECT_NE(e.find("malformed number"), std::string::npos) << e;
    }
}

std::vector<std::string> lines_of(const std::string& text, std::size_t block) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "in.csv", text);
    LineReader r(InputStream::open_file(dir / "in.csv"), block);
    std::vector<std::string> out;
    std::string_view line;
    while (r.next(line)) {
        out.emplace_back(line);
        EXPECT_EQ(r.line(), out.size());
    }
    return out;
}

TEST(LineReader, LinesLongerThanTheBufferCrLfAndALastLineWithoutNewline) {
    const std::string long_line(1000, 'x');
    const std::string text = "a,b\r\n" + long_line + "\n\n" + long_line + "y\r\nlast";
    const std::vector<std::string> want = {"a,b", long_line, "", long_line + "y", "last"};
    for (const std::size_t block : {std::size_t{1}, std::size_t{3}, std::size_t{64}, std::size_t{1} << 20})
        EXPECT_EQ(lines_of(text, block), want) << "block " << block;
    EXPECT_TRUE(lines_of("", 4).empty());
}

TEST(LineReader, PeekLooksAheadWithoutConsuming) {
    flowlab::test::TempDir dir;
    flowlab::test::write_file(dir / "in.csv", "header,1\nrow\n");
    LineReader r(InputStream::open_file(dir / "in.csv"), 2);
    EXPECT_EQ(r.peek(6), "header");
    EXPECT_EQ(r.peek(100), "header,1\nrow\n");
    std::string_view line;
    ASSERT_TRUE(r.next(line));
    EXPECT_EQ(line, "header,1");
    ASSERT_TRUE(r.next(line));
    EXPECT_EQ(line, "row");
    EXPECT_FALSE(r.next(line));
}

}  // namespace
}  // namespace flowlab::verify::detail

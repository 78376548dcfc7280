/// @brief The CSV/JSONL vocabulary: round trips over random records, header handling, every error.
#include "flowlab/core/record_format.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "flowlab/core/decimal_text.hpp"
#include "flowlab/core/error.hpp"
#include "test_support.hpp"

namespace flowlab::core {
namespace {

using test::TempDir;

constexpr std::uint32_t kSeed = 7177;

IpAddress random_address(std::mt19937_64& rng) {
    std::uint8_t b[16] = {};
    switch (rng() % 6) {
    case 0: return IpAddress::v4(static_cast<std::uint32_t>(rng()));
    case 1: return IpAddress::v4(0xC0000200u | (rng() & 0xFF));  // 192.0.2.x
    case 2:                                                       // 2001:db8::/32 with zero runs
        b[0] = 0x20, b[1] = 0x01, b[2] = 0x0d, b[3] = 0xb8;
        b[15] = static_cast<std::uint8_t>(rng());
        if (rng() % 2) b[9] = static_cast<std::uint8_t>(rng());
        return IpAddress::v6_bytes(b);
    case 3:  // ::ffff:a.b.c.d
        b[10] = b[11] = 0xFF;
        for (int i = 12; i < 16; ++i) b[i] = static_cast<std::uint8_t>(rng());
        return IpAddress::v6_bytes(b);
    case 4: return IpAddress::v6_bytes(b);  // ::
    default:
        for (auto& x : b) x = static_cast<std::uint8_t>(rng());
        return IpAddress::v6_bytes(b);
    }
}

std::uint64_t field_limit(Field f) {
    switch (f) {
    case Field::sport: case Field::dport: case Field::template_id: return 0xFFFF;
    case Field::proto: case Field::tos: case Field::tcp_flags: case Field::src_mask: case Field::dst_mask:
    case Field::icmp_type: case Field::icmp_code: case Field::end_reason: case Field::version: return 0xFF;
    case Field::packets: case Field::bytes: return ~std::uint64_t{0};
    default: return 0xFFFFFFFF;
    }
}

FlowRecord random_record(std::mt19937_64& rng) {
    FlowRecord r;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (rng() % 5 == 0) continue;  // absent
        if (is_address_field(f)) {
            r.set_address(f, random_address(rng));
        } else if (is_signed_field(f)) {
            const std::int64_t choices[] = {0, -1, INT64_MIN, INT64_MAX, 1'700'000'000'123,
                                            static_cast<std::int64_t>(rng())};
            r.set_number(f, static_cast<std::uint64_t>(choices[rng() % 6]));
        } else {
            const std::uint64_t limit = field_limit(f);
            const std::uint64_t choices[] = {0, limit, rng() & limit, (rng() % 1000) & limit};
            r.set_number(f, choices[rng() % 4]);
        }
    }
    return r;
}

std::vector<FlowRecord> random_records(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<FlowRecord> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(random_record(rng));
    return out;
}

void write_records(const std::string& path, RecordFormat format, const std::vector<FlowRecord>& records) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    RecordWriter w(f, format, path);
    w.begin();
    for (const auto& r : records) w.write(r);
    w.flush();
    EXPECT_EQ(w.written(), records.size());
    std::fclose(f);
}

std::vector<FlowRecord> read_all(const std::string& path) {
    RecordCsvReader reader(path);
    std::vector<FlowRecord> out;
    FlowRecord r;
    while (reader.next(r)) out.push_back(r);
    return out;
}

/// The InputError message from reading `content` as CSV ("" if it reads cleanly).
std::string csv_error(const TempDir& dir, const std::string& content) {
    const std::string path = dir / "bad.csv";
    test::write_file(path, content);
    try {
        read_all(path);
    } catch (const InputError& e) {
        EXPECT_EQ(e.file(), path);
        return e.what();
    }
    return "";
}

TEST(RecordFormat, HeaderIsTheVocabulary) {
    EXPECT_EQ(csv_header(),
              "exporter,domain,src,dst,sport,dport,proto,tos,tcp_flags,packets,bytes,first_ms,last_ms,in_if,out_if,"
              "src_as,dst_as,src_mask,dst_mask,next_hop,icmp_type,icmp_code,end_reason,sampling_interval,version,"
              "sequence,template_id,export_ms,tunnel_src,tunnel_dst,in_if_name,out_if_name,vrf_in_id,vrf_out_id,"
              "vrf_in,vrf_out,sampling_algorithm");
}

TEST(RecordFormat, CsvRowFormatting) {
    FlowRecord r;
    r.set_address(Field::exporter, IpAddress::v4(0xC0000201));
    r.set_address(Field::src, *IpAddress::parse("2001:db8::1"));
    r.set_number(Field::sport, 53);
    r.set_number(Field::first_ms, static_cast<std::uint64_t>(std::int64_t{-12}));
    r.set_number(Field::export_ms, 1'700'000'000'000);
    std::string s;
    append_csv_row(s, r);
    EXPECT_EQ(s, "192.0.2.1,,2001:db8::1,,53,,,,,,,-12,,,,,,,,,,,,,,,,1700000000000,,,,,,,,,\n");
    append_csv_row(s, FlowRecord{});
    EXPECT_EQ(s.substr(s.find('\n') + 1), std::string(kFieldCount - 1, ',') + "\n");
}

TEST(RecordFormat, JsonLineFormatting) {
    FlowRecord r;
    r.set_address(Field::src, *IpAddress::parse("::ffff:192.0.2.9"));
    r.set_number(Field::packets, 18446744073709551615ull);
    r.set_number(Field::last_ms, static_cast<std::uint64_t>(std::int64_t{-1}));
    r.extra.push_back(ExtraField{29305, 7, {0x00, 0xAB, 0xFF}});
    r.extra.push_back(ExtraField{0, 82, {}});
    std::string s;
    append_json_line(s, r);
    EXPECT_EQ(s,
              "{\"src\":\"::ffff:192.0.2.9\",\"packets\":18446744073709551615,\"last_ms\":-1,"
              "\"extra\":[{\"enterprise\":29305,\"id\":7,\"hex\":\"00abff\"},{\"enterprise\":0,\"id\":82,\"hex\":\"\"}]}\n");
    s.clear();
    append_json_line(s, FlowRecord{});
    EXPECT_EQ(s, "{}\n");
}

TEST(RecordFormat, CsvRoundTripOfRandomRecords) {
    SCOPED_TRACE("seed " + std::to_string(kSeed));
    TempDir dir;
    // Enough rows to cross the 1 MiB read and write buffers several times.
    const auto records = random_records(30000, kSeed);
    write_records(dir / "r.csv", RecordFormat::csv, records);
    const auto back = read_all(dir / "r.csv");
    ASSERT_EQ(back.size(), records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        ASSERT_EQ(back[i], records[i]) << "row " << i + 2 << ": differs in "
                                       << differing_fields(back[i], records[i], FieldSet::all()).bits();
    }
    // The writer and append_csv_row produce the same bytes.
    std::string expected = csv_header() + "\n";
    for (const auto& r : records) append_csv_row(expected, r);
    EXPECT_EQ(test::read_file(dir / "r.csv"), expected);
}

/// A CSV row built column by column through FlowRecord's generic accessors and std::to_chars:
/// the straight-line writer must produce exactly this for every record.
std::string reference_csv_row(const FlowRecord& r) {
    std::string out;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (i) out += ',';
        if (!r.has(f)) continue;
        if (is_address_field(f)) {
            out += r.address(f)->to_string();
        } else if (is_text_field(f)) {
            const std::string_view t = r.text(f);
            if (t.find_first_of(",\"\r\n") == std::string_view::npos) {
                out += t;
            } else {
                out += '"';
                for (char c : t) {
                    if (c == '"') out += '"';
                    out += c;
                }
                out += '"';
            }
        } else {
            char buf[24];
            const auto res = is_signed_field(f) ? std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(r.number(f)))
                                                : std::to_chars(buf, buf + sizeof buf, r.number(f));
            out.append(buf, res.ptr);
        }
    }
    return out + '\n';
}

TEST(RecordFormat, CsvRowMatchesTheColumnAccessors) {
    SCOPED_TRACE("seed " + std::to_string(kSeed));
    std::mt19937_64 rng(kSeed);
    const std::string_view names[] = {"ge-0/0/1",   "uplink, primary", "say \"hi\"",   "x",
                                      "a\"b,c",      "two\nlines",      "cr\rlf",       "end\r",
                                      "\n",          "",                "eight ch",     "ninechars\n",
                                      "GigabitEthernet0/0/0/1", "HundredGigE0/0/0/12,", "TenGigE0/1/0/3\""};
    for (int n = 0; n < 20000; ++n) {
        FlowRecord r = random_record(rng);
        for (Field f : {Field::in_if_name, Field::out_if_name, Field::vrf_in, Field::vrf_out})
            if (rng() % 3) r.set_text(f, intern_name(names[rng() % std::size(names)]));
        std::string row;
        append_csv_row(row, r);
        ASSERT_EQ(row, reference_csv_row(r)) << "record " << n;
    }
    FlowRecord all;
    for (std::size_t i = 0; i < kFieldCount; ++i) {
        const auto f = static_cast<Field>(i);
        if (is_address_field(f)) all.set_address(f, *IpAddress::parse("255.255.255.255"));
        else if (is_text_field(f)) all.set_text(f, intern_name("n"));
        else all.set_number(f, is_signed_field(f) ? static_cast<std::uint64_t>(INT64_MIN) : field_limit(f));
    }
    std::string row;
    append_csv_row(row, all);
    EXPECT_EQ(row, reference_csv_row(all));
}

// Names are quoted exactly when they hold a comma, a quote or a line break, wherever it sits
// in the name, and never for bytes that merely share bits with those characters.
TEST(RecordFormat, CsvQuotesANameWithASpecialCharacterAtAnyPlace) {
    const std::string specials = ",\"\r\n";
    // Neighbours of the special characters, and their high-bit twins.
    const std::string all = specials + "a;\t '\xAC\xA2\x8D\x0C\x2D\xFF";
    std::size_t quoted = 0;
    for (std::size_t length = 1; length <= 25; ++length)
        for (std::size_t at = 0; at < length; ++at)
            for (const char c : all) {
                std::string name(length, 'x');
                name[at] = c;
                FlowRecord r;
                r.set_text(Field::in_if_name, intern_name(name));
                std::string row;
                append_csv_row(row, r);
                ASSERT_EQ(row, reference_csv_row(r))
                    << "length " << length << ", byte " << int(static_cast<unsigned char>(c)) << " at " << at;
                if (row.find('"') != std::string::npos) ++quoted;
            }
    EXPECT_EQ(quoted, specials.size() * (25 * 26 / 2));
}

// append_csv_cell (decode --options tables) quotes by the same rule as the record rows.
TEST(RecordFormat, CsvCellQuotesOnlyWhenItMust) {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"", ""},
        {"GigabitEthernet0/0/0/1", "GigabitEthernet0/0/0/1"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"\"\"", "\"\"\"\"\"\""},
        {"two\nlines", "\"two\nlines\""},
        {"cr\r", "\"cr\r\""},
        {"1|2|3", "1|2|3"},
    };
    for (const auto& [text, cell] : cases) {
        std::string out = "x,";
        append_csv_cell(out, text);
        EXPECT_EQ(out, "x," + std::string(cell)) << text;
    }
}

// RecordWriter remembers IPv6 texts and the leading digits of the times from row to row
// (CsvMemo). Rows that repeat a few hundred addresses (more than its slots, so entries are
// replaced) and times that stay within, cross and jump between memo boundaries must still be
// exactly the column-by-column reference.
TEST(RecordFormat, CsvWriterRowsWithRepeatedAddressesAndTimes) {
    SCOPED_TRACE("seed " + std::to_string(kSeed));
    std::mt19937_64 rng(kSeed);
    std::vector<IpAddress> pool;
    for (int i = 0; i < 700; ++i) pool.push_back(random_address(rng));
    const std::int64_t edges[] = {0, 1, 99'999, 100'000, 100'001, 199'999, 200'000, -1, -100'000, INT64_MIN,
                                  INT64_MAX, 1'709'546'399'999, 1'709'546'400'000};
    std::vector<FlowRecord> records;
    std::int64_t t = 1'709'546'400'000;
    for (int n = 0; n < 60000; ++n) {
        FlowRecord r = random_record(rng);
        for (Field f : {Field::src, Field::dst, Field::exporter, Field::next_hop})
            if (rng() % 4) r.set_address(f, pool[rng() % (rng() % 8 ? 40 : pool.size())]);
        t += static_cast<std::int64_t>(rng() % 3000);  // rows in time order, a few ms to s apart
        for (Field f : {Field::first_ms, Field::last_ms, Field::export_ms}) {
            const std::int64_t v = rng() % 10 == 0 ? edges[rng() % std::size(edges)] : t - static_cast<std::int64_t>(rng() % 200'000);
            if (rng() % 6) r.set_number(f, static_cast<std::uint64_t>(v));
        }
        records.push_back(r);
    }
    TempDir dir;
    write_records(dir / "r.csv", RecordFormat::csv, records);
    std::string expected = csv_header() + "\n";
    for (const auto& r : records) expected += reference_csv_row(r);
    const std::string got = test::read_file(dir / "r.csv");
    ASSERT_EQ(got.size(), expected.size());
    if (got != expected) {
        std::size_t at = 0;
        while (got[at] == expected[at]) ++at;
        FAIL() << "first difference at byte " << at << ": " << got.substr(at > 80 ? at - 80 : 0, 160);
    }
}

// The decimal writer behind the CSV and JSON writers: exactly std::to_chars's text.
TEST(DecimalText, MatchesToCharsAtTheEdges) {
    auto text = [](auto v) {
        char buf[kMaxDecimalText];
        return std::string(buf, put_decimal(buf, v));
    };
    auto expected = [](auto v) {
        char buf[24];
        return std::string(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
    };
    EXPECT_EQ(text(std::uint64_t{0}), "0");
    EXPECT_EQ(text(std::int64_t{0}), "0");
    EXPECT_EQ(text(~std::uint64_t{0}), "18446744073709551615");
    EXPECT_EQ(text(INT64_MIN), "-9223372036854775808");
    EXPECT_EQ(text(INT64_MAX), "9223372036854775807");
    EXPECT_EQ(text(std::int64_t{-1}), "-1");
    EXPECT_EQ(text(std::int64_t{-1001}), "-1001");  // a time 1.001 s before the epoch
    EXPECT_EQ(text(std::uint8_t{255}), "255");
    EXPECT_EQ(text(std::uint16_t{65535}), "65535");
    EXPECT_EQ(text(std::uint32_t{4294967295u}), "4294967295");
    // Every digit count, at both ends of it and around the power of ten.
    std::uint64_t p = 1;
    for (int digits = 1; digits <= 20; ++digits) {
        for (std::uint64_t v : {p - 1, p, p + 1, p * 2 - 1}) {
            ASSERT_EQ(text(v), expected(v)) << v;
            const auto sv = static_cast<std::int64_t>(v);
            ASSERT_EQ(text(sv), expected(sv)) << sv;
            if (sv != INT64_MIN) {
                ASSERT_EQ(text(-sv), expected(-sv)) << -sv;
            }
        }
        if (digits < 20) p *= 10;
    }
}

TEST(DecimalText, MatchesToCharsOnRandomValues) {
    SCOPED_TRACE("seed " + std::to_string(kSeed));
    std::mt19937_64 rng(kSeed);
    char buf[kMaxDecimalText];
    char want[24];
    for (int n = 0; n < 200000; ++n) {
        const std::uint64_t v = rng() >> (rng() % 64);  // every bit width
        ASSERT_EQ(std::string(buf, put_decimal(buf, v)), std::string(want, std::to_chars(want, want + 24, v).ptr));
        const auto sv = static_cast<std::int64_t>(rng()) >> (rng() % 64);
        ASSERT_EQ(std::string(buf, put_decimal(buf, sv)), std::string(want, std::to_chars(want, want + 24, sv).ptr));
    }
}

// JSON lines are checked with an independent parser (nlohmann::json).
TEST(RecordFormat, JsonlRoundTripThroughAJsonParser) {
    SCOPED_TRACE("seed " + std::to_string(kSeed + 1));
    TempDir dir;
    auto records = random_records(5000, kSeed + 1);
    std::mt19937_64 rng(kSeed + 1);
    for (auto& r : records) {
        for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
            ExtraField e;
            e.enterprise = static_cast<std::uint32_t>(rng() % 3 == 0 ? 0 : rng());
            e.id = static_cast<std::uint16_t>(rng() & 0x7FFF);
            e.value.resize(rng() % 20);
            for (auto& b : e.value) b = static_cast<std::uint8_t>(rng());
            r.extra.push_back(e);
        }
    }
    write_records(dir / "r.jsonl", RecordFormat::jsonl, records);
    const std::string text = test::read_file(dir / "r.jsonl");
    std::size_t pos = 0, i = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        ASSERT_NE(nl, std::string::npos);
        const auto j = nlohmann::json::parse(text.substr(pos, nl - pos));
        pos = nl + 1;
        ASSERT_LT(i, records.size());
        const FlowRecord& r = records[i++];
        FlowRecord got;
        for (auto it = j.begin(); it != j.end(); ++it) {
            if (it.key() == "extra") {
                for (const auto& e : it.value()) {
                    ExtraField x;
                    x.enterprise = e.at("enterprise").get<std::uint32_t>();
                    x.id = e.at("id").get<std::uint16_t>();
                    x.value = test::hex(e.at("hex").get<std::string>());
                    got.extra.push_back(x);
                }
                continue;
            }
            const auto f = field_from_name(it.key());
            ASSERT_TRUE(f) << it.key();
            if (is_address_field(*f)) {
                ASSERT_TRUE(it.value().is_string());
                const auto a = IpAddress::parse(it.value().get<std::string>());
                ASSERT_TRUE(a);
                got.set_address(*f, *a);
            } else if (is_signed_field(*f)) {
                got.set_number(*f, static_cast<std::uint64_t>(it.value().get<std::int64_t>()));
            } else {
                ASSERT_TRUE(it.value().is_number_unsigned() || it.value().get<std::int64_t>() >= 0);
                got.set_number(*f, it.value().get<std::uint64_t>());
            }
        }
        ASSERT_EQ(got, r) << "line " << i;
    }
    EXPECT_EQ(i, records.size());
}

TEST(RecordFormat, WriterGrowsForHugeExtras) {
    TempDir dir;
    std::vector<FlowRecord> records(3);
    for (auto& r : records) r.extra.push_back(ExtraField{1, 2, std::vector<std::uint8_t>(700000, 0x5A)});
    write_records(dir / "big.jsonl", RecordFormat::jsonl, records);
    const std::string text = test::read_file(dir / "big.jsonl");
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
    EXPECT_EQ(text.size(), 3 * (std::string("{\"extra\":[{\"enterprise\":1,\"id\":2,\"hex\":\"\"}]}\n").size() + 1400000));
}

TEST(RecordFormat, HeaderChoosesColumnsInAnyOrder) {
    TempDir dir;
    test::write_file(dir / "h.csv",
                     "dport,src,packets,first_ms\r\n"
                     "53,192.0.2.1,10,-5\r\n"
                     "\n"
                     ",2001:db8::2,,\r\n"
                     "\r\n"
                     "443,,18446744073709551615,1700000000000");  // no final newline
    const auto rows = read_all(dir / "h.csv");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].present, (FieldSet{Field::dport, Field::src, Field::packets, Field::first_ms}));
    EXPECT_EQ(rows[0].dport, 53);
    EXPECT_EQ(rows[0].src, IpAddress::v4(0xC0000201));
    EXPECT_EQ(rows[0].packets, 10u);
    EXPECT_EQ(rows[0].first_ms, -5);
    EXPECT_EQ(rows[1].present, FieldSet{Field::src});
    EXPECT_EQ(rows[1].src.to_string(), "2001:db8::2");
    EXPECT_EQ(rows[2].present, (FieldSet{Field::dport, Field::packets, Field::first_ms}));
    EXPECT_EQ(rows[2].packets, ~std::uint64_t{0});
    EXPECT_EQ(rows[2].first_ms, 1'700'000'000'000);
}

TEST(RecordFormat, ReaderTellsLineNumbers) {
    TempDir dir;
    test::write_file(dir / "l.csv", "\nsport\n\n1\n\n2\n");
    RecordCsvReader reader(dir / "l.csv");
    FlowRecord r;
    ASSERT_TRUE(reader.next(r));
    EXPECT_EQ(reader.line(), 4u);
    ASSERT_TRUE(reader.next(r));
    EXPECT_EQ(reader.line(), 6u);
    EXPECT_EQ(r.sport, 2);
    EXPECT_FALSE(reader.next(r));
    EXPECT_FALSE(reader.next(r));
}

TEST(RecordFormat, ReaderResetsTheRecord) {
    TempDir dir;
    test::write_file(dir / "r.csv", "sport,dport\n1,2\n,3\n");
    RecordCsvReader reader(dir / "r.csv");
    FlowRecord r;
    r.extra.push_back(ExtraField{1, 1, {1}});
    r.set_number(Field::tos, 4);
    ASSERT_TRUE(reader.next(r));
    EXPECT_TRUE(r.extra.empty());
    EXPECT_EQ(r.present, (FieldSet{Field::sport, Field::dport}));
    ASSERT_TRUE(reader.next(r));
    EXPECT_EQ(r.present, FieldSet{Field::dport});
    EXPECT_EQ(r.sport, 0);
}

TEST(RecordFormat, UnknownColumnNamesFileLineAndColumn) {
    TempDir dir;
    const std::string path = dir / "bad.csv";
    const auto msg = csv_error(dir, "src,dst,colour,sport\n192.0.2.1,192.0.2.2,red,5\n");
    EXPECT_EQ(msg.rfind(path + ":1: column 3: unknown column name 'colour' (known columns: exporter, domain,", 0), 0u)
        << msg;
    EXPECT_NE(msg.find("sampling_algorithm)"), std::string::npos) << msg;
    EXPECT_EQ(csv_error(dir, "src,,dst\n"), path + ":1: column 2: unknown column name '' (known columns: " +
                                                 [] {
                                                     std::string k;
                                                     for (auto n : kFieldNames) k += (k.empty() ? "" : ", ") + std::string(n);
                                                     return k;
                                                 }() + ")");
}

TEST(RecordFormat, DuplicateColumnIsAnError) {
    TempDir dir;
    EXPECT_EQ(csv_error(dir, "src,dst,src\n"), dir / "bad.csv" + ":1: column 3: column 'src' appears twice in the header");
}

TEST(RecordFormat, EmptyFileHasNoHeader) {
    TempDir dir;
    EXPECT_EQ(csv_error(dir, "").rfind(dir / "bad.csv" + ":1: no header line: expected the CSV header (exporter,", 0), 0u);
    EXPECT_EQ(csv_error(dir, "\n\n").rfind(dir / "bad.csv" + ":3: no header line", 0), 0u);
}

TEST(RecordFormat, MissingFile) {
    TempDir dir;
    try {
        RecordCsvReader r(dir / "absent.csv");
        FAIL() << "no error";
    } catch (const InputError& e) {
        EXPECT_EQ(std::string(e.what()), dir / "absent.csv" + ": cannot open: No such file or directory");
    }
}

TEST(RecordFormat, MalformedCellsNameLineColumnAndExpectation) {
    TempDir dir;
    const std::string p = dir / "bad.csv";
    const std::string head = "exporter,sport,proto,packets,first_ms,domain\n";
    const std::string good = "192.0.2.1,1,6,10,5,7\n";
    struct Case {
        std::string row;
        std::string message;
    };
    const Case cases[] = {
        {"192.0.2.300,1,6,10,5,7", "column 1 'exporter': expected an IPv4 or IPv6 address, found '192.0.2.300'"},
        {"host.example,1,6,10,5,7", "column 1 'exporter': expected an IPv4 or IPv6 address, found 'host.example'"},
        {"192.0.2.1,65536,6,10,5,7", "column 2 'sport': expected an integer 0..65535, found '65536'"},
        {"192.0.2.1,-1,6,10,5,7", "column 2 'sport': expected an integer 0..65535, found '-1'"},
        {"192.0.2.1,+1,6,10,5,7", "column 2 'sport': expected an integer 0..65535, found '+1'"},
        {"192.0.2.1, 1,6,10,5,7", "column 2 'sport': expected an integer 0..65535, found ' 1'"},
        {"192.0.2.1,1,256,10,5,7", "column 3 'proto': expected an integer 0..255, found '256'"},
        {"192.0.2.1,1,tcp,10,5,7", "column 3 'proto': expected an integer 0..255, found 'tcp'"},
        {"192.0.2.1,1,6,18446744073709551616,5,7",
         "column 4 'packets': expected an integer 0..18446744073709551615, found '18446744073709551616'"},
        {"192.0.2.1,1,6,1.5,5,7", "column 4 'packets': expected an integer 0..18446744073709551615, found '1.5'"},
        {"192.0.2.1,1,6,10,2024-01-01,7",
         "column 5 'first_ms': expected a signed 64-bit integer (Unix epoch milliseconds), found '2024-01-01'"},
        {"192.0.2.1,1,6,10,9223372036854775808,7",
         "column 5 'first_ms': expected a signed 64-bit integer (Unix epoch milliseconds), found "
         "'9223372036854775808'"},
        {"192.0.2.1,1,6,10,5,4294967296", "column 6 'domain': expected an integer 0..4294967295, found '4294967296'"},
        {"192.0.2.1,1,6,10,5," + std::string(60, '9'),
         "column 6 'domain': expected an integer 0..4294967295, found '" + std::string(40, '9') + "...'"},
        {"192.0.2.1,1,6,10,5", "found 5 cells, expected 6 (one per header column)"},
        {"192.0.2.1,1,6,10,5,7,", "found 7 cells, expected 6 (one per header column)"},
        {"192.0.2.1,1,6,10,5,7,8,9", "found 8 cells, expected 6 (one per header column)"},
    };
    for (const auto& c : cases) {
        // Two good rows and an empty line first: the error is on line 5.
        EXPECT_EQ(csv_error(dir, head + good + "\n" + good + c.row + "\n" + good), p + ":5: " + c.message);
        EXPECT_EQ(csv_error(dir, head + good + "\r\n" + good + c.row + "\r\n"), p + ":5: " + c.message);
    }
}

TEST(RecordFormat, ParseFieldText) {
    FlowRecord r;
    EXPECT_TRUE(parse_field_text(Field::tos, "7", r));
    EXPECT_EQ(r.tos, 7);
    EXPECT_TRUE(r.has(Field::tos));
    EXPECT_TRUE(parse_field_text(Field::tos, "", r));
    EXPECT_FALSE(r.has(Field::tos));
    EXPECT_EQ(r.tos, 0);
    EXPECT_TRUE(parse_field_text(Field::next_hop, "::", r));
    EXPECT_TRUE(r.has(Field::next_hop));
    EXPECT_TRUE(r.next_hop.is_v6());
    EXPECT_TRUE(parse_field_text(Field::next_hop, "", r));
    EXPECT_FALSE(r.next_hop.is_set());
    EXPECT_FALSE(parse_field_text(Field::version, "0x0a", r));
    EXPECT_TRUE(parse_field_text(Field::export_ms, "-9223372036854775808", r));
    EXPECT_EQ(r.export_ms, INT64_MIN);
}

TEST(RecordFormat, OverlongLineIsRejected) {
    TempDir dir;
    const auto msg = csv_error(dir, "sport\n1\n" + std::string(3u << 20, '1') + "\n");
    EXPECT_EQ(msg, dir / "bad.csv" + ":3: line longer than 1048576 bytes: this is not flowlab CSV");
}

TEST(RecordFormat, ByteOrderMarkBeforeHeaderIsTolerated) {
    TempDir dir;
    test::write_file(dir / "bom.csv", "\xEF\xBB\xBFsport\n9\n");
    const auto rows = read_all(dir / "bom.csv");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].sport, 9);
}

TEST(RecordFormat, DashReadsStandardInput) {
    TempDir dir;
    const auto records = random_records(100, kSeed + 2);
    write_records(dir / "in.csv", RecordFormat::csv, records);
    const int saved = dup(0);
    ASSERT_GE(saved, 0);
    const int fd = open((dir / "in.csv").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    dup2(fd, 0);
    close(fd);
    std::vector<FlowRecord> back;
    std::string error;
    try {
        back = read_all("-");
    } catch (const std::exception& e) {
        error = e.what();
    }
    dup2(saved, 0);
    close(saved);
    std::clearerr(stdin);
    EXPECT_EQ(error, "");
    EXPECT_EQ(back, records);
}

TEST(RecordFormat, StandardInputIsNamedInErrors) {
    TempDir dir;
    test::write_file(dir / "in.csv", "sport\nx\n");
    const int saved = dup(0);
    const int fd = open((dir / "in.csv").c_str(), O_RDONLY);
    dup2(fd, 0);
    close(fd);
    std::string error;
    try {
        read_all("-");
    } catch (const InputError& e) {
        error = e.what();
    }
    dup2(saved, 0);
    close(saved);
    std::clearerr(stdin);
    EXPECT_EQ(error, "standard input:2: column 1 'sport': expected an integer 0..65535, found 'x'");
}

TEST(RecordFormat, WriteFailureIsAnIoErrorNamingTheOutput) {
    std::FILE* f = std::fopen("/dev/full", "wb");
    if (!f) GTEST_SKIP() << "/dev/full is not available";
    {
        RecordWriter w(f, RecordFormat::csv, "out.csv");
        w.begin();
        FlowRecord r;
        r.set_number(Field::sport, 1);
        w.write(r);
        try {
            w.flush();
            FAIL() << "no error";
        } catch (const IoError& e) {
            EXPECT_EQ(std::string(e.what()), "out.csv: write failed: No space left on device");
        }
    }
    std::fclose(f);
}

}  // namespace
}  // namespace flowlab::core

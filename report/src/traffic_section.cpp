/// @brief The large members of a traffic section (series, addresses, conversations, levels: their
/// layout is documented at the top of report.cpp), written from the aggregation's result straight
/// into the page's compressor. Built as a JSON DOM, copied and dumped, they held about three times
/// what the aggregation itself held (trading floor: 21 MB of DOM, 16 MB for its copy and 11 MB
/// for its text, against 17 MB of aggregation).
#include <algorithm>

#include "flowlab/report/page.hpp"

namespace flowlab::report {

using nlohmann::json;

std::vector<StreamedMember> traffic_members(const TrafficData& d) {
    std::vector<StreamedMember> m;
    m.push_back({"series", [&d](JsonText& t) {
                     t.array(d.sources, [&](const SourceSeries& src) {
                         t.array(src.slots, [&](const std::vector<Counters>& slots) {
                             t.raw("[");
                             bool first = true;
                             for (std::uint64_t Counters::*field :
                                  {&Counters::flows, &Counters::packets, &Counters::bytes}) {
                                 if (!first) t.raw(",");
                                 first = false;
                                 t.array(slots, [&](const Counters& c) { t.number(c.*field); });
                             }
                             t.raw("]");
                         });
                     });
                 }});
    m.push_back({"addresses", [&d](JsonText& t) {
                     t.array(d.addresses, [&](const core::IpAddress& a) { t.value(json(a.to_string())); });
                 }});
    m.push_back({"conversations", [&d](JsonText& t) {
                     t.raw("[");
                     bool first = true;
                     for (const auto& [a, b] : d.conversations) {
                         if (!first) t.raw(",");
                         first = false;
                         t.number(std::uint64_t{a});
                         t.raw(",");
                         t.number(std::uint64_t{b});
                     }
                     t.raw("]");
                 }});
    m.push_back({"levels", [&d](JsonText& t) {
                     std::vector<const Candidate*> sorted;
                     // By key, each key as the difference to the one before: the same hosts recur
                     // from cell to cell, which gzip then finds (5% smaller than in rank order).
                     auto by_key = [&sorted](const DimCell& dc) -> const std::vector<const Candidate*>& {
                         sorted.clear();
                         for (const Candidate& cand : dc.kept) sorted.push_back(&cand);
                         std::sort(sorted.begin(), sorted.end(),
                                   [](const Candidate* a, const Candidate* b) { return a->key < b->key; });
                         return sorted;
                     };
                     auto pair = [&t](const Counters& c) {
                         t.number(c.flows);
                         t.raw(",");
                         t.number(c.bytes);
                     };
                     auto per_cell = [&t](const Level& level, auto each) {
                         t.raw("[");
                         bool first = true;
                         for (const Cell& c : level.cells) {
                             if (!first) t.raw(",");
                             first = false;
                             each(c);
                         }
                         t.raw("]");
                     };
                     // Members in ascending key order, as dump() writes them.
                     t.array(d.levels, [&](const Level& level) {
                         t.raw("{");
                         t.key("candidates", true);
                         t.number(std::uint64_t{level.spec.candidates});
                         t.key("dims", false);
                         t.raw("[");
                         for (std::size_t k = 0; k < kDims; ++k) {
                             if (k) t.raw(",");
                             t.raw("{");
                             t.key("count", true);
                             per_cell(level,
                                      [&](const Cell& c) { t.number(std::uint64_t{c.dims[k].kept.size()}); });
                             t.key("err", false);
                             per_cell(level, [&](const Cell& c) { pair(c.dims[k].err); });
                             t.key("key", false);
                             t.raw("[");
                             bool first = true;
                             for (const Cell& c : level.cells) {
                                 std::uint32_t prev = 0;
                                 for (const Candidate* cand : by_key(c.dims[k])) {
                                     if (!first) t.raw(",");
                                     first = false;
                                     t.number(std::uint64_t{cand->key - prev});
                                     prev = cand->key;
                                 }
                             }
                             t.raw("]");
                             t.key("name", false);
                             t.value(json(std::string(dim_name(static_cast<Dim>(k)))));
                             t.key("rest", false);
                             per_cell(level, [&](const Cell& c) { pair(c.dims[k].rest); });
                             t.key("val", false);
                             t.raw("[");
                             first = true;
                             for (const Cell& c : level.cells)
                                 for (const Candidate* cand : by_key(c.dims[k])) {
                                     if (!first) t.raw(",");
                                     first = false;
                                     pair(cand->value);
                                 }
                             t.raw("]");
                             t.raw("}");
                         }
                         t.raw("]");
                         t.key("end", false);
                         per_cell(level, [&](const Cell& c) { t.number(c.end); });
                         t.key("factor", false);
                         t.number(level.spec.factor);
                         t.key("name", false);
                         t.value(json(level.spec.name));
                         t.key("offset", false);
                         t.number(level.spec.offset);
                         t.key("start", false);
                         per_cell(level, [&](const Cell& c) { t.number(c.start); });
                         t.key("total", false);
                         per_cell(level, [&](const Cell& c) {
                             t.number(c.total.flows);
                             t.raw(",");
                             t.number(c.total.packets);
                             t.raw(",");
                             t.number(c.total.bytes);
                         });
                         t.raw("}");
                     });
                 }});
    return m;
}

}  // namespace flowlab::report

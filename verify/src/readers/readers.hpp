/// @brief Factories of the concrete collected-output readers (one file per tool).
#pragma once

#include <memory>
#include <string>

#include "flowlab/verify/collected.hpp"
#include "input_stream.hpp"

namespace flowlab::verify::detail {

std::unique_ptr<CollectedReader> make_flowlab_csv_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_flowlab_jsonl_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_nfdump_json_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_nfdump_csv_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_nfdump_pipe_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_pmacct_csv_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_pmacct_json_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_tshark_json_reader(InputStream in, std::string source);
std::unique_ptr<CollectedReader> make_goflow2_json_reader(InputStream in, std::string source);

/// Sets an address field from text; false if the text is not an address.
bool set_address_text(core::FlowRecord& r, core::Field f, std::string_view text);

}  // namespace flowlab::verify::detail

/// @brief Where the teacher's answer key lives and how `scenarios answer` gets it back: from
/// the key file gen wrote on request, or by running the scenario again.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "flowlab/core/error.hpp"
#include "flowlab/gen/answer_key.hpp"
#include "flowlab/gen/gen_run.hpp"
#include "flowlab/gen/scenario.hpp"

namespace flowlab::gen {

namespace fs = std::filesystem;

std::string answer_key_path(const std::string& gen_dir) {
    fs::path d = fs::path(gen_dir).lexically_normal();
    if (d.filename().empty()) d = d.parent_path();  // "out/" -> "out"
    return (d.parent_path() / (d.filename().string() + ".answer-key.json")).string();
}

namespace {

Json read_json(const std::string& path, const std::string& hint) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw IoError("cannot read " + path + hint);
    try {
        return Json::parse(in);
    } catch (const Json::exception& e) {
        throw InputError(path, std::string("invalid JSON: ") + e.what());
    }
}

/// The parts of a manifest that say which run produced it.
Json identity(const Json& doc) {
    Json id;
    id["scenario"] = doc.value("/scenario/name"_json_pointer, std::string());
    id["sha256"] = doc.value("/scenario/sha256"_json_pointer, std::string());
    id["seed"] = doc.value("seed", Json());
    id["scale"] = doc.value("scale", Json());
    id["start_ms"] = doc.value("/span/start_ms"_json_pointer, Json());
    id["end_ms"] = doc.value("/span/end_ms"_json_pointer, Json());
    return id;
}

Json answer_of(const Json& key, const std::string& path) {
    const auto p = "/lesson/answer"_json_pointer;
    if (!key.contains(p) || !key[p].is_object()) throw InputError(path, "/lesson/answer: not an answer key of flowlab gen");
    return key[p];
}

/// Runs the scenario of `manifest` again with its seed, span and scale; returns the key.
Json recompute(const Json& manifest, const std::string& manifest_path, const std::vector<std::string>& dirs) {
    const std::string name = manifest.value("/scenario/name"_json_pointer, std::string());
    Scenario s;
    try {
        s = load_scenario(name, dirs);
    } catch (const Error& e) {
        throw UsageError(manifest_path + ": no answer key beside this output and the scenario \"" + name +
                         "\" cannot be found to recompute it (" + e.what() + "); give the key with --key FILE");
    }
    if (s.sha256 != manifest.value("/scenario/sha256"_json_pointer, std::string()))
        throw UsageError(manifest_path + ": the scenario \"" + name + "\" found at " + s.file +
                         " is not the one this output was generated from (its SHA-256 differs); give the key with --key FILE");
    if (!s.lesson || s.lesson->answer.is_null())
        throw UsageError(manifest_path + ": scenario \"" + name + "\" has no lesson answer");
    GenOptions g;
    g.source.seed = manifest.at("seed").get<std::uint64_t>();
    g.source.scale = manifest.at("scale").get<double>();
    const auto span = manifest.at("span");
    const std::int64_t start_us = span.contains("start_us") ? span["start_us"].get<std::int64_t>() : span.at("start_ms").get<std::int64_t>() * 1000;
    const std::int64_t end_us = span.contains("end_us") ? span["end_us"].get<std::int64_t>() : span.at("end_ms").get<std::int64_t>() * 1000;
    g.source.start_us = start_us;
    g.source.duration_us = end_us - start_us;
    std::string tmpl = (fs::temp_directory_path() / "flowlab-answer-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw IoError("cannot create a temporary directory in " + fs::temp_directory_path().string());
    struct Cleanup {
        std::string dir;
        ~Cleanup() {
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } cleanup{tmpl};
    g.output_dir = tmpl + "/gen";
    g.answer_key_file = tmpl + "/key.json";
    run_gen(s, g);
    return answer_of(read_json(g.answer_key_file, ""), g.answer_key_file);
}

}  // namespace

Json find_answer_key(const std::string& gen_dir, const std::string& key_file, const std::vector<std::string>& scenario_dirs) {
    const std::string manifest_path = (fs::path(gen_dir) / "manifest.json").string();
    const Json manifest = read_json(manifest_path, " (is it the output directory of `flowlab gen`?)");
    std::string path = key_file;
    std::error_code ec;
    if (path.empty() && fs::is_regular_file(answer_key_path(gen_dir), ec)) path = answer_key_path(gen_dir);
    if (path.empty()) return recompute(manifest, manifest_path, scenario_dirs);
    const Json key = read_json(path, "");
    if (identity(key) != identity(manifest))
        throw UsageError(path + ": this answer key belongs to another output (scenario, seed, span or scale differ from " +
                         manifest_path + ")");
    return answer_of(key, path);
}

}  // namespace flowlab::gen

// cliprt_device_report DIR: the report of scripts/device_check.sh, from what its stages left in DIR:
//   meta.tsv       key<TAB>value lines (date, host, commit, GPU, mode)
//   stages.tsv     name<TAB>status<TAB>seconds<TAB>note lines, one per stage, in order
//   info.json      `cliprt info --json`
//   gtest_*.json   GoogleTest's --gtest_output=json of each parity suite
//   bench_*.json   `cliprt bench --json` outputs
//   torch.json     tools/torch_gpu_bench.py's output
//   profile_*.json `cliprt profile --json` outputs (time per op kind)
// Writes DIR/report.md (tables) and DIR/report.json (the same, structured). Missing or unreadable
// inputs are reported in the tables, never fatal: the report says what ran and what did not.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<std::vector<std::string>> read_tsv(const fs::path& path) {
    std::vector<std::vector<std::string>> rows;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        std::vector<std::string> cells;
        std::stringstream s(line);
        for (std::string cell; std::getline(s, cell, '\t');) cells.push_back(cell);
        rows.push_back(std::move(cells));
    }
    return rows;
}

// The JSON in `path`, or null with *error set.
json read_json(const fs::path& path, std::string* error) {
    std::ifstream in(path);
    if (!in) {
        *error = "missing";
        return nullptr;
    }
    try {
        return json::parse(in);
    } catch (const json::exception& e) {
        *error = std::string("unreadable: ") + e.what();
        return nullptr;
    }
}

std::vector<fs::path> files_like(const fs::path& dir, const std::string& prefix) {
    std::vector<fs::path> out;
    if (!fs::is_directory(dir)) return out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) == 0 && entry.path().extension() == ".json") out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string cell(const json& j) {
    if (j.is_null()) return "";
    if (j.is_string()) return j.get<std::string>();
    return j.dump();
}

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// One parity suite from GoogleTest's JSON: counts, failed names, and the golden rows' properties.
json parity_suite(const std::string& suite, const json& g) {
    json out{{"suite", suite}, {"tests", 0}, {"passed", 0}, {"failed", 0}, {"skipped", 0}};
    json failed = json::array(), goldens = json::array();
    for (const json& ts : g.value("testsuites", json::array())) {
        for (const json& t : ts.value("testsuite", json::array())) {
            const std::string name = ts.value("name", "") + "." + t.value("name", "");
            out["tests"] = out["tests"].get<int>() + 1;
            if (t.contains("failures") && !t["failures"].empty()) {
                out["failed"] = out["failed"].get<int>() + 1;
                std::string first = t["failures"][0].value("failure", "");
                first = first.substr(0, std::min<size_t>(first.find('\n'), 200));
                failed.push_back({{"name", name}, {"failure", first}});
            } else if (t.value("result", "") == "SKIPPED") {
                out["skipped"] = out["skipped"].get<int>() + 1;
            } else {
                out["passed"] = out["passed"].get<int>() + 1;
            }
            if (t.contains("cosine_min")) {
                goldens.push_back({{"name", name},
                                   {"cosine_min", cell(t["cosine_min"])},
                                   {"nmse", cell(t["nmse"])},
                                   {"seconds", cell(t.value("seconds", json()))}});
            }
        }
    }
    out["failed_tests"] = failed;
    out["goldens"] = goldens;
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: cliprt_device_report DIR\n";
        return 2;
    }
    const fs::path dir = argv[1];
    json report;

    json meta = json::object();
    for (const auto& row : read_tsv(dir / "meta.tsv")) meta[row.at(0)] = row.size() > 1 ? row[1] : "";
    report["meta"] = meta;

    json stages = json::array();
    for (const auto& row : read_tsv(dir / "stages.tsv")) {
        stages.push_back({{"stage", row.at(0)},
                          {"status", row.size() > 1 ? row[1] : ""},
                          {"seconds", row.size() > 2 ? row[2] : ""},
                          {"note", row.size() > 3 ? row[3] : ""}});
    }
    report["stages"] = stages;

    std::string error;
    const json info = read_json(dir / "info.json", &error);
    report["info"] = info.is_null() ? json{{"error", error}} : info;

    json parity = json::array();
    for (const fs::path& p : files_like(dir, "gtest_")) {
        const std::string suite = p.stem().string().substr(6);
        const json g = read_json(p, &error);
        parity.push_back(g.is_null() ? json{{"suite", suite}, {"error", error}} : parity_suite(suite, g));
    }
    report["parity"] = parity;

    // Bench rows keyed by (model, tower, dtype, batch), one column per runtime.
    using Key = std::tuple<std::string, std::string, std::string, int>;
    std::map<Key, json> rows;
    std::vector<std::string> runtimes;
    json bench_errors = json::array();
    auto add = [&](const json& r, const std::string& runtime) {
        if (std::find(runtimes.begin(), runtimes.end(), runtime) == runtimes.end()) runtimes.push_back(runtime);
        const Key key{r.value("model", ""), r.value("tower", ""), r.value("dtype", ""), r.value("batch", 0)};
        json& row = rows[key];
        row["model"] = std::get<0>(key);
        row["tower"] = std::get<1>(key);
        row["dtype"] = std::get<2>(key);
        row["batch"] = std::get<3>(key);
        if (r.contains("error")) {
            row[runtime] = {{"error", r["error"]}};
        } else {
            row[runtime] = {{"items_per_second", r.value("items_per_second", 0.0)},
                            {"ms_per_forward", r.value("ms_per_forward", 0.0)}};
            if (r.contains("gflop_per_second")) row[runtime]["gflop_per_second"] = r["gflop_per_second"];
            if (r.contains("device")) row[runtime]["device"] = r["device"];
        }
    };
    for (const fs::path& p : files_like(dir, "bench_")) {
        const json b = read_json(p, &error);
        if (b.is_null()) {
            bench_errors.push_back({{"file", p.filename().string()}, {"error", error}});
            continue;
        }
        for (const json& r : b.value("results", json::array())) add(r, "cliprt " + r.value("backend", "?"));
    }
    const json torch = read_json(dir / "torch.json", &error);
    if (!torch.is_null()) {
        for (const json& r : torch.value("results", json::array())) add(r, "torch");
        report["torch"] = {{"torch", torch.value("torch", "")},
                           {"open_clip", torch.value("open_clip", "")},
                           {"device", torch.value("device", "")}};
    } else {
        report["torch"] = {{"error", error}};
    }
    json bench = json::array();
    for (auto& [key, row] : rows) bench.push_back(row);
    report["bench"] = bench;
    report["bench_errors"] = bench_errors;
    report["runtimes"] = runtimes;

    json profiles = json::array();
    for (const fs::path& p : files_like(dir, "profile_")) {
        const json prof = read_json(p, &error);
        if (prof.is_null()) {
            profiles.push_back({{"file", p.filename().string()}, {"error", error}});
            continue;
        }
        json entry{{"file", p.filename().string()}, {"ops", json::array()}};
        for (const char* key :
             {"backend", "device", "model", "tower", "dtype", "batch", "forward_ms", "steps_ms", "clock"})
            entry[key] = prof.value(key, json());
        for (const json& op : prof.value("ops", json::array()))
            entry["ops"].push_back({{"op", op.value("op", "")},
                                    {"nodes", op.value("nodes", 0)},
                                    {"ms", op.value("ms", 0.0)},
                                    {"share", op.value("share", 0.0)},
                                    {"gflop_per_second", op.value("gflop_per_second", 0.0)},
                                    {"gbytes_per_second", op.value("gbytes_per_second", 0.0)}});
        profiles.push_back(entry);
    }
    report["profiles"] = profiles;

    // ---- Markdown ----
    std::ostringstream md;
    md << "# cliprt device check\n\n";
    for (const auto& [k, v] : meta.items()) md << "- " << k << ": " << cell(v) << "\n";
    md << "\n## Stages\n\n| stage | status | seconds | note |\n| --- | --- | --- | --- |\n";
    for (const json& s : stages)
        md << "| " << cell(s["stage"]) << " | " << cell(s["status"]) << " | " << cell(s["seconds"]) << " | "
           << cell(s["note"]) << " |\n";
    md << "\n## Parity\n\n";
    if (parity.empty()) md << "No parity suite ran.\n";
    for (const json& p : parity) {
        md << "### " << cell(p["suite"]) << "\n\n";
        if (p.contains("error")) {
            md << "GoogleTest output " << cell(p["error"]) << ".\n\n";
            continue;
        }
        md << p["tests"].get<int>() << " tests: " << p["passed"].get<int>() << " passed, " << p["failed"].get<int>()
           << " failed, " << p["skipped"].get<int>() << " skipped.\n\n";
        for (const json& f : p["failed_tests"])
            md << "- FAILED " << cell(f["name"]) << ": " << cell(f["failure"]) << "\n";
        if (!p["goldens"].empty()) {
            md << "\n| golden | cosine_min | nmse | seconds |\n| --- | --- | --- | --- |\n";
            for (const json& g : p["goldens"])
                md << "| " << cell(g["name"]) << " | " << cell(g["cosine_min"]) << " | " << cell(g["nmse"]) << " | "
                   << cell(g["seconds"]) << " |\n";
        }
        md << "\n";
    }
    md << "## Throughput (items/s)\n\n";
    if (bench.empty()) {
        md << "No benchmark ran.\n";
    } else {
        md << "| model | tower | dtype | batch |";
        for (const std::string& r : runtimes) md << " " << r << " |";
        const bool ratios = std::find(runtimes.begin(), runtimes.end(), "torch") != runtimes.end();
        if (ratios) {
            for (const std::string& r : runtimes)
                if (r != "torch") md << " " << r << " / torch |";
        }
        md << "\n| --- | --- | --- | --- |";
        for (size_t i = 0; i < runtimes.size(); ++i) md << " --- |";
        if (ratios) {
            for (size_t i = 0; i + 1 < runtimes.size(); ++i) md << " --- |";
        }
        md << "\n";
        for (const json& row : bench) {
            md << "| " << cell(row["model"]) << " | " << cell(row["tower"]) << " | " << cell(row["dtype"]) << " | "
               << row["batch"].get<int>() << " |";
            auto ips = [&](const std::string& r) -> double {
                if (!row.contains(r) || !row[r].contains("items_per_second")) return 0.0;
                return row[r]["items_per_second"].get<double>();
            };
            for (const std::string& r : runtimes) {
                if (!row.contains(r)) {
                    md << " |";
                } else if (row[r].contains("error")) {
                    md << " error: " << cell(row[r]["error"]).substr(0, 60) << " |";
                } else {
                    md << " " << fixed(ips(r), 1) << " |";
                }
            }
            if (ratios) {
                for (const std::string& r : runtimes) {
                    if (r == "torch") continue;
                    md << " " << (ips(r) > 0 && ips("torch") > 0 ? fixed(ips(r) / ips("torch"), 2) : "") << " |";
                }
            }
            md << "\n";
        }
    }
    for (const json& e : bench_errors) md << "\n- bench output " << cell(e["file"]) << ": " << cell(e["error"]) << "\n";
    if (report["torch"].contains("torch"))
        md << "\nPyTorch " << cell(report["torch"]["torch"]) << ", open_clip " << cell(report["torch"]["open_clip"])
           << " on " << cell(report["torch"]["device"]) << " (open_clip's random initialisation).\n";

    md << "\n## Profiles (ms per forward by op kind)\n\n";
    if (profiles.empty()) md << "No profile ran.\n";
    for (const json& p : profiles) {
        if (p.contains("error")) {
            md << "- profile output " << cell(p["file"]) << ": " << cell(p["error"]) << "\n";
            continue;
        }
        md << "### " << cell(p["model"]) << " " << cell(p["tower"]) << " on " << cell(p["backend"]) << " ("
           << cell(p["device"]) << "), " << cell(p["dtype"]) << ", batch " << cell(p["batch"]) << "\n\n"
           << "Forward " << cell(p["forward_ms"]) << " ms, steps " << cell(p["steps_ms"]) << " ms (" << cell(p["clock"])
           << ").\n\n| op | nodes | ms | share | GFLOP/s | GB/s |\n| --- | --- | --- | --- | --- | --- |\n";
        for (const json& op : p["ops"])
            md << "| " << cell(op["op"]) << " | " << cell(op["nodes"]) << " | " << fixed(op["ms"].get<double>(), 3)
               << " | " << fixed(100 * op["share"].get<double>(), 1) << " % | "
               << fixed(op["gflop_per_second"].get<double>(), 1) << " | "
               << fixed(op["gbytes_per_second"].get<double>(), 1) << " |\n";
        md << "\n";
    }

    std::ofstream(dir / "report.md") << md.str();
    std::ofstream(dir / "report.json") << report.dump(1) << "\n";
    std::cout << md.str();
    return 0;
}

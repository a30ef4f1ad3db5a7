#pragma once
// One function per subcommand: `add_*` declares its options, the callback runs it.
#include <CLI/CLI.hpp>

namespace spikessm::cli {

void add_train(CLI::App& app);
void add_eval(CLI::App& app);
void add_sdn(CLI::App& app);

// The full command line of this run, for provenance records.
const std::string& command_line();
void add_export(CLI::App& app);
void add_import(CLI::App& app);
void add_report(CLI::App& app);
void add_data(CLI::App& app);         // cmd_data.cpp
void add_bench(CLI::App& app);        // cmd_bench.cpp
void add_lm_generate(CLI::App& app);  // cmd_generate.cpp
void add_stream(CLI::App& app);       // cmd_stream.cpp
// Every subcommand above, on a fresh app (cmd_app.cpp).
void add_commands(CLI::App& app);

// Thrown to leave with a given exit code (the launcher passes on a failed worker's code);
// the worker already printed its error.
struct ExitCode {
  int code;
};

// Applies --threads (0: every core) with spikessm::set_threads (ATen's and OpenBLAS's pools).
// A seam: fuzz/fuzz_cli.cpp, standing in for main.cpp, leaves the test process's threads alone.
void set_threads(int64_t threads);

}  // namespace spikessm::cli

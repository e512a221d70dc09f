// Where a pipeline run puts things, all derived from -o OUT (the whole name, so that a folder
// OUT and a file OUT.gguf side by side keep their own):
//   OUT                     the quantized model: a GGUF file (OUT ends in .gguf) or a folder
//   OUT.plan.json           the BitPlan
//   OUT.diagnostics.json    the diagnostics (when the run diagnosed), and OUT.diagnostics.md
//   OUT.summary.json        the run's summary (`lieq report --summary` reads it)
//   OUT.report.html         plan, diagnostics charts, sizes, times, perplexity in one page
//   OUT.lieq-cache/         the default resume cache, removed once the run succeeds
#pragma once

#include <cstdint>
#include <string>

namespace lieq {

enum class OutputFormat { kLieq, kGguf };

// gguf when `name` is "gguf", lieq when "lieq"; empty: by OUT's extension (.gguf or a folder).
// Unknown names return false.
bool ResolveOutputFormat(const std::string& name, const std::string& out, OutputFormat* format);

struct OutputFiles {
  std::string model;
  std::string plan;
  std::string diagnostics;
  std::string diagnostics_report;
  std::string summary;
  std::string report;
  std::string default_cache;
};

OutputFiles OutputFilesFor(const std::string& out);

// Bytes of a file, or of every regular file under a folder (0 when absent).
uint64_t PathBytes(const std::string& path);

}  // namespace lieq

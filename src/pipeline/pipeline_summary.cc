#include "pipeline/pipeline_summary.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace lieq {
namespace {

std::string Mib(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

// "2 2 4 4 2" as runs: "0-1: 2, 2-3: 4, 4: 2".
std::string WidthRuns(const std::vector<int>& bits) {
  std::string out;
  for (size_t i = 0; i < bits.size();) {
    size_t j = i;
    while (j + 1 < bits.size() && bits[j + 1] == bits[i]) ++j;
    char run[48];
    if (j > i) {
      std::snprintf(run, sizeof(run), "%s%zu-%zu: %d", out.empty() ? "" : ", ", i, j, bits[i]);
    } else {
      std::snprintf(run, sizeof(run), "%s%zu: %d", out.empty() ? "" : ", ", i, bits[i]);
    }
    out += run;
    i = j + 1;
  }
  return out;
}

}  // namespace

RunSummary ToRunSummary(const PipelineSummary& s) {
  RunSummary r;
  r.model = s.model;
  r.output = s.out;
  r.method = s.method;
  r.stages = s.stages;
  r.size_bytes_before = static_cast<int64_t>(s.bytes_before);
  r.size_bytes_after = static_cast<int64_t>(s.bytes_after);
  r.avg_bits_linear = s.avg_bits_linear;
  r.avg_bits_file = s.avg_bits_file;
  r.ppl = s.ppl;
  return r;
}

nlohmann::json PipelineSummaryToJson(const PipelineSummary& s) {
  nlohmann::json fallbacks = nlohmann::json::array();
  for (const TypeFallback& f : s.fallbacks) {
    fallbacks.push_back({{"tensor", f.tensor}, {"wanted", f.wanted}, {"used", f.used}});
  }
  nlohmann::json j = RunSummaryToJson(ToRunSummary(s));
  j.update({{"format", "lieq-summary"},
            {"version", 1},
            {"output_format", s.format},
            {"plan", s.plan_file},
            {"diagnostics", s.diagnostics_file},
            {"calibration", s.calibration},
            {"bits", s.bits},
            {"rank_by", s.rank_by},
            {"rule", s.rule},
            {"budget", s.budget},
            {"group_size", s.group_size},
            {"group_size_requested", s.group_size_requested},
            {"type_fallbacks", fallbacks},
            {"notes", s.notes},
            {"quantize_seconds", s.quantize_seconds},
            {"total_seconds", s.total_seconds},
            {"threads", s.threads}});
  return j;
}

std::string DescribePipelineSummary(const PipelineSummary& s) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "wrote %s (%s, %s, signal %s%s%s)\n", s.out.c_str(),
                s.format.c_str(), s.method.c_str(), s.rank_by.c_str(),
                s.rule.empty() ? "" : ", rule ", s.rule.c_str());
  out += line;
  out += "  bits per block  " + WidthRuns(s.bits) + "\n";
  std::snprintf(line, sizeof(line),
                "  average bits    %.4f over block linear weights, %.4f over the whole file "
                "(group %d)\n",
                s.avg_bits_linear, s.avg_bits_file, s.group_size);
  out += line;
  const double ratio =
      s.bytes_after > 0 ? static_cast<double>(s.bytes_before) / static_cast<double>(s.bytes_after)
                        : 0.0;
  std::snprintf(line, sizeof(line), "  size            %s -> %s (%.2fx smaller)\n",
                Mib(s.bytes_before).c_str(), Mib(s.bytes_after).c_str(), ratio);
  out += line;
  std::string times;
  for (const StageTime& t : s.stages) {
    std::snprintf(line, sizeof(line), "%s%s %.1f s", times.empty() ? "" : ", ", t.name.c_str(),
                  t.seconds);
    times += line;
  }
  std::snprintf(line, sizeof(line), "  time            %s; total %.1f s, %d threads\n",
                times.c_str(), s.total_seconds, s.threads);
  out += line;
  out += "  calibration     " + s.calibration + "\n";
  if (s.ppl && s.ppl->fp && s.ppl->quantized) {
    const PplMeasurement& fp = *s.ppl->fp;
    const PplMeasurement& q = *s.ppl->quantized;
    std::snprintf(line, sizeof(line),
                  "  perplexity      FP %.3f +/- %.3f, quantized %.3f +/- %.3f (x%.3f) on %s\n",
                  fp.ppl, fp.standard_error, q.ppl, q.standard_error, q.ppl / fp.ppl,
                  s.ppl->text.c_str());
    out += line;
  }
  if (!s.fallbacks.empty()) {
    std::snprintf(line, sizeof(line), "  type fallbacks  %zu tensors (first: %s %s -> %s)\n",
                  s.fallbacks.size(), s.fallbacks[0].tensor.c_str(), s.fallbacks[0].wanted.c_str(),
                  s.fallbacks[0].used.c_str());
    out += line;
  }
  out += "  files           " + s.plan_file;
  if (!s.diagnostics_file.empty()) out += ", " + s.diagnostics_file;
  out += ", " + s.summary_file;
  if (!s.report_file.empty()) out += ", " + s.report_file;
  out += "\n";
  return out;
}

}  // namespace lieq

// Inputs of report.html shared by the renderer's and the command's tests: an 8-block plan from
// ranked diagnostics and a summary with FP vs quantized perplexity.
#pragma once

#include "report/html_report.h"

namespace lieq::testing {

inline ReportInputs SampleReportInputs() {
  ReportInputs in;
  in.plan.model = "models/tiny";
  in.plan.num_blocks = 8;
  in.plan.bits = {4, 2, 2, 2, 3, 2, 2, 8};
  in.plan.candidates = {2, 3, 4, 8};
  in.plan.group_size = 64;
  in.plan.budget = 3.125;
  in.plan.rank_by = "proxy";
  in.plan.rule = "optimal";
  in.plan.rank = {7, 0, 4, 1, 2, 3, 5, 6};
  in.plan.avg_bits_linear = 3.125;
  in.plan.avg_bits_file = 3.6;
  DiagnosticsScores d;
  d.model = "models/tiny";
  d.proxy = {0.9, 0.4, 0.35, 0.3, 0.5, 0.2, 0.1, 0.95};
  d.ppl = {2000, 14.8, 26.5, 41, 11.2, 14.7, 6.9, 23};
  d.combined = {1, 0.3, 0.3, 0.3, 0.4, 0.2, 0.1, 0.9};
  d.delta_e = {0.1, 0.2, 0.3, 0.2, 0.1, 0.2, 0.3, 0.4};
  d.aggregate = "projection";
  d.top_k = 8;
  in.diagnostics = d;
  RunSummary s;
  s.model = "models/tiny";
  s.output = "out/tiny-2bit";
  s.method = "gptq";
  s.stages = {{"calibration", 1.5}, {"diagnostics", 20.25}, {"gptq", 10}, {"export", 0.5}};
  s.size_bytes_before = 6836112;
  s.size_bytes_after = 2100000;
  s.ppl = PplComparison{"wikitext2-test.raw", 512, PplMeasurement{90.28, 1.02},
                        PplMeasurement{99.82, 1.11}};
  in.summary = s;
  return in;
}

}  // namespace lieq::testing

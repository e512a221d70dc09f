#include "report/html_report.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/report.h"
#include "report/html_escape.h"
#include "report/plan_svg.h"

namespace lieq {
namespace {

std::string Fixed(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

std::string Number(double v) {
  if (!std::isfinite(v)) return "–";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

std::string Bytes(int64_t bytes) {
  return Fixed(static_cast<double>(bytes) / (1024.0 * 1024.0), 2) + " MiB (" +
         std::to_string(bytes) + " bytes)";
}

std::string Row(const std::string& key, const std::string& value_html) {
  return "<tr><th>" + key + "</th><td>" + value_html + "</td></tr>\n";
}

constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; word-break: break-all; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0; }
th, td { border: 1px solid #ccc; padding: 3px 10px; text-align: right; }
th { background: #f2f2f2; }
table.facts th, table.facts td { text-align: left; }
td.bits { color: white; font-weight: bold; text-align: center; }
.note { color: #666; }
svg { display: block; margin: 0.6em 0; max-width: 100%; height: auto; }
)";

Status CheckLengths(const ReportInputs& in) {
  if (in.plan.bits.empty()) return InvalidArgument("the plan has no blocks");
  if (!in.diagnostics) return Status::Ok();
  const DiagnosticsScores& d = *in.diagnostics;
  const size_t blocks = in.plan.bits.size();
  if (d.proxy.size() != blocks) {
    return InvalidArgument("the diagnostics have " + std::to_string(d.proxy.size()) +
                           " blocks, the plan " + std::to_string(blocks));
  }
  for (const auto* series : {&d.ppl, &d.delta_e, &d.combined}) {
    if (!series->empty() && series->size() != blocks) {
      return InvalidArgument("a per-block series of the diagnostics has " +
                             std::to_string(series->size()) + " entries, not " +
                             std::to_string(blocks));
    }
  }
  if (!d.kl_widths.empty() && d.kl.size() != blocks) {
    return InvalidArgument("the diagnostics' measured KL has " + std::to_string(d.kl.size()) +
                           " rows, not " + std::to_string(blocks));
  }
  return Status::Ok();
}

std::string FactsSection(const ReportInputs& in) {
  const BitPlan& p = in.plan;
  const RunSummary* s = in.summary ? &*in.summary : nullptr;
  std::string h = "<h2>Summary</h2>\n<table class=\"facts\">\n";
  const std::string model = s && !s->model.empty() ? s->model : p.model;
  if (!model.empty()) h += Row("model", EscapeHtml(model));
  if (s && !s->output.empty()) h += Row("output", EscapeHtml(s->output));
  if (s && !s->method.empty()) h += Row("method", EscapeHtml(s->method));
  h += Row("blocks", std::to_string(p.bits.size()));
  h += Row("group size", std::to_string(p.group_size));
  if (p.budget > 0) h += Row("budget", Fixed(p.budget, 3) + " bits");
  if (!p.rank_by.empty()) {
    h += Row("ranked by",
             EscapeHtml(p.rank_by) + (p.rule.empty() ? "" : ", rule " + EscapeHtml(p.rule)));
  }
  const double linear = s && s->avg_bits_linear ? *s->avg_bits_linear : p.avg_bits_linear;
  const double file = s && s->avg_bits_file ? *s->avg_bits_file : p.avg_bits_file;
  if (linear > 0) h += Row("average bits, block linear weights", Fixed(linear, 3));
  if (file > 0) h += Row("average bits, whole file", Fixed(file, 3));
  if (s && s->size_bytes_before) h += Row("size before", Bytes(*s->size_bytes_before));
  if (s && s->size_bytes_after) {
    std::string after = Bytes(*s->size_bytes_after);
    if (s->size_bytes_before && *s->size_bytes_after > 0) {
      after += ", " + Fixed(static_cast<double>(*s->size_bytes_before) / *s->size_bytes_after, 2) +
               "× smaller";
    }
    h += Row("size after", after);
  }
  return h + "</table>\n";
}

std::string PplSection(const RunSummary& s) {
  if (!s.ppl) return "";
  const PplComparison& c = *s.ppl;
  std::string h = "<h2>Perplexity</h2>\n<p>" + EscapeHtml(c.text) +
                  (c.ctx > 0 ? ", windows of " + std::to_string(c.ctx) + " tokens" : "") +
                  " (± standard error)</p>\n<table>\n<tr><th>model</th><th>perplexity</th>"
                  "<th>change</th></tr>\n";
  auto cell = [](const std::optional<PplMeasurement>& m) {
    if (!m) return std::string("not measured");
    return Fixed(m->ppl, 3) + (m->standard_error > 0 ? " ± " + Fixed(m->standard_error, 3) : "");
  };
  h += "<tr><td>FP</td><td>" + cell(c.fp) + "</td><td></td></tr>\n";
  std::string change;
  if (c.fp && c.quantized && c.fp->ppl > 0) {
    change = (c.quantized->ppl >= c.fp->ppl ? "+" : "") +
             Fixed(100.0 * (c.quantized->ppl / c.fp->ppl - 1), 1) + " %";
  }
  h += "<tr><td>quantized</td><td>" + cell(c.quantized) + "</td><td>" + change + "</td></tr>\n";
  return h + "</table>\n";
}

std::string PlanSection(const ReportInputs& in) {
  const BitPlan& p = in.plan;
  const DiagnosticsScores* d = in.diagnostics ? &*in.diagnostics : nullptr;
  std::vector<int> rank_of(p.bits.size(), -1);  // position in the plan's ranking, 1 = first
  for (size_t i = 0; i < p.rank.size(); ++i) {
    if (p.rank[i] >= 0 && static_cast<size_t>(p.rank[i]) < rank_of.size()) {
      rank_of[p.rank[i]] = static_cast<int>(i) + 1;
    }
  }
  std::string h =
      "<h2>Plan</h2>\n" + PlanSvg(p) + "<table id=\"plan\">\n<tr><th>block</th><th>bits</th>";
  if (!p.rank.empty()) h += "<th>rank</th>";
  if (d) {
    h += "<th>proxy s_l</th>";
    if (!d->ppl.empty()) h += "<th>ΔPPL</th>";
    if (!d->kl_widths.empty())
      h += "<th>KL at " + std::to_string(d->kl_widths.front()) + " bits</th>";
  }
  h += "</tr>\n";
  for (size_t l = 0; l < p.bits.size(); ++l) {
    h += "<tr><td>" + std::to_string(l) +
         "</td><td class=\"bits\" style=\"background:" + BitWidthColour(p.bits[l]) + "\">" +
         std::to_string(p.bits[l]) + "</td>";
    if (!p.rank.empty()) h += "<td>" + (rank_of[l] > 0 ? std::to_string(rank_of[l]) : "") + "</td>";
    if (d) {
      h += "<td>" + Number(d->proxy[l]) + "</td>";
      if (!d->ppl.empty()) h += "<td>" + Number(d->ppl[l]) + "</td>";
      if (!d->kl_widths.empty())
        h += "<td>" + Number(d->kl[l].empty() ? std::nan("") : d->kl[l].front()) + "</td>";
    }
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

std::string DiagnosticsSection(const ReportInputs& in) {
  std::string h = "<h2>Diagnostics</h2>\n";
  if (!in.diagnostics) {
    return h +
           "<p class=\"note\">No diagnostics: this plan was not ranked from measured "
           "blocks.</p>\n";
  }
  // The charts print these labels verbatim; the file they came from is not trusted.
  DiagnosticsScores d = *in.diagnostics;
  d.aggregate = EscapeHtml(d.aggregate);
  d.kl_method = EscapeHtml(d.kl_method);
  return h + BlocksSvg(d) + ScatterSvg(d);
}

std::string StagesSection(const RunSummary& s) {
  if (s.stages.empty()) return "";
  std::string h = "<h2>Time</h2>\n<table>\n<tr><th>stage</th><th>seconds</th></tr>\n";
  double total = 0;
  for (const StageTime& t : s.stages) {
    h += "<tr><td>" + EscapeHtml(t.name) + "</td><td>" + Fixed(t.seconds, 1) + "</td></tr>\n";
    total += t.seconds;
  }
  return h + "<tr><th>total</th><th>" + Fixed(total, 1) + "</th></tr>\n</table>\n";
}

}  // namespace

Result<std::string> RenderHtmlReport(const ReportInputs& in) {
  LIEQ_RETURN_IF_ERROR(CheckLengths(in));
  const std::string model =
      in.summary && !in.summary->model.empty() ? in.summary->model : in.plan.model;
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>lieq "
      "report: " +
      EscapeHtml(model) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  h += "<h1>lieq report: " + EscapeHtml(model) + "</h1>\n";
  h += FactsSection(in);
  if (in.summary) h += PplSection(*in.summary);
  h += PlanSection(in);
  h += DiagnosticsSection(in);
  if (in.summary) h += StagesSection(*in.summary);
  return h + "<p class=\"note\">Written by lieq.</p>\n</body>\n</html>\n";
}

Status WriteHtmlReport(const std::string& path, const ReportInputs& inputs,
                       const WriteOptions& options) {
  Result<std::string> html = RenderHtmlReport(inputs);
  if (!html.ok()) return html.status();
  return WriteTextFileAtomically(path, *html, options);
}

}  // namespace lieq

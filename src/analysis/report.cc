#include "analysis/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "analysis/rank_stats.h"

namespace lieq {
namespace {

std::string Num(double v, const char* format = "%.6g") {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string Fixed(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

// [lo, hi] covering the values and 0, padded so bars never touch the frame.
std::pair<double, double> Range(const std::vector<double>& v) {
  double lo = 0, hi = 0;
  for (double x : v) {
    if (std::isnan(x)) continue;
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  if (hi - lo <= 0) hi = lo + 1;
  const double pad = 0.05 * (hi - lo);
  return {lo < 0 ? lo - pad : lo, hi + pad};
}

// ΔPPL of an early block can be 100× the rest; such series are drawn on a symmetric log axis
// y = sign(x)·log10(1 + |x|) so the other blocks stay visible.
bool NeedsSymlog(const std::vector<double>& v) {
  std::vector<double> mags;
  for (double x : v)
    if (!std::isnan(x)) mags.push_back(std::abs(x));
  if (mags.size() < 3) return false;
  std::sort(mags.begin(), mags.end());
  const double median = mags[mags.size() / 2];
  return mags.back() > 20 * std::max(median, 1e-12);
}
double Symlog(double x) { return std::copysign(std::log10(1 + std::abs(x)), x); }
double InverseSymlog(double y) { return std::copysign(std::pow(10.0, std::abs(y)) - 1, y); }
std::vector<double> MaybeSymlog(const std::vector<double>& v, bool symlog) {
  if (!symlog) return v;
  std::vector<double> out;
  for (double x : v) out.push_back(Symlog(x));
  return out;
}

constexpr int kPanelWidth = 720, kPanelHeight = 180, kMarginLeft = 70, kMarginTop = 28;

// One bar panel at vertical offset `top`.
std::string BarPanel(std::string title, const std::vector<double>& raw, int top,
                     const char* colour) {
  const bool symlog = NeedsSymlog(raw);
  if (symlog) title += " [symlog axis]";
  const std::vector<double> v = MaybeSymlog(raw, symlog);
  const auto [lo, hi] = Range(v);
  const int plot_w = kPanelWidth - kMarginLeft - 20, plot_h = kPanelHeight - kMarginTop - 26;
  auto y_of = [&, lo = lo, hi = hi](double x) {
    return top + kMarginTop + plot_h * (hi - x) / (hi - lo);
  };
  std::string s;
  s += "<text x=\"" + std::to_string(kMarginLeft) + "\" y=\"" + std::to_string(top + 18) +
       "\" font-weight=\"bold\">" + title + "</text>\n";
  s += "<line x1=\"" + std::to_string(kMarginLeft) + "\" x2=\"" +
       std::to_string(kMarginLeft + plot_w) + "\" y1=\"" + Num(y_of(0)) + "\" y2=\"" +
       Num(y_of(0)) + "\" stroke=\"#444\"/>\n";
  for (double tick : {lo, hi}) {
    s += "<text x=\"" + std::to_string(kMarginLeft - 6) + "\" y=\"" + Num(y_of(tick) + 4) +
         "\" text-anchor=\"end\" font-size=\"10\">" +
         Num(symlog ? InverseSymlog(tick) : tick, "%.3g") + "</text>\n";
  }
  const double slot = static_cast<double>(plot_w) / std::max<size_t>(v.size(), 1);
  for (size_t l = 0; l < v.size(); ++l) {
    const double x0 = kMarginLeft + slot * l + slot * 0.15;
    if (!std::isnan(v[l])) {
      const double y0 = std::min(y_of(v[l]), y_of(0)), h = std::abs(y_of(v[l]) - y_of(0));
      s += "<rect x=\"" + Num(x0) + "\" y=\"" + Num(y0) + "\" width=\"" + Num(slot * 0.7) +
           "\" height=\"" + Num(h) + "\" fill=\"" + colour + "\"><title>block " +
           std::to_string(l) + ": " + Num(raw[l]) + "</title></rect>\n";
    }
    s += "<text x=\"" + Num(x0 + slot * 0.35) + "\" y=\"" +
         std::to_string(top + kMarginTop + plot_h + 14) +
         "\" text-anchor=\"middle\" font-size=\"10\">" + std::to_string(l) + "</text>\n";
  }
  return s;
}

std::string SvgOpen(int w, int h) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" +
         std::to_string(h) + "\" font-family=\"sans-serif\" font-size=\"12\">\n" +
         "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
}

}  // namespace

std::string DiagnosticsCsv(const Diagnostics& d) {
  const BlockScores s = ComputeBlockScores(d);
  std::string csv =
      "block,delta_ppl,proxy,delta_r_flat,delta_r_projection,delta_e,delta_e_flat,"
      "delta_e_projection,combined";
  for (int b : s.kl_widths) csv += ",kl_" + std::to_string(b);
  csv += "\n";
  for (size_t l = 0; l < s.proxy.size(); ++l) {
    csv += std::to_string(l) + "," + (s.delta_ppl.empty() ? "" : Num(s.delta_ppl[l])) + "," +
           Num(s.proxy[l]) + "," + Num(s.delta_r_flat[l]) + "," + Num(s.delta_r_projection[l]) +
           "," + Num(s.delta_e[l]) + "," + Num(s.delta_e_flat[l]) + "," +
           Num(s.delta_e_projection[l]) + "," + Num(s.combined[l]);
    for (size_t w = 0; w < s.kl_widths.size(); ++w) {
      csv += ',';
      csv += Num(s.kl[l][w]);
    }
    csv += "\n";
  }
  return csv;
}

std::string BlocksSvg(const Diagnostics& d) { return BlocksSvg(DiagnosticsScoresOf(d)); }

std::string BlocksSvg(const DiagnosticsScores& s) {
  const std::string& agg = s.aggregate;
  std::vector<std::pair<std::string, const std::vector<double>*>> panels;
  if (!s.ppl.empty()) panels.push_back({"ΔPPL (block skipped − base)", &s.ppl});
  panels.push_back({"Δr proxy s_l (" + agg + " mean)", &s.proxy});
  if (!s.delta_e.empty()) {
    panels.push_back({"ΔE_k, k = " + std::to_string(s.top_k) + " (" + agg + " mean)", &s.delta_e});
  }
  std::vector<double> kl_lowest;  // measured sensitivity at the lowest width
  if (!s.kl_widths.empty()) {
    for (const auto& row : s.kl) kl_lowest.push_back(row.front());
    panels.push_back({"KL with only the block at " + std::to_string(s.kl_widths.front()) +
                          " bits (" + s.kl_method + ")",
                      &kl_lowest});
  }
  const char* colours[] = {"#c0504d", "#4f81bd", "#9bbb59", "#8064a2"};
  std::string svg = SvgOpen(kPanelWidth, kPanelHeight * static_cast<int>(panels.size()));
  for (size_t i = 0; i < panels.size(); ++i) {
    svg += BarPanel(panels[i].first, *panels[i].second, static_cast<int>(i) * kPanelHeight,
                    colours[(i + (s.ppl.empty() ? 1 : 0)) % 4]);
  }
  return svg + "</svg>\n";
}

std::string ScatterSvg(const Diagnostics& d) { return ScatterSvg(DiagnosticsScoresOf(d)); }

std::string ScatterSvg(const DiagnosticsScores& s) {
  constexpr int kW = 480, kH = 400, kLeft = 70, kTop = 30, kPlot = 340;
  std::string svg = SvgOpen(kW, kH);
  if (s.ppl.empty()) {
    return svg +
           "<text x=\"20\" y=\"40\">ΔPPL was not measured (run with --eval-text)</text>\n</svg>\n";
  }
  const bool symlog = NeedsSymlog(s.ppl);
  const std::vector<double> y = MaybeSymlog(s.ppl, symlog);
  const auto [xlo, xhi] = Range(s.proxy);
  const auto [ylo, yhi] = Range(y);
  auto px = [&, xlo = xlo, xhi = xhi](double x) { return kLeft + kPlot * (x - xlo) / (xhi - xlo); };
  auto py = [&, ylo = ylo, yhi = yhi](double y) {
    return kTop + (kPlot - 40) * (yhi - y) / (yhi - ylo);
  };
  const double r = SpearmanRho(s.proxy, s.ppl);
  svg += "<text x=\"" + std::to_string(kLeft) + "\" y=\"18\" font-weight=\"bold\">proxy s_l vs " +
         "ΔPPL, Spearman ρ = " + Fixed(r, 3) + "</text>\n";
  svg += "<rect x=\"" + std::to_string(kLeft) + "\" y=\"" + std::to_string(kTop) + "\" width=\"" +
         std::to_string(kPlot) + "\" height=\"" + std::to_string(kPlot - 40) +
         "\" fill=\"none\" stroke=\"#444\"/>\n";
  svg += "<text x=\"" + std::to_string(kLeft + kPlot / 2) + "\" y=\"" + std::to_string(kH - 20) +
         "\" text-anchor=\"middle\">proxy s_l (Δr, " + s.aggregate + " mean)</text>\n";
  svg += "<text x=\"16\" y=\"" + std::to_string(kTop + kPlot / 2) +
         "\" transform=\"rotate(-90 16 " + std::to_string(kTop + kPlot / 2) +
         ")\" text-anchor=\"middle\">ΔPPL" + (symlog ? " [symlog axis]" : "") + "</text>\n";
  for (auto [v, horizontal] : {std::pair{xlo, true}, {xhi, true}, {ylo, false}, {yhi, false}}) {
    if (horizontal) {
      svg += "<text x=\"" + Num(px(v)) + "\" y=\"" + std::to_string(kTop + kPlot - 26) +
             "\" text-anchor=\"middle\" font-size=\"10\">" + Num(v, "%.3g") + "</text>\n";
    } else {
      svg += "<text x=\"" + std::to_string(kLeft - 6) + "\" y=\"" + Num(py(v) + 4) +
             "\" text-anchor=\"end\" font-size=\"10\">" +
             Num(symlog ? InverseSymlog(v) : v, "%.3g") + "</text>\n";
    }
  }
  for (size_t l = 0; l < s.proxy.size(); ++l) {
    svg += "<circle cx=\"" + Num(px(s.proxy[l])) + "\" cy=\"" + Num(py(y[l])) +
           "\" r=\"4\" fill=\"#4f81bd\"><title>block " + std::to_string(l) + "</title></circle>\n";
    svg += "<text x=\"" + Num(px(s.proxy[l]) + 6) + "\" y=\"" + Num(py(y[l]) - 4) +
           "\" font-size=\"9\">" + std::to_string(l) + "</text>\n";
  }
  return svg + "</svg>\n";
}

std::string ReportMarkdown(const Diagnostics& d) {
  const DiagnoseSettings& st = d.settings;
  const BlockScores s = ComputeBlockScores(d);
  const RhoTable rho = ComputeRho(d);
  std::string md = "# LieQ diagnostics: " + st.model + "\n\n";
  md += "- calibration: `" + st.calib + "`, " + std::to_string(st.samples) + " × " +
        std::to_string(st.seq) + " tokens, seed " + std::to_string(st.seed) + "\n";
  md += "- projections: " + st.projections + (st.per_head ? " (attention per head)" : "") +
        "; top-k " + std::to_string(st.top_k) + "; " + std::to_string(st.twin_seeds) +
        " random twins N(0, " + Num(st.twin_std) + "²); aggregate: " + AggregateName(st.aggregate) +
        "\n";
  if (d.ppl) {
    md += "- ΔPPL on `" + st.eval_text + "`: " + std::to_string(st.eval_windows) + " windows of " +
          std::to_string(st.eval_ctx) + " tokens, base PPL " + Fixed(d.ppl->base_ppl, 3) + "\n";
  } else {
    md += "- ΔPPL not measured (no --eval-text)\n";
  }
  md += "- time: proxy " + Fixed(d.proxy.forward_seconds + d.proxy.spectrum_seconds, 1) +
        " s (forward " + Fixed(d.proxy.forward_seconds, 1) + " s, spectra " +
        Fixed(d.proxy.spectrum_seconds, 1) + " s), ΔPPL " + Fixed(d.ppl ? d.ppl->seconds : 0, 1) +
        " s; peak RSS " + Fixed(d.peak_rss_mib, 0) + " MiB\n\n";
  md +=
      "## Spearman ρ against ΔPPL\n\n| twins | flat mean | mean of projection means "
      "|\n|---|---|---|\n";
  for (size_t i = 0; i < rho.proxy_flat.size(); ++i) {
    md += "| " + std::to_string(i + 1) + " | " + Fixed(rho.proxy_flat[i], 3) + " | " +
          Fixed(rho.proxy_projection[i], 3) + " |\n";
  }
  md += "\nΔE_k: flat " + Fixed(rho.delta_e_flat, 3) + ", projection " +
        Fixed(rho.delta_e_projection, 3) + "; combined score " + Fixed(rho.combined, 3) + "\n\n";
  if (d.sensitivity) {
    md += "Measured sensitivity (" + d.sensitivity->method + ", " +
          std::to_string(d.sensitivity->tokens) + " positions, " +
          Fixed(d.sensitivity->seconds, 1) + " s): ρ(KL, ΔPPL) at";
    for (size_t w = 0; w < s.kl_widths.size(); ++w) {
      md += std::string(w ? "," : "") + " " + std::to_string(s.kl_widths[w]) + " bits " +
            (rho.kl.empty() ? "n/a" : Fixed(rho.kl[w], 3));
    }
    md += "\n\n";
  }
  auto rule_table = [&](const std::vector<RuleRho>& rules, const std::string& target) {
    if (rules.empty()) return;
    md += "### Averaging rules against " + target +
          "\n\n| rule | ρ Δr (all twins) | ρ Δr, one twin: mean ± sd | ρ ΔE_k (all twins) | "
          "ρ ΔE_k, one twin: mean ± sd |\n|---|---|---|---|---|\n";
    for (const RuleRho& r : rules) {
      md += "| " + r.name + " | " + Fixed(r.delta_r, 3) + " | " + Fixed(r.delta_r_single_mean, 3) +
            " ± " + Fixed(r.delta_r_single_sd, 3) + " | " + Fixed(r.delta_e, 3) + " | " +
            Fixed(r.delta_e_single_mean, 3) + " ± " + Fixed(r.delta_e_single_sd, 3) + " |\n";
    }
    md += "\n";
  };
  rule_table(rho.rules, "ΔPPL");
  if (!s.kl_widths.empty()) {
    rule_table(rho.rules_vs_kl, "KL at " + std::to_string(s.kl_widths.front()) + " bits");
  }
  md += "![per-block metrics](blocks.svg)\n\n![proxy vs ΔPPL](scatter.svg)\n\n";
  md +=
      "## Input effective rank\n\nCompact(H) of the inputs each projection reads (the twins' "
      "outputs follow it: a low-rank input leaves Δr nothing to measure).\n\n| block |";
  for (const char* name : kInputSiteNames) {
    md += ' ';
    md += name;
    md += " |";
  }
  md += "\n|---|---|---|---|---|\n";
  for (size_t l = 0; l < d.proxy.blocks.size(); ++l) {
    md += "| ";
    md += std::to_string(l);
    md += " |";
    for (double v : d.proxy.blocks[l].input_compact) {
      md += ' ';
      md += Fixed(v, 1);
      md += " |";
    }
    md += "\n";
  }
  md += "\n";
  md += "## Per block\n\n| block | ΔPPL | Δr (proxy) | Δr flat | Δr proj | ΔE_k | combined |";
  std::string rule = "|---|---|---|---|---|---|---|";
  for (int b : s.kl_widths) {
    md += " KL " + std::to_string(b) + " bits |";
    rule += "---|";
  }
  md += "\n" + rule + "\n";
  for (size_t l = 0; l < s.proxy.size(); ++l) {
    md += "| " + std::to_string(l) + " | " +
          (s.delta_ppl.empty() ? "n/a" : Fixed(s.delta_ppl[l], 3)) + " | " + Fixed(s.proxy[l], 4) +
          " | " + Fixed(s.delta_r_flat[l], 4) + " | " + Fixed(s.delta_r_projection[l], 4) + " | " +
          Fixed(s.delta_e[l], 4) + " | " + Fixed(s.combined[l], 3) + " |";
    for (size_t w = 0; w < s.kl_widths.size(); ++w) {
      md += ' ';
      md += Num(s.kl[l][w], "%.4g");
      md += " |";
    }
    md += "\n";
  }
  return md;
}

}  // namespace lieq

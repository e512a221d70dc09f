// The human-readable outputs of `lieq diagnose`: a CSV table, two SVG charts and a Markdown
// report that shows them. Pure functions from Diagnostics to text; the CLI writes the files.
#pragma once

#include <string>

#include "analysis/diagnostics.h"

namespace lieq {

// One row per block: block, delta_ppl, proxy, delta_r_flat, delta_r_projection, delta_e,
// delta_e_flat, delta_e_projection, combined, then kl_<b> per measured width (empty cells for
// what was not measured).
std::string DiagnosticsCsv(const Diagnostics& d);

// Per-block bars, one panel per metric (ΔPPL when measured, Δr proxy, ΔE_k, KL at the lowest
// measured width when measured). The DiagnosticsScores form draws diagnostics.json read back
// (report/html_report.h); both give the same picture.
std::string BlocksSvg(const Diagnostics& d);
std::string BlocksSvg(const DiagnosticsScores& s);

// Proxy (x) against ΔPPL (y), one labelled dot per block; a note when ΔPPL was not measured.
std::string ScatterSvg(const Diagnostics& d);
std::string ScatterSvg(const DiagnosticsScores& s);

// Settings, Spearman ρ per aggregation and twin count, timing, the per-block table, and the
// two pictures (blocks.svg, scatter.svg next to it).
std::string ReportMarkdown(const Diagnostics& d);

}  // namespace lieq

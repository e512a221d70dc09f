// The bit plan as a picture: one bar per block, its height and colour the block's width.
#pragma once

#include <string>

#include "plan/bit_plan.h"

namespace lieq {

// The fill colour of a width (2, 3, 4, 8; grey for any other), shared by the chart's bars, its
// legend and report.html's table.
const char* BitWidthColour(int bits);

// An <svg> element (no XML prolog) for inlining into HTML; block indices below the bars, the
// width on each bar, a legend of the widths present.
std::string PlanSvg(const BitPlan& plan);

}  // namespace lieq

#include "report/plan_svg.h"

#include <algorithm>
#include <set>

namespace lieq {

const char* BitWidthColour(int bits) {
  switch (bits) {
    case 2:
      return "#c0504d";  // the cheapest width stands out: these are the risky blocks
    case 3:
      return "#f79646";
    case 4:
      return "#4f81bd";
    case 8:
      return "#9bbb59";
    default:
      return "#999999";
  }
}

std::string PlanSvg(const BitPlan& plan) {
  constexpr int kHeight = 220, kLeft = 50, kTop = 40, kPlotHeight = 130, kMaxSlot = 48;
  const int blocks = static_cast<int>(plan.bits.size());
  const int slot = std::clamp(blocks > 0 ? 900 / blocks : kMaxSlot, 6, kMaxSlot);
  const int width = kLeft + slot * std::max(blocks, 1) + 120;  // room for the legend
  const int max_bits =
      std::max(8, plan.bits.empty() ? 8 : *std::max_element(plan.bits.begin(), plan.bits.end()));
  auto str = [](auto v) { return std::to_string(v); };
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + str(width) +
                    "\" height=\"" + str(kHeight) +
                    "\" font-family=\"sans-serif\" font-size=\"12\" role=\"img\">\n"
                    "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
                    "<text x=\"" +
                    str(kLeft) + "\" y=\"20\" font-weight=\"bold\">bits per block</text>\n";
  const int base = kTop + kPlotHeight;
  svg += "<line x1=\"" + str(kLeft) + "\" x2=\"" + str(kLeft + slot * blocks) + "\" y1=\"" +
         str(base) + "\" y2=\"" + str(base) + "\" stroke=\"#444\"/>\n";
  for (int tick : {2, 4, 8}) {
    const int y = base - kPlotHeight * tick / max_bits;
    svg += "<text x=\"" + str(kLeft - 6) + "\" y=\"" + str(y + 4) +
           "\" text-anchor=\"end\" font-size=\"10\">" + str(tick) + "</text>\n";
  }
  for (int l = 0; l < blocks; ++l) {
    const int bits = plan.bits[l];
    const int h = kPlotHeight * std::clamp(bits, 0, max_bits) / max_bits;
    const int x = kLeft + slot * l;
    svg += "<rect x=\"" + str(x + slot / 8) + "\" y=\"" + str(base - h) + "\" width=\"" +
           str(slot - slot / 4) + "\" height=\"" + str(h) + "\" fill=\"" + BitWidthColour(bits) +
           "\"><title>block " + str(l) + ": " + str(bits) + " bits</title></rect>\n";
    if (slot >= 16) {  // labels only where they fit
      svg += "<text x=\"" + str(x + slot / 2) + "\" y=\"" + str(base - h - 4) +
             "\" text-anchor=\"middle\" font-size=\"10\">" + str(bits) + "</text>\n";
    }
    if (slot >= 16 || l % 5 == 0) {
      svg += "<text x=\"" + str(x + slot / 2) + "\" y=\"" + str(base + 14) +
             "\" text-anchor=\"middle\" font-size=\"10\">" + str(l) + "</text>\n";
    }
  }
  svg += "<text x=\"" + str(kLeft + slot * blocks / 2) + "\" y=\"" + str(base + 32) +
         "\" text-anchor=\"middle\">block</text>\n";
  const std::set<int> present(plan.bits.begin(), plan.bits.end());
  int y = kTop;
  for (int bits : present) {
    const int x = kLeft + slot * blocks + 24;
    svg += "<rect x=\"" + str(x) + "\" y=\"" + str(y) + "\" width=\"14\" height=\"14\" fill=\"" +
           BitWidthColour(bits) + "\"/><text x=\"" + str(x + 20) + "\" y=\"" + str(y + 12) + "\">" +
           str(bits) + " bits</text>\n";
    y += 22;
  }
  return svg + "</svg>\n";
}

}  // namespace lieq

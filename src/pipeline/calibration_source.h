// Where a run's calibration text comes from: the user's --calib (plain text, JSON lines with
// "text", or a folder of them; io/calibration_text.h) or, when none is given, the default text
// built into the library from data/calibration/default.txt (so an installed binary needs no
// data folder). The analysis and quant stages read files, so the built-in text is written once
// into the run's work folder.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace lieq {

// The built-in default calibration text (data/calibration/default.txt at build time).
std::string_view DefaultCalibrationText();

// Recorded in the BitPlan and the summary when the built-in text was used.
inline constexpr const char* kDefaultCalibrationName = "built-in:data/calibration/default.txt";

struct CalibrationSource {
  std::string path;  // the file the stages read
  std::string name;  // what the records say: the user's path, or kDefaultCalibrationName
  bool built_in = false;
};

// `calib` when given; otherwise the built-in text, written to `work_dir`/default-calibration.txt
// (only when absent or different). Errors: the work folder cannot be written.
Result<CalibrationSource> ResolveCalibrationSource(const std::string& calib,
                                                   const std::string& work_dir);

// The same with this user's folder under the system's temporary folder (lieq-<uid>), for
// commands with no output of their own to work next to (plan, diagnose).
Result<CalibrationSource> ResolveCalibrationSourceInTemp(const std::string& calib);

}  // namespace lieq

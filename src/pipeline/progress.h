// Progress of the long stages (calibration, diagnostics, quantization, export), on stderr:
//   - a terminal gets one line, rewritten in place: stage, unit i/n, rate (tokens/s or items/s)
//     and the time left;
//   - anything else (a log file, a pipe, CI) gets one plain line per finished unit;
//   - quiet prints nothing, notes included (errors are the caller's to print).
// Notes ("note: group size 128 ...") always get a line of their own.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace lieq {

enum class ProgressMode { kQuiet, kTerminal, kLines };

// kTerminal when `out` is a terminal, kLines otherwise, kQuiet when `quiet`.
ProgressMode ProgressModeFor(std::FILE* out, bool quiet);

// Seconds between two plain progress lines of a stage of many small units (perplexity windows).
inline constexpr double kLinePeriodSeconds = 10.0;

class Progress {
 public:
  Progress(std::FILE* out, ProgressMode mode) : out_(out), mode_(mode) {}
  ~Progress() { EndLine(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // A stage of `total` units (e.g. "block"); `tokens_per_unit` > 0 reports tokens/s, else
  // units/s.
  // In a log (kLines), every unit gets a line unless `line_period_seconds` > 0: then the first,
  // the last and one per period in between.
  void Begin(const std::string& stage, int64_t total, const std::string& unit,
             double tokens_per_unit = 0, double line_period_seconds = 0);
  // `done` units finished (of the stage's total); `detail` says what the last one did
  // ("4 bits, gptq: calib 0.52 s, quantize 1.10 s"); `cached` units do not count towards the
  // rate.
  void Advance(int64_t done, const std::string& detail, bool cached = false);
  // Ends the stage's line.
  void End();
  // A line of its own (not in quiet mode).
  void Note(const std::string& message);

  ProgressMode mode() const { return mode_; }

 private:
  void EndLine();

  std::FILE* out_;
  ProgressMode mode_;
  std::string stage_, unit_;
  int64_t total_ = 0;
  double tokens_per_unit_ = 0;
  double line_period_seconds_ = 0;
  int64_t measured_ = 0;  // units done in this process (not loaded from a cache)
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_line_;  // kLines: when the last line was printed
  bool line_open_ = false;                           // a terminal line waits for its newline
};

// "1:05", "12:03:09" for seconds left.
std::string FormatDuration(double seconds);

}  // namespace lieq

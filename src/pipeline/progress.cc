#include "pipeline/progress.h"

#include <unistd.h>

namespace lieq {

ProgressMode ProgressModeFor(std::FILE* out, bool quiet) {
  if (quiet) return ProgressMode::kQuiet;
  return ::isatty(::fileno(out)) ? ProgressMode::kTerminal : ProgressMode::kLines;
}

std::string FormatDuration(double seconds) {
  const auto s = static_cast<long long>(seconds < 0 ? 0 : seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(text, sizeof(text), "%lld:%02lld", s / 60, s % 60);
  }
  return text;
}

void Progress::Begin(const std::string& stage, int64_t total, const std::string& unit,
                     double tokens_per_unit, double line_period_seconds) {
  EndLine();
  stage_ = stage;
  unit_ = unit;
  total_ = total;
  tokens_per_unit_ = tokens_per_unit;
  line_period_seconds_ = line_period_seconds;
  measured_ = 0;
  start_ = std::chrono::steady_clock::now();
  last_line_ = start_;
}

void Progress::Advance(int64_t done, const std::string& detail, bool cached) {
  if (mode_ == ProgressMode::kQuiet) return;
  if (!cached) ++measured_;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string rate, eta;
  if (measured_ > 0 && elapsed > 0) {
    const double per_second = static_cast<double>(measured_) / elapsed;
    char text[64];
    if (tokens_per_unit_ > 0) {
      std::snprintf(text, sizeof(text), "  %.0f tok/s", per_second * tokens_per_unit_);
    } else {
      std::snprintf(text, sizeof(text), "  %.2f %s/s", per_second, unit_.c_str());
    }
    rate = text;
    if (done < total_) {
      eta = "  ETA " + FormatDuration(static_cast<double>(total_ - done) / per_second);
    }
  }
  // Units are numbered from 0 in the lines (block 0 of 8) as everywhere else in lieq.
  char head[128];
  std::snprintf(head, sizeof(head), "[%s] %s %2lld of %lld", stage_.c_str(), unit_.c_str(),
                static_cast<long long>(done - 1), static_cast<long long>(total_));
  const std::string tail = detail.empty() ? "" : ": " + detail;
  if (mode_ == ProgressMode::kTerminal) {
    std::fprintf(out_, "\r\033[K%s%s%s%s", head, rate.c_str(), eta.c_str(), tail.c_str());
    line_open_ = true;
  } else {
    const auto now = std::chrono::steady_clock::now();
    if (line_period_seconds_ > 0 && done > 1 && done < total_ &&
        std::chrono::duration<double>(now - last_line_).count() < line_period_seconds_) {
      return;
    }
    last_line_ = now;
    std::fprintf(out_, "%s%s%s%s\n", head, tail.c_str(), rate.c_str(), eta.c_str());
  }
  std::fflush(out_);
}

void Progress::End() { EndLine(); }

void Progress::Note(const std::string& message) {
  if (mode_ == ProgressMode::kQuiet) return;
  EndLine();
  std::fprintf(out_, "%s\n", message.c_str());
  std::fflush(out_);
}

void Progress::EndLine() {
  if (!line_open_) return;
  std::fprintf(out_, "\n");
  std::fflush(out_);
  line_open_ = false;
}

}  // namespace lieq

#include "pipeline/output_files.h"

#include <filesystem>

#include "core/output_path.h"

namespace lieq {

namespace fs = std::filesystem;

bool ResolveOutputFormat(const std::string& name, const std::string& out, OutputFormat* format) {
  if (name.empty()) {
    *format = fs::path(out).extension() == ".gguf" ? OutputFormat::kGguf : OutputFormat::kLieq;
    return true;
  }
  if (name != "lieq" && name != "gguf") return false;
  *format = name == "gguf" ? OutputFormat::kGguf : OutputFormat::kLieq;
  return true;
}

OutputFiles OutputFilesFor(const std::string& out) {
  const std::string stem = StripTrailingSlashes(out);
  return {out,
          stem + ".plan.json",
          stem + ".diagnostics.json",
          stem + ".diagnostics.md",
          stem + ".summary.json",
          stem + ".report.html",
          stem + ".lieq-cache"};
}

uint64_t PathBytes(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    const uintmax_t size = fs::file_size(path, ec);
    return ec ? 0 : static_cast<uint64_t>(size);
  }
  uint64_t total = 0;
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<uint64_t>(it->file_size(ec));
  }
  return total;
}

}  // namespace lieq

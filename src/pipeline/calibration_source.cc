#include "pipeline/calibration_source.h"

#include <unistd.h>

#include <filesystem>

#include "core/atomic_file.h"
#include "core/mapped_file.h"

namespace lieq {

extern const unsigned char kDefaultCalibrationBytes[];
extern const std::size_t kDefaultCalibrationBytes_size;

std::string_view DefaultCalibrationText() {
  return {reinterpret_cast<const char*>(kDefaultCalibrationBytes), kDefaultCalibrationBytes_size};
}

Result<CalibrationSource> ResolveCalibrationSource(const std::string& calib,
                                                   const std::string& work_dir) {
  if (!calib.empty()) return CalibrationSource{calib, calib, false};
  CalibrationSource source{work_dir + "/default-calibration.txt", kDefaultCalibrationName, true};
  std::error_code ec;
  std::filesystem::create_directories(work_dir, ec);
  if (ec) return InvalidArgument(work_dir + ": cannot create the work folder: " + ec.message());
  Result<std::string> existing = ReadTextFile(source.path);
  if (!existing.ok() || *existing != DefaultCalibrationText()) {
    LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(source.path, DefaultCalibrationText(),
                                                 WriteOptions{.overwrite = true}));
  }
  return source;
}

Result<CalibrationSource> ResolveCalibrationSourceInTemp(const std::string& calib) {
  std::error_code ec;
  const std::filesystem::path temp = std::filesystem::temp_directory_path(ec);
  const std::string dir =
      (ec ? std::filesystem::path("/tmp") : temp).string() + "/lieq-" + std::to_string(::getuid());
  return ResolveCalibrationSource(calib, dir);
}

}  // namespace lieq

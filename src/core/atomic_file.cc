#include "core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace lieq {

Status CheckOutputWritable(const std::string& path, const WriteOptions& options) {
  std::error_code ec;
  if (!options.overwrite && std::filesystem::exists(path, ec)) {
    return AlreadyExists(path + ": exists (use --force to overwrite)");
  }
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, const WriteOptions& options,
                           const std::function<Status(std::FILE*)>& write) {
  LIEQ_RETURN_IF_ERROR(CheckOutputWritable(path, options));
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return IoError(path + ": cannot create: " + std::strerror(errno));
  Status status = write(f);
  if (status.ok() && (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0)) {
    status = IoError(path + ": write failed: " + std::strerror(errno));
  }
  if (std::fclose(f) != 0 && status.ok()) status = IoError(path + ": close failed");
  if (status.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    status = IoError(path + ": rename failed: " + std::strerror(errno));
  }
  if (!status.ok()) std::remove(tmp.c_str());
  return status;
}

Status WriteTextFileAtomically(const std::string& path, std::string_view text,
                               const WriteOptions& options) {
  return WriteFileAtomically(path, options, [&](std::FILE* f) {
    if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
      return IoError(path + ": short write");
    }
    return Status::Ok();
  });
}

}  // namespace lieq

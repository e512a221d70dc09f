#include "core/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/output_path.h"

namespace lieq {

Status CheckOutputWritable(const std::string& path, const WriteOptions& options) {
  return CheckOutputPath(path, OutputKind::kFile, options.overwrite);
}

Status WriteFileAtomically(const std::string& path, const WriteOptions& options,
                           const std::function<Status(std::FILE*)>& write) {
  LIEQ_RETURN_IF_ERROR(CheckOutputWritable(path, options));
  const std::string tmp = TempOutputPath(path);
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return ErrnoError(path + ": cannot create " + tmp, errno);
  errno = 0;
  Status status = write(f);
  // A failed fwrite leaves the stream's error flag and errno (ENOSPC, EIO, EFBIG...): report
  // what the system said rather than the callback's "short write".
  if (!status.ok() && std::ferror(f) && errno != 0) status = ErrnoError(path, errno);
  if (status.ok() && (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0)) {
    status = ErrnoError(path, errno);
  }
  if (std::fclose(f) != 0 && status.ok()) status = ErrnoError(path, errno);
  KillPointForTests("file-written");
  if (status.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoError(path + ": cannot rename " + tmp + " into place", errno);
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

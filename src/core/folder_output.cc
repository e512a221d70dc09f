#include "core/folder_output.h"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/atomic_file.h"
#include "core/output_path.h"

namespace lieq {
namespace fs = std::filesystem;
namespace {

// Durability of a rename needs the folder that holds the entry flushed too.
void SyncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool ExchangeDisabledForTests() {
  const char* v = std::getenv("LIEQ_TEST_NO_RENAME_EXCHANGE");
  return v != nullptr && *v != '\0' && *v != '0';
}

}  // namespace

Result<FolderOutput> FolderOutput::Begin(const std::string& dest_in, bool force) {
  const std::string dest = StripTrailingSlashes(dest_in);
  LIEQ_RETURN_IF_ERROR(CheckOutputPath(dest, OutputKind::kFolder, force));
  const std::string staging = TempOutputPath(dest);
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (!fs::create_directory(staging, ec) || ec) {
    return ErrnoError(staging + ": cannot create the folder", ec ? ec.value() : EEXIST);
  }
  return FolderOutput(dest, staging, force);
}

FolderOutput::FolderOutput(FolderOutput&& other) noexcept
    : dest_(std::move(other.dest_)),
      staging_(std::move(other.staging_)),
      force_(other.force_),
      done_(other.done_) {
  other.done_ = true;
}

FolderOutput::~FolderOutput() {
  if (done_) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

std::string FolderOutput::Path(const std::string& name) const {
  return (fs::path(staging_) / name).string();
}

Status FolderOutput::Commit(const std::string& command) {
  std::error_code ec;
  std::vector<std::string> files;
  for (fs::directory_iterator it(staging_, ec), end; !ec && it != end; it.increment(ec)) {
    files.push_back(it->path().filename().string());
    SyncPath(it->path());
  }
  if (ec) return ErrnoError(staging_ + ": cannot list the folder", ec.value());
  std::sort(files.begin(), files.end());
  const nlohmann::json manifest = {
      {"written_by", kLieqVersion}, {"command", command}, {"files", files}};
  LIEQ_RETURN_IF_ERROR(WriteTextFileAtomically(Path(kManifestName), manifest.dump(2) + "\n",
                                               WriteOptions{.overwrite = true}));
  SyncPath(staging_);
  KillPointForTests("staged");

  // The destination may have changed during the run: check it again.
  LIEQ_RETURN_IF_ERROR(CheckOutputPath(dest_, OutputKind::kFolder, force_));
  const fs::path parent = fs::absolute(dest_, ec).parent_path();
  if (fs::exists(dest_, ec) && fs::is_empty(dest_, ec)) fs::remove(dest_, ec);
  if (!fs::exists(fs::symlink_status(dest_, ec))) {
    if (::rename(staging_.c_str(), dest_.c_str()) != 0) {
      return ErrnoError(dest_ + ": cannot rename " + staging_ + " into place", errno);
    }
    done_ = true;
    SyncPath(parent);
    KillPointForTests("renamed");
    return Status::Ok();
  }
  bool exchanged = false;
  if (!ExchangeDisabledForTests()) {
    exchanged =
        ::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, dest_.c_str(), RENAME_EXCHANGE) == 0;
    if (!exchanged && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) {
      return ErrnoError(dest_ + ": cannot swap " + staging_ + " into place", errno);
    }
  }
  if (exchanged) {  // staging_ now holds the previous output
    done_ = true;
    SyncPath(parent);
    KillPointForTests("exchanged");
    fs::remove_all(staging_, ec);
    KillPointForTests("removed-old");
    return Status::Ok();
  }
  const std::string old = StripTrailingSlashes(dest_) + ".old-" + std::to_string(::getpid());
  if (::rename(dest_.c_str(), old.c_str()) != 0) {
    return ErrnoError(dest_ + ": cannot move the existing folder aside", errno);
  }
  KillPointForTests("moved-aside");
  if (::rename(staging_.c_str(), dest_.c_str()) != 0) {
    const int err = errno;
    ::rename(old.c_str(), dest_.c_str());  // put the previous output back
    return ErrnoError(dest_ + ": cannot rename " + staging_ + " into place", err);
  }
  done_ = true;
  SyncPath(parent);
  KillPointForTests("renamed");
  fs::remove_all(old, ec);
  KillPointForTests("removed-old");
  return Status::Ok();
}

}  // namespace lieq

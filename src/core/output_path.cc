#include "core/output_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace lieq {
namespace fs = std::filesystem;
namespace {

fs::path ParentOf(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

const char* KindName(mode_t mode) {
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISREG(mode)) return "a regular file";
  return "not a regular file";
}

std::string Megabytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MB", static_cast<double>(bytes) / 1e6);
  return text;
}

// The parent must be a folder in which this process can create an entry: a real probe, since
// access(2) says yes to root on /proc and on read-only mounts it cannot see.
Status CheckParent(const std::string& path) {
  const fs::path parent = ParentOf(path);
  struct stat st {};
  if (::stat(parent.c_str(), &st) != 0) {
    return ErrnoError(path + ": the parent folder " + parent.string() + " cannot be used", errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return InvalidArgument(path + ": the parent " + parent.string() + " is not a folder");
  }
  const fs::path probe = parent / (".lieq-probe-" + std::to_string(::getpid()) + "-" +
                                   fs::path(path).filename().string());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return ErrnoError(path + ": cannot create files in " + parent.string(), errno);
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return Status::Ok();
}

Status CheckFreeSpace(const std::string& path, uint64_t expected_bytes) {
  if (expected_bytes == 0) return Status::Ok();
  struct statvfs vfs {};
  if (::statvfs(ParentOf(path).c_str(), &vfs) != 0) return Status::Ok();  // unknown: no check
  const uint64_t free_bytes = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (free_bytes < expected_bytes) {
    return IoError(path + ": no space left on device: the output needs about " +
                   Megabytes(expected_bytes) + " but " + ParentOf(path).string() + " has " +
                   Megabytes(free_bytes) + " free");
  }
  return Status::Ok();
}

std::string ListNames(const std::vector<std::string>& names) {
  std::string list;
  const size_t shown = std::min<size_t>(names.size(), 8);
  for (size_t i = 0; i < shown; ++i) list += (i ? ", " : "") + names[i];
  if (names.size() > shown) list += " and " + std::to_string(names.size() - shown) + " more";
  return list;
}

// The pid of a leftover "<name><infix><pid>", or 0 when `entry` is not one.
pid_t LeftoverPid(const std::string& entry, const std::string& prefix) {
  if (entry.size() <= prefix.size() || entry.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::string digits = entry.substr(prefix.size());
  if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return static_cast<pid_t>(std::stol(digits));
}

bool ProcessEnded(pid_t pid) { return pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

Status ErrnoError(const std::string& context, int err) {
  std::string what = std::strerror(err);
  if (!what.empty()) what[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(what[0])));
  return IoError(context + ": " + what);
}

std::string StripTrailingSlashes(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

std::string TempOutputPath(const std::string& path) {
  return StripTrailingSlashes(path) + ".tmp-" + std::to_string(::getpid());
}

void KillPointForTests(const char* step) {
  const char* at = std::getenv("LIEQ_TEST_KILL_AT");
  if (at != nullptr && std::strcmp(at, step) == 0) ::kill(::getpid(), SIGKILL);
}

std::vector<std::string> ForeignEntries(const std::string& folder) {
  std::set<std::string> listed;
  std::ifstream in(fs::path(folder) / kManifestName);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
    if (j.is_object() && j.contains("files") && j["files"].is_array()) {
      for (const nlohmann::json& f : j["files"]) {
        if (f.is_string()) listed.insert(f.get<std::string>());
      }
      listed.insert(kManifestName);
    }
  }
  std::vector<std::string> foreign;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const bool regular = it->is_regular_file(ec) && !it->is_symlink(ec);
    if (!regular || listed.count(name) == 0) foreign.push_back(name);
  }
  if (ec) foreign.push_back("(unreadable: " + ec.message() + ")");
  std::sort(foreign.begin(), foreign.end());
  return foreign;
}

Status CheckOutputPath(const std::string& path_in, OutputKind kind, bool force,
                       uint64_t expected_bytes) {
  if (path_in.empty()) return InvalidArgument("the output path is empty");
  const std::string path = StripTrailingSlashes(path_in);
  RecoverInterruptedOutputs(
      path, [](const std::string& line) { std::fprintf(stderr, "lieq: %s\n", line.c_str()); });
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR)
      return ErrnoError(path + ": cannot use as output", errno);
    LIEQ_RETURN_IF_ERROR(CheckParent(path));
    return CheckFreeSpace(path, expected_bytes);
  }
  if (kind == OutputKind::kFile) {
    if (!S_ISREG(st.st_mode)) {
      return InvalidArgument(path + ": exists and is " + KindName(st.st_mode) +
                             "; lieq replaces only a regular file (not even with --force)");
    }
    if (!force) return AlreadyExists(path + ": exists (use --force to overwrite)");
    LIEQ_RETURN_IF_ERROR(CheckParent(path));
    return CheckFreeSpace(path, expected_bytes);
  }
  if (!S_ISDIR(st.st_mode)) {
    return InvalidArgument(path + ": exists and is " + KindName(st.st_mode) +
                           ", not a folder; lieq replaces only a folder it wrote (not even with "
                           "--force)");
  }
  std::error_code ec;
  if (!(fs::is_empty(path, ec) && !ec)) {
    const std::vector<std::string> foreign = ForeignEntries(path);
    const bool has_manifest = fs::exists(fs::path(path) / kManifestName, ec);
    if (!has_manifest) {
      return AlreadyExists(path + ": exists and was not written by lieq (no " + kManifestName +
                           "); it holds " + ListNames(foreign) +
                           ". lieq replaces only folders it wrote, even with --force: choose "
                           "another output or remove it yourself");
    }
    if (!foreign.empty()) {
      return AlreadyExists(path + ": holds files lieq did not write: " + ListNames(foreign) +
                           ". lieq replaces only folders it wrote, even with --force: move them "
                           "away or choose another output");
    }
    if (!force) return AlreadyExists(path + ": already exists (use --force to replace it)");
  }
  LIEQ_RETURN_IF_ERROR(CheckParent(path));
  return CheckFreeSpace(path, expected_bytes);
}

void RecoverInterruptedOutputs(const std::string& path_in,
                               const std::function<void(const std::string&)>& note) {
  const std::string path = StripTrailingSlashes(path_in);
  std::error_code ec;
  const fs::path target = fs::absolute(path, ec);
  if (ec) return;
  const std::string name = target.filename().string();
  const std::string tmp_prefix = name + ".tmp-";
  const std::string old_prefix = name + ".old-";
  std::vector<fs::path> temps, olds;
  for (fs::directory_iterator it(target.parent_path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    if (pid_t pid = LeftoverPid(entry, tmp_prefix); pid > 0 && ProcessEnded(pid)) {
      temps.push_back(it->path());
    } else if (pid = LeftoverPid(entry, old_prefix); pid > 0 && ProcessEnded(pid)) {
      olds.push_back(it->path());
    }
  }
  std::sort(olds.begin(), olds.end());
  for (const fs::path& old : olds) {
    std::error_code e;
    if (!fs::exists(fs::symlink_status(target, e))) {
      fs::rename(old, target, e);
      if (!e && note) {
        note("restored " + path + " from " + old.filename().string() +
             " (a replacement of it was interrupted)");
      }
      if (!e) continue;
    }
    fs::remove_all(old, e);
    if (!e && note) note("removed " + old.string() + " (left by an interrupted replacement)");
  }
  for (const fs::path& tmp : temps) {
    std::error_code e;
    fs::remove_all(tmp, e);
    if (!e && note) note("removed " + tmp.string() + " (left by an interrupted write)");
  }
}

}  // namespace lieq

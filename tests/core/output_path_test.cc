// Outputs never destroy what lieq did not write (core/output_path.h, core/folder_output.h):
// what may be replaced, the folder swap in both of its modes, recovery of an interrupted swap,
// and the errors a full disk or an impossible allocation give.
#include "core/output_path.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/atomic_file.h"
#include "core/finite.h"
#include "core/folder_output.h"
#include "core/half.h"
#include "core/tensor.h"
#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

pid_t DeadPid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// A folder as lieq writes it: files plus the manifest listing them.
void MakeLieqFolder(const std::string& dir, const std::string& content) {
  Result<FolderOutput> out = FolderOutput::Begin(dir, /*force=*/true);
  ASSERT_TRUE(out.ok()) << out.status().message();
  std::ofstream(out->Path("a.txt")) << content;
  ASSERT_TRUE(out->Commit("test").ok());
}

TEST(OutputPathTest, FileOutputsReplaceOnlyRegularFilesEvenWithForce) {
  const std::string dir = testing::TempDir();
  // A FIFO, a socket, a folder, a symbolic link and a character device.
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string sock = dir + "/sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  fs::create_directories(dir + "/folder");
  std::ofstream(dir + "/target") << "keep";
  fs::create_symlink(dir + "/target", dir + "/link");
  const std::pair<std::string, std::string> cases[] = {{fifo, "FIFO"},
                                                       {sock, "socket"},
                                                       {dir + "/folder", "folder"},
                                                       {dir + "/link", "symbolic link"},
                                                       {"/dev/null", "character device"}};
  for (const auto& [path, kind] : cases) {
    const Status s = CheckOutputPath(path, OutputKind::kFile, /*force=*/true);
    EXPECT_FALSE(s.ok()) << path;
    EXPECT_TRUE(Contains(s, kind)) << s.message();
    EXPECT_TRUE(Contains(s, "not even with --force")) << s.message();
    const Status w = WriteTextFileAtomically(path, "x", WriteOptions{.overwrite = true});
    EXPECT_FALSE(w.ok()) << path;
  }
  ::close(fd);
  struct stat st {};
  ASSERT_EQ(::lstat("/dev/null", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_TRUE(S_ISFIFO((::lstat(fifo.c_str(), &st), st.st_mode)));
  EXPECT_EQ(Read(dir + "/target"), "keep");
  // A regular file: only with --force.
  EXPECT_EQ(CheckOutputPath(dir + "/target", OutputKind::kFile, false).code(),
            StatusCode::kAlreadyExists);
  EXPECT_TRUE(
      WriteTextFileAtomically(dir + "/target", "new", WriteOptions{.overwrite = true}).ok());
  EXPECT_EQ(Read(dir + "/target"), "new");
}

TEST(OutputPathTest, ParentMustExistAndAcceptFiles) {
  const Status missing = CheckOutputPath("/nonexistent/dir/q.json", OutputKind::kFile, false);
  EXPECT_FALSE(missing.ok());
  EXPECT_TRUE(Contains(missing, "/nonexistent/dir")) << missing.message();
  // /proc refuses new entries even to root, which access(2) would not tell.
  const Status proc = CheckOutputPath("/proc/q", OutputKind::kFolder, false);
  EXPECT_FALSE(proc.ok());
  EXPECT_TRUE(Contains(proc, "cannot create files in /proc")) << proc.message();
  const std::string dir = testing::TempDir();
  std::ofstream(dir + "/plain") << "x";
  const Status parent_file = CheckOutputPath(dir + "/plain/out", OutputKind::kFile, false);
  EXPECT_TRUE(Contains(parent_file, "is not a folder")) << parent_file.message();
}

TEST(OutputPathTest, FolderOutputsReplaceOnlyFoldersLieqWrote) {
  const std::string dir = testing::TempDir();
  // A user's folder: refused even with --force, naming what is in it.
  const std::string user = dir + "/userdir";
  fs::create_directories(user + "/sub");
  std::ofstream(user + "/important.txt") << "data";
  std::ofstream(user + "/sub/notes.txt") << "notes";
  Status s = CheckOutputPath(user, OutputKind::kFolder, true);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(Contains(s, "important.txt")) << s.message();
  EXPECT_TRUE(Contains(s, "sub")) << s.message();
  EXPECT_FALSE(FolderOutput::Begin(user, true).ok());
  EXPECT_EQ(Read(user + "/important.txt"), "data");
  // A file where a folder is expected.
  std::ofstream(dir + "/file") << "x";
  s = CheckOutputPath(dir + "/file", OutputKind::kFolder, true);
  EXPECT_TRUE(Contains(s, "not a folder")) << s.message();
  // An empty folder counts as absent.
  fs::create_directories(dir + "/empty");
  EXPECT_TRUE(CheckOutputPath(dir + "/empty", OutputKind::kFolder, false).ok());
  MakeLieqFolder(dir + "/empty", "one");
  EXPECT_EQ(Read(dir + "/empty/a.txt"), "one");
  EXPECT_TRUE(fs::exists(dir + "/empty/" + kManifestName));
  // lieq's own folder: only with --force; a file added to it makes it foreign.
  s = CheckOutputPath(dir + "/empty", OutputKind::kFolder, false);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(Contains(s, "--force")) << s.message();
  EXPECT_TRUE(CheckOutputPath(dir + "/empty", OutputKind::kFolder, true).ok());
  std::ofstream(dir + "/empty/mine.txt") << "user";
  s = CheckOutputPath(dir + "/empty", OutputKind::kFolder, true);
  EXPECT_TRUE(Contains(s, "mine.txt")) << s.message();
  EXPECT_FALSE(Contains(s, "a.txt")) << s.message();
}

TEST(OutputPathTest, FreeSpaceIsCheckedWhenTheSizeIsKnown) {
  const std::string dir = testing::TempDir();
  const Status s = CheckOutputPath(dir + "/big", OutputKind::kFile, false, uint64_t{1} << 62);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "no space left on device")) << s.message();
}

// The swap in both modes: renameat2(RENAME_EXCHANGE), and the two renames where a file
// system lacks it (forced here by the test switch).
TEST(OutputPathTest, FolderSwapReplacesAtomicallyInBothModes) {
  for (const bool exchange : {true, false}) {
    if (!exchange) ::setenv("LIEQ_TEST_NO_RENAME_EXCHANGE", "1", 1);
    const std::string dir = testing::TempDir();
    MakeLieqFolder(dir + "/out", "old");
    MakeLieqFolder(dir + "/out", "new");
    EXPECT_EQ(Read(dir + "/out/a.txt"), "new");
    size_t entries = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
      ++entries;
      EXPECT_EQ(e.path().filename(), "out") << "leftover " << e.path();
    }
    EXPECT_EQ(entries, 1u);
    ::unsetenv("LIEQ_TEST_NO_RENAME_EXCHANGE");
  }
}

TEST(OutputPathTest, UncommittedStagingFolderIsRemoved) {
  const std::string dir = testing::TempDir();
  {
    Result<FolderOutput> out = FolderOutput::Begin(dir + "/out", false);
    ASSERT_TRUE(out.ok());
    std::ofstream(out->Path("a.txt")) << "partial";
    EXPECT_TRUE(fs::exists(out->staging()));
  }  // a failed run: no commit
  EXPECT_TRUE(fs::is_empty(dir));
}

TEST(OutputPathTest, LeftoversOfDeadWritersAreRecovered) {
  const std::string dir = testing::TempDir();
  const pid_t dead = DeadPid();
  // Killed between "move the old folder aside" and "rename the new one in": restored.
  fs::create_directories(dir + "/a.old-" + std::to_string(dead));
  std::ofstream(dir + "/a.old-" + std::to_string(dead) + "/f") << "previous";
  fs::create_directories(dir + "/a.tmp-" + std::to_string(dead));
  // Killed after the swap, before the old one was removed: removed.
  fs::create_directories(dir + "/b");
  fs::create_directories(dir + "/b.old-" + std::to_string(dead));
  // A temporary file of a killed file write: removed. A live process's: kept.
  std::ofstream(dir + "/c.tmp-" + std::to_string(dead)) << "x";
  std::ofstream(dir + "/c.tmp-" + std::to_string(::getppid())) << "x";
  std::string notes;
  for (const char* name : {"a", "b", "c"}) {
    RecoverInterruptedOutputs(dir + "/" + name, [&](const std::string& n) { notes += n + "\n"; });
  }
  EXPECT_EQ(Read(dir + "/a/f"), "previous");
  EXPECT_FALSE(fs::exists(dir + "/a.tmp-" + std::to_string(dead)));
  EXPECT_FALSE(fs::exists(dir + "/b.old-" + std::to_string(dead)));
  EXPECT_TRUE(fs::exists(dir + "/b"));
  EXPECT_FALSE(fs::exists(dir + "/c.tmp-" + std::to_string(dead)));
  EXPECT_TRUE(fs::exists(dir + "/c.tmp-" + std::to_string(::getppid())));
  EXPECT_NE(notes.find("restored"), std::string::npos) << notes;
}

// A real ENOSPC from a small tmpfs (needs the right to mount, as root in CI's container).
TEST(OutputPathTest, FullDiskSaysNoSpaceLeftOnDevice) {
  const std::string dir = testing::TempDir() + "/small";
  fs::create_directories(dir);
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << ")";
  }
  const Status s = WriteTextFileAtomically(dir + "/big", std::string(1 << 20, 'x'), WriteOptions{});
  std::error_code ec;
  const bool leftover = !fs::is_empty(dir, ec);
  ::umount(dir.c_str());
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s, "no space left on device")) << s.message();
  EXPECT_FALSE(leftover) << "the temporary file must be removed";
}

TEST(OutputPathTest, ImpossibleAllocationIsAnErrorWithItsSize) {
  Result<AlignedBuffer> b = AlignedBuffer::Allocate(uint64_t{1} << 56, "KV cache");
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(Contains(b.status(), "out of memory")) << b.status().message();
  EXPECT_TRUE(Contains(b.status(), "72057594037927936 bytes")) << b.status().message();
  EXPECT_TRUE(Contains(b.status(), "KV cache")) << b.status().message();
  Result<OwnedTensor> t = OwnedTensor::TryZeros(DType::kF32, {1 << 30, 1 << 28}, "tensor w");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(Contains(t.status(), "tensor w")) << t.status().message();
  EXPECT_TRUE(OwnedTensor::TryZeros(DType::kF32, {4, 4}, "small").ok());
}

TEST(FiniteTest, FindsNanAndInfInEveryFloatType) {
  float f32[5] = {1, 2, 3, std::nanf(""), 5};
  EXPECT_EQ(FirstNonFinite(std::span<const float>(f32, 5)), 3);
  f32[3] = 4;
  EXPECT_EQ(FirstNonFinite(std::span<const float>(f32, 5)), -1);
  f32[1] = -INFINITY;
  EXPECT_STREQ(NonFiniteName(DType::kF32, reinterpret_cast<const std::byte*>(f32), 1), "-Inf");
  const uint16_t bf16[3] = {F32ToBf16(1.0f), F32ToBf16(INFINITY), F32ToBf16(std::nanf(""))};
  EXPECT_EQ(FirstNonFinite(DType::kBF16, reinterpret_cast<const std::byte*>(bf16), 3), 1);
  EXPECT_STREQ(NonFiniteName(DType::kBF16, reinterpret_cast<const std::byte*>(bf16), 2), "NaN");
  const uint16_t f16[3] = {F32ToF16(1.0f), F32ToF16(65504.0f), F32ToF16(std::nanf(""))};
  EXPECT_EQ(FirstNonFinite(DType::kF16, reinterpret_cast<const std::byte*>(f16), 3), 2);
}

}  // namespace
}  // namespace lieq

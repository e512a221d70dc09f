// Interrupted runs (docs/RELIABILITY.md): a SIGKILLed `lieq quantize` leaves no partial model,
// outputs are replaced only with --force, and --cache-dir resumes a run to the same bytes an
// uninterrupted run writes. Runs the lieq binary on a random 48-block tiny model.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "test_util.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

struct CmdResult {
  int code = 0;
  std::string output;
};

CmdResult Lieq(const std::string& args) {
  CmdResult r;
  r.code = testing::RunCommand(testing::LieqBinary() + " " + args + " 2>&1", &r.output);
  return r;
}

// A shell command line as it is (environment assignments, other programs).
CmdResult Shell(const std::string& command) {
  CmdResult r;
  r.code = testing::RunCommand(command + " 2>&1", &r.output);
  return r;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Starts `lieq ARGS` with stderr to `log`, waits until the log contains `marker`, SIGKILLs it.
// Returns false when the run ended (or never printed the marker) before it could be killed.
bool KillWhenLogged(const std::string& args, const std::string& log, const std::string& marker) {
  const std::string command = "exec " + testing::LieqBinary() + " " + args;
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDERR_FILENO);
      ::dup2(fd, STDOUT_FILENO);
    }
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return false;  // finished first
    if (ReadBytes(log).find(marker) != std::string::npos) {
      killed = ::kill(pid, SIGKILL) == 0;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!killed) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

class InterruptedRuns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::TempDir());
    const std::string shared = testing::SharedDir();
    const CmdResult made = Lieq("make-random --like tiny-qwen3 --layers 48 --seed 3 --tokenizer " +
                                shared + "/tokenizers/qwen3/tokenizer.json -o " + Path("m"));
    ASSERT_EQ(made.code, 0) << made.output;
    const CmdResult ref = Lieq(Quantize("ref"));
    ASSERT_EQ(ref.code, 0) << ref.output;
    reference_ = new std::string(ReadBytes(Path("ref/model.safetensors")));
    ASSERT_FALSE(reference_->empty());
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }
  static std::string Quantize(const std::string& out, const std::string& method = "gptq") {
    return "quantize " + Path("m") + " --uniform 2 --group-size 64 --method " + method +
           " --calib " + testing::SharedDir() +
           "/data/calib/c4-train-00000-head1000.jsonl --calib-samples 32 --calib-seq 256 -t 2 -o " +
           Path(out);
  }
  static size_t CountFiles(const std::string& folder) {
    std::error_code ec;
    size_t n = 0;
    for (auto it = fs::directory_iterator(folder, ec); !ec && it != fs::directory_iterator(); ++it)
      ++n;
    return n;
  }
  static std::string* dir_;
  static std::string* reference_;
};
std::string* InterruptedRuns::dir_ = nullptr;
std::string* InterruptedRuns::reference_ = nullptr;

TEST_F(InterruptedRuns, KilledQuantizeLeavesNoModel) {
  ASSERT_TRUE(KillWhenLogged(Quantize("killed"), Path("killed.log"), "block  2 of "))
      << ReadBytes(Path("killed.log"));
  EXPECT_FALSE(fs::exists(Path("killed")));
  EXPECT_FALSE(fs::exists(Path("killed/config.json")));
  for (const auto& entry : fs::directory_iterator(*dir_)) {
    EXPECT_FALSE(fs::exists(entry.path() / "config.json") &&
                 entry.path().filename().string().rfind("killed", 0) == 0)
        << entry.path() << " looks like a model";
  }
}

TEST_F(InterruptedRuns, StaleTempFolderOfADeadWriterIsRemoved) {
  const pid_t dead = ::fork();  // a pid whose process has ended
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::string stale = Path("stale.tmp-" + std::to_string(dead));
  fs::create_directories(stale);
  std::ofstream(stale + "/config.json") << "{}";
  const CmdResult r = Lieq(Quantize("stale"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(ReadBytes(Path("stale/model.safetensors")) == *reference_);
}

TEST_F(InterruptedRuns, ExistingOutputIsReplacedOnlyWithForce) {
  const CmdResult refused = Lieq(Quantize("ref"));
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.output.find("exists"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("--force"), std::string::npos) << refused.output;
  EXPECT_TRUE(ReadBytes(Path("ref/model.safetensors")) == *reference_);
  const CmdResult forced = Lieq(Quantize("ref") + " --force");
  ASSERT_EQ(forced.code, 0) << forced.output;
  EXPECT_TRUE(ReadBytes(Path("ref/model.safetensors")) == *reference_);
}

TEST_F(InterruptedRuns, CachedRerunIsByteIdentical) {
  const std::string cache = " --cache-dir " + Path("cache-full");
  const CmdResult first = Lieq(Quantize("full") + cache);
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_EQ(first.output.find("cached"), std::string::npos) << first.output;
  EXPECT_EQ(CountFiles(Path("cache-full")), 48u);
  EXPECT_TRUE(ReadBytes(Path("full/model.safetensors")) == *reference_);
  fs::remove_all(Path("full"));
  const CmdResult again = Lieq(Quantize("full") + cache);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("block  0 of 48: 2 bits, cached"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("block 47 of 48: 2 bits, cached"), std::string::npos) << again.output;
  EXPECT_TRUE(ReadBytes(Path("full/model.safetensors")) == *reference_);

  // A corrupt file is reported and recomputed (and rewritten), never trusted.
  fs::path victim;
  for (const auto& entry : fs::directory_iterator(Path("cache-full"))) {
    if (entry.path().filename().string().find("-block7.lqb") != std::string::npos)
      victim = entry.path();
  }
  ASSERT_FALSE(victim.empty());
  std::string bytes = ReadBytes(victim.string());
  bytes[bytes.size() / 2] ^= 0x40;
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes;
  const CmdResult corrupt = Lieq(Quantize("full") + cache + " --force");
  ASSERT_EQ(corrupt.code, 0) << corrupt.output;
  EXPECT_NE(corrupt.output.find("corrupt cached block: payload hash mismatch"), std::string::npos)
      << corrupt.output;
  EXPECT_NE(corrupt.output.find("block  7 of 48: 2 bits, gptq"), std::string::npos)
      << corrupt.output;
  EXPECT_TRUE(ReadBytes(Path("full/model.safetensors")) == *reference_);
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << "LIEQ";  // truncated
  const CmdResult truncated = Lieq(Quantize("full") + cache + " --force");
  ASSERT_EQ(truncated.code, 0) << truncated.output;
  EXPECT_NE(truncated.output.find("no LIEQBLK1 header"), std::string::npos) << truncated.output;
  EXPECT_TRUE(ReadBytes(Path("full/model.safetensors")) == *reference_);
}

// Kills `quantize -o OUT --cache-dir CACHE` once block 19 has started, checks that OUT is absent
// and the cache holds the finished blocks, then reruns it to the end (its output returned).
void KillAtBlock19ThenResume(const std::string& quantize, const std::string& out,
                             const std::string& cache, const std::string& log, CmdResult* resumed) {
  ASSERT_TRUE(KillWhenLogged(quantize + " --cache-dir " + cache, log, "block 19 of "))
      << ReadBytes(log);
  EXPECT_FALSE(fs::exists(out));
  size_t done = 0;
  for (const auto& entry : fs::directory_iterator(cache)) done += entry.is_regular_file();
  EXPECT_GE(done, 19u);
  EXPECT_LT(done, 48u);
  *resumed = Lieq(quantize + " --cache-dir " + cache);
  ASSERT_EQ(resumed->code, 0) << resumed->output;
  EXPECT_NE(resumed->output.find("block 18 of 48: 2 bits, cached"), std::string::npos)
      << resumed->output;
  EXPECT_NE(resumed->output.find("block 47 of 48: 2 bits, gptq"), std::string::npos)
      << resumed->output;
}

TEST_F(InterruptedRuns, KilledRunResumesToTheUninterruptedBytes) {
  CmdResult resumed;
  KillAtBlock19ThenResume(Quantize("resumed"), Path("resumed"), Path("cache-killed"),
                          Path("resumed.log"), &resumed);
  EXPECT_TRUE(ReadBytes(Path("resumed/model.safetensors")) == *reference_);
  EXPECT_TRUE(ReadBytes(Path("resumed/config.json")) == ReadBytes(Path("ref/config.json")));
}

// The GGUF export resumes the same way (its blocks are cached in the ggml types).
TEST_F(InterruptedRuns, KilledGgufRunResumesToTheUninterruptedBytes) {
  const CmdResult plain = Lieq(Quantize("plain.gguf"));
  ASSERT_EQ(plain.code, 0) << plain.output;
  CmdResult resumed;
  KillAtBlock19ThenResume(Quantize("resumed.gguf"), Path("resumed.gguf"), Path("cache-gguf"),
                          Path("resumed-gguf.log"), &resumed);
  EXPECT_TRUE(ReadBytes(Path("resumed.gguf")) == ReadBytes(Path("plain.gguf")));
}

// AWQ also replaces norm weights and biases; the cache keeps them.
TEST_F(InterruptedRuns, CachedAwqRerunIsByteIdentical) {
  const CmdResult plain = Lieq(Quantize("awq", "awq"));
  ASSERT_EQ(plain.code, 0) << plain.output;
  const std::string cache = " --cache-dir " + Path("cache-awq");
  ASSERT_EQ(Lieq(Quantize("awq-cached", "awq") + cache).code, 0);
  fs::remove_all(Path("awq-cached"));
  const CmdResult again = Lieq(Quantize("awq-cached", "awq") + cache);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_NE(again.output.find("block 47 of 48: 2 bits, cached"), std::string::npos) << again.output;
  EXPECT_TRUE(ReadBytes(Path("awq-cached/model.safetensors")) ==
              ReadBytes(Path("awq/model.safetensors")));
}

// SIGKILL at every step of a folder swap (core/folder_output.h), in both of its modes, then
// the next run: the destination always holds a complete model (the old or the new one) or,
// killed between the fallback's two renames, nothing but "<dest>.old-<pid>", which the next
// command writing it restores. No leftover survives the next run.
TEST_F(InterruptedRuns, KillAtEveryStepOfTheFolderSwapLosesNothing) {
  struct Step {
    const char* at;
    bool exchange;
  };
  const Step steps[] = {{"staged", true},      {"exchanged", true},    {"removed-old", true},
                        {"staged", false},     {"moved-aside", false}, {"renamed", false},
                        {"removed-old", false}};
  auto make = [&](const std::string& dir, int seed, const std::string& env) {
    return Shell(env + " " + testing::LieqBinary() + " make-random --like tiny-qwen3 --seed " +
                 std::to_string(seed) + " -o " + dir + " --force");
  };
  int n = 0;
  for (const Step& step : steps) {
    const std::string parent = Path("swap" + std::to_string(n++));
    fs::create_directories(parent);
    const std::string dest = parent + "/m";
    ASSERT_EQ(make(dest, 1, "").code, 0);
    const std::string old_bytes = ReadBytes(dest + "/model.safetensors");
    ASSERT_EQ(make(parent + "/new", 2, "").code, 0);
    const std::string new_bytes = ReadBytes(parent + "/new/model.safetensors");
    fs::remove_all(parent + "/new");
    ASSERT_NE(old_bytes, new_bytes);

    const std::string env = std::string("env LIEQ_TEST_KILL_AT=") + step.at +
                            (step.exchange ? "" : " LIEQ_TEST_NO_RENAME_EXCHANGE=1");
    const CmdResult killed = make(dest, 2, env);
    EXPECT_NE(killed.code, 0) << step.at << " " << killed.output;
    const std::string now = ReadBytes(dest + "/model.safetensors");
    if (std::string(step.at) == "moved-aside") {
      EXPECT_FALSE(fs::exists(dest)) << step.at;
    } else {
      EXPECT_TRUE(now == old_bytes || now == new_bytes) << step.at << ": a partial model";
      EXPECT_TRUE(fs::exists(dest + "/.lieq-manifest.json")) << step.at;
    }
    // The next command that writes `dest` (here refused: no --force) recovers first.
    const CmdResult refused = Lieq("make-random --like tiny-qwen3 -o " + dest);
    EXPECT_NE(refused.code, 0) << refused.output;
    EXPECT_NE(refused.output.find("--force"), std::string::npos) << refused.output;
    const std::string recovered = ReadBytes(dest + "/model.safetensors");
    EXPECT_TRUE(recovered == old_bytes || recovered == new_bytes) << step.at;
    if (std::string(step.at) == "moved-aside" || std::string(step.at) == "staged") {
      EXPECT_TRUE(recovered == old_bytes) << step.at << ": the previous model must come back";
    }
    for (const auto& entry : fs::directory_iterator(parent)) {
      EXPECT_EQ(entry.path().filename(), "m") << step.at << ": leftover " << entry.path();
    }
    ASSERT_EQ(make(dest, 2, "").code, 0);
    EXPECT_TRUE(ReadBytes(dest + "/model.safetensors") == new_bytes) << step.at;
  }
}

// A file output killed before its rename leaves the old file and a temporary beside it; the
// next write of that file removes the temporary.
TEST_F(InterruptedRuns, KilledFileWriteLeavesTheOldFileAndIsCleanedUp) {
  const std::string dir = Path("filekill");
  fs::create_directories(dir);
  const std::string out = dir + "/m.gguf";
  ASSERT_EQ(Lieq("convert " + Path("m") + " -o " + out + " --type f16").code, 0);
  const std::string before = ReadBytes(out);
  const CmdResult killed = Shell("env LIEQ_TEST_KILL_AT=file-written " + testing::LieqBinary() +
                                 " convert " + Path("m") + " -o " + out + " --type f32 --force");
  EXPECT_NE(killed.code, 0) << killed.output;
  EXPECT_TRUE(ReadBytes(out) == before);
  size_t entries = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++entries;
  EXPECT_EQ(entries, 2u) << "the killed run's temporary file";
  ASSERT_EQ(Lieq("convert " + Path("m") + " -o " + out + " --type f32 --force").code, 0);
  entries = 0;
  for (auto it = fs::directory_iterator(dir); it != fs::directory_iterator(); ++it) ++entries;
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace lieq

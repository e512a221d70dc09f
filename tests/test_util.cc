#include "test_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

namespace lieq::testing {

std::string RepoDir() { return LIEQ_DEFAULT_REPO_DIR; }

std::string SharedDir() {
  const char* env = std::getenv("LIEQ_SHARED_DIR");
  const std::string dir = env != nullptr ? env : LIEQ_DEFAULT_SHARED_DIR;
  if (!std::filesystem::exists(dir + "/README.md")) {
    ADD_FAILURE() << "shared data folder not found at '" << dir
                  << "' (set LIEQ_SHARED_DIR); this test needs it and must not pass without it";
  }
  return dir;
}

std::string LieqBinary() {
  const char* env = std::getenv("LIEQ_BINARY");
  return env != nullptr ? env : LIEQ_DEFAULT_BINARY;
}

std::string TempDir() {
  static int counter = 0;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("lieq_test_" + std::to_string(::getpid()) + "_" +
                                     std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  static std::vector<std::filesystem::path> created;
  if (created.empty()) {
    std::atexit([] {
      for (const auto& d : created) std::filesystem::remove_all(d);
    });
  }
  created.push_back(dir);
  return dir.string();
}

int RunCommand(const std::string& command, std::string* output) {
  output->clear();
  std::FILE* pipe = ::popen(("{ " + command + "; } 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) output->append(buf.data(), n);
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

LieqRun RunLieq(const std::string& args) {
  LieqRun r;
  r.code = RunCommand(LieqBinary() + " " + args, &r.output);
  return r;
}

}  // namespace lieq::testing

// Every input kept under fuzz/regressions/<target>/ (crashers found by fuzzing, fixed since) and
// every seed under fuzz/corpus/<target>/ goes through the fuzz target once. A regression crashes
// this test (or trips the sanitizers in build-asan); docs/RELIABILITY.md lists what each was.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "targets.h"

namespace lieq {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> Inputs(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class FuzzRegression : public ::testing::TestWithParam<fuzz::Target> {};

TEST_P(FuzzRegression, KeptInputsAndSeedsRunCleanly) {
  const fuzz::Target& target = GetParam();
  const fs::path root = LIEQ_FUZZ_DIR;
  const std::vector<fs::path> seeds = Inputs(root / "corpus" / target.name);
  EXPECT_FALSE(seeds.empty()) << "no seeds in fuzz/corpus/" << target.name;
  std::vector<fs::path> all = Inputs(root / "regressions" / target.name);
  all.insert(all.end(), seeds.begin(), seeds.end());
  for (const fs::path& p : all) {
    SCOPED_TRACE(p.string());
    std::ifstream in(p, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
    target.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%s: %zu inputs\n", std::string(target.name).c_str(), all.size());
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegression,
                         ::testing::ValuesIn(fuzz::Targets().begin(), fuzz::Targets().end()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace lieq
